//! `/dashboard/c/{id}/villages`: what each village has done against the quotas the commune
//! gave it (progress bars), and each indicator's figure per village.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::html;
use ntm_field::scorecard::IndicatorScore;

use super::i18n::{self, Lang};
use super::layout::{page, progress, verdict, Flash, Nav, Shell};
use super::scorecard::{as_of, cached, AsOfQuery};
use super::session::DashUser;
use super::{commune_for, html_page, PageResult};
use crate::auth::Access;
use crate::{blocking, AppState};

fn measure_decimals(id: ntm_field::config::MeasureId) -> usize {
    use ntm_field::config::MeasureId::*;
    match id {
        SignsPlaced | HouseholdsChecked => 0,
        _ => 3,
    }
}

/// `GET /dashboard/c/{id}/villages?as_of=`.
pub async fn villages_page(
    State(state): State<Arc<AppState>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> PageResult<Response> {
    let lang: Lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let as_of = as_of(q.as_of.as_deref())?;
    let storage = state.storage.clone();
    let cfg = config.clone();
    let computed = blocking(move || Ok(cached(&*storage, &cfg, as_of, false)?)).await?;
    let card = &computed.card;
    let by_village: Vec<&IndicatorScore> = card
        .criteria
        .iter()
        .flat_map(|c| &c.indicators)
        .filter(|i| i.villages.iter().any(|v| v.value.is_some()))
        .collect();
    // Measures the commune gave quotas for, or that have something done.
    let shown: Vec<_> = card
        .measures
        .iter()
        .filter(|m| m.quota.is_some() || m.value > 0.0)
        .collect();
    let villages = &config.commune.villages;
    let body = html! {
        form.asof method="get" {
            label { (lang.t("sc.as_of")) " " input type="date" name="as_of" value=(as_of.to_string()); }
            button type="submit" { (lang.t("sc.show")) }
            span.hint { (i18n::date(as_of)) }
        }
        h2 { (lang.t("sc.measures")) }
        div.scroll {
            table.villages #quotas {
                thead {
                    tr {
                        th { (lang.t("vil.village")) }
                        @for m in &shown { th { (lang.t(&format!("measure.{}", m.id.as_str()))) } }
                    }
                }
                tbody {
                    tr.total {
                        th { (lang.t("vil.commune")) }
                        @for m in &shown { td data-measure=(m.id.as_str()) { (progress(lang, m.value, m.quota, measure_decimals(m.id))) } }
                    }
                    @for v in villages {
                        tr data-village=(v.id.as_str()) {
                            td { (v.name) }
                            @for m in &shown {
                                @let vm = m.villages.iter().find(|x| x.village_id == v.id);
                                td data-measure=(m.id.as_str()) {
                                    @match vm {
                                        Some(vm) if vm.quota.is_some() => (progress(lang, vm.value, vm.quota, measure_decimals(m.id))),
                                        Some(vm) => { (lang.num(vm.value, measure_decimals(m.id))) " (" (lang.t("vil.no_quota")) ")" }
                                        None => "–",
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !by_village.is_empty() {
            h2 { (lang.t("vil.indicators")) }
            div.scroll {
                table.villages.indicators {
                    thead {
                        tr {
                            th { (lang.t("vil.village")) }
                            @for i in &by_village { th { (i.id) br; small { (lang.pick(&i.name_vi, &i.name_en)) } } }
                        }
                    }
                    tbody {
                        @for v in villages {
                            tr data-village=(v.id.as_str()) {
                                td { (v.name) }
                                @for i in &by_village {
                                    @let vs = i.villages.iter().find(|x| x.village_id == v.id);
                                    td {
                                        @match vs.and_then(|x| x.value) {
                                            Some(val) => { (lang.pct(val)) " " (verdict(lang, vs.and_then(|x| x.met))) }
                                            None => span.nodata-row { (lang.t("sc.no_data")) },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let commune = config.commune.id.as_str();
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("vil.title"), config.commune.name),
        nav: Nav::Villages,
        here: format!("/dashboard/c/{commune}/villages?as_of={as_of}"),
    };
    Ok(html_page(page(shell, None::<Flash>, body)))
}
