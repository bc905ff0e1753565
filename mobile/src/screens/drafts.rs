//! The drafts list on the home screen: every unsaved record's draft, the one touched last
//! first, with what it is (kind, household or village, when), to resume or to discard after
//! saying what is lost.

use dioxus::prelude::*;
use ntm_field::record::Kind;

use crate::components::ConfirmButton;
use crate::drafts::{discard_draft, DraftInfo};
use crate::fmt;
use crate::i18n::use_i18n;
use crate::recorder::use_recorder;
use crate::screens::road::discard_new_road;
use crate::screens::{village_name, villages, Screen};
use crate::services::{use_app, use_services};

#[component]
pub fn DraftsList() -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let _ = (app.revision)();
    let drafts = services.drafts.list();
    if drafts.is_empty() {
        return rsx! {};
    }
    rsx! {
        section { class: "section drafts", id: "home-drafts",
            h2 { {t.t_args("home-drafts-title", &[("count", fmt::int(t.lang(), drafts.len() as u64).into())])} }
            ul { class: "list",
                for info in drafts {
                    DraftItem { key: "{info.id}", info: info.clone() }
                }
            }
        }
    }
}

/// The screen that resumes a draft.
fn resume_screen(info: &DraftInfo) -> Option<Screen> {
    let (edit, draft) = (info.edit_of, Some(info.id));
    match info.kind {
        Kind::HouseholdCheck => Some(Screen::Check {
            household_id: info.household_id?,
            edit,
            draft,
        }),
        Kind::RoadSegment => Some(Screen::RoadDetails { edit, draft }),
        Kind::TrashSign => Some(Screen::Sign { edit, draft }),
        Kind::Household | Kind::Assessment => None,
    }
}

#[component]
fn DraftItem(info: DraftInfo) -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let recorder = use_recorder();
    let kind = t.t(&format!("kind-{}", info.kind.as_str()));
    let what = match info.edit_of {
        Some(_) => t.t_args("home-draft-edit", &[("kind", kind.into())]),
        None => kind,
    };
    let household = info
        .household_id
        .and_then(|h| services.store.household(h).ok().flatten());
    let place = match (&household, &info.village_id) {
        (Some(h), _) => format!("{} · {}", h.code, h.head_name),
        (None, Some(v)) => village_name(&villages(&services), v),
        (None, None) => t.t("home-draft-no-village"),
    };
    // A new road's draft is the recording it describes too.
    let recording = recorder.recording.read().clone();
    let own_recording =
        info.kind == Kind::RoadSegment && info.edit_of.is_none() && recording.id == info.id;
    let mut question = t.t_args(
        "home-draft-discard-question",
        &[
            ("what", what.clone().into()),
            ("where", place.clone().into()),
            ("photos", info.photos.len().into()),
        ],
    );
    if own_recording {
        question.push(' ');
        question.push_str(&t.t_args(
            "home-draft-discard-track",
            &[
                (
                    "length",
                    fmt::length_m(lang, recording.length().length_m).into(),
                ),
                (
                    "points",
                    fmt::int(lang, recording.points.len() as u64).into(),
                ),
            ],
        ));
    }
    let id = info.id;
    let resume = resume_screen(&info);
    rsx! {
        li { class: "record draft", id: "draft-{id}", "data-kind": info.kind.as_str(),
            div { class: "row-main", strong { "{what}" } }
            div { class: "row-sub", id: "draft-{id}-where", "{place} · {fmt::date_time(&info.updated_at)}" }
            div { class: "row-actions",
                if let Some(screen) = resume {
                    button { class: "btn small primary", id: "draft-{id}-resume",
                        onclick: move |_| app.go(screen.clone()), {t.t("home-draft-resume")} }
                }
                ConfirmButton { id: "draft-{id}-discard", label: t.t("draft-discard"), question,
                    confirm: t.t("draft-discard-confirm"),
                    on_confirm: {
                        let services = services.clone();
                        let photos = info.photos.clone();
                        move |_| {
                            if own_recording {
                                discard_new_road(&services, recorder);
                            } else {
                                discard_draft(&services, id, &photos);
                            }
                            app.changed();
                            app.toast("draft-discarded", false);
                        }
                    } }
            }
        }
    }
}
