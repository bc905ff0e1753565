//! Activity measures beside the indicators (signs placed, km built, households checked), per
//! village against the quotas the commune set, counted from each quota's start date.

use chrono::NaiveDate;

use super::indicators::Scope;
use super::{MeasureScore, VillageMeasure};
use crate::config::{CommuneConfig, MeasureId};
use crate::ids::Slug;
use crate::record::RoadClass;

fn road_class(measure: MeasureId) -> Option<RoadClass> {
    match measure {
        MeasureId::CommuneRoadKm => Some(RoadClass::Commune),
        MeasureId::VillageRoadKm => Some(RoadClass::VillageAxis),
        MeasureId::AlleyKm => Some(RoadClass::Alley),
        MeasureId::FieldRoadKm => Some(RoadClass::FieldMain),
        MeasureId::SignsPlaced | MeasureId::HouseholdsChecked => None,
    }
}

/// The measure's value in one village for what happened on or after `since`.
fn value(measure: MeasureId, scope: &Scope, village: &Slug, since: Option<NaiveDate>) -> f64 {
    let facts = scope.facts;
    let in_window = |date: NaiveDate| since.is_none_or(|s| date >= s) && date <= scope.as_of;
    let here = |v: Option<&Slug>| v == Some(village);
    if let Some(class) = road_class(measure) {
        let km: f64 = facts
            .roads
            .iter()
            .filter(|r| r.class == class && here(r.village.as_ref()) && in_window(r.date))
            .map(|r| r.km)
            .sum();
        return (km * 1000.0).round() / 1000.0;
    }
    match measure {
        MeasureId::SignsPlaced => facts
            .signs
            .iter()
            .filter(|s| here(s.village.as_ref()) && in_window(s.date))
            .count() as f64,
        _ => facts
            .households
            .iter()
            .filter(|h| {
                &h.village == village && h.latest.as_ref().is_some_and(|c| in_window(c.date))
            })
            .count() as f64,
    }
}

pub(super) fn measures(config: &CommuneConfig, scope: &Scope) -> Vec<MeasureScore> {
    MeasureId::ALL
        .into_iter()
        .map(|measure| {
            let villages: Vec<VillageMeasure> = scope
                .villages
                .iter()
                .map(|village| {
                    let quota = config
                        .quotas
                        .iter()
                        .find(|q| q.measure == measure && &q.village_id == village);
                    VillageMeasure {
                        village_id: village.clone(),
                        value: value(measure, scope, village, quota.map(|q| q.since)),
                        quota: quota.map(|q| q.target),
                    }
                })
                .collect();
            let quotas: Vec<f64> = villages.iter().filter_map(|v| v.quota).collect();
            MeasureScore {
                id: measure,
                value: ((villages.iter().map(|v| v.value).sum::<f64>()) * 1000.0).round() / 1000.0,
                quota: (!quotas.is_empty()).then(|| quotas.iter().sum()),
                villages,
            }
        })
        .collect()
}
