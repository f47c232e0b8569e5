//! Exercise 1 — the vanishing gradient: two plain nets of different depth trained on the same data
//! and seed, their first- and last-layer gradients followed step by step, and a depth sweep that fits
//! `‖∇W₁‖ ≈ c·r^depth` — whatever `r` this run gives, above or below 1.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::gradients::{fit_geometric, GeometricFit, When};
use crate::lab::model::{Family, ModelSpec, Skip};

/// Exercise 1's own `PlainConvNet(depth)` (depth = two-conv blocks) or He et al.'s CIFAR plain nets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    PlainConv,
    Cifar,
}

impl Net {
    pub fn name(self) -> &'static str {
        match self {
            Net::PlainConv => "plainconv",
            Net::Cifar => "cifar",
        }
    }

    pub fn parse(s: &str) -> Option<Net> {
        [Net::PlainConv, Net::Cifar].into_iter().find(|n| n.name() == s)
    }

    pub fn family(self) -> Family {
        match self {
            Net::PlainConv => Family::PlainConvNet,
            Net::Cifar => Family::Cifar,
        }
    }

    /// (step, min, max) of the depth slider: blocks for PlainConvNet, 6n+2 layers for CIFAR nets.
    pub fn depth_rule(self) -> (usize, usize, usize) {
        match self {
            Net::PlainConv => (1, 1, 60),
            Net::Cifar => (6, 8, 110),
        }
    }

    /// A depth snapped into this net's range and form.
    pub fn snap(self, depth: usize) -> usize {
        let (step, lo, hi) = self.depth_rule();
        let d = depth.clamp(lo, hi);
        if step == 1 {
            d
        } else {
            super::query::snap_depth(d, step, lo)
        }
    }

    /// Weight layers (convs + classifier) of a net of this depth, the x-axis of the sweep.
    pub fn weight_layers(self, depth: usize) -> usize {
        match self {
            Net::PlainConv => 2 * depth + 2,
            Net::Cifar => depth,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ex1 {
    pub net: Net,
    /// The two depths compared (shallow first).
    pub depths: [usize; 2],
    pub width: usize,
    pub train: Training,
    /// The sweep: depths `from..=to` every `every`, each trained for `budget` steps.
    pub sweep_from: usize,
    pub sweep_to: usize,
    pub sweep_every: usize,
    pub budget: usize,
    /// Which steps the sweep's first-layer gradient summarises.
    pub sweep_when: When,
}

impl Default for Ex1 {
    /// The exercise's 20 vs 56 blocks, at width 8 instead of 64 and on 600 Fashion-MNIST images, so the
    /// default comparison finishes in well under a minute on the CPU backend.
    fn default() -> Self {
        Ex1 {
            net: Net::PlainConv,
            depths: [20, 56],
            width: 8,
            train: Training { data: DataKind::FashionMnist, samples: 600, size: 28, epochs: 3, batch: 32, lr: 0.01, ..Training::default() },
            sweep_from: 2,
            sweep_to: 32,
            sweep_every: 6,
            budget: 20,
            sweep_when: When::Late,
        }
    }
}

pub const MAX_SWEEP_RUNS: usize = 12;

fn when_name(w: When) -> &'static str {
    if w == When::Init {
        "init"
    } else {
        "late"
    }
}

impl PageState for Ex1 {
    const SLUG: &'static str = "ex1";

    fn read(q: &mut Query, d: &Ex1) -> Ex1 {
        let net = q.choice("net", d.net, Net::parse, "plainconv, cifar");
        let (_, lo, hi) = net.depth_rule();
        let depth = |key: &str, default: usize, q: &mut Query| {
            let raw = q.int(key, net.snap(default), lo, hi);
            let fixed = net.snap(raw);
            if fixed != raw {
                q.notes.push(format!("{key}: {raw} is not a depth of this net; using {fixed}"));
            }
            fixed
        };
        let a = depth("depth_a", d.depths[0], q);
        let b = depth("depth_b", d.depths[1], q);
        let sweep_from = depth("sweep_from", d.sweep_from, q);
        let mut sweep_to = depth("sweep_to", d.sweep_to, q);
        if sweep_to < sweep_from {
            q.notes.push(format!("sweep: 'to' {sweep_to} is below 'from' {sweep_from}; sweeping {sweep_from} only"));
            sweep_to = sweep_from;
        }
        let mut s = Ex1 {
            net,
            depths: [a.min(b), a.max(b)],
            width: q.int("width", d.width, 2, 64),
            train: Training::from_query(q, &d.train),
            sweep_from,
            sweep_to,
            sweep_every: q.int("sweep_every", d.sweep_every, 1, 60),
            budget: q.int("budget", d.budget, 2, 500),
            sweep_when: q.choice(
                "sweep_when",
                d.sweep_when,
                |s| match s {
                    "init" => Some(When::Init),
                    "late" => Some(When::Late),
                    _ => None,
                },
                "init, late",
            ),
        };
        if s.sweep_depths().len() > MAX_SWEEP_RUNS {
            s.sweep_every = s.sweep_every.max((s.sweep_to - s.sweep_from).div_ceil(MAX_SWEEP_RUNS - 1));
            q.notes.push(format!("sweep: at most {MAX_SWEEP_RUNS} depths; stepping by {}", s.sweep_every));
        }
        s
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("net", self.net.name().to_string()),
            ("depth_a", self.depths[0].to_string()),
            ("depth_b", self.depths[1].to_string()),
            ("width", self.width.to_string()),
        ];
        p.extend(self.train.pairs());
        p.extend([
            ("sweep_from", self.sweep_from.to_string()),
            ("sweep_to", self.sweep_to.to_string()),
            ("sweep_every", self.sweep_every.to_string()),
            ("budget", self.budget.to_string()),
            ("sweep_when", when_name(self.sweep_when).to_string()),
        ]);
        p
    }
}

impl Ex1 {
    fn model(&self, depth: usize) -> ModelSpec {
        ModelSpec::new(self.net.family(), depth, Skip::None).with_width(self.width)
    }

    /// The comparison: both depths, same data, seed and optimiser.
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        self.depths.iter().map(|&d| self.train.config(self.model(d))).collect()
    }

    /// The sweep's depths, snapped to the net's form and without repeats.
    pub fn sweep_depths(&self) -> Vec<usize> {
        let mut out: Vec<usize> = (self.sweep_from..=self.sweep_to).step_by(self.sweep_every.max(1)).map(|d| self.net.snap(d)).collect();
        out.dedup();
        out
    }

    /// One short run per sweep depth (`budget` steps each).
    pub fn sweep_configs(&self) -> Vec<ExperimentConfig> {
        self.sweep_depths().into_iter().map(|d| self.train.config_for_steps(self.model(d), self.budget)).collect()
    }
}

/// Each finished sweep series as (weight layers, first-layer gradient norm at `when`) and the fit.
pub fn sweep_points(net: Net, depths: &[usize], series: &[Series], when: When) -> (Vec<(f64, f64)>, Option<GeometricFit>) {
    let points: Vec<(f64, f64)> = depths
        .iter()
        .zip(series)
        .filter(|(_, s)| s.summary.is_some())
        .filter_map(|(&d, s)| s.profile(when).first().map(|&g| (net.weight_layers(d) as f64, g as f64)))
        .collect();
    let fit = fit_geometric(&points);
    (points, fit)
}

/// What the comparison shows, from the two finished series (shallow first).
pub fn readout(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let [a, b] = series else { return out };
    let (Some(ma), Some(mb)) = (&a.summary, &b.summary) else { return out };
    let (la, lb) = (&a.label, &b.label);
    out.push(format!(
        "Training loss in the last epoch: {la} {:.3}, {lb} {:.3} — the deeper net ended {}.",
        ma.final_loss,
        mb.final_loss,
        if mb.final_loss > ma.final_loss {
            "higher: deeper trained worse, as the exercise expects"
        } else {
            "lower: here depth did not hurt"
        }
    ));
    out.push(format!(
        "Held-out accuracy: {la} {:.1}%, {lb} {:.1}% ({:+.1} points for the deeper net).",
        ma.final_val_accuracy * 100.0,
        mb.final_val_accuracy * 100.0,
        (mb.final_val_accuracy - ma.final_val_accuracy) * 100.0
    ));
    out.extend(super::readouts::run_notes(series));
    let first = |s: &Series, w: When| s.profile(w).first().copied();
    if let (Some(ga), Some(gb)) = (first(a, When::Late), first(b, When::Late)) {
        let w = When::Late.describe(b.layer_grads.len());
        out.push(if gb < ga {
            format!("Late in training ({w}), {lb}'s first-layer gradient was {:.1}× smaller than {la}'s ({gb:.2e} vs {ga:.2e}).", ga / gb)
        } else {
            format!("Late in training ({w}), {lb}'s first-layer gradient was not smaller than {la}'s ({gb:.2e} vs {ga:.2e}): no vanishing with depth on this run.")
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_clamps() {
        let p = Ex1 { net: Net::Cifar, depths: [8, 32], sweep_from: 8, sweep_to: 56, sweep_every: 12, ..Ex1::default() };
        assert_eq!(Ex1::from_query(&p.to_query()), (p.clone(), vec![]));
        let (p, notes) = Ex1::from_query("net=cifar&depth_a=21&depth_b=500&sweep_when=never");
        assert_eq!(p.depths, [20, 110]);
        assert_eq!(p.sweep_when, When::Late);
        assert_eq!(notes.len(), 3, "{notes:?}");
        let (p, notes) = Ex1::from_query("sweep_from=1&sweep_to=60&sweep_every=1");
        assert!(p.sweep_depths().len() <= MAX_SWEEP_RUNS, "{:?}", p.sweep_depths());
        assert!(notes.iter().any(|n| n.contains("at most")), "{notes:?}");
        let (p, notes) = Ex1::from_query("sweep_from=30&sweep_to=8");
        assert_eq!((p.sweep_from, p.sweep_to), (30, 30));
        assert!(notes[0].contains("below 'from'"), "{notes:?}");
    }

    #[test]
    fn configs_are_valid_and_the_sweep_is_capped_in_steps() {
        let p = Ex1::default();
        let c = p.configs();
        assert_eq!(c.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["PlainConvNet(20)", "PlainConvNet(56)"]);
        for c in c.iter().chain(&p.sweep_configs()) {
            c.validate().unwrap();
        }
        assert_eq!(p.sweep_depths(), vec![2, 8, 14, 20, 26, 32]);
        assert!(p.sweep_configs().iter().all(|c| c.max_steps == Some(20) && c.steps_total() == 20));
    }
}
