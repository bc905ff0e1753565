//! [`Storage`] on SQLite: WAL, `synchronous = FULL` (an acknowledged push survives a power cut),
//! one writer connection and a small pool of readers, migrations by `rusqlite_migration`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};
use ntm_field::admin::{Commune, Village};
use ntm_field::catalog::TargetOverride;
use ntm_field::config::{CommuneConfig, Quota};
use ntm_field::geo::TrackFilter;
use ntm_field::heads::entity_heads;
use ntm_field::ids::{PhotoId, Slug};
use ntm_field::protocol::{PushResponse, PushResult, PushStatus};
use ntm_field::record::{Kind, Version};
use ntm_field::scorecard::{CommuneFacts, EntityFact};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use rusqlite_migration::{Migrations, M};
use uuid::Uuid;

use super::columns::*;
use super::*;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Backend(format!("stored JSON: {e}"))
    }
}

mod editions;
mod mergers;
mod odk;

const READERS: usize = 16;

/// A `users` row: id, name, password hash, role, and the scope's commune, province and district.
type UserRow = (i64, String, String, String, [Option<String>; 3]);

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_version_flags.sql")),
        M::up(include_str!("../../migrations/0003_user_district.sql")),
        M::up(include_str!("../../migrations/0004_odk_submissions.sql")),
        M::up(include_str!("../../migrations/0005_identity_lifecycle.sql")),
        M::up(include_str!("../../migrations/0009_editions.sql")),
        M::up(include_str!("../../migrations/0010_mergers.sql")),
        M::up(include_str!("../../migrations/0011_config_generation.sql")),
    ])
}

/// Times as stored: RFC 3339 in UTC with microseconds, so text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Backend(format!("stored time {s:?}: {e}")))
}

fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Backend(format!("stored uuid {s:?}: {e}")))
}

/// Maps `f` over chunks of `items` on the machine's cores (a whole commune's versions are
/// thousands of JSON documents to read), keeping the order.
fn parallel_chunks<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> StoreResult<R> + Sync,
) -> StoreResult<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads == 1 || items.len() < 1000 {
        return Ok(vec![f(items)?]);
    }
    let size = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(|| f(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StoreError::Backend("a reading thread panicked".into()))
                })
            })
            .collect()
    })
}

/// A stored version: its content with `server_seq` and `flags` from their columns.
fn row_version(server_seq: i64, content: &str, flags: Option<&str>) -> StoreResult<Version> {
    let mut v = parse_version(content)?;
    v.server_seq = Some(server_seq as u64);
    if let Some(f) = flags {
        v.flags = serde_json::from_str(f)?;
    }
    Ok(v)
}

/// The SQLite storage of one data directory's `ntm.sqlite3`.
pub struct SqliteStorage {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    filter: TrackFilter,
    /// The last facts read per commune, with the commune's `server_head` and the facts
    /// generation they were read at: facts only change when versions are stored (the head
    /// moves) or a recompute rewrites them (the generation moves), so a scorecard need not
    /// re-read thousands of rows while nothing changed. Valid with several servers on one
    /// database too, since the head is read from the database on every call.
    facts_cache: Mutex<FactsCache>,
    facts_generation: AtomicU64,
    /// Held by an OpenRosa submission from reading its device's next sequence number until its
    /// versions are stored (`odk.rs`): one SQLite file has one server process.
    odk_submissions: Mutex<()>,
}

/// Per commune: the head and generation the facts were read at, and the facts.
type FactsCache = HashMap<Slug, (i64, u64, Arc<FactsSnapshot>)>;

/// An `uploads` row: id, sha256, length, offset, content type, owner, expiry, completed.
type UploadRow = (String, String, i64, i64, String, String, String, i64);

fn open_connection(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves SQLite's own state consistent (the transaction is
    // rolled back when dropped), so the connection may be used again.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SqliteStorage {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut writer = open_connection(path)?;
        migrations()
            .to_latest(&mut writer)
            .map_err(|e| StoreError::Backend(format!("migrating {}: {e}", path.display())))?;
        Ok(SqliteStorage {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            filter: TrackFilter::default(),
            facts_cache: Mutex::new(HashMap::new()),
            facts_generation: AtomicU64::new(0),
            odk_submissions: Mutex::new(()),
        })
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = lock(&self.readers).pop();
        let conn = match conn {
            Some(c) => c,
            None => open_connection(&self.path)?,
        };
        let out = f(&conn);
        let mut pool = lock(&self.readers);
        if pool.len() < READERS {
            pool.push(conn);
        }
        out
    }

    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the writer connection inside one transaction (benchmarks and seeding use it
    /// to write straight into the schema).
    pub fn with_write_transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.write(f)
    }

    /// Recomputes and stores the facts of one entity from all its versions (`extra` is a
    /// version just inserted in this transaction, passed to avoid reading it back).
    fn refresh_entity(
        &self,
        tx: &rusqlite::Transaction,
        commune: &Slug,
        entity: Uuid,
        extra: &Version,
    ) -> StoreResult<()> {
        let mut stmt =
            tx.prepare_cached("SELECT content FROM versions WHERE commune_id = ?1 AND entity_id = ?2 AND version_id <> ?3")?;
        let others = stmt
            .query_map(
                params![
                    commune.as_str(),
                    entity.to_string(),
                    extra.version_id.to_string()
                ],
                |r| r.get::<_, String>(0),
            )?
            .map(|c| parse_version(&c?))
            .collect::<StoreResult<Vec<Version>>>()?;
        let heads = entity_heads(others.iter().chain(std::iter::once(extra)));
        match heads.get(&entity) {
            Some(h) => {
                let fact = EntityFact::of(entity, h, &self.filter)
                    .map(|f| serde_json::to_string(&f))
                    .transpose()?;
                tx.prepare_cached(
                    "INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (commune_id, entity_id) DO UPDATE SET in_conflict = excluded.in_conflict, fact = excluded.fact",
                )?
                .execute(params![commune.as_str(), entity.to_string(), h.in_conflict() as i64, fact])?;
            }
            None => {
                tx.prepare_cached(
                    "DELETE FROM entity_facts WHERE commune_id = ?1 AND entity_id = ?2",
                )?
                .execute(params![commune.as_str(), entity.to_string()])?;
            }
        }
        Ok(())
    }

    fn load_config(conn: &Connection, id: &Slug) -> StoreResult<Option<CommuneConfig>> {
        let row = conn
            .query_row(
                "SELECT name, province, district, region, responsibilities FROM communes WHERE id = ?1",
                params![id.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((name, province, district, region, responsibilities)) = row else {
            return Ok(None);
        };
        let villages = conn
            .prepare_cached(
                "SELECT id, name FROM villages WHERE commune_id = ?1 ORDER BY position",
            )?
            .query_map(params![id.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .map(|row| {
                let (vid, vname) = row?;
                Ok(Village {
                    id: parse_slug(&vid)?,
                    name: vname,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let targets = |sql: &str, key: &str| -> StoreResult<BTreeMap<String, TargetOverride>> {
            conn.prepare_cached(sql)?
                .query_map(params![key], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })?
                .map(|row| {
                    let (ind, json) = row?;
                    Ok((ind, serde_json::from_str(&json)?))
                })
                .collect()
        };
        let commune_targets = targets(
            "SELECT indicator_id, target FROM commune_targets WHERE commune_id = ?1",
            id.as_str(),
        )?;
        let province_targets = targets(
            "SELECT indicator_id, target FROM province_targets WHERE province = ?1",
            &province,
        )?;
        let quotas = conn
            .prepare_cached(
                "SELECT village_id, measure, target, since FROM quotas WHERE commune_id = ?1 ORDER BY measure, village_id",
            )?
            .query_map(params![id.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, f64>(2)?, r.get::<_, String>(3)?))
            })?
            .map(|row| {
                let (village, measure, target, since) = row?;
                Ok(Quota {
                    measure: serde_json::from_value(serde_json::Value::String(measure))?,
                    village_id: parse_slug(&village)?,
                    target,
                    since: since.parse().map_err(|e| StoreError::Backend(format!("stored date: {e}")))?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let mut commune = Commune {
            id: id.clone(),
            name,
            province,
            district,
            region: region
                .parse()
                .map_err(|e| StoreError::Backend(format!("stored region: {e}")))?,
            villages,
            code: None,
            valid_from: None,
            valid_until: None,
        };
        mergers::identity(conn, &mut commune)?;
        let edition_settings = editions::settings(conn, id)?;
        let province_sets = editions::sets(conn, &commune.province)?;
        Ok(Some(CommuneConfig {
            commune,
            province_targets,
            commune_targets,
            quotas,
            responsibilities: serde_json::from_str(&responsibilities)?,
            editions: edition_settings,
            province_sets,
            merged_from: mergers::merged_from(conn, id)?,
        }))
    }

    /// The columns [`Self::user_from_row`] reads, in its order.
    const USER_COLUMNS: &'static str =
        "id, username, password_hash, role, commune_id, province, district";

    fn user_from_row(r: &rusqlite::Row) -> rusqlite::Result<UserRow> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            [r.get(4)?, r.get(5)?, r.get(6)?],
        ))
    }

    fn user_of(row: UserRow) -> StoreResult<User> {
        let (id, username, password_hash, role, [commune, province, district]) = row;
        Ok(User {
            id,
            username,
            password_hash,
            role: parse_role(&role)?,
            commune_id: commune.as_deref().map(parse_slug).transpose()?,
            province,
            district,
        })
    }

    const DEVICE_COLUMNS: &'static str =
        "device_id, commune_id, role, name, platform, holder, enrolled_at, revoked_at, high_water";

    fn device_of(r: &rusqlite::Row) -> rusqlite::Result<[Option<String>; 8]> {
        Ok([
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
        ])
    }

    fn device_from(cols: [Option<String>; 8], high_water: i64) -> StoreResult<Device> {
        let [id, commune, role, name, platform, holder, enrolled, revoked] = cols;
        let req = |v: Option<String>| {
            v.ok_or_else(|| StoreError::Backend("device column is null".into()))
        };
        Ok(Device {
            device_id: parse_uuid(&req(id)?)?,
            commune_id: parse_slug(&req(commune)?)?,
            role: parse_role(&req(role)?)?,
            name: req(name)?,
            platform: req(platform)?,
            holder,
            enrolled_at: parse_ts(&req(enrolled)?)?,
            revoked_at: revoked.as_deref().map(parse_ts).transpose()?,
            high_water: high_water as u64,
        })
    }

    fn query_device(
        conn: &Connection,
        where_clause: &str,
        key: &str,
    ) -> StoreResult<Option<Device>> {
        let sql = format!(
            "SELECT {} FROM devices WHERE {where_clause}",
            Self::DEVICE_COLUMNS
        );
        let row = conn
            .prepare_cached(&sql)?
            .query_row(params![key], |r| {
                Ok((Self::device_of(r)?, r.get::<_, i64>(8)?))
            })
            .optional()?;
        row.map(|(cols, hw)| Self::device_from(cols, hw))
            .transpose()
    }

    fn upload_of(r: &rusqlite::Row) -> rusqlite::Result<UploadRow> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
        ))
    }

    fn upload_from(row: UploadRow) -> StoreResult<Upload> {
        let (id, sha, length, offset, content_type, owner, expires, completed) = row;
        Ok(Upload {
            id: parse_uuid(&id)?,
            sha256: PhotoId::parse(&sha).map_err(|e| StoreError::Backend(e.to_string()))?,
            length: length as u64,
            offset: offset as u64,
            content_type,
            owner,
            expires_at: parse_ts(&expires)?,
            completed: completed != 0,
        })
    }

    /// Per-entity facts of a commune recomputed from `versions` with the core.
    /// Facts as stored (JSON text): comparing text is cheaper than reading it back, and the same
    /// fact always serialises to the same text.
    fn facts_from_versions(
        &self,
        commune: &Slug,
        versions: &[Version],
    ) -> StoreResult<HashMap<String, (bool, Option<String>)>> {
        let heads: Vec<_> = entity_heads(versions.iter().filter(|v| &v.commune_id == commune))
            .into_iter()
            .collect();
        let chunks = parallel_chunks(&heads, |chunk| {
            chunk
                .iter()
                .map(|(id, h)| {
                    let fact = EntityFact::of(*id, h, &self.filter)
                        .map(|f| serde_json::to_string(&f))
                        .transpose()?;
                    Ok((id.to_string(), (h.in_conflict(), fact)))
                })
                .collect::<StoreResult<Vec<_>>>()
        })?;
        Ok(chunks.into_iter().flatten().collect())
    }

    fn load_versions(conn: &Connection, commune: &Slug) -> StoreResult<Vec<Version>> {
        let rows = conn
            .prepare_cached("SELECT server_seq, content, flags FROM versions WHERE commune_id = ?1 ORDER BY server_seq")?
            .query_map(params![commune.as_str()], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let chunks = parallel_chunks(&rows, |chunk| {
            chunk
                .iter()
                .map(|(seq, content, flags)| row_version(*seq, content, flags.as_deref()))
                .collect::<StoreResult<Vec<_>>>()
        })?;
        Ok(chunks.into_iter().flatten().collect())
    }

    fn stored_facts(
        conn: &Connection,
        commune: &Slug,
    ) -> StoreResult<HashMap<String, (bool, Option<String>)>> {
        conn.prepare_cached(
            "SELECT entity_id, in_conflict, fact FROM entity_facts WHERE commune_id = ?1",
        )?
        .query_map(params![commune.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                (r.get::<_, i64>(1)? != 0, r.get::<_, Option<String>>(2)?),
            ))
        })?
        .map(|row| Ok(row?))
        .collect()
    }
}

/// The text of a pushed version's row, made before the writer's lock is taken so that
/// concurrent pushes make theirs in parallel; its fact is the one of a new entity (the common
/// case; an entity with earlier versions is refreshed inside the transaction).
struct PreparedRow {
    version_key: String,
    entity_key: String,
    captured_utc: String,
    digest_hex: String,
    content: String,
    fact: Option<String>,
}

/// Reads rows (`server_seq`, content, flags) in server order, one at a time, into a page of at
/// most `limit` versions and [`PAGE_BYTES`] of content (at least one version), and whether
/// rows remain after it.
fn take_page(
    rows: impl Iterator<Item = rusqlite::Result<(i64, String, Option<String>)>>,
    limit: usize,
) -> StoreResult<(Vec<Version>, bool)> {
    let mut versions = Vec::new();
    let mut bytes = 0usize;
    for row in rows {
        let (seq, content, flags) = row?;
        if versions.len() == limit || (!versions.is_empty() && bytes + content.len() > PAGE_BYTES) {
            return Ok((versions, true));
        }
        bytes += content.len();
        versions.push(row_version(seq, &content, flags.as_deref())?);
    }
    Ok((versions, false))
}

/// [`FactsSnapshot::latest_capture`] of a commune recomputed from its stored `versions` and the
/// time each was received, by the rule a push follows ([`super::latest_capture`]).
fn latest_capture(
    conn: &Connection,
    commune: &Slug,
    versions: &[Version],
) -> StoreResult<Option<NaiveDate>> {
    let received: HashMap<String, String> = conn
        .prepare_cached("SELECT version_id, received_at FROM versions WHERE commune_id = ?1")?
        .query_map(params![commune.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stored = Vec::with_capacity(versions.len());
    for v in versions {
        let at = received.get(&v.version_id.to_string()).ok_or_else(|| {
            StoreError::Backend(format!("version {} has no receipt time", v.version_id))
        })?;
        stored.push((v, parse_ts(at)?));
    }
    Ok(super::latest_capture(stored))
}

/// The last entity of a page: entities in order with their content's size, taken while the
/// page stays within [`PAGE_BYTES`], and at least the first.
fn last_within(sizes: Vec<(String, i64)>) -> Option<String> {
    let mut total = 0i64;
    let mut last = None;
    for (entity, size) in sizes {
        total = total.saturating_add(size);
        if last.is_some() && total > PAGE_BYTES as i64 {
            break;
        }
        last = Some(entity);
    }
    last
}

impl Storage for SqliteStorage {
    fn create_commune(
        &self,
        commune: &Commune,
        responsibilities: &BTreeMap<String, String>,
    ) -> StoreResult<()> {
        self.write(|tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM communes WHERE id = ?1)", params![commune.id.as_str()], |r| r.get(0))?;
            if exists {
                return Err(StoreError::AlreadyExists(format!("commune {}", commune.id)));
            }
            tx.execute(
                "INSERT INTO communes (id, name, province, district, region, responsibilities, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    commune.id.as_str(),
                    commune.name,
                    commune.province,
                    commune.district,
                    commune.region.code(),
                    serde_json::to_string(responsibilities)?,
                    ts(Utc::now())
                ],
            )?;
            for (i, v) in commune.villages.iter().enumerate() {
                tx.execute(
                    "INSERT INTO villages (commune_id, id, name, position) VALUES (?1, ?2, ?3, ?4)",
                    params![commune.id.as_str(), v.id.as_str(), v.name, i as i64],
                )?;
            }
            mergers::put_identity(tx, commune)?;
            Ok(())
        })
    }

    fn commune_config(&self, id: &Slug) -> StoreResult<Option<CommuneConfig>> {
        self.read(|c| Self::load_config(c, id))
    }

    fn list_communes(&self) -> StoreResult<Vec<Commune>> {
        self.read(|c| {
            // Two queries however many communes there are (one read transaction).
            c.execute_batch("BEGIN")?;
            let out = (|| {
                let mut villages: HashMap<String, Vec<Village>> = HashMap::new();
                let mut stmt = c.prepare_cached(
                    "SELECT commune_id, id, name FROM villages ORDER BY commune_id, position",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let village = Village {
                        id: parse_slug(&r.get::<_, String>(1)?)?,
                        name: r.get(2)?,
                    };
                    villages.entry(r.get(0)?).or_default().push(village);
                }
                let mut stmt = c.prepare_cached(
                    "SELECT id, name, province, district, region, code, valid_from, valid_until FROM communes ORDER BY id",
                )?;
                let mut rows = stmt.query([])?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let id: String = r.get(0)?;
                    let region: String = r.get(4)?;
                    out.push(Commune {
                        id: parse_slug(&id)?,
                        name: r.get(1)?,
                        province: r.get(2)?,
                        district: r.get(3)?,
                        region: region
                            .parse()
                            .map_err(|e| StoreError::Backend(format!("stored region: {e}")))?,
                        villages: villages.remove(&id).unwrap_or_default(),
                        code: r.get(5)?,
                        valid_from: mergers::date(r.get(6)?)?,
                        valid_until: mergers::date(r.get(7)?)?,
                    });
                }
                Ok(out)
            })();
            c.execute_batch("COMMIT")?;
            out
        })
    }

    fn put_commune_target(
        &self,
        commune: &Slug,
        indicator_id: &str,
        target: &TargetOverride,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO commune_targets (commune_id, indicator_id, target, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (commune_id, indicator_id) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
                params![commune.as_str(), indicator_id, serde_json::to_string(target)?, ts(Utc::now())],
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
        self.write(|tx| {
            tx.execute(
                "INSERT INTO province_targets (province, indicator_id, target, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (province, indicator_id) DO UPDATE SET target = excluded.target, updated_at = excluded.updated_at",
                params![province, indicator_id, serde_json::to_string(target)?, ts(Utc::now())],
            )?;
            Ok(())
        })
    }

    fn put_quota(&self, commune: &Slug, quota: &Quota) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO quotas (commune_id, village_id, measure, target, since) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (commune_id, village_id, measure) DO UPDATE SET target = excluded.target, since = excluded.since",
                params![
                    commune.as_str(),
                    quota.village_id.as_str(),
                    quota.measure.as_str(),
                    quota.target,
                    quota.since.to_string()
                ],
            )?;
            Ok(())
        })
    }

    fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        self.write(|tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1)", params![user.username], |r| r.get(0))?;
            if exists {
                return Err(StoreError::AlreadyExists(format!("user {}", user.username)));
            }
            if let Some(c) = &user.commune_id {
                let known: bool =
                    tx.query_row("SELECT EXISTS (SELECT 1 FROM communes WHERE id = ?1)", params![c.as_str()], |r| r.get(0))?;
                if !known {
                    return Err(StoreError::Invalid {
                        field: "commune_id".into(),
                        message: format!("commune {c} does not exist; create it first"),
                    });
                }
            }
            tx.execute(
                "INSERT INTO users (username, password_hash, role, commune_id, province, district, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    user.username,
                    user.password_hash,
                    role_str(user.role),
                    user.commune_id.as_ref().map(Slug::as_str),
                    user.province,
                    user.district,
                    ts(Utc::now())
                ],
            )?;
            Ok(User {
                id: tx.last_insert_rowid(),
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
            c.prepare_cached(&format!(
                "SELECT {} FROM users WHERE username = ?1",
                Self::USER_COLUMNS
            ))?
            .query_row(params![username], Self::user_from_row)
            .optional()?
            .map(Self::user_of)
            .transpose()
        })
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT {} FROM users ORDER BY username",
                Self::USER_COLUMNS
            ))?
            .query_map([], Self::user_from_row)?
            .map(|r| Self::user_of(r?))
            .collect()
        })
    }

    fn set_password(&self, username: &str, password_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE username = ?2",
                params![password_hash, username],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {username}")));
            }
            // A new password ends every session of the old one.
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?1)",
                params![username],
            )?;
            Ok(())
        })
    }

    fn count_users(&self) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }

    fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < ?1",
                params![ts(Utc::now())],
            )?;
            tx.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![token_hash, user_id, ts(expires_at)],
            )?;
            Ok(())
        })
    }

    fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<User>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT u.id, u.username, u.password_hash, u.role, u.commune_id, u.province, u.district
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![token_hash, ts(now)], Self::user_from_row)
            .optional()?
            .map(Self::user_of)
            .transpose()
        })
    }

    fn create_enrollment(&self, e: &NewEnrollment) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO enrollments (code_hash, commune_id, role, holder, expires_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e.code_hash, e.commune_id.as_str(), role_str(e.role), e.holder, ts(e.expires_at), e.created_by],
            )?;
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
            let row = tx
                .query_row(
                    "SELECT commune_id, role, holder, expires_at, used_at, attempt_id, device_id
                     FROM enrollments WHERE code_hash = ?1",
                    params![code_hash],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                        ))
                    },
                )
                .optional()?;
            let Some((commune, role, holder, expires, used, attempt, device)) = row else {
                return Ok(Err(RedeemRefusal::Unknown));
            };
            if used.is_some() {
                // The same attempt again (its answer was lost): the same device, a fresh token.
                let attempt_id = d.attempt_id.map(|a| a.to_string());
                if let (Some(given), Some(recorded), Some(device)) = (attempt_id, attempt, device) {
                    if given == recorded
                        && tx.execute(
                            "UPDATE devices SET token_hash = ?1 WHERE device_id = ?2 AND revoked_at IS NULL",
                            params![d.token_hash, device],
                        )? == 1
                    {
                        if let Some(device) = Self::query_device(tx, "device_id = ?1", &device)? {
                            return Ok(Ok(device));
                        }
                    }
                }
                return Ok(Err(RedeemRefusal::AlreadyUsed));
            }
            if parse_ts(&expires)? <= now {
                return Ok(Err(RedeemRefusal::Expired));
            }
            tx.execute(
                "UPDATE enrollments SET used_at = ?1, device_id = ?2, attempt_id = ?4 WHERE code_hash = ?3",
                params![
                    ts(now),
                    d.device_id.to_string(),
                    code_hash,
                    d.attempt_id.map(|a| a.to_string())
                ],
            )?;
            tx.execute(
                "INSERT INTO devices (device_id, token_hash, commune_id, role, name, platform, holder, enrolled_at, high_water)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
                params![d.device_id.to_string(), d.token_hash, commune, role, d.name, d.platform, holder, ts(now)],
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
        self.read(|c| Self::query_device(c, "token_hash = ?1", token_hash))
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
                 SELECT ?1, ?2, commune_id, role, name, platform, holder, ?3, 0, device_id
                 FROM devices WHERE device_id = ?4 AND revoked_at IS NULL",
                params![d.device_id.to_string(), d.token_hash, ts(now), old.to_string()],
            )?;
            if n == 0 {
                return Ok(None);
            }
            Self::query_device(tx, "device_id = ?1", &d.device_id.to_string())
        })
    }

    fn device(&self, device_id: Uuid) -> StoreResult<Option<Device>> {
        self.read(|c| Self::query_device(c, "device_id = ?1", &device_id.to_string()))
    }

    fn list_devices(&self, commune: &Slug) -> StoreResult<Vec<Device>> {
        self.read(|c| {
            let sql = format!(
                "SELECT {} FROM devices WHERE commune_id = ?1 ORDER BY enrolled_at",
                Self::DEVICE_COLUMNS
            );
            c.prepare(&sql)?
                .query_map(params![commune.as_str()], |r| {
                    Ok((Self::device_of(r)?, r.get::<_, i64>(8)?))
                })?
                .map(|row| {
                    let (cols, hw) = row?;
                    Self::device_from(cols, hw)
                })
                .collect()
        })
    }

    fn revoke_device(&self, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?1) WHERE device_id = ?2",
                params![ts(now), device_id.to_string()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device {device_id}")));
            }
            Ok(())
        })
    }

    fn move_device(&self, device_id: Uuid, from: &Slug, to: &Slug) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE devices SET commune_id = ?1 WHERE device_id = ?2 AND commune_id = ?3",
                params![to.as_str(), device_id.to_string(), from.as_str()],
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
                 VALUES (?1, ?2, ?3, 'officer', ?4, 'server', ?5, 0) ON CONFLICT (device_id) DO NOTHING",
                // Not a SHA-256 hex digest, so no bearer token can ever match it.
                params![device_id.to_string(), format!("seed:{device_id}"), commune.as_str(), name, ts(Utc::now())],
            )?;
            Ok(())
        })?;
        self.device(device_id)?
            .ok_or_else(|| StoreError::NotFound(format!("device {device_id}")))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(device = %batch.device_id, first_seq = batch.first_seq, n = batch.items.len()))]
    fn store_versions(&self, batch: &PushBatch) -> StoreResult<PushOutcome> {
        let device_key = batch.device_id.to_string();
        // Outside the writer's lock (so concurrent pushes do it in parallel): each valid
        // version's stored content, and its fact as a new entity, the common case.
        let device = self
            .device(batch.device_id)?
            .ok_or_else(|| StoreError::NotFound(format!("device {}", batch.device_id)))?;
        let author = device.author();
        let prepared = batch
            .items
            .iter()
            .map(|item| match item {
                PushItem::Valid { version, digest } => {
                    let v: &Version = version;
                    let alone = ntm_field::heads::EntityHeads {
                        head: v,
                        heads: vec![v],
                    };
                    let fact = EntityFact::of(v.entity_id, &alone, &self.filter)
                        .map(|f| serde_json::to_string(&f))
                        .transpose()?;
                    Ok(Some(PreparedRow {
                        version_key: v.version_id.to_string(),
                        entity_key: v.entity_id.to_string(),
                        captured_utc: ts(v.captured_at.with_timezone(&Utc)),
                        digest_hex: hex::encode(digest),
                        content: v.stored_json(&author),
                        fact,
                    }))
                }
                PushItem::Invalid { .. } => Ok(None),
            })
            .collect::<StoreResult<Vec<_>>>()?;

        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .prepare_cached(
                "SELECT commune_id, high_water, last_captured_at FROM devices WHERE device_id = ?1",
            )?
            .query_row(params![device_key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?;
        let Some((commune, high_water, last_captured)) = row else {
            return Err(StoreError::NotFound(format!("device {}", batch.device_id)));
        };
        let commune = parse_slug(&commune)?;
        let high_water = high_water as u64;
        if batch.first_seq > high_water + 1 {
            return Ok(PushOutcome::Gap {
                expected_seq: high_water + 1,
            });
        }
        let mut previous: Option<DateTime<FixedOffset>> = last_captured
            .as_deref()
            .map(|s| {
                DateTime::parse_from_rfc3339(s).map_err(|e| StoreError::Backend(e.to_string()))
            })
            .transpose()?;
        let mut next_seq: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(server_seq), 0) + 1 FROM versions")?
            .query_row([], |r| r.get(0))?;
        let mut latest: Option<NaiveDate> = None;
        let mut results = Vec::with_capacity(batch.items.len());
        let received = ts(batch.received_at);
        // The statements of every version, taken from the cache once for the whole push.
        let mut insert_version = tx.prepare_cached(
            "INSERT INTO versions (server_seq, version_id, entity_id, commune_id, village_id, kind, device_id,
                 device_seq, captured_utc, digest, content, received_at, flags)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (version_id) DO NOTHING",
        )?;
        let mut has_other_versions = tx.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM versions WHERE commune_id = ?1 AND entity_id = ?2 AND version_id <> ?3)",
        )?;
        let mut insert_new_fact = tx.prepare_cached(
            "INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact) VALUES (?1, ?2, 0, ?3)
             ON CONFLICT (commune_id, entity_id) DO UPDATE SET in_conflict = 0, fact = excluded.fact",
        )?;
        let mut insert_outcome = tx.prepare_cached(
            "INSERT INTO push_outcomes (device_id, device_seq, version_id, status, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (i, (item, prepared)) in batch.items.iter().zip(&prepared).enumerate() {
            let seq = batch.first_seq + i as u64;
            if seq <= high_water {
                let recorded = tx
                    .prepare_cached(
                        "SELECT o.version_id, o.status, o.reason, v.digest FROM push_outcomes o
                         LEFT JOIN versions v ON v.version_id = o.version_id AND o.status IN ('stored', 'duplicate')
                         WHERE o.device_id = ?1 AND o.device_seq = ?2",
                    )?
                    .query_row(params![device_key, seq as i64], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, Option<String>>(3)?,
                        ))
                    })
                    .optional()?;
                let (version_id, status, reason, digest) = recorded.ok_or_else(|| {
                    StoreError::Backend(format!(
                        "no recorded outcome for device {} seq {seq}",
                        batch.device_id
                    ))
                })?;
                let digest = digest
                    .map(|d| hex::decode(d).map_err(|e| StoreError::Backend(e.to_string())))
                    .transpose()?;
                let recorded = PushResult {
                    version_id,
                    status: parse_status(&status)?,
                    reason,
                };
                match super::replayed_answer(item, recorded, digest.as_deref()) {
                    Some(answer) => results.push(answer),
                    // The transaction is dropped unfinished: nothing of this push is stored.
                    None => return Ok(PushOutcome::SequenceReused { seq }),
                }
                continue;
            }
            let result = match (item, prepared) {
                (PushItem::Valid { version: v, .. }, Some(row)) => {
                    let flags = if batch.check_clocks {
                        ntm_field::record::VersionFlag::clock_flags(
                            v.captured_at,
                            batch.received_at,
                            previous,
                        )
                    } else {
                        Vec::new()
                    };
                    let flags = (!flags.is_empty())
                        .then(|| serde_json::to_string(&flags))
                        .transpose()?;
                    let inserted = insert_version.execute(params![
                        next_seq,
                        row.version_key,
                        row.entity_key,
                        v.commune_id.as_str(),
                        v.village_id.as_ref().map(Slug::as_str),
                        v.kind().as_str(),
                        v.device_id.to_string(),
                        v.device_seq as i64,
                        row.captured_utc,
                        row.digest_hex,
                        row.content,
                        received,
                        flags,
                    ])?;
                    if inserted == 1 {
                        next_seq += 1;
                        previous = Some(v.captured_at);
                        for p in &v.photos {
                            tx.prepare_cached(
                                "INSERT INTO version_photos (photo, commune_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                            )?
                            .execute(params![p.to_hex(), v.commune_id.as_str()])?;
                        }
                        let others: bool = has_other_versions.query_row(
                            params![v.commune_id.as_str(), row.entity_key, row.version_key],
                            |r| r.get(0),
                        )?;
                        if others {
                            self.refresh_entity(&tx, &v.commune_id, v.entity_id, v)?;
                        } else {
                            insert_new_fact.execute(params![
                                v.commune_id.as_str(),
                                row.entity_key,
                                row.fact
                            ])?;
                        }
                        if v.kind() != Kind::Assessment {
                            latest = latest.max(Some(counted_date(v, batch.received_at)));
                        }
                        PushResult {
                            version_id: row.version_key.clone(),
                            status: PushStatus::Stored,
                            reason: None,
                        }
                    } else {
                        let (known_digest, known_seq): (String, i64) = tx
                            .prepare_cached(
                                "SELECT digest, server_seq FROM versions WHERE version_id = ?1",
                            )?
                            .query_row(params![row.version_key], |r| Ok((r.get(0)?, r.get(1)?)))?;
                        if known_digest == row.digest_hex {
                            PushResult {
                                version_id: row.version_key.clone(),
                                status: PushStatus::Duplicate,
                                reason: None,
                            }
                        } else {
                            let version_key = &row.version_key;
                            PushResult {
                                version_id: version_key.clone(),
                                status: PushStatus::Rejected,
                                reason: Some(format!(
                                    "corrupt: version_id {version_key} is already stored (server_seq {known_seq}) with different content; \
                                     versions are immutable, so save the change as a new version"
                                )),
                            }
                        }
                    }
                }
                (PushItem::Invalid { version_id, reason }, _) => PushResult {
                    version_id: version_id.clone(),
                    status: PushStatus::Rejected,
                    reason: Some(reason.clone()),
                },
                (PushItem::Valid { .. }, None) => unreachable!("every valid item is prepared"),
            };
            insert_outcome.execute(params![
                device_key,
                seq as i64,
                result.version_id,
                status_str(result.status),
                result.reason
            ])?;
            results.push(result);
        }
        drop((
            insert_version,
            has_other_versions,
            insert_new_fact,
            insert_outcome,
        ));
        let last_seq = batch.first_seq + batch.items.len() as u64;
        let acked = high_water.max(last_seq.saturating_sub(1));
        tx.prepare_cached(
            "UPDATE devices SET high_water = ?1, last_captured_at = ?2 WHERE device_id = ?3",
        )?
        .execute(params![
            acked as i64,
            previous.map(|p| p.to_rfc3339()),
            device_key
        ])?;
        if let Some(date) = latest {
            tx.prepare_cached(
                "UPDATE communes SET latest_capture_date = ?1 WHERE id = ?2 AND (latest_capture_date IS NULL OR latest_capture_date < ?1)",
            )?
            .execute(params![date.to_string(), commune.as_str()])?;
        }
        let server_head: i64 = tx
            .prepare_cached(
                "SELECT COALESCE(MAX(server_seq), 0) FROM versions WHERE commune_id = ?1",
            )?
            .query_row(params![commune.as_str()], |r| r.get(0))?;
        tx.commit()?;
        Ok(PushOutcome::Done(PushResponse {
            acked_through_seq: acked,
            results,
            server_head: server_head as u64,
        }))
    }

    fn versions_after(
        &self,
        communes: &[Slug],
        cursor: u64,
        limit: usize,
    ) -> StoreResult<VersionPage> {
        // One writer at a time: every commune's log is committed in `server_seq` order, and so
        // is their union. One commune (nearly always) reads its index in order; a list sorts.
        let list = match communes {
            [one] => one.as_str().to_owned(),
            _ => serde_json::to_string(&communes)?,
        };
        self.read(|c| {
            let mut stmt = c.prepare_cached(if communes.len() == 1 {
                "SELECT server_seq, content, flags FROM versions WHERE commune_id = ?1 AND server_seq > ?2 ORDER BY server_seq LIMIT ?3"
            } else {
                "SELECT server_seq, content, flags FROM versions
                 WHERE commune_id IN (SELECT value FROM json_each(?1)) AND server_seq > ?2
                 ORDER BY server_seq LIMIT ?3"
            })?;
            let rows = stmt
                .query_map(params![list, cursor as i64, limit as i64 + 1], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                })?;
            let (versions, more) = take_page(rows, limit)?;
            Ok(VersionPage {
                up_to_date: !more,
                next_cursor: versions.last().and_then(|v| v.server_seq).unwrap_or(cursor),
                versions,
            })
        })
    }

    fn device_status(&self, device_id: Uuid) -> StoreResult<Option<(u64, u64)>> {
        self.read(|c| {
            let row = c
                .query_row(
                    "SELECT high_water, commune_id FROM devices WHERE device_id = ?1",
                    params![device_id.to_string()],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?;
            let Some((hw, commune)) = row else {
                return Ok(None);
            };
            let head: i64 = c.query_row(
                "SELECT COALESCE(MAX(server_seq), 0) FROM versions WHERE commune_id = ?1",
                params![commune],
                |r| r.get(0),
            )?;
            Ok(Some((hw as u64, head as u64)))
        })
    }

    fn server_head(&self, commune: &Slug) -> StoreResult<u64> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT COALESCE(MAX(server_seq), 0) FROM versions WHERE commune_id = ?1",
            )?
            .query_row(params![commune.as_str()], |r| r.get::<_, i64>(0))? as u64)
        })
    }

    fn versions_held(&self, commune: &Slug, ids: &[Uuid]) -> StoreResult<BTreeSet<Uuid>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT 1 FROM versions WHERE version_id = ?1 AND commune_id = ?2",
            )?;
            let mut held = BTreeSet::new();
            for id in ids {
                if stmt.exists(params![id.to_string(), commune.as_str()])? {
                    held.insert(*id);
                }
            }
            Ok(held)
        })
    }

    fn list_records(
        &self,
        commune: &Slug,
        f: &RecordFilter,
    ) -> StoreResult<(Vec<Version>, Option<u64>)> {
        self.read(|c| {
            let mut sql = String::from("SELECT server_seq, content, flags FROM versions WHERE commune_id = ?1 AND server_seq > ?2");
            let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(commune.as_str().to_owned()), Box::new(f.cursor as i64)];
            if let Some(k) = f.kind {
                args.push(Box::new(k.as_str()));
                sql.push_str(&format!(" AND kind = ?{}", args.len()));
            }
            if let Some(v) = &f.village_id {
                args.push(Box::new(v.as_str().to_owned()));
                sql.push_str(&format!(" AND village_id = ?{}", args.len()));
            }
            if let Some(t) = f.since {
                args.push(Box::new(ts(t)));
                sql.push_str(&format!(" AND captured_utc >= ?{}", args.len()));
            }
            if let Some(t) = f.until {
                args.push(Box::new(ts(t)));
                sql.push_str(&format!(" AND captured_utc < ?{}", args.len()));
            }
            args.push(Box::new(f.limit as i64 + 1));
            sql.push_str(&format!(" ORDER BY server_seq LIMIT ?{}", args.len()));
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))?;
            let (out, more) = take_page(rows, f.limit)?;
            let last = out.last().and_then(|v| v.server_seq).unwrap_or(f.cursor);
            Ok((out, more.then_some(last)))
        })
    }

    fn commune_versions(&self, commune: &Slug) -> StoreResult<Vec<Version>> {
        self.read(|c| Self::load_versions(c, commune))
    }

    fn entity_versions(&self, commune: &Slug, entity: Uuid) -> StoreResult<Vec<Version>> {
        self.read(|c| {
            let rows = c
                .prepare_cached(
                    "SELECT server_seq, content, flags FROM versions WHERE commune_id = ?1 AND entity_id = ?2 ORDER BY server_seq",
                )?
                .query_map(params![commune.as_str(), entity.to_string()], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.iter()
                .map(|(seq, content, flags)| row_version(*seq, content, flags.as_deref()))
                .collect()
        })
    }

    fn for_each_entity(
        &self,
        commune: &Slug,
        entities: usize,
        visit: &mut dyn FnMut(&[Version]) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut after = String::new();
        loop {
            let page = self.read(|c| {
                // The page ends at an entity, so that it holds every version of each, and at
                // `PAGE_BYTES` of content (past its first entity however large).
                let sizes = c
                    .prepare_cached(
                        "SELECT entity_id, SUM(length(CAST(content AS BLOB))) FROM versions WHERE commune_id = ?1 AND entity_id > ?2 GROUP BY entity_id ORDER BY entity_id LIMIT ?3",
                    )?
                    .query_map(params![commune.as_str(), after, entities.max(1) as i64], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(last) = last_within(sizes) else {
                    return Ok(None);
                };
                let rows = c
                    .prepare_cached(
                        "SELECT server_seq, content, flags FROM versions WHERE commune_id = ?1 AND entity_id > ?2 AND entity_id <= ?3 ORDER BY entity_id, server_seq",
                    )?
                    .query_map(params![commune.as_str(), after, last], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                let versions = rows
                    .iter()
                    .map(|(seq, content, flags)| row_version(*seq, content, flags.as_deref()))
                    .collect::<StoreResult<Vec<_>>>()?;
                Ok(Some((last, versions)))
            })?;
            let Some((last, versions)) = page else {
                return Ok(());
            };
            visit(&versions)?;
            after = last;
        }
    }

    fn commune_facts(&self, commune: &Slug) -> StoreResult<FactsSnapshot> {
        let generation = self.facts_generation.load(Ordering::SeqCst);
        self.read(|c| {
            // One read transaction, so the head, the facts and the date are of the same moment.
            c.execute_batch("BEGIN")?;
            let out = (|| {
                let head: i64 = c
                    .prepare_cached(
                        "SELECT COALESCE(MAX(server_seq), 0) FROM versions WHERE commune_id = ?1",
                    )?
                    .query_row(params![commune.as_str()], |r| r.get(0))?;
                if let Some((h, g, snap)) = lock(&self.facts_cache).get(commune) {
                    if *h == head && *g == generation {
                        return Ok(FactsSnapshot::clone(snap));
                    }
                }
                let mut conflicts = 0usize;
                let mut facts = Vec::new();
                {
                    let mut stmt = c.prepare_cached(
                        "SELECT in_conflict, fact FROM entity_facts WHERE commune_id = ?1",
                    )?;
                    let mut rows = stmt.query(params![commune.as_str()])?;
                    while let Some(r) = rows.next()? {
                        if r.get::<_, i64>(0)? != 0 {
                            conflicts += 1;
                        }
                        if let Some(text) = r
                            .get_ref(1)?
                            .as_str_or_null()
                            .map_err(|e| StoreError::Backend(e.to_string()))?
                        {
                            facts.push(serde_json::from_str::<EntityFact>(text)?);
                        }
                    }
                }
                let latest: Option<String> = c
                    .query_row(
                        "SELECT latest_capture_date FROM communes WHERE id = ?1",
                        params![commune.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                let mut facts = CommuneFacts::from_entity_facts(facts);
                facts.conflicts = conflicts;
                let snap = Arc::new(FactsSnapshot {
                    facts,
                    latest_capture: latest
                        .map(|d| {
                            d.parse()
                                .map_err(|e| StoreError::Backend(format!("stored date: {e}")))
                        })
                        .transpose()?,
                });
                let mut cache = lock(&self.facts_cache);
                if cache.len() > 1000 {
                    cache.clear();
                }
                cache.insert(commune.clone(), (head, generation, snap.clone()));
                Ok(FactsSnapshot::clone(&snap))
            })();
            c.execute_batch("COMMIT")?;
            out
        })
    }

    #[tracing::instrument(level = "info", skip(self))]
    fn recompute(&self, commune: &Slug) -> StoreResult<RecomputeReport> {
        let report = self.write(|tx| {
            let versions = Self::load_versions(tx, commune)?;
            let expected = self.facts_from_versions(commune, &versions)?;
            let stored = Self::stored_facts(tx, commune)?;
            let mut differences = expected.iter().filter(|(id, e)| stored.get(id.as_str()) != Some(e)).count();
            differences += stored.keys().filter(|id| !expected.contains_key(id.as_str())).count();
            let agreed = differences == 0;
            if !agreed {
                tracing::warn!(%commune, differences, "incremental facts differed from a recompute; rewriting them");
                tx.execute("DELETE FROM entity_facts WHERE commune_id = ?1", params![commune.as_str()])?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO entity_facts (commune_id, entity_id, in_conflict, fact) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for (id, (conflict, fact)) in &expected {
                    insert.execute(params![commune.as_str(), id, *conflict as i64, fact])?;
                }
            }
            let latest = latest_capture(tx, commune, &versions)?;
            tx.execute(
                "UPDATE communes SET latest_capture_date = ?1 WHERE id = ?2",
                params![latest.map(|d| d.to_string()), commune.as_str()],
            )?;
            Ok(RecomputeReport {
                commune_id: commune.clone(),
                versions: versions.len(),
                entities: expected.len(),
                differences,
                agreed,
            })
        })?;
        // Facts or the latest capture date may have been rewritten: forget cached facts.
        self.facts_generation.fetch_add(1, Ordering::SeqCst);
        Ok(report)
    }

    fn figures_stamps(&self) -> StoreResult<FiguresStamps> {
        // SQLite has one server process: its facts generation is the process's own.
        let generation = self.facts_generation.load(Ordering::SeqCst);
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let out = (|| {
                let config: i64 = c.query_row(
                    "SELECT generation FROM config_generation WHERE id = 1",
                    [],
                    |r| r.get(0),
                )?;
                let mut stmt = c.prepare_cached(
                    "SELECT commune_id, MAX(server_seq) FROM versions GROUP BY commune_id",
                )?;
                let mut communes = HashMap::new();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id: String = r.get(0)?;
                    communes.insert(parse_slug(&id)?, (r.get::<_, i64>(1)? as u64, generation));
                }
                Ok(FiguresStamps { config, communes })
            })();
            c.execute_batch("COMMIT")?;
            out
        })
    }

    fn photo_exists(&self, photo: &PhotoId) -> StoreResult<Option<(u64, String)>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT length, content_type FROM photos WHERE sha256 = ?1",
                params![photo.to_hex()],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?)),
            )
            .optional()?)
        })
    }

    fn photo_communes(&self, photo: &PhotoId) -> StoreResult<Vec<Slug>> {
        self.read(|c| {
            c.prepare_cached("SELECT commune_id FROM version_photos WHERE photo = ?1")?
                .query_map(params![photo.to_hex()], |r| r.get::<_, String>(0))?
                .map(|s| parse_slug(&s?))
                .collect()
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
                "INSERT INTO photos (sha256, length, content_type, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![photo.to_hex(), length as i64, content_type, ts(now)],
            )?;
            Ok(())
        })
    }

    fn create_upload(&self, u: &Upload) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO uploads (id, sha256, length, upload_offset, content_type, owner, expires_at, completed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    u.id.to_string(),
                    u.sha256.to_hex(),
                    u.length as i64,
                    u.offset as i64,
                    u.content_type,
                    u.owner,
                    ts(u.expires_at),
                    u.completed as i64
                ],
            )?;
            Ok(())
        })
    }

    fn upload(&self, id: Uuid) -> StoreResult<Option<Upload>> {
        self.read(|c| {
            c.query_row(
                "SELECT id, sha256, length, upload_offset, content_type, owner, expires_at, completed FROM uploads WHERE id = ?1",
                params![id.to_string()],
                Self::upload_of,
            )
            .optional()?
            .map(Self::upload_from)
            .transpose()
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
                "UPDATE uploads SET upload_offset = ?1, expires_at = ?2 WHERE id = ?3",
                params![offset as i64, ts(expires_at), id.to_string()],
            )?;
            Ok(())
        })
    }

    fn complete_upload(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO photos (sha256, length, content_type, created_at)
                 SELECT sha256, length, content_type, ?2 FROM uploads WHERE id = ?1
                 ON CONFLICT DO NOTHING",
                params![id.to_string(), ts(now)],
            )?;
            tx.execute(
                "UPDATE uploads SET completed = 1, upload_offset = length WHERE id = ?1",
                params![id.to_string()],
            )?;
            Ok(())
        })
    }

    fn delete_upload(&self, id: Uuid) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM uploads WHERE id = ?1", params![id.to_string()])?;
            Ok(())
        })
    }

    fn expired_uploads(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        self.read(|c| {
            c.prepare("SELECT id FROM uploads WHERE expires_at < ?1")?
                .query_map(params![ts(now)], |r| r.get::<_, String>(0))?
                .map(|s| parse_uuid(&s?))
                .collect()
        })
    }

    fn unfinished_uploads(&self) -> StoreResult<Vec<Upload>> {
        self.read(|c| {
            c.prepare(
                "SELECT id, sha256, length, upload_offset, content_type, owner, expires_at, completed FROM uploads WHERE completed = 0",
            )?
            .query_map([], Self::upload_of)?
            .map(|r| Self::upload_from(r?))
            .collect()
        })
    }
    fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                params![token_hash],
            )?;
            Ok(())
        })
    }

    fn put_responsibility(&self, commune: &Slug, key: &str, people: &str) -> StoreResult<()> {
        self.write(|tx| {
            let text: Option<String> = tx
                .query_row(
                    "SELECT responsibilities FROM communes WHERE id = ?1",
                    params![commune.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(text) = text else {
                return Err(StoreError::NotFound(format!("commune {commune}")));
            };
            let mut map: BTreeMap<String, String> = serde_json::from_str(&text)?;
            if people.trim().is_empty() {
                map.remove(key);
            } else {
                map.insert(key.to_owned(), people.trim().to_owned());
            }
            tx.execute(
                "UPDATE communes SET responsibilities = ?1 WHERE id = ?2",
                params![serde_json::to_string(&map)?, commune.as_str()],
            )?;
            Ok(())
        })
    }

    fn delete_commune_target(&self, commune: &Slug, indicator_id: &str) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM commune_targets WHERE commune_id = ?1 AND indicator_id = ?2",
                params![commune.as_str(), indicator_id],
            )?;
            Ok(())
        })
    }

    fn put_village(&self, commune: &Slug, village: &Village) -> StoreResult<()> {
        self.write(|tx| {
            let known: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM communes WHERE id = ?1)", params![commune.as_str()], |r| r.get(0))?;
            if !known {
                return Err(StoreError::NotFound(format!("commune {commune}")));
            }
            let renamed = tx.execute(
                "UPDATE villages SET name = ?1 WHERE commune_id = ?2 AND id = ?3",
                params![village.name, commune.as_str(), village.id.as_str()],
            )?;
            if renamed == 0 {
                tx.execute(
                    "INSERT INTO villages (commune_id, id, name, position)
                     VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position), -1) + 1 FROM villages WHERE commune_id = ?1))",
                    params![commune.as_str(), village.id.as_str(), village.name],
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
        self.receive_submission(post)
    }

    fn odk_forms_off(&self, commune: &Slug) -> StoreResult<std::collections::BTreeSet<String>> {
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
