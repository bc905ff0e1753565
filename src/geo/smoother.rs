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
//! How hard to smooth is set by the acceleration noise density `q`. A walker rounding a
//! hairpin accelerates about 0.1 m/s², a motorbike 2 m/s²; no single `q` suits both (one that
//! follows the motorbike leaves a walker's track several per cent too long). So each track
//! takes the `q` from a grid under which its own fixes are most likely (the forward filter's
//! innovation likelihood): one forward pass per grid value, still O(n).

/// One fix on the local east/north plane, ready for smoothing.
pub(super) struct PlaneFix {
    pub east_m: f64,
    pub north_m: f64,
    /// Per-axis measurement variance, m².
    pub variance_m2: f64,
    /// Seconds since the previous fix, already made positive and bounded by the caller;
    /// ignored for the first fix.
    pub dt_s: f64,
}

/// A smoothed position with its posterior per-axis variance.
pub(super) struct SmoothedFix {
    pub east_m: f64,
    pub north_m: f64,
    pub variance_m2: f64,
}

/// Candidate acceleration noise densities, m²/s³, half a decade apart: from a walker on a
/// straight path to a motorbike braking into a hairpin.
const ACCEL_NOISE_GRID: [f64; 8] = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0];

/// Prior variance of the speed along each axis at the first fix, (m/s)²: anything up to a
/// fast motorbike, so the first fixes decide it.
const INITIAL_SPEED_VARIANCE: f64 = 15.0 * 15.0;

/// Smooths `fixes` (at least one) with the most likely acceleration noise of the grid.
pub(super) fn smooth(fixes: &[PlaneFix]) -> Vec<SmoothedFix> {
    let mut best = forward(fixes, ACCEL_NOISE_GRID[0]);
    for q in &ACCEL_NOISE_GRID[1..] {
        let run = forward(fixes, *q);
        if run.log_likelihood > best.log_likelihood {
            best = run;
        }
    }
    backward(fixes, &best.steps)
}

/// Position and speed along one axis.
#[derive(Clone, Copy)]
struct AxisState {
    pos: f64,
    vel: f64,
}

impl AxisState {
    fn predict(self, dt: f64) -> AxisState {
        AxisState { pos: self.pos + dt * self.vel, vel: self.vel }
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
    log_likelihood: f64,
}

fn forward(fixes: &[PlaneFix], q: f64) -> ForwardRun {
    let mut steps: Vec<FilterStep> = Vec::with_capacity(fixes.len());
    let mut log_likelihood = 0.0;
    for fix in fixes {
        let step = match steps.last() {
            // The first fix is the whole prior on position: starting there with its own
            // variance equals updating a flat prior with it.
            None => {
                let cov = Cov { pp: fix.variance_m2, pv: 0.0, vv: INITIAL_SPEED_VARIANCE };
                FilterStep {
                    east: AxisState { pos: fix.east_m, vel: 0.0 },
                    north: AxisState { pos: fix.north_m, vel: 0.0 },
                    cov,
                    predicted: cov,
                }
            }
            Some(prev) => {
                let predicted = prev.cov.predict(fix.dt_s, q);
                let east = prev.east.predict(fix.dt_s);
                let north = prev.north.predict(fix.dt_s);
                // Positive: the prediction always carries process noise (q > 0, dt > 0).
                let innovation_var = predicted.pp + fix.variance_m2;
                let gain_pos = predicted.pp / innovation_var;
                let gain_vel = predicted.pv / innovation_var;
                let (de, dn) = (fix.east_m - east.pos, fix.north_m - north.pos);
                log_likelihood -=
                    innovation_var.ln() + (de * de + dn * dn) / (2.0 * innovation_var);
                FilterStep {
                    east: AxisState { pos: east.pos + gain_pos * de, vel: east.vel + gain_vel * de },
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
    ForwardRun { steps, log_likelihood }
}

/// Rauch–Tung–Striebel pass: x̂ₖ = xₖ + Cₖ (x̂ₖ₊₁ − F xₖ), Cₖ = Pₖ Fᵀ (Pₖ₊₁⁻)⁻¹.
fn backward(fixes: &[PlaneFix], steps: &[FilterStep]) -> Vec<SmoothedFix> {
    let mut smoothed = Vec::with_capacity(steps.len());
    let Some(last) = steps.last() else { return smoothed };
    let (mut east, mut north, mut cov) = (last.east, last.north, last.cov);
    smoothed.push(SmoothedFix { east_m: east.pos, north_m: north.pos, variance_m2: cov.pp });
    for (k, step) in steps.iter().enumerate().rev().skip(1) {
        let dt = fixes[k + 1].dt_s;
        let next_predicted = steps[k + 1].predicted;
        let det = next_predicted.pp * next_predicted.vv - next_predicted.pv * next_predicted.pv;
        // The predicted covariance contains Q, whose determinant q²dt⁴/12 is positive; only
        // rounding with absurd inputs could break that, and then the filtered estimate stands.
        let gain = if det > 0.0 && det.is_finite() {
            // Pₖ Fᵀ, then times the inverse of the predicted covariance.
            let (a, b) = (step.cov.pp + dt * step.cov.pv, step.cov.pv);
            let (c, d) = (step.cov.pv + dt * step.cov.vv, step.cov.vv);
            let (ip, iv, iw) = (next_predicted.vv / det, -next_predicted.pv / det, next_predicted.pp / det);
            [[a * ip + b * iv, a * iv + b * iw], [c * ip + d * iv, c * iv + d * iw]]
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
        // Pₖ + C (P̂ₖ₊₁ − Pₖ₊₁⁻) Cᵀ
        let (dpp, dpv, dvv) =
            (cov.pp - next_predicted.pp, cov.pv - next_predicted.pv, cov.vv - next_predicted.vv);
        let row = |r: [f64; 2]| (r[0] * dpp + r[1] * dpv, r[0] * dpv + r[1] * dvv);
        let (x0, y0) = row(gain[0]);
        let (x1, y1) = row(gain[1]);
        cov = Cov {
            pp: (step.cov.pp + x0 * gain[0][0] + y0 * gain[0][1]).max(0.0),
            pv: step.cov.pv + x0 * gain[1][0] + y0 * gain[1][1],
            vv: (step.cov.vv + x1 * gain[1][0] + y1 * gain[1][1]).max(0.0),
        };
        smoothed.push(SmoothedFix { east_m: east.pos, north_m: north.pos, variance_m2: cov.pp });
    }
    smoothed.reverse();
    smoothed
}
