//! A point feature's position (a trash sign) from several fixes taken standing at it.

use super::{is_valid_position, passes_accuracy_gate};

/// One position fix for a point feature (a sign).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionFix {
    pub lat: f64,
    pub lon: f64,
    /// Android horizontal accuracy: 68 % radius, metres.
    pub accuracy_m: f64,
}

/// Several fixes combined into one position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AveragedPosition {
    pub lat: f64,
    pub lon: f64,
    /// 68 % radius, metres, under the correlated-error rule of `average_position`.
    pub accuracy_m: f64,
    pub fixes_used: usize,
}

/// Share of a fix's error variance common to all fixes taken at one spot within a few
/// minutes: satellite geometry, atmosphere and multipath change over minutes, so fixes a
/// second apart err alike and averaging removes only the rest.
const COMMON_ERROR_SHARE: f64 = 0.5;

/// Averages several fixes taken standing at one spot; fixes worse than `accuracy_gate_m`
/// (or with unusable coordinates or accuracy) are dropped; `None` if none pass.
///
/// The position is the inverse-variance weighted mean (fixes with accuracy 0 are exact and,
/// when present, are the only ones averaged). The accuracy is what that mean achieves when
/// every pair of fixes shares `COMMON_ERROR_SHARE` of its error variance:
/// σ² = ρ (Σ wᵢσᵢ)² + (1 − ρ) Σ wᵢ²σᵢ². So n equally good fixes of accuracy a give
/// a·√(ρ + (1 − ρ)/n): never better than a/√n, and never better than a·√ρ ≈ 0.71 a however
/// long one stands there.
pub fn average_position(fixes: &[PositionFix], accuracy_gate_m: f64) -> Option<AveragedPosition> {
    let usable: Vec<&PositionFix> = fixes
        .iter()
        .filter(|f| is_valid_position(f.lat, f.lon) && passes_accuracy_gate(f.accuracy_m, accuracy_gate_m))
        .collect();
    let best_accuracy = usable.iter().map(|f| f.accuracy_m).reduce(f64::min)?;
    // Weights relative to the best fix, so they stay in (0, 1] whatever the accuracies.
    let weights: Vec<f64> = usable
        .iter()
        .map(|f| {
            if best_accuracy > 0.0 {
                (best_accuracy / f.accuracy_m).powi(2)
            } else if f.accuracy_m == 0.0 {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let origin_lon = usable[0].lon;
    // Accuracy is proportional to σ, so the variance rule can run on accuracies directly.
    let (mut lat, mut dlon, mut accuracy_sum, mut accuracy_sq_sum) = (0.0, 0.0, 0.0, 0.0);
    for (fix, weight) in usable.iter().zip(&weights) {
        let w = weight / total;
        lat += w * fix.lat;
        // Relative to the first fix, so fixes either side of the antimeridian average there.
        dlon += w * ((fix.lon - origin_lon + 540.0).rem_euclid(360.0) - 180.0);
        accuracy_sum += w * fix.accuracy_m;
        accuracy_sq_sum += w * w * fix.accuracy_m * fix.accuracy_m;
    }
    let accuracy_m = (COMMON_ERROR_SHARE * accuracy_sum * accuracy_sum
        + (1.0 - COMMON_ERROR_SHARE) * accuracy_sq_sum)
        .sqrt();
    Some(AveragedPosition {
        lat,
        lon: (origin_lon + dlon + 540.0).rem_euclid(360.0) - 180.0,
        accuracy_m,
        fixes_used: weights.iter().filter(|w| **w > 0.0).count(),
    })
}
