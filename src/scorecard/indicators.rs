//! Each indicator's raw figure, from field records or assessments, before it meets its threshold.

use super::facts::{AssessmentFact, CheckFact, CommuneFacts, HouseholdFact};
use super::{AssessmentRef, Basis, Coverage, Estimate, GapUnit};
use crate::catalog::{FieldRule, Figure as Source, Indicator};
use crate::ids::Slug;
use crate::record::{RoadClass, Works};

/// A figure for the commune or one village: a ratio (with the nested numerator of 17.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Ratio {
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub inner_numerator: Option<f64>,
}

impl Ratio {
    /// Whether, read as a share, this is none: more than its whole, or a part of no known
    /// whole (km upgraded where no baseline gives the network's length).
    pub fn is_no_share(&self) -> bool {
        self.numerator.is_some_and(|n| {
            n > 0.0
                && self
                    .denominator
                    .is_none_or(|d| d <= 0.0 || n > d * (1.0 + 1e-9))
        })
    }
}

/// An indicator's figure and everything said about where it came from.
pub(super) struct Figure {
    pub basis: Basis,
    pub ratio: Ratio,
    /// A figure given directly (an assessment's percentage or amount).
    pub value: Option<f64>,
    /// An officer's verdict, used where no figure and threshold decide.
    pub verdict: Option<bool>,
    pub gap_unit: Option<GapUnit>,
    pub coverage: Option<Coverage>,
    pub conflicts: usize,
    pub records: usize,
    pub manual_lengths: usize,
    pub assessment: Option<AssessmentRef>,
    pub estimate: Option<Estimate>,
    pub villages: Vec<(Slug, Ratio)>,
    /// A part of the figure (a village's roads, or roads outside any village) is no share: see
    /// [`Ratio::is_no_share`].
    pub needs_baseline: bool,
}

impl Figure {
    pub(super) fn nothing() -> Self {
        Figure {
            basis: Basis::None,
            ratio: Ratio::default(),
            value: None,
            verdict: None,
            gap_unit: None,
            coverage: None,
            conflicts: 0,
            records: 0,
            manual_lengths: 0,
            assessment: None,
            estimate: None,
            villages: Vec::new(),
            needs_baseline: false,
        }
    }

    fn from_assessment(a: &AssessmentFact) -> Self {
        Figure {
            basis: Basis::Assessment,
            ratio: Ratio {
                numerator: a.numerator,
                denominator: a.denominator,
                inner_numerator: None,
            },
            value: a.value,
            verdict: a.met,
            records: 1,
            assessment: Some(reference(a)),
            ..Figure::nothing()
        }
    }
}

fn reference(a: &AssessmentFact) -> AssessmentRef {
    AssessmentRef {
        version_id: a.recency.version_id,
        as_of: a.as_of,
        source: a.source.clone(),
    }
}

/// What an indicator is computed over: the commune's facts, its villages, and the date.
pub(super) struct Scope<'a> {
    pub facts: &'a CommuneFacts,
    pub villages: &'a [Slug],
    pub as_of: chrono::NaiveDate,
    /// The edition key: only assessments naming it count.
    pub edition: &'a str,
}

impl Scope<'_> {
    fn latest_assessment(
        &self,
        indicator_id: &str,
        village: Option<&Slug>,
    ) -> Option<&AssessmentFact> {
        self.facts
            .latest_assessment(self.edition, indicator_id, village, self.as_of)
    }
}

pub(super) fn compute(ind: &Indicator, scope: &Scope) -> Figure {
    let facts = scope.facts;
    let assessed = scope.latest_assessment(&ind.id, None);
    let mut figure = match (ind.figure, ind.rule) {
        (Source::Field, Some(FieldRule::Roads(class))) => roads(&ind.id, class, scope),
        (Source::Field, Some(rule)) => match assessed {
            // Household indicators use the assessment only while no household has been checked.
            Some(a) if facts.checked_households() == 0 => Figure::from_assessment(a),
            _ => households(rule, scope),
        },
        (Source::Official, Some(rule)) => {
            let field = households(rule, scope);
            let official = match assessed {
                Some(a) => Some(Figure::from_assessment(a)),
                None => village_sum(&ind.id, scope),
            };
            match official {
                Some(official) => Figure {
                    estimate: estimate(&field),
                    conflicts: field.conflicts,
                    ..official
                },
                None => field,
            }
        }
        _ => {
            let mut f = match assessed {
                Some(a) => Figure::from_assessment(a),
                None => village_sum(&ind.id, scope).unwrap_or_else(Figure::nothing),
            };
            f.villages = village_assessments(&ind.id, scope);
            f
        }
    };
    figure.conflicts += facts.assessment_conflicts(scope.edition, &ind.id, scope.as_of);
    if figure.gap_unit.is_none() && figure.ratio.numerator.is_some() {
        figure.gap_unit = Some(match ind.rule {
            Some(rule) => unit_of(rule),
            None => GapUnit::Count,
        });
    }
    figure
}

/// The latest assessment of each village that has one, as that village's figure.
fn village_assessments(indicator_id: &str, scope: &Scope) -> Vec<(Slug, Ratio)> {
    scope
        .villages
        .iter()
        .filter_map(|v| {
            let a = scope.latest_assessment(indicator_id, Some(v))?;
            Some((v.clone(), Figure::from_assessment(a).ratio))
        })
        .collect()
}

/// A commune without its own assessment of an indicator: the sum of its villages' numerators
/// and denominators (never an average of their percentages), over the villages assessed with
/// both. `None` when no village was.
fn village_sum(indicator_id: &str, scope: &Scope) -> Option<Figure> {
    let assessed: Vec<&AssessmentFact> = scope
        .villages
        .iter()
        .filter_map(|v| scope.latest_assessment(indicator_id, Some(v)))
        .filter(|a| a.numerator.is_some() && a.denominator.is_some())
        .collect();
    if assessed.is_empty() {
        return None;
    }
    let sum = |f: fn(&AssessmentFact) -> Option<f64>| assessed.iter().filter_map(|a| f(a)).sum();
    Some(Figure {
        basis: Basis::Assessment,
        ratio: Ratio {
            numerator: Some(sum(|a| a.numerator)),
            denominator: Some(sum(|a| a.denominator)),
            inner_numerator: None,
        },
        records: assessed.len(),
        ..Figure::nothing()
    })
}

fn unit_of(rule: FieldRule) -> GapUnit {
    match rule {
        FieldRule::Roads(_) => GapUnit::Km,
        FieldRule::Sanitation | FieldRule::LivestockPens | FieldRule::Water => GapUnit::Households,
        FieldRule::HealthInsurance => GapUnit::People,
        FieldRule::Stunting => GapUnit::Children,
    }
}

fn estimate(field: &Figure) -> Option<Estimate> {
    let (numerator, denominator) = (field.ratio.numerator?, field.ratio.denominator?);
    Some(Estimate {
        numerator,
        denominator,
        value: (denominator > 0.0).then(|| super::judge::round2(100.0 * numerator / denominator)),
        coverage: field.coverage?,
    })
}

/// km hardened / km of the class's network: the latest baseline assessment plus the completed
/// segments observed after its date. An `upgrade` adds to the numerator, a `new` road to both.
/// A village's baseline is that village's figure (plus its roads after that baseline's date);
/// without a commune baseline, the commune's figure is the sum of its villages' and of the
/// roads outside any village. An upgrade with no network under it gives a share above 100 %,
/// which `judge` reports as needing a baseline.
fn roads(indicator_id: &str, class: RoadClass, scope: &Scope) -> Figure {
    let commune_baseline = scope.latest_assessment(indicator_id, None);
    let mut figure = match commune_baseline {
        // A verdict or a bare percentage cannot be added to; it stands as it is.
        Some(a) if a.numerator.is_none() => return Figure::from_assessment(a),
        Some(a) => Figure {
            basis: Basis::Field,
            ..Figure::from_assessment(a)
        },
        None => Figure {
            basis: Basis::Field,
            ..Figure::nothing()
        },
    };
    figure.gap_unit = Some(GapUnit::Km);
    let add = |ratio: &mut Ratio, km: f64, works: Works| {
        ratio.numerator = Some(ratio.numerator.unwrap_or(0.0) + km);
        if works == Works::New {
            ratio.denominator = Some(ratio.denominator.unwrap_or(0.0) + km);
        }
    };
    let bases: Vec<Option<&AssessmentFact>> = scope
        .villages
        .iter()
        .map(|v| scope.latest_assessment(indicator_id, Some(v)))
        .collect();
    let mut villages: Vec<(Slug, Ratio)> = scope
        .villages
        .iter()
        .zip(&bases)
        .map(|(v, base)| {
            let ratio = base.map_or_else(Ratio::default, |a| Figure::from_assessment(a).ratio);
            (v.clone(), ratio)
        })
        .collect();
    // Without a commune baseline: the roads in no listed village, added to the villages' sum.
    let mut outside = Ratio::default();
    let mut counted = 0;
    for road in scope
        .facts
        .roads
        .iter()
        .filter(|r| r.class == class && r.date <= scope.as_of)
    {
        let after_commune = commune_baseline.is_none_or(|a| road.date > a.as_of);
        let slot = villages
            .iter()
            .position(|(v, _)| Some(v) == road.village.as_ref());
        let after_village = match slot.and_then(|i| bases[i]) {
            Some(base) => road.date > base.as_of,
            None => after_commune,
        };
        if let Some(i) = slot.filter(|_| after_village) {
            add(&mut villages[i].1, road.km, road.works);
        }
        let for_commune = match (commune_baseline, slot) {
            (Some(_), _) => after_commune,
            (None, Some(_)) => after_village,
            (None, None) => true,
        };
        if !for_commune {
            continue;
        }
        counted += 1;
        figure.conflicts += usize::from(road.conflict);
        figure.manual_lengths += usize::from(road.manual);
        match (commune_baseline, slot) {
            (Some(_), _) => add(&mut figure.ratio, road.km, road.works),
            (None, None) => add(&mut outside, road.km, road.works),
            (None, Some(_)) => {}
        }
    }
    if commune_baseline.is_none() {
        let parts = || villages.iter().map(|(_, r)| r).chain([&outside]);
        let total = |part: fn(&Ratio) -> Option<f64>| {
            parts()
                .filter_map(part)
                .fold(None, |sum: Option<f64>, x| Some(sum.unwrap_or(0.0) + x))
        };
        figure.needs_baseline = parts().any(Ratio::is_no_share);
        figure.ratio = Ratio {
            numerator: total(|r| r.numerator),
            denominator: total(|r| r.denominator),
            inner_numerator: None,
        };
        figure.records += bases.iter().flatten().count();
    }
    figure.records += counted;
    if figure.ratio.numerator.is_none() {
        figure.basis = Basis::None;
    }
    figure.villages = villages;
    figure
}

/// Household indicators over the registry; a household never checked counts as not meeting.
fn households(rule: FieldRule, scope: &Scope) -> Figure {
    let facts = scope.facts;
    let tally = |members: &[&HouseholdFact]| -> Ratio {
        let latest = || members.iter().filter_map(|h| h.latest.as_ref());
        let count = |pred: &dyn Fn(&CheckFact) -> bool| latest().filter(|c| pred(c)).count() as f64;
        let sum =
            |field: &dyn Fn(&CheckFact) -> u32| latest().map(|c| field(c) as f64).sum::<f64>();
        match rule {
            FieldRule::Sanitation => Ratio {
                numerator: Some(count(&|c| c.sanitation)),
                denominator: Some(members.len() as f64),
                inner_numerator: None,
            },
            FieldRule::Water => Ratio {
                numerator: Some(count(&|c| c.water_hygienic)),
                denominator: Some(members.len() as f64),
                inner_numerator: Some(count(&|c| c.water_clean)),
            },
            FieldRule::LivestockPens => Ratio {
                numerator: Some(count(&|c| c.pen_hygienic == Some(true))),
                denominator: Some(count(&|c| c.pen_hygienic.is_some())),
                inner_numerator: None,
            },
            FieldRule::HealthInsurance => {
                // People of households never checked come from the registry.
                let people: f64 = members
                    .iter()
                    .map(|h| h.latest.as_ref().map_or(h.members, |c| c.members) as f64)
                    .sum();
                Ratio {
                    numerator: Some(sum(&|c| c.insured)),
                    denominator: Some(people),
                    inner_numerator: None,
                }
            }
            FieldRule::Stunting => Ratio {
                numerator: Some(sum(&|c| c.children_stunted)),
                denominator: Some(sum(&|c| c.children_measured)),
                inner_numerator: None,
            },
            FieldRule::Roads(_) => Ratio::default(),
        }
    };
    let all: Vec<&HouseholdFact> = facts.households.iter().collect();
    let checked = facts.checked_households();
    Figure {
        basis: Basis::Field,
        ratio: tally(&all),
        gap_unit: Some(unit_of(rule)),
        coverage: Some(Coverage {
            checked: checked as u64,
            registered: all.len() as u64,
        }),
        conflicts: all.iter().filter(|h| h.in_conflict()).count(),
        records: all.len() + checked,
        villages: scope
            .villages
            .iter()
            .map(|v| {
                let members: Vec<&HouseholdFact> =
                    all.iter().copied().filter(|h| &h.village == v).collect();
                // A village with no household checked has no figure ("no data", not 0 %);
                // the commune's own figure keeps its registry for sums of merged communes.
                let checked = members.iter().any(|h| h.latest.is_some());
                (
                    v.clone(),
                    if checked {
                        tally(&members)
                    } else {
                        Ratio::default()
                    },
                )
            })
            .collect(),
        ..Figure::nothing()
    }
}
