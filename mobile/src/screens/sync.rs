//! Sync: what waits to be sent, the progress of the round in course (records first, then
//! photos, with bytes), the last problem in words with what to do, and a button to sync now.

use dioxus::prelude::*;
use ntm_field::sync::{FailureKind, Phase};

use crate::components::{ActionBar, Page};
use crate::fmt;
use crate::i18n::use_i18n;
use crate::services::{use_app, use_services};

/// What to tell the person about a failed round: wait (the engine retries by itself) or what
/// to do. Whatever it is, the records stay on the phone.
pub fn failure_message(kind: Option<FailureKind>) -> &'static str {
    match kind {
        Some(FailureKind::NotEnrolled) => "err-enroll-first",
        Some(FailureKind::Refused) => "err-sync-refused",
        Some(FailureKind::Rejected) => "err-sync-rejected",
        Some(FailureKind::Storage) => "err-store",
        Some(FailureKind::PhotoDamaged) => "err-sync-photo-damaged",
        Some(FailureKind::Offline) => "err-sync-offline",
        Some(FailureKind::ServerTrouble) | None => "err-sync-failed",
    }
}

/// A labelled progress bar.
#[component]
fn Bar(id: String, label: String, done: u64, total: u64, text: String) -> Element {
    let pct = if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64 * 100.0).min(100.0)
    };
    rsx! {
        div { class: "bar-field", id: "{id}",
            div { class: "bar-label", span { "{label}" } span { class: "bar-text", "{text}" } }
            div { class: "bar", role: "progressbar", "aria-valuenow": "{done}", "aria-valuemax": "{total}",
                div { class: "bar-fill", style: "width: {pct:.0}%" }
            }
        }
    }
}

#[component]
pub fn SyncScreen() -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let _ = (app.revision)();
    let p = app.sync.read().clone();
    let counts = services.store.sync_counts().unwrap_or_default();
    let phase = t.t(match p.phase {
        Phase::Idle => "sync-phase-idle",
        Phase::Pushing => "sync-phase-pushing",
        Phase::Pulling => "sync-phase-pulling",
        Phase::Photos => "sync-phase-photos",
        Phase::Waiting => "sync-phase-waiting",
        Phase::Offline => "sync-phase-offline",
    });
    let running = matches!(p.phase, Phase::Pushing | Phase::Pulling | Phase::Photos);
    let of = |done: u64, total: u64| {
        t.t_args(
            "sync-of",
            &[
                ("done", fmt::int(lang, done).into()),
                ("total", fmt::int(lang, total).into()),
            ],
        )
    };
    let kb = |b: u64| fmt::decimal(lang, b as f64 / 1024.0, 0);
    let bytes_text = t.t_args(
        "sync-bytes",
        &[
            ("done", kb(p.bytes_done).into()),
            ("total", kb(p.bytes_total).into()),
        ],
    );
    let last_sync = match counts.last_sync_at {
        Some(at) => t.t_args("home-last-sync", &[("when", fmt::date_time(&at).into())]),
        None => t.t("home-never-synced"),
    };
    let server = services
        .store
        .enrollment()
        .ok()
        .flatten()
        .map(|e| e.server_url)
        .unwrap_or_default();

    rsx! {
        Page {
            id: "screen-sync",
            title: t.t("sync-title"),
            subtitle: "{server}",
            actions: rsx! {
                ActionBar {
                    button { class: "btn primary", id: "sync-now", disabled: running,
                        onclick: move |_| services.sync_now(), {t.t("sync-now")} }
                }
            },
            div { class: "status-card", id: "sync-status", "data-phase": "{p.phase:?}",
                div { class: "phase", id: "sync-phase", "{phase}" }
                div { class: "waiting", id: "sync-waiting",
                    {t.t_args("home-waiting", &[
                        ("count", fmt::int(lang, counts.pending_records).into()),
                        ("photos", fmt::int(lang, counts.pending_photos).into()),
                    ])}
                }
                div { class: "last-sync", id: "sync-last", "{last_sync}" }
            }
            Bar { id: "sync-records", label: t.t("sync-records"), done: p.records_done, total: p.records_total,
                text: of(p.records_done, p.records_total) }
            Bar { id: "sync-photos", label: t.t("sync-photos"), done: p.photos_done, total: p.photos_total,
                text: of(p.photos_done, p.photos_total) }
            Bar { id: "sync-bytes", label: t.t("sync-bytes-label"), done: p.bytes_done, total: p.bytes_total, text: bytes_text }
            if p.pulled > 0 {
                p { class: "hint", id: "sync-pulled", {t.t_args("sync-pulled", &[("count", fmt::int(lang, p.pulled).into())])} }
            }
            if let Some(err) = p.last_error.clone() {
                div { class: "field-error", id: "sync-error", role: "alert",
                    p { {t.t(failure_message(p.last_failure))} }
                    // What went wrong technically, for whoever helps: behind a tap.
                    details { class: "detail", id: "sync-error-detail",
                        summary { {t.t("sync-error-detail")} }
                        p { "{err}" }
                    }
                }
            }
            if counts.needs_attention > 0 {
                p { class: "notice", id: "sync-attention",
                    {t.t_args("home-attention", &[("count", fmt::int(lang, counts.needs_attention).into())])} }
            }
        }
    }
}
