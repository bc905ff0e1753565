//! Reduces a commune's versions to the facts the indicators are computed from: the live heads of
//! each entity, the household registry with each household's latest check, the road segments
//! with their measured length, the signs, and the assessments.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::config::CommuneConfig;
use crate::geo::TrackFilter;
use crate::heads::{entity_heads, head_order};
use crate::ids::Slug;
use crate::record::{
    Assessment, Body, HouseholdCheck, Kind, RoadClass, SignCondition, Version, Works,
};
use crate::time::local_date;

/// A household's latest check.
pub(super) struct CheckFact<'a> {
    pub check: &'a HouseholdCheck,
    pub date: NaiveDate,
}

/// A registered household.
pub(super) struct HouseholdFact<'a> {
    pub village: Slug,
    pub members: u32,
    /// Its registry entry or its latest check is in conflict.
    pub conflict: bool,
    pub latest: Option<CheckFact<'a>>,
}

/// A live road segment that counts toward its class's indicator.
pub(super) struct RoadFact {
    pub class: RoadClass,
    pub village: Option<Slug>,
    pub works: Works,
    pub km: f64,
    pub manual: bool,
    pub date: NaiveDate,
    pub conflict: bool,
}

pub(super) struct SignFact {
    pub village: Option<Slug>,
    pub date: NaiveDate,
}

pub(super) struct AssessmentFact<'a> {
    pub version: &'a Version,
    pub body: &'a Assessment,
    pub conflict: bool,
}

pub(super) struct Facts<'a> {
    pub villages: Vec<Slug>,
    pub households: Vec<HouseholdFact<'a>>,
    pub roads: Vec<RoadFact>,
    pub signs: Vec<SignFact>,
    assessments: HashMap<&'a str, Vec<AssessmentFact<'a>>>,
    /// Entities in conflict, across the commune.
    pub conflicts: usize,
}

impl<'a> Facts<'a> {
    pub fn gather(config: &CommuneConfig, versions: &'a [Version], as_of: NaiveDate, filter: &TrackFilter) -> Self {
        let commune = &config.commune;
        // An assessment states a figure as of its own date, whenever it was written down.
        let heads = entity_heads(versions.iter().filter(|v| {
            v.commune_id == commune.id
                && (v.kind() == Kind::Assessment || local_date(&v.captured_at) <= as_of)
        }));
        let conflicts = heads.values().filter(|h| h.in_conflict()).count();

        let mut registry: HashMap<Uuid, HouseholdFact<'a>> = HashMap::new();
        let mut checks: HashMap<Uuid, (&'a Version, &'a HouseholdCheck, bool)> = HashMap::new();
        let mut roads = Vec::new();
        let mut signs = Vec::new();
        let mut assessments: HashMap<&'a str, Vec<AssessmentFact<'a>>> = HashMap::new();
        for (entity_id, h) in &heads {
            if !h.is_live() {
                continue;
            }
            let v = h.head;
            let conflict = h.in_conflict();
            match &v.body {
                Body::Household(b) => {
                    if let Some(village) = v.village_id.clone() {
                        registry.insert(
                            *entity_id,
                            HouseholdFact { village, members: b.members, conflict, latest: None },
                        );
                    }
                }
                Body::HouseholdCheck(c) => {
                    // The latest check of each household decides it, whatever order checks arrived in.
                    let newer = checks.get(&c.household_id).is_none_or(|(best, _, _)| head_order(v, best).is_gt());
                    if newer {
                        checks.insert(c.household_id, (v, c, conflict));
                    }
                }
                Body::RoadSegment(r) if r.counts() => {
                    let length = r.length(filter);
                    roads.push(RoadFact {
                        class: r.road_class,
                        village: v.village_id.clone(),
                        works: r.works,
                        km: length.metres / 1000.0,
                        manual: length.manual,
                        date: local_date(&v.captured_at),
                        conflict,
                    });
                }
                Body::RoadSegment(_) => {}
                Body::TrashSign(s) => {
                    if s.condition != SignCondition::Missing {
                        signs.push(SignFact { village: v.village_id.clone(), date: local_date(&v.captured_at) });
                    }
                }
                Body::Assessment(a) => {
                    if a.as_of <= as_of {
                        assessments.entry(a.indicator_id.as_str()).or_default().push(AssessmentFact {
                            version: v,
                            body: a,
                            conflict,
                        });
                    }
                }
            }
        }
        for (household_id, (v, check, conflict)) in checks {
            if let Some(h) = registry.get_mut(&household_id) {
                h.conflict |= conflict;
                h.latest = Some(CheckFact { check, date: local_date(&v.captured_at) });
            }
        }
        let mut households: Vec<HouseholdFact<'a>> = registry.into_values().collect();
        households.sort_by(|a, b| a.village.cmp(&b.village));
        Facts {
            villages: commune.villages.iter().map(|v| v.id.clone()).collect(),
            households,
            roads,
            signs,
            assessments,
            conflicts,
        }
    }

    /// The latest assessment of an indicator for the commune (`village` None) or one village:
    /// the latest `as_of`, then the latest capture.
    pub fn latest_assessment(&self, indicator_id: &str, village: Option<&Slug>) -> Option<&AssessmentFact<'a>> {
        self.assessments.get(indicator_id)?.iter().filter(|a| a.version.village_id.as_ref() == village).max_by(|a, b| {
            a.body.as_of.cmp(&b.body.as_of).then_with(|| head_order(a.version, b.version))
        })
    }

    /// Assessments of an indicator that are in conflict.
    pub fn assessment_conflicts(&self, indicator_id: &str) -> usize {
        self.assessments.get(indicator_id).map_or(0, |a| a.iter().filter(|a| a.conflict).count())
    }

    pub fn checked_households(&self) -> usize {
        self.households.iter().filter(|h| h.latest.is_some()).count()
    }
}
