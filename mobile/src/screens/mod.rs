//! One module per screen of product.md §5. Each takes its services from context and calls the
//! core or the store for anything that is a rule.

mod check;
mod drafts;
mod enroll;
mod home;
mod households;
mod progress;
mod records;
mod road;
mod settings;
mod sign;
mod sync;

use dioxus::prelude::*;
use uuid::Uuid;

use crate::services::use_app;

pub use check::HouseholdCheckScreen;
pub use enroll::EnrollScreen;
pub use home::HomeScreen;
pub use households::{HouseholdsScreen, ListFilter};
pub use progress::ProgressScreen;
pub use records::{RecordsScreen, ResolveScreen};
pub use road::{RoadDetailsScreen, RoadScreen};
pub use settings::SettingsScreen;
pub use sign::SignScreen;
pub use sync::SyncScreen;

/// Where the user is. `edit` names the version an edit starts from, `draft` the draft a form
/// resumes (from the drafts list).
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Enroll,
    Home,
    Households,
    Check {
        household_id: Uuid,
        edit: Option<Uuid>,
        draft: Option<Uuid>,
    },
    Road,
    RoadDetails {
        edit: Option<Uuid>,
        draft: Option<Uuid>,
    },
    Sign {
        edit: Option<Uuid>,
        draft: Option<Uuid>,
    },
    Progress,
    Records,
    Resolve {
        entity_id: Uuid,
    },
    Sync,
    Settings,
}

impl Screen {
    /// A stable name (the `data-screen` attribute tests and screenshots use).
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Enroll => "enroll",
            Screen::Home => "home",
            Screen::Households => "households",
            Screen::Check { .. } => "check",
            Screen::Road => "road",
            Screen::RoadDetails { .. } => "road-details",
            Screen::Sign { .. } => "sign",
            Screen::Progress => "progress",
            Screen::Records => "records",
            Screen::Resolve { .. } => "resolve",
            Screen::Sync => "sync",
            Screen::Settings => "settings",
        }
    }
}

/// Shows the screen on top of the navigation stack.
#[component]
pub fn CurrentScreen() -> Element {
    let app = use_app();
    match app.current() {
        Screen::Enroll => rsx! { EnrollScreen {} },
        Screen::Home => rsx! { HomeScreen {} },
        Screen::Households => rsx! { HouseholdsScreen {} },
        Screen::Check {
            household_id,
            edit,
            draft,
        } => rsx! {
            HouseholdCheckScreen { key: "{household_id}-{edit:?}-{draft:?}", household_id, edit, draft }
        },
        Screen::Road => rsx! { RoadScreen {} },
        Screen::RoadDetails { edit, draft } => {
            rsx! { RoadDetailsScreen { key: "{edit:?}-{draft:?}", edit, draft } }
        }
        Screen::Sign { edit, draft } => {
            rsx! { SignScreen { key: "{edit:?}-{draft:?}", edit, draft } }
        }
        Screen::Progress => rsx! { ProgressScreen {} },
        Screen::Records => rsx! { RecordsScreen {} },
        Screen::Resolve { entity_id } => rsx! { ResolveScreen { key: "{entity_id}", entity_id } },
        Screen::Sync => rsx! { SyncScreen {} },
        Screen::Settings => rsx! { SettingsScreen {} },
    }
}

/// The commune's villages as (id, name), for pickers; empty before enrollment.
pub(crate) fn villages(
    services: &crate::services::Services,
) -> Vec<(ntm_field::ids::Slug, String)> {
    services
        .store
        .config()
        .ok()
        .flatten()
        .map(|c| {
            c.commune
                .villages
                .into_iter()
                .map(|v| (v.id, v.name))
                .collect()
        })
        .unwrap_or_default()
}

/// A village's name, or its id when unknown.
pub(crate) fn village_name(
    villages: &[(ntm_field::ids::Slug, String)],
    id: &ntm_field::ids::Slug,
) -> String {
    villages
        .iter()
        .find(|(v, _)| v == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| id.to_string())
}

/// Brings the first field with an error into view once the page shows the errors, so a user
/// who saves from the bottom of a long form sees what to fix. Where there is no page (the
/// VirtualDom tests), the script has nowhere to run and nothing happens.
pub(crate) fn scroll_to_first_error() {
    let _ = document::eval(
        "setTimeout(() => { const e = document.querySelector('.field-error'); \
         (e && (e.closest('.field') || e)).scrollIntoView({ block: 'center' }); }, 60);",
    );
}
