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
//! 5. Sum WGS84 geodesic distances between the kept points.
//!
//! Lengths are horizontal map lengths, as the NTM road kilometres are: fixes carry no
//! altitude here.

use super::smoother::{self, PlaneFix, SmoothedFix};
use super::{axis_sigma_m, geodesic_distance_m, is_valid_position, passes_accuracy_gate, WGS84};
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
        TrackFilter { accuracy_gate_m: 25.0, stationary_sigmas: 2.45 }
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
                && axis_sigma_m(p.accuracy_m).powi(2).is_finite()
        })
        .collect();
    let dropped_inaccurate = points.len() - usable.len();
    let Some(origin) = usable.first() else {
        return TrackLength { length_m: 0.0, points_used: 0, dropped_inaccurate, dropped_stationary: 0 };
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
            PlaneFix { east_m, north_m, variance_m2: axis_sigma_m(p.accuracy_m).powi(2), dt_s }
        })
        .collect();
    let smoothed = smoother::smooth(&fixes);
    let kept = moving_points(&smoothed, filter.stationary_sigmas);

    let corrected: Vec<(f64, f64)> = kept
        .iter()
        .map(|&i| {
            let (p, fix, s) = (usable[i], &fixes[i], &smoothed[i]);
            offset_by_metres(p.lat, p.lon, s.east_m - fix.east_m, s.north_m - fix.north_m)
        })
        .collect();
    let length_m = corrected
        .windows(2)
        .map(|w| geodesic_distance_m(w[0].0, w[0].1, w[1].0, w[1].1))
        .sum();
    TrackLength {
        length_m,
        points_used: kept.len(),
        dropped_inaccurate,
        dropped_stationary: usable.len() - kept.len(),
    }
}

/// Naive point-to-point geodesic sum with no filtering: the baseline the P4 benchmark
/// compares `track_length` against. Points that are no position at all (non-finite or
/// out-of-range coordinates) are skipped, since no distance to them exists; accuracy and
/// time are ignored.
pub fn naive_length_m(points: &[TrackPoint]) -> f64 {
    let valid: Vec<&TrackPoint> =
        points.iter().filter(|p| is_valid_position(p.lat, p.lon)).collect();
    valid.windows(2).map(|w| geodesic_distance_m(w[0].lat, w[0].lon, w[1].lat, w[1].lon)).sum()
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
/// correlation errs towards dropping, which only thins a moving track). With accuracy 0
/// the threshold is 0 and every distinct point is kept. The first point is always kept; the
/// last one always ends the track, replacing the last kept point when within its threshold,
/// so that standing still at the end adds no jitter and moving on is not cut short.
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
        let moved = gap > threshold;
        if moved {
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
/// smooth: over a 5 km track its scale errs by under 0.05 %, and it moves fixes by a few
/// metres, so it contributes micrometres to a length.
struct LocalPlane {
    lat0: f64,
    lon0: f64,
    metres_per_deg_north: f64,
    metres_per_deg_east: f64,
}

impl LocalPlane {
    fn around(lat0: f64, lon0: f64) -> Self {
        let (north, east) = metres_per_degree(lat0);
        LocalPlane { lat0, lon0, metres_per_deg_north: north, metres_per_deg_east: east }
    }

    fn project(&self, lat: f64, lon: f64) -> (f64, f64) {
        // Across the antimeridian, 179.9° and −179.9° are 0.2° apart, not 359.8°.
        let dlon = (lon - self.lon0 + 540.0).rem_euclid(360.0) - 180.0;
        (dlon * self.metres_per_deg_east, (lat - self.lat0) * self.metres_per_deg_north)
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
    (meridional.to_radians(), (prime_vertical * cos.abs().max(1e-12)).to_radians())
}

/// `lat`/`lon` moved `east_m` and `north_m` metres; latitude stays within the poles.
fn offset_by_metres(lat: f64, lon: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    let (north_per_deg, east_per_deg) = metres_per_degree(lat);
    ((lat + north_m / north_per_deg).clamp(-90.0, 90.0), lon + east_m / east_per_deg)
}
