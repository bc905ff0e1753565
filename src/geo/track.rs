//! A road's length from the GPS track an officer records walking or riding it.
//!
//! Steps, each O(n):
//! 1. Drop fixes with no usable position or an accuracy worse than the gate.
//! 2. Project the rest to a local east/north plane and smooth them there (Kalman + RTS,
//!    see `smoother`), weighting each fix by its own accuracy.
//! 3. Move each original lat/lon by its smoothed correction in metres. The plane is only a
//!    vehicle for the correction, so its distortion never reaches the length, and a fix
//!    with accuracy 0 (no noise) keeps its coordinates: a noise-free track measures exactly
//!    its geodesic polyline.
//! 4. Drop smoothed points closer to the last kept point than their uncertainty allows
//!    (standing still at a junction, or crawling), so jitter does not add length.
//! 5. Sum WGS84 geodesic distances between the kept points; a chord between points far apart
//!    (ODK Collect's geotrace records one every 1–60 s) is lengthened by the bend of the
//!    smooth curve through its neighbours (`curve`), which straight chords cut short. Points of
//!    a 1 Hz track are never that far apart, so such a track measures as its polyline.
//!
//! Lengths are horizontal map lengths, as the NTM road kilometres are: fixes carry no
//! altitude here.

use super::curve;
use super::smoother::{self, PlaneFix, SmoothedFix};
use super::{
    axis_sigma_m, geodesic_distance_m, is_valid_position, longitude_offset_deg,
    passes_accuracy_gate, WGS84,
};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One GPS fix of a road track, as on the wire: `{"lat", "lon", "accuracy_m", "t"}`.
///
/// `accuracy_m` is Android's horizontal accuracy (68 % radius, metres). The order of a track's
/// points is their capture order; `t` is only used for the time between fixes, because phone
/// clocks step backwards.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: f64,
    pub t: DateTime<FixedOffset>,
}

/// Tunables of the track filter; `Default` is what phone and server use.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackFilter {
    /// Fixes whose accuracy is worse (larger) than this are dropped, metres. 25 m keeps GPS
    /// fixes under tree cover and between houses (typically 5–20 m) and drops the network
    /// (cell / Wi-Fi) positions a phone falls back to, which are 30 m to kilometres off.
    pub accuracy_gate_m: f64,
    /// A smoothed point whose distance to the last kept point is at most this many standard
    /// deviations of that distance's uncertainty counts as standing still and is dropped.
    /// 2.45 is the 95 % radius of a 2-D Gaussian, in σ.
    pub stationary_sigmas: f64,
}

impl Default for TrackFilter {
    fn default() -> Self {
        TrackFilter {
            accuracy_gate_m: 25.0,
            stationary_sigmas: 2.45,
        }
    }
}

/// Result of measuring a track.
///
/// Every input point is counted once: `points_used + dropped_inaccurate + dropped_stationary`
/// is the number of points given.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackLength {
    /// Horizontal geodesic length on WGS84, metres; 0 with fewer than 2 usable points.
    pub length_m: f64,
    /// Points the length runs through.
    pub points_used: usize,
    /// Points without a usable position or accuracy (non-finite, out of range, worse than
    /// the gate).
    pub dropped_inaccurate: usize,
    /// Usable points dropped as standing-still jitter.
    pub dropped_stationary: usize,
}

/// Seconds assumed between fixes whose timestamps do not increase (a phone clock stepping
/// back): the 1 Hz recording interval.
const NOMINAL_DT_S: f64 = 1.0;
/// Shortest time step the smoother uses; no phone delivers fixes faster than 20 Hz.
const MIN_DT_S: f64 = 0.05;
/// Longest time step the smoother uses: after a 10-minute pause the filter has forgotten
/// the old velocity anyway, and the bound keeps its arithmetic far from overflow.
const MAX_DT_S: f64 = 600.0;

/// Measures a road track: gated, smoothed, stationary jitter suppressed, geodesic length.
///
/// Never panics. Points with non-finite or out-of-range coordinates or accuracy are counted
/// in `dropped_inaccurate`.
pub fn track_length(points: &[TrackPoint], filter: &TrackFilter) -> TrackLength {
    let usable: Vec<&TrackPoint> = points
        .iter()
        .filter(|p| {
            is_valid_position(p.lat, p.lon)
                && passes_accuracy_gate(p.accuracy_m, filter.accuracy_gate_m)
                // Only reachable with an absurd gate: a variance that overflows says nothing.
                && axis_sigma_m(p.accuracy_m).powi(2).is_finite()
        })
        .collect();
    let dropped_inaccurate = points.len() - usable.len();
    let Some(origin) = usable.first() else {
        return TrackLength {
            length_m: 0.0,
            points_used: 0,
            dropped_inaccurate,
            dropped_stationary: 0,
        };
    };

    let plane = LocalPlane::around(origin.lat, origin.lon);
    let fixes: Vec<PlaneFix> = usable
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (east_m, north_m) = plane.project(p.lat, p.lon);
            let dt_s = match i {
                0 => NOMINAL_DT_S,
                _ => seconds_between(usable[i - 1].t, p.t),
            };
            PlaneFix {
                east_m,
                north_m,
                variance_m2: axis_sigma_m(p.accuracy_m).powi(2),
                dt_s,
            }
        })
        .collect();
    let spacing_m = median_spacing_m(&fixes);
    let smoothed = match spacing_m >= SPARSE_TRACK_M {
        true => smoother::as_measured(&fixes),
        false => smoother::smooth(&fixes, spacing_m),
    };
    let kept = moving_points(&smoothed, filter.stationary_sigmas);

    let corrected: Vec<(f64, f64)> = kept
        .iter()
        .map(|&i| {
            let (p, fix, s) = (usable[i], &fixes[i], &smoothed[i]);
            offset_by_metres(p.lat, p.lon, s.east_m - fix.east_m, s.north_m - fix.north_m)
        })
        .collect();
    let shape: Vec<(f64, f64)> = kept
        .iter()
        .map(|&i| (smoothed[i].east_m, smoothed[i].north_m))
        .collect();
    let length_m = corrected
        .windows(2)
        .enumerate()
        .map(|(j, w)| {
            let chord_m = geodesic_distance_m(w[0].0, w[0].1, w[1].0, w[1].1);
            let variance_m2 = smoothed[kept[j]].variance_m2 + smoothed[kept[j + 1]].variance_m2;
            chord_m * sparse_bend_ratio(&shape, j, variance_m2).unwrap_or(1.0)
        })
        .sum();
    TrackLength {
        length_m,
        points_used: kept.len(),
        dropped_inaccurate,
        dropped_stationary: usable.len() - kept.len(),
    }
}

/// A track whose fixes carry no time (ODK Collect's `geotrace`: `lat lon alt acc` per point),
/// timed for [`track_length`]: the fixes, in their order, spread evenly from `start` to `end`
/// (the form's start and end metadata). The smoother only uses times for the gaps between
/// fixes, and its model barely changes when every gap is scaled alike, so even gaps over the
/// recording measure within 1 % of the true ones (the tests below, at Collect's intervals,
/// with dropped fixes and a form opened before and saved after the recording: within 1 % on
/// average; a single track can move by about 2 % where the smoother's fit of its bendiness
/// tips from one grid value to the next). A gap is never shorter than one second, Collect's
/// fastest interval (so an `end` not after `start`, or a form filled in by a program in an
/// instant, gives one second per gap, as the smoother assumes when a clock does not move).
pub fn spread_times(
    fixes: impl IntoIterator<Item = (f64, f64, f64)>,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
) -> Vec<TrackPoint> {
    let fixes: Vec<(f64, f64, f64)> = fixes.into_iter().collect();
    let gaps = fixes.len().saturating_sub(1).max(1) as f64;
    let step_us = match end.signed_duration_since(start).num_microseconds() {
        Some(us) if us > 0 => (us as f64 / gaps).max(NOMINAL_DT_S * 1e6),
        _ => NOMINAL_DT_S * 1e6,
    };
    fixes
        .into_iter()
        .enumerate()
        .map(|(i, (lat, lon, accuracy_m))| {
            let offset = chrono::TimeDelta::microseconds((i as f64 * step_us).round() as i64);
            TrackPoint {
                lat,
                lon,
                accuracy_m,
                t: start.checked_add_signed(offset).unwrap_or(start),
            }
        })
        .collect()
}

/// Naive point-to-point geodesic sum with no filtering: the baseline the P4 benchmark
/// compares `track_length` against. Points that are no position at all (non-finite or
/// out-of-range coordinates) are skipped, since no distance to them exists; accuracy and
/// time are ignored.
pub fn naive_length_m(points: &[TrackPoint]) -> f64 {
    let valid: Vec<&TrackPoint> = points
        .iter()
        .filter(|p| is_valid_position(p.lat, p.lon))
        .collect();
    valid
        .windows(2)
        .map(|w| geodesic_distance_m(w[0].lat, w[0].lon, w[1].lat, w[1].lon))
        .sum()
}

/// A track whose fixes are typically (the median) at least this far apart, metres, is measured
/// through its fixes as they are, not smoothed: ODK Collect's geotrace every 10 s or more on a
/// motorbike, every minute on foot. So far apart, 5 m of noise adds little length to a chord
/// (its lateral part squared over twice the chord), while a motion model cannot tell the noise
/// from the bends ridden between fixes and straightens them: on a mountain road every 20 s by
/// motorbike, smoothing lost a third of the length where the fixes as they are lose a seventh.
/// Nearer (30–50 m), smoothing still does better on straights and gentle bends (P4 benchmark).
const SPARSE_TRACK_M: f64 = 60.0;

/// Median distance between consecutive fixes on the plane, metres; 0 for fewer than two.
fn median_spacing_m(fixes: &[PlaneFix]) -> f64 {
    let mut gaps: Vec<f64> = fixes
        .windows(2)
        .map(|w| (w[1].east_m - w[0].east_m).hypot(w[1].north_m - w[0].north_m))
        .filter(|d| d.is_finite())
        .collect();
    if gaps.is_empty() {
        return 0.0;
    }
    let middle = gaps.len() / 2;
    *gaps.select_nth_unstable_by(middle, f64::total_cmp).1
}

/// Chords at least this long are sparse (no fixes on the bends between them), metres: longer
/// than any step of a 1 Hz track (a motorbike at 60 km/h covers 17 m a second), the spacing of
/// ODK Collect's geotrace every 20 s on foot or every 2 s on a motorbike.
const SPARSE_CHORD_M: f64 = 20.0;
/// ...and longer than this many standard deviations of their ends' smoothed positions: nearer,
/// the bends a curve would add are the fixes' noise.
const SPARSE_CHORD_SIGMAS: f64 = 6.0;
/// Chords longer than this are measured straight: no curve through fixes so far apart
/// follows a road (Collect every 60 s on a motorbike is about 600 m).
const LONGEST_CURVED_CHORD_M: f64 = 1_000.0;

/// How much longer than its chord the road between the kept points `j` and `j + 1` is, when
/// the chord is sparse (see the constants above): the centripetal Catmull-Rom curve through
/// the smoothed points around it (`curve`), its ends continued straight. `None` for a dense
/// chord, so that a track of fixes close together (any 1 Hz track) measures exactly as its
/// geodesic polyline.
fn sparse_bend_ratio(shape: &[(f64, f64)], j: usize, variance_m2: f64) -> Option<f64> {
    let (p1, p2) = (shape[j], shape[j + 1]);
    let chord_m = (p2.0 - p1.0).hypot(p2.1 - p1.1);
    let sparse = (SPARSE_CHORD_M..=LONGEST_CURVED_CHORD_M).contains(&chord_m)
        && chord_m.powi(2) >= SPARSE_CHORD_SIGMAS.powi(2) * variance_m2;
    if !sparse {
        return None;
    }
    let reflect = |a: (f64, f64), b: (f64, f64)| (2.0 * a.0 - b.0, 2.0 * a.1 - b.1);
    let p0 = match j {
        0 => reflect(p1, p2),
        _ => shape[j - 1],
    };
    let p3 = shape.get(j + 2).copied().unwrap_or_else(|| reflect(p2, p1));
    curve::bend_ratio(p0, p1, p2, p3)
}

/// Time between two fixes for the smoother, in seconds, positive and bounded.
fn seconds_between(earlier: DateTime<FixedOffset>, later: DateTime<FixedOffset>) -> f64 {
    match later.signed_duration_since(earlier).num_microseconds() {
        Some(us) if us > 0 => (us as f64 / 1e6).clamp(MIN_DT_S, MAX_DT_S),
        _ => NOMINAL_DT_S,
    }
}

/// Indices of the smoothed points the length runs through.
///
/// A point is kept when it is farther from the last kept point than `sigmas` standard
/// deviations of their separation (the two posterior variances added: ignoring their
/// correlation errs towards dropping, which only thins a moving track); closer than that, the
/// move is not told apart from noise (standing still, or creeping). With accuracy 0 the
/// threshold is 0 and every distinct point is kept. The first point is always kept; the last
/// one always ends the track, replacing the last kept point when within its threshold, so
/// that standing still at the end adds no jitter and moving on is not cut short.
fn moving_points(smoothed: &[SmoothedFix], sigmas: f64) -> Vec<usize> {
    let mut kept: Vec<usize> = Vec::new();
    let last_index = smoothed.len().saturating_sub(1);
    for (i, point) in smoothed.iter().enumerate() {
        let Some(&previous) = kept.last() else {
            kept.push(i);
            continue;
        };
        let anchor = &smoothed[previous];
        let gap = (point.east_m - anchor.east_m).hypot(point.north_m - anchor.north_m);
        let threshold = sigmas * (point.variance_m2 + anchor.variance_m2).sqrt();
        if gap > threshold {
            kept.push(i);
        } else if i == last_index {
            match kept.len() {
                1 => kept.push(i),
                n => kept[n - 1] = i,
            }
        }
    }
    kept
}

/// A local east/north plane in metres, tangent at a track's first usable fix. Used only to
/// smooth: over a 5 km track its scale errs by under 0.05 %, which barely changes how fixes
/// are weighed, while the length itself is measured on the ellipsoid.
struct LocalPlane {
    lat0: f64,
    lon0: f64,
    metres_per_deg_north: f64,
    metres_per_deg_east: f64,
}

impl LocalPlane {
    fn around(lat0: f64, lon0: f64) -> Self {
        let (north, east) = metres_per_degree(lat0);
        LocalPlane {
            lat0,
            lon0,
            metres_per_deg_north: north,
            metres_per_deg_east: east,
        }
    }

    fn project(&self, lat: f64, lon: f64) -> (f64, f64) {
        let dlon = longitude_offset_deg(lon, self.lon0);
        (
            dlon * self.metres_per_deg_east,
            (lat - self.lat0) * self.metres_per_deg_north,
        )
    }
}

/// Metres per degree of latitude and of longitude at `lat`, from the WGS84 radii of
/// curvature (meridional M and prime vertical N).
fn metres_per_degree(lat: f64) -> (f64, f64) {
    let a = WGS84.equatorial_radius();
    let f = WGS84.flattening();
    let e2 = f * (2.0 - f);
    let (sin, cos) = lat.to_radians().sin_cos();
    let w2 = 1.0 - e2 * sin * sin;
    let meridional = a * (1.0 - e2) / (w2 * w2.sqrt());
    let prime_vertical = a / w2.sqrt();
    // At a pole longitude is meaningless; the floor keeps the arithmetic finite there.
    (
        meridional.to_radians(),
        (prime_vertical * cos.abs().max(1e-12)).to_radians(),
    )
}

/// `lat`/`lon` moved `east_m` and `north_m` metres; latitude stays within the poles.
fn offset_by_metres(lat: f64, lon: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    let (north_per_deg, east_per_deg) = metres_per_degree(lat);
    (
        (lat + north_m / north_per_deg).clamp(-90.0, 90.0),
        lon + east_m / east_per_deg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use geographiclib_rs::{DirectGeodesic, Geodesic};
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, StandardNormal};

    const START: (f64, f64) = (21.78, 105.33);

    fn at_second(k: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2024-03-05T07:30:00+07:00").expect("valid time")
            + TimeDelta::seconds(k)
    }

    fn fix(lat: f64, lon: f64, accuracy_m: f64, second: i64) -> TrackPoint {
        TrackPoint {
            lat,
            lon,
            accuracy_m,
            t: at_second(second),
        }
    }

    /// A noise-free 1 Hz track from `start`: step k turns by `turn_deg`, then goes `metres`
    /// along a geodesic (GeographicLib's direct problem). The exact length of the polyline is
    /// the sum of the metres, known without the inverse that `track_length` uses.
    fn walked_from(start: (f64, f64), steps: &[(f64, f64)]) -> (Vec<TrackPoint>, f64) {
        let geod = Geodesic::wgs84();
        let ((mut lat, mut lon), mut azimuth) = (start, 30.0);
        let mut track = vec![fix(lat, lon, 0.0, 0)];
        for (k, (metres, turn_deg)) in steps.iter().enumerate() {
            azimuth += turn_deg;
            (lat, lon) = geod.direct(lat, lon, azimuth, *metres);
            track.push(fix(lat, lon, 0.0, k as i64 + 1));
        }
        (track, steps.iter().map(|(metres, _)| metres).sum())
    }

    fn walked(steps: &[(f64, f64)]) -> (Vec<TrackPoint>, f64) {
        walked_from(START, steps)
    }

    /// `track` with Gaussian noise of `sigma_m` per axis, each fix reporting `accuracy_m`.
    fn noisy(
        track: &[TrackPoint],
        sigma_m: f64,
        accuracy_m: f64,
        rng: &mut StdRng,
    ) -> Vec<TrackPoint> {
        let geod = Geodesic::wgs84();
        track
            .iter()
            .map(|p| {
                let east = sigma_m * Distribution::<f64>::sample(&StandardNormal, rng);
                let north = sigma_m * Distribution::<f64>::sample(&StandardNormal, rng);
                let (lat, lon) = geod.direct(
                    p.lat,
                    p.lon,
                    east.atan2(north).to_degrees(),
                    east.hypot(north),
                );
                TrackPoint {
                    lat,
                    lon,
                    accuracy_m,
                    ..*p
                }
            })
            .collect()
    }

    /// A winding road: straights, bends and hairpins of radius 15–60 m, at `speed` m/s.
    fn winding_road(speed: f64) -> Vec<(f64, f64)> {
        let mut steps = Vec::new();
        for (straight_m, radius_m, turn_deg) in [
            (200.0, 60.0, 40.0),
            (80.0, 15.0, 175.0),
            (150.0, 40.0, -90.0),
            (60.0, 20.0, -170.0),
        ] {
            steps.extend(std::iter::repeat_n(
                (speed, 0.0),
                (straight_m / speed) as usize,
            ));
            let arc_steps = ((radius_m * f64::to_radians(turn_deg).abs()) / speed).ceil();
            steps.extend(std::iter::repeat_n(
                (speed, turn_deg / arc_steps),
                arc_steps as usize,
            ));
        }
        steps
    }

    /// A random track as phones record roads: 1 Hz at `speed` m/s ± 20 %, straights and bends
    /// of up to 180° no tighter than 15 m nor than a rider takes at 2 m/s² sideways, and
    /// `sigma_m` of noise.
    fn random_road(seed: u64, fixes: usize, speed: f64, sigma_m: f64) -> Vec<TrackPoint> {
        let mut rng = StdRng::seed_from_u64(seed);
        let tightest_radius_m = f64::max(15.0, speed * speed / 2.0);
        let sharpest_deg_per_m = (1.0 / tightest_radius_m).to_degrees();
        let (mut curvature_deg_per_m, mut bend_left_deg) = (0.0, 0.0);
        let steps: Vec<(f64, f64)> = (1..fixes)
            .map(|_| {
                let metres = speed * rng.random_range(0.8..1.2);
                if bend_left_deg <= 0.0 && rng.random_bool(0.05) {
                    curvature_deg_per_m = rng.random_range(-sharpest_deg_per_m..sharpest_deg_per_m);
                    bend_left_deg = rng.random_range(10.0..180.0);
                }
                if bend_left_deg <= 0.0 {
                    return (metres, 0.0);
                }
                let turn = curvature_deg_per_m * metres;
                bend_left_deg -= turn.abs();
                (metres, turn)
            })
            .collect();
        let (track, _) = walked(&steps);
        match sigma_m {
            0.0 => track,
            _ => noisy(&track, sigma_m, sigma_m, &mut rng),
        }
    }

    #[test]
    fn noise_free_straight_road_measures_to_the_millimetre() {
        let (track, exact_m) = walked(&vec![(1.4, 0.0); 2000]);
        let measured = track_length(&track, &TrackFilter::default());
        assert!(
            (measured.length_m - exact_m).abs() < 1e-3,
            "{measured:?} vs {exact_m}"
        );
        assert_eq!(measured.points_used, 2001);
    }

    #[test]
    fn noise_free_winding_road_with_hairpins_measures_to_the_millimetre() {
        for speed in [1.3, 4.0, 9.0] {
            let (track, exact_m) = walked(&winding_road(speed));
            let measured = track_length(&track, &TrackFilter::default());
            assert!(
                (measured.length_m - exact_m).abs() < 1e-3,
                "{measured:?} vs {exact_m}"
            );
        }
    }

    #[test]
    fn noise_free_road_across_the_antimeridian_measures_to_the_millimetre() {
        let (track, exact_m) = walked_from((-16.8, 179.999), &winding_road(6.0));
        assert!(track.iter().any(|p| p.lon < 0.0) && track.iter().any(|p| p.lon > 0.0));
        let measured = track_length(&track, &TrackFilter::default());
        assert!(
            (measured.length_m - exact_m).abs() < 1e-3,
            "{measured:?} vs {exact_m}"
        );
    }

    #[test]
    fn noise_free_stop_adds_nothing_and_counts_as_stationary() {
        let mut steps = vec![(1.4, 0.0); 100];
        steps.extend([(0.0, 0.0); 60]);
        steps.extend([(1.4, 90.0)]);
        steps.extend([(1.4, 0.0); 100]);
        let (track, exact_m) = walked(&steps);
        let measured = track_length(&track, &TrackFilter::default());
        assert!(
            (measured.length_m - exact_m).abs() < 1e-3,
            "{measured:?} vs {exact_m}"
        );
        assert_eq!(measured.dropped_stationary, 60);
    }

    #[test]
    fn fixes_worse_than_the_accuracy_gate_are_dropped() {
        let (clean, exact_m) = walked(&winding_road(1.3));
        let mut with_outliers = clean.clone();
        for i in (10..with_outliers.len()).step_by(50) {
            let p = &mut with_outliers[i];
            (p.lat, p.lon, p.accuracy_m) = (p.lat + 0.0005, p.lon - 0.0004, 48.0);
        }
        let outliers = (10..clean.len()).step_by(50).count();
        let measured = track_length(&with_outliers, &TrackFilter::default());
        assert_eq!(measured.dropped_inaccurate, outliers);
        assert!(
            (measured.length_m - exact_m).abs() < 1.0,
            "{measured:?} vs {exact_m}"
        );
        assert!(naive_length_m(&with_outliers) > exact_m + 100.0);
        let wider_gate = TrackFilter {
            accuracy_gate_m: 50.0,
            ..TrackFilter::default()
        };
        assert_eq!(
            track_length(&with_outliers, &wider_gate).dropped_inaccurate,
            0
        );
    }

    #[test]
    fn standing_two_minutes_at_a_junction_adds_a_few_metres_at_most() {
        // 600 m straight across a junction, slowing down to it; once walking on, once standing
        // two minutes first, with 5 m noise. The moving fixes get the same noise both times, so
        // the difference is what the standing adds. (Over these 30 walks: 1.4 m on average,
        // 4.7 m at worst; without suppression it would be about 2 m per second standing.)
        let leg = vec![(1.4, 0.0); 212];
        let slowing = [(1.0, 0.0), (0.4, 0.0), (0.4, 0.0), (1.0, 0.0)];
        let (through, exact_m) = walked(&[&leg[..], &slowing, &leg[..]].concat());
        let junction = 214;
        let filter = TrackFilter::default();
        let mut added_m = Vec::new();
        for seed in 0..30 {
            let mut rng = StdRng::seed_from_u64(seed);
            let moving = noisy(&through, 5.0, 5.0, &mut rng);
            let standing = noisy(&vec![through[junction]; 120], 5.0, 5.0, &mut rng);
            let mut stopped: Vec<TrackPoint> =
                [&moving[..=junction], &standing[..], &moving[junction + 1..]].concat();
            for (k, p) in stopped.iter_mut().enumerate() {
                p.t = at_second(k as i64);
            }
            let with_stop = track_length(&stopped, &filter);
            let added = with_stop.length_m - track_length(&moving, &filter).length_m;
            assert!(
                added.abs() < 5.0,
                "seed {seed}: standing added {added:.2} m"
            );
            assert!(with_stop.dropped_stationary >= 100, "{with_stop:?}");
            assert!(
                (with_stop.length_m - exact_m).abs() < 0.02 * exact_m,
                "{with_stop:?}"
            );
            added_m.push(added);
        }
        let mean_added = added_m.iter().sum::<f64>() / added_m.len() as f64;
        assert!(
            mean_added.abs() < 2.0,
            "standing added {mean_added:.2} m on average"
        );
    }

    #[test]
    fn standing_still_the_whole_time_measures_almost_nothing() {
        let spot = fix(START.0, START.1, 5.0, 0);
        let mut rng = StdRng::seed_from_u64(3);
        let mut standing = noisy(&vec![spot; 300], 5.0, 5.0, &mut rng);
        for (k, p) in standing.iter_mut().enumerate() {
            p.t = at_second(k as i64);
        }
        let measured = track_length(&standing, &TrackFilter::default());
        assert!(measured.length_m < 5.0, "{measured:?}");
    }

    #[test]
    fn noisy_walk_along_a_winding_road_is_within_two_percent() {
        let (clean, exact_m) = walked(&winding_road(1.3));
        let mut rng = StdRng::seed_from_u64(11);
        let measured = track_length(&noisy(&clean, 5.0, 5.0, &mut rng), &TrackFilter::default());
        assert!(
            (measured.length_m - exact_m).abs() < 0.02 * exact_m,
            "{measured:?} vs {exact_m}"
        );
    }

    /// Signed relative errors of 20 noisy walks (5 m) along the winding road, a fix kept every
    /// `every` seconds and timed by `timed` before being measured.
    fn winding_walk_errors(
        every: usize,
        timed: impl Fn(Vec<TrackPoint>) -> Vec<TrackPoint>,
    ) -> Vec<f64> {
        let (clean, exact_m) = walked(&winding_road(1.3));
        (0..20)
            .map(|seed| {
                let mut rng = StdRng::seed_from_u64(seed);
                let recorded: Vec<TrackPoint> = noisy(&clean, 5.0, 5.0, &mut rng)
                    .into_iter()
                    .step_by(every)
                    .collect();
                let measured = track_length(&timed(recorded), &TrackFilter::default());
                (measured.length_m - exact_m) / exact_m
            })
            .collect()
    }

    #[test]
    fn a_noisy_walk_recorded_every_ten_seconds_keeps_the_bends_of_a_winding_road() {
        // ODK Collect every 10 s on foot: fixes 13 m apart around hairpins of 15-20 m radius,
        // 5 m noise. Smoothing chosen by likelihood cut the bends (5.5 % short on average here),
        // chosen by cross-validation 3.8 %, and a little less than cross-validation chooses
        // (`smoother::length_g_factor`) 0.4 %.
        let errors = winding_walk_errors(10, |recorded| recorded);
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        assert!(
            mean.abs() < 0.015,
            "mean signed error {:.2} %",
            100.0 * mean
        );
    }

    #[test]
    fn a_noisy_walk_recorded_every_five_seconds_without_times_keeps_the_bends_of_a_winding_road() {
        // ODK Collect every 5 s on foot, times spread over a form opened and saved a minute
        // around the recording: fixes 6.5 m apart, 5 m noise, hairpins of 15-20 m radius.
        // Smoothed as cross-validation fits it, the track cut the bends (2.9 % short on
        // average); smoothed a little less for the length (`smoother::length_g_factor`),
        // 1.6 % off on average.
        let errors = winding_walk_errors(5, |recorded| respread(&recorded, 60, 60));
        let mean_abs = errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64;
        assert!(mean_abs < 0.02, "mean |error| {:.2} %", 100.0 * mean_abs);
    }

    #[test]
    fn empty_track_measures_zero() {
        let measured = track_length(&[], &TrackFilter::default());
        assert_eq!(
            measured,
            TrackLength {
                length_m: 0.0,
                points_used: 0,
                dropped_inaccurate: 0,
                dropped_stationary: 0
            }
        );
        assert_eq!(naive_length_m(&[]), 0.0);
    }

    #[test]
    fn single_fix_measures_zero() {
        let measured = track_length(&[fix(START.0, START.1, 4.0, 0)], &TrackFilter::default());
        assert_eq!(measured.length_m, 0.0);
        assert_eq!(measured.points_used, 1);
    }

    #[test]
    fn unusable_fixes_count_as_inaccurate() {
        let (mut track, exact_m) = walked(&vec![(1.4, 0.0); 50]);
        let good = track[10];
        track.extend([
            TrackPoint {
                lat: f64::NAN,
                ..good
            },
            TrackPoint {
                lon: f64::INFINITY,
                ..good
            },
            TrackPoint { lat: 200.0, ..good },
            TrackPoint {
                lon: -180.5,
                ..good
            },
            TrackPoint {
                accuracy_m: f64::NAN,
                ..good
            },
            TrackPoint {
                accuracy_m: -1.0,
                ..good
            },
        ]);
        track.rotate_right(3);
        let measured = track_length(&track, &TrackFilter::default());
        assert_eq!(measured.dropped_inaccurate, 6);
        assert!(measured.length_m.is_finite());
        let only_bad = track_length(&track[..3], &TrackFilter::default());
        assert_eq!((only_bad.length_m, only_bad.points_used), (0.0, 0));
        assert!(naive_length_m(&track).is_finite() && exact_m > 0.0);
    }

    #[test]
    fn clock_stepping_backwards_changes_nothing_on_a_noise_free_track() {
        let (mut track, exact_m) = walked(&winding_road(4.0));
        for (k, p) in track.iter_mut().enumerate() {
            // Backwards, frozen, and a one-hour jump.
            p.t = at_second(match k % 7 {
                0 => -(k as i64),
                1 | 2 => 5,
                _ => k as i64 + 3600 * (k as i64 % 3),
            });
        }
        let measured = track_length(&track, &TrackFilter::default());
        assert!(
            (measured.length_m - exact_m).abs() < 1e-3,
            "{measured:?} vs {exact_m}"
        );
    }

    #[test]
    fn clock_stepping_backwards_keeps_a_noisy_track_finite() {
        let mut track = random_road(5, 300, 1.4, 5.0);
        for (k, p) in track.iter_mut().enumerate() {
            p.t = at_second(if k % 10 == 0 { 0 } else { 300 - k as i64 });
        }
        let measured = track_length(&track, &TrackFilter::default());
        assert!(
            measured.length_m.is_finite() && measured.length_m > 0.0,
            "{measured:?}"
        );
    }

    #[test]
    fn track_point_has_the_wire_shape() {
        let point: TrackPoint = serde_json::from_str(
            r#"{"lat": 21.78, "lon": 105.33, "accuracy_m": 4.5, "t": "2024-03-05T07:30:00+07:00"}"#,
        )
        .expect("wire track point");
        assert_eq!(point, fix(21.78, 105.33, 4.5, 0));
        let back = serde_json::to_value(point).expect("serialises");
        assert_eq!(back["t"], "2024-03-05T07:30:00+07:00");
    }

    /// Splitting a track at a fix, both halves keeping that fix, changes the total by at most
    /// this: 1 mm without noise (lengths add exactly); with noise of σ per axis, 8σ plus 2 %.
    /// The split makes two new track ends, which a smoother pins down only to a σ or two
    /// along the road since it sees fixes on one side only; a short half (a few fixes) is
    /// mostly noise; and each half fits its own smoothing, which moves a length by up to a
    /// couple of per cent. In 50,000 random cases the worst change was about 6σ plus 2 %.
    fn split_tolerance_m(whole_m: f64, sigma_m: f64) -> f64 {
        match sigma_m {
            0.0 => 1e-3,
            _ => 1e-3 + 0.02 * whole_m + 8.0 * sigma_m,
        }
    }

    /// A road as ODK Collect's automatic geotrace records it from a 1 Hz ride with 5 m noise:
    /// the latest fix every `interval_s` seconds, each tick dropped with probability `drop`
    /// (Collect keeps a fix only when it is within its 10 m accuracy requirement), so gaps are
    /// uneven where a fix was dropped. The points keep their true times.
    fn collect_trace(
        seed: u64,
        seconds: usize,
        speed: f64,
        interval_s: usize,
        drop: f64,
    ) -> Vec<TrackPoint> {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x0d4b);
        random_road(seed, seconds, speed, 5.0)
            .into_iter()
            .step_by(interval_s)
            .filter(|_| !rng.random_bool(drop))
            .collect()
    }

    /// The same fixes with their times spread evenly from `before_s` before the first to
    /// `after_s` after the last (the form's start and end).
    fn respread(recorded: &[TrackPoint], before_s: i64, after_s: i64) -> Vec<TrackPoint> {
        spread_times(
            recorded.iter().map(|p| (p.lat, p.lon, p.accuracy_m)),
            recorded[0].t - TimeDelta::seconds(before_s),
            recorded[recorded.len() - 1].t + TimeDelta::seconds(after_s),
        )
    }

    #[test]
    fn with_a_fix_dropped_now_and_then_spread_times_stay_within_one_percent_on_average() {
        // 2 % of Collect's ticks dropped (fixes worse than its 10 m requirement), walking and
        // riding, at each automatic interval up to the 20 s default: the mean error against
        // the true times over 60 tracks. (A dropped fix doubles one gap that even times
        // cannot know of; single tracks err up to about 2 % at 20 s, more at 30-60 s.)
        let filter = TrackFilter::default();
        for speed in [1.3, 9.0] {
            for interval_s in [1, 5, 10, 20] {
                let errors: Vec<f64> = (0..60)
                    .map(|seed| {
                        let recorded = collect_trace(seed, 1200, speed, interval_s, 0.02);
                        let true_m = track_length(&recorded, &filter).length_m;
                        let spread_m =
                            track_length(&respread(&recorded, 120, 60), &filter).length_m;
                        ((spread_m - true_m) / true_m).abs()
                    })
                    .collect();
                let mean = errors.iter().sum::<f64>() / errors.len() as f64;
                assert!(
                    mean <= 0.01,
                    "{speed} m/s every {interval_s} s: mean error {:.2} %",
                    100.0 * mean
                );
            }
        }
    }

    #[test]
    fn spread_times_run_evenly_from_the_start_to_the_end() {
        let start = at_second(0);
        let track = spread_times(
            [
                (21.78, 105.33, 5.0),
                (21.781, 105.33, 4.0),
                (21.782, 105.33, 6.0),
            ],
            start,
            at_second(100),
        );
        let times: Vec<_> = track.iter().map(|p| p.t).collect();
        assert_eq!(times, vec![at_second(0), at_second(50), at_second(100)]);
        assert_eq!((track[1].lat, track[1].accuracy_m), (21.781, 4.0));
        let backwards = spread_times([(21.78, 105.33, 5.0); 3], at_second(100), at_second(0));
        assert_eq!(backwards[2].t, at_second(102), "one second per gap");
        let instant = spread_times(
            [(21.78, 105.33, 5.0); 3],
            at_second(0),
            at_second(0) + TimeDelta::milliseconds(40),
        );
        assert_eq!(
            instant[2].t,
            at_second(2),
            "never faster than Collect's 1 s"
        );
        assert!(spread_times([], start, start).is_empty());
        assert_eq!(
            spread_times([(21.78, 105.33, 5.0)], start, at_second(9))[0].t,
            start
        );
    }

    proptest! {
        #[test]
        fn a_collect_trace_with_times_spread_over_its_recording_measures_within_one_percent_of_its_true_times(
            seed in any::<u64>(),
            minutes in 5usize..40,
            speed in prop_oneof![1.0f64..1.6, 6.0f64..11.0],
            interval_s in prop_oneof![Just(1usize), Just(5), Just(10), Just(20), Just(30), Just(60)],
        ) {
            // Every tick kept, at fixes at most 60 m apart (farther, a track no longer follows
            // a road's bends, with or without times).
            let interval_s = interval_s.min((60.0 / speed) as usize).max(1);
            let recorded = collect_trace(seed, minutes * 60, speed, interval_s, 0.0);
            prop_assume!(recorded.len() >= 20);
            let filter = TrackFilter::default();
            let true_m = track_length(&recorded, &filter).length_m;
            let spread_m = track_length(&respread(&recorded, 0, 0), &filter).length_m;
            prop_assert!(
                (spread_m - true_m).abs() <= 0.01 * true_m,
                "true times {true_m:.1} m, spread {spread_m:.1} m over {} points",
                recorded.len()
            );
        }

        #[test]
        fn splitting_a_track_in_two_changes_its_length_by_less_than_the_tolerance(
            seed in any::<u64>(),
            fixes in 30usize..400,
            speed in 1.0f64..12.0,
            sigma_m in prop_oneof![Just(0.0), 1.0f64..8.0],
            split_at in 0.0f64..1.0,
        ) {
            let track = random_road(seed, fixes, speed, sigma_m);
            let split = 2 + ((fixes - 5) as f64 * split_at) as usize;
            let filter = TrackFilter::default();
            let whole = track_length(&track, &filter).length_m;
            let halves = track_length(&track[..=split], &filter).length_m
                + track_length(&track[split..], &filter).length_m;
            prop_assert!(
                (halves - whole).abs() <= split_tolerance_m(whole, sigma_m),
                "whole {whole:.3} m, halves {halves:.3} m"
            );
        }

        #[test]
        fn track_length_is_finite_and_never_negative_on_any_input(
            raw in prop::collection::vec(
                (
                    prop_oneof![any::<f64>(), -90.0f64..90.0, 21.7f64..21.8],
                    prop_oneof![any::<f64>(), -180.0f64..180.0, 105.3f64..105.4],
                    prop_oneof![any::<f64>(), 0.0f64..30.0, Just(0.0)],
                    prop_oneof![any::<i32>().prop_map(i64::from), 0i64..5, Just(0i64)],
                ),
                0..60,
            ),
            accuracy_gate_m in prop_oneof![Just(25.0), any::<f64>()],
            stationary_sigmas in prop_oneof![Just(2.45), any::<f64>()],
        ) {
            let track: Vec<TrackPoint> = raw
                .iter()
                .map(|&(lat, lon, accuracy_m, second)| fix(lat, lon, accuracy_m, second))
                .collect();
            let measured = track_length(&track, &TrackFilter { accuracy_gate_m, stationary_sigmas });
            prop_assert!(measured.length_m.is_finite() && measured.length_m >= 0.0, "{measured:?}");
            prop_assert_eq!(
                measured.points_used + measured.dropped_inaccurate + measured.dropped_stationary,
                track.len()
            );
            prop_assert!(naive_length_m(&track).is_finite());
        }
    }
}
