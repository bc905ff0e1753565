//! Home: whether the server is reachable, what waits to be sent, when the last sync ended,
//! the unsaved drafts, and the three big actions. Other screens sit in the grid below, within a
//! thumb's reach.

use dioxus::prelude::*;
use ntm_field::sync::Phase;

use crate::fmt;
use crate::i18n::use_i18n;
use crate::platform::Connectivity;
use crate::recorder::{use_recorder, RecState};
use crate::screens::Screen;
use crate::services::{use_app, use_services};

/// Whether the phone can reach its server, as the home screen says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Online,
    Offline,
    Syncing,
    Unknown,
}

/// The link as the OS and the last sync round see it.
pub fn link_state(
    connectivity: Connectivity,
    phase: Phase,
    last_error: bool,
    synced_once: bool,
) -> LinkState {
    match (connectivity, phase) {
        (Connectivity::Offline, _) | (_, Phase::Offline) => LinkState::Offline,
        (_, Phase::Pushing | Phase::Pulling | Phase::Photos) => LinkState::Syncing,
        _ if last_error => LinkState::Offline,
        _ if synced_once => LinkState::Online,
        _ => LinkState::Unknown,
    }
}

#[component]
pub fn HomeScreen() -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let recorder = use_recorder();
    let _ = (app.revision)();
    let sync = app.sync.read().clone();
    let counts = services.store.sync_counts().unwrap_or_default();
    let enrollment = services.store.enrollment().ok().flatten();
    let link = link_state(
        (app.connectivity)(),
        sync.phase,
        sync.last_error.is_some(),
        counts.last_sync_at.is_some(),
    );
    let (link_class, link_text) = match link {
        LinkState::Online => ("link online", t.t("home-online")),
        LinkState::Offline => ("link offline", t.t("home-offline")),
        LinkState::Syncing => ("link syncing", t.t("home-syncing")),
        LinkState::Unknown => ("link unknown", t.t("home-not-synced-yet")),
    };
    let waiting = if counts.pending_records == 0 && counts.pending_photos == 0 {
        t.t("home-nothing-waiting")
    } else {
        t.t_args(
            "home-waiting",
            &[
                ("count", fmt::int(lang, counts.pending_records).into()),
                ("photos", fmt::int(lang, counts.pending_photos).into()),
            ],
        )
    };
    let last_sync = match counts.last_sync_at {
        Some(at) => t.t_args("home-last-sync", &[("when", fmt::date_time(&at).into())]),
        None => t.t("home-never-synced"),
    };
    let rec = recorder.recording.read().clone();
    let commune = enrollment.map(|e| e.commune.name).unwrap_or_default();

    rsx! {
        div { class: "page home", id: "screen-home",
            header { class: "topbar",
                h1 { class: "title", {t.t("app-name")} }
                div { class: "subtitle", id: "home-commune", "{commune}" }
            }
            main { class: "content",
                button { class: "status-card", id: "home-status", onclick: move |_| app.go(Screen::Sync),
                    div { class: "{link_class}", id: "home-link", "{link_text}" }
                    div { class: "waiting", id: "home-waiting", "{waiting}" }
                    div { class: "last-sync", id: "home-last-sync", "{last_sync}" }
                    if counts.needs_attention > 0 {
                        div { class: "attention", id: "home-attention",
                            {t.t_args("home-attention", &[("count", fmt::int(lang, counts.needs_attention).into())])}
                        }
                    }
                }
                if matches!(rec.state, RecState::Recording | RecState::Paused | RecState::Stopped) {
                    button { class: "banner", id: "home-recording", onclick: move |_| app.go(Screen::Road),
                        {t.t_args("home-recording", &[("length", fmt::length_m(lang, rec.length().length_m).into())])}
                    }
                }
                super::drafts::DraftsList {}
                nav { class: "grid secondary",
                    button { class: "tile", id: "go-progress", onclick: move |_| app.go(Screen::Progress), {t.t("progress-title")} }
                    button { class: "tile", id: "go-records", onclick: move |_| app.go(Screen::Records), {t.t("records-title")} }
                    button { class: "tile", id: "go-sync", onclick: move |_| app.go(Screen::Sync), {t.t("sync-title")} }
                    button { class: "tile", id: "go-settings", onclick: move |_| app.go(Screen::Settings), {t.t("settings-title")} }
                }
            }
            footer { class: "actions big-actions",
                button { class: "btn big", id: "go-households", onclick: move |_| app.go(Screen::Households), {t.t("home-check-household")} }
                button { class: "btn big", id: "go-road", onclick: move |_| app.go(Screen::Road), {t.t("home-record-road")} }
                button { class: "btn big", id: "go-sign", onclick: move |_| app.go(Screen::Sign { edit: None, draft: None }), {t.t("home-place-sign")} }
            }
            crate::components::ToastView {}
        }
    }
}
