//! The platform of tests: the test scripts the GPS (pushes fixes to every open watch), hands
//! out a fixed photo, and flips connectivity and lifecycle. Clones share one state, so a test
//! keeps a handle while the app holds another.

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

use tokio::sync::mpsc;

use super::*;

#[derive(Default)]
struct State {
    position: Option<Fix>,
    watchers: Vec<mpsc::UnboundedSender<Result<Fix, PlatformError>>>,
    photo: Option<PickedPhoto>,
    photo_requests: Vec<PhotoRequest>,
    connectivity: Option<Connectivity>,
    listeners: Vec<mpsc::UnboundedSender<PlatformEvent>>,
}

/// Scripted hardware for tests.
#[derive(Clone)]
pub struct FakePlatform {
    dir: PathBuf,
    state: Rc<RefCell<State>>,
}

impl FakePlatform {
    /// A fake whose files live in `dir` (a test's temporary directory).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        FakePlatform {
            dir: dir.into(),
            state: Rc::default(),
        }
    }

    /// The photo every `take_photo` returns (none: the user cancels).
    pub fn set_photo(&self, photo: PickedPhoto) {
        self.state.borrow_mut().photo = Some(photo);
    }

    /// What one-shot position requests answer from now on.
    pub fn set_position(&self, fix: Fix) {
        self.state.borrow_mut().position = Some(fix);
    }

    /// Delivers `fix` to every open watch (and makes it the current position).
    pub fn emit(&self, fix: Fix) {
        let mut s = self.state.borrow_mut();
        s.position = Some(fix);
        s.watchers.retain(|w| w.send(Ok(fix)).is_ok());
    }

    /// Delivers an error to every open watch.
    pub fn emit_error(&self, error: PlatformError) {
        self.state
            .borrow_mut()
            .watchers
            .retain(|w| w.send(Err(error.clone())).is_ok());
    }

    /// Open position watches (closed ones are forgotten on the next emit).
    pub fn open_watches(&self) -> usize {
        let mut s = self.state.borrow_mut();
        s.watchers.retain(|w| !w.is_closed());
        s.watchers.len()
    }

    /// The photo requests the app made, in order.
    pub fn photo_requests(&self) -> Vec<PhotoRequest> {
        self.state.borrow().photo_requests.clone()
    }

    /// Changes connectivity and tells the app.
    pub fn set_connectivity(&self, c: Connectivity) {
        let mut s = self.state.borrow_mut();
        s.connectivity = Some(c);
        s.listeners
            .retain(|l| l.send(PlatformEvent::Connectivity(c)).is_ok());
    }

    /// Sends a lifecycle event to the app.
    pub fn lifecycle(&self, e: LifecycleEvent) {
        self.state
            .borrow_mut()
            .listeners
            .retain(|l| l.send(PlatformEvent::Lifecycle(e)).is_ok());
    }
}

impl Platform for FakePlatform {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn files_dir(&self) -> PathBuf {
        self.dir.clone()
    }

    fn current_position(
        &self,
        _options: PositionOptions,
    ) -> LocalBoxFuture<'static, Result<Fix, PlatformError>> {
        let fix = self.state.borrow().position;
        Box::pin(async move { fix.ok_or(PlatformError::NoFix) })
    }

    fn watch_position(&self, _options: PositionOptions) -> PositionWatch {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state.borrow_mut().watchers.push(tx);
        PositionWatch::new(rx, None)
    }

    fn photo_input(&self) -> PhotoInput {
        PhotoInput::Button
    }

    fn take_photo(
        &self,
        request: PhotoRequest,
    ) -> LocalBoxFuture<'static, Result<Option<PickedPhoto>, PlatformError>> {
        let mut s = self.state.borrow_mut();
        s.photo_requests.push(request);
        let photo = s.photo.clone();
        Box::pin(async move { Ok(photo) })
    }

    fn connectivity(&self) -> Connectivity {
        self.state
            .borrow()
            .connectivity
            .unwrap_or(Connectivity::Online)
    }

    fn events(&self) -> mpsc::UnboundedReceiver<PlatformEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state.borrow_mut().listeners.push(tx);
        rx
    }
}
