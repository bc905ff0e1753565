//! The Thiện Kế demo commune (assets/demo): its configuration from the 2020 plan, the plan's
//! baselines and verdicts as assessment records, an illustrative household registry, and
//! illustrative planned field roads and no-dumping signs (so the map is not empty) that change
//! none of the plan's figures. And [`son_thuy`]: its merger into xã Sơn Thủy on 01/7/2025 with
//! Ninh Lai and Sơn Nam, whose data is illustrative, scored under 318/QĐ-TTg for 2025.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{CommuneConfig, Quota};
use crate::geo::TrackPoint;
use crate::ids::Slug;
use crate::record::{
    Assessment, Body, Household, Location, LocationSource, RoadClass, RoadSegment, RoadStatus,
    SignCondition, SignType, Surface, TrackTimes, TrashSign, Version, Works,
};

const CONFIG_FILE: &str = "assets/demo/thien-ke.toml";
const CONFIG: &str = include_str!("../assets/demo/thien-ke.toml");
const HOUSEHOLDS_FILE: &str = "assets/demo/thien-ke-households.csv";
const HOUSEHOLDS: &str = include_str!("../assets/demo/thien-ke-households.csv");
const FIELD_FILE: &str = "assets/demo/thien-ke-field.toml";
const FIELD: &str = include_str!("../assets/demo/thien-ke-field.toml");
const MERGER_FILE: &str = "assets/demo/son-thuy.toml";
const MERGER: &str = include_str!("../assets/demo/son-thuy.toml");
/// When the illustrative 2025 reviews of Ninh Lai and Sơn Nam were written down.
const REVIEWED_2025_AT: &str = "2025-03-01T08:00:00+07:00";
/// GPS accuracy of the illustrative tracks and sign positions, metres (a phone in the open).
const DEMO_ACCURACY_M: f64 = 5.0;
/// Spacing of the illustrative tracks' fixes, metres, and the walking pace between them.
const TRACK_STEP_M: f64 = 10.0;
const WALK_M_PER_S: f64 = 1.2;

/// The device the demo's records are written by (the server's own seeding, not a phone).
pub const DEMO_DEVICE_ID: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_d3e0);
/// When the commune registered its households, and when the plan's review was written down.
const REGISTERED_AT: &str = "2020-01-02T08:00:00+07:00";
const REVIEWED_AT: &str = "2020-02-15T08:00:00+07:00";

/// A demo asset that does not read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct DemoError {
    pub file: &'static str,
    pub problem: String,
}

/// The demo commune: its configuration and its initial records.
#[derive(Debug, Clone)]
pub struct DemoCommune {
    pub config: CommuneConfig,
    pub versions: Vec<Version>,
    /// The seeding device its versions are written by.
    pub device_id: Uuid,
}

/// The demo's merger and the communes it brings besides Thiện Kế ([`thien_ke`]): Ninh Lai,
/// Sơn Nam, and the new commune Sơn Thủy.
#[derive(Debug, Clone)]
pub struct DemoMerger {
    pub merger: crate::merger::Merger,
    pub communes: Vec<DemoCommune>,
}

/// assets/demo/son-thuy.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergerFile {
    merger: crate::merger::Merger,
    communes: Vec<MergerCommune>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MergerCommune {
    id: Slug,
    name: String,
    province: String,
    #[serde(default)]
    district: Option<String>,
    region: crate::ids::Region,
    villages: Vec<crate::admin::Village>,
    #[serde(default)]
    valid_from: Option<NaiveDate>,
    #[serde(default)]
    editions: crate::catalog::edition::EditionSettings,
    #[serde(default)]
    assessments: Vec<DemoAssessment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoFile {
    assessments: Vec<DemoAssessment>,
    commune: crate::admin::Commune,
    #[serde(default)]
    province_targets: std::collections::BTreeMap<String, crate::catalog::TargetOverride>,
    #[serde(default)]
    responsibilities: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    quotas: Vec<Quota>,
    #[serde(default)]
    editions: crate::catalog::edition::EditionSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAssessment {
    /// The edition of the indicator id; none for 1980's.
    #[serde(default)]
    edition: Option<String>,
    indicator_id: String,
    as_of: NaiveDate,
    #[serde(default)]
    numerator: Option<f64>,
    #[serde(default)]
    denominator: Option<f64>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    met: Option<bool>,
    source: String,
}

/// assets/demo/thien-ke-field.toml.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    roads: Vec<DemoRoad>,
    signs: Vec<DemoSign>,
}

/// A main intra-field road the plan still has to build, recorded as planned.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRoad {
    name: String,
    village_id: Slug,
    captured_at: String,
    /// `[lat, lon]` corners of the lane; the track is walked along them.
    waypoints: Vec<[f64; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSign {
    village_id: Slug,
    position: [f64; 2],
    captured_at: String,
    /// The code of the household nearby that looks after the sign.
    responsible_household: String,
    #[serde(default = "good")]
    condition: SignCondition,
    note: String,
}

fn good() -> SignCondition {
    SignCondition::Good
}

#[derive(Deserialize)]
struct HouseholdRow {
    code: String,
    village_id: Slug,
    head_name: String,
    members: u32,
    address: String,
}

/// A UUIDv7 at `at` whose random part is derived from `name`, so loading the demo twice writes
/// the same ids and a server that already has them stores nothing twice.
fn stable_v7(name: &str, at: &DateTime<FixedOffset>) -> Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut random = [0u8; 10];
    random.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

fn time(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("demo timestamps are valid RFC 3339")
}

/// A track walked along `waypoints` at walking pace, a fix every [`TRACK_STEP_M`], ending at
/// `end` (when the phone saved the segment).
fn walked_track(waypoints: &[[f64; 2]], end: DateTime<FixedOffset>) -> Vec<TrackPoint> {
    // Metres per degree near 21.8 N: enough to space fixes evenly along short legs.
    const M_PER_DEG_LAT: f64 = 110_700.0;
    let m_per_deg_lon = M_PER_DEG_LAT * 21.8_f64.to_radians().cos();
    let mut points: Vec<(f64, f64)> = Vec::new();
    for leg in waypoints.windows(2) {
        let ([lat0, lon0], [lat1, lon1]) = (leg[0], leg[1]);
        let metres = ((lat1 - lat0) * M_PER_DEG_LAT).hypot((lon1 - lon0) * m_per_deg_lon);
        let steps = (metres / TRACK_STEP_M).ceil().max(1.0) as usize;
        for i in 0..steps {
            let f = i as f64 / steps as f64;
            points.push((lat0 + (lat1 - lat0) * f, lon0 + (lon1 - lon0) * f));
        }
    }
    if let Some([lat, lon]) = waypoints.last() {
        points.push((*lat, *lon));
    }
    let seconds_per_fix = (TRACK_STEP_M / WALK_M_PER_S).round() as i64;
    let n = points.len() as i64;
    points
        .into_iter()
        .zip(0..)
        .map(|((lat, lon), i)| TrackPoint {
            lat,
            lon,
            accuracy_m: DEMO_ACCURACY_M,
            t: end - chrono::Duration::seconds((n - 1 - i) * seconds_per_fix),
        })
        .collect()
}

/// An illustrative field record: its village, the name its stable ids derive from, its capture
/// time, where it was made, and its body.
type FieldRecord = (Slug, String, DateTime<FixedOffset>, Location, Body);

/// The illustrative roads and signs of assets/demo/thien-ke-field.toml. `households` maps a
/// household code to its entity id.
fn field_records(
    households: &std::collections::HashMap<String, Uuid>,
) -> Result<Vec<FieldRecord>, DemoError> {
    let problem = |problem: String| DemoError {
        file: FIELD_FILE,
        problem,
    };
    let file: FieldFile = toml::from_str(FIELD).map_err(|e| problem(e.to_string()))?;
    let parse_time = |s: &str| {
        DateTime::parse_from_rfc3339(s).map_err(|e| problem(format!("captured_at {s}: {e}")))
    };
    let at_fix = |[lat, lon]: [f64; 2], fix_at| Location {
        lat,
        lon,
        accuracy_m: DEMO_ACCURACY_M,
        altitude_m: None,
        fix_at,
        source: LocationSource::Gps,
    };
    let mut out = Vec::new();
    for road in file.roads {
        let at = parse_time(&road.captured_at)?;
        let start = *road
            .waypoints
            .first()
            .ok_or_else(|| problem(format!("{}: no waypoints", road.name)))?;
        let track = walked_track(&road.waypoints, at);
        let fix_at = track.first().map_or(at, |p| p.t);
        let body = Body::RoadSegment(RoadSegment {
            name: road.name.clone(),
            road_class: RoadClass::FieldMain,
            surface: Surface::Concrete,
            width_m: 3.0,
            status: RoadStatus::Planned,
            works: Works::Upgrade,
            track,
            manual_length_m: None,
            manual_reason: None,
            track_times: TrackTimes::Recorded,
        });
        let name = format!("road {}", road.name);
        out.push((road.village_id, name, at, at_fix(start, fix_at), body));
    }
    for (i, sign) in file.signs.into_iter().enumerate() {
        let at = parse_time(&sign.captured_at)?;
        let household = households.get(&sign.responsible_household).ok_or_else(|| {
            problem(format!(
                "sign {i}: household {} is not in {HOUSEHOLDS_FILE}",
                sign.responsible_household
            ))
        })?;
        let body = Body::TrashSign(TrashSign {
            sign_type: SignType::NoDumping,
            condition: sign.condition,
            responsible_household_id: Some(*household),
            note: sign.note,
        });
        let location = at_fix(sign.position, at - chrono::Duration::seconds(20));
        out.push((sign.village_id, format!("sign {i}"), at, location, body));
    }
    Ok(out)
}

/// Loads the embedded demo commune.
pub fn thien_ke() -> Result<DemoCommune, DemoError> {
    let file: DemoFile = toml::from_str(CONFIG).map_err(|e| DemoError {
        file: CONFIG_FILE,
        problem: e.to_string(),
    })?;
    let config = CommuneConfig {
        commune: file.commune,
        province_targets: file.province_targets,
        commune_targets: Default::default(),
        quotas: file.quotas,
        responsibilities: file.responsibilities,
        editions: file.editions,
        province_sets: Vec::new(),
        merged_from: Vec::new(),
    };
    let mut bodies: Vec<(Option<Slug>, String, DateTime<FixedOffset>, Body)> = Vec::new();
    let mut household_ids = std::collections::HashMap::new();
    let registered = time(REGISTERED_AT);
    let mut reader = csv::Reader::from_reader(HOUSEHOLDS.as_bytes());
    for row in reader.deserialize::<HouseholdRow>() {
        let row = row.map_err(|e| DemoError {
            file: HOUSEHOLDS_FILE,
            problem: e.to_string(),
        })?;
        let body = Body::Household(Household {
            code: row.code.clone(),
            head_name: row.head_name,
            members: row.members,
            address: row.address,
        });
        let name = format!("household {}", row.code);
        household_ids.insert(row.code.clone(), stable_v7(&name, &registered));
        bodies.push((Some(row.village_id), name, registered, body));
    }
    let reviewed = time(REVIEWED_AT);
    for a in file.assessments {
        bodies.push(assessment(a, "", reviewed));
    }
    let located = bodies
        .into_iter()
        .map(|(village, name, at, body)| (village, name, at, None, body))
        .chain(field_records(&household_ids)?.into_iter().map(
            |(village, name, at, location, body)| (Some(village), name, at, Some(location), body),
        ));
    let versions = versions(&config.commune.id, DEMO_DEVICE_ID, located);
    Ok(DemoCommune {
        config,
        versions,
        device_id: DEMO_DEVICE_ID,
    })
}

/// An assessment of the demo as a body to write; `prefix` keeps the ids of communes apart
/// (empty for Thiện Kế, whose ids predate the merger demo).
fn assessment(
    a: DemoAssessment,
    prefix: &str,
    at: DateTime<FixedOffset>,
) -> (Option<Slug>, String, DateTime<FixedOffset>, Body) {
    let edition = a
        .edition
        .as_deref()
        .map(|e| format!(" {e}"))
        .unwrap_or_default();
    let name = format!("{prefix}assessment{edition} {} {}", a.indicator_id, a.as_of);
    let body = Body::Assessment(Assessment {
        edition: a.edition,
        indicator_id: a.indicator_id,
        as_of: a.as_of,
        numerator: a.numerator,
        denominator: a.denominator,
        value: a.value,
        met: a.met,
        source: a.source,
        note: String::new(),
    });
    (None, name, at, body)
}

/// The versions of a demo commune's records, written by `device` with stable ids.
fn versions(
    commune: &Slug,
    device: Uuid,
    located: impl Iterator<
        Item = (
            Option<Slug>,
            String,
            DateTime<FixedOffset>,
            Option<Location>,
            Body,
        ),
    >,
) -> Vec<Version> {
    located
        .zip(1..)
        .map(|((village_id, name, at, location, body), seq)| Version {
            version_id: stable_v7(&format!("{name} version"), &at),
            entity_id: stable_v7(&name, &at),
            parents: Vec::new(),
            village_id,
            commune_id: commune.clone(),
            device_id: device,
            device_seq: seq,
            author: Some("demo".to_owned()),
            server_seq: None,
            flags: Vec::new(),
            captured_at: at,
            observed_on: None,
            location,
            photos: Vec::new(),
            deleted: false,
            body,
        })
        .collect()
}

/// Loads the embedded merger of Thiện Kế, Ninh Lai and Sơn Nam into Sơn Thủy (illustrative
/// data), checked against the communes it names.
pub fn son_thuy() -> Result<DemoMerger, DemoError> {
    let problem = |problem: String| DemoError {
        file: MERGER_FILE,
        problem,
    };
    let file: MergerFile = toml::from_str(MERGER).map_err(|e| problem(e.to_string()))?;
    let thien_ke = thien_ke()?;
    let reviewed = time(REVIEWED_2025_AT);
    let mut communes = Vec::new();
    for c in file.communes {
        let mut villages = c.villages;
        if c.id == file.merger.commune {
            // The new commune receives Thiện Kế's villages first, as thien-ke.toml lists them.
            let mut all = thien_ke.config.commune.villages.clone();
            all.append(&mut villages);
            villages = all;
        }
        let config = CommuneConfig {
            commune: crate::admin::Commune {
                id: c.id.clone(),
                name: c.name,
                province: c.province,
                district: c.district,
                region: c.region,
                villages,
                code: None,
                valid_from: c.valid_from,
                valid_until: None,
            },
            province_targets: Default::default(),
            commune_targets: Default::default(),
            quotas: Vec::new(),
            responsibilities: Default::default(),
            editions: c.editions,
            province_sets: Vec::new(),
            merged_from: Vec::new(),
        };
        let device_id = stable_v7(&format!("demo device {}", c.id), &reviewed);
        let prefix = format!("{} ", c.id);
        let located = c
            .assessments
            .into_iter()
            .map(|a| assessment(a, &prefix, reviewed))
            .map(|(village, name, at, body)| (village, name, at, None, body));
        let versions = versions(&c.id, device_id, located);
        communes.push(DemoCommune {
            config,
            versions,
            device_id,
        });
    }
    let named: Vec<crate::admin::Commune> = std::iter::once(&thien_ke)
        .chain(&communes)
        .map(|d| d.config.commune.clone())
        .collect();
    file.merger
        .validate(&named, &[])
        .map_err(|e| problem(e.to_string()))?;
    Ok(DemoMerger {
        merger: file.merger,
        communes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    #[test]
    fn demo_commune_is_thien_ke_with_14_villages() {
        let demo = thien_ke().unwrap();
        let c = &demo.config.commune;
        assert_eq!(
            (c.id.as_str(), c.name.as_str(), c.villages.len()),
            ("thien-ke", "Thiện Kế", 14)
        );
        assert_eq!(c.region, crate::ids::Region::Tdmnpb);
        assert_eq!(demo.config.province_targets["2.4"].threshold, 50.0);
        assert_eq!(demo.config.responsibilities.len(), 19);
    }

    #[test]
    fn the_illustrative_roads_and_signs_change_none_of_the_plans_figures() {
        let demo = thien_ke().unwrap();
        let kinds = |k: crate::record::Kind| demo.versions.iter().filter(|v| v.kind() == k).count();
        assert_eq!(
            (
                kinds(crate::record::Kind::RoadSegment),
                kinds(crate::record::Kind::TrashSign)
            ),
            (4, 6)
        );
        for v in &demo.versions {
            match &v.body {
                Body::RoadSegment(r) => {
                    assert!(r.name.contains("minh họa"), "{}", r.name);
                    assert_eq!(r.status, RoadStatus::Planned);
                    let km = r.length(&crate::geo::TrackFilter::default()).metres / 1000.0;
                    assert!((0.5..2.0).contains(&km), "{}: {km} km", r.name);
                }
                Body::TrashSign(s) => assert!(s.note.contains("minh họa"), "{}", s.note),
                _ => {}
            }
        }
        let without: Vec<Version> = demo
            .versions
            .iter()
            .filter(|v| !matches!(v.body, Body::RoadSegment(_) | Body::TrashSign(_)))
            .cloned()
            .collect();
        for as_of in [
            "2019-12-31",
            "2020-01-01",
            "2020-02-15",
            "2020-06-30",
            "2020-12-31",
        ] {
            let as_of: NaiveDate = as_of.parse().unwrap();
            let catalog = Catalog::builtin();
            let with_them =
                crate::scorecard::scorecard(catalog, &demo.config, &demo.versions, as_of);
            let plan_only = crate::scorecard::scorecard(catalog, &demo.config, &without, as_of);
            assert_eq!(with_them, plan_only, "as of {as_of}");
        }
    }

    #[test]
    fn every_demo_record_passes_validation_in_its_commune() {
        let demo = thien_ke().unwrap();
        for v in &demo.versions {
            v.validate().unwrap_or_else(|e| panic!("{e}"));
            v.validate_in(&demo.config.commune, Catalog::builtin())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let again = thien_ke().unwrap();
        assert_eq!(
            demo.versions, again.versions,
            "demo ids are stable across loads"
        );
    }

    fn son_thuy_card(as_of: &str) -> crate::scorecard::Scorecard {
        use crate::scorecard::facts::CommuneFacts;
        let demo = son_thuy().unwrap();
        let thien_ke = thien_ke().unwrap();
        let all: Vec<&DemoCommune> = std::iter::once(&thien_ke).chain(&demo.communes).collect();
        let communes: Vec<crate::admin::Commune> =
            all.iter().map(|d| d.config.commune.clone()).collect();
        let versions: Vec<Version> = all.iter().flat_map(|d| d.versions.clone()).collect();
        let new = all
            .iter()
            .find(|d| d.config.commune.id.as_str() == "son-thuy")
            .unwrap();
        let as_of: NaiveDate = as_of.parse().unwrap();
        let how = crate::merger::counting(&new.config.commune.id, as_of, &[demo.merger], &communes);
        let facts = how
            .communes(&new.config.commune.id)
            .into_iter()
            .map(|c| {
                let f = CommuneFacts::from_versions(&c, &versions, as_of, &Default::default());
                (c, f)
            })
            .collect();
        let applied = crate::scorecard::choose(
            crate::catalog::edition::Editions::builtin(),
            &new.config,
            as_of,
        )
        .unwrap();
        crate::scorecard::scorecard_counted(&applied, &new.config, &how, &facts, as_of)
    }

    #[test]
    fn the_merger_into_son_thuy_is_valid_and_its_data_labelled_illustrative() {
        let demo = son_thuy().unwrap();
        assert_eq!(
            demo.merger.date,
            NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
        );
        assert!(demo.merger.legal_basis.contains("minh họa"));
        let parts: Vec<&str> = demo
            .merger
            .parts
            .iter()
            .map(|p| p.commune.as_str())
            .collect();
        assert_eq!(parts, ["thien-ke", "ninh-lai", "son-nam"]);
        let new = &demo.communes[2].config.commune;
        assert_eq!(
            (new.id.as_str(), new.villages.len()),
            ("son-thuy", 14 + 4 + 4)
        );
        for d in &demo.communes {
            for v in &d.versions {
                v.validate().unwrap_or_else(|e| panic!("{e}"));
                match &v.body {
                    Body::Assessment(a) => assert!(a.source.contains("minh họa"), "{}", a.source),
                    other => panic!("only assessments: {other:?}"),
                }
            }
            for village in d
                .config
                .commune
                .villages
                .iter()
                .filter(|v| !v.id.as_str().starts_with("thien-ke"))
            {
                assert!(village.name.contains("minh họa"), "{}", village.name);
            }
        }
        assert_ne!(demo.communes[0].device_id, demo.communes[1].device_id);
    }

    #[test]
    fn son_thuy_in_2025_is_scored_under_318_as_the_sum_of_its_parts() {
        use crate::scorecard::Lineage;
        for (as_of, before) in [("2025-06-30", true), ("2025-12-31", false)] {
            let card = son_thuy_card(as_of);
            assert_eq!(card.edition.key, "ntm-2021", "{as_of}");
            assert_eq!(card.criteria_total, 19);
            // Ninh Lai's 8 of 20 km and Sơn Nam's 5.5 of 12 (Thiện Kế's baseline is 1980's).
            let roads = card.indicator("2.4").unwrap();
            assert_eq!(
                (roads.numerator, roads.denominator, roads.value),
                (Some(13.5), Some(32.0), Some(42.19))
            );
            // Thiện Kế's 140 registered households, none checked yet.
            let sanitation = card.indicator("17.8").unwrap();
            assert_eq!(
                (sanitation.numerator, sanitation.denominator),
                (Some(0.0), Some(140.0))
            );
            let irrigation = card.indicator("3.1").unwrap();
            assert_eq!(
                (irrigation.met, irrigation.needs_new_assessment),
                (None, true)
            );
            assert!(matches!(
                card.lineage,
                Some(Lineage::MergedFrom { sum_of_parts, .. }) if sum_of_parts == before
            ));
        }
    }

    #[test]
    fn thien_ke_in_2020_is_unchanged_by_its_later_merger() {
        let demo = thien_ke().unwrap();
        let merger = son_thuy().unwrap().merger;
        let as_of: NaiveDate = "2020-12-31".parse().unwrap();
        let how = crate::merger::counting(&demo.config.commune.id, as_of, &[merger], &[]);
        assert_eq!(how, crate::merger::Counting::Own { gave_away: vec![] });
        let applied = crate::scorecard::choose(
            crate::catalog::edition::Editions::builtin(),
            &demo.config,
            as_of,
        )
        .unwrap();
        let facts: std::collections::BTreeMap<_, _> = [(
            demo.config.commune.id.clone(),
            crate::scorecard::CommuneFacts::from_versions(
                &demo.config.commune.id,
                &demo.versions,
                as_of,
                &Default::default(),
            ),
        )]
        .into();
        let counted =
            crate::scorecard::scorecard_counted(&applied, &demo.config, &how, &facts, as_of);
        let plain = crate::scorecard::scorecard_as_of(
            crate::catalog::edition::Editions::builtin(),
            &demo.config,
            &demo.versions,
            as_of,
        )
        .unwrap();
        assert_eq!(counted, plain);
        let roads = counted.indicator("2.4").unwrap();
        assert_eq!(roads.value, Some(24.62));
    }
}
