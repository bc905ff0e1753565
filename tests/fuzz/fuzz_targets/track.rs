//! A road's length from any GPS track (`ntm_field::geo::track_length`: gate, Kalman + RTS
//! smoothing, stationary filter, geodesic sum) and a sign's position from any fixes
//! (`average_position`). Points mix road-like walks, repeats of the previous point and raw
//! floats (NaN, infinities, huge, out of range); times step forwards, backwards or jump.
//!
//! Neither may panic; a length is finite and not negative and accounts for every point; a
//! noise-free road-like track measures its geodesic polyline (quality bar P4); an averaged
//! position is a position on Earth with a finite accuracy.
#![no_main]

use chrono::{DateTime, FixedOffset};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use ntm_field::geo::{
    average_position, geodesic_distance_m, naive_length_m, track_length, PositionFix, TrackFilter,
    TrackPoint,
};

/// Values that break arithmetic that was not written for them.
const EXTREMES: [f64; 16] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    90.0,
    -90.0,
    180.0,
    -180.0,
    89.999_999_999,
    179.999_999_999,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    1e-300,
];

#[derive(Arbitrary, Debug)]
enum Move {
    /// A step from the previous point, in centimetres east and north (up to ±327 m).
    Step {
        east_cm: i16,
        north_cm: i16,
    },
    /// The previous point again (standing still).
    Repeat,
    Raw {
        lat: f64,
        lon: f64,
    },
    Extreme {
        lat: u8,
        lon: u8,
    },
}

#[derive(Arbitrary, Debug)]
enum Accuracy {
    /// 0 to 25.5 m in decimetres: what a phone reports.
    Typical(u8),
    Raw(f64),
    Extreme(u8),
}

#[derive(Arbitrary, Debug)]
enum Clock {
    /// Milliseconds after the previous fix (negative: the phone's clock stepped back).
    Step(i32),
    /// Any instant chrono can hold, in any offset.
    Jump { seconds: i64, offset_s: i32 },
}

#[derive(Arbitrary, Debug)]
struct Point {
    moved: Move,
    accuracy: Accuracy,
    clock: Clock,
}

#[derive(Arbitrary, Debug)]
enum Setting {
    Default,
    Raw(f64),
    Extreme(u8),
}

#[derive(Arbitrary, Debug)]
struct Input {
    start: (i16, i16),
    gate: Setting,
    sigmas: Setting,
    points: Vec<Point>,
}

fn extreme(i: u8) -> f64 {
    EXTREMES[usize::from(i) % EXTREMES.len()]
}

fn setting(s: &Setting, default: f64) -> f64 {
    match s {
        Setting::Default => default,
        Setting::Raw(v) => *v,
        Setting::Extreme(i) => extreme(*i),
    }
}

/// Builds the track: steps are applied in degrees at about 111 km per degree, enough to make
/// road-like shapes anywhere without geodesy in the test itself.
fn track(input: &Input) -> Vec<TrackPoint> {
    let mut lat = f64::from(input.start.0) / 364.0;
    let mut lon = f64::from(input.start.1) / 182.0;
    let mut t: DateTime<FixedOffset> = DateTime::from_timestamp(1_709_598_600, 0)
        .expect("a valid instant")
        .fixed_offset();
    let mut points = Vec::with_capacity(input.points.len());
    for p in &input.points {
        match p.moved {
            Move::Step { east_cm, north_cm } => {
                lat += f64::from(north_cm) / 100.0 / 111_000.0;
                lon += f64::from(east_cm)
                    / 100.0
                    / (111_000.0 * lat.to_radians().cos().abs().max(1e-3));
            }
            Move::Repeat => {}
            Move::Raw { lat: a, lon: o } => (lat, lon) = (a, o),
            Move::Extreme { lat: a, lon: o } => (lat, lon) = (extreme(a), extreme(o)),
        }
        let accuracy_m = match p.accuracy {
            Accuracy::Typical(dm) => f64::from(dm) / 10.0,
            Accuracy::Raw(v) => v,
            Accuracy::Extreme(i) => extreme(i),
        };
        t = match p.clock {
            Clock::Step(ms) => t
                .checked_add_signed(chrono::TimeDelta::milliseconds(i64::from(ms)))
                .unwrap_or(t),
            Clock::Jump { seconds, offset_s } => {
                match (
                    DateTime::from_timestamp(seconds, 0),
                    FixedOffset::east_opt(offset_s % 86_400),
                ) {
                    (Some(at), Some(offset)) => at.with_timezone(&offset),
                    _ => t,
                }
            }
        };
        points.push(TrackPoint {
            lat,
            lon,
            accuracy_m,
            t,
        });
    }
    points
}

/// Longest step of a dense track: shorter than the chords `track_length` measures as a curve
/// through sparse fixes (`SPARSE_CHORD_M` in src/geo/track.rs, 20 m), which are longer than the
/// polyline on purpose.
const DENSE_STEP_M: f64 = 15.0;

/// Whether every point is a real position with no noise, each a 1 Hz road step from the
/// previous one, away from the poles: the case where P4 promises the geodesic polyline itself.
fn noise_free_road(points: &[TrackPoint]) -> bool {
    points
        .iter()
        .all(|p| p.accuracy_m == 0.0 && p.lat.abs() < 80.0 && p.lon.abs() <= 180.0)
        && points
            .windows(2)
            .all(|w| geodesic_distance_m(w[0].lat, w[0].lon, w[1].lat, w[1].lon) < DENSE_STEP_M)
}

fuzz_target!(|input: Input| {
    let points = track(&input);
    let filter = TrackFilter {
        accuracy_gate_m: setting(&input.gate, TrackFilter::default().accuracy_gate_m),
        stationary_sigmas: setting(&input.sigmas, TrackFilter::default().stationary_sigmas),
    };
    let measured = track_length(&points, &filter);
    assert!(
        measured.length_m.is_finite() && measured.length_m >= 0.0,
        "length {} m from {points:?} with {filter:?}",
        measured.length_m
    );
    assert_eq!(
        measured.points_used + measured.dropped_inaccurate + measured.dropped_stationary,
        points.len(),
        "every point is counted once: {measured:?}"
    );
    if measured.points_used < 2 {
        assert_eq!(measured.length_m, 0.0);
    }
    let naive = naive_length_m(&points);
    assert!(naive.is_finite() && naive >= 0.0, "naive length {naive} m");
    if filter == TrackFilter::default() && noise_free_road(&points) {
        // 1 mm (P4's bar) plus rounding that grows with the number of points.
        let tolerance = 1e-3 + 1e-9 * naive + 1e-6 * points.len() as f64;
        assert!(
            (measured.length_m - naive).abs() <= tolerance,
            "noise-free track measured {} m, its polyline is {naive} m: {points:?}",
            measured.length_m
        );
    }

    let fixes: Vec<PositionFix> = points
        .iter()
        .map(|p| PositionFix {
            lat: p.lat,
            lon: p.lon,
            accuracy_m: p.accuracy_m,
        })
        .collect();
    if let Some(averaged) = average_position(&fixes, filter.accuracy_gate_m) {
        assert!(
            (-90.0..=90.0).contains(&averaged.lat) && (-180.0..=180.0).contains(&averaged.lon),
            "averaged to {averaged:?} from {fixes:?}"
        );
        assert!(averaged.accuracy_m.is_finite() && averaged.accuracy_m >= 0.0);
        assert!((1..=fixes.len()).contains(&averaged.fixes_used));
    }
});
