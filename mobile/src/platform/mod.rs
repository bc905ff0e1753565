//! Phone hardware and OS services behind one trait, shaped like Dioxus's
//! `geolocation-native-plugin` example: a public API here, serde models in [`models`],
//! errors in [`error`], and one implementation per place the app runs:
//!
//! | implementation | where | position | photo |
//! |---|---|---|---|
//! | [`browser::BrowserPlatform`] | the liveview preview in a browser | `navigator.geolocation` through `document::eval` | `<input type=file accept=image/* capture=environment>` |
//! | [`desktop::DesktopPlatform`] | development on a workstation | a simulated walk from a typed start | a file path typed by the developer |
//! | [`fake::FakePlatform`] | tests | scripted fixes pushed by the test | fixed bytes |
//! | `native/` (not built yet) | Android and iOS | Kotlin/Swift plugins through `manganis::ffi` | camera intent / picker |
//!
//! Screens never branch on the platform except through [`Platform::photo_input`], which says
//! how a photo is asked for (a file input the user taps, a path field, or a native button).

pub mod browser;
pub mod desktop;
pub mod error;
pub mod fake;
pub mod models;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;

use tokio::sync::mpsc;

pub use error::PlatformError;
pub use models::{
    Connectivity, Fix, LifecycleEvent, PhotoInput, PhotoRequest, PickedPhoto, PositionOptions,
};

/// A future that stays on the UI thread (Dioxus runs a VirtualDom on one thread).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The services the app needs from the device.
pub trait Platform {
    /// Short name for logs and the settings screen (`browser`, `desktop`, `fake`, `android`).
    fn name(&self) -> &'static str;

    /// Called once when the app's root component mounts, inside the Dioxus runtime: a place to
    /// install listeners that live as long as the app (page events in the browser).
    fn start(&self) {}

    /// Where the app keeps its files (the device database, photos, drafts).
    fn files_dir(&self) -> PathBuf;

    /// One position fix, e.g. for a household check.
    fn current_position(
        &self,
        options: PositionOptions,
    ) -> LocalBoxFuture<'static, Result<Fix, PlatformError>>;

    /// A stream of fixes until the returned watch is dropped, for road tracks and averaged sign
    /// positions. Fixes carry their own accuracy; gating is the core's job, not the platform's.
    fn watch_position(&self, options: PositionOptions) -> PositionWatch;

    /// How the photo control is presented on this platform.
    fn photo_input(&self) -> PhotoInput;

    /// The next photo for the control `request` names: taken by the camera, picked from the
    /// gallery, or read from the path typed. `Ok(None)` when the user cancelled.
    fn take_photo(
        &self,
        request: PhotoRequest,
    ) -> LocalBoxFuture<'static, Result<Option<PickedPhoto>, PlatformError>>;

    /// What the OS says about the network right now. Whether the *server* answers is the sync
    /// engine's to find out; this only avoids trying when the phone knows it has no network.
    fn connectivity(&self) -> Connectivity;

    /// Connectivity changes and app lifecycle events (paused, resumed), as they happen.
    fn events(&self) -> mpsc::UnboundedReceiver<PlatformEvent>;
}

/// Something the OS told the app.
#[derive(Debug, Clone, PartialEq)]
pub enum PlatformEvent {
    Connectivity(Connectivity),
    Lifecycle(LifecycleEvent),
}

/// The platform as a context value: `use_context::<PlatformService>()`.
#[derive(Clone)]
pub struct PlatformService(pub Rc<dyn Platform>);

impl std::ops::Deref for PlatformService {
    type Target = dyn Platform;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// Fixes from [`Platform::watch_position`]. Dropping it stops the watch (the guard tells the
/// platform to release the GPS).
pub struct PositionWatch {
    fixes: mpsc::UnboundedReceiver<Result<Fix, PlatformError>>,
    _stop: Option<Box<dyn std::any::Any>>,
}

impl PositionWatch {
    /// A watch over `fixes`; `stop` is dropped when the watch is.
    pub fn new(
        fixes: mpsc::UnboundedReceiver<Result<Fix, PlatformError>>,
        stop: Option<Box<dyn std::any::Any>>,
    ) -> Self {
        PositionWatch { fixes, _stop: stop }
    }

    /// The next fix or error; `None` when the platform ended the watch.
    pub async fn next(&mut self) -> Option<Result<Fix, PlatformError>> {
        self.fixes.recv().await
    }
}
