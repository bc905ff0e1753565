//! The device store: one SQLite file (WAL) in the app's files directory holding the enrollment,
//! the commune's reference data, every version the phone knows (its own and pulled ones), the
//! outbox, the pull cursor, photos and their upload state, and the "needs attention" list.
//!
//! The flow of a record: form -> [`Store::create`] / [`Store::edit`] / [`Store::delete`] /
//! [`Store::resolve`] (core validation, then version + outbox entry in **one transaction**) ->
//! the sync engine ([`crate::sync`]) reads the outbox and applies the server's answers through
//! the `sync_*` methods of `sync_state.rs`.
//!
//! ## A new device id after a restore or a reinstall
//!
//! A `device_seq` must never be handed out twice under one `device_id`, or the server would take
//! a new record for a replay of an old one. A database restored from a backup (or copied to a
//! second phone) would hand out sequence numbers the original already used. So:
//!
//! 1. Beside the database lives an **install marker** file holding a random id, written when the
//!    store is first opened; each identity records the marker it was enrolled under. When the
//!    store opens and the marker file is missing or differs from the one an identity recorded,
//!    the database came from elsewhere: that identity is **retired**.
//! 2. The server is the second witness: when `sync/status` or a push answers an
//!    `acked_through_seq` above the last sequence number this store handed out, someone else
//!    wrote under this identity (a restored backup that also restored the marker): it is retired.
//!
//! A retired identity never numbers another version. What its outbox still holds is delivered
//! under it (same version ids, so the server stores each once whatever the other copy sent);
//! new saves need a fresh enrollment ([`Store::enroll`]), which brings a new `device_id` whose
//! sequence starts at 1. Until then saves fail with [`SaveError::IdentityRetired`].
//! On Android the marker should sit in `noBackupFilesDir` so that it is never restored
//! with the database: [`Store::open_with_marker`].

mod records;
mod schema;
mod sync_state;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::admin::Commune;
use crate::catalog::Catalog;
use crate::config::CommuneConfig;
use crate::protocol::{EnrollResponse, Role};
use crate::record::{ValidationErrors, Version};

pub use records::{
    CheckStatus, ConflictedEntity, Draft, HouseholdFilter, HouseholdRow, RecordState,
    RecordSummary, RejectedVersion, VillageProgress,
};
pub use sync_state::{
    OutboxEntry, PhotoUpload, PushIdentity, StatusCheck, SyncCounts, WaitingVersion,
};

/// File name of the database inside the files directory.
pub const DB_FILE: &str = "ntm-field.sqlite3";
/// File name of the install marker (see the module documentation).
pub const MARKER_FILE: &str = "ntm-field.install";
/// Directory of the content-addressed photo files.
pub const PHOTO_DIR: &str = "photos";

/// Something the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(rusqlite::Error),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("file: {0}")]
    Io(std::io::Error),
    #[error("stored data does not read: {0}")]
    Corrupt(String),
    /// The phone's storage is full: nothing was written; free some space and save again.
    #[error(
        "the phone's storage is full; free some space (old photos, other apps) and save again"
    )]
    DiskFull,
}

impl StoreError {
    /// A file error, with a full disk told apart.
    pub fn from_io(e: std::io::Error) -> StoreError {
        if e.kind() == std::io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) {
            StoreError::DiskFull
        } else {
            StoreError::Io(e)
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::from_io(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => {
                StoreError::DiskFull
            }
            _ => StoreError::Db(e),
        }
    }
}

/// Why a save was refused. Nothing is written when a save fails.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The record breaks the core's rules; each error names its field.
    #[error("the record is not valid: {0}")]
    Invalid(ValidationErrors),
    #[error("this phone is not enrolled yet")]
    NotEnrolled,
    /// The database was restored or copied: enroll again before saving (module documentation).
    #[error(
        "this phone's data was restored from a copy; enroll it again before saving new records"
    )]
    IdentityRetired,
    #[error("no such record {0}")]
    UnknownEntity(Uuid),
    #[error("the record is a {existing}, not a {given}")]
    KindChanged {
        existing: &'static str,
        given: &'static str,
    },
    #[error("photo {0} is not on this phone")]
    UnknownPhoto(String),
    #[error("record {0} has no conflict to resolve")]
    NotInConflict(Uuid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for SaveError {
    fn from(e: rusqlite::Error) -> Self {
        SaveError::Store(StoreError::from(e))
    }
}

/// The phone's clock. The real one is the system clock in Vietnam time; tests set others (a
/// phone a year off, a clock stepping back).
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The system clock, at +07:00 (Asia/Ho_Chi_Minh has no daylight saving).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Utc::now().with_timezone(&vietnam_offset())
    }
}

pub(crate) fn vietnam_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("+07:00 is a valid offset")
}

/// The current enrollment: who this phone is to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub server_url: String,
    pub device_id: Uuid,
    pub token: String,
    pub role: Role,
    pub commune: Commune,
    pub enrolled_at: DateTime<FixedOffset>,
}

/// Settings the app shows on its settings screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// `vi` or `en`.
    pub language: String,
    /// Long edge of stored photos, pixels.
    pub photo_long_edge: u32,
    /// Fixes less accurate than this are not used for a sign's position, metres.
    pub gps_accuracy_gate_m: f64,
    pub device_name: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "vi".to_owned(),
            photo_long_edge: crate::photo::DEFAULT_LONG_EDGE,
            gps_accuracy_gate_m: 20.0,
            device_name: String::new(),
        }
    }
}

/// The device store. Cheap to share: wrap it in an [`Arc`]; every method takes `&self` and runs
/// on one connection behind a mutex (each call is short; the sync engine calls it between
/// network round trips).
pub struct Store {
    inner: Mutex<Inner>,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    catalog: &'static Catalog,
    /// This installation's marker (see the module documentation).
    marker_id: String,
}

struct Inner {
    conn: Connection,
    /// Parsed versions that count (not rejected), loaded on first use and kept in step with
    /// every write, so listing and scoring do not re-read the database.
    cache: Option<records::Cache>,
}

impl Store {
    /// Opens (or creates) the store in `files_dir`, with the install marker beside the database.
    pub fn open(files_dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        let dir = files_dir.as_ref().to_path_buf();
        Self::open_with_marker(&dir, &dir.join(MARKER_FILE))
    }

    /// Opens the store in `files_dir` with the install marker at `marker` (on Android: a file in
    /// `noBackupFilesDir`, so that a backup never restores it).
    pub fn open_with_marker(
        files_dir: impl AsRef<Path>,
        marker: &Path,
    ) -> Result<Store, StoreError> {
        let dir = files_dir.as_ref().to_path_buf();
        std::fs::create_dir_all(dir.join(PHOTO_DIR))?;
        let mut conn = Connection::open(dir.join(DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a save acknowledged to the user survives a power cut, not only an app kill.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::migrations().to_latest(&mut conn)?;
        let marker_id = read_or_create_marker(marker)?;
        let store = Store {
            inner: Mutex::new(Inner { conn, cache: None }),
            dir,
            clock: Arc::new(SystemClock),
            catalog: Catalog::builtin(),
            marker_id: marker_id.clone(),
        };
        store.retire_foreign_identities(&marker_id)?;
        Ok(store)
    }

    /// Replaces the clock (tests, and phones whose clock the app distrusts).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The files directory the store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back), so
        // the connection stays usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn retire_foreign_identities(&self, marker_id: &str) -> Result<(), StoreError> {
        let inner = self.lock();
        inner.conn.execute(
            "UPDATE identities SET retired_at = ?1, retired_reason = 'restored: install marker differs',
                retired_kind = 'restored'
             WHERE retired_at IS NULL AND install_marker <> ?2",
            params![self.now().to_rfc3339(), marker_id],
        )?;
        Ok(())
    }

    /// Records a successful enrollment (`POST /api/v1/devices/enroll`) as the current identity.
    /// Any earlier identity is retired. Unsent versions saved for the same commune move to the
    /// new identity's outbox (same version ids, fresh sequence numbers: the server takes the same
    /// version from another device as the same version); another commune's stay waiting under
    /// their identity ([`Store::waiting`]). Enrolling into another commune or server starts the
    /// pull afresh and forgets the versions pulled for the old commune.
    pub fn enroll(&self, server_url: &str, response: &EnrollResponse) -> Result<(), StoreError> {
        self.take_identity(server_url, response, false)
    }

    /// Records the identity the server minted to replace one retired as a copy
    /// (`POST /api/v1/devices/reidentify`), like [`Store::enroll`], and pulls again from the
    /// start: what the original phone sent after the copy was made comes back.
    pub fn reidentified(
        &self,
        server_url: &str,
        response: &EnrollResponse,
    ) -> Result<(), StoreError> {
        self.take_identity(server_url, response, true)
    }

    fn take_identity(
        &self,
        server_url: &str,
        response: &EnrollResponse,
        pull_from_start: bool,
    ) -> Result<(), StoreError> {
        let marker = self.marker_id.as_str();
        let now = self.now().to_rfc3339();
        let server_url = server_url.trim_end_matches('/');
        let commune_id = response.commune.id.as_str();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx = inner.conn.transaction()?;
        // The identity the phone was using last (current or, after a restore, retired).
        let previous: Option<(String, String)> = tx
            .query_row(
                "SELECT server_url, commune_id FROM identities
                 ORDER BY retired_at IS NULL DESC, enrolled_at DESC, rowid DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        tx.execute(
            "UPDATE identities SET retired_at = ?1, retired_reason = 'enrolled again', retired_kind = 'enrolled'
             WHERE retired_at IS NULL",
            params![now],
        )?;
        tx.execute(
            "INSERT INTO identities (device_id, server_url, token, role, commune_id, install_marker, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                response.device_id.to_string(),
                server_url,
                response.token,
                json_text(&response.role)?,
                commune_id,
                marker,
                now,
            ],
        )?;
        let commune = json_text(&response.commune)?;
        // A different commune's configuration does not apply any more.
        tx.execute(
            "INSERT INTO commune (id, commune) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET commune = excluded.commune,
               config = CASE WHEN json_extract(commune.commune, '$.id') = json_extract(excluded.commune, '$.id')
                             THEN commune.config ELSE NULL END,
               config_etag = CASE WHEN json_extract(commune.commune, '$.id') = json_extract(excluded.commune, '$.id')
                             THEN commune.config_etag ELSE NULL END",
            params![commune],
        )?;
        let moved_on = previous
            .as_ref()
            .is_some_and(|(url, commune)| url != server_url || commune != commune_id);
        if moved_on || pull_from_start {
            tx.execute("DELETE FROM meta WHERE key = 'pull_cursor'", [])?;
            tx.execute("UPDATE commune SET config_etag = NULL WHERE id = 1", [])?;
        }
        if moved_on {
            tx.execute("DELETE FROM meta WHERE key = 'known_head'", [])?;
            // Pulled versions of another commune: not this phone's work, and not its commune.
            tx.execute(
                "DELETE FROM versions WHERE own = 0 AND commune_id IS NOT ?1",
                [commune_id],
            )?;
        }
        sync_state::move_unsent_to(&tx, response.device_id, commune_id, false)?;
        tx.execute("DELETE FROM meta WHERE key = 'enroll_attempt'", [])?;
        tx.commit()?;
        // The cache holds the enrolled commune's versions under their old envelopes.
        inner.cache = None;
        Ok(())
    }

    /// The attempt id to send with an enrollment with `code` at `server_url`: the same for
    /// every retry of that enrollment, until one succeeds.
    pub fn enroll_attempt(&self, server_url: &str, code: &str) -> Result<Uuid, StoreError> {
        let key = format!("{}\n{}", server_url.trim_end_matches('/'), code.trim());
        let inner = self.lock();
        if let Some(saved) = meta_get(&inner.conn, "enroll_attempt")? {
            if let Some((k, id)) = saved.rsplit_once('\n') {
                if k == key {
                    if let Ok(id) = id.parse() {
                        return Ok(id);
                    }
                }
            }
        }
        let id = Uuid::now_v7();
        meta_set(&inner.conn, "enroll_attempt", &format!("{key}\n{id}"))?;
        Ok(id)
    }

    /// The current enrollment, or `None` before enrollment or after the identity was retired.
    pub fn enrollment(&self) -> Result<Option<Enrollment>, StoreError> {
        let inner = self.lock();
        current_enrollment(&inner.conn)
    }

    /// Whether the phone must enroll again before saving (its identity was retired).
    pub fn needs_enrollment(&self) -> Result<bool, StoreError> {
        Ok(self.enrollment()?.is_none())
    }

    /// Why the last identity was retired, if it was (shown on the enroll screen).
    pub fn retired_reason(&self) -> Result<Option<String>, StoreError> {
        let inner = self.lock();
        let current: Option<String> = inner
            .conn
            .query_row(
                "SELECT device_id FROM identities WHERE retired_at IS NULL",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if current.is_some() {
            return Ok(None);
        }
        Ok(inner
            .conn
            .query_row(
                "SELECT retired_reason FROM identities ORDER BY enrolled_at DESC, rowid DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// The commune's configuration: the one pulled from the server, else the enrolled commune
    /// with no overrides, quotas or responsibilities.
    pub fn config(&self) -> Result<Option<CommuneConfig>, StoreError> {
        let inner = self.lock();
        commune_config(&inner.conn)
    }

    /// The app's settings.
    pub fn settings(&self) -> Result<Settings, StoreError> {
        let inner = self.lock();
        Ok(match meta_get(&inner.conn, "settings")? {
            Some(s) => serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            None => Settings::default(),
        })
    }

    pub fn set_settings(&self, settings: &Settings) -> Result<(), StoreError> {
        let inner = self.lock();
        meta_set(&inner.conn, "settings", &json_text(settings)?)
    }

    /// When the last complete sync round ended.
    pub fn last_sync_at(&self) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
        let inner = self.lock();
        Ok(meta_get(&inner.conn, "last_sync_at")?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok()))
    }

    /// `PRAGMA integrity_check`, `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        let inner = self.lock();
        Ok(inner
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Path of a photo's stored JPEG.
    pub fn photo_path(&self, id: &crate::ids::PhotoId) -> PathBuf {
        self.dir.join(PHOTO_DIR).join(format!("{id}.jpg"))
    }

    /// Path of a photo's thumbnail.
    pub fn thumbnail_path(&self, id: &crate::ids::PhotoId) -> PathBuf {
        self.dir.join(PHOTO_DIR).join(format!("{id}.thumb.jpg"))
    }
}

fn read_or_create_marker(path: &Path) -> Result<String, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => {
            let id = Uuid::now_v7().to_string();
            write_durably(path, id.as_bytes())?;
            Ok(id)
        }
    }
}

/// Writes a file so that it is either absent or complete after a crash: a temporary file,
/// fsync, rename, fsync of the directory. A failed write (a full disk) leaves no temporary
/// file behind.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        Uuid::now_v7().simple()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn current_enrollment(conn: &Connection) -> Result<Option<Enrollment>, StoreError> {
    let row = conn
        .query_row(
            "SELECT i.server_url, i.device_id, i.token, i.role, c.commune, i.enrolled_at
             FROM identities i, commune c WHERE i.retired_at IS NULL",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((server_url, device_id, token, role, commune, enrolled_at)) = row else {
        return Ok(None);
    };
    let corrupt = |e: String| StoreError::Corrupt(e);
    Ok(Some(Enrollment {
        server_url,
        device_id: device_id
            .parse()
            .map_err(|e: uuid::Error| corrupt(e.to_string()))?,
        token,
        role: serde_json::from_str(&role).map_err(|e| corrupt(e.to_string()))?,
        commune: serde_json::from_str(&commune).map_err(|e| corrupt(e.to_string()))?,
        enrolled_at: DateTime::parse_from_rfc3339(&enrolled_at)
            .map_err(|e| corrupt(e.to_string()))?,
    }))
}

fn commune_config(conn: &Connection) -> Result<Option<CommuneConfig>, StoreError> {
    let row: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT commune, config FROM commune WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    Ok(match row {
        None => None,
        Some((_, Some(config))) => Some(serde_json::from_str(&config).map_err(corrupt)?),
        Some((commune, None)) => Some(CommuneConfig {
            commune: serde_json::from_str(&commune).map_err(corrupt)?,
            province_targets: Default::default(),
            commune_targets: Default::default(),
            quotas: Vec::new(),
            responsibilities: Default::default(),
            editions: Default::default(),
            province_sets: Vec::new(),
            merged_from: Vec::new(),
        }),
    })
}

fn parse_version(json: &str) -> Result<Version, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("stored version: {e}")))
}

fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    s.parse()
        .map_err(|e: uuid::Error| StoreError::Corrupt(e.to_string()))
}
