//! The browser preview's platform: the app's UI runs in Rust (liveview) and the browser is the
//! phone. Positions come from `navigator.geolocation` and photos from
//! `<input type=file accept=image/* capture=environment>`, both through `document::eval`.
//!
//! One long-lived script (started by [`Platform::start`]) reports page events: a file chosen in
//! any photo input (`data-photo-input`, read and sent as base64), `online`/`offline`, and
//! `visibilitychange` as the app's lifecycle. Each position watch is its own script, which
//! clears the browser's watch when Rust drops the [`PositionWatch`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use base64::Engine;
use dioxus::document;
use dioxus::prelude::spawn;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::*;

type PhotoWaiter = oneshot::Sender<Result<Option<PickedPhoto>, PlatformError>>;

#[derive(Default)]
struct State {
    started: bool,
    watches: u64,
    online: Option<bool>,
    photo_waiters: HashMap<String, Vec<PhotoWaiter>>,
    listeners: Vec<mpsc::UnboundedSender<PlatformEvent>>,
}

/// The platform of the liveview preview.
#[derive(Clone)]
pub struct BrowserPlatform {
    dir: PathBuf,
    state: Rc<RefCell<State>>,
}

impl BrowserPlatform {
    /// The browser platform, with the phone's files (database, photos, drafts) in `dir` on the
    /// machine that serves the preview.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        BrowserPlatform {
            dir: dir.into(),
            state: Rc::default(),
        }
    }
}

const PAGE_EVENTS_JS: &str = r#"
const send = (m) => dioxus.send(m);
document.addEventListener('change', async (ev) => {
  const input = ev.target;
  if (!input || !input.matches || !input.matches('input[type=file][data-photo-input]')) return;
  const file = input.files && input.files[0];
  if (!file) { send({ photo: { input_id: input.id, cancelled: true } }); return; }
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    send({ photo: { input_id: input.id, name: file.name, type: file.type, data: btoa(bin) } });
  } catch (e) {
    send({ photo: { input_id: input.id, error: String(e) } });
  }
  input.value = '';
}, true);
window.addEventListener('online', () => send({ online: true }));
window.addEventListener('offline', () => send({ online: false }));
document.addEventListener('visibilitychange', () => send({ visible: document.visibilityState === 'visible' }));
send({ online: navigator.onLine });
await new Promise(() => {});
"#;

#[derive(Deserialize)]
struct PageEvent {
    #[serde(default)]
    photo: Option<JsPhoto>,
    #[serde(default)]
    online: Option<bool>,
    #[serde(default)]
    visible: Option<bool>,
}

#[derive(Deserialize)]
struct JsPhoto {
    input_id: String,
    #[serde(default)]
    cancelled: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    content_type: String,
    #[serde(default)]
    data: String,
}

#[derive(Deserialize)]
struct JsFix {
    lat: f64,
    lon: f64,
    accuracy: f64,
    #[serde(default)]
    altitude: Option<f64>,
    t: f64,
}

#[derive(Deserialize)]
struct JsPositionError {
    code: u32,
    message: String,
}

#[derive(Deserialize)]
struct JsPositionMsg {
    #[serde(default)]
    ok: Option<JsFix>,
    #[serde(default)]
    err: Option<JsPositionError>,
}

impl JsPositionMsg {
    fn into_result(self) -> Result<Fix, PlatformError> {
        match (self.ok, self.err) {
            (Some(f), _) => Ok(Fix::at_millis(
                f.lat, f.lon, f.accuracy, f.altitude, f.t as i64,
            )),
            (None, Some(e)) => Err(match e.code {
                1 => PlatformError::LocationDenied,
                2 | 3 => PlatformError::NoFix,
                _ => PlatformError::Other(e.message),
            }),
            (None, None) => Err(PlatformError::Other("empty position message".to_owned())),
        }
    }
}

fn position_options_js(o: PositionOptions) -> String {
    format!(
        "{{ enableHighAccuracy: {}, maximumAge: 0, timeout: {} }}",
        o.high_accuracy,
        o.timeout.as_millis()
    )
}

impl State {
    fn next_watch(&mut self) -> u64 {
        self.watches += 1;
        self.watches
    }

    fn handle(&mut self, event: PageEvent) {
        if let Some(online) = event.online {
            self.online = Some(online);
            let c = if online {
                Connectivity::Online
            } else {
                Connectivity::Offline
            };
            self.listeners
                .retain(|l| l.send(PlatformEvent::Connectivity(c)).is_ok());
        }
        if let Some(visible) = event.visible {
            let e = if visible {
                LifecycleEvent::Resumed
            } else {
                LifecycleEvent::Paused
            };
            self.listeners
                .retain(|l| l.send(PlatformEvent::Lifecycle(e)).is_ok());
        }
        if let Some(photo) = event.photo {
            let result = if photo.cancelled {
                Ok(None)
            } else if let Some(e) = photo.error {
                Err(PlatformError::PhotoUnreadable(e))
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(photo.data.as_bytes())
                    .map(|bytes| {
                        Some(PickedPhoto {
                            bytes,
                            file_name: photo.name,
                            content_type: photo.content_type,
                        })
                    })
                    .map_err(|e| PlatformError::PhotoUnreadable(e.to_string()))
            };
            for waiter in self
                .photo_waiters
                .remove(&photo.input_id)
                .unwrap_or_default()
            {
                let _ = waiter.send(result.clone());
            }
        }
    }
}

/// Tells the page to clear its geolocation watch when the Rust side stops listening.
struct ClearWatchOnDrop {
    document: std::rc::Rc<dyn dioxus::document::Document>,
    key: u64,
}

impl Drop for ClearWatchOnDrop {
    fn drop(&mut self) {
        let key = self.key;
        let _ = self.document.eval(format!(
            "if (window.__ntmWatches && window.__ntmWatches[{key}] !== undefined) {{ \
               navigator.geolocation.clearWatch(window.__ntmWatches[{key}]); delete window.__ntmWatches[{key}]; }}"
        ));
    }
}

impl Platform for BrowserPlatform {
    fn name(&self) -> &'static str {
        "browser"
    }

    fn start(&self) {
        if std::mem::replace(&mut self.state.borrow_mut().started, true) {
            return;
        }
        let mut eval = document::eval(PAGE_EVENTS_JS);
        let state = self.state.clone();
        spawn(async move {
            while let Ok(event) = eval.recv::<PageEvent>().await {
                state.borrow_mut().handle(event);
            }
        });
    }

    fn files_dir(&self) -> PathBuf {
        self.dir.clone()
    }

    fn current_position(
        &self,
        options: PositionOptions,
    ) -> LocalBoxFuture<'static, Result<Fix, PlatformError>> {
        let js = format!(
            r#"
if (!navigator.geolocation) return {{ err: {{ code: 0, message: 'geolocation unsupported' }} }};
return await new Promise((resolve) => navigator.geolocation.getCurrentPosition(
  (p) => resolve({{ ok: {{ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, altitude: p.coords.altitude, t: p.timestamp }} }}),
  (e) => resolve({{ err: {{ code: e.code, message: e.message }} }}),
  {options}));
"#,
            options = position_options_js(options)
        );
        let eval = document::eval(&js);
        Box::pin(async move {
            eval.join::<JsPositionMsg>()
                .await
                .map_err(|e| PlatformError::Other(e.to_string()))?
                .into_result()
        })
    }

    fn watch_position(&self, options: PositionOptions) -> PositionWatch {
        // No `await dioxus.recv()` here: liveview 0.7.10 implements it as a busy loop on the
        // page's main thread, which freezes the page until a message arrives over the very
        // socket that thread would have to read. The watch id is kept on the page instead, and
        // a second script clears it.
        let key = self.state.borrow_mut().next_watch();
        let js = format!(
            r#"
if (!navigator.geolocation) {{ dioxus.send({{ err: {{ code: 0, message: 'geolocation unsupported' }} }}); return; }}
window.__ntmWatches = window.__ntmWatches || {{}};
window.__ntmWatches[{key}] = navigator.geolocation.watchPosition(
  (p) => dioxus.send({{ ok: {{ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, altitude: p.coords.altitude, t: p.timestamp }} }}),
  (e) => dioxus.send({{ err: {{ code: e.code, message: e.message }} }}),
  {{ enableHighAccuracy: {high}, maximumAge: 0 }});
await new Promise(() => {{}});
"#,
            high = options.high_accuracy
        );
        let document = document::document();
        let mut eval = document.eval(js);
        let (tx, rx) = mpsc::unbounded_channel();
        spawn(async move {
            while let Ok(msg) = eval.recv::<JsPositionMsg>().await {
                if tx.send(msg.into_result()).is_err() {
                    break;
                }
            }
        });
        PositionWatch::new(rx, Some(Box::new(ClearWatchOnDrop { document, key })))
    }

    fn photo_input(&self) -> PhotoInput {
        PhotoInput::FileInput
    }

    fn take_photo(
        &self,
        request: PhotoRequest,
    ) -> LocalBoxFuture<'static, Result<Option<PickedPhoto>, PlatformError>> {
        let (tx, rx) = oneshot::channel();
        let started = {
            let mut s = self.state.borrow_mut();
            s.photo_waiters
                .entry(request.input_id)
                .or_default()
                .push(tx);
            s.started
        };
        Box::pin(async move {
            if !started {
                return Err(PlatformError::Unsupported);
            }
            rx.await.unwrap_or(Ok(None))
        })
    }

    fn connectivity(&self) -> Connectivity {
        match self.state.borrow().online {
            Some(true) => Connectivity::Online,
            Some(false) => Connectivity::Offline,
            None => Connectivity::Unknown,
        }
    }

    fn events(&self) -> mpsc::UnboundedReceiver<PlatformEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state.borrow_mut().listeners.push(tx);
        rx
    }
}
