//! Offline progress: the scorecard the core computes from what this phone holds (the same
//! function the server runs), for the commune or one village, with each indicator's gap.

use dioxus::prelude::*;
use ntm_field::catalog::IndicatorType;
use ntm_field::config::MeasureId;
use ntm_field::ids::Slug;
use ntm_field::scorecard::{GapUnit, IndicatorScore, Scorecard};

use crate::components::{ActionBar, Page, VillageSelect};
use crate::fmt;
use crate::forms::{wire_key, FormErrors};
use crate::i18n::{use_i18n, I18n, Lang};
use crate::screens::villages;
use crate::services::{use_app, use_services};

fn is_percent(t: IndicatorType) -> bool {
    matches!(
        t,
        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested
    )
}

/// An indicator's value as read: `24,62 %`, `6,40 km`, or the verdict for yes/no indicators.
fn value_text(
    t: &I18n,
    ind_type: IndicatorType,
    unit: &str,
    value: Option<f64>,
    met: Option<bool>,
) -> String {
    match (ind_type, value) {
        (IndicatorType::Bool, _) => t.t(match met {
            Some(true) => "verdict-met",
            Some(false) => "verdict-not-met",
            None => "progress-unknown",
        }),
        (_, None) => t.t("progress-unknown"),
        (ty, Some(v)) if is_percent(ty) => fmt::percent(t.lang(), v),
        (_, Some(v)) => format!("{} {unit}", fmt::decimal(t.lang(), v, 2))
            .trim()
            .to_owned(),
    }
}

/// The gap in its own unit: "còn 6,60 km", "còn 12 hộ".
fn gap_text(t: &I18n, gap: f64, unit: Option<GapUnit>) -> String {
    let lang = t.lang();
    let amount = match unit {
        Some(GapUnit::Km) => fmt::km(lang, gap),
        Some(GapUnit::PercentagePoints) => {
            format!("{} {}", fmt::decimal(lang, gap, 2), t.t("unit-points"))
        }
        Some(GapUnit::Households) => format!(
            "{} {}",
            fmt::int(lang, gap.ceil() as u64),
            t.t("unit-households")
        ),
        Some(GapUnit::People) => format!(
            "{} {}",
            fmt::int(lang, gap.ceil() as u64),
            t.t("unit-people")
        ),
        Some(GapUnit::Children) => format!(
            "{} {}",
            fmt::int(lang, gap.ceil() as u64),
            t.t("unit-children")
        ),
        Some(GapUnit::MillionVndPerPersonYear) => {
            format!("{} {}", fmt::decimal(lang, gap, 1), t.t("unit-million-vnd"))
        }
        Some(GapUnit::Count) | None => fmt::decimal(lang, gap, 0),
    };
    t.t_args("progress-gap", &[("amount", amount.into())])
}

fn name(lang: Lang, vi: &str, en: &str) -> String {
    match lang {
        Lang::Vi => vi.to_owned(),
        Lang::En => en.to_owned(),
    }
}

#[component]
pub fn ProgressScreen() -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let services = use_services();
    let app = use_app();
    let mut village = use_signal(|| None::<Slug>);
    let _ = (app.revision)();
    let villages = villages(&services);
    let today = fmt::today();
    let card: Option<Scorecard> = services.store.scorecard(today).ok().flatten();
    // Nothing recorded or assessed yet reads as such, not as "0/19".
    let Some(card) = card.filter(Scorecard::has_data) else {
        return rsx! {
            Page { id: "screen-progress", title: t.t("progress-title"), actions: rsx! { ActionBar {} },
                p { class: "empty", {t.t("progress-none")} }
            }
        };
    };
    let summary = t.t_args(
        "progress-summary",
        &[
            ("met", fmt::int(lang, card.criteria_met as u64).into()),
            ("total", fmt::int(lang, card.criteria_total as u64).into()),
            ("edition", card.edition.decision.clone().into()),
            ("date", fmt::date(card.as_of).into()),
        ],
    );
    let selected = village();

    rsx! {
        Page {
            id: "screen-progress",
            title: t.t("progress-title"),
            subtitle: t.t("progress-offline-note"),
            actions: rsx! { ActionBar {} },
            div { class: "score-summary", id: "progress-summary", "{summary}" }
            VillageSelect { path: "progress-village", villages: villages.clone(), selected: selected.clone(), allow_all: true,
                on_select: move |v| village.set(v), errors: FormErrors::default() }
            if card.conflicts > 0 {
                p { class: "notice", id: "progress-conflicts",
                    {t.t_args("progress-conflicts", &[("count", fmt::int(lang, card.conflicts as u64).into())])} }
            }
            section { class: "section", id: "progress-measures",
                h2 { {t.t("progress-activity")} }
                for m in card.measures.iter().filter(|m| matches!(m.id, MeasureId::SignsPlaced | MeasureId::FieldRoadKm | MeasureId::HouseholdsChecked)) {
                    MeasureRow { key: "{m.id:?}", measure: m.id,
                        value: match &selected { Some(v) => m.villages.iter().find(|x| &x.village_id == v).map(|x| x.value).unwrap_or(0.0), None => m.value },
                        quota: match &selected { Some(v) => m.villages.iter().find(|x| &x.village_id == v).and_then(|x| x.quota), None => m.quota } }
                }
            }
            for c in card.criteria.iter() {
                section { class: "criterion", key: "{c.id}", id: "criterion-{c.id}",
                    div { class: "criterion-head",
                        span { class: "criterion-id", "{c.id}" }
                        span { class: "criterion-name", {name(lang, &c.name_vi, &c.name_en)} }
                        span { class: match c.met { Some(true) => "badge met", Some(false) => "badge not-met", None => "badge none" },
                            {t.t(match c.met { Some(true) => "verdict-met", Some(false) => "verdict-not-met", None => "progress-unknown" })}
                        }
                    }
                    for ind in c.indicators.iter() {
                        IndicatorRow { key: "{ind.id}", indicator: ind.clone(), village: selected.clone() }
                    }
                }
            }
        }
    }
}

/// One indicator: value against threshold, and the gap (or one village's figure).
#[component]
fn IndicatorRow(indicator: IndicatorScore, village: Option<Slug>) -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let ind = &indicator;
    let dom_id = format!("indicator-{}", ind.id.replace('.', "-"));
    let (value, met) = match &village {
        Some(v) => match ind.villages.iter().find(|x| &x.village_id == v) {
            Some(x) => (x.value, x.met),
            None => (None, None),
        },
        None => (ind.value, ind.met),
    };
    let value = value_text(&t, ind.indicator_type, &ind.unit, value, met);
    // With its sense, as on the dashboard: "≥ 50 %", "≤ 26,7 %", "không còn".
    let threshold = ind.threshold.map(|th| {
        let ceiling = matches!(
            ind.indicator_type,
            IndicatorType::PctMax | IndicatorType::None
        );
        if ceiling && th == 0.0 {
            return t.t("progress-threshold-none");
        }
        let shown = if is_percent(ind.indicator_type) {
            fmt::percent(lang, th)
        } else {
            fmt::decimal(lang, th, 1)
        };
        let sense = if ceiling { "≤" } else { "≥" };
        t.t_args(
            "progress-threshold",
            &[("threshold", format!("{sense} {shown}").into())],
        )
    });
    let gap = match (&village, ind.met, ind.gap) {
        (None, Some(false), Some(g)) if g > 0.0 => Some(gap_text(&t, g, ind.gap_unit)),
        _ => None,
    };
    let coverage = match (&village, ind.coverage) {
        (None, Some(c)) => Some(t.t_args(
            "progress-coverage",
            &[
                ("checked", fmt::int(lang, c.checked).into()),
                ("registered", fmt::int(lang, c.registered).into()),
            ],
        )),
        _ => None,
    };
    let class = match met {
        Some(true) => "indicator met",
        Some(false) => "indicator not-met",
        None => "indicator none",
    };
    rsx! {
        div { class: "{class}", id: "{dom_id}", "data-basis": wire_key(&ind.basis),
            div { class: "indicator-head",
                span { class: "indicator-id", "{ind.id}" }
                span { class: "indicator-name", {name(lang, &ind.name_vi, &ind.name_en)} }
            }
            div { class: "indicator-figures",
                strong { class: "indicator-value", "{value}" }
                if let Some(th) = threshold { span { class: "indicator-threshold", " · {th}" } }
            }
            if let Some(g) = gap { div { class: "indicator-gap", "{g}" } }
            if let Some(c) = coverage { div { class: "indicator-coverage", "{c}" } }
            if ind.conflicts > 0 {
                div { class: "indicator-conflicts",
                    {t.t_args("progress-conflicts", &[("count", fmt::int(lang, ind.conflicts as u64).into())])} }
            }
        }
    }
}

/// An activity measure against the quota ("Biển báo đã đặt: 1 / 3").
#[component]
fn MeasureRow(measure: MeasureId, value: f64, quota: Option<f64>) -> Element {
    let t = use_i18n();
    let lang = t.lang();
    let shown = |v: f64| {
        if measure == MeasureId::FieldRoadKm {
            fmt::km(lang, v)
        } else {
            fmt::int(lang, v.round() as u64)
        }
    };
    let text = match quota {
        Some(q) => format!("{} / {}", shown(value), shown(q)),
        None => shown(value),
    };
    rsx! {
        div { class: "measure", id: "measure-{measure.as_str()}",
            span { class: "measure-name", {t.t(&format!("measure-{}", measure.as_str()))} }
            strong { class: "measure-value", "{text}" }
        }
    }
}
