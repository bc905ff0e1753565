//! Constant-velocity Kalman filter and Rauch–Tung–Striebel smoother on a local plane.
//!
//! Why this model: a walker or rider changes velocity smoothly, while GPS noise jumps from fix
//! to fix; a constant-velocity state driven by white acceleration noise tells the two apart by
//! how fast they change. The backward (RTS) pass lets every fix use the fixes after it as well
//! as before it, so the smoothed path does not lag behind curves as a forward filter would.
//!
//! East and north see the same measurement variance (a fix's accuracy is a circle) and the
//! same process noise, so they share one covariance sequence: two 2-state filters whose
//! covariance is computed once.
//!
//! How hard to smooth is the acceleration noise density `q`, and it must follow the speed: a
//! walker rounding a hairpin accelerates about 0.1 m/s², a motorbike 2 m/s², and someone
//! standing at a junction not at all. If the road's curvature is modelled as white noise
//! along its length with density `g`, the sideways acceleration v²κ of anyone following it is
//! white in time with density `q = g v³`. So each fix gets `q = g · max(v, 0.2 m/s)³`, with the
//! speed `v` from a pilot pass that assumes one speed everywhere. Without this a stop of two
//! minutes, which fits a tiny `q`, drags the whole track's `q` down and the smoother cuts the
//! corners of the moving part.
//!
//! Two numbers are fitted to each track, in O(n):
//! - `g`, from a grid: one pass per grid value, keeping the most likely, or on a walk
//!   recorded every 5–20 s (ODK Collect) the least generalised cross-validation score, since
//!   there the likelihood smooths the bends away; a recording every 5 s or more is then
//!   measured with a larger `g` than either fit (less smoothing), because both fit positions
//!   and a length suffers more from cut bends than from noise (`length_g_factor`);
//! - the true size of the noise. Phones' accuracy figures are often optimistic, so only their
//!   ratios are trusted and every fix's variance is multiplied by one common factor (at least
//!   1). Scaling `q` by the same factor leaves the gains unchanged, so for each grid value the
//!   factor has a closed form (the mean squared normalised innovation) and costs nothing.

/// One fix on the local east/north plane, ready for smoothing.
pub(super) struct PlaneFix {
    pub east_m: f64,
    pub north_m: f64,
    /// Per-axis measurement variance as the phone reports it, m².
    pub variance_m2: f64,
    /// Seconds since the previous fix, already made positive and bounded by the caller;
    /// ignored for the first fix.
    pub dt_s: f64,
}

/// A smoothed position with its posterior per-axis variance (noise scale applied).
pub(super) struct SmoothedFix {
    pub east_m: f64,
    pub north_m: f64,
    pub variance_m2: f64,
    speed_m_s: f64,
    /// Posterior variance of the speed along each axis, (m/s)².
    speed_variance: f64,
}

/// Candidate curvature noise densities `g`, 1/m, half a decade apart; the fitted values run
/// from 0.001 (a long straight) to 0.1 (a lane of right-angle corners).
const CURVATURE_NOISE_GRID: [f64; 9] = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0];

/// Speed the pilot pass assumes everywhere, m/s: between walking and riding, so that the grid
/// spans both.
const PILOT_SPEED_M_S: f64 = 3.0;

/// Speeds below this count as this when setting `q`, m/s: nobody measures a road slower, and
/// `q` must stay positive.
const MIN_SPEED_M_S: f64 = 0.2;

/// Prior variance of the speed along each axis at the first fix, (m/s)²: anything up to a
/// fast motorbike, so the first fixes decide it.
const INITIAL_SPEED_VARIANCE: f64 = 15.0 * 15.0;

/// `fixes` as they were measured, for a track whose fixes are too far apart for a motion
/// model to tell their noise from the road's bends (see `track::SPARSE_TRACK_M`): the
/// constant-velocity model would pull each fix towards the line through its neighbours and cut
/// every bend between them.
pub(super) fn as_measured(fixes: &[PlaneFix]) -> Vec<SmoothedFix> {
    fixes
        .iter()
        .map(|f| SmoothedFix {
            east_m: f.east_m,
            north_m: f.north_m,
            variance_m2: f.variance_m2,
            speed_m_s: 0.0,
            speed_variance: 0.0,
        })
        .collect()
}

/// A recording whose fixes are this many seconds apart or more (the median gap), yet nearer
/// than `CROSS_VALIDATED_TRACK_M` (the median distance), has its `g` chosen by cross-validation
/// rather than likelihood (see `cross_validation_score`): ODK Collect's geotrace every 5–20 s on
/// foot. A 1 Hz recording keeps the likelihood, which measures it better (cross-validation
/// smooths a 1 Hz ride too little), and so does a motorbike every 5–10 s (fixes 40–100 m
/// apart), where cross-validation let some fits run wild (P4 benchmark, two seed sets).
const SPARSE_RECORDING_S: f64 = 2.0;
const CROSS_VALIDATED_TRACK_M: f64 = 30.0;

/// Smooths `fixes` (at least one, typically `median_spacing_m` apart) under the curvature noise
/// fitted to them and the most likely noise scale.
pub(super) fn smooth(fixes: &[PlaneFix], median_spacing_m: f64) -> Vec<SmoothedFix> {
    let choice = choose(fixes, median_spacing_m);
    let pilot = backward(
        fixes,
        &fit(fixes, &vec![PILOT_SPEED_M_S.powi(3); fixes.len()], &choice),
    );
    let speed_cubed: Vec<f64> = pilot
        .iter()
        .map(|p| {
            // E|v̂|² = |v|² + 2σᵥ², so this estimates |v|² without the pilot's own noise: a
            // stop reads as standing still, not as the noise's speed.
            let speed_sq = p.speed_m_s.powi(2) - 2.0 * p.speed_variance;
            speed_sq.max(0.0).sqrt().max(MIN_SPEED_M_S).powi(3)
        })
        .collect();
    backward(fixes, &fit(fixes, &speed_cubed, &choice))
}

/// How a track's `g` is chosen: the best of the grid by cross-validation or by likelihood,
/// then multiplied by `g_factor`.
struct Choice {
    by_cross_validation: bool,
    g_factor: f64,
}

/// How `g` is chosen for `fixes`, typically `median_spacing_m` apart.
fn choose(fixes: &[PlaneFix], median_spacing_m: f64) -> Choice {
    let gap_s = median_gap_s(fixes);
    let by_cross_validation =
        gap_s >= SPARSE_RECORDING_S && median_spacing_m < CROSS_VALIDATED_TRACK_M;
    Choice {
        by_cross_validation,
        g_factor: match gap_s >= LENGTH_TUNED_GAP_S {
            true => length_g_factor(fixes, median_spacing_m, by_cross_validation),
            false => 1.0,
        },
    }
}

/// A recording whose fixes are this many seconds apart or more (the median gap) is measured
/// with less smoothing than its fit (`length_g_factor`): ODK Collect's geotrace every 5 s or
/// more. Not at 1 s, even with its times spread over a form opened and saved a minute around
/// the recording (up to 2 s a gap).
const LENGTH_TUNED_GAP_S: f64 = 3.0;
/// After a cross-validated fit, `g` is multiplied by this times the squared median spacing of
/// the fixes over their median variance (as the phone reports it)...
const CROSS_VALIDATED_G_PER_SPACING_SQ: f64 = 0.4;
/// ...and after a fit by likelihood (fixes 30–60 m apart) by this, which also bounds the
/// first factor.
const LIKELIHOOD_G_FACTOR: f64 = 100.0;

/// The factor on the fitted `g` of a sparse recording (see `LENGTH_TUNED_GAP_S`).
///
/// Both fits aim at the positions, and for a length their two errors are lopsided: smoothing
/// too hard cuts every bend, a shortfall that adds up along the track, while smoothing too
/// little leaves noise that lengthens a chord of length d by only about σ²/d. The farther
/// apart the fixes are for their noise, the more a fit cuts, so after cross-validation the
/// factor grows with the squared ratio of the two: on the P4 benchmark's village lane every
/// 5 s, noisy fixes 10–13 m apart on foot for a claimed σ of 3.3 m (a factor of 2–5), 12–19 m
/// by motorbike, stops included (4–10). After the likelihood, which takes the bends for noise,
/// the factor is 100 (P4 benchmark, two seed sets; a flat factor of 3 after cross-validation
/// measured walks every 10–20 s and motorbikes every 5 s 0.5–2.2 points worse, walks every
/// 5 s 0.2 points better on one seed set and 0.2 worse on the other).
fn length_g_factor(fixes: &[PlaneFix], median_spacing_m: f64, by_cross_validation: bool) -> f64 {
    if !by_cross_validation {
        return LIKELIHOOD_G_FACTOR;
    }
    let variance_m2 = median(fixes.iter().map(|f| f.variance_m2).collect());
    let factor = CROSS_VALIDATED_G_PER_SPACING_SQ * median_spacing_m.powi(2) / variance_m2;
    match factor.is_nan() {
        // 0/0: noise-free fixes all at one place, nothing to measure less smoothly.
        true => 1.0,
        // Noise-free fixes apart (x/0) take the bound.
        false => factor.clamp(1.0, LIKELIHOOD_G_FACTOR),
    }
}

/// Median time between consecutive fixes, seconds; 0 for fewer than two.
fn median_gap_s(fixes: &[PlaneFix]) -> f64 {
    median(fixes.iter().skip(1).map(|f| f.dt_s).collect())
}

/// The median of `values` (the upper one of an even count); 0 for none.
fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let middle = values.len() / 2;
    *values.select_nth_unstable_by(middle, f64::total_cmp).1
}

/// The forward run with `q = g · speed_cubed[k]` for the best `g` of the grid (the least
/// cross-validation score, or the greatest likelihood) times `choice.g_factor`.
fn fit(fixes: &[PlaneFix], speed_cubed: &[f64], choice: &Choice) -> ForwardRun {
    let run_with = |g: f64| forward(fixes, |k| g * speed_cubed[k]);
    // Lower is better.
    let score = |run: &ForwardRun| match choice.by_cross_validation {
        true => cross_validation_score(fixes, run),
        false => -run.log_likelihood,
    };
    let mut best_g = CURVATURE_NOISE_GRID[0];
    let mut best = run_with(best_g);
    let mut best_score = score(&best);
    for &g in &CURVATURE_NOISE_GRID[1..] {
        let run = run_with(g);
        let run_score = score(&run);
        if run_score < best_score {
            (best, best_score, best_g) = (run, run_score, g);
        }
    }
    match choice.g_factor == 1.0 {
        true => best,
        false => run_with(best_g * choice.g_factor),
    }
}

/// Generalised cross-validation score of a run: the weighted mean squared residual of the
/// smoothed track over (1 − mean leverage)², which estimates how far the track would be from
/// fixes it had not seen. Why not the likelihood alone: with fixes 6–26 m apart (a walk with a
/// fix every 5–20 s) the constant-velocity model fits best by calling the bends noise, and the
/// smoothed track cuts them; a smoothing that leaves out its own fixes pays for that. A fix's
/// leverage is its smoothed variance over its measurement variance (both in the run's scale).
fn cross_validation_score(fixes: &[PlaneFix], run: &ForwardRun) -> f64 {
    let smoothed = backward(fixes, run);
    let (mut residual_sum, mut leverage_sum) = (0.0, 0.0);
    for (fix, s) in fixes.iter().zip(&smoothed) {
        let (de, dn) = (fix.east_m - s.east_m, fix.north_m - s.north_m);
        residual_sum += (de * de + dn * dn) / (2.0 * fix.variance_m2);
        leverage_sum += s.variance_m2 / (run.noise_scale * fix.variance_m2);
    }
    let n = fixes.len() as f64;
    let free = 1.0 - leverage_sum / n;
    match free > 0.0 {
        true => residual_sum / n / (free * free),
        false => f64::INFINITY,
    }
}

/// Position and speed along one axis.
#[derive(Clone, Copy)]
struct AxisState {
    pos: f64,
    vel: f64,
}

impl AxisState {
    fn predict(self, dt: f64) -> AxisState {
        AxisState {
            pos: self.pos + dt * self.vel,
            vel: self.vel,
        }
    }
}

/// Symmetric 2×2 covariance of (position, speed) along one axis.
#[derive(Clone, Copy)]
struct Cov {
    pp: f64,
    pv: f64,
    vv: f64,
}

impl Cov {
    /// F P Fᵀ + Q for a constant-velocity model driven by white acceleration of density `q`.
    fn predict(self, dt: f64, q: f64) -> Cov {
        Cov {
            pp: self.pp + 2.0 * dt * self.pv + dt * dt * self.vv + q * dt * dt * dt / 3.0,
            pv: self.pv + dt * self.vv + q * dt * dt / 2.0,
            vv: self.vv + q * dt,
        }
    }
}

/// The forward filter's belief after one fix.
struct FilterStep {
    east: AxisState,
    north: AxisState,
    /// Covariance after using this fix.
    cov: Cov,
    /// Covariance predicted for this fix before using it (the first fix's is its own `cov`).
    predicted: Cov,
}

struct ForwardRun {
    steps: Vec<FilterStep>,
    /// Factor by which the phone's variances (and `q`) must be multiplied to fit the track.
    noise_scale: f64,
    /// Log-likelihood of the fixes with `noise_scale` at its best value, up to a constant.
    log_likelihood: f64,
}

/// Kalman filter over `fixes` with acceleration noise density `q_at(k)` before fix `k`.
fn forward(fixes: &[PlaneFix], q_at: impl Fn(usize) -> f64) -> ForwardRun {
    let mut steps: Vec<FilterStep> = Vec::with_capacity(fixes.len());
    let (mut normalised_sq_sum, mut log_det_sum) = (0.0, 0.0);
    for (k, fix) in fixes.iter().enumerate() {
        let step = match steps.last() {
            // The first fix is the whole prior on position: starting there with its own
            // variance equals updating a flat prior with it.
            None => {
                let cov = Cov {
                    pp: fix.variance_m2,
                    pv: 0.0,
                    vv: INITIAL_SPEED_VARIANCE,
                };
                FilterStep {
                    east: AxisState {
                        pos: fix.east_m,
                        vel: 0.0,
                    },
                    north: AxisState {
                        pos: fix.north_m,
                        vel: 0.0,
                    },
                    cov,
                    predicted: cov,
                }
            }
            Some(prev) => {
                let predicted = prev.cov.predict(fix.dt_s, q_at(k));
                let east = prev.east.predict(fix.dt_s);
                let north = prev.north.predict(fix.dt_s);
                // Positive: the prediction always carries process noise (q > 0, dt > 0).
                let innovation_var = predicted.pp + fix.variance_m2;
                let gain_pos = predicted.pp / innovation_var;
                let gain_vel = predicted.pv / innovation_var;
                let (de, dn) = (fix.east_m - east.pos, fix.north_m - north.pos);
                normalised_sq_sum += (de * de + dn * dn) / innovation_var;
                log_det_sum += innovation_var.ln();
                FilterStep {
                    east: AxisState {
                        pos: east.pos + gain_pos * de,
                        vel: east.vel + gain_vel * de,
                    },
                    north: AxisState {
                        pos: north.pos + gain_pos * dn,
                        vel: north.vel + gain_vel * dn,
                    },
                    cov: Cov {
                        pp: predicted.pp * (1.0 - gain_pos),
                        pv: predicted.pv * (1.0 - gain_pos),
                        vv: (predicted.vv - gain_vel * predicted.pv).max(0.0),
                    },
                    predicted,
                }
            }
        };
        steps.push(step);
    }
    // Each innovation is two scalar observations with variance scale·S, so the likelihood is
    // −(m ln scale + Σ ln S + N / 2 scale) up to constants, N being the sum of normalised
    // squared innovations; it peaks at scale = N / 2m. The scale is floored at 1: fixes may be
    // worse than the phone says but are not taken to be better, because a fit below 1 mostly
    // means the error is correlated in time (the model takes slow error for motion).
    let innovations = steps.len().saturating_sub(1) as f64;
    let noise_scale = match innovations > 0.0 {
        true => (normalised_sq_sum / (2.0 * innovations)).max(1.0),
        false => 1.0,
    };
    let log_likelihood =
        -(innovations * noise_scale.ln() + log_det_sum + normalised_sq_sum / (2.0 * noise_scale));
    ForwardRun {
        steps,
        noise_scale,
        log_likelihood,
    }
}

/// Rauch–Tung–Striebel pass: x̂ₖ = xₖ + Cₖ (x̂ₖ₊₁ − F xₖ), Cₖ = Pₖ Fᵀ (Pₖ₊₁⁻)⁻¹,
/// P̂ₖ = Pₖ + Cₖ (P̂ₖ₊₁ − Pₖ₊₁⁻) Cₖᵀ.
fn backward(fixes: &[PlaneFix], run: &ForwardRun) -> Vec<SmoothedFix> {
    let steps = &run.steps;
    let smoothed_fix = |east: AxisState, north: AxisState, cov: Cov| SmoothedFix {
        east_m: east.pos,
        north_m: north.pos,
        variance_m2: cov.pp * run.noise_scale,
        speed_m_s: east.vel.hypot(north.vel),
        speed_variance: cov.vv * run.noise_scale,
    };
    let mut smoothed = Vec::with_capacity(steps.len());
    let Some(last) = steps.last() else {
        return smoothed;
    };
    let (mut east, mut north, mut cov) = (last.east, last.north, last.cov);
    smoothed.push(smoothed_fix(east, north, cov));
    for (k, step) in steps.iter().enumerate().rev().skip(1) {
        let dt = fixes[k + 1].dt_s;
        let next_predicted = steps[k + 1].predicted;
        let det = next_predicted.pp * next_predicted.vv - next_predicted.pv * next_predicted.pv;
        // The predicted covariance contains Q, whose determinant q²dt⁴/12 is positive; only
        // rounding with absurd inputs could break that, and then the filtered estimate stands.
        let gain = if det > 0.0 && det.is_finite() {
            // Pₖ Fᵀ times the inverse of the predicted covariance.
            let (a, b) = (step.cov.pp + dt * step.cov.pv, step.cov.pv);
            let (c, d) = (step.cov.pv + dt * step.cov.vv, step.cov.vv);
            let (ip, iv, iw) = (
                next_predicted.vv / det,
                -next_predicted.pv / det,
                next_predicted.pp / det,
            );
            [
                [a * ip + b * iv, a * iv + b * iw],
                [c * ip + d * iv, c * iv + d * iw],
            ]
        } else {
            [[0.0; 2]; 2]
        };
        let correct = |filtered: AxisState, later: AxisState| {
            let predicted = filtered.predict(dt);
            let (dp, dv) = (later.pos - predicted.pos, later.vel - predicted.vel);
            AxisState {
                pos: filtered.pos + gain[0][0] * dp + gain[0][1] * dv,
                vel: filtered.vel + gain[1][0] * dp + gain[1][1] * dv,
            }
        };
        east = correct(step.east, east);
        north = correct(step.north, north);
        let (dpp, dpv, dvv) = (
            cov.pp - next_predicted.pp,
            cov.pv - next_predicted.pv,
            cov.vv - next_predicted.vv,
        );
        let row = |r: [f64; 2]| (r[0] * dpp + r[1] * dpv, r[0] * dpv + r[1] * dvv);
        let (x0, y0) = row(gain[0]);
        let (x1, y1) = row(gain[1]);
        cov = Cov {
            pp: (step.cov.pp + x0 * gain[0][0] + y0 * gain[0][1]).max(0.0),
            pv: step.cov.pv + x0 * gain[1][0] + y0 * gain[1][1],
            vv: (step.cov.vv + x1 * gain[1][0] + y1 * gain[1][1]).max(0.0),
        };
        smoothed.push(smoothed_fix(east, north, cov));
    }
    smoothed.reverse();
    smoothed
}

#[cfg(test)]
mod tests {
    use super::super::axis_sigma_m;
    use super::*;

    /// `n` fixes `spacing_m` apart along a straight line, `dt_s` apart in time, each with the
    /// per-axis variance of a phone reporting 5 m (or 0 m with `exact`).
    fn line(n: usize, spacing_m: f64, dt_s: f64, exact: bool) -> Vec<PlaneFix> {
        let variance_m2 = if exact {
            0.0
        } else {
            axis_sigma_m(5.0).powi(2)
        };
        (0..n)
            .map(|k| PlaneFix {
                east_m: k as f64 * spacing_m,
                north_m: 0.0,
                variance_m2,
                dt_s,
            })
            .collect()
    }

    #[test]
    fn a_one_hz_recording_keeps_the_smoothing_it_fits() {
        // On foot and riding, with true times and with Collect's 1 s spread over a form opened
        // and saved a minute around the recording (about 2 s a gap on a short track).
        for (spacing_m, dt_s) in [(1.3, 1.0), (9.0, 1.0), (9.0, 2.0)] {
            let choice = choose(&line(100, spacing_m, dt_s, false), spacing_m);
            assert_eq!(choice.g_factor, 1.0, "{spacing_m} m every {dt_s} s");
        }
    }

    #[test]
    fn a_sparse_recording_is_smoothed_less_the_farther_apart_its_fixes_are_for_their_noise() {
        let walk = choose(&line(80, 6.5, 5.0, false), 6.5);
        let ride = choose(&line(30, 20.0, 5.0, false), 20.0);
        let far = choose(&line(30, 45.0, 10.0, false), 45.0);
        assert!(walk.by_cross_validation && ride.by_cross_validation);
        assert!((1.0..2.0).contains(&walk.g_factor), "{}", walk.g_factor);
        assert!((10.0..20.0).contains(&ride.g_factor), "{}", ride.g_factor);
        assert!(!far.by_cross_validation);
        assert_eq!(far.g_factor, LIKELIHOOD_G_FACTOR);
        // Noise-free fixes: far apart they take the bound, all at one place the fit as it is.
        assert_eq!(
            choose(&line(30, 20.0, 5.0, true), 20.0).g_factor,
            LIKELIHOOD_G_FACTOR
        );
        assert_eq!(choose(&line(30, 0.0, 5.0, true), 0.0).g_factor, 1.0);
    }
}
