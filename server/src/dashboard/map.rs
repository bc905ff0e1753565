//! `/dashboard/c/{id}/map`: road segments (colour by class, dashed when not hardened) and
//! no-dumping signs (colour by condition) drawn by the vendored Leaflet from the commune's
//! GeoJSON export, on a plain background unless `NTM_MAP_TILES` names a tile server. The same
//! features are listed in a table under the map, which also serves readers without JavaScript.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Extension;
use maud::html;
use ntm_field::record::RoadClass;
use serde_json::json;

use super::i18n::{self, Lang};
use super::layout::{page, Flash, Nav, Shell};
use super::scorecard::{as_of, AsOfQuery};
use super::session::DashUser;
use super::{commune_for, html_page, Dash, PageResult};
use crate::auth::Access;
use crate::reports::rows::Rows;
use crate::{blocking, AppState};

/// Road class colours (distinct for colour-blind readers), shared by the legend and map.js.
pub fn class_color(c: RoadClass) -> &'static str {
    match c {
        RoadClass::Commune => "#d55e00",
        RoadClass::VillageAxis => "#0057b8",
        RoadClass::Alley => "#009e73",
        RoadClass::FieldMain => "#cc79a7",
    }
}

/// `GET /dashboard/c/{id}/map?as_of=`.
pub async fn map_page(
    State(state): State<Arc<AppState>>,
    Extension(dash): Extension<Arc<Dash>>,
    u: DashUser,
    Path(id): Path<String>,
    Query(q): Query<AsOfQuery>,
) -> PageResult<Response> {
    let lang: Lang = u.lang;
    let config = commune_for(&state, &u, &id, Access::Read).await?;
    let as_of = as_of(q.as_of.as_deref())?;
    let storage = state.storage.clone();
    let (slug, cfg) = (config.commune.id.clone(), config.clone());
    let rows = blocking(move || {
        let heads = crate::storage::heads::heads_as_of(&*storage, &slug, &[as_of])?;
        Ok(Rows::of(&cfg, &heads[0], as_of, None))
    })
    .await?;
    let commune = config.commune.id.as_str();
    let colors: serde_json::Map<String, serde_json::Value> = RoadClass::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), json!(class_color(*c))))
        .collect();
    let mut labels = serde_json::Map::new();
    for key in [
        "kind.road_segment",
        "kind.trash_sign",
        "rec.length",
        "rec.accuracy",
        "rec.photos",
        "rec.village",
        "rec.open",
        "rec.captured_at",
        "rec.author",
        "map.sign",
    ] {
        labels.insert(key.to_owned(), json!(lang.t(key)));
    }
    for c in RoadClass::ALL {
        labels.insert(
            format!("road.{}", c.as_str()),
            json!(lang.t(&format!("road.{}", c.as_str()))),
        );
    }
    for s in [
        "asphalt",
        "concrete",
        "crushed_stone",
        "brick",
        "gravel",
        "earth",
    ] {
        labels.insert(
            format!("surface.{s}"),
            json!(lang.t(&format!("surface.{s}"))),
        );
    }
    for s in ["planned", "under_construction", "completed"] {
        labels.insert(format!("status.{s}"), json!(lang.t(&format!("status.{s}"))));
    }
    for s in ["good", "damaged", "missing"] {
        labels.insert(
            format!("condition.{s}"),
            json!(lang.t(&format!("condition.{s}"))),
        );
    }
    let body = html! {
        form.asof method="get" {
            label { (lang.t("sc.as_of")) " " input type="date" name="as_of" value=(as_of.to_string()); }
            button type="submit" { (lang.t("sc.show")) }
            span.hint { (i18n::date(as_of)) }
        }
        p.hint { (lang.t("map.note")) }
        div #map.map
            data-geojson=(format!("/api/v1/communes/{commune}/export/geojson?as_of={as_of}"))
            data-tiles=[dash.config.map_tiles.as_deref()]
            data-attribution=[dash.config.map_attribution.as_deref()]
            data-colors=(serde_json::Value::Object(colors).to_string())
            data-labels=(serde_json::Value::Object(labels).to_string()) {
            noscript { (lang.t("map.no_js")) }
        }
        div.legend {
            strong { (lang.t("map.legend")) ": " }
            @for c in RoadClass::ALL {
                span.key { span.swatch style=(format!("background:{}", class_color(c))) {} (lang.t(&format!("road.{}", c.as_str()))) }
            }
            span.key { span.swatch.round style="background:#2e7d32" {} (lang.t("map.sign")) " (" (lang.t("condition.good")) ")" }
            span.key { span.swatch.round style="background:#f9a825" {} (lang.t("condition.damaged")) }
            span.key { span.swatch.round style="background:#b71c1c" {} (lang.t("condition.missing")) }
        }
        h2 { (lang.t("map.features")) }
        table.records #map-features {
            thead { tr {
                th { (lang.t("rec.kind")) } th { (lang.t("rec.summary")) } th { (lang.t("rec.village")) }
                th { (lang.t("rec.length")) } th { (lang.t("rec.accuracy")) } th { (lang.t("rec.photos")) } th { }
            } }
            tbody {
                @for r in &rows.roads {
                    tr data-kind="road_segment" {
                        td { (lang.t("kind.road_segment")) }
                        td { (r.name) " — " (lang.t(&format!("road.{}", r.road_class.as_str()))) ", " (lang.t(&format!("surface.{}", r.surface))) ", " (lang.t(&format!("status.{}", r.status))) }
                        td { (r.common.village_name) }
                        td { (lang.num(r.length_m, 0)) " m" @if r.manual { " (" (lang.t("rec.manual")) ")" } }
                        td { @if let Some(a) = r.common.accuracy_m { (lang.num(a, 1)) " m" } }
                        td { (r.common.photos) }
                        td { a href=(format!("/dashboard/c/{commune}/records/{}", r.common.entity_id)) { (lang.t("rec.open")) } }
                    }
                }
                @for s in &rows.signs {
                    tr data-kind="trash_sign" {
                        td { (lang.t("kind.trash_sign")) }
                        td { (lang.t("map.sign")) " — " (lang.t(&format!("condition.{}", s.condition))) @if !s.responsible.is_empty() { ", " (s.responsible) } }
                        td { (s.common.village_name) }
                        td { }
                        td { @if let Some(a) = s.common.accuracy_m { (lang.num(a, 1)) " m" } }
                        td { (s.common.photos) }
                        td { a href=(format!("/dashboard/c/{commune}/records/{}", s.common.entity_id)) { (lang.t("rec.open")) } }
                    }
                }
            }
        }
        link rel="stylesheet" href="/dashboard/assets/vendor/leaflet/leaflet.css";
        script src="/dashboard/assets/vendor/leaflet/leaflet.js" {}
        script src="/dashboard/assets/map.js" {}
    };
    let shell = Shell {
        user: &u,
        commune: Some(&config.commune),
        title: format!("{} – {}", lang.t("map.title"), config.commune.name),
        nav: Nav::Map,
        here: format!("/dashboard/c/{commune}/map?as_of={as_of}"),
    };
    Ok(html_page(page(shell, None::<Flash>, body)))
}
