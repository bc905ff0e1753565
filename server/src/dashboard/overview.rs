//! `/dashboard/overview`: for provincial and district officials and administrators, every
//! commune in scope side by side: N/19 (or N/10) under the edition that applies, and in a
//! transition year under the other edition too, conflicts, and the indicators furthest from
//! their thresholds, sortable, each linking to the commune's scorecard.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use maud::html;
use ntm_field::catalog::edition::EditionError;
use ntm_field::catalog::{Catalog, IndicatorType};
use ntm_field::protocol::{Role, TargetPut};
use ntm_field::scorecard::{IndicatorScore, Scorecard};
use serde::Deserialize;

use super::admin::{api_user, submit, Done, Refusal};
use super::i18n;
use super::layout::{csrf_field, page, Flash, Nav, Shell};
use super::scorecard::{as_of, gap_text, threshold_text, value_text};
use super::session::DashUser;
use super::summaries;
use super::{html_page, PageResult};
use crate::auth::Scope;
use crate::body::ApiBody;
use crate::{blocking, AppState};

#[derive(Debug, Deserialize)]
pub struct OverviewQuery {
    sort: Option<String>,
    as_of: Option<String>,
    ok: Option<String>,
    err: Option<String>,
}

/// The provinces whose thresholds `u` may set: every province for an administrator, their own
/// for a provincial officer, none for anyone else.
fn settable_provinces<'a>(u: &DashUser, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    match (&u.principal.scope, u.principal.role) {
        (Scope::All, _) => {
            let mut all: Vec<String> = known.map(str::to_owned).collect();
            all.sort();
            all.dedup();
            all
        }
        (Scope::Province(p), Role::Officer) => vec![p.clone()],
        _ => Vec::new(),
    }
}

/// How far a measured indicator that is not met is from its threshold, in percentage points
/// (for amounts, in percent of the threshold), so indicators of different units rank together.
/// `None` for indicators met, unknown, or with only a yes/no verdict.
pub fn distance(i: &IndicatorScore) -> Option<f64> {
    if i.met != Some(false) {
        return None;
    }
    match (i.indicator_type, i.value, i.threshold) {
        (IndicatorType::PctMin | IndicatorType::PctMinNested, Some(v), Some(t)) => {
            Some((t - v).max(0.0))
        }
        (IndicatorType::PctMax, Some(v), Some(t)) => Some((v - t).max(0.0)),
        (IndicatorType::ValueMin, Some(v), Some(t)) if t > 0.0 => {
            Some(((t - v) / t * 100.0).max(0.0))
        }
        _ => None,
    }
}

/// The indicators not met: measured ones furthest first, then those with only a verdict.
pub fn furthest(card: &Scorecard, n: usize) -> Vec<&IndicatorScore> {
    let mut out: Vec<&IndicatorScore> = card
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .filter(|i| i.met == Some(false))
        .collect();
    out.sort_by(|a, b| {
        let key = |i: &IndicatorScore| distance(i).unwrap_or(-1.0);
        key(b).total_cmp(&key(a)).then(a.id.cmp(&b.id))
    });
    out.truncate(n);
    out
}

/// `GET /dashboard/overview?sort=name|met|gap&as_of=`.
pub async fn overview(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Query(q): Query<OverviewQuery>,
) -> PageResult<Response> {
    let lang = u.lang;
    let as_of = as_of(q.as_of.as_deref())?;
    let storage = state.storage.clone();
    let summaries = state.summaries.clone();
    let principal = u.principal.clone();
    let overview =
        blocking(move || Ok(summaries.overview(&*storage, |c| principal.covers(c), as_of)?))
            .await?;
    let province_targets = &overview.province_targets;
    let (mut rows, refused) = summaries::split(&overview.rows);
    let sort = q.sort.as_deref().unwrap_or("name");
    match sort {
        "met" => rows.sort_by(|a, b| {
            b.1.card
                .criteria_met
                .cmp(&a.1.card.criteria_met)
                .then(a.0.name.cmp(&b.0.name))
        }),
        "gap" => rows.sort_by(|a, b| {
            let d = |c: &Scorecard| {
                furthest(c, 1)
                    .first()
                    .and_then(|i| distance(i))
                    .unwrap_or(0.0)
            };
            d(&b.1.card)
                .total_cmp(&d(&a.1.card))
                .then(a.0.name.cmp(&b.0.name))
        }),
        _ => rows.sort_by(|a, b| {
            a.0.province
                .cmp(&b.0.province)
                .then(a.0.district.cmp(&b.0.district))
                .then(a.0.name.cmp(&b.0.name))
        }),
    }
    let settable = settable_provinces(&u, province_targets.keys().map(String::as_str));
    let catalog = Catalog::builtin();
    let link = |key: &str, label: &str| {
        html! { a href=(format!("/dashboard/overview?sort={key}&as_of={as_of}")) aria-current=[(sort == key).then_some("true")] { (label) } }
    };
    let scope = match &u.principal.scope {
        Scope::District { province, district } => Some(format!(
            "{} {district}, {} {province}",
            lang.t("usr.former_district"),
            lang.t("com.province")
        )),
        Scope::Province(province) => Some(format!("{} {province}", lang.t("com.province"))),
        Scope::All | Scope::Commune(_) => None,
    };
    let body = html! {
        @if let Some(scope) = &scope { p.scope #scope { (lang.t("ov.scope")) ": " strong { (scope) } } }
        form.asof method="get" {
            input type="hidden" name="sort" value=(sort);
            label { (lang.t("sc.as_of")) " " input type="date" name="as_of" value=(as_of.to_string()); }
            button type="submit" { (lang.t("sc.show")) }
            span.hint { (i18n::date(as_of)) }
        }
        p.sort { (lang.t("ov.sort")) ": " (link("name", lang.t("ov.sort_name"))) " · " (link("met", lang.t("ov.sort_met"))) " · " (link("gap", lang.t("ov.sort_gap"))) }
        @if rows.is_empty() { p { (lang.t("ov.none")) } } @else {
            table.records.overview #overview {
                thead { tr {
                    th { (lang.t("ov.commune")) } th { (lang.t("com.district")) } th { (lang.t("com.province")) }
                    th { (lang.t("ov.met")) } th { (lang.t("sc.conflicts")) } th { (lang.t("ov.furthest")) }
                } }
                tbody {
                    @for (commune, standing) in &rows {
                        @let (card, beside) = (&standing.card, &standing.beside);
                        tr data-commune=(commune.id.as_str()) {
                            td { a href=(format!("/dashboard/c/{}?as_of={as_of}", commune.id.as_str())) { strong { (commune.name) } } }
                            td { (commune.district.as_deref().unwrap_or("")) }
                            td { (commune.province) }
                            td.met {
                                @if card.has_data() {
                                    span.big { (card.criteria_met) "/" (card.criteria_total) }
                                } @else {
                                    span.nodata { (lang.t("sc.no_data")) }
                                }
                                " " span.edition { (card.edition.decision) }
                                @for other in beside.iter().filter(|o| o.has_data()) {
                                    br; span.beside { (other.criteria_met) "/" (other.criteria_total) " " (other.edition.decision) }
                                }
                            }
                            td { (card.conflicts) }
                            td {
                                ul.furthest {
                                    @for i in furthest(card, 4) {
                                        li {
                                            a href=(format!("/dashboard/c/{}?as_of={as_of}#ind-{}", commune.id.as_str(), i.id)) { strong { (i.id) } }
                                            " " (lang.pick(&i.name_vi, &i.name_en)) ": "
                                            (value_text(lang, i).unwrap_or_else(|| "–".into())) " / " (threshold_text(lang, i))
                                            @if let Some(g) = gap_text(lang, i) { " (" (lang.t("sc.gap")) " " (g) ")" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !refused.is_empty() {
            section #refused {
                h2 { (lang.t("ed.refused")) }
                ul { @for (commune, e) in &refused {
                    li data-commune=(commune.id.as_str()) { strong { (commune.name) } ": " (edition_refusal(lang, e)) }
                } }
            }
        }
        @if !province_targets.is_empty() {
            section #province-targets {
                h2 { (lang.t("ov.province_targets")) }
                p.hint { (lang.t("ov.province_help")) }
                table.records {
                    thead { tr { th { (lang.t("com.province")) } th { (lang.t("set.indicator")) } th { (lang.t("set.current")) } th { (lang.t("set.source")) } } }
                    tbody {
                        @for (province, targets) in province_targets {
                            @for (indicator, t) in targets {
                                tr { td { (province) } td { (indicator) } td { (lang.num(t.threshold, 2)) } td { (t.source) } }
                            }
                        }
                    }
                }
                @if !settable.is_empty() {
                    form.grid method="post" action="/dashboard/province-target" {
                        (csrf_field(&u))
                        label { (lang.t("com.province")) select name="province" { @for p in &settable { option value=(p) { (p) } } } }
                        label { (lang.t("set.indicator")) select name="indicator" {
                            @for (_, i) in catalog.indicators().filter(|(_, i)| i.indicator_type != IndicatorType::Bool) {
                                option value=(i.id) selected[i.id == "2.4"] { (i.id) " " (lang.pick(&i.name_vi, &i.name_en)) }
                            }
                        } }
                        label { (lang.t("set.threshold")) input name="threshold" inputmode="decimal" required; }
                        label { (lang.t("set.source")) input name="source" required maxlength="500"; }
                        button type="submit" { (lang.t("set.save")) }
                    }
                }
            }
        }
    };
    let shell = Shell {
        user: &u,
        commune: None,
        title: lang.t("ov.title").to_owned(),
        nav: Nav::Overview,
        here: format!("/dashboard/overview?sort={sort}"),
    };
    Ok(html_page(page(
        shell,
        Flash::from_query(lang, q.ok.as_deref(), q.err.as_deref()),
        body,
    )))
}

/// Why a commune has no scorecard for the date, and what to set.
pub fn edition_refusal(lang: i18n::Lang, e: &EditionError) -> String {
    match e {
        EditionError::NoGroup {
            decision, as_of, ..
        } => format!(
            "{} ({decision}, {})",
            lang.t("ed.no_group"),
            i18n::date(*as_of)
        ),
        EditionError::NoneInForce(d) => format!("{} ({})", lang.t("ed.none"), i18n::date(*d)),
        EditionError::UnknownEdition { edition, .. } => {
            format!("{} ({edition})", lang.t("ed.unknown"))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ProvinceTargetForm {
    csrf: Option<String>,
    province: String,
    indicator: String,
    threshold: Option<String>,
    source: Option<String>,
}

/// `POST /dashboard/province-target`: a province's threshold for all its communes, through the
/// API's `put_province_target`, which decides who may (administrators and the province's own
/// officers).
pub async fn save_province_target(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Form(f): Form<ProvinceTargetForm>,
) -> PageResult<Response> {
    let gate = async { Ok(()) };
    submit(
        &u,
        f.csrf.as_deref(),
        gate,
        "/dashboard/overview",
        |()| async {
            let threshold = f
                .threshold
                .as_deref()
                .and_then(|s| s.trim().replace(',', ".").parse::<f64>().ok())
                .ok_or(Refusal::Values("error.threshold"))?;
            let put = TargetPut {
                threshold,
                inner: None,
                source: f.source.unwrap_or_default(),
            };
            // The page says it was saved; the API's answer is for API clients.
            let _ = crate::handlers::v1::communes::put_province_target(
                State(state.clone()),
                api_user(&u),
                crate::handlers::v1::ApiPath((f.province, f.indicator)),
                ApiBody(put),
            )
            .await?;
            Ok(Done::Back("set.saved"))
        },
    )
    .await
}
