//! The services the screens take from context: the device store, the sync engine, the
//! platform, drafts and message catalogs (non-reactive, shared), plus the reactive app state
//! ([`AppState`]: navigation, what changed, sync progress, settings).

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use dioxus::prelude::*;
use ntm_field::store::{Settings, Store, StoreError};
use ntm_field::sync::{SyncEngine, SyncHandle, SyncOptions, SyncProgress};

use crate::drafts::Drafts;
use crate::i18n::{CatalogError, Catalogs};
use crate::platform::{Connectivity, Platform, PlatformService};
use crate::screens::Screen;

/// How the app was started (the preview binary's flags, a test's setup).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchOptions {
    /// Server address to prefill on the enroll screen.
    pub default_server: Option<String>,
}

/// The app's long-lived services; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<Store>,
    pub engine: Arc<SyncEngine>,
    pub platform: PlatformService,
    pub drafts: Drafts,
    pub catalogs: Rc<Catalogs>,
    pub launch: LaunchOptions,
    /// The background sync engine, once started (it needs a tokio runtime, which component
    /// tests do not have; they run rounds with `engine.sync_once()` instead). Shared by every
    /// window of the same phone (the preview's browser tabs).
    pub sync_handle: SharedSync,
}

/// The background engine's handle, shared across threads.
pub type SharedSync = Arc<Mutex<Option<SyncHandle>>>;

/// The app could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the phone's database in {dir}: {source}")]
    Store { dir: PathBuf, source: StoreError },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl Services {
    /// Opens the device store in the platform's files directory and builds the services.
    pub fn open(platform: Rc<dyn Platform>, launch: LaunchOptions) -> Result<Self, StartError> {
        let dir = platform.files_dir();
        let store = Store::open(&dir).map_err(|source| StartError::Store {
            dir: dir.clone(),
            source,
        })?;
        Self::with_store(Arc::new(store), platform, launch)
    }

    /// Services over an already open store (tests that also look into the store).
    pub fn with_store(
        store: Arc<Store>,
        platform: Rc<dyn Platform>,
        launch: LaunchOptions,
    ) -> Result<Self, StartError> {
        let engine = Arc::new(SyncEngine::new(store.clone(), SyncOptions::default()));
        Self::shared(store, engine, SharedSync::default(), platform, launch)
    }

    /// Services over a store and engine shared with other windows of the same phone.
    pub fn shared(
        store: Arc<Store>,
        engine: Arc<SyncEngine>,
        sync_handle: SharedSync,
        platform: Rc<dyn Platform>,
        launch: LaunchOptions,
    ) -> Result<Self, StartError> {
        Ok(Services {
            drafts: Drafts::new(store.dir()),
            store,
            engine,
            platform: PlatformService(platform),
            catalogs: Rc::new(Catalogs::load()?),
            launch,
            sync_handle,
        })
    }

    fn handle(&self) -> std::sync::MutexGuard<'_, Option<SyncHandle>> {
        self.sync_handle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the background sync engine when a tokio runtime is there to run it.
    pub fn start_sync(&self) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut handle = self.handle();
        if handle.is_none() {
            *handle = Some(self.engine.clone().spawn());
        }
    }

    /// Asks for a sync round now (after a save, or the sync button). Without the background
    /// engine the round runs on the UI's own executor.
    pub fn sync_now(&self) {
        if let Some(h) = self.handle().as_ref() {
            h.sync_now();
            return;
        }
        let engine = self.engine.clone();
        spawn(async move {
            if let Err(e) = engine.sync_once().await {
                tracing::info!(%e, "sync round failed");
            }
        });
    }

    /// Passes the OS's word about the network to the engine.
    pub fn connectivity_changed(&self, c: Connectivity) {
        if let Some(h) = self.handle().as_ref() {
            h.connectivity_changed(c != Connectivity::Offline);
        }
    }
}

/// A message shown briefly at the bottom of the screen ("Đã lưu").
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub msg_id: &'static str,
    pub error: bool,
}

/// The reactive state every screen shares. All fields are signals, so the struct is `Copy`.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The screens opened, the current one last.
    pub nav: Signal<Vec<Screen>>,
    /// Bumped after every write to the store (saves, sync rounds), so lists read again.
    pub revision: Signal<u64>,
    pub sync: Signal<SyncProgress>,
    pub settings: Signal<Settings>,
    pub connectivity: Signal<Connectivity>,
    pub toast: Signal<Option<Toast>>,
    /// The household list's search and filters, kept while a check is open.
    pub household_filter: Signal<crate::screens::ListFilter>,
}

impl AppState {
    pub fn current(&self) -> Screen {
        self.nav.read().last().cloned().unwrap_or(Screen::Home)
    }

    /// Opens a screen on top of the current one.
    pub fn go(mut self, screen: Screen) {
        self.nav.write().push(screen);
    }

    /// Back to the previous screen (never past the first).
    pub fn back(mut self) {
        let mut nav = self.nav.write();
        if nav.len() > 1 {
            nav.pop();
        }
    }

    /// Starts over at `screen` (after enrolling, or after a save returns home).
    pub fn reset(mut self, screen: Screen) {
        self.nav.set(vec![screen]);
    }

    /// Something in the store changed.
    pub fn changed(mut self) {
        *self.revision.write() += 1;
    }

    pub fn toast(mut self, msg_id: &'static str, error: bool) {
        self.toast.set(Some(Toast { msg_id, error }));
    }
}

/// The services of the current app.
pub fn use_services() -> Services {
    use_context::<Services>()
}

/// The reactive state of the current app.
pub fn use_app() -> AppState {
    use_context::<AppState>()
}
