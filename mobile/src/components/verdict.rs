//! A verdict as a big coloured card: met, not met, not yet known, not applicable.

use dioxus::prelude::*;

use crate::forms::Verdict;
use crate::i18n::use_i18n;

/// "17.6 Vệ sinh: ĐẠT" with a colour for the verdict the core gave.
#[component]
pub fn VerdictCard(id: String, label: String, verdict: Verdict) -> Element {
    let t = use_i18n();
    let (class, text) = match verdict {
        Verdict::Met => ("verdict met", t.t("verdict-met")),
        Verdict::NotMet => ("verdict not-met", t.t("verdict-not-met")),
        Verdict::Incomplete => ("verdict incomplete", t.t("verdict-incomplete")),
        Verdict::NotApplicable => ("verdict na", t.t("verdict-not-applicable")),
    };
    rsx! {
        div { class: "{class}", id: "{id}", "data-verdict": "{verdict:?}",
            span { class: "verdict-label", "{label}" }
            strong { class: "verdict-value", "{text}" }
        }
    }
}
