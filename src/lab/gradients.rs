//! Summaries of per-layer gradient norms over a run that no single step can dominate.
//!
//! A deep plain BatchNorm net can take one enormous gradient at initialisation and small ones for the
//! rest of its run (CIFAR plain-56: ‖∇W₁‖ = 394 at step 1, then 0.005–0.04). A mean over steps
//! shows the explosion and hides the vanishing that follows. So the lab reports two things: step 1
//! on its own ("at initialisation") and, for the rest of the run, each layer's **median over the
//! last half of the steps** ("late"). Pages can also look at any single step.

use std::ops::Range;

/// Which steps a gradient profile summarises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Step 1: the freshly initialised net.
    Init,
    /// The median over the last half of the steps.
    Late,
    /// One step (1-based), clamped to the steps run.
    Step(usize),
}

impl When {
    /// The 0-based steps covered when `n` steps have run.
    pub fn window(self, n: usize) -> Range<usize> {
        match self {
            _ if n == 0 => 0..0,
            When::Init => 0..1,
            When::Late => n / 2..n,
            When::Step(k) => {
                let i = k.clamp(1, n) - 1;
                i..i + 1
            }
        }
    }

    /// Words for chart titles and readouts, e.g. "median of steps 81–160".
    pub fn describe(self, n: usize) -> String {
        let w = self.window(n);
        match self {
            When::Init => "at initialisation (step 1)".into(),
            When::Late if w.len() > 1 => format!("median of steps {}–{}", w.start + 1, w.end),
            _ => format!("at step {}", w.end),
        }
    }
}

/// The median of the finite values (NaN when there are none).
pub fn median(values: impl IntoIterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// Each layer's gradient norm over `when`: the median per layer. `trace[step][layer]`.
pub fn profile(trace: &[Vec<f32>], when: When) -> Vec<f32> {
    let steps = &trace[when.window(trace.len())];
    let layers = steps.iter().map(Vec::len).max().unwrap_or(0);
    (0..layers).map(|l| median(steps.iter().filter_map(|s| s.get(l).copied()))).collect()
}

/// The first weight layer's norm over the last layer's, both taken from [`profile`] (so a readout
/// quoting it agrees with the chart).
pub fn first_last_ratio(trace: &[Vec<f32>], when: When) -> Option<f32> {
    let p = profile(trace, when);
    let (first, last) = (*p.first()?, *p.last()?);
    (p.len() >= 2 && last > 0.0).then(|| first / last)
}

/// `g ≈ c · r^depth`, fitted by least squares on ln g (Exercise 1's "grad ∝ 0.9^depth").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeometricFit {
    pub c: f64,
    /// The factor per unit of depth: below 1 the gradient shrinks with depth, above 1 it grows.
    pub r: f64,
    /// Coefficient of determination of the fit on the log scale (1 = every point on the line).
    pub r2: f64,
}

/// Fits `(depth, g)` points with `g > 0`; `None` with fewer than two usable points or one depth only.
pub fn fit_geometric(points: &[(f64, f64)]) -> Option<GeometricFit> {
    let pts: Vec<(f64, f64)> =
        points.iter().filter(|(d, g)| d.is_finite() && g.is_finite() && *g > 0.0).map(|&(d, g)| (d, g.ln())).collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let intercept = my - slope * mx;
    let ss_tot: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    let ss_res: f64 = pts.iter().map(|p| (p.1 - intercept - slope * p.0).powi(2)).sum();
    let r2 = if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 1.0 };
    Some(GeometricFit { c: intercept.exp(), r: slope.exp(), r2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_huge_first_step_does_not_move_the_late_summary() {
        // 160 steps: 400 at step 1, then values around 0.02 (as plain-56's first layer).
        let trace: Vec<Vec<f32>> = (0..160).map(|i| vec![if i == 0 { 400.0 } else { 0.02 + 0.0001 * (i % 7) as f32 }, 1.0]).collect();
        let late = profile(&trace, When::Late)[0];
        assert!((0.02..0.0207).contains(&late), "{late}");
        let mean = trace.iter().map(|s| s[0]).sum::<f32>() / 160.0;
        assert!(mean > 2.0, "the mean is dominated by step 1: {mean}");
        assert_eq!(profile(&trace, When::Init), vec![400.0, 1.0]);
        assert_eq!(first_last_ratio(&trace, When::Init), Some(400.0));
        assert!(first_last_ratio(&trace, When::Late).unwrap() < 0.03);
    }

    #[test]
    fn a_geometric_sequence_gives_back_its_factor() {
        let pts: Vec<(f64, f64)> = [8.0, 20.0, 32.0, 56.0].iter().map(|&d| (d, 3.0 * 0.9f64.powf(d))).collect();
        let f = fit_geometric(&pts).unwrap();
        assert!((f.r - 0.9).abs() < 1e-9 && (f.c - 3.0).abs() < 1e-9 && (f.r2 - 1.0).abs() < 1e-9, "{f:?}");
        // Growing gradients give r > 1; noise lowers R².
        let f = fit_geometric(&[(8.0, 1.0), (20.0, 3.0), (32.0, 5.0), (44.0, 30.0)]).unwrap();
        assert!(f.r > 1.0 && f.r2 < 1.0 && f.r2 > 0.5, "{f:?}");
        assert!(fit_geometric(&[(8.0, 1.0)]).is_none());
        assert!(fit_geometric(&[(8.0, 1.0), (8.0, 2.0)]).is_none());
        assert!(fit_geometric(&[(8.0, 1.0), (20.0, 0.0), (32.0, f64::NAN)]).is_none());
    }

    #[test]
    fn windows_and_words() {
        assert_eq!(When::Late.window(160), 80..160);
        assert_eq!(When::Late.describe(160), "median of steps 81–160");
        assert_eq!(When::Late.window(1), 0..1);
        assert_eq!(When::Step(500).window(10), 9..10);
        assert_eq!(When::Step(0).describe(10), "at step 1");
        assert_eq!(When::Init.window(0), 0..0);
        assert!(profile(&[], When::Late).is_empty());
        assert_eq!(median([3.0, f32::NAN, 1.0, 2.0, 10.0]), 2.5);
        assert!(first_last_ratio(&[vec![1.0]], When::Init).is_none());
    }
}
