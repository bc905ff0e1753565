//! What a commune sets up around the catalog: threshold overrides (its own and its province's),
//! village quotas for activity measures, and who is responsible for each criterion.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::admin::Commune;
use crate::catalog::edition::EditionSettings;
use crate::catalog::province::ProvinceSet;
use crate::catalog::TargetOverride;
use crate::ids::Slug;

/// Everything the scorecard needs to know about a commune besides its records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommuneConfig {
    pub commune: Commune,
    /// Indicator id -> the province's threshold (several criterion-2 thresholds are the province's to set).
    #[serde(default)]
    pub province_targets: BTreeMap<String, TargetOverride>,
    /// Indicator id -> the commune's own threshold, which wins over everything else.
    #[serde(default)]
    pub commune_targets: BTreeMap<String, TargetOverride>,
    #[serde(default)]
    pub quotas: Vec<Quota>,
    /// Criterion or indicator id -> the people responsible, as the plan names them.
    #[serde(default)]
    pub responsibilities: BTreeMap<String, String>,
    /// Which edition it is assessed under, and its dated region and group.
    #[serde(default)]
    pub editions: EditionSettings,
    /// Its province's own sets, every edition and version; the latest version in force applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub province_sets: Vec<ProvinceSet>,
    /// The old communes a merger made this commune from: their records (kept under their own
    /// commune id) are this commune's too, so its phones pull, edit and send them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<Slug>,
}

/// An activity measure beside the indicators: what the commune counts per village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureId {
    /// No-dumping signs placed (and not reported missing).
    SignsPlaced,
    /// km of completed hardened main intra-field roads (2.4).
    FieldRoadKm,
    /// km of completed hardened village-axis roads (2.2).
    VillageRoadKm,
    /// km of completed hardened alleys (2.3).
    AlleyKm,
    /// km of completed asphalt or concrete commune roads (2.1).
    CommuneRoadKm,
    /// Registered households visited for a check.
    HouseholdsChecked,
}

impl MeasureId {
    pub const ALL: [MeasureId; 6] = [
        MeasureId::SignsPlaced,
        MeasureId::FieldRoadKm,
        MeasureId::VillageRoadKm,
        MeasureId::AlleyKm,
        MeasureId::CommuneRoadKm,
        MeasureId::HouseholdsChecked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeasureId::SignsPlaced => "signs_placed",
            MeasureId::FieldRoadKm => "field_road_km",
            MeasureId::VillageRoadKm => "village_road_km",
            MeasureId::AlleyKm => "alley_km",
            MeasureId::CommuneRoadKm => "commune_road_km",
            MeasureId::HouseholdsChecked => "households_checked",
        }
    }
}

/// A village's target for one measure, counted from `since` (inclusive, local date).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub measure: MeasureId,
    pub village_id: Slug,
    pub target: f64,
    pub since: NaiveDate,
}

impl CommuneConfig {
    /// Whether a record kept under `commune` belongs to this commune: its own, or one of the
    /// communes it was merged from.
    pub fn holds(&self, commune: &Slug) -> bool {
        *commune == self.commune.id || self.merged_from.contains(commune)
    }

    /// The responsible people for an indicator: its own entry, else its criterion's.
    pub fn responsible(&self, criterion_id: &str, indicator_id: Option<&str>) -> Option<&str> {
        indicator_id
            .and_then(|i| self.responsibilities.get(i))
            .or_else(|| self.responsibilities.get(criterion_id))
            .map(String::as_str)
    }
}
