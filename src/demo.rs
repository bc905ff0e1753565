//! The Thiện Kế demo commune (assets/demo): its configuration from the 2020 plan, the plan's
//! baselines and verdicts as assessment records, and an illustrative household registry.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::{CommuneConfig, Quota};
use crate::ids::Slug;
use crate::record::{Assessment, Body, Household, Version};

const CONFIG_FILE: &str = "assets/demo/thien-ke.toml";
const CONFIG: &str = include_str!("../assets/demo/thien-ke.toml");
const HOUSEHOLDS_FILE: &str = "assets/demo/thien-ke-households.csv";
const HOUSEHOLDS: &str = include_str!("../assets/demo/thien-ke-households.csv");

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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoAssessment {
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
    };
    let mut bodies: Vec<(Option<Slug>, String, DateTime<FixedOffset>, Body)> = Vec::new();
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
        bodies.push((
            Some(row.village_id),
            format!("household {}", row.code),
            registered,
            body,
        ));
    }
    let reviewed = time(REVIEWED_AT);
    for a in file.assessments {
        let name = format!("assessment {} {}", a.indicator_id, a.as_of);
        let body = Body::Assessment(Assessment {
            indicator_id: a.indicator_id,
            as_of: a.as_of,
            numerator: a.numerator,
            denominator: a.denominator,
            value: a.value,
            met: a.met,
            source: a.source,
            note: String::new(),
        });
        bodies.push((None, name, reviewed, body));
    }
    let versions = bodies
        .into_iter()
        .zip(1..)
        .map(|((village_id, name, at, body), seq)| Version {
            version_id: stable_v7(&format!("{name} version"), &at),
            entity_id: stable_v7(&name, &at),
            parents: Vec::new(),
            village_id,
            commune_id: config.commune.id.clone(),
            device_id: DEMO_DEVICE_ID,
            device_seq: seq,
            author: Some("demo".to_owned()),
            server_seq: None,
            flags: Vec::new(),
            captured_at: at,
            location: None,
            photos: Vec::new(),
            deleted: false,
            body,
        })
        .collect();
    Ok(DemoCommune { config, versions })
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
}
