//! The household list: search by code or name, filter by village and by status (not checked,
//! passes 17.6, does not, in conflict); a household with an unsaved check is marked; tap a
//! household to check it (or to go on with its draft).

use std::collections::HashSet;

use dioxus::prelude::*;
use ntm_field::ids::Slug;
use ntm_field::record::Kind;
use ntm_field::store::{HouseholdFilter, HouseholdRow};
use uuid::Uuid;

use crate::components::{ActionBar, Page, VillageSelect};
use crate::forms::FormErrors;
use crate::i18n::use_i18n;
use crate::screens::{village_name, villages, Screen};
use crate::services::{use_app, use_services};

/// What the list shows: kept in the app's state, so that a check opened from the list comes
/// back to the same search and filters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListFilter {
    pub search: String,
    pub village: Option<Slug>,
    pub status: StatusFilter,
}

/// The status filter of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    NotChecked,
    Passes,
    Fails,
    Conflict,
}

impl StatusFilter {
    const ALL: [StatusFilter; 5] = [
        StatusFilter::All,
        StatusFilter::NotChecked,
        StatusFilter::Passes,
        StatusFilter::Fails,
        StatusFilter::Conflict,
    ];

    fn key(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::NotChecked => "not-checked",
            StatusFilter::Passes => "passes",
            StatusFilter::Fails => "fails",
            StatusFilter::Conflict => "conflict",
        }
    }

    /// Whether a row (as the store computed it) shows under this filter.
    fn admits(self, row: &HouseholdRow) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::NotChecked => row.latest_check.is_none(),
            StatusFilter::Passes => row.latest_check.as_ref().is_some_and(|c| c.sanitation),
            StatusFilter::Fails => row.latest_check.as_ref().is_some_and(|c| !c.sanitation),
            StatusFilter::Conflict => row.conflict,
        }
    }
}

#[component]
pub fn HouseholdsScreen() -> Element {
    let t = use_i18n();
    let services = use_services();
    let app = use_app();
    let mut shown = app.household_filter;
    let ListFilter {
        search,
        village,
        status,
    } = shown();
    let _ = (app.revision)();
    let villages = villages(&services);
    let filter = HouseholdFilter {
        village_id: village.clone(),
        search: Some(search.clone()).filter(|s| !s.trim().is_empty()),
        checked: None,
    };
    let rows: Vec<HouseholdRow> = services
        .store
        .households(&filter)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| status.admits(r))
        .collect();
    let count = crate::fmt::int(t.lang(), rows.len() as u64);
    let with_draft: HashSet<Uuid> = services
        .drafts
        .list()
        .into_iter()
        .filter(|d| d.kind == Kind::HouseholdCheck)
        .filter_map(|d| d.household_id)
        .collect();

    rsx! {
        Page {
            id: "screen-households",
            title: t.t("households-title"),
            subtitle: t.t_args("households-count", &[("count", count.into())]),
            actions: rsx! { ActionBar {} },
            div { class: "filters",
                input { r#type: "search", id: "households-search", class: "search", value: "{search}",
                    placeholder: t.t("households-search"), oninput: move |e| shown.write().search = e.value() }
                VillageSelect { path: "filter-village", villages: villages.clone(), selected: village, allow_all: true,
                    on_select: move |v| shown.write().village = v, errors: FormErrors::default() }
                div { class: "chips", id: "status-filter",
                    for f in StatusFilter::ALL {
                        button { key: "{f.key()}", id: "status-{f.key()}",
                            class: if status == f { "chip selected" } else { "chip" },
                            onclick: move |_| shown.write().status = f,
                            {t.t(&format!("households-status-{}", f.key()))}
                        }
                    }
                }
            }
            if rows.is_empty() {
                p { class: "empty", id: "households-empty", {t.t("households-empty")} }
            }
            ul { class: "list", id: "households-list",
                for row in rows {
                    HouseholdItem { key: "{row.entity_id}", village: village_name(&villages, &row.village_id),
                        draft: with_draft.contains(&row.entity_id), row }
                }
            }
        }
    }
}

/// One household in the list with its latest verdict, and whether a check of it waits as a draft.
#[component]
fn HouseholdItem(row: HouseholdRow, village: String, draft: bool) -> Element {
    let t = use_i18n();
    let app = use_app();
    let (badge_class, badge) = match (&row.latest_check, row.conflict) {
        (_, true) => ("badge conflict", t.t("households-status-conflict")),
        (None, _) => ("badge none", t.t("households-status-not-checked")),
        (Some(c), _) if c.sanitation => ("badge met", t.t("households-status-passes")),
        (Some(_), _) => ("badge not-met", t.t("households-status-fails")),
    };
    let checked_on = row
        .latest_check
        .as_ref()
        .map(|c| crate::fmt::date(c.observed_on));
    let household_id = row.entity_id;
    let edit = row.latest_check.as_ref().map(|c| c.version_id);
    rsx! {
        li {
            button { class: "row-btn household", id: "household-{row.code}",
                onclick: move |_| app.go(Screen::Check { household_id, edit, draft: None }),
                div { class: "row-main",
                    strong { "{row.code}" }
                    span { " · {row.head_name}" }
                }
                div { class: "row-sub",
                    span { "{village}" }
                    if let Some(d) = checked_on { span { " · {d}" } }
                }
                span { class: "{badge_class}", "{badge}" }
                if draft {
                    span { class: "badge draft", id: "household-{row.code}-draft", {t.t("households-draft")} }
                }
            }
        }
    }
}
