//! Geodesy for field records: a road's length from its GPS track, and a sign's position from
//! several fixes. The phone and the server both call these functions, so both show the same
//! kilometres.
//!
//! Every distance is a geodesic on the WGS84 ellipsoid computed by GeographicLib
//! (`geographiclib-rs`), never haversine: a sphere is off by up to 0.5 %, a quarter of the
//! whole error budget of a road length (quality bar P4).

mod curve;
mod position;
mod smoother;
mod track;

pub use position::{average_position, AveragedPosition, PositionFix};
pub use track::{naive_length_m, spread_times, track_length, TrackFilter, TrackLength, TrackPoint};

use geographiclib_rs::{Geodesic, InverseGeodesic};
use std::sync::LazyLock;

/// The WGS84 ellipsoid, built once: constructing a `Geodesic` precomputes its series
/// coefficients, which costs more than the distances a short track needs.
static WGS84: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

/// Geodesic (WGS84) distance between two points, metres.
///
/// NaN when a coordinate is not a finite latitude in [-90, 90] or longitude; never panics.
pub fn geodesic_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    WGS84.inverse(lat1, lon1, lat2, lon2)
}

/// Whether a latitude/longitude pair is a position on Earth at all (finite, in range).
fn is_valid_position(lat: f64, lon: f64) -> bool {
    (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// `lon` − `origin_lon` in degrees, the short way round: across the antimeridian 179.9° and
/// −179.9° are 0.2° apart, not 359.8°. Exact for the valid longitudes it is given.
fn longitude_offset_deg(lon: f64, origin_lon: f64) -> f64 {
    wrap_longitude(lon - origin_lon)
}

/// A longitude within one turn of [−180, 180] brought into it.
fn wrap_longitude(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0
    } else if lon < -180.0 {
        lon + 360.0
    } else {
        lon
    }
}

/// Whether a reported accuracy can be used: finite, not negative, and within `gate_m`.
fn passes_accuracy_gate(accuracy_m: f64, gate_m: f64) -> bool {
    accuracy_m >= 0.0 && accuracy_m <= gate_m && accuracy_m.is_finite()
}

/// Per-axis standard deviation of a fix whose Android accuracy is `accuracy_m`.
///
/// Android's `Location.getAccuracy()` is the radius of the 68 % confidence circle. For a
/// circular Gaussian with per-axis σ, P(r ≤ a) = 1 − exp(−a² / 2σ²), so a = σ·√(−2 ln 0.32)
/// = 1.5096 σ. Phones are often optimistic about this figure; the track smoother fits one
/// common factor on these variances per track (see `smoother`).
fn axis_sigma_m(accuracy_m: f64) -> f64 {
    const RADIUS_68_PER_SIGMA: f64 = 1.509_592;
    accuracy_m / RADIUS_68_PER_SIGMA
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_on_the_wgs84_ellipsoid_not_a_sphere() {
        // One degree of latitude from the equator: 110,574.389 m on WGS84 (a 6,371 km sphere
        // would say 111,195 m).
        assert!((geodesic_distance_m(0.0, 105.0, 1.0, 105.0) - 110_574.389).abs() < 1e-3);
    }

    #[test]
    fn impossible_coordinates_give_nan_without_panicking() {
        for (lat1, lon1, lat2, lon2) in [
            (f64::NAN, 105.0, 21.0, 105.0),
            (21.0, f64::INFINITY, 21.0, 105.0),
            (21.0, 105.0, f64::NEG_INFINITY, f64::NAN),
        ] {
            assert!(geodesic_distance_m(lat1, lon1, lat2, lon2).is_nan());
        }
    }
}
