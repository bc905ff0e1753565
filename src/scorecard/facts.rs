//! Facts: what each entity's current head contributes to the scorecard, reduced to the few
//! numbers that matter. The phone derives them from its versions on the fly; the server keeps
//! them as incremental aggregates, one row per entity, updated in the transaction that stores a
//! version — both through [`EntityFact::of`], so the two can never disagree.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::geo::TrackFilter;
use crate::heads::{entity_heads_as_of, EntityHeads};
use crate::ids::Slug;
use crate::record::{Body, RoadClass, SignCondition, Version, Works};

/// The order of versions written the same day of observation (checks of one household,
/// assessments as of one date): later capture, then the greater version id (the same order as
/// [`crate::heads::head_order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Recency {
    pub captured_at: DateTime<FixedOffset>,
    pub version_id: Uuid,
}

impl Recency {
    fn of(v: &Version) -> Self {
        Recency {
            captured_at: v.captured_at,
            version_id: v.version_id,
        }
    }
}

/// What one household check says, per indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckFact {
    pub household_id: Uuid,
    pub recency: Recency,
    /// The day of the visit.
    pub date: NaiveDate,
    /// 17.6 passed.
    pub sanitation: bool,
    pub water_hygienic: bool,
    pub water_clean: bool,
    /// 17.7: `None` when the household raises no livestock.
    pub pen_hygienic: Option<bool>,
    pub members: u32,
    pub insured: u32,
    pub children_measured: u32,
    pub children_stunted: u32,
    pub conflict: bool,
}

impl CheckFact {
    /// Whether this check is a later word on its household than `other`: the later visit, then
    /// the later version (a visit of 2021 decides over one of 2020 corrected in 2026).
    pub fn supersedes(&self, other: &CheckFact) -> bool {
        (self.date, self.recency) > (other.date, other.recency)
    }
}

/// A registered household, with its latest check folded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdFact {
    pub entity_id: Uuid,
    pub village: Slug,
    pub members: u32,
    pub conflict: bool,
    pub latest: Option<CheckFact>,
}

impl HouseholdFact {
    /// The household's registry entry or its latest check is in conflict.
    pub fn in_conflict(&self) -> bool {
        self.conflict || self.latest.as_ref().is_some_and(|c| c.conflict)
    }
}

/// A completed road segment whose surface meets its class's indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadFact {
    pub entity_id: Uuid,
    pub class: RoadClass,
    pub village: Option<Slug>,
    pub works: Works,
    pub km: f64,
    pub manual: bool,
    pub date: NaiveDate,
    pub conflict: bool,
}

/// A sign standing (not reported missing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignFact {
    pub entity_id: Uuid,
    pub village: Option<Slug>,
    pub date: NaiveDate,
}

/// An assessment's figure or verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentFact {
    pub entity_id: Uuid,
    /// The edition the indicator id belongs to.
    #[serde(default = "default_edition")]
    pub edition: String,
    pub indicator_id: String,
    pub village: Option<Slug>,
    pub as_of: NaiveDate,
    pub recency: Recency,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub met: Option<bool>,
    pub source: String,
    pub conflict: bool,
}

fn default_edition() -> String {
    crate::catalog::edition::DEFAULT_KEY.to_owned()
}

/// What one entity contributes, from its current heads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum EntityFact {
    Household(HouseholdFact),
    Check(CheckFact),
    Road(RoadFact),
    Sign(SignFact),
    Assessment(AssessmentFact),
}

impl EntityFact {
    /// The contribution of an entity, or `None` when it contributes nothing (deleted, a road
    /// that does not count, a sign reported missing).
    pub fn of(entity_id: Uuid, heads: &EntityHeads, filter: &TrackFilter) -> Option<EntityFact> {
        if !heads.is_live() {
            return None;
        }
        let v = heads.head;
        let conflict = heads.in_conflict();
        let date = v.observed_date();
        Some(match &v.body {
            Body::Household(b) => EntityFact::Household(HouseholdFact {
                entity_id,
                village: v.village_id.clone()?,
                members: b.members,
                conflict,
                latest: None,
            }),
            Body::HouseholdCheck(c) => EntityFact::Check(CheckFact {
                household_id: c.household_id,
                recency: Recency::of(v),
                date,
                sanitation: c.meets_sanitation(),
                water_hygienic: c.water.hygienic,
                water_clean: c.water.clean,
                pen_hygienic: c.livestock_pen_verdict(),
                members: c.health_insurance.members,
                insured: c.health_insurance.insured,
                children_measured: c.children_under5.measured,
                children_stunted: c.children_under5.stunted,
                conflict,
            }),
            Body::RoadSegment(r) if r.counts() => {
                let length = r.length(filter);
                EntityFact::Road(RoadFact {
                    entity_id,
                    class: r.road_class,
                    village: v.village_id.clone(),
                    works: r.works,
                    km: length.metres / 1000.0,
                    manual: length.manual,
                    date,
                    conflict,
                })
            }
            Body::RoadSegment(_) => return None,
            Body::TrashSign(s) if s.condition != SignCondition::Missing => {
                EntityFact::Sign(SignFact {
                    entity_id,
                    village: v.village_id.clone(),
                    date,
                })
            }
            Body::TrashSign(_) => return None,
            Body::Assessment(a) => EntityFact::Assessment(AssessmentFact {
                entity_id,
                edition: a.edition.clone().unwrap_or_else(default_edition),
                indicator_id: a.indicator_id.clone(),
                village: v.village_id.clone(),
                as_of: a.as_of,
                recency: Recency::of(v),
                numerator: a.numerator,
                denominator: a.denominator,
                value: a.value,
                met: a.met,
                source: a.source.clone(),
                conflict,
            }),
        })
    }
}

/// Everything the scorecard of one commune is computed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommuneFacts {
    pub households: Vec<HouseholdFact>,
    pub roads: Vec<RoadFact>,
    pub signs: Vec<SignFact>,
    pub assessments: Vec<AssessmentFact>,
    /// Entities in conflict, across the commune.
    pub conflicts: usize,
    /// The latest check of each household registered in another commune (a check recorded in
    /// the commune a merger made, of a household registered in an old one): no figure of this
    /// commune alone counts it; [`CommuneFacts::absorb`] gives it to its household.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched_checks: Vec<CheckFact>,
}

impl CommuneFacts {
    /// Facts of every record `config`'s commune holds as of `as_of`: its own, and those of the
    /// communes a merger made it from in its villages (their assessments of themselves as a
    /// whole are not carried over). What a phone of a merged commune counts offline.
    pub fn held_by(
        config: &crate::config::CommuneConfig,
        versions: &[Version],
        as_of: NaiveDate,
        filter: &TrackFilter,
    ) -> Self {
        let mut facts = CommuneFacts::from_versions(&config.commune.id, versions, as_of, filter);
        let villages = crate::merger::Villages::Only(
            config
                .commune
                .villages
                .iter()
                .map(|v| v.id.clone())
                .collect(),
        );
        for part in &config.merged_from {
            let mut theirs =
                CommuneFacts::from_versions(part, versions, as_of, filter).restricted(&villages);
            theirs.assessments.retain(|a| a.village.is_some());
            facts.absorb(theirs);
        }
        facts
    }

    /// Facts of `commune`'s versions as of the end of `as_of` (local time), each record dated by
    /// its observation. Assessments state a figure as of their own date, whenever they were
    /// written down, so they are kept whatever their dates and filtered by their `as_of` when
    /// scored.
    pub fn from_versions(
        commune: &Slug,
        versions: &[Version],
        as_of: NaiveDate,
        filter: &TrackFilter,
    ) -> Self {
        let heads = entity_heads_as_of(versions.iter().filter(|v| &v.commune_id == commune), as_of);
        let conflicts = heads.values().filter(|h| h.in_conflict()).count();
        let facts = heads
            .iter()
            .filter_map(|(id, h)| EntityFact::of(*id, h, filter));
        let mut out = CommuneFacts::from_entity_facts(facts);
        out.conflicts = conflicts;
        out
    }

    /// Gathers per-entity facts, giving each registered household its latest check (the latest
    /// check decides, whatever order checks arrived in). Checks of households not registered
    /// here count for nothing here and are kept in `unmatched_checks`. `conflicts` is left at 0
    /// for the caller, who knows the entities.
    pub fn from_entity_facts(facts: impl IntoIterator<Item = EntityFact>) -> Self {
        let mut out = CommuneFacts::default();
        let mut latest: HashMap<Uuid, CheckFact> = HashMap::new();
        for fact in facts {
            match fact {
                EntityFact::Household(h) => out.households.push(h),
                EntityFact::Check(c) => {
                    if latest
                        .get(&c.household_id)
                        .is_none_or(|best| c.supersedes(best))
                    {
                        latest.insert(c.household_id, c);
                    }
                }
                EntityFact::Road(r) => out.roads.push(r),
                EntityFact::Sign(s) => out.signs.push(s),
                EntityFact::Assessment(a) => out.assessments.push(a),
            }
        }
        for h in &mut out.households {
            h.latest = latest.remove(&h.entity_id);
        }
        out.unmatched_checks = latest.into_values().collect();
        out.sort();
        out
    }

    /// The facts of the records of `villages` only (what a split moves, or keeps). Entities in
    /// conflict are counted again over what is kept (signs carry no conflict flag, so a sign
    /// in conflict is not counted in a restriction).
    pub fn restricted(&self, villages: &crate::merger::Villages) -> CommuneFacts {
        if *villages == crate::merger::Villages::All {
            return self.clone();
        }
        let keep = |v: Option<&Slug>| villages.contains(v);
        let mut out = CommuneFacts {
            households: self
                .households
                .iter()
                .filter(|h| keep(Some(&h.village)))
                .cloned()
                .collect(),
            roads: self
                .roads
                .iter()
                .filter(|r| keep(r.village.as_ref()))
                .cloned()
                .collect(),
            signs: self
                .signs
                .iter()
                .filter(|s| keep(s.village.as_ref()))
                .cloned()
                .collect(),
            assessments: self
                .assessments
                .iter()
                .filter(|a| keep(a.village.as_ref()))
                .cloned()
                .collect(),
            conflicts: 0,
            // A check carries no village: every one is kept, for whichever household it finds.
            unmatched_checks: self.unmatched_checks.clone(),
        };
        out.conflicts = out.households.iter().filter(|h| h.in_conflict()).count()
            + out.roads.iter().filter(|r| r.conflict).count()
            + out.assessments.iter().filter(|a| a.conflict).count();
        out
    }

    /// Adds another commune's facts (of other entities) to these. A check either side holds of
    /// a household the other registered becomes that household's latest check when it is the
    /// later one (the same order as within a commune).
    pub fn absorb(&mut self, other: CommuneFacts) {
        self.households.extend(other.households);
        self.roads.extend(other.roads);
        self.signs.extend(other.signs);
        self.assessments.extend(other.assessments);
        self.conflicts += other.conflicts;
        let mut unmatched: HashMap<Uuid, CheckFact> = HashMap::new();
        for c in std::mem::take(&mut self.unmatched_checks)
            .into_iter()
            .chain(other.unmatched_checks)
        {
            if unmatched
                .get(&c.household_id)
                .is_none_or(|best| c.supersedes(best))
            {
                unmatched.insert(c.household_id, c);
            }
        }
        for h in &mut self.households {
            if let Some(c) = unmatched.remove(&h.entity_id) {
                if h.latest.as_ref().is_none_or(|l| c.supersedes(l)) {
                    h.latest = Some(c);
                }
            }
        }
        self.unmatched_checks = unmatched.into_values().collect();
        self.sort();
    }

    /// A canonical order, so that facts from any source compare equal.
    pub fn sort(&mut self) {
        self.households.sort_by_key(|h| h.entity_id);
        self.roads.sort_by_key(|r| r.entity_id);
        self.signs.sort_by_key(|s| s.entity_id);
        self.assessments.sort_by_key(|a| a.entity_id);
        self.unmatched_checks.sort_by_key(|c| c.household_id);
    }

    /// The latest assessment of an indicator for the commune (`village` None) or one village,
    /// dated no later than `as_of`: the latest `as_of`, then the latest capture.
    pub(super) fn latest_assessment(
        &self,
        edition: &str,
        indicator_id: &str,
        village: Option<&Slug>,
        as_of: NaiveDate,
    ) -> Option<&AssessmentFact> {
        self.assessments
            .iter()
            .filter(|a| {
                a.edition == edition
                    && a.indicator_id == indicator_id
                    && a.village.as_ref() == village
                    && a.as_of <= as_of
            })
            .max_by_key(|a| (a.as_of, a.recency))
    }

    pub(super) fn assessment_conflicts(
        &self,
        edition: &str,
        indicator_id: &str,
        as_of: NaiveDate,
    ) -> usize {
        self.assessments
            .iter()
            .filter(|a| {
                a.edition == edition
                    && a.indicator_id == indicator_id
                    && a.as_of <= as_of
                    && a.conflict
            })
            .count()
    }

    pub(super) fn checked_households(&self) -> usize {
        self.households
            .iter()
            .filter(|h| h.latest.is_some())
            .count()
    }
}
