//! Compares a figure with its threshold: the value, whether it is met, and the gap still to
//! close in the indicator's own unit ("6.6 km more to reach 50 %").

use super::indicators::{Figure, Ratio};
use super::{Basis, GapUnit, IndicatorScore, VillageScore};
use crate::catalog::{Indicator, IndicatorType, ResolvedThreshold};

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Whole households, people or children: anything short of a whole one still needs one more.
fn whole_up(x: f64) -> f64 {
    (x - 1e-9).ceil().max(0.0)
}

/// The value a ratio gives for an indicator type: a percentage, an amount, or a count.
fn value_of(t: IndicatorType, r: &Ratio) -> Option<f64> {
    let n = r.numerator?;
    match t {
        IndicatorType::None => Some(n),
        IndicatorType::ValueMin => r.denominator.filter(|d| *d > 0.0).map(|d| round2(n / d)),
        _ => r
            .denominator
            .filter(|d| *d > 0.0)
            .map(|d| round2(100.0 * n / d)),
    }
}

fn inner_value_of(r: &Ratio) -> Option<f64> {
    Some(round2(
        100.0 * r.inner_numerator? / r.denominator.filter(|d| *d > 0.0)?,
    ))
}

/// Whether values meet a threshold; the comparison uses the rounded value that is shown.
fn meets(t: IndicatorType, value: f64, inner: Option<f64>, th: &ResolvedThreshold) -> Option<bool> {
    let limit = th.value?;
    Some(match t {
        IndicatorType::PctMin | IndicatorType::ValueMin => value >= limit,
        IndicatorType::PctMax => value <= limit,
        IndicatorType::None => value <= limit,
        IndicatorType::PctMinNested => {
            value >= limit && th.inner.is_none_or(|i| inner.is_some_and(|v| v >= i))
        }
        IndicatorType::Bool => return None,
    })
}

/// What is still missing, in the figure's unit, when the indicator is not met.
fn gap(
    t: IndicatorType,
    figure: &Figure,
    value: Option<f64>,
    th: &ResolvedThreshold,
) -> Option<(f64, GapUnit)> {
    let limit = th.value?;
    let r = &figure.ratio;
    let unit = figure.gap_unit.unwrap_or(GapUnit::Count);
    let in_unit = |x: f64| match unit {
        GapUnit::Km => round3(x.max(0.0)),
        GapUnit::PercentagePoints | GapUnit::MillionVndPerPersonYear => round2(x.max(0.0)),
        _ => whole_up(x),
    };
    match (t, r.numerator, r.denominator) {
        (IndicatorType::PctMin, Some(n), Some(d)) => Some((in_unit(limit / 100.0 * d - n), unit)),
        (IndicatorType::PctMax, Some(n), Some(d)) => Some((in_unit(n - limit / 100.0 * d), unit)),
        (IndicatorType::PctMinNested, Some(n), Some(d)) => {
            let outer = limit / 100.0 * d - n;
            let inner = match (th.inner, r.inner_numerator) {
                (Some(i), Some(inner_n)) => i / 100.0 * d - inner_n,
                _ => 0.0,
            };
            Some((in_unit(outer.max(inner)), unit))
        }
        (IndicatorType::PctMin | IndicatorType::PctMinNested, _, _) => {
            Some((round2((limit - value?).max(0.0)), GapUnit::PercentagePoints))
        }
        (IndicatorType::PctMax, _, _) => {
            Some((round2((value? - limit).max(0.0)), GapUnit::PercentagePoints))
        }
        (IndicatorType::ValueMin, _, _) => Some((
            round2((limit - value?).max(0.0)),
            GapUnit::MillionVndPerPersonYear,
        )),
        (IndicatorType::None, _, _) => Some((value?, GapUnit::Count)),
        (IndicatorType::Bool, _, _) => None,
    }
}

/// A percentage figure that is no share ([`Ratio::is_no_share`]) has no value: it needs a
/// baseline.
fn needs_baseline(t: IndicatorType, r: &Ratio) -> bool {
    matches!(
        t,
        IndicatorType::PctMin | IndicatorType::PctMax | IndicatorType::PctMinNested
    ) && r.is_no_share()
}

pub(super) fn judge(
    ind: &Indicator,
    threshold: Option<ResolvedThreshold>,
    figure: Figure,
) -> IndicatorScore {
    let t = ind.indicator_type;
    let lacks_baseline =
        figure.value.is_none() && (figure.needs_baseline || needs_baseline(t, &figure.ratio));
    // A registry in which no household has been checked yet has no figure (not 0 %): its
    // coverage says what is missing.
    let unchecked = figure.basis == Basis::Field && figure.coverage.is_some_and(|c| c.checked == 0);
    let value = figure
        .value
        .or_else(|| value_of(t, &figure.ratio))
        .filter(|_| !lacks_baseline && !unchecked);
    let inner_value = inner_value_of(&figure.ratio).filter(|_| !lacks_baseline && !unchecked);
    let computed = match (&threshold, value) {
        (Some(th), Some(v)) => meets(t, v, inner_value, th),
        _ => None,
    };
    let met = computed.or(figure.verdict);
    let gap = match (met, &threshold) {
        (Some(true), _) => figure.gap_unit.map(|u| (0.0, u)),
        (Some(false), Some(th)) => gap(t, &figure, value, th),
        _ => None,
    };
    let villages = figure
        .villages
        .iter()
        .map(|(village_id, r)| {
            let lacks_baseline = needs_baseline(t, r);
            let value = value_of(t, r).filter(|_| !lacks_baseline);
            VillageScore {
                village_id: village_id.clone(),
                numerator: r.numerator.map(round3),
                denominator: r.denominator.map(round3),
                value,
                met: match (&threshold, value) {
                    (Some(th), Some(v)) => meets(t, v, inner_value_of(r), th),
                    _ => None,
                },
                needs_baseline: lacks_baseline,
            }
        })
        .collect();
    IndicatorScore {
        id: ind.id.clone(),
        name_vi: ind.name_vi.clone(),
        name_en: ind.name_en.clone(),
        indicator_type: t,
        unit: ind.unit.clone(),
        numerator: figure.ratio.numerator.map(round3),
        denominator: figure.ratio.denominator.map(round3),
        value,
        inner_value,
        threshold: threshold.as_ref().and_then(|th| th.value),
        inner_threshold: threshold.as_ref().and_then(|th| th.inner),
        threshold_source: threshold.as_ref().map(|th| th.source),
        threshold_citation: threshold.as_ref().map(|th| th.citation.clone()),
        threshold_confidence: threshold.as_ref().map(|th| th.confidence),
        met,
        gap: gap.map(|(g, _)| g),
        gap_unit: gap.map(|(_, u)| u),
        coverage: figure.coverage,
        conflicts: figure.conflicts,
        basis: figure.basis,
        assessment: figure.assessment,
        estimate: figure.estimate,
        records: figure.records,
        manual_lengths: figure.manual_lengths,
        responsible: None,
        villages,
        needs_baseline: lacks_baseline,
        needs_new_assessment: false,
    }
}
