//! [`Storage`] on PostgreSQL, for several stateless `ntm-server` processes behind a load
//! balancer sharing one database (`--database postgres://...`; the README's "Several servers on
//! one PostgreSQL"). Same contract as [`super::sqlite::SqliteStorage`]: `version_id` is unique
//! in the database (`INSERT ... ON CONFLICT DO NOTHING`), a push is one transaction that also
//! records its answers per `(device_id, device_seq)` and updates the incremental facts, and the
//! answer is given only after COMMIT.
//!
//! # Client and pool
//!
//! The storage trait is blocking and runs on `spawn_blocking` threads, so this uses the
//! synchronous `postgres` client (tokio-postgres underneath, no async plumbing to hide) and
//! r2d2's pool of such clients: no macros, no compile-time database, few dependencies (sqlx
//! would bring its own runtime glue, macros and migration machinery for nothing used here).
//!
//! # Pull order: why a commune's versions become visible in `server_seq` order
//!
//! `server_seq` numbers come from the sequence `server_seq`. A sequence alone is not enough: two
//! transactions that draw 41 and 42 may commit 42 first, and a phone pulling in between would
//! get 42, move its cursor to 42 and never see 41. So every push that stores versions of a
//! commune first locks that commune's counter row (`commune_sync ... FOR UPDATE`), and only then
//! draws numbers; it holds the lock until COMMIT. Within a commune, numbers are therefore drawn
//! and committed strictly one transaction after the other: when a transaction can draw, every
//! earlier holder has committed (PostgreSQL marks a transaction committed before it releases its
//! locks), so its numbers are greater than every number already visible, and any snapshot sees a
//! prefix of the commune's log. A reader at cursor N can never skip a version committed late.
//! Pull is per commune, so communes do not wait for each other; the global sequence only keeps
//! `server_seq` unique across the table, and numbers lost to a rollback leave harmless gaps.
//!
//! The alternative (reading only below the oldest running transaction's horizon with
//! `pg_snapshot_xmin`) keeps writers fully parallel but makes every pull wait for the slowest
//! writer of any commune and needs an extra xid column; pushes of one commune are short and were
//! already serialised by SQLite's single writer, so the lock costs nothing that matters.
//!
//! Locks are always taken in one order, so pushes cannot deadlock: the device's row first
//! (`devices ... FOR UPDATE`: concurrent pushes of one device, even through two servers, run one
//! after the other, so a replay waits for the original and then gets its recorded answers), then
//! the communes' counter rows in id order. `recompute` takes only the counter row.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use ::postgres::types::ToSql;
use ::postgres::{Client, GenericClient, IsolationLevel, NoTls, Row, Transaction};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ntm_field::admin::{Commune, Village};
use ntm_field::catalog::TargetOverride;
use ntm_field::config::{CommuneConfig, Quota};
use ntm_field::geo::TrackFilter;
use ntm_field::heads::entity_heads;
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::{PushResponse, PushResult, PushStatus};
use ntm_field::record::{Kind, Version};
use ntm_field::scorecard::{CommuneFacts, EntityFact};
use r2d2_postgres::r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use uuid::Uuid;

use super::columns::*;
use super::*;

mod editions;
mod group_commit;
mod mergers;
mod odk;

/// The migrations, oldest first: `(name, SQL)`. Each runs once, in one transaction with the
/// record that it ran.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20260521090000_init",
        include_str!("../../migrations/postgres/20260521090000_init.sql"),
    ),
    (
        "20261128163000_facts_generation",
        include_str!("../../migrations/postgres/20261128163000_facts_generation.sql"),
    ),
    (
        "20261128180000_user_district",
        include_str!("../../migrations/postgres/20261128180000_user_district.sql"),
    ),
    (
        "20261201090000_odk_submissions",
        include_str!("../../migrations/postgres/20261201090000_odk_submissions.sql"),
    ),
    (
        "20261205090000_identity_lifecycle",
        include_str!("../../migrations/postgres/20261205090000_identity_lifecycle.sql"),
    ),
    (
        "20261208090000_editions",
        include_str!("../../migrations/postgres/20261208090000_editions.sql"),
    ),
    (
        "20261210090000_mergers",
        include_str!("../../migrations/postgres/20261210090000_mergers.sql"),
    ),
    (
        "20261212090000_config_generation",
        include_str!("../../migrations/postgres/20261212090000_config_generation.sql"),
    ),
];

/// Key of the advisory lock under which servers starting together migrate one at a time.
const MIGRATION_LOCK: i64 = 0x6e74_6d5f_6d69_6772; // "ntm_migr"

/// Connections per server process unless `connect_with` says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// How often a transaction that hit a serialization failure, a deadlock or a concurrent insert
/// of the same version by another commune's push is run again.
const ATTEMPTS: usize = 5;

/// A failure inside a transaction: the storage's own answer, a database error (retried when it
/// is a serialization failure or a deadlock), or a conflict to resolve by running again.
#[derive(Debug)]
enum Fail {
    Store(StoreError),
    Db(::postgres::Error),
    Retry(&'static str),
}

impl From<::postgres::Error> for Fail {
    fn from(e: ::postgres::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<serde_json::Error> for Fail {
    fn from(e: serde_json::Error) -> Self {
        Fail::Store(StoreError::Backend(format!("stored JSON: {e}")))
    }
}

type Fallible<T> = Result<T, Fail>;

fn db_error(e: &::postgres::Error) -> StoreError {
    StoreError::Backend(match e.as_db_error() {
        Some(d) => format!("PostgreSQL: {} ({})", d.message(), d.code().code()),
        None => format!("PostgreSQL: {e}"),
    })
}

fn retryable(e: &::postgres::Error) -> bool {
    use ::postgres::error::SqlState;
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// A read-only transaction that sees one moment of the database, for reads of several
/// queries that must agree with each other.
fn snapshot(c: &mut Client) -> Result<Transaction<'_>, ::postgres::Error> {
    c.build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

fn is_unique_violation(e: &::postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| *c == ::postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// Counts and sequence numbers are `bigint` in the database.
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `page` (a query of `server_seq, content` in server order, `limit + 1` rows) with the content of
/// a row left out (NULL) once the rows before it carry `$budget` bytes of it ([`PAGE_BYTES`]):
/// the rows past the budget still say that more remain, without their content crossing the wire.
fn sized_page(page: &str, budget: usize) -> String {
    format!(
        "SELECT server_seq, CASE WHEN before < ${budget} THEN content END FROM (
             SELECT server_seq, content,
                    COALESCE(SUM(octet_length(content)) OVER (ORDER BY server_seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
             FROM ({page}) page
         ) sized ORDER BY server_seq"
    )
}

/// The page of rows of [`sized_page`]: at most `limit` versions, up to the first whose content
/// was left out, and whether rows remain after it.
fn take_page(rows: &[Row], limit: usize) -> StoreResult<(Vec<Version>, bool)> {
    let mut versions = Vec::new();
    for r in rows {
        let content: Option<&str> = r.get(1);
        match content {
            Some(content) if versions.len() < limit => {
                let mut v = parse_version(content)?;
                v.server_seq = Some(r.get::<_, i64>(0) as u64);
                versions.push(v);
            }
            _ => return Ok((versions, true)),
        }
    }
    Ok((versions, false))
}

/// [`FactsSnapshot::latest_capture`] of a commune recomputed from its stored `versions` and the
/// time each was received, by the rule a push follows ([`super::latest_capture`]).
fn latest_capture(
    tx: &mut Transaction<'_>,
    commune: &Slug,
    versions: &[Version],
) -> Fallible<Option<NaiveDate>> {
    let received: HashMap<Uuid, DateTime<Utc>> = tx
        .query(
            "SELECT version_id, received_at FROM versions WHERE commune_id = $1",
            &[&commune.as_str()],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut stored = Vec::with_capacity(versions.len());
    for v in versions {
        let at = received.get(&v.version_id).ok_or_else(|| {
            StoreError::Backend(format!("version {} has no receipt time", v.version_id))
        })?;
        stored.push((v, *at));
    }
    Ok(super::latest_capture(stored))
}

const DEVICE_COLUMNS: &str =
    "device_id, commune_id, role, name, platform, holder, enrolled_at, revoked_at, high_water";

fn device_of(r: &Row) -> StoreResult<Device> {
    Ok(Device {
        device_id: r.get(0),
        commune_id: parse_slug(r.get(1))?,
        role: parse_role(r.get(2))?,
        name: r.get(3),
        platform: r.get(4),
        holder: r.get(5),
        enrolled_at: r.get(6),
        revoked_at: r.get(7),
        high_water: r.get::<_, i64>(8) as u64,
    })
}

const USER_COLUMNS: &str = "id, username, password_hash, role, commune_id, province, district";

fn user_of(r: &Row) -> StoreResult<User> {
    Ok(User {
        id: r.get(0),
        username: r.get(1),
        password_hash: r.get(2),
        role: parse_role(r.get(3))?,
        commune_id: r.get::<_, Option<&str>>(4).map(parse_slug).transpose()?,
        province: r.get(5),
        district: r.get(6),
    })
}

const UPLOAD_COLUMNS: &str =
    "id, sha256, length, upload_offset, content_type, owner, expires_at, completed";

fn upload_of(r: &Row) -> StoreResult<Upload> {
    Ok(Upload {
        id: r.get(0),
        sha256: parse_photo(r.get(1))?,
        length: r.get::<_, i64>(2) as u64,
        offset: r.get::<_, i64>(3) as u64,
        content_type: r.get(4),
        owner: r.get(5),
        expires_at: r.get(6),
        completed: r.get(7),
    })
}

/// A version chosen to be stored by the push being decided.
struct Planned {
    version: Version,
    digest: [u8; 32],
}

/// What a version id already stands for while a push is decided: stored before, or chosen to be
/// stored earlier in the same push.
enum Known {
    Stored { digest: Vec<u8>, server_seq: i64 },
    Planned { index: usize },
}

/// Runs `f` where the synchronous client may block: it drives each connection with a runtime of
/// its own, which panics on a thread that is running async tasks. The server calls storage from
/// `spawn_blocking` threads, where `f` simply runs; from an async task of a multi-threaded
/// runtime `block_in_place` hands the thread's tasks to others first; from a single-threaded
/// runtime `f` runs on a short-lived thread of its own.
fn outside_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        Ok(_) => std::thread::scope(|s| {
            s.spawn(f)
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        }),
        Err(_) => f(),
    }
}

/// The PostgreSQL storage: a small pool of connections to one database.
pub struct PostgresStorage {
    /// `None` only while being dropped (see `Drop`).
    pool: Option<Pool<PostgresConnectionManager<NoTls>>>,
    filter: TrackFilter,
    /// The facts last read per commune, with the `(server_head, facts_generation)` they are of.
    facts_cache: std::sync::Mutex<FactsCache>,
    /// OpenRosa submissions per commune, written in groups (`group_commit`).
    submissions: super::group_commit::GroupCommit<
        Slug,
        super::odk::SubmissionPost,
        super::odk::SubmissionOutcome,
    >,
}

/// Per commune: the `server_head` and `facts_generation` the facts were read at, and the facts.
type FactsCache = HashMap<Slug, (i64, i64, std::sync::Arc<FactsSnapshot>)>;

impl Drop for PostgresStorage {
    fn drop(&mut self) {
        // Closing a connection blocks on the client's own runtime: do it on a thread of its own,
        // since the last handle may go while a runtime shuts down (the server's state is dropped
        // with its tasks).
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user:password@host:port/database`) with
    /// [`DEFAULT_POOL_SIZE`] connections at most, and migrates the schema.
    pub fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(url, DEFAULT_POOL_SIZE)
    }

    /// Like [`PostgresStorage::connect`] with at most `max_connections` connections.
    pub fn connect_with(url: &str, max_connections: u32) -> StoreResult<Self> {
        let config: ::postgres::Config = url.parse().map_err(|e| StoreError::Invalid {
            field: "database".into(),
            message: format!("not a PostgreSQL URL: {e}"),
        })?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = Pool::builder()
            .max_size(max_connections.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(15))
            .build(manager)
            .map_err(|e| StoreError::Backend(format!("cannot connect to PostgreSQL: {e}")))?;
        let storage = PostgresStorage {
            pool: Some(pool),
            filter: TrackFilter::default(),
            facts_cache: std::sync::Mutex::new(HashMap::new()),
            submissions: super::group_commit::GroupCommit::new(group_commit::MAX_GROUP),
        };
        outside_runtime(|| storage.migrate())?;
        Ok(storage)
    }

    fn cached_facts(&self) -> std::sync::MutexGuard<'_, FactsCache> {
        // A panic while holding it leaves a map of complete entries.
        self.facts_cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connection(&self) -> StoreResult<PooledConnection<PostgresConnectionManager<NoTls>>> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool lives as long as the storage");
        pool.get()
            .map_err(|e| StoreError::Backend(format!("no PostgreSQL connection: {e}")))
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.connection()?;
        let run = |conn: &mut Client| -> Result<(), ::postgres::Error> {
            let mut tx = conn.transaction()?;
            // Two servers started together: the second waits here, then finds nothing to do.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
            )?;
            let applied: BTreeSet<String> = tx
                .query("SELECT name FROM schema_migrations", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for (name, sql) in MIGRATIONS {
                if !applied.contains(*name) {
                    tracing::info!(migration = name, "migrating the PostgreSQL schema");
                    tx.batch_execute(sql)?;
                    tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[name])?;
                }
            }
            tx.commit()
        };
        run(&mut conn).map_err(|e| {
            StoreError::Backend(format!("migrating the PostgreSQL schema: {}", db_error(&e)))
        })
    }

    fn read<T: Send>(&self, f: impl FnOnce(&mut Client) -> Fallible<T> + Send) -> StoreResult<T> {
        outside_runtime(|| {
            let mut conn = self.connection()?;
            match f(&mut conn) {
                Ok(v) => Ok(v),
                Err(Fail::Store(e)) => Err(e),
                Err(Fail::Db(e)) => Err(db_error(&e)),
                Err(Fail::Retry(why)) => Err(StoreError::Backend(why.into())),
            }
        })
    }

    /// Runs `f` in one READ COMMITTED transaction and commits; runs it again (from the start,
    /// in a new transaction) after a serialization failure, a deadlock or a [`Fail::Retry`].
    fn write<T: Send>(
        &self,
        f: impl FnMut(&mut Transaction<'_>) -> Fallible<T> + Send,
    ) -> StoreResult<T> {
        outside_runtime(|| self.write_here(f))
    }

    fn write_here<T>(
        &self,
        mut f: impl FnMut(&mut Transaction<'_>) -> Fallible<T>,
    ) -> StoreResult<T> {
        let mut conn = self.connection()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = (|| -> Fallible<T> {
                let mut tx = conn.transaction()?;
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            })();
            match outcome {
                Ok(v) => return Ok(v),
                Err(Fail::Store(e)) => return Err(e),
                Err(Fail::Db(e)) if retryable(&e) && attempt < ATTEMPTS => {
                    tracing::debug!(error = %e, attempt, "transaction failed; running it again");
                }
                Err(Fail::Retry(why)) if attempt < ATTEMPTS => {
                    tracing::debug!(why, attempt, "running the transaction again")
                }
                Err(Fail::Db(e)) => return Err(db_error(&e)),
                Err(Fail::Retry(why)) => {
                    return Err(StoreError::Backend(format!(
                        "{why}; gave up after {ATTEMPTS} attempts"
                    )))
                }
            }
            std::thread::sleep(Duration::from_millis(5 * attempt as u64));
        }
    }

    /// Runs `f` in one transaction on a pooled connection (benchmarks and seeding use it to
    /// write straight into the schema).
    pub fn with_write_transaction<T: Send>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, ::postgres::Error> + Send,
    ) -> StoreResult<T> {
        outside_runtime(|| {
            let mut conn = self.connection()?;
            let run = || -> Result<T, ::postgres::Error> {
                let mut tx = conn.transaction()?;
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            };
            run().map_err(|e| db_error(&e))
        })
    }

    fn load_config(c: &mut impl GenericClient, id: &Slug) -> Fallible<Option<CommuneConfig>> {
        let Some(row) = c.query_opt(
            "SELECT name, province, district, region, responsibilities FROM communes WHERE id = $1",
            &[&id.as_str()],
        )?
        else {
            return Ok(None);
        };
        let province: String = row.get(1);
        let villages = c
            .query(
                "SELECT id, name FROM villages WHERE commune_id = $1 ORDER BY position",
                &[&id.as_str()],
            )?
            .iter()
            .map(|r| {
                Ok(Village {
                    id: parse_slug(r.get(0))?,
                    name: r.get(1),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let targets = |rows: Vec<Row>| -> Fallible<BTreeMap<String, TargetOverride>> {
            rows.iter()
                .map(|r| Ok((r.get::<_, String>(0), serde_json::from_str(r.get(1))?)))
                .collect()
        };
        let commune_targets = targets(c.query(
            "SELECT indicator_id, target FROM commune_targets WHERE commune_id = $1",
            &[&id.as_str()],
        )?)?;
        let province_targets = targets(c.query(
            "SELECT indicator_id, target FROM province_targets WHERE province = $1",
            &[&province],
        )?)?;
        let quotas = c
            .query(
                "SELECT village_id, measure, target, since FROM quotas WHERE commune_id = $1 ORDER BY measure, village_id",
                &[&id.as_str()],
            )?
            .iter()
            .map(|r| -> Fallible<Quota> {
                Ok(Quota {
                    measure: serde_json::from_value(serde_json::Value::String(r.get(1)))?,
                    village_id: parse_slug(r.get(0))?,
                    target: r.get(2),
                    since: r.get(3),
                })
            })
            .collect::<Fallible<Vec<_>>>()?;
        let region: String = row.get(3);
        let mut commune = Commune {
            id: id.clone(),
            name: row.get(0),
            province,
            district: row.get(2),
            region: region
                .parse()
                .map_err(|e| StoreError::Backend(format!("stored region: {e}")))?,
            villages,
            code: None,
            valid_from: None,
            valid_until: None,
        };
        mergers::identity(c, &mut commune)?;
        let edition_settings = editions::settings(c, id)?;
        let province_sets = editions::sets(c, &commune.province)?;
        Ok(Some(CommuneConfig {
            commune,
            province_targets,
            commune_targets,
            quotas,
            responsibilities: serde_json::from_str(row.get(4))?,
            editions: edition_settings,
            province_sets,
            merged_from: mergers::merged_from(c, id)?,
        }))
    }

    fn query_device(
        &self,
        where_clause: &str,
        key: &(dyn ToSql + Sync),
    ) -> StoreResult<Option<Device>> {
        self.read(|c| {
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {where_clause}");
            Ok(c.query_opt(sql.as_str(), &[key])?
                .as_ref()
                .map(device_of)
                .transpose()?)
        })
    }

    fn load_versions(c: &mut impl GenericClient, commune: &Slug) -> Fallible<Vec<Version>> {
        Ok(c.query(
            "SELECT content FROM versions WHERE commune_id = $1 ORDER BY server_seq",
            &[&commune.as_str()],
        )?
        .iter()
        .map(|r| parse_version(r.get(0)))
        .collect::<StoreResult<Vec<_>>>()?)
    }

    fn stored_facts(
        c: &mut impl GenericClient,
        commune: &Slug,
    ) -> Fallible<HashMap<Uuid, (bool, Option<EntityFact>)>> {
        c.query(
            "SELECT entity_id, in_conflict, fact FROM entity_facts WHERE commune_id = $1",
            &[&commune.as_str()],
        )?
        .iter()
        .map(|r| {
            let fact = r
                .get::<_, Option<&str>>(2)
                .map(serde_json::from_str)
                .transpose()?;
            Ok((r.get(0), (r.get(1), fact)))
        })
        .collect()
    }

    /// Per-entity facts of a commune recomputed from `versions` with the core.
    fn facts_from_versions(
        &self,
        commune: &Slug,
        versions: &[Version],
    ) -> HashMap<Uuid, (bool, Option<EntityFact>)> {
        entity_heads(versions.iter().filter(|v| &v.commune_id == commune))
            .iter()
            .map(|(id, h)| (*id, (h.in_conflict(), EntityFact::of(*id, h, &self.filter))))
            .collect()
    }

    /// Writes the facts of `entities` of one commune from all their versions: those stored
    /// before this push, read back, and `new` ones of this push (not read back).
    fn refresh_entities(
        &self,
        tx: &mut Transaction<'_>,
        commune: &Slug,
        entities: &BTreeSet<Uuid>,
        new: &[&Version],
    ) -> Fallible<()> {
        let entity_ids: Vec<Uuid> = entities.iter().copied().collect();
        let new_ids: Vec<Uuid> = new.iter().map(|v| v.version_id).collect();
        let before = tx
            .query(
                "SELECT content FROM versions WHERE commune_id = $1 AND entity_id = ANY($2) AND NOT (version_id = ANY($3))",
                &[&commune.as_str(), &entity_ids, &new_ids],
            )?
            .iter()
            .map(|r| parse_version(r.get(0)))
            .collect::<StoreResult<Vec<_>>>()?;
        let heads = entity_heads(before.iter().chain(new.iter().copied()));
        let (mut ids, mut conflicts, mut facts, mut gone) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for id in entities {
            match heads.get(id) {
                Some(h) => {
                    ids.push(*id);
                    conflicts.push(h.in_conflict());
                    facts.push(
                        EntityFact::of(*id, h, &self.filter)
                            .map(|f| serde_json::to_string(&f))
                            .transpose()?,
                    );
                }
                None => gone.push(*id),
            }
        }
        tx.execute(
            "INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact)
             SELECT $1, * FROM unnest($2::uuid[], $3::boolean[], $4::text[])
             ON CONFLICT (commune_id, entity_id) DO UPDATE SET in_conflict = excluded.in_conflict, fact = excluded.fact",
            &[&commune.as_str(), &ids, &conflicts, &facts],
        )?;
        if !gone.is_empty() {
            tx.execute(
                "DELETE FROM entity_facts WHERE commune_id = $1 AND entity_id = ANY($2)",
                &[&commune.as_str(), &gone],
            )?;
        }
        Ok(())
    }

    /// One push, inside its transaction: see the module's documentation for the locks.
    fn store_in(&self, tx: &mut Transaction<'_>, batch: &PushBatch) -> Fallible<PushOutcome> {
        let Some(device) = tx.query_opt(
            "SELECT commune_id, high_water, last_captured_at, holder, name FROM devices WHERE device_id = $1 FOR UPDATE",
            &[&batch.device_id],
        )?
        else {
            return Err(StoreError::NotFound(format!("device {}", batch.device_id)).into());
        };
        let commune = parse_slug(device.get(0))?;
        let high_water = device.get::<_, i64>(1) as u64;
        if batch.first_seq > high_water + 1 {
            return Ok(PushOutcome::Gap {
                expected_seq: high_water + 1,
            });
        }
        let author: String = device
            .get::<_, Option<String>>(3)
            .unwrap_or_else(|| device.get(4));
        let mut previous: Option<DateTime<FixedOffset>> = device
            .get::<_, Option<&str>>(2)
            .map(|s| {
                DateTime::parse_from_rfc3339(s)
                    .map_err(|e| StoreError::Backend(format!("stored time {s:?}: {e}")))
            })
            .transpose()?;
        let n = batch.items.len() as u64;
        let last_seq = batch.first_seq + n.saturating_sub(1);

        // Sequence numbers already answered: the recorded answers, as they were.
        let mut recorded: HashMap<u64, PushResult> = HashMap::new();
        if n > 0 && batch.first_seq <= high_water {
            for r in tx.query(
                "SELECT o.device_seq, o.version_id, o.status, o.reason, v.digest FROM push_outcomes o
                 LEFT JOIN versions v ON v.version_id = CASE WHEN o.status IN ('stored', 'duplicate') THEN o.version_id::uuid END
                 WHERE o.device_id = $1 AND o.device_seq BETWEEN $2 AND $3",
                &[
                    &batch.device_id,
                    &int(batch.first_seq),
                    &int(high_water.min(last_seq)),
                ],
            )? {
                let seq = r.get::<_, i64>(0) as u64;
                let answer = PushResult {
                    version_id: r.get(1),
                    status: parse_status(r.get(2))?,
                    reason: r.get(3),
                };
                let index = (seq - batch.first_seq) as usize;
                let digest: Option<Vec<u8>> = r.get(4);
                match super::replayed_answer(&batch.items[index], answer, digest.as_deref()) {
                    Some(answer) => recorded.insert(seq, answer),
                    // Before anything is written: the caller's transaction ends unfinished.
                    None => return Ok(PushOutcome::SequenceReused { seq }),
                };
            }
        }
        let fresh: Vec<(u64, &PushItem)> = batch
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| (batch.first_seq + i as u64, item))
            .filter(|(seq, _)| *seq > high_water)
            .collect();

        let mut fresh_results: Vec<PushResult> = Vec::with_capacity(fresh.len());
        let mut heads: BTreeMap<Slug, i64> = BTreeMap::new();
        if !fresh.is_empty() {
            // Lock the counters of every commune this push may write, and of every commune a
            // merger made from one of them (its phones pull their union), in id order.
            let mut communes: BTreeSet<Slug> = BTreeSet::from([commune.clone()]);
            for (_, item) in &fresh {
                if let PushItem::Valid { version, .. } = item {
                    communes.insert(version.commune_id.clone());
                }
            }
            // (Through chains too: a commune merged into one that merged again.)
            loop {
                let written: Vec<&str> = communes.iter().map(Slug::as_str).collect();
                let before = communes.len();
                for r in tx.query(
                    "SELECT commune_id FROM mergers m WHERE EXISTS (
                        SELECT 1 FROM jsonb_array_elements(m.body::jsonb -> 'parts') p
                        WHERE p ->> 'commune' = ANY($1))",
                    &[&written],
                )? {
                    communes.insert(parse_slug(r.get(0))?);
                }
                if communes.len() == before {
                    break;
                }
            }
            for c in &communes {
                let row = tx
                    .query_opt(
                        "SELECT server_head FROM commune_sync WHERE commune_id = $1 FOR UPDATE",
                        &[&c.as_str()],
                    )?
                    .ok_or_else(|| StoreError::NotFound(format!("commune {c}")))?;
                heads.insert(c.clone(), row.get(0));
            }

            // Decide each version in device order, as storing them one at a time would.
            let candidate_ids: Vec<Uuid> = fresh
                .iter()
                .filter_map(|(_, item)| match item {
                    PushItem::Valid { version, .. } => Some(version.version_id),
                    PushItem::Invalid { .. } => None,
                })
                .collect();
            let mut known: HashMap<Uuid, Known> = HashMap::new();
            for r in tx.query(
                "SELECT version_id, digest, server_seq FROM versions WHERE version_id = ANY($1)",
                &[&candidate_ids],
            )? {
                known.insert(
                    r.get(0),
                    Known::Stored {
                        digest: r.get(1),
                        server_seq: r.get(2),
                    },
                );
            }
            let mut planned: Vec<Planned> = Vec::new();
            // Results that name the server_seq of a version planned earlier in this push.
            let mut corrupt_in_push: Vec<(usize, usize)> = Vec::new();
            for (_, item) in &fresh {
                let result = match item {
                    PushItem::Invalid { version_id, reason } => PushResult {
                        version_id: version_id.clone(),
                        status: PushStatus::Rejected,
                        reason: Some(reason.clone()),
                    },
                    PushItem::Valid { version, digest } => {
                        let id = version.version_id;
                        let same = match known.get(&id) {
                            None => None,
                            Some(Known::Stored {
                                digest: d,
                                server_seq,
                            }) => Some((d.as_slice() == &digest[..], Some(*server_seq))),
                            Some(Known::Planned { index }) => {
                                let same = &planned[*index].digest == digest;
                                if !same {
                                    corrupt_in_push.push((fresh_results.len(), *index));
                                }
                                Some((same, None))
                            }
                        };
                        match same {
                            Some((true, _)) => PushResult {
                                version_id: id.to_string(),
                                status: PushStatus::Duplicate,
                                reason: None,
                            },
                            Some((false, seq)) => PushResult {
                                version_id: id.to_string(),
                                status: PushStatus::Rejected,
                                reason: Some(corrupt_reason(id, seq.unwrap_or(0))),
                            },
                            None => {
                                let mut v = (**version).clone();
                                v.author = Some(author.clone());
                                if batch.check_clocks {
                                    v.flags = ntm_field::record::VersionFlag::clock_flags(
                                        v.captured_at,
                                        batch.received_at,
                                        previous,
                                    );
                                }
                                previous = Some(v.captured_at);
                                known.insert(
                                    id,
                                    Known::Planned {
                                        index: planned.len(),
                                    },
                                );
                                planned.push(Planned {
                                    version: v,
                                    digest: *digest,
                                });
                                PushResult {
                                    version_id: id.to_string(),
                                    status: PushStatus::Stored,
                                    reason: None,
                                }
                            }
                        }
                    }
                };
                fresh_results.push(result);
            }

            if !planned.is_empty() {
                // Numbers drawn under the commune locks: greater than any visible in these communes.
                let mut seqs: Vec<i64> = tx
                    .query(
                        "SELECT nextval('server_seq') FROM generate_series(1, $1::int)",
                        &[&(planned.len() as i32)],
                    )?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                seqs.sort_unstable();
                for (p, seq) in planned.iter_mut().zip(&seqs) {
                    p.version.server_seq = Some(*seq as u64);
                }
                for (result_index, planned_index) in corrupt_in_push {
                    let v = &planned[planned_index].version;
                    fresh_results[result_index].reason =
                        Some(corrupt_reason(v.version_id, seqs[planned_index]));
                }
                self.insert_planned(tx, &planned, batch.received_at)?;
                for (c, head) in heads.iter_mut() {
                    let mine: Vec<&Version> = planned
                        .iter()
                        .map(|p| &p.version)
                        .filter(|v| &v.commune_id == c)
                        .collect();
                    if mine.is_empty() {
                        continue;
                    }
                    let entities: BTreeSet<Uuid> = mine.iter().map(|v| v.entity_id).collect();
                    self.refresh_entities(tx, c, &entities, &mine)?;
                    *head = mine
                        .iter()
                        .filter_map(|v| v.server_seq)
                        .max()
                        .map_or(*head, |s| (*head).max(s as i64));
                    let latest = mine
                        .iter()
                        .filter(|v| v.kind() != Kind::Assessment)
                        .map(|v| super::counted_date(v, batch.received_at))
                        .max();
                    tx.execute(
                        "UPDATE commune_sync SET server_head = $2, latest_capture_date = GREATEST(latest_capture_date, $3)
                         WHERE commune_id = $1",
                        &[&c.as_str(), &*head, &latest],
                    )?;
                }
            }

            let seqs: Vec<i64> = fresh.iter().map(|(s, _)| int(*s)).collect();
            let ids: Vec<&str> = fresh_results
                .iter()
                .map(|r| r.version_id.as_str())
                .collect();
            let statuses: Vec<&str> = fresh_results.iter().map(|r| status_str(r.status)).collect();
            let reasons: Vec<Option<&str>> =
                fresh_results.iter().map(|r| r.reason.as_deref()).collect();
            tx.execute(
                "INSERT INTO push_outcomes (device_id, device_seq, version_id, status, reason)
                 SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[])",
                &[&batch.device_id, &seqs, &ids, &statuses, &reasons],
            )?;
            let acked = high_water.max(last_seq);
            tx.execute(
                "UPDATE devices SET high_water = $2, last_captured_at = $3 WHERE device_id = $1",
                &[
                    &batch.device_id,
                    &int(acked),
                    &previous.map(|p| p.to_rfc3339()),
                ],
            )?;
        }

        let server_head = match heads.get(&commune) {
            Some(h) => *h,
            None => tx
                .query_opt(
                    "SELECT server_head FROM commune_sync WHERE commune_id = $1",
                    &[&commune.as_str()],
                )?
                .map_or(0, |r| r.get(0)),
        };
        let mut fresh_results = fresh_results.into_iter();
        let mut results = Vec::with_capacity(batch.items.len());
        for i in 0..n {
            let seq = batch.first_seq + i;
            if seq <= high_water {
                results.push(recorded.remove(&seq).ok_or_else(|| {
                    StoreError::Backend(format!(
                        "no recorded outcome for device {} seq {seq}",
                        batch.device_id
                    ))
                })?);
            } else {
                results.push(fresh_results.next().expect("one result per fresh item"));
            }
        }
        Ok(PushOutcome::Done(PushResponse {
            acked_through_seq: high_water.max(if n > 0 { last_seq } else { 0 }),
            results,
            server_head: server_head as u64,
        }))
    }

    /// Inserts the versions a push decided to store, in one statement, and their photo links.
    fn insert_planned(
        &self,
        tx: &mut Transaction<'_>,
        planned: &[Planned],
        received_at: DateTime<Utc>,
    ) -> Fallible<()> {
        let mut seq = Vec::with_capacity(planned.len());
        let mut version_id = Vec::with_capacity(planned.len());
        let mut entity_id = Vec::with_capacity(planned.len());
        let mut commune_id = Vec::with_capacity(planned.len());
        let mut village_id = Vec::with_capacity(planned.len());
        let mut kind = Vec::with_capacity(planned.len());
        let mut device_id = Vec::with_capacity(planned.len());
        let mut device_seq = Vec::with_capacity(planned.len());
        let mut captured = Vec::with_capacity(planned.len());
        let mut digest = Vec::with_capacity(planned.len());
        let mut content = Vec::with_capacity(planned.len());
        let (mut photo, mut photo_commune) = (Vec::new(), Vec::new());
        for p in planned {
            let v = &p.version;
            seq.push(v.server_seq.map_or(0, int));
            version_id.push(v.version_id);
            entity_id.push(v.entity_id);
            commune_id.push(v.commune_id.as_str());
            village_id.push(v.village_id.as_ref().map(Slug::as_str));
            kind.push(v.kind().as_str());
            device_id.push(v.device_id);
            device_seq.push(int(v.device_seq));
            captured.push(v.captured_at.with_timezone(&Utc));
            digest.push(p.digest.as_slice());
            content.push(serde_json::to_string(v)?);
            for ph in &v.photos {
                photo.push(ph.to_hex());
                photo_commune.push(v.commune_id.as_str());
            }
        }
        let inserted = tx.execute(
            "INSERT INTO versions (server_seq, version_id, entity_id, commune_id, village_id, kind, device_id, device_seq,
                                   captured_utc, digest, content, received_at)
             SELECT s, v, e, c, vi, k, d, ds, ca, dg, ct, $12
             FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::bigint[],
                         $9::timestamptz[], $10::bytea[], $11::text[]) AS t (s, v, e, c, vi, k, d, ds, ca, dg, ct)
             ON CONFLICT (version_id) DO NOTHING",
            &[
                &seq,
                &version_id,
                &entity_id,
                &commune_id,
                &village_id,
                &kind,
                &device_id,
                &device_seq,
                &captured,
                &digest,
                &content,
                &received_at,
            ],
        )?;
        if inserted as usize != planned.len() {
            // Another commune's push stored one of these version ids after this push looked
            // (only a hostile or broken client sends one version to two communes). Running the
            // push again finds it stored and answers duplicate or corrupt, as SQLite would.
            return Err(Fail::Retry(
                "a version of this push was stored concurrently by another push",
            ));
        }
        if !photo.is_empty() {
            tx.execute(
                "INSERT INTO version_photos (photo, commune_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                &[&photo, &photo_commune],
            )?;
        }
        Ok(())
    }
}

/// One CSV field for `COPY ... (FORMAT csv)`: quoted, or empty (NULL) for `None`.
fn csv_field(out: &mut String, value: Option<&str>) {
    if let Some(v) = value {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    }
}

fn csv_line(out: &mut String, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, *f);
    }
    out.push('\n');
}

fn copy_in(tx: &mut Transaction<'_>, sql: &str, data: &str) -> Result<(), ::postgres::Error> {
    use std::io::Write;
    let mut writer = tx.copy_in(sql)?;
    // A write error of the copy stream surfaces again, as a database error, from finish().
    let _ = writer.write_all(data.as_bytes());
    writer.finish()?;
    Ok(())
}

impl PostgresStorage {
    /// Loads prepared rows (see [`super::bulk`]) with `COPY`, in one transaction, for generators,
    /// benchmarks and imports into an empty store: the versions (and a `stored` outcome for each
    /// when `outcomes`), their facts, each commune's head and latest capture date, the devices'
    /// high-water marks, and the `server_seq` sequence moved past the loaded numbers. Checks
    /// nothing, like the SQLite loader.
    pub fn bulk_load(
        &self,
        rows: &super::bulk::Rows,
        outcomes: bool,
        high_water: &[(Uuid, u64)],
    ) -> StoreResult<()> {
        let mut versions = String::new();
        let mut outcome_lines = String::new();
        let mut heads: HashMap<&str, i64> = HashMap::new();
        for r in &rows.versions {
            let seq = r.server_seq.to_string();
            let device_seq = r.device_seq.to_string();
            let digest = format!("\\x{}", r.digest);
            csv_line(
                &mut versions,
                &[
                    Some(&seq),
                    Some(&r.version_id),
                    Some(&r.entity_id),
                    Some(&r.commune_id),
                    r.village_id.as_deref(),
                    Some(r.kind),
                    Some(&r.device_id),
                    Some(&device_seq),
                    Some(&r.captured_utc),
                    Some(&digest),
                    Some(&r.content),
                    Some(&r.received_at),
                ],
            );
            if outcomes {
                csv_line(
                    &mut outcome_lines,
                    &[
                        Some(&r.device_id),
                        Some(&device_seq),
                        Some(&r.version_id),
                        Some("stored"),
                    ],
                );
            }
            let head = heads.entry(r.commune_id.as_str()).or_insert(0);
            *head = (*head).max(r.server_seq);
        }
        let mut facts = String::new();
        for f in &rows.facts {
            csv_line(
                &mut facts,
                &[
                    Some(&f.commune_id),
                    Some(&f.entity_id),
                    Some(if f.in_conflict { "t" } else { "f" }),
                    f.fact.as_deref(),
                ],
            );
        }
        self.with_write_transaction(|tx| {
            copy_in(
                tx,
                "COPY versions (server_seq, version_id, entity_id, commune_id, village_id, kind, device_id, device_seq,
                                captured_utc, digest, content, received_at) FROM STDIN (FORMAT csv)",
                &versions,
            )?;
            if outcomes {
                copy_in(tx, "COPY push_outcomes (device_id, device_seq, version_id, status) FROM STDIN (FORMAT csv)", &outcome_lines)?;
            }
            copy_in(tx, "COPY entity_facts (commune_id, entity_id, in_conflict, fact) FROM STDIN (FORMAT csv)", &facts)?;
            for (commune, head) in &heads {
                let latest = rows.latest_capture.get(*commune).copied();
                tx.execute(
                    "UPDATE commune_sync SET server_head = GREATEST(server_head, $2),
                         latest_capture_date = GREATEST(latest_capture_date, $3) WHERE commune_id = $1",
                    &[commune, head, &latest],
                )?;
            }
            for (device, hw) in high_water {
                tx.execute("UPDATE devices SET high_water = $2 WHERE device_id = $1", &[device, &int(*hw)])?;
            }
            tx.execute("SELECT setval('server_seq', GREATEST((SELECT max(server_seq) FROM versions), 1))", &[])?;
            Ok(())
        })
    }

    /// The next `server_seq` a bulk load may use.
    pub fn next_server_seq(&self) -> StoreResult<i64> {
        self.read(|c| {
            Ok(
                c.query_one("SELECT COALESCE(max(server_seq), 0) + 1 FROM versions", &[])?
                    .get(0),
            )
        })
    }

    /// The database's size on disk, bytes.
    pub fn database_size(&self) -> StoreResult<u64> {
        self.read(|c| {
            Ok(
                c.query_one("SELECT pg_database_size(current_database())", &[])?
                    .get::<_, i64>(0) as u64,
            )
        })
    }
}

fn corrupt_reason(version_id: Uuid, known_seq: i64) -> String {
    format!(
        "corrupt: version_id {version_id} is already stored (server_seq {known_seq}) with different content; \
         versions are immutable, so save the change as a new version"
    )
}

impl Storage for PostgresStorage {
    fn create_commune(
        &self,
        commune: &Commune,
        responsibilities: &BTreeMap<String, String>,
    ) -> StoreResult<()> {
        let responsibilities = serde_json::to_string(responsibilities)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO communes (id, name, province, district, region, responsibilities, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (id) DO NOTHING",
                &[&commune.id.as_str(), &commune.name, &commune.province, &commune.district, &commune.region.code(), &responsibilities],
            )?;
            if n == 0 {
                return Err(StoreError::AlreadyExists(format!("commune {}", commune.id)).into());
            }
            tx.execute("INSERT INTO commune_sync (commune_id) VALUES ($1)", &[&commune.id.as_str()])?;
            for (i, v) in commune.villages.iter().enumerate() {
                tx.execute(
                    "INSERT INTO villages (commune_id, id, name, position) VALUES ($1, $2, $3, $4)",
                    &[&commune.id.as_str(), &v.id.as_str(), &v.name, &(i as i32)],
                )?;
            }
            mergers::put_identity(tx, commune)?;
            Ok(())
        })
    }

    fn commune_config(&self, id: &Slug) -> StoreResult<Option<CommuneConfig>> {
        self.read(|c| {
            // One snapshot for the commune and its villages, targets and quotas.
            let mut tx = snapshot(c)?;
            let out = Self::load_config(&mut tx, id)?;
            tx.commit()?;
            Ok(out)
        })
    }

    fn list_communes(&self) -> StoreResult<Vec<Commune>> {
        self.read(|c| {
            // Two queries however many communes there are: the national overview lists 3,321.
            let mut tx = snapshot(c)?;
            let mut villages: HashMap<String, Vec<Village>> = HashMap::new();
            for r in tx.query(
                "SELECT commune_id, id, name FROM villages ORDER BY commune_id, position",
                &[],
            )? {
                let village = Village {
                    id: parse_slug(r.get(1))?,
                    name: r.get(2),
                };
                villages.entry(r.get(0)).or_default().push(village);
            }
            let mut out = Vec::new();
            for r in tx.query(
                "SELECT id, name, province, district, region, code, valid_from, valid_until FROM communes ORDER BY id",
                &[],
            )? {
                let id: String = r.get(0);
                let region: String = r.get(4);
                out.push(Commune {
                    id: parse_slug(&id)?,
                    name: r.get(1),
                    province: r.get(2),
                    district: r.get(3),
                    region: region
                        .parse()
                        .map_err(|e| StoreError::Backend(format!("stored region: {e}")))?,
                    villages: villages.remove(&id).unwrap_or_default(),
                    code: r.get(5),
                    valid_from: r.get(6),
                    valid_until: r.get(7),
                });
            }
            tx.commit()?;
            Ok(out)
        })
    }

    fn put_commune_target(
        &self,
        commune: &Slug,
        indicator_id: &str,
        target: &TargetOverride,
    ) -> StoreResult<()> {
        let target =
            serde_json::to_string(target).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO commune_targets (commune_id, indicator_id, target, updated_at) VALUES ($1, $2, $3, now())
                 ON CONFLICT (commune_id, indicator_id) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
                &[&commune.as_str(), &indicator_id, &target],
            )?;
            Ok(())
        })
    }

    fn put_province_target(
        &self,
        province: &str,
        indicator_id: &str,
        target: &TargetOverride,
    ) -> StoreResult<()> {
        let target =
            serde_json::to_string(target).map_err(|e| StoreError::Backend(e.to_string()))?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO province_targets (province, indicator_id, target, updated_at) VALUES ($1, $2, $3, now())
                 ON CONFLICT (province, indicator_id) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
                &[&province, &indicator_id, &target],
            )?;
            Ok(())
        })
    }

    fn put_quota(&self, commune: &Slug, quota: &Quota) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO quotas (commune_id, village_id, measure, target, since) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (commune_id, village_id, measure) DO UPDATE SET target = excluded.target, since = excluded.since",
                &[&commune.as_str(), &quota.village_id.as_str(), &quota.measure.as_str(), &quota.target, &quota.since],
            )?;
            Ok(())
        })
    }

    fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        self.write(|tx| {
            if let Some(c) = &user.commune_id {
                if tx.query_opt("SELECT 1 FROM communes WHERE id = $1", &[&c.as_str()])?.is_none() {
                    return Err(StoreError::Invalid {
                        field: "commune_id".into(),
                        message: format!("commune {c} does not exist; create it first"),
                    }
                    .into());
                }
            }
            let row = tx.query_opt(
                "INSERT INTO users (username, password_hash, role, commune_id, province, district, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (username) DO NOTHING RETURNING id",
                &[&user.username, &user.password_hash, &role_str(user.role), &user.commune_id.as_ref().map(Slug::as_str), &user.province, &user.district],
            )?;
            let Some(row) = row else {
                return Err(StoreError::AlreadyExists(format!("user {}", user.username)).into());
            };
            Ok(User {
                id: row.get(0),
                username: user.username.clone(),
                password_hash: user.password_hash.clone(),
                role: user.role,
                commune_id: user.commune_id.clone(),
                province: user.province.clone(),
                district: user.district.clone(),
            })
        })
    }

    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.read(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
            Ok(c.query_opt(sql.as_str(), &[&username])?
                .as_ref()
                .map(user_of)
                .transpose()?)
        })
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
            Ok(c.query(sql.as_str(), &[])?
                .iter()
                .map(user_of)
                .collect::<StoreResult<_>>()?)
        })
    }

    fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            let Some(row) = tx.query_opt(
                "UPDATE users SET password_hash = $1 WHERE username = $2 RETURNING id",
                &[&password_hash, &username],
            )?
            else {
                return Err(StoreError::NotFound(format!("user {username}")).into());
            };
            // A new password ends every session of the old one.
            tx.execute(
                "DELETE FROM sessions WHERE user_id = $1",
                &[&row.get::<_, i64>(0)],
            )?;
            Ok(())
        })
    }

    fn count_users(&self) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.query_one("SELECT count(*) FROM users", &[])?
                .get::<_, i64>(0) as u64)
        })
    }

    fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE expires_at < now()", &[])?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                &[&token_hash, &user_id, &expires_at],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT u.id, u.username, u.password_hash, u.role, u.commune_id, u.province, u.district
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
                &[&token_hash, &now],
            )?
            .as_ref()
            .map(user_of)
            .transpose()?)
        })
    }

    fn create_enrollment(&self, e: &NewEnrollment) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO enrollments (code_hash, commune_id, role, holder, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&e.code_hash, &e.commune_id.as_str(), &role_str(e.role), &e.holder, &e.expires_at, &e.created_by],
            )
            .map_err(|err| {
                if is_unique_violation(&err) {
                    Fail::Store(StoreError::AlreadyExists("enrollment code".into()))
                } else {
                    Fail::Db(err)
                }
            })?;
            Ok(())
        })
    }

    fn redeem_enrollment(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
        d: &NewDevice,
    ) -> StoreResult<Result<Device, RedeemRefusal>> {
        self.write(|tx| {
            // The row lock makes the code single-use across servers: a second redemption waits,
            // then sees it used.
            let Some(row) = tx.query_opt(
                "SELECT commune_id, role, holder, expires_at, used_at, attempt_id, device_id
                 FROM enrollments WHERE code_hash = $1 FOR UPDATE",
                &[&code_hash],
            )?
            else {
                return Ok(Err(RedeemRefusal::Unknown));
            };
            if row.get::<_, Option<DateTime<Utc>>>(4).is_some() {
                // The same attempt again (its answer was lost): the same device, a fresh token.
                let recorded: Option<Uuid> = row.get(5);
                let device: Option<Uuid> = row.get(6);
                if let (Some(given), Some(recorded), Some(device)) = (d.attempt_id, recorded, device) {
                    if given == recorded
                        && tx.execute(
                            "UPDATE devices SET token_hash = $1 WHERE device_id = $2 AND revoked_at IS NULL",
                            &[&d.token_hash, &device],
                        )? == 1
                    {
                        let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
                        if let Some(row) = tx.query_opt(sql.as_str(), &[&device])? {
                            return Ok(Ok(device_of(&row)?));
                        }
                    }
                }
                return Ok(Err(RedeemRefusal::AlreadyUsed));
            }
            if row.get::<_, DateTime<Utc>>(3) <= now {
                return Ok(Err(RedeemRefusal::Expired));
            }
            let commune: String = row.get(0);
            let role: String = row.get(1);
            let holder: Option<String> = row.get(2);
            tx.execute(
                "UPDATE enrollments SET used_at = $1, device_id = $2, attempt_id = $4 WHERE code_hash = $3",
                &[&now, &d.device_id, &code_hash, &d.attempt_id],
            )?;
            tx.execute(
                "INSERT INTO devices (device_id, token_hash, commune_id, role, name, platform, holder, enrolled_at, high_water)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0)",
                &[&d.device_id, &d.token_hash, &commune, &role, &d.name, &d.platform, &holder, &now],
            )?;
            Ok(Ok(Device {
                device_id: d.device_id,
                commune_id: parse_slug(&commune)?,
                role: parse_role(&role)?,
                name: d.name.clone(),
                platform: d.platform.clone(),
                holder,
                enrolled_at: now,
                revoked_at: None,
                high_water: 0,
            }))
        })
    }

    fn device_by_token(&self, token_hash: &str) -> StoreResult<Option<Device>> {
        self.query_device("token_hash = $1", &token_hash)
    }

    fn reidentify_device(
        &self,
        old: Uuid,
        d: &NewDevice,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Device>> {
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO devices (device_id, token_hash, commune_id, role, name, platform, holder, enrolled_at,
                    high_water, replaces)
                 SELECT $1, $2, commune_id, role, name, platform, holder, $3, 0, device_id
                 FROM devices WHERE device_id = $4 AND revoked_at IS NULL",
                &[&d.device_id, &d.token_hash, &now, &old],
            )?;
            if n == 0 {
                return Ok(None);
            }
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE device_id = $1");
            Ok(tx
                .query_opt(sql.as_str(), &[&d.device_id])?
                .as_ref()
                .map(device_of)
                .transpose()?)
        })
    }

    fn device(&self, device_id: Uuid) -> StoreResult<Option<Device>> {
        self.query_device("device_id = $1", &device_id)
    }

    fn list_devices(&self, commune: &Slug) -> StoreResult<Vec<Device>> {
        self.read(|c| {
            let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE commune_id = $1 ORDER BY enrolled_at, device_id");
            Ok(c.query(sql.as_str(), &[&commune.as_str()])?.iter().map(device_of).collect::<StoreResult<_>>()?)
        })
    }

    fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1) WHERE device_id = $2",
                &[&now, &device_id],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device {device_id}")).into());
            }
            Ok(())
        })
    }

    fn move_device(&self, device_id: Uuid, from: &Slug, to: &Slug) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE devices SET commune_id = $1 WHERE device_id = $2 AND commune_id = $3",
                &[&to.as_str(), &device_id, &from.as_str()],
            )?;
            Ok(())
        })
    }

    fn ensure_seed_device(
        &self,
        device_id: Uuid,
        commune: &Slug,
        name: &str,
    ) -> StoreResult<Device> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO devices (device_id, token_hash, commune_id, role, name, platform, enrolled_at, high_water)
                 VALUES ($1, $2, $3, 'officer', $4, 'server', now(), 0) ON CONFLICT (device_id) DO NOTHING",
                // Not a SHA-256 hex digest, so no bearer token can ever match it.
                &[&device_id, &format!("seed:{device_id}"), &commune.as_str(), &name],
            )?;
            Ok(())
        })?;
        self.device(device_id)?
            .ok_or_else(|| StoreError::NotFound(format!("device {device_id}")))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(device = %batch.device_id, first_seq = batch.first_seq, n = batch.items.len()))]
    fn store_versions(&self, batch: &PushBatch) -> StoreResult<PushOutcome> {
        self.write(|tx| self.store_in(tx, batch))
    }

    fn versions_after(
        &self,
        communes: &[Slug],
        cursor: u64,
        limit: usize,
    ) -> StoreResult<VersionPage> {
        let communes: Vec<&str> = communes.iter().map(Slug::as_str).collect();
        self.read(|c| {
            // One statement, one snapshot: a prefix of the communes' log (see the module doc:
            // a push to an old commune also locks the counter of the commune it was merged into).
            // One commune (nearly always) reads its index in order.
            let page = if communes.len() == 1 {
                "SELECT server_seq, content FROM versions WHERE commune_id = ($1::text[])[1] AND server_seq > $2 ORDER BY server_seq LIMIT $3"
            } else {
                "SELECT server_seq, content FROM versions WHERE commune_id = ANY($1) AND server_seq > $2 ORDER BY server_seq LIMIT $3"
            };
            let rows = c.query(
                &sized_page(page, 4),
                &[&communes, &int(cursor), &(int(limit as u64).saturating_add(1)), &(PAGE_BYTES as i64)],
            )?;
            let (versions, more) = take_page(&rows, limit)?;
            Ok(VersionPage {
                up_to_date: !more,
                next_cursor: versions.last().and_then(|v| v.server_seq).unwrap_or(cursor),
                versions,
            })
        })
    }

    fn device_status(&self, device_id: Uuid) -> StoreResult<Option<(u64, u64)>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT d.high_water, COALESCE(s.server_head, 0) FROM devices d
                 LEFT JOIN commune_sync s ON s.commune_id = d.commune_id WHERE d.device_id = $1",
                &[&device_id],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64)))
        })
    }

    fn server_head(&self, commune: &Slug) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT server_head FROM commune_sync WHERE commune_id = $1",
                &[&commune.as_str()],
            )?
            .map_or(0, |r| r.get::<_, i64>(0) as u64))
        })
    }

    fn versions_held(&self, commune: &Slug, ids: &[Uuid]) -> StoreResult<BTreeSet<Uuid>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT version_id FROM versions WHERE version_id = ANY($1) AND commune_id = $2",
                &[&ids, &commune.as_str()],
            )?
            .iter()
            .map(|r| r.get::<_, Uuid>(0))
            .collect())
        })
    }

    fn list_records(
        &self,
        commune: &Slug,
        f: &RecordFilter,
    ) -> StoreResult<(Vec<Version>, Option<u64>)> {
        self.read(|c| {
            let mut sql = String::from("SELECT server_seq, content FROM versions WHERE commune_id = $1 AND server_seq > $2");
            let mut args: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(commune.as_str().to_owned()), Box::new(int(f.cursor))];
            if let Some(k) = f.kind {
                args.push(Box::new(k.as_str()));
                sql.push_str(&format!(" AND kind = ${}", args.len()));
            }
            if let Some(v) = &f.village_id {
                args.push(Box::new(v.as_str().to_owned()));
                sql.push_str(&format!(" AND village_id = ${}", args.len()));
            }
            if let Some(t) = f.since {
                args.push(Box::new(t));
                sql.push_str(&format!(" AND captured_utc >= ${}", args.len()));
            }
            if let Some(t) = f.until {
                args.push(Box::new(t));
                sql.push_str(&format!(" AND captured_utc < ${}", args.len()));
            }
            args.push(Box::new(int(f.limit as u64).saturating_add(1)));
            sql.push_str(&format!(" ORDER BY server_seq LIMIT ${}", args.len()));
            args.push(Box::new(PAGE_BYTES as i64));
            let sql = sized_page(&sql, args.len());
            let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
            let rows = c.query(sql.as_str(), &params)?;
            let (out, more) = take_page(&rows, f.limit)?;
            let last = out.last().and_then(|v| v.server_seq).unwrap_or(f.cursor);
            Ok((out, more.then_some(last)))
        })
    }

    fn commune_versions(&self, commune: &Slug) -> StoreResult<Vec<Version>> {
        self.read(|c| Self::load_versions(c, commune))
    }

    fn entity_versions(&self, commune: &Slug, entity: Uuid) -> StoreResult<Vec<Version>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT server_seq, content FROM versions WHERE commune_id = $1 AND entity_id = $2 ORDER BY server_seq",
                &[&commune.as_str(), &entity],
            )?
            .iter()
            .map(|r| {
                let mut v = parse_version(r.get(1))?;
                v.server_seq = Some(r.get::<_, i64>(0) as u64);
                Ok(v)
            })
            .collect::<StoreResult<Vec<_>>>()?)
        })
    }

    fn for_each_entity(
        &self,
        commune: &Slug,
        entities: usize,
        visit: &mut dyn FnMut(&[Version]) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut after: Option<Uuid> = None;
        loop {
            let page = self.read(|c| {
                // One statement, one snapshot: the next `entities` entities and all their versions.
                let rows = c.query(
                    // Whole entities, within `PAGE_BYTES` of content (at least the first).
                    "WITH sized AS (SELECT entity_id, SUM(octet_length(content)) AS bytes FROM versions
                                    WHERE commune_id = $1 AND ($2::uuid IS NULL OR entity_id > $2)
                                    GROUP BY entity_id ORDER BY entity_id LIMIT $3),
                          page AS (SELECT entity_id FROM (
                                    SELECT entity_id, (SUM(bytes) OVER (ORDER BY entity_id))::bigint AS upto,
                                           ROW_NUMBER() OVER (ORDER BY entity_id) AS n FROM sized) s
                                   WHERE n = 1 OR upto <= $4::bigint)
                     SELECT v.entity_id, v.server_seq, v.content FROM versions v JOIN page USING (entity_id)
                     WHERE v.commune_id = $1 ORDER BY v.entity_id, v.server_seq",
                    &[&commune.as_str(), &after, &int(entities.max(1) as u64), &(PAGE_BYTES as i64)],
                )?;
                let mut last = None;
                let mut versions = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut v = parse_version(r.get(2))?;
                    v.server_seq = Some(r.get::<_, i64>(1) as u64);
                    versions.push(v);
                    last = Some(r.get::<_, Uuid>(0));
                }
                Ok(last.map(|last| (last, versions)))
            })?;
            let Some((last, versions)) = page else {
                return Ok(());
            };
            visit(&versions)?;
            after = Some(last);
        }
    }

    fn figures_stamps(&self) -> StoreResult<FiguresStamps> {
        self.read(|c| {
            let mut tx = snapshot(c)?;
            let config: i64 = tx
                .query_one("SELECT generation FROM config_generation WHERE id = 1", &[])?
                .get(0);
            let mut communes = HashMap::new();
            for r in tx.query(
                "SELECT commune_id, server_head, facts_generation FROM commune_sync",
                &[],
            )? {
                let stamp = (r.get::<_, i64>(1) as u64, r.get::<_, i64>(2) as u64);
                communes.insert(parse_slug(r.get(0))?, stamp);
            }
            tx.commit()?;
            Ok(FiguresStamps { config, communes })
        })
    }

    fn commune_facts(&self, commune: &Slug) -> StoreResult<FactsSnapshot> {
        self.read(|c| {
            // One snapshot, so the facts and the date are of the same moment.
            let mut tx = snapshot(c)?;
            let Some(sync) = tx.query_opt(
                "SELECT server_head, facts_generation, latest_capture_date FROM commune_sync WHERE commune_id = $1",
                &[&commune.as_str()],
            )?
            else {
                return Ok(FactsSnapshot { facts: CommuneFacts::from_entity_facts(Vec::new()), latest_capture: None });
            };
            let (head, generation): (i64, i64) = (sync.get(0), sync.get(1));
            let latest: Option<NaiveDate> = sync.get(2);
            if let Some((h, g, snap)) = self.cached_facts().get(commune) {
                if (*h, *g) == (head, generation) {
                    return Ok(FactsSnapshot::clone(snap));
                }
            }
            let mut conflicts = 0usize;
            let mut facts = Vec::new();
            for r in tx.query(
                "SELECT in_conflict, fact FROM entity_facts WHERE commune_id = $1",
                &[&commune.as_str()],
            )? {
                if r.get::<_, bool>(0) {
                    conflicts += 1;
                }
                if let Some(text) = r.get::<_, Option<&str>>(1) {
                    facts.push(serde_json::from_str::<EntityFact>(text)?);
                }
            }
            tx.commit()?;
            let mut facts = CommuneFacts::from_entity_facts(facts);
            facts.conflicts = conflicts;
            let snap = FactsSnapshot { facts, latest_capture: latest };
            let mut cached = self.cached_facts();
            if cached.len() > 1000 {
                cached.clear();
            }
            cached.insert(commune.clone(), (head, generation, std::sync::Arc::new(snap.clone())));
            Ok(snap)
        })
    }

    #[tracing::instrument(level = "info", skip(self))]
    fn recompute(&self, commune: &Slug) -> StoreResult<RecomputeReport> {
        self.write(|tx| {
            // No push of this commune changes its versions or facts until this commits.
            tx.query_opt("SELECT 1 FROM commune_sync WHERE commune_id = $1 FOR UPDATE", &[&commune.as_str()])?;
            let versions = Self::load_versions(tx, commune)?;
            let expected = self.facts_from_versions(commune, &versions);
            let stored = Self::stored_facts(tx, commune)?;
            let mut differences = expected.iter().filter(|(id, e)| stored.get(id) != Some(e)).count();
            differences += stored.keys().filter(|id| !expected.contains_key(id)).count();
            // The scorecard's input as the phone would derive it, against the incremental one.
            let far = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
            let from_core = CommuneFacts::from_versions(commune, &versions, far, &self.filter);
            let mut incremental = CommuneFacts::from_entity_facts(stored.values().filter_map(|(_, f)| f.clone()));
            incremental.conflicts = stored.values().filter(|(c, _)| *c).count();
            let agreed = differences == 0 && from_core == incremental;
            if !agreed {
                tracing::warn!(%commune, differences, "incremental facts differed from a recompute; rewriting them");
                tx.execute("DELETE FROM entity_facts WHERE commune_id = $1", &[&commune.as_str()])?;
                let (mut ids, mut conflicts, mut facts) = (Vec::new(), Vec::new(), Vec::new());
                for (id, (conflict, fact)) in &expected {
                    ids.push(*id);
                    conflicts.push(*conflict);
                    facts.push(fact.as_ref().map(serde_json::to_string).transpose()?);
                }
                tx.execute(
                    "INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact)
                     SELECT $1, * FROM unnest($2::uuid[], $3::boolean[], $4::text[])",
                    &[&commune.as_str(), &ids, &conflicts, &facts],
                )?;
            }
            let latest = latest_capture(tx, commune, &versions)?;
            tx.execute(
                "UPDATE commune_sync SET latest_capture_date = $1, facts_generation = facts_generation + 1 WHERE commune_id = $2",
                &[&latest, &commune.as_str()],
            )?;
            Ok(RecomputeReport { commune_id: commune.clone(), versions: versions.len(), entities: expected.len(), differences, agreed })
        })
    }

    fn photo_exists(&self, photo: &PhotoId) -> StoreResult<Option<(u64, String)>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT length, content_type FROM photos WHERE sha256 = $1",
                &[&photo.to_hex()],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
        })
    }

    fn photo_communes(&self, photo: &PhotoId) -> StoreResult<Vec<Slug>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT commune_id FROM version_photos WHERE photo = $1 ORDER BY commune_id",
                &[&photo.to_hex()],
            )?
            .iter()
            .map(|r| parse_slug(r.get(0)))
            .collect::<StoreResult<_>>()?)
        })
    }

    fn insert_photo(
        &self,
        photo: &PhotoId,
        length: u64,
        content_type: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO photos (sha256, length, content_type, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&photo.to_hex(), &int(length), &content_type, &now],
            )?;
            Ok(())
        })
    }

    fn create_upload(&self, u: &Upload) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO uploads (id, sha256, length, upload_offset, content_type, owner, expires_at, completed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&u.id, &u.sha256.to_hex(), &int(u.length), &int(u.offset), &u.content_type, &u.owner, &u.expires_at, &u.completed],
            )?;
            Ok(())
        })
    }

    fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>> {
        self.read(|c| {
            let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE id = $1");
            Ok(c.query_opt(sql.as_str(), &[&id])?
                .as_ref()
                .map(upload_of)
                .transpose()?)
        })
    }

    fn set_upload_offset(
        &self,
        id: Uuid,
        offset: u64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE uploads SET upload_offset = $1, expires_at = $2 WHERE id = $3",
                &[&int(offset), &expires_at, &id],
            )?;
            Ok(())
        })
    }

    fn complete_upload(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO photos (sha256, length, content_type, created_at)
                 SELECT sha256, length, content_type, $2 FROM uploads WHERE id = $1
                 ON CONFLICT DO NOTHING",
                &[&id, &now],
            )?;
            tx.execute(
                "UPDATE uploads SET completed = true, upload_offset = length WHERE id = $1",
                &[&id],
            )?;
            Ok(())
        })
    }

    fn delete_upload(&self, id: Uuid) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM uploads WHERE id = $1", &[&id])?;
            Ok(())
        })
    }

    fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        self.read(|c| {
            Ok(
                c.query("SELECT id FROM uploads WHERE expires_at < $1", &[&now])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
            )
        })
    }

    fn unfinished_uploads(&self) -> StoreResult<Vec<Upload>> {
        self.read(|c| {
            let sql = format!("SELECT {UPLOAD_COLUMNS} FROM uploads WHERE NOT completed");
            Ok(c.query(sql.as_str(), &[])?
                .iter()
                .map(upload_of)
                .collect::<StoreResult<_>>()?)
        })
    }

    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])?;
            Ok(())
        })
    }

    fn put_responsibility(&self, commune: &Slug, key: &str, people: &str) -> StoreResult<()> {
        self.write(|tx| {
            // The row lock keeps two servers' edits of different keys from losing one another.
            let Some(row) = tx.query_opt(
                "SELECT responsibilities FROM communes WHERE id = $1 FOR UPDATE",
                &[&commune.as_str()],
            )?
            else {
                return Err(StoreError::NotFound(format!("commune {commune}")).into());
            };
            let mut map: BTreeMap<String, String> = serde_json::from_str(row.get(0))?;
            if people.trim().is_empty() {
                map.remove(key);
            } else {
                map.insert(key.to_owned(), people.trim().to_owned());
            }
            tx.execute(
                "UPDATE communes SET responsibilities = $1 WHERE id = $2",
                &[&serde_json::to_string(&map)?, &commune.as_str()],
            )?;
            Ok(())
        })
    }

    fn delete_commune_target(&self, commune: &Slug, indicator_id: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM commune_targets WHERE commune_id = $1 AND indicator_id = $2",
                &[&commune.as_str(), &indicator_id],
            )?;
            Ok(())
        })
    }

    fn put_village(&self, commune: &Slug, village: &Village) -> StoreResult<()> {
        self.write(|tx| {
            // Locks the commune, so two servers adding villages at once give them distinct positions.
            if tx.query_opt("SELECT 1 FROM communes WHERE id = $1 FOR NO KEY UPDATE", &[&commune.as_str()])?.is_none() {
                return Err(StoreError::NotFound(format!("commune {commune}")).into());
            }
            let renamed = tx.execute(
                "UPDATE villages SET name = $1 WHERE commune_id = $2 AND id = $3",
                &[&village.name, &commune.as_str(), &village.id.as_str()],
            )?;
            if renamed == 0 {
                tx.execute(
                    "INSERT INTO villages (commune_id, id, name, position)
                     VALUES ($1, $2, $3, (SELECT COALESCE(MAX(position), -1) + 1 FROM villages WHERE commune_id = $1))",
                    &[&commune.as_str(), &village.id.as_str(), &village.name],
                )?;
            }
            Ok(())
        })
    }

    fn odk_submission(&self, instance_id: &str) -> StoreResult<Option<super::odk::Submission>> {
        self.read(|c| odk::submission(c, instance_id))
    }

    fn receive_odk_submission(
        &self,
        post: &super::odk::SubmissionPost,
    ) -> StoreResult<super::odk::SubmissionOutcome> {
        outside_runtime(|| {
            self.submissions
                .submit(&post.commune_id, post.clone(), |posts| {
                    self.receive_submissions_together(posts)
                })
        })
    }

    fn odk_forms_off(&self, commune: &Slug) -> StoreResult<BTreeSet<String>> {
        self.read(|c| odk::forms_off(c, commune))
    }

    fn set_odk_form(&self, commune: &Slug, form_id: &str, on: bool) -> StoreResult<()> {
        self.write(|tx| odk::set_form(tx, commune, form_id, on))
    }

    fn put_edition_settings(
        &self,
        commune: &Slug,
        settings: &ntm_field::catalog::edition::EditionSettings,
    ) -> StoreResult<()> {
        self.write(|tx| editions::put_settings(tx, commune, settings))
    }

    fn put_province_set(
        &self,
        set: &ntm_field::catalog::province::ProvinceSet,
        loaded_by: &str,
    ) -> StoreResult<()> {
        self.write(|tx| editions::put_set(tx, set, loaded_by))
    }

    fn mergers(&self) -> StoreResult<Vec<ntm_field::merger::Merger>> {
        self.read(mergers::mergers)
    }

    fn record_merger(
        &self,
        merger: &ntm_field::merger::Merger,
        recorded_by: &str,
    ) -> StoreResult<()> {
        self.write(|tx| mergers::record(tx, merger, recorded_by))
    }
}

/// A throwaway database for tests and benchmarks: created empty under a unique name on the
/// PostgreSQL server of `server_url`, dropped (with any connection still open) when dropped.
/// `./dev test` starts such a server and exports its URL as `NTM_TEST_POSTGRES_URL`.
pub struct ScratchDatabase {
    server_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

/// The variable that names the PostgreSQL server of the tests and benchmarks.
pub const TEST_SERVER_VAR: &str = "NTM_TEST_POSTGRES_URL";

/// `url` with its database name replaced by `database`.
pub fn url_with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs `f` with a connection to `url` on a thread of its own: the synchronous client runs its
/// own small runtime, which must not start inside an async test's runtime thread.
fn on_own_thread<T: Send + 'static>(
    url: &str,
    f: impl FnOnce(&mut Client) -> Result<T, ::postgres::Error> + Send + 'static,
) -> StoreResult<T> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut client = Client::connect(&url, NoTls)
            .map_err(|e| StoreError::Backend(format!("cannot connect to {url}: {e}")))?;
        f(&mut client).map_err(|e| db_error(&e))
    })
    .join()
    .map_err(|_| StoreError::Backend("the database thread panicked".into()))?
}

impl ScratchDatabase {
    /// Creates a new empty database on the server at `server_url` (a role that may create
    /// databases).
    pub fn create(server_url: &str) -> StoreResult<Self> {
        let name = format!("ntm_scratch_{}", Uuid::now_v7().simple());
        let sql = format!("CREATE DATABASE {name}");
        on_own_thread(server_url, move |c| c.batch_execute(&sql))?;
        Ok(ScratchDatabase {
            server_url: server_url.to_owned(),
            url: url_with_database(server_url, &name),
            name,
        })
    }

    /// A copy of this database as it is now, under a new name (last night's backup, for tests
    /// of a restored server). Nothing may be connected to it meanwhile: stop its servers first;
    /// sessions still closing are ended.
    pub fn backup(&self) -> StoreResult<Self> {
        let name = format!("ntm_backup_{}", Uuid::now_v7().simple());
        let (source, copy) = (self.name.clone(), name.clone());
        on_own_thread(&self.server_url, move |c| {
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&source],
            )?;
            c.batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {source}"))
        })?;
        Ok(ScratchDatabase {
            server_url: self.server_url.clone(),
            url: url_with_database(&self.server_url, &name),
            name,
        })
    }

    /// Replaces this database's content with `backup`'s (its servers stopped): dropped and
    /// created again from the copy, under the same name and URL.
    pub fn restore_from(&self, backup: &ScratchDatabase) -> StoreResult<()> {
        let (name, copy) = (self.name.clone(), backup.name.clone());
        on_own_thread(&self.server_url, move |c| {
            // Two statements, not one batch: a batch is one transaction, which DROP refuses.
            c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
            c.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {copy}"))
        })
    }

    /// A new database on the server named by `NTM_TEST_POSTGRES_URL`; panics with what to do
    /// when it is not set, so that a PostgreSQL test can never pass without PostgreSQL.
    pub fn for_tests() -> Self {
        let server = std::env::var(TEST_SERVER_VAR).unwrap_or_else(|_| {
            panic!("{TEST_SERVER_VAR} is not set: run the tests with `./dev test`, or start a server with `./dev postgres` and export the URL it prints")
        });
        Self::create(&server)
            .unwrap_or_else(|e| panic!("cannot create a scratch database on {server}: {e}"))
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = on_own_thread(&self.server_url, move |c| c.batch_execute(&sql)) {
            eprintln!("could not drop the scratch database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod url_tests {
    #[test]
    fn a_database_name_replaces_the_one_in_the_url() {
        use super::url_with_database as w;
        assert_eq!(
            w("postgres://postgres@127.0.0.1:5433/postgres", "x"),
            "postgres://postgres@127.0.0.1:5433/x"
        );
        assert_eq!(w("postgres://u:p@h:1", "x"), "postgres://u:p@h:1/x");
        assert_eq!(
            w("postgresql://u@h/db?sslmode=disable", "x"),
            "postgresql://u@h/x?sslmode=disable"
        );
    }
}
