//! A point feature's position (a trash sign) from several fixes taken standing at it.

use super::{is_valid_position, longitude_offset_deg, passes_accuracy_gate, wrap_longitude};

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
        .filter(|f| {
            is_valid_position(f.lat, f.lon) && passes_accuracy_gate(f.accuracy_m, accuracy_gate_m)
        })
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
    // Accuracies scaled by the largest, so squaring them cannot overflow whatever the gate lets
    // through; the result is scaled back.
    let scale = usable.iter().map(|f| f.accuracy_m).fold(0.0, f64::max);
    let scaled = |a: f64| if scale > 0.0 { a / scale } else { 0.0 };
    // Accuracy is proportional to σ, so the variance rule can run on accuracies directly.
    let (mut lat, mut dlon, mut accuracy_sum, mut accuracy_sq_sum) = (0.0, 0.0, 0.0, 0.0);
    for (fix, weight) in usable.iter().zip(&weights) {
        let w = weight / total;
        lat += w * fix.lat;
        // Relative to the first fix, so fixes either side of the antimeridian average there.
        dlon += w * longitude_offset_deg(fix.lon, origin_lon);
        let a = scaled(fix.accuracy_m);
        accuracy_sum += w * a;
        accuracy_sq_sum += w * w * a * a;
    }
    let accuracy_m = (COMMON_ERROR_SHARE * accuracy_sum * accuracy_sum
        + (1.0 - COMMON_ERROR_SHARE) * accuracy_sq_sum)
        .sqrt()
        * scale;
    Some(AveragedPosition {
        // A mean of latitudes within ±90° is within them; rounding alone can step past a pole.
        lat: lat.clamp(-90.0, 90.0),
        lon: wrap_longitude(origin_lon + dlon),
        accuracy_m,
        fixes_used: weights.iter().filter(|w| **w > 0.0).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_average_at_the_pole_stays_a_latitude() {
        // Found by the `track` fuzz target: the weighted mean rounded to 90.00000000000001.
        let fixes = [1.0, 3.0, 11.0].map(|accuracy_m| PositionFix {
            lat: 90.0,
            lon: 90.0,
            accuracy_m,
        });
        let avg = average_position(&fixes, 25.0).unwrap();
        assert!(avg.lat <= 90.0, "{avg:?}");
    }

    #[test]
    fn huge_accuracies_under_a_huge_gate_average_to_a_finite_accuracy() {
        // Found by the `track` fuzz target: squaring accuracies near 1e200 overflowed.
        let fixes = [
            PositionFix {
                lat: 21.0,
                lon: 105.0,
                accuracy_m: 1e200,
            },
            PositionFix {
                lat: 21.0,
                lon: 105.0,
                accuracy_m: 3e200,
            },
        ];
        let avg = average_position(&fixes, f64::MAX).unwrap();
        assert!(
            avg.accuracy_m.is_finite() && avg.accuracy_m >= 1e199,
            "{avg:?}"
        );
    }

    fn at(lat: f64, lon: f64, accuracy_m: f64) -> PositionFix {
        PositionFix {
            lat,
            lon,
            accuracy_m,
        }
    }

    #[test]
    fn fixes_are_weighted_by_inverse_variance() {
        // Accuracies 3 m and 6 m: weights 4 : 1.
        let averaged =
            average_position(&[at(21.7800, 105.33, 3.0), at(21.7805, 105.34, 6.0)], 25.0)
                .expect("two good fixes");
        assert!((averaged.lat - (4.0 * 21.7800 + 21.7805) / 5.0).abs() < 1e-12);
        assert!((averaged.lon - (4.0 * 105.33 + 105.34) / 5.0).abs() < 1e-12);
        assert_eq!(averaged.fixes_used, 2);
    }

    #[test]
    fn averaging_never_claims_more_than_correlated_gps_errors_allow() {
        let fixes = vec![at(21.78, 105.33, 5.0); 100];
        let averaged = average_position(&fixes, 25.0).expect("good fixes");
        let expected = 5.0 * (COMMON_ERROR_SHARE + (1.0 - COMMON_ERROR_SHARE) / 100.0).sqrt();
        assert!(
            (averaged.accuracy_m - expected).abs() < 1e-9,
            "{averaged:?}"
        );
        assert!(averaged.accuracy_m > 5.0 / 100f64.sqrt());
        assert!(averaged.accuracy_m >= 5.0 * COMMON_ERROR_SHARE.sqrt());
        assert!(averaged.accuracy_m < 5.0);
    }

    #[test]
    fn one_fix_is_its_own_average() {
        let fix = at(21.78, 105.33, 4.0);
        assert_eq!(
            average_position(&[fix], 25.0),
            Some(AveragedPosition {
                lat: 21.78,
                lon: 105.33,
                accuracy_m: 4.0,
                fixes_used: 1
            })
        );
    }

    #[test]
    fn fixes_worse_than_the_gate_are_dropped() {
        let averaged = average_position(&[at(21.78, 105.33, 4.0), at(21.79, 105.35, 40.0)], 25.0)
            .expect("one good fix");
        assert_eq!(
            (averaged.lat, averaged.lon, averaged.fixes_used),
            (21.78, 105.33, 1)
        );
    }

    #[test]
    fn nothing_usable_gives_no_position() {
        assert_eq!(average_position(&[], 25.0), None);
        assert_eq!(average_position(&[at(21.78, 105.33, 30.0)], 25.0), None);
        let unusable = [
            at(f64::NAN, 105.33, 3.0),
            at(21.78, f64::INFINITY, 3.0),
            at(91.0, 105.33, 3.0),
            at(21.78, 105.33, f64::NAN),
            at(21.78, 105.33, -2.0),
        ];
        assert_eq!(average_position(&unusable, 25.0), None);
        assert_eq!(average_position(&[at(21.78, 105.33, 3.0)], f64::NAN), None);
    }

    #[test]
    fn exact_fixes_outweigh_measured_ones() {
        let averaged = average_position(
            &[
                at(21.78, 105.33, 0.0),
                at(21.7801, 105.3301, 0.0),
                at(21.79, 105.34, 3.0),
            ],
            25.0,
        )
        .expect("exact fixes");
        assert!(
            (averaged.lat - 21.78005).abs() < 1e-12 && (averaged.lon - 105.33005).abs() < 1e-12
        );
        assert_eq!((averaged.accuracy_m, averaged.fixes_used), (0.0, 2));
    }

    #[test]
    fn fixes_either_side_of_the_antimeridian_average_there() {
        let averaged =
            average_position(&[at(-16.8, 179.9999, 5.0), at(-16.8, -179.9997, 5.0)], 25.0)
                .expect("good fixes");
        assert!((averaged.lon.abs() - 179.9999).abs() < 1e-9, "{averaged:?}");
    }
}
