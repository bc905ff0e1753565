//! A harness for component tests: the whole app in a VirtualDom over the **real** device store
//! (a temporary directory, enrolled into the Thiện Kế demo commune with its households, as a
//! first pull from the server would leave it) and the fake platform (scripted GPS, a fixed
//! photo). Elements are found by their DOM `id`, events are sent as the browser would, and the
//! page is read as HTML through dioxus-ssr.

#![allow(dead_code)]

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use dioxus::dioxus_core::{
    AttributeValue, ElementId, Event, ScopeId, Template, TemplateAttribute, TemplateNode,
    WriteMutations,
};
use dioxus::prelude::*;
use dioxus_html::{PlatformEventData, SerializedFormData, SerializedMouseData};
use ntm_field::ids::PhotoId;
use ntm_field::protocol::{EnrollResponse, PullResponse, Role};
use ntm_field::store::Store;
use ntm_mobile::platform::fake::FakePlatform;
use ntm_mobile::platform::{Fix, PickedPhoto};
use ntm_mobile::screens::Screen;
use ntm_mobile::services::{AppState, LaunchOptions};
use ntm_mobile::{App, Services};
use uuid::Uuid;

/// Follows the mutations to know which `ElementId` carries which DOM `id`.
#[derive(Default)]
struct IdTracker {
    /// The root node of the template loaded last: `assign_node_id` paths start there.
    root: Option<&'static TemplateNode>,
    ids: HashMap<String, ElementId>,
}

fn static_id(node: &TemplateNode) -> Option<&'static str> {
    match node {
        TemplateNode::Element { attrs, .. } => attrs.iter().find_map(|a| match a {
            TemplateAttribute::Static {
                name: "id", value, ..
            } => Some(*value),
            _ => None,
        }),
        _ => None,
    }
}

impl IdTracker {
    fn node_at(&self, path: &[u8]) -> Option<&'static TemplateNode> {
        let mut node = self.root?;
        for &i in path {
            node = match node {
                TemplateNode::Element { children, .. } => children.get(usize::from(i))?,
                _ => return None,
            };
        }
        Some(node)
    }
}

impl WriteMutations for IdTracker {
    fn append_children(&mut self, _: ElementId, _: usize) {}
    fn assign_node_id(&mut self, path: &'static [u8], id: ElementId) {
        if let Some(dom_id) = self.node_at(path).and_then(static_id) {
            self.ids.insert(dom_id.to_owned(), id);
        }
    }
    fn create_placeholder(&mut self, _: ElementId) {}
    fn create_text_node(&mut self, _: &str, _: ElementId) {}
    fn load_template(&mut self, template: Template, index: usize, id: ElementId) {
        self.root = template.roots.get(index);
        if let Some(dom_id) = self.root.and_then(static_id) {
            self.ids.insert(dom_id.to_owned(), id);
        }
    }
    fn replace_node_with(&mut self, _: ElementId, _: usize) {}
    fn replace_placeholder_with_nodes(&mut self, _: &'static [u8], _: usize) {}
    fn insert_nodes_after(&mut self, _: ElementId, _: usize) {}
    fn insert_nodes_before(&mut self, _: ElementId, _: usize) {}
    fn set_attribute(
        &mut self,
        name: &'static str,
        _: Option<&'static str>,
        value: &AttributeValue,
        id: ElementId,
    ) {
        if name == "id" {
            if let AttributeValue::Text(v) = value {
                self.ids.insert(v.clone(), id);
            }
        }
    }
    fn set_node_text(&mut self, _: &str, _: ElementId) {}
    fn create_event_listener(&mut self, _: &'static str, _: ElementId) {}
    fn remove_event_listener(&mut self, _: &'static str, _: ElementId) {}
    fn remove_node(&mut self, _: ElementId) {}
    fn push_root(&mut self, _: ElementId) {}
}

/// A JPEG the fake camera hands out (a real picture, so the core's photo intake decodes,
/// resizes and hashes it).
pub fn test_jpeg() -> Vec<u8> {
    test_jpeg_tinted(120)
}

/// Another picture for each `blue`: a photo retaken of something else.
pub fn test_jpeg_tinted(blue: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, blue])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .unwrap();
    out
}

/// A store enrolled into the demo commune, holding what the first pull brings.
pub fn enrolled_store(dir: &std::path::Path) -> Arc<Store> {
    let store = Store::open(dir).unwrap();
    let demo = ntm_field::demo::thien_ke().unwrap();
    store
        .enroll(
            "http://127.0.0.1:9",
            &EnrollResponse {
                device_id: Uuid::now_v7(),
                token: "test-token".to_owned(),
                role: Role::Enumerator,
                commune: demo.config.commune.clone(),
            },
        )
        .unwrap();
    let versions: Vec<_> = demo
        .versions
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, mut v)| {
            v.server_seq = Some(i as u64 + 1);
            v
        })
        .collect();
    let n = versions.len() as u64;
    store
        .sync_apply_pull(&PullResponse {
            versions,
            next_cursor: n,
            up_to_date: true,
            config: Some(demo.config.clone()),
            config_etag: "demo".to_owned(),
        })
        .unwrap();
    Arc::new(store)
}

/// The app on a real store and a fake platform.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub store: Arc<Store>,
    pub fake: FakePlatform,
    pub dom: VirtualDom,
    ids: IdTracker,
    /// Drives what the app spawns (HTTP calls, timers). The app is mounted outside it, so it
    /// does not start its background sync engine.
    rt: tokio::runtime::Runtime,
}

impl Harness {
    /// An enrolled phone showing the home screen.
    pub fn enrolled() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = enrolled_store(dir.path());
        Self::with_store(dir, store)
    }

    /// A new phone (enroll screen).
    pub fn fresh() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        Self::with_store(dir, store)
    }

    pub fn with_store(dir: tempfile::TempDir, store: Arc<Store>) -> Harness {
        dioxus_html::set_event_converter(Box::new(dioxus_html::SerializedHtmlEventConverter));
        let fake = FakePlatform::new(dir.path());
        fake.set_photo(PickedPhoto {
            bytes: test_jpeg(),
            file_name: "test.jpg".into(),
            content_type: "image/jpeg".into(),
        });
        let services = Services::with_store(
            store.clone(),
            Rc::new(fake.clone()),
            LaunchOptions::default(),
        )
        .unwrap();
        let dom = VirtualDom::new(App).with_root_context(services);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut h = Harness {
            dir,
            store,
            fake,
            dom,
            ids: IdTracker::default(),
            rt,
        };
        h.dom.rebuild(&mut h.ids);
        // Let the app's long-lived futures start (OS events, sync progress), as a launcher would.
        h.settle();
        h
    }

    /// Reopens the app on the same files, as after the phone killed it.
    pub fn restart(self) -> Harness {
        let Harness {
            dir, dom, store, ..
        } = self;
        drop(dom);
        drop(store);
        let store = Arc::new(Store::open(dir.path()).unwrap());
        Self::with_store(dir, store)
    }

    /// The fake camera's next picture is another one (`blue` tells them apart).
    pub fn camera_sees_something_else(&self, blue: u8) {
        self.fake.set_photo(PickedPhoto {
            bytes: test_jpeg_tinted(blue),
            file_name: format!("anh-{blue}.jpg"),
            content_type: "image/jpeg".into(),
        });
    }

    /// The photo in the slot of form field `path`, if any, and whether its file is on disk.
    pub fn photo_in(&self, path: &str) -> Option<(PhotoId, bool)> {
        let html = self.html();
        let marker = format!("id=\"{}\"", ntm_mobile::components::field_dom_id(path));
        let at = html.find(&marker)?;
        let open = html[..at].rfind('<')?;
        let tag = &html[open..open + html[open..].find('>')?];
        let hex = tag.split("data-photo=\"").nth(1)?.split('"').next()?;
        let id = PhotoId::parse(hex).ok()?;
        Some((id, self.store.photo_path(&id).exists()))
    }

    /// The page as HTML.
    pub fn html(&self) -> String {
        dioxus_ssr::render(&self.dom)
    }

    /// Applies pending renders (after events or signal changes).
    pub fn render(&mut self) {
        let _runtime = self.rt.enter();
        self.dom.render_immediate(&mut self.ids);
    }

    /// Lets spawned tasks (GPS watches, photo intake, a sync attempt) run, then renders. The
    /// harness itself runs outside any tokio runtime, so the app does not start its background
    /// sync engine; the runtime here only drives what the app spawned.
    pub fn settle(&mut self) {
        let dom = &mut self.dom;
        let ids = &mut self.ids;
        self.rt.block_on(async {
            for _ in 0..50 {
                if tokio::time::timeout(Duration::from_millis(150), dom.wait_for_work())
                    .await
                    .is_err()
                {
                    break;
                }
                dom.render_immediate(ids);
            }
        });
        self.render();
    }

    fn element(&self, dom_id: &str) -> ElementId {
        *self
            .ids
            .ids
            .get(dom_id)
            .unwrap_or_else(|| panic!("no element with id {dom_id:?} on screen:\n{}", self.html()))
    }

    fn send(&mut self, name: &str, data: PlatformEventData, dom_id: &str) {
        let id = self.element(dom_id);
        let event = Event::new(Rc::new(data) as Rc<dyn Any>, true);
        let _runtime = self.rt.enter();
        self.dom.runtime().handle_event(name, event, id);
        self.render();
    }

    /// Taps the element with this DOM id.
    pub fn click(&mut self, dom_id: &str) {
        self.send(
            "click",
            PlatformEventData::new(Box::<SerializedMouseData>::default()),
            dom_id,
        );
    }

    /// Types `value` into a text field (an `input` event with the whole new value).
    pub fn type_in(&mut self, dom_id: &str, value: &str) {
        self.send(
            "input",
            PlatformEventData::new(Box::new(SerializedFormData::new(value.to_owned(), vec![]))),
            dom_id,
        );
    }

    /// Picks an option of a `<select>`.
    pub fn select(&mut self, dom_id: &str, value: &str) {
        self.send(
            "change",
            PlatformEventData::new(Box::new(SerializedFormData::new(value.to_owned(), vec![]))),
            dom_id,
        );
    }

    /// Whether an element with this id is on screen.
    pub fn has(&self, dom_id: &str) -> bool {
        self.html().contains(&format!("id=\"{dom_id}\""))
    }

    /// The app's shared state.
    pub fn app(&self) -> AppState {
        self.dom
            .runtime()
            .has_context::<AppState>(ScopeId::APP)
            .expect("the app provides its state")
    }

    /// Opens a screen the way a button would.
    pub fn go(&mut self, screen: Screen) {
        let app = self.app();
        self.dom.in_runtime(|| app.go(screen));
        self.render();
    }

    /// Tells the app the store changed behind its back (what a finished sync round does).
    pub fn store_changed(&mut self) {
        let app = self.app();
        self.dom.in_runtime(|| app.changed());
        self.render();
    }

    /// The screen shown.
    pub fn screen(&self) -> String {
        let html = self.html();
        let start = html
            .find("data-screen=\"")
            .expect("the app root names its screen")
            + 13;
        html[start..].split('"').next().unwrap().to_owned()
    }

    /// The text inside the element with this id (tags stripped).
    pub fn text_of(&self, dom_id: &str) -> String {
        let html = self.html();
        let marker = format!("id=\"{dom_id}\"");
        let at = html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {dom_id:?} on screen:\n{html}"));
        let open = html[..at].rfind('<').unwrap();
        let tag: String = html[open + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        // Find the matching close tag, counting nested tags of the same name.
        let (mut depth, mut i) = (0usize, open);
        let (open_pat, close_pat) = (format!("<{tag}"), format!("</{tag}>"));
        loop {
            let next_open = html[i + 1..].find(&open_pat).map(|p| p + i + 1);
            let next_close = html[i + 1..]
                .find(&close_pat)
                .map(|p| p + i + 1)
                .expect("closed tag");
            match next_open {
                Some(o) if o < next_close => {
                    depth += 1;
                    i = o;
                }
                _ => {
                    if depth == 0 {
                        let inner = &html[open..next_close];
                        let mut text = String::new();
                        let mut in_tag = false;
                        for c in inner.chars() {
                            match c {
                                '<' => {
                                    in_tag = true;
                                    text.push(' ');
                                }
                                '>' => in_tag = false,
                                c if !in_tag => text.push(c),
                                _ => {}
                            }
                        }
                        return text.split_whitespace().collect::<Vec<_>>().join(" ");
                    }
                    depth -= 1;
                    i = next_close;
                }
            }
        }
    }
}

/// A 1 Hz fix at `(lat, lon)`, `secs` seconds into a walk.
pub fn fix(lat: f64, lon: f64, accuracy_m: f64, secs: i64) -> Fix {
    Fix::at_millis(lat, lon, accuracy_m, None, 1_600_000_000_000 + secs * 1000)
}
