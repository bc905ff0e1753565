//! Picks a household from the registry the phone holds (the responsible household of a sign).

use dioxus::prelude::*;
use ntm_field::store::HouseholdFilter;
use uuid::Uuid;

use crate::i18n::use_i18n;
use crate::services::{use_app, use_services};

/// Search by code or name, then tap a household.
#[component]
pub fn HouseholdPicker(selected: Option<Uuid>, on_select: EventHandler<Option<Uuid>>) -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let mut search = use_signal(String::new);
    let _ = (app.revision)();
    let rows = services
        .store
        .households(&HouseholdFilter {
            search: Some(search()).filter(|s| !s.trim().is_empty()),
            ..Default::default()
        })
        .unwrap_or_default();
    let chosen = selected.and_then(|id| rows.iter().find(|r| r.entity_id == id).cloned());
    rsx! {
        div { class: "field picker", id: "f-body-responsible_household_id",
            div { class: "label", {t.t("sign-responsible")} }
            if let Some(h) = chosen {
                div { class: "picked", id: "picked-household",
                    span { "{h.code} · {h.head_name}" }
                    button { class: "btn small", id: "unpick-household", onclick: move |_| on_select.call(None), {t.t("action-change")} }
                }
            } else {
                input { r#type: "search", id: "household-search", value: "{search}", placeholder: t.t("households-search"),
                    oninput: move |e| search.set(e.value()) }
                ul { class: "pick-list",
                    for h in rows.into_iter().take(8) {
                        li { key: "{h.entity_id}",
                            button { class: "row-btn", id: "pick-{h.code}",
                                onclick: move |_| on_select.call(Some(h.entity_id)),
                                "{h.code} · {h.head_name}"
                            }
                        }
                    }
                }
            }
        }
    }
}
