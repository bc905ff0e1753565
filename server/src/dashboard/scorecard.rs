//! `/dashboard/c/{id}`: the commune's scorecard as of a date: N/19, each criterion with its
//! verdict and responsible people, each indicator with value, threshold and where it came from,
//! gap, coverage and conflicts, and the trend over the last twelve month ends.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use maud::{html, Markup};
use ntm_field::catalog::{Catalog, Confidence, IndicatorType, ThresholdSource};
use ntm_field::config::CommuneConfig;
use ntm_field::scorecard::{
    scorecard_counted, scorecard_under, Basis, CommuneFacts, GapUnit, IndicatorScore, Scorecard,
};
use serde::Deserialize;

use super::chart::{line_chart, Series, PALETTE};
use super::i18n::{self, Lang};
use super::layout::{page, verdict, Flash, Nav, Shell};
use super::session::DashUser;
use super::{commune_for, html_page, PageError, PageResult};
use crate::auth::Access;
use crate::handlers::v1::reports::local_today;
use crate::reports::month_end;
use crate::{blocking, AppState};

#[derive(Debug, Deserialize)]
pub struct AsOfQuery {
    pub as_of: Option<String>,
}

/// The `as_of` of a page's query, today when absent.
pub fn as_of(q: Option<&str>) -> Result<NaiveDate, PageError> {
    match q {
        None | Some("") => Ok(local_today()),
        Some(s) => crate::dates::date(s).ok_or_else(|| PageError::bad_request("error.as_of")),
    }
}

/// Month ends of the twelve months up to `as_of` (the last point is `as_of` itself).
pub fn trend_dates(as_of: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(12);
    for back in (1..12).rev() {
        let months = as_of.year() * 12 + as_of.month0() as i32 - back;
        if let Some(end) = month_end(months.div_euclid(12), months.rem_euclid(12) as u32 + 1) {
            out.push(end);
        }
    }
    out.push(as_of);
    out
}

/// The scorecard and its trend, computed with the core from the commune's versions.
pub struct Computed {
    pub card: Scorecard,
    pub trend: Vec<(NaiveDate, Scorecard)>,
    /// Why the edition that applies cannot read its table for this commune (no commune group):
    /// the card then shows figures without verdicts, and the page says what to set.
    pub refusal: Option<ntm_field::catalog::edition::EditionError>,
}

/// Computed scorecards by (commune, its latest `server_seq`, its configuration's tag, date,
/// trend): a commune's versions only ever grow, so an unchanged head and configuration mean an
/// unchanged result, and a page seen again costs two small queries instead of thirteen
/// scorecards.
type CacheKey = (String, u64, String, NaiveDate, bool);
static CACHE: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<CacheKey, std::sync::Arc<Computed>>>,
> = std::sync::LazyLock::new(Default::default);
const CACHE_ENTRIES: usize = 64;

/// [`compute`] over the commune's stored versions, reusing a result while nothing changed.
/// Blocking: call from `spawn_blocking`.
pub fn cached(
    storage: &dyn crate::storage::Storage,
    config: &CommuneConfig,
    as_of: NaiveDate,
    with_trend: bool,
) -> crate::storage::StoreResult<std::sync::Arc<Computed>> {
    let id = &config.commune.id;
    let lineage = crate::lineage::Lineage::load(storage, id)?;
    let counting = lineage.counting(id, as_of);
    let plain = crate::lineage::is_plain(&counting);
    // A merged commune's figures change with its parts' records too.
    let mut tag = crate::sync::config_etag(config);
    if !plain {
        for part in counting.communes(id).iter().skip(1) {
            tag.push_str(&format!(";{part}@{}", storage.server_head(part)?));
        }
        tag.push_str(&format!(";{counting:?}"));
    }
    let key = (
        id.as_str().to_owned(),
        storage.server_head(id)?,
        tag,
        as_of,
        with_trend,
    );
    if let Some(hit) = CACHE.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(hit.clone());
    }
    let computed = if plain {
        let mut dates = vec![as_of];
        if with_trend {
            dates.extend(trend_dates(as_of));
        }
        let facts = crate::storage::heads::facts_as_of(storage, id, &dates)?;
        let on = |d: NaiveDate| &facts[dates.iter().position(|x| *x == d).unwrap_or(0)];
        std::sync::Arc::new(compute(config, on, as_of, with_trend))
    } else {
        // A merger or a split concerns the commune: its figures read its parts' facts.
        let figures_as_of = counting.figures_as_of(as_of);
        let mut dates = vec![figures_as_of];
        if with_trend {
            dates.extend(trend_dates(figures_as_of));
        }
        let facts = crate::lineage::facts_on_dates(storage, id, &counting, &dates)?;
        let on = |d: NaiveDate| &facts[dates.iter().position(|x| *x == d).unwrap_or(0)];
        let score = |applied: &ntm_field::catalog::edition::Applied, d: NaiveDate| {
            // The card itself is counted as the date asked says (a commune merged into
            // another shows its last figures, and says so); each trend point as its own date.
            let how = if d == figures_as_of {
                counting.clone()
            } else {
                lineage.counting(id, d)
            };
            scorecard_counted(applied, config, &how, on(d), how.figures_as_of(d))
        };
        std::sync::Arc::new(compute_by(config, score, figures_as_of, with_trend))
    };
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(key, computed.clone());
    Ok(computed)
}

/// `facts_on` gives the commune's facts as of each date: `as_of` and, with the trend, each of
/// [`trend_dates`].
pub fn compute<'f>(
    config: &CommuneConfig,
    facts_on: impl Fn(NaiveDate) -> &'f CommuneFacts,
    as_of: NaiveDate,
    with_trend: bool,
) -> Computed {
    compute_by(
        config,
        |applied, d| scorecard_under(applied, config, facts_on(d), d),
        as_of,
        with_trend,
    )
}

/// [`compute`] with each date's scorecard under an edition given by `score`.
fn compute_by(
    config: &CommuneConfig,
    score: impl Fn(&ntm_field::catalog::edition::Applied, NaiveDate) -> Scorecard,
    as_of: NaiveDate,
    with_trend: bool,
) -> Computed {
    use ntm_field::catalog::edition::{Applied, Editions};
    let unread = |catalog, d| {
        let c = &config.commune;
        Applied::given_or_unread(catalog, &c.id, c.region, &config.editions, d)
    };
    let (applied, refusal) =
        ntm_field::scorecard::applied_or_unread(Editions::builtin(), config, as_of);
    let card = score(&applied, as_of);
    // The trend stays under the card's edition, so that one line counts one set of criteria.
    let trend = if with_trend {
        trend_dates(as_of)
            .into_iter()
            .map(|d| (d, score(&unread(applied.catalog, d), d)))
            .collect()
    } else {
        Vec::new()
    };
    Computed {
        card,
        trend,
        refusal,
    }
}

pub fn unit_label(lang: Lang, unit: GapUnit) -> &'static str {
    lang.t(&format!(
        "unit.{}",
        crate::reports::tables::gap_unit_wire(unit)
    ))
}

fn source_label(lang: Lang, s: ThresholdSource) -> &'static str {
    match s {
        ThresholdSource::Commune => lang.t("source.commune"),
        ThresholdSource::Province => lang.t("source.province"),
        ThresholdSource::Region => lang.t("source.region"),
        ThresholdSource::National => lang.t("source.national"),
    }
}

/// An indicator's value as shown: `24,62 %`, `45 triệu đồng/người/năm`, `0`.
pub fn value_text(lang: Lang, i: &IndicatorScore) -> Option<String> {
    let v = i.value?;
    Some(match i.indicator_type {
        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested => lang.pct(v),
        IndicatorType::ValueMin => format!("{} {}", lang.num(v, 2), unit_text(lang, &i.unit)),
        _ => lang.num(v, 2),
    })
}

fn unit_text(lang: Lang, unit: &str) -> String {
    match unit {
        "million_vnd_per_person_year" => lang.t("unit.million_vnd_per_person_year").to_owned(),
        "count" | "" => String::new(),
        other => other.to_owned(),
    }
}

/// The threshold as shown: `≥ 50 %`, `≤ 26,7 %`, `không còn`, `Đạt`.
pub fn threshold_text(lang: Lang, i: &IndicatorScore) -> String {
    match (i.indicator_type, i.threshold) {
        (IndicatorType::Bool, _) => lang.t("sc.bool_threshold").to_owned(),
        (_, None) => lang.t("sc.no_threshold").to_owned(),
        (IndicatorType::PctMin, Some(t)) => format!("≥ {}", lang.pct(t)),
        (IndicatorType::PctMinNested, Some(t)) => match i.inner_threshold {
            Some(inner) => format!(
                "≥ {} ({} ≥ {})",
                lang.pct(t),
                lang.t("sc.inner"),
                lang.pct(inner)
            ),
            None => format!("≥ {}", lang.pct(t)),
        },
        // A ceiling of nothing: "không còn" (none left), not "≤ 0 %".
        (IndicatorType::PctMax | IndicatorType::None, Some(0.0)) => {
            lang.t("sc.none_left").to_owned()
        }
        (IndicatorType::PctMax, Some(t)) => format!("≤ {}", lang.pct(t)),
        (IndicatorType::ValueMin, Some(t)) => {
            format!("≥ {} {}", lang.num(t, 2), unit_text(lang, &i.unit))
        }
        (IndicatorType::None, Some(t)) => format!("≤ {}", lang.num(t, 0)),
    }
}

/// The gap as shown: `6,6 km`, `12 hộ`, `3,5 điểm %`.
pub fn gap_text(lang: Lang, i: &IndicatorScore) -> Option<String> {
    let gap = i.gap?;
    if gap == 0.0 {
        return Some("0".to_owned());
    }
    let unit = i.gap_unit.unwrap_or(GapUnit::Count);
    let decimals = if unit == GapUnit::Km { 3 } else { 2 };
    Some(
        format!("{} {}", lang.num(gap, decimals), unit_label(lang, unit))
            .trim()
            .to_owned(),
    )
}

/// `6,4 / 26 km`, for ratios counted in a unit.
fn ratio_text(lang: Lang, i: &IndicatorScore) -> Option<String> {
    let (n, d) = (i.numerator?, i.denominator?);
    let unit = i.gap_unit.filter(|u| {
        matches!(
            u,
            GapUnit::Km | GapUnit::Households | GapUnit::People | GapUnit::Children
        )
    })?;
    let decimals = if unit == GapUnit::Km { 3 } else { 0 };
    Some(format!(
        "{} / {} {}",
        lang.num(n, decimals),
        lang.num(d, decimals),
        unit_label(lang, unit)
    ))
}

fn indicator_row(lang: Lang, commune: &str, i: &IndicatorScore) -> Markup {
    html! {
        tr.indicator id=(format!("ind-{}", i.id)) data-indicator=(i.id) {
            td.id { (i.id) }
            td { (lang.pick(&i.name_vi, &i.name_en)) }
            td.value {
                @if let Some(v) = value_text(lang, i) { strong { (v) } }
                @else if i.coverage.is_some_and(|c| c.checked == 0) { span.nodata-row { (lang.t("sc.none_checked")) } }
                @else { "–" }
                @if let Some(r) = ratio_text(lang, i) { br; small { (r) } }
                @if let Some(e) = &i.estimate {
                    br;
                    small.estimate {
                        (lang.t("sc.estimate")) ": "
                        @match e.value.filter(|_| e.coverage.checked > 0) { Some(v) => (lang.pct(v)), None => "–" }
                        " (" (lang.int(e.coverage.checked)) " / " (lang.int(e.coverage.registered)) " " (lang.t("sc.households")) ")"
                    }
                }
            }
            // The edition's own thresholds are explained once above the table (`threshold_note`);
            // a row names its source only when a province or the commune set it, and keeps its
            // citation as the cell's title, so every number stays traceable.
            td.threshold title=[i.threshold_citation.as_deref()] {
                (threshold_text(lang, i))
                @if i.threshold_confidence == Some(Confidence::Unconfirmed) {
                    sup.unconfirmed aria-label=(lang.t("confidence.unconfirmed")) { "*" }
                }
                @if let Some(s) = i.threshold_source.filter(|s| matches!(s, ThresholdSource::Province | ThresholdSource::Commune)) {
                    br;
                    small {
                        (lang.t("sc.threshold_source")) ": " strong { (source_label(lang, s)) }
                        @if let Some(c) = &i.threshold_citation { " — " span.citation { (c) } }
                    }
                }
            }
            td.verdict {
                (verdict(lang, i.met))
                @if i.needs_new_assessment { br; small.badge.warn.new-assessment { (lang.t("mg.new_assessment")) } }
            }
            td.gap { @if let Some(g) = gap_text(lang, i) { (g) } @else { "–" } }
            td.coverage {
                @if let Some(c) = i.coverage {
                    (lang.t("sc.checked_of")) " " (lang.int(c.checked)) " " (lang.t("sc.of")) " " (lang.int(c.registered)) " " (lang.t("sc.households"))
                } @else { "–" }
            }
            td.conflicts {
                @if i.conflicts > 0 {
                    a.badge.warn href=(format!("/dashboard/c/{commune}/conflicts")) { (i.conflicts) }
                } @else { "0" }
            }
            td.basis {
                @match i.basis {
                    Basis::Field => (lang.t("basis.field")),
                    Basis::Assessment => (lang.t("basis.assessment")),
                    Basis::None => (lang.t("basis.none")),
                }
                @if let Some(a) = &i.assessment {
                    br; small { (i18n::date(a.as_of)) ": " (a.source) }
                }
                @if i.manual_lengths > 0 {
                    br; small.badge.warn { (i.manual_lengths) " " (lang.t("sc.manual_lengths")) }
                }
            }
            td.responsible { (i.responsible.as_deref().unwrap_or("")) }
        }
    }
}

/// What a merger or a split means for the card shown.
fn lineage_note(lang: Lang, l: &ntm_field::scorecard::Lineage) -> Markup {
    use ntm_field::scorecard::Lineage;
    html! {
        @match l {
            Lineage::MergedFrom { date, legal_basis, parts, sum_of_parts } => {
                p.flash.info #lineage {
                    (lang.t("mg.merged_from")) " "
                    (parts.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
                    " " (lang.t("mg.on")) " " (i18n::date(*date)) " (" (legal_basis) ")."
                    @if *sum_of_parts { " " (lang.t("mg.sum_of_parts")) }
                }
            }
            Lineage::MergedInto { commune, date, legal_basis } => {
                p.flash.warn #lineage {
                    (lang.t("mg.merged_into")) " "
                    a href=(format!("/dashboard/c/{commune}")) { (commune.as_str()) }
                    " " (lang.t("mg.on")) " " (i18n::date(*date)) " (" (legal_basis) "); "
                    (lang.t("mg.last_figures")) " " (i18n::date(date.pred_opt().unwrap_or(*date))) "."
                }
            }
            Lineage::GaveAway { gave_away } => {
                @for g in gave_away {
                    p.flash.info #lineage {
                        (lang.t("mg.gave_away")) " "
                        a href=(format!("/dashboard/c/{}", g.to)) { (g.to.as_str()) }
                        " " (lang.t("mg.on")) " " (i18n::date(g.date)) " (" (g.legal_basis) "): "
                        (g.villages.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
                    }
                }
            }
        }
    }
}

/// The two trend charts: criteria met, and the field-measured indicators.
fn trend_charts(lang: Lang, trend: &[(NaiveDate, Scorecard)]) -> Markup {
    let labels: Vec<String> = trend
        .iter()
        .map(|(d, _)| d.format("%m/%Y").to_string())
        .collect();
    let met = Series {
        label: String::new(),
        color: PALETTE[0],
        values: trend
            .iter()
            .map(|(_, c)| c.has_data().then_some(c.criteria_met as f64))
            .collect(),
    };
    let total = trend.last().map_or(19, |(_, c)| c.criteria_total) as f64;
    let catalog = Catalog::builtin();
    let field: Vec<Series> = trend
        .last()
        .map(|(_, c)| {
            c.criteria
                .iter()
                .flat_map(|c| &c.indicators)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|i| {
            catalog
                .indicator(&i.id)
                .is_some_and(|ind| ind.rule.is_some())
        })
        .filter(|i| {
            trend
                .iter()
                .any(|(_, c)| c.indicator(&i.id).is_some_and(|x| x.value.is_some()))
        })
        .enumerate()
        .map(|(n, i)| Series {
            label: format!("{} {}", i.id, lang.pick(&i.name_vi, &i.name_en)),
            color: PALETTE[n % PALETTE.len()],
            values: trend
                .iter()
                .map(|(_, c)| c.indicator(&i.id).and_then(|x| x.value))
                .collect(),
        })
        .collect();
    html! {
        section.trend {
            h2 { (lang.t("sc.trend")) }
            (line_chart(lang.t("sc.trend"), &labels, &[met], (total, 4), |v| lang.num(v, 0), lang.t("sc.no_data")))
            @if !field.is_empty() {
                h2 { (lang.t("sc.trend_indicators")) }
                (line_chart(lang.t("sc.trend_indicators"), &labels, &field, (100.0, 4), |v| lang.pct(v), lang.t("sc.no_data")))
            }
        }
    }
}

/// One line on where the thresholds come from, and what a `*` means when some are unconfirmed.
fn threshold_note(lang: Lang, card: &Scorecard) -> Markup {
    let unconfirmed = card
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .any(|i| i.threshold_confidence == Some(Confidence::Unconfirmed));
    html! {
        p.hint #threshold-note {
            (lang.t("sc.threshold_note")) " " strong { (card.edition.decision) }
            "; " (lang.t("sc.threshold_note_overrides"))
            @if unconfirmed {
                " " sup.unconfirmed { "*" } " " (lang.t("sc.threshold_note_unconfirmed"))
            }
        }
    }
}

/// `GET /dashboard/c/{id}?as_of=YYYY-MM-DD`.
pub async fn scorecard_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let as_of = as_of(q.as_of.as_deref())?;
    let storage = state.storage.clone();
    let cfg = config.clone();
    let computed = blocking(move || Ok(cached(&*storage, &cfg, as_of, true)?)).await?;
    let card = &computed.card;
    let commune = config.commune.id.as_str();
    let body = html! {
        form.asof method="get" {
            label { (lang.t("sc.as_of")) " " input type="date" name="as_of" value=(as_of.to_string()); }
            button type="submit" { (lang.t("sc.show")) }
            span.hint { (i18n::date(as_of)) }
        }
        @if let Some(e) = &computed.refusal {
            p.flash.err #edition-refusal { (super::overview::edition_refusal(lang, e)) }
        }
        @if let Some(l) = &card.lineage {
            (lineage_note(lang, l))
        }
        p.headline {
            @if card.has_data() {
                span #criteria-met .big { (card.criteria_met) "/" (card.criteria_total) }
                " " (lang.t("sc.criteria_met"))
            } @else {
                span #criteria-met .nodata { (lang.t("sc.no_data")) }
            }
        }
        p.edition #edition {
            (lang.t("ed.edition")) ": " strong { (card.edition.decision) } " (" (card.edition.period) ")"
            @if matches!(card.edition.chosen, Some(ntm_field::catalog::edition::Chosen::OpenDossier { .. })) {
                ", " (lang.t("ed.dossier"))
            }
            @if card.edition.outside_its_period { ", " (lang.t("ed.outside")) }
        }
        nav.criteria aria-label=(lang.t("sc.criterion")) {
            @for c in &card.criteria {
                a.crit.met[c.met == Some(true)].notmet[c.met == Some(false)] href=(format!("#crit-{}", c.id))
                    title=(format!("{}. {}", c.id, lang.pick(&c.name_vi, &c.name_en))) {
                    span.n { (c.id) }
                    span.v { @match c.met { Some(true) => "✔", Some(false) => "✘", None => "?" } }
                }
            }
        }
        @if card.conflicts > 0 {
            p.flash.warn { strong { (card.conflicts) } " " (lang.t("sc.conflicts_banner")) " "
                a href=(format!("/dashboard/c/{commune}/conflicts")) { (lang.t("nav.conflicts")) } }
        }
        (threshold_note(lang, card))
        table.scorecard {
            thead {
                tr {
                    th { (lang.t("sc.indicator")) }
                    th { }
                    th { (lang.t("sc.value")) }
                    th { (lang.t("sc.threshold")) }
                    th { (lang.t("sc.met")) "?" }
                    th { (lang.t("sc.gap")) }
                    th { (lang.t("sc.coverage")) }
                    th { (lang.t("sc.conflicts")) }
                    th { (lang.t("sc.basis")) }
                    th { (lang.t("sc.responsible")) }
                }
            }
            @for c in &card.criteria {
                tbody.criterion id=(format!("crit-{}", c.id)) data-criterion=(c.id) {
                    tr.criterion-head {
                        th.id { (c.id) }
                        th colspan="3" { (lang.pick(&c.name_vi, &c.name_en)) }
                        th { (verdict(lang, c.met)) }
                        th colspan="4" { }
                        th { (c.responsible.as_deref().unwrap_or("")) }
                    }
                    @for i in &c.indicators {
                        (indicator_row(lang, commune, i))
                    }
                }
            }
        }
        (trend_charts(lang, &computed.trend))
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("sc.title"), config.commune.name),
        nav: Nav::Scorecard,
        here: format!("/dashboard/c/{commune}?as_of={as_of}"),
    };
    Ok(html_page(page(shell, None::<Flash>, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_ends_at_the_chosen_day_after_eleven_month_ends() {
        let d = NaiveDate::from_ymd_opt(2020, 6, 15).unwrap();
        let dates = trend_dates(d);
        assert_eq!(dates.len(), 12);
        assert_eq!(dates[0].to_string(), "2019-07-31");
        assert_eq!(dates[10].to_string(), "2020-05-31");
        assert_eq!(dates[11], d);
    }
}
