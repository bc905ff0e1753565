//! ntm-server: the sync server of ntm-field (product.md §4). The flow of a record:
//! HTTP ([`router`]) -> auth extractor ([`auth`]) -> body decoding ([`body`]) -> core validation
//! ([`sync`]) -> storage ([`storage`]: insert-ignore, facts, COMMIT) -> ack.
#![forbid(unsafe_code)]

pub mod auth;
pub mod body;
pub mod cli;
pub mod dashboard;
pub mod dates;
pub mod error;
pub mod failpoint;
pub mod handlers;
pub mod limits;
pub mod lineage;
pub mod odk;
pub mod openapi;
pub mod photos;
pub mod reply;
pub mod reports;
pub mod router;
pub mod seed;
pub mod serve;
pub mod storage;
pub mod sync;
pub mod tus;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::limits::{Limits, RateLimiter};
use crate::photos::PhotoStore;
use crate::storage::postgres::PostgresStorage;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::Storage;

/// Everything a handler needs.
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    pub photos: PhotoStore,
    pub limits: Limits,
    pub rate: RateLimiter,
    /// One lock per tus upload, so two PATCHes (or a PATCH and a HEAD) never interleave.
    upload_locks: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    /// The overview's standings of communes, kept while their records and settings stay.
    pub summaries: Arc<dashboard::summaries::Summaries>,
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, photos: PhotoStore, limits: Limits) -> Self {
        AppState {
            storage,
            photos,
            limits,
            rate: RateLimiter::default(),
            upload_locks: Mutex::new(HashMap::new()),
            summaries: Arc::default(),
        }
    }

    pub fn upload_lock(&self, id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.upload_locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(id).or_default().clone()
    }
}

/// A data directory: `ntm.sqlite3` and the photo store; or, with a PostgreSQL URL, only the
/// photo store (several servers then share the database and one photo directory, e.g. an NFS
/// mount given by `--photos`).
pub struct DataDir {
    pub root: PathBuf,
    /// `postgres://...`: the shared database instead of SQLite in `root`.
    pub database_url: Option<String>,
    /// Where photos and unfinished uploads live, when not in `root`.
    pub photos: Option<PathBuf>,
}

impl DataDir {
    /// Creates the directory if needed.
    pub fn create(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root).map_err(|e| {
            anyhow::anyhow!("cannot create the data directory {}: {e}", root.display())
        })?;
        Ok(DataDir {
            root: root.to_owned(),
            database_url: None,
            photos: None,
        })
    }

    /// Uses the PostgreSQL database at `url` (`postgres://` or `postgresql://`) instead of SQLite.
    pub fn with_database(mut self, url: Option<String>) -> anyhow::Result<Self> {
        if let Some(url) = &url {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                anyhow::bail!("--database takes a PostgreSQL URL (postgres://user:password@host:port/database); leave it out for SQLite in --data");
            }
        }
        self.database_url = url;
        Ok(self)
    }

    /// Keeps the photo store in `dir` instead of the data directory.
    pub fn with_photos(mut self, dir: Option<PathBuf>) -> Self {
        self.photos = dir;
        self
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("ntm.sqlite3")
    }

    /// Opens the storage and the photo store (migrating and reconciling unfinished uploads).
    pub fn open(&self) -> anyhow::Result<(Arc<dyn Storage>, PhotoStore)> {
        let photos = PhotoStore::open(self.photos.as_deref().unwrap_or(&self.root))?;
        match &self.database_url {
            None => {
                let storage = SqliteStorage::open(&self.database()).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open the database {}: {e}",
                        self.database().display()
                    )
                })?;
                let storage: Arc<dyn Storage> = Arc::new(storage);
                photos.reconcile(&*storage)?;
                Ok((storage, photos))
            }
            Some(url) => {
                let storage = PostgresStorage::connect(url)
                    .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
                let storage: Arc<dyn Storage> = Arc::new(storage);
                // Other servers may be writing to the shared photo directory right now: only
                // expired uploads are cleaned up, nothing that is in progress elsewhere.
                photos.remove_expired(&*storage)?;
                Ok((storage, photos))
            }
        }
    }
}

/// Runs blocking work (SQLite, hashing, decoding) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("a server task failed ({e}); try again")))?
}
