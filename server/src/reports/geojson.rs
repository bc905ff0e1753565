//! Roads and signs as a GeoJSON FeatureCollection (RFC 7946: WGS84, `[lon, lat]` order) that
//! QGIS opens as it is: road tracks as LineStrings, signs as Points, one flat property table.

use ntm_field::config::CommuneConfig;
use serde_json::{json, Value};

use super::rows::{Common, Rows};

fn common_properties(kind: &str, c: &Common, commune: &str) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("kind".into(), json!(kind));
    p.insert("entity_id".into(), json!(c.entity_id.to_string()));
    p.insert("version_id".into(), json!(c.version_id.to_string()));
    p.insert(
        "village".into(),
        json!(c.village_id.as_ref().map(|v| v.as_str())),
    );
    p.insert("village_name".into(), json!(c.village_name));
    p.insert("observed_on".into(), json!(c.observed_on.to_string()));
    p.insert("captured_at".into(), json!(c.captured_at.to_rfc3339()));
    p.insert("author".into(), json!(c.author));
    p.insert("accuracy_m".into(), json!(c.accuracy_m));
    p.insert("photos".into(), json!(c.photos));
    p.insert("conflict".into(), json!(c.conflict));
    p.insert(
        "url".into(),
        json!(format!("/dashboard/c/{commune}/records/{}", c.entity_id)),
    );
    p
}

/// The FeatureCollection of a commune's current roads and signs.
pub fn collection(config: &CommuneConfig, rows: &Rows) -> Value {
    let commune = config.commune.id.as_str();
    let mut features = Vec::new();
    for r in &rows.roads {
        let mut p = common_properties("road_segment", &r.common, commune);
        p.insert("name".into(), json!(r.name));
        p.insert("class".into(), json!(r.road_class.as_str()));
        p.insert("surface".into(), json!(r.surface));
        p.insert("status".into(), json!(r.status));
        p.insert("works".into(), json!(r.works));
        p.insert("width_m".into(), json!(r.width_m));
        p.insert("length_m".into(), json!(r.length_m));
        p.insert("manual_length".into(), json!(r.manual));
        p.insert("counts".into(), json!(r.counts));
        // Hardened (cứng hóa) means built with a hard surface: a planned or unfinished concrete
        // road is not hardened yet, and the map draws it dashed.
        p.insert(
            "hardened".into(),
            json!(
                r.status == "completed"
                    && matches!(
                        r.surface,
                        "asphalt" | "concrete" | "crushed_stone" | "brick"
                    )
            ),
        );
        // A segment measured by hand may have fewer than two points: GeoJSON allows a null
        // geometry, and QGIS keeps the feature in the attribute table.
        let geometry = if r.track.len() >= 2 {
            json!({"type": "LineString", "coordinates": r.track.iter().map(|(lon, lat)| [*lon, *lat]).collect::<Vec<_>>()})
        } else {
            Value::Null
        };
        features.push(json!({"type": "Feature", "id": r.common.entity_id.to_string(), "geometry": geometry, "properties": p}));
    }
    for s in &rows.signs {
        let mut p = common_properties("trash_sign", &s.common, commune);
        p.insert("condition".into(), json!(s.condition));
        p.insert("status".into(), json!(s.condition));
        p.insert("responsible_household".into(), json!(s.responsible));
        let geometry = match (s.common.lon, s.common.lat) {
            (Some(lon), Some(lat)) => json!({"type": "Point", "coordinates": [lon, lat]}),
            _ => Value::Null,
        };
        features.push(json!({"type": "Feature", "id": s.common.entity_id.to_string(), "geometry": geometry, "properties": p}));
    }
    json!({
        "type": "FeatureCollection",
        "name": format!("ntm-{commune}"),
        "features": features,
    })
}
