//! My records: what this phone saved, by state (waiting to send, sent, refused by the server,
//! in conflict). Editing writes a new version; a conflict is resolved by choosing the version
//! to keep, which the store writes as a merge of every head.

use std::collections::HashMap;

use dioxus::prelude::*;
use ntm_field::geo::TrackFilter;
use ntm_field::record::{Body, Version};
use ntm_field::store::{Draft, HouseholdFilter, RecordState, RecordSummary};
use uuid::Uuid;

use crate::components::{ActionBar, ConfirmButton, Page};
use crate::fmt;
use crate::forms::wire_key;
use crate::i18n::{use_i18n, I18n};
use crate::screens::{village_name, villages, Screen};
use crate::services::{use_app, use_services, Services};

/// Tabs of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Pending,
    Synced,
    Rejected,
    Conflict,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Pending, Tab::Synced, Tab::Rejected, Tab::Conflict];

    fn key(self) -> &'static str {
        match self {
            Tab::Pending => "pending",
            Tab::Synced => "synced",
            Tab::Rejected => "rejected",
            Tab::Conflict => "conflict",
        }
    }

    fn admits(self, state: &RecordState) -> bool {
        matches!(
            (self, state),
            (
                Tab::Pending,
                RecordState::Pending | RecordState::Waiting { .. }
            ) | (Tab::Synced, RecordState::Synced)
                | (Tab::Rejected, RecordState::Rejected { .. })
                | (Tab::Conflict, RecordState::Conflict)
        )
    }
}

/// Household codes by entity id, to name the household a check or a sign is about.
fn household_codes(services: &Services) -> HashMap<Uuid, String> {
    services
        .store
        .households(&HouseholdFilter::default())
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.entity_id, format!("{} · {}", h.code, h.head_name)))
        .collect()
}

/// One line saying what a version is about.
fn describe(t: &I18n, v: &Version, households: &HashMap<Uuid, String>) -> String {
    let lang = t.lang();
    match &v.body {
        Body::HouseholdCheck(c) => {
            let who = households.get(&c.household_id).cloned().unwrap_or_default();
            let verdict = t.t(if c.meets_sanitation() {
                "verdict-met"
            } else {
                "verdict-not-met"
            });
            format!("{who} · 17.6 {verdict}")
        }
        Body::RoadSegment(r) => {
            let len = r.length(&TrackFilter::default());
            format!(
                "{} · {} · {}",
                r.name,
                t.t(&format!("road-class-{}", wire_key(&r.road_class))),
                fmt::length_m(lang, len.metres)
            )
        }
        Body::TrashSign(s) => {
            let who = s
                .responsible_household_id
                .and_then(|h| households.get(&h).cloned())
                .unwrap_or_default();
            format!(
                "{} {who}",
                t.t(&format!("sign-condition-{}", wire_key(&s.condition)))
            )
        }
        Body::Household(h) => format!("{} · {}", h.code, h.head_name),
        Body::Assessment(a) => a.indicator_id.clone(),
    }
}

/// The screen that edits a version of this kind, if the app edits it.
fn edit_screen(v: &Version) -> Option<Screen> {
    match &v.body {
        Body::HouseholdCheck(c) => Some(Screen::Check {
            household_id: c.household_id,
            edit: Some(v.version_id),
            draft: None,
        }),
        Body::RoadSegment(_) => Some(Screen::RoadDetails {
            edit: Some(v.version_id),
            draft: None,
        }),
        Body::TrashSign(_) => Some(Screen::Sign {
            edit: Some(v.version_id),
            draft: None,
        }),
        _ => None,
    }
}

/// Records listed at first, and added by each "Xem thêm".
const RECORDS_PAGE: usize = 200;

#[component]
pub fn RecordsScreen() -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let mut tab = use_signal(|| Tab::Pending);
    let mut shown = use_signal(|| RECORDS_PAGE);
    let _ = (app.revision)();
    // One more than shown, to know whether there are more: never a list cut off silently.
    let mut all = services.store.my_records(shown() + 1).unwrap_or_default();
    let more = all.len() > shown();
    all.truncate(shown());
    let plus = if more { "+" } else { "" };
    let rows: Vec<RecordSummary> = all
        .iter()
        .filter(|r| tab().admits(&r.state))
        .cloned()
        .collect();
    let households = household_codes(&services);
    let villages = villages(&services);
    let waiting = all
        .iter()
        .filter(|r| matches!(r.state, RecordState::Waiting { .. }))
        .count();
    let mut exported = use_signal(|| None::<String>);

    rsx! {
        Page {
            id: "screen-records",
            title: t.t("records-title"),
            actions: rsx! { ActionBar {} },
            div { class: "chips tabs", id: "records-tabs",
                for tb in Tab::ALL {
                    button { key: "{tb.key()}", id: "records-tab-{tb.key()}",
                        class: if tab() == tb { "chip selected" } else { "chip" },
                        onclick: move |_| tab.set(tb),
                        {t.t(&format!("records-tab-{}", tb.key()))}
                        " ({all.iter().filter(|r| tb.admits(&r.state)).count()}{plus})"
                    }
                }
            }
            if waiting > 0 {
                button { class: "secondary", id: "records-export",
                    onclick: {
                        let services = services.clone();
                        move |_| exported.set(Some(export_waiting(&t, &services)))
                    },
                    {t.t("records-export")}
                }
            }
            if let Some(message) = exported() {
                p { class: "notice", id: "records-exported", role: "status", "{message}" }
            }
            if rows.is_empty() {
                p { class: "empty", id: "records-empty", {t.t("records-empty")} }
            }
            ul { class: "list", id: "records-list",
                for r in rows {
                    RecordItem { key: "{r.version_id}", summary: r.clone(),
                        description: services.store.version(r.version_id).ok().flatten().map(|v| describe(&t, &v, &households)).unwrap_or_default(),
                        village: r.village_id.as_ref().map(|v| village_name(&villages, v)).unwrap_or_default() }
                }
            }
            if more {
                button { class: "btn", id: "records-more", onclick: move |_| shown += RECORDS_PAGE,
                    {t.t_args("records-more", &[("shown", crate::fmt::int(t.lang(), all.len() as u64).into())])} }
            }
        }
    }
}

/// Writes the records saved for another commune to a file in the app's data directory, for an
/// officer to import on the dashboard; says where it is, or what to do when it failed.
fn export_waiting(t: &I18n, services: &Services) -> String {
    let count = services
        .store
        .waiting()
        .map(|w| w.len())
        .unwrap_or_default();
    let path = services.platform.files_dir().join(format!(
        "ho-so-cho-gui-{}.json",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    ));
    let written = services
        .store
        .export_waiting()
        .map_err(|e| e.to_string())
        .and_then(|bytes| std::fs::write(&path, bytes).map_err(|e| e.to_string()));
    match written {
        Ok(()) => t.t_args(
            "records-exported",
            &[
                ("count", fmt::int(t.lang(), count as u64).into()),
                ("path", path.display().to_string().into()),
            ],
        ),
        Err(error) => t.t_args("records-export-failed", &[("error", error.into())]),
    }
}

#[component]
fn RecordItem(summary: RecordSummary, description: String, village: String) -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let kind = t.t(&format!("kind-{}", summary.kind.as_str()));
    let when = fmt::date_time(&summary.captured_at);
    let (badge_class, badge) = match &summary.state {
        RecordState::Pending => ("badge pending", t.t("records-tab-pending")),
        RecordState::Synced => ("badge met", t.t("records-tab-synced")),
        RecordState::Rejected { .. } => ("badge not-met", t.t("records-tab-rejected")),
        RecordState::Conflict => ("badge conflict", t.t("records-tab-conflict")),
        RecordState::Waiting { .. } => ("badge pending", t.t("records-waiting")),
    };
    let version = services.store.version(summary.version_id).ok().flatten();
    let edit = version
        .as_ref()
        .filter(|_| summary.is_head && !summary.deleted)
        .and_then(edit_screen);
    let version_id = summary.version_id;
    let entity_id = summary.entity_id;
    rsx! {
        li { class: "record", id: "record-{summary.version_id}", "data-kind": summary.kind.as_str(),
            div { class: "row-main",
                strong { "{kind}" }
                span { class: "{badge_class}", "{badge}" }
            }
            div { class: "row-sub", "{description}" }
            div { class: "row-sub", "{village} · {when}" }
            if let RecordState::Waiting { commune_id } = &summary.state {
                div { class: "field-error", {t.t_args("records-waiting-commune", &[("commune", commune_id.as_str().to_owned().into())])} }
            }
            if let RecordState::Rejected { reason } = &summary.state {
                div { class: "field-error", {t.t_args("records-rejected-reason", &[("reason", reason.clone().into())])} }
            }
            div { class: "row-actions",
                if summary.state == RecordState::Conflict {
                    button { class: "btn small primary", id: "resolve-{summary.entity_id}",
                        onclick: move |_| app.go(Screen::Resolve { entity_id }), {t.t("records-resolve")} }
                } else if let Some(screen) = edit {
                    button { class: "btn small", id: "edit-{summary.version_id}",
                        onclick: move |_| app.go(screen.clone()), {t.t("records-edit")} }
                }
                if matches!(summary.state, RecordState::Rejected { .. }) {
                    button { class: "btn small", id: "dismiss-{summary.version_id}",
                        onclick: move |_| {
                            let _ = services.store.dismiss_attention(version_id);
                            app.changed();
                        },
                        {t.t("records-dismiss")} }
                }
            }
        }
    }
}

/// Resolving a conflict: every head side by side; the one chosen is written as a merge.
#[component]
pub fn ResolveScreen(entity_id: Uuid) -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let _ = (app.revision)();
    let heads = services.store.heads(entity_id).unwrap_or_default();
    let households = household_codes(&services);
    let kind = heads
        .first()
        .map(|v| t.t(&format!("kind-{}", v.kind().as_str())))
        .unwrap_or_default();

    rsx! {
        Page {
            id: "screen-resolve",
            title: t.t("resolve-title"),
            subtitle: kind,
            actions: rsx! { ActionBar {} },
            p { class: "hint", {t.t("resolve-intro")} }
            if heads.len() < 2 {
                p { class: "empty", id: "resolve-none", {t.t("resolve-nothing")} }
            }
            for (i, v) in heads.iter().enumerate() {
                div { class: "head-card", key: "{v.version_id}", id: "head-{i}",
                    div { class: "row-main",
                        strong { {fmt::date_time(&v.captured_at)} }
                        if let Some(a) = &v.author { span { " · {a}" } }
                    }
                    div { class: "row-sub", {describe(&t, v, &households)} }
                    div { class: "row-sub", id: "head-{i}-observed",
                        {t.t_args("resolve-observed-on", &[("date", fmt::date(v.observed_date()).into())])} }
                    ConfirmButton { id: "keep-{i}", label: t.t("resolve-keep"),
                        question: t.t_args("resolve-keep-question", &[("others", (heads.len() - 1).into())]),
                        confirm: t.t("resolve-keep-confirm"),
                        on_confirm: {
                            let services = services.clone();
                            let v = v.clone();
                            move |_| match services.store.resolve(entity_id, Draft::from_version(&v)) {
                                Ok(_) => {
                                    app.changed();
                                    services.sync_now();
                                    app.toast("resolve-done", false);
                                    app.back();
                                }
                                Err(e) => {
                                    tracing::warn!(%e, "resolve failed");
                                    app.toast("err-store", true);
                                }
                            }
                        } }
                }
            }
        }
    }
}
