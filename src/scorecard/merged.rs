//! The scorecard of a commune that a merger or a split concerns (issue 14, item 6), from the
//! facts of every commune whose records it counts ([`crate::merger::counting`]).
//!
//! A commune made by a merger has, per indicator, the sum of its parts: each part's figure as
//! the part would compute it over the villages it brings (with its own baselines), plus the new
//! commune's own records, added numerator to numerator and denominator to denominator, never an
//! average of percentages. Once the new commune assesses an indicator itself, that assessment is
//! its baseline and the figure is computed over every village's records at once. Verdicts
//! (yes/no indicators) and figures that are no ratio (a bare percentage or amount) are not
//! carried over from the parts: the indicator needs a new assessment.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::indicators::{self, Figure, Ratio, Scope};
use super::{build, scorecard_under, Basis, Coverage, Estimate, Lineage, Scorecard};
use crate::catalog::edition::Applied;
use crate::catalog::{Indicator, IndicatorType};
use crate::config::CommuneConfig;
use crate::ids::Slug;
use crate::merger::{Counting, Villages};

use super::facts::CommuneFacts;

/// The scorecard of `config`'s commune as `counting` says, from `facts` of each commune it names
/// (a commune missing from `facts` has no records). `as_of` is `counting.figures_as_of` of the
/// date asked, and `applied` the edition chosen for it.
pub fn scorecard_counted(
    applied: &Applied,
    config: &CommuneConfig,
    counting: &Counting,
    facts: &BTreeMap<Slug, CommuneFacts>,
    as_of: NaiveDate,
) -> Scorecard {
    let empty = CommuneFacts::default();
    let of = |id: &Slug| facts.get(id).unwrap_or(&empty);
    let own = of(&config.commune.id);
    match counting {
        Counting::Own { gave_away } if gave_away.is_empty() => {
            scorecard_under(applied, config, own, as_of)
        }
        Counting::Own { gave_away } => {
            let moved: Vec<Slug> = gave_away
                .iter()
                .flat_map(|g| g.villages.iter().cloned())
                .collect();
            let mut remaining = config.clone();
            remaining
                .commune
                .villages
                .retain(|v| !moved.contains(&v.id));
            remaining.quotas.retain(|q| !moved.contains(&q.village_id));
            let kept = own.restricted(&Villages::Except(moved));
            let mut card = scorecard_under(applied, &remaining, &kept, as_of);
            card.lineage = Some(Lineage::GaveAway {
                gave_away: gave_away.clone(),
            });
            card
        }
        Counting::MergedInto { merger } => {
            let mut card = scorecard_under(applied, config, own, as_of);
            card.lineage = Some(Lineage::MergedInto {
                commune: merger.commune.clone(),
                date: merger.date,
                legal_basis: merger.legal_basis.clone(),
            });
            card
        }
        Counting::Merged {
            merger,
            parts,
            before_merger,
        } => {
            let brought: Vec<Slug> = parts.iter().flat_map(|p| p.brings.clone()).collect();
            // Each part: the old commune's records it brings, and the new commune's own
            // records in those villages; then the new commune's records elsewhere.
            let mut sources: Vec<(CommuneFacts, Vec<Slug>)> = parts
                .iter()
                .map(|p| {
                    let mut f = of(&p.commune).restricted(&p.villages);
                    f.absorb(own.restricted(&Villages::Only(p.brings.clone())));
                    (f, p.brings.clone())
                })
                .collect();
            let elsewhere: Vec<Slug> = config
                .commune
                .villages
                .iter()
                .map(|v| v.id.clone())
                .filter(|v| !brought.contains(v))
                .collect();
            sources.push((own.restricted(&Villages::Except(brought)), elsewhere));
            // Every record at once, without the old communes' assessments of themselves as a
            // whole: the figure once the new commune has its own baseline, and the measures.
            let mut pooled = own.clone();
            for p in parts {
                let mut f = of(&p.commune).restricted(&p.villages);
                f.assessments.retain(|a| a.village.is_some());
                pooled.absorb(f);
            }
            let villages: Vec<Slug> = config
                .commune
                .villages
                .iter()
                .map(|v| v.id.clone())
                .collect();
            let edition = applied.catalog.key.as_str();
            let scope = Scope {
                facts: &pooled,
                villages: &villages,
                as_of,
                edition,
            };
            let mut card = build(applied, config, &scope, |ind| {
                if own
                    .latest_assessment(edition, &ind.id, None, as_of)
                    .is_some()
                {
                    return (indicators::compute(ind, &scope), false);
                }
                if ind.indicator_type == IndicatorType::Bool {
                    return (Figure::nothing(), true);
                }
                let figures: Vec<Figure> = sources
                    .iter()
                    .map(|(facts, villages)| {
                        indicators::compute(
                            ind,
                            &Scope {
                                facts,
                                villages,
                                as_of,
                                edition,
                            },
                        )
                    })
                    .collect();
                sum_of_parts(ind, figures)
            });
            card.lineage = Some(Lineage::MergedFrom {
                date: merger.date,
                legal_basis: merger.legal_basis.clone(),
                parts: parts.iter().map(|p| p.commune.clone()).collect(),
                sum_of_parts: *before_merger,
            });
            card
        }
    }
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

/// The parts' figures added numerator to numerator and denominator to denominator, and whether
/// the indicator needs a new assessment because some part's figure is no ratio.
fn sum_of_parts(ind: &Indicator, figures: Vec<Figure>) -> (Figure, bool) {
    let carried: Vec<Figure> = figures
        .into_iter()
        .filter(|f| f.basis != Basis::None || f.ratio.numerator.is_some())
        .collect();
    if carried.is_empty() {
        return (Figure::nothing(), false);
    }
    if carried.iter().any(|f| f.ratio.numerator.is_none()) {
        return (Figure::nothing(), true);
    }
    let share = matches!(
        ind.indicator_type,
        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested
    );
    let mut sum = Figure::nothing();
    sum.basis = if carried.iter().any(|f| f.basis == Basis::Field) {
        Basis::Field
    } else {
        Basis::Assessment
    };
    // A nested share is summed only when every part has it: a part without it would count as
    // none of its households having clean water.
    let nested = carried.iter().all(|f| f.ratio.inner_numerator.is_some());
    let mut estimates: Option<Estimate> = None;
    for f in carried {
        sum.ratio = Ratio {
            numerator: add(sum.ratio.numerator, f.ratio.numerator),
            denominator: add(sum.ratio.denominator, f.ratio.denominator),
            inner_numerator: if nested {
                add(sum.ratio.inner_numerator, f.ratio.inner_numerator)
            } else {
                None
            },
        };
        sum.needs_baseline |= f.needs_baseline || (share && f.ratio.is_no_share());
        sum.gap_unit = sum.gap_unit.or(f.gap_unit);
        sum.coverage = match (sum.coverage, f.coverage) {
            (Some(a), Some(b)) => Some(Coverage {
                checked: a.checked + b.checked,
                registered: a.registered + b.registered,
            }),
            (a, b) => a.or(b),
        };
        sum.conflicts += f.conflicts;
        sum.records += f.records;
        sum.manual_lengths += f.manual_lengths;
        sum.villages.extend(f.villages);
        if let Some(e) = f.estimate {
            estimates = Some(match estimates {
                None => e,
                Some(s) => Estimate {
                    numerator: s.numerator + e.numerator,
                    denominator: s.denominator + e.denominator,
                    value: None,
                    coverage: Coverage {
                        checked: s.coverage.checked + e.coverage.checked,
                        registered: s.coverage.registered + e.coverage.registered,
                    },
                },
            });
        }
    }
    sum.estimate = estimates.map(|e| Estimate {
        value: (e.denominator > 0.0)
            .then(|| super::judge::round2(100.0 * e.numerator / e.denominator)),
        ..e
    });
    (sum, false)
}
