//! The scorecard: a pure function from a criteria edition, a commune's configuration, its
//! records and a date to the picture of product.md §3 and Appendix A (19 criteria under 1980 and
//! 318, 10 under 51/2025). The phone runs it over what it holds, the server over everything;
//! both must agree.
//!
//! `facts.rs` reduces the records to current facts (heads, registry, latest checks, baselines);
//! `indicators.rs` turns facts into each indicator's figure; `judge.rs` compares a figure with its
//! threshold (value, met, gap); `measures.rs` counts activity against village quotas.

pub mod facts;
mod indicators;
mod judge;
mod measures;
mod merged;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::catalog::edition::{Applied, EditionError, EditionRef, Editions};
use crate::catalog::{Catalog, Confidence, IndicatorType, ThresholdSource};
use crate::config::{CommuneConfig, MeasureId};
use crate::geo::TrackFilter;
use crate::ids::Slug;
use crate::record::Version;

/// A commune's standing on an edition's criteria as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub commune_id: Slug,
    pub as_of: NaiveDate,
    /// The edition scored under: "N/{criteria_total}" is read against it.
    #[serde(default)]
    pub edition: EditionRef,
    pub criteria_met: usize,
    pub criteria_total: usize,
    pub criteria: Vec<CriterionScore>,
    pub measures: Vec<MeasureScore>,
    /// Entities with more than one head, across the commune (each counted once).
    pub conflicts: usize,
    /// Where the commune comes from or went, when a merger or a split concerns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<Lineage>,
}

/// What a merger or a split means for a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Lineage {
    /// A commune made by a merger. Before its date (`sum_of_parts`) every figure is the sum of
    /// its parts' numerators and denominators; yes/no indicators and figures that are no ratio
    /// are not carried over (`IndicatorScore::needs_new_assessment`).
    MergedFrom {
        date: NaiveDate,
        legal_basis: String,
        parts: Vec<Slug>,
        sum_of_parts: bool,
    },
    /// The commune went whole into `commune` on `date`; the figures are its last, as of the day
    /// before (the card's `as_of`).
    MergedInto {
        commune: Slug,
        date: NaiveDate,
        legal_basis: String,
    },
    /// The commune continues without villages it gave to other communes.
    GaveAway {
        gave_away: Vec<crate::merger::GaveAway>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    /// Met when every indicator is met; not met when any is not; null while some are unknown.
    pub met: Option<bool>,
    pub responsible: Option<String>,
    pub indicators: Vec<IndicatorScore>,
}

/// Where an indicator's figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Computed from field records (on top of a baseline assessment for roads).
    Field,
    /// An officer's assessment.
    Assessment,
    /// Nothing is known yet.
    None,
}

/// The unit a gap is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapUnit {
    Km,
    Households,
    People,
    Children,
    PercentagePoints,
    MillionVndPerPersonYear,
    Count,
}

/// "Checked 1,830 of 2,000 households".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub checked: u64,
    pub registered: u64,
}

/// The assessment an indicator's figure starts from or rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentRef {
    pub version_id: Uuid,
    pub as_of: NaiveDate,
    pub source: String,
}

/// The field survey's own figure for an official indicator, shown beside the official one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub numerator: f64,
    pub denominator: f64,
    pub value: Option<f64>,
    pub coverage: Coverage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageScore {
    pub village_id: Slug,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    pub met: Option<bool>,
    /// See [`IndicatorScore::needs_baseline`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_baseline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorScore {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
    #[serde(rename = "type")]
    pub indicator_type: IndicatorType,
    pub unit: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    /// Percent (0–100) for percentage indicators, else the amount in `unit`.
    pub value: Option<f64>,
    /// The nested share of a `pct_min_nested` indicator (clean water).
    pub inner_value: Option<f64>,
    pub threshold: Option<f64>,
    pub inner_threshold: Option<f64>,
    pub threshold_source: Option<ThresholdSource>,
    pub threshold_citation: Option<String>,
    pub threshold_confidence: Option<Confidence>,
    /// Null where nothing was assessed or no threshold applies.
    pub met: Option<bool>,
    /// What is still missing, in `gap_unit`; 0 when met.
    pub gap: Option<f64>,
    pub gap_unit: Option<GapUnit>,
    pub coverage: Option<Coverage>,
    /// Entities behind this figure that are in conflict (the totals use their deterministic head).
    pub conflicts: usize,
    pub basis: Basis,
    pub assessment: Option<AssessmentRef>,
    pub estimate: Option<Estimate>,
    /// How many records the figure rests on.
    pub records: usize,
    /// Road segments whose length was typed in rather than measured.
    pub manual_lengths: usize,
    pub responsible: Option<String>,
    pub villages: Vec<VillageScore>,
    /// The figure is a share above 100 %, or a share of no known total (roads upgraded where
    /// no baseline gives the network's length): no value, no verdict, until an assessment
    /// gives the baseline.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_baseline: bool,
    /// A commune made by a merger with no assessment of its own: its parts' verdicts (and any
    /// figure that is not a numerator over a denominator) are not carried over.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_new_assessment: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VillageMeasure {
    pub village_id: Slug,
    pub value: f64,
    pub quota: Option<f64>,
}

/// An activity measure (signs placed, km built, households checked) against village quotas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureScore {
    pub id: MeasureId,
    pub value: f64,
    pub quota: Option<f64>,
    pub villages: Vec<VillageMeasure>,
}

pub use facts::{CommuneFacts, EntityFact};
pub use merged::scorecard_counted;

/// The scorecard under the edition that applies on `as_of` (in force then, or held by an open
/// dossier); refused when that edition needs a commune group the commune does not have.
pub fn scorecard_as_of(
    editions: &Editions,
    config: &CommuneConfig,
    versions: &[Version],
    as_of: NaiveDate,
) -> Result<Scorecard, EditionError> {
    let applied = choose(editions, config, as_of)?;
    Ok(scorecard_with(&applied, config, versions, as_of))
}

/// The scorecard under an edition already applied, from `versions` (see [`scorecard`]).
pub fn scorecard_with(
    applied: &Applied,
    config: &CommuneConfig,
    versions: &[Version],
    as_of: NaiveDate,
) -> Scorecard {
    let facts = CommuneFacts::held_by(config, versions, as_of, &TrackFilter::default());
    scorecard_under(applied, config, &facts, as_of)
}

/// [`scorecard_as_of`] from facts (see [`scorecard_from_facts`]).
pub fn scorecard_from_facts_as_of(
    editions: &Editions,
    config: &CommuneConfig,
    facts: &CommuneFacts,
    as_of: NaiveDate,
) -> Result<Scorecard, EditionError> {
    Ok(scorecard_under(
        &choose(editions, config, as_of)?,
        config,
        facts,
        as_of,
    ))
}

/// The edition that applies to the commune on `as_of`.
pub fn choose<'a>(
    editions: &'a Editions,
    config: &CommuneConfig,
    as_of: NaiveDate,
) -> Result<Applied<'a>, EditionError> {
    editions.choose(
        &config.commune.id,
        config.commune.region,
        &config.editions,
        as_of,
    )
}

/// The edition a person is shown for a date: the one that applies; when it cannot read its
/// table for this commune (no commune group), the edition in force with no cell of its table
/// read, so figures show without verdicts, and the reason to say beside them.
pub fn applied_or_unread<'a>(
    editions: &'a Editions,
    config: &CommuneConfig,
    as_of: NaiveDate,
) -> (Applied<'a>, Option<EditionError>) {
    match choose(editions, config, as_of) {
        Ok(applied) => (applied, None),
        Err(e) => {
            let catalog = editions
                .in_force_on(as_of)
                .or_else(|| editions.get(crate::catalog::edition::DEFAULT_KEY))
                .unwrap_or_else(|| Catalog::builtin());
            let c = &config.commune;
            let applied =
                Applied::given_or_unread(catalog, &c.id, c.region, &config.editions, as_of);
            (applied, Some(e))
        }
    }
}

/// Computes the scorecard of `config`'s commune under `catalog` from `versions` (every version
/// known, in any order; versions of other communes are ignored), counting what was observed up
/// to the end of `as_of`, local time ([`Version::counts_on`]).
pub fn scorecard(
    catalog: &Catalog,
    config: &CommuneConfig,
    versions: &[Version],
    as_of: NaiveDate,
) -> Scorecard {
    let facts =
        CommuneFacts::from_versions(&config.commune.id, versions, as_of, &TrackFilter::default());
    scorecard_from_facts(catalog, config, &facts, as_of)
}

/// The scorecard from facts (derived on the fly, or kept incrementally by the server). Facts of
/// records observed after `as_of` must not be passed in; assessments dated after it are ignored.
pub fn scorecard_from_facts(
    catalog: &Catalog,
    config: &CommuneConfig,
    facts: &CommuneFacts,
    as_of: NaiveDate,
) -> Scorecard {
    let applied = Applied::given_or_unread(
        catalog,
        &config.commune.id,
        config.commune.region,
        &config.editions,
        as_of,
    );
    scorecard_under(&applied, config, facts, as_of)
}

/// The scorecard under an edition already applied to the commune.
pub fn scorecard_under(
    applied: &Applied,
    config: &CommuneConfig,
    facts: &CommuneFacts,
    as_of: NaiveDate,
) -> Scorecard {
    let villages: Vec<Slug> = config
        .commune
        .villages
        .iter()
        .map(|v| v.id.clone())
        .collect();
    let scope = indicators::Scope {
        facts,
        villages: &villages,
        as_of,
        edition: &applied.catalog.key,
    };
    build(applied, config, &scope, |ind| {
        (indicators::compute(ind, &scope), false)
    })
}

/// The scorecard over `scope` (its measures and conflicts), each indicator's figure given by
/// `figure_of` with whether it needs a new assessment.
fn build(
    applied: &Applied,
    config: &CommuneConfig,
    scope: &indicators::Scope,
    figure_of: impl Fn(&crate::catalog::Indicator) -> (indicators::Figure, bool),
) -> Scorecard {
    let catalog = applied.catalog;
    let as_of = scope.as_of;
    let province_set = config
        .province_sets
        .iter()
        .filter(|s| s.edition == catalog.key && s.applies_from <= as_of)
        .max_by_key(|s| (s.version, s.applies_from));
    let criteria: Vec<CriterionScore> = catalog
        .criteria
        .iter()
        .map(|c| {
            let indicators: Vec<IndicatorScore> = c
                .indicators
                .iter()
                .map(|ind| {
                    let (figure, needs_new_assessment) = figure_of(ind);
                    let threshold = ind.resolve_in(
                        applied.column,
                        province_set
                            .and_then(|s| s.targets.get(&ind.id))
                            .or_else(|| override_for(catalog, &config.province_targets, &ind.id)),
                        override_for(catalog, &config.commune_targets, &ind.id),
                    );
                    let mut score = judge::judge(ind, threshold, figure);
                    score.responsible = config.responsible(&c.id, Some(&ind.id)).map(str::to_owned);
                    score.needs_new_assessment = needs_new_assessment;
                    score
                })
                .collect();
            let met = if indicators.iter().any(|i| i.met == Some(false)) {
                Some(false)
            } else if indicators.iter().all(|i| i.met == Some(true)) {
                Some(true)
            } else {
                None
            };
            CriterionScore {
                id: c.id.clone(),
                name_vi: c.name_vi.clone(),
                name_en: c.name_en.clone(),
                met,
                responsible: config.responsible(&c.id, None).map(str::to_owned),
                indicators,
            }
        })
        .collect();
    Scorecard {
        commune_id: config.commune.id.clone(),
        as_of,
        edition: applied.reference.clone(),
        criteria_met: criteria.iter().filter(|c| c.met == Some(true)).count(),
        criteria_total: criteria.len(),
        measures: measures::measures(config, scope),
        conflicts: scope.facts.conflicts,
        criteria,
        lineage: None,
    }
}

/// A configured override of an indicator. Overrides predate editions and name 1980's ids;
/// another edition's indicator with the same id is a different indicator.
fn override_for<'a>(
    catalog: &Catalog,
    set: &'a std::collections::BTreeMap<String, crate::catalog::TargetOverride>,
    id: &str,
) -> Option<&'a crate::catalog::TargetOverride> {
    set.get(id)
        .filter(|_| catalog.key == crate::catalog::edition::DEFAULT_KEY)
}

impl Scorecard {
    /// Whether anything is known: some indicator has a figure or a verdict. A commune with
    /// nothing recorded or assessed reads "no data yet", never "0/19".
    pub fn has_data(&self) -> bool {
        self.criteria
            .iter()
            .flat_map(|c| &c.indicators)
            .any(|i| i.value.is_some() || i.met.is_some())
    }

    pub fn indicator(&self, id: &str) -> Option<&IndicatorScore> {
        self.criteria
            .iter()
            .flat_map(|c| &c.indicators)
            .find(|i| i.id == id)
    }

    pub fn criterion(&self, id: &str) -> Option<&CriterionScore> {
        self.criteria.iter().find(|c| c.id == id)
    }

    pub fn measure(&self, id: MeasureId) -> Option<&MeasureScore> {
        self.measures.iter().find(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod edition_tests;

#[cfg(test)]
mod merged_tests;

#[cfg(test)]
mod observed_tests;
