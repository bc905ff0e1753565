//! How much longer a road is than the chord between two fixes far apart: the centripetal
//! Catmull-Rom curve through the fixes around the chord, measured on the plane as a ratio to
//! the chord. A road bends smoothly between fixes 100–600 m apart (ODK Collect's geotrace every
//! 20–60 s on a motorbike), and straight chords cut those bends short; the centripetal form
//! (knots spaced by the square root of the distances) neither loops nor overshoots at uneven
//! spacing, as the uniform one does on a hairpin between a long and a short chord.

/// A point on the plane, metres (east, north).
pub(super) type Plane = (f64, f64);

/// Exponent of the knot spacing: 0.5 is the centripetal curve.
const ALPHA: f64 = 0.5;
/// Sub-steps along a chord: one per this many metres, within the bounds below.
const STEP_M: f64 = 2.0;
const MIN_STEPS: usize = 8;
const MAX_STEPS: usize = 256;

/// Length of the curve from `p1` to `p2` (with `p0` before and `p3` after) over the straight
/// distance from `p1` to `p2`: at least 1 (a curve is never shorter than its chord), `None`
/// where the four points do not make a curve (two of them at one place, or not finite).
pub(super) fn bend_ratio(p0: Plane, p1: Plane, p2: Plane, p3: Plane) -> Option<f64> {
    let knot = |a: Plane, b: Plane| distance(a, b).powf(ALPHA);
    let t1 = knot(p0, p1);
    let t2 = t1 + knot(p1, p2);
    let t3 = t2 + knot(p2, p3);
    let chord = distance(p1, p2);
    if !(t1 > 1e-6 && t2 - t1 > 1e-6 && t3 - t2 > 1e-6 && t3.is_finite() && chord > 0.0) {
        return None;
    }
    let at = |t: f64| -> Plane {
        let lerp = |a: Plane, b: Plane, ta: f64, tb: f64| {
            let w = (t - ta) / (tb - ta);
            (a.0 + w * (b.0 - a.0), a.1 + w * (b.1 - a.1))
        };
        let a1 = lerp(p0, p1, 0.0, t1);
        let a2 = lerp(p1, p2, t1, t2);
        let a3 = lerp(p2, p3, t2, t3);
        let b1 = lerp(a1, a2, 0.0, t2);
        let b2 = lerp(a2, a3, t1, t3);
        lerp(b1, b2, t1, t2)
    };
    let steps = ((chord / STEP_M).ceil() as usize).clamp(MIN_STEPS, MAX_STEPS);
    let mut length = 0.0;
    let mut previous = p1;
    for k in 1..=steps {
        let point = at(t1 + (t2 - t1) * k as f64 / steps as f64);
        length += distance(previous, point);
        previous = point;
    }
    let ratio = length / chord;
    ratio.is_finite().then_some(ratio.max(1.0))
}

fn distance(a: Plane, b: Plane) -> f64 {
    (b.0 - a.0).hypot(b.1 - a.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four points of a circle of `radius_m`, `step_deg` apart.
    fn on_circle(radius_m: f64, step_deg: f64) -> [Plane; 4] {
        std::array::from_fn(|k| {
            let a = (k as f64 * step_deg).to_radians();
            (radius_m * a.cos(), radius_m * a.sin())
        })
    }

    #[test]
    fn a_bend_between_fixes_far_apart_is_measured_along_the_curve_not_the_chord() {
        // A 100 m radius bend with fixes 60° (100 m) apart: the arc is 4.7 % longer than the
        // chord; the curve gets back more than two thirds of that, and never overshoots.
        let [p0, p1, p2, p3] = on_circle(100.0, 60.0);
        let arc_over_chord = (100.0 * 60f64.to_radians()) / distance(p1, p2);
        let ratio = bend_ratio(p0, p1, p2, p3).unwrap();
        assert!(
            ratio > 1.0 + (arc_over_chord - 1.0) * 2.0 / 3.0 && ratio <= arc_over_chord,
            "{ratio} vs {arc_over_chord}"
        );
    }

    #[test]
    fn a_straight_road_measures_its_chord() {
        let ratio = bend_ratio((0.0, 0.0), (150.0, 0.0), (300.0, 0.0), (500.0, 0.0)).unwrap();
        assert!((ratio - 1.0).abs() < 1e-12, "{ratio}");
    }

    #[test]
    fn points_at_one_place_or_not_finite_make_no_curve() {
        assert_eq!(
            bend_ratio((0.0, 0.0), (0.0, 0.0), (9.0, 0.0), (20.0, 0.0)),
            None
        );
        assert_eq!(
            bend_ratio((0.0, 0.0), (5.0, 0.0), (5.0, 0.0), (20.0, 0.0)),
            None
        );
        assert_eq!(
            bend_ratio((f64::NAN, 0.0), (5.0, 0.0), (9.0, 0.0), (20.0, 0.0)),
            None
        );
    }
}
