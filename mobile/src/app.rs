//! The root component: it puts the services and the app state in context, restores a road
//! recording that was running when the app died, keeps the sync progress and the OS's events
//! flowing into signals, and shows the current screen.

use dioxus::prelude::*;
use ntm_field::sync::Phase;

use crate::i18n::{I18n, Lang};
use crate::platform::{Connectivity, LifecycleEvent, PlatformEvent};
use crate::recorder::Recorder;
use crate::screens::{CurrentScreen, Screen};
use crate::services::{AppState, Services};

/// The app's stylesheet: large targets, high contrast for sunlight. The preview serves it as
/// `/assets/app.css`; the desktop build puts it in the page head.
pub const APP_CSS: &str = include_str!("../assets/app.css");

/// The root component. It expects a [`Services`] in the root context
/// (`VirtualDom::new(App).with_root_context(services)`, or the launch builder's context).
#[component]
pub fn App() -> Element {
    let services = use_context::<Services>();
    let initial_settings = use_hook(|| services.store.settings().unwrap_or_default());
    let lang = use_signal(|| {
        if initial_settings.language == "en" {
            Lang::En
        } else {
            Lang::Vi
        }
    });
    let i18n = use_context_provider(|| I18n::new(lang, services.catalogs.clone()));
    let app = use_context_provider(|| {
        let enrolled = services.store.enrollment().ok().flatten().is_some();
        AppState {
            nav: Signal::new(vec![if enrolled {
                Screen::Home
            } else {
                Screen::Enroll
            }]),
            revision: Signal::new(0),
            sync: Signal::new(Default::default()),
            settings: Signal::new(initial_settings.clone()),
            connectivity: Signal::new(services.platform.connectivity()),
            toast: Signal::new(None),
            household_filter: Signal::new(Default::default()),
        }
    });
    use_context_provider(|| {
        Recorder::new(
            Signal::new(Recorder::restore(&services.drafts)),
            Signal::new(None),
        )
    });

    use_hook({
        let services = services.clone();
        move || {
            services.platform.start();
            if services.store.enrollment().ok().flatten().is_some() {
                services.start_sync();
            }
        }
    });

    // Sync progress into a signal; a finished round may have brought records, so lists re-read.
    let progress_services = services.clone();
    use_future(move || {
        let services = progress_services.clone();
        async move {
            let mut rx = services.engine.progress();
            let mut last_phase = Phase::Idle;
            loop {
                let p = rx.borrow_and_update().clone();
                let finished = p.phase != last_phase
                    && matches!(p.phase, Phase::Idle | Phase::Waiting | Phase::Offline);
                last_phase = p.phase;
                let mut sync = app.sync;
                sync.set(p);
                if finished {
                    app.changed();
                }
                if rx.changed().await.is_err() {
                    break;
                }
            }
        }
    });

    // What the OS says: network changes go to the engine; coming back to the app syncs.
    let event_services = services.clone();
    use_future(move || {
        let services = event_services.clone();
        async move {
            let mut events = services.platform.events();
            while let Some(event) = events.recv().await {
                match event {
                    PlatformEvent::Connectivity(c) => {
                        let mut connectivity = app.connectivity;
                        connectivity.set(c);
                        services.connectivity_changed(c);
                        if c == Connectivity::Online {
                            services.sync_now();
                        }
                    }
                    PlatformEvent::Lifecycle(LifecycleEvent::Resumed) => services.sync_now(),
                    // Every save is already durable and drafts are written as the user types:
                    // nothing to flush when the app goes to the background.
                    PlatformEvent::Lifecycle(LifecycleEvent::Paused) => {}
                }
            }
        }
    });

    rsx! {
        div { class: "app", lang: i18n.lang().code(), "data-screen": app.current().name(),
            CurrentScreen {}
        }
    }
}
