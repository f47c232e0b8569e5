//! Exercise 2 — skip connections: the same net with and without shortcuts (same depth, data, seed),
//! the gradient reaching every layer, and a sweep over depth: does deeper now help?

use super::ex1::Net;
use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{ModelSpec, Skip};

/// Deepest sweep depth on the CPU backend (in weight layers); WebGPU goes to the net's maximum.
pub const CPU_SWEEP_MAX_LAYERS: usize = 58;
pub const MAX_SWEEP_DEPTHS: usize = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct Ex2 {
    pub net: Net,
    pub depth: usize,
    pub width: usize,
    pub train: Training,
    /// Depths of the sweep (in the net's own unit), each trained plain and residual for `budget` steps.
    pub sweep: Vec<usize>,
    pub budget: usize,
}

impl Default for Ex2 {
    /// The exercise's ResNet(56) has 28 blocks of two convs (58 weight layers); width 8 instead of 64
    /// and 600 Fashion-MNIST images keep the default pair under a minute on the CPU backend.
    fn default() -> Self {
        Ex2 {
            net: Net::PlainConv,
            depth: 28,
            width: 8,
            train: Training { data: DataKind::FashionMnist, samples: 600, size: 28, epochs: 3, batch: 32, lr: 0.01, ..Training::default() },
            sweep: vec![2, 8, 14, 28],
            budget: 30,
        }
    }
}

impl PageState for Ex2 {
    const SLUG: &'static str = "ex2";

    fn read(q: &mut Query, d: &Ex2) -> Ex2 {
        let net = q.choice("net", d.net, Net::parse, "plainconv, cifar");
        let (_, lo, hi) = net.depth_rule();
        let raw = q.int("depth", net.snap(d.depth), lo, hi);
        let depth = net.snap(raw);
        if depth != raw {
            q.notes.push(format!("depth: {raw} is not a depth of this net; using {depth}"));
        }
        let mut sweep: Vec<usize> = q.int_list("sweep", &d.sweep, lo, hi, MAX_SWEEP_DEPTHS).into_iter().map(|d| net.snap(d)).collect();
        sweep.sort_unstable();
        sweep.dedup();
        Ex2 {
            net,
            depth,
            width: q.int("width", d.width, 2, 64),
            train: Training::from_query(q, &d.train),
            sweep,
            budget: q.int("budget", d.budget, 2, 500),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("net", self.net.name().to_string()), ("depth", self.depth.to_string()), ("width", self.width.to_string())];
        p.extend(self.train.pairs());
        p.push(("sweep", self.sweep.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")));
        p.push(("budget", self.budget.to_string()));
        p
    }
}

impl Ex2 {
    /// The residual twin's shortcut: identity (a projection only where the shape changes, as the
    /// exercise's block does; option A for the CIFAR nets).
    fn model(&self, depth: usize, residual: bool) -> ModelSpec {
        let skip = match (residual, self.net) {
            (false, _) => Skip::None,
            (true, Net::PlainConv) => Skip::Projection,
            (true, Net::Cifar) => Skip::Identity,
        };
        ModelSpec::new(self.net.family(), depth, skip).with_width(self.width)
    }

    /// Plain first, then its residual twin: same depth, width, data, seed and optimiser.
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        [false, true].into_iter().map(|r| self.train.config(self.model(self.depth, r))).collect()
    }

    /// The sweep's depths that this backend runs: on the CPU those up to [`CPU_SWEEP_MAX_LAYERS`].
    pub fn sweep_depths(&self, gpu: bool) -> Vec<usize> {
        self.sweep.iter().copied().filter(|&d| gpu || self.net.weight_layers(d) <= CPU_SWEEP_MAX_LAYERS).collect()
    }

    /// For each sweep depth, plain then residual, `budget` steps each.
    pub fn sweep_configs(&self, gpu: bool) -> Vec<ExperimentConfig> {
        self.sweep_depths(gpu)
            .into_iter()
            .flat_map(|d| [false, true].map(|r| self.train.config_for_steps(self.model(d, r), self.budget)))
            .collect()
    }
}

/// Seconds the sweep would take, from a measured run: its time per step per weight layer, scaled to
/// every queued run's depth and step budget (a rough guide: cost grows about linearly with depth).
pub fn sweep_estimate_secs(
    net: Net,
    measured: &crate::lab::experiment::Summary,
    measured_layers: usize,
    depths: &[usize],
    budget: usize,
) -> f64 {
    let per_step_layer = measured.elapsed_ms / 1000.0 / measured.steps.max(1) as f64 / measured_layers.max(1) as f64;
    depths.iter().map(|&d| 2.0 * budget as f64 * net.weight_layers(d) as f64 * per_step_layer).sum()
}

/// The sweep as two lines per measure, plain and residual: (weight layers, value) per finished run.
/// `series` alternate plain, residual per depth, as [`Ex2::sweep_configs`] queues them.
pub fn sweep_lines(
    net: Net,
    depths: &[usize],
    series: &[Series],
    value: fn(&crate::lab::experiment::Summary) -> f32,
) -> [Vec<(f32, f32)>; 2] {
    let mut out = [Vec::new(), Vec::new()];
    for (i, s) in series.iter().enumerate() {
        if let (Some(m), Some(&d)) = (&s.summary, depths.get(i / 2)) {
            out[i % 2].push((net.weight_layers(d) as f32, value(m)));
        }
    }
    out
}

/// What the sweep shows: whether more depth lowered the final training loss, for each kind of net.
pub fn sweep_readout(net: Net, depths: &[usize], series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let lines = sweep_lines(net, depths, series, |m| m.final_loss);
    for (name, pts) in ["plain", "residual"].iter().zip(&lines) {
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else { continue };
        if pts.len() < 2 {
            continue;
        }
        let list = pts.iter().map(|(d, l)| format!("{d:.0} layers {l:.3}")).collect::<Vec<_>>().join(", ");
        out.push(format!(
            "Final training loss of the {name} nets: {list} — the deepest ended {} than the shallowest.",
            if last.1 < first.1 { "lower" } else { "higher" }
        ));
    }
    let [plain, res] = &lines;
    if let (Some(p), Some(r)) = (plain.last(), res.last()) {
        out.push(format!(
            "At {:.0} layers the residual net's final loss was {:.3} against the plain net's {:.3}: {}.",
            p.0,
            r.1,
            p.1,
            if r.1 < p.1 { "the shortcuts made the deep net easier to train" } else { "on this budget the shortcuts did not help" }
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_clamps() {
        let p = Ex2 { net: Net::Cifar, depth: 32, sweep: vec![8, 20, 56, 110], ..Ex2::default() };
        assert_eq!(Ex2::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Ex2::from_query("net=cifar&depth=21&sweep=8,999,abc");
        assert_eq!((p.depth, p.sweep.clone()), (20, vec![8, 110]));
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn twins_and_the_sweep() {
        let p = Ex2::default();
        let c = p.configs();
        assert_eq!((c[0].label.as_str(), c[1].label.as_str()), ("PlainConvNet(28)", "ResConvNet(28)"));
        assert_eq!((c[0].data.clone(), c[0].seed), (c[1].data.clone(), c[1].seed));
        let p = Ex2 { net: Net::Cifar, sweep: vec![8, 56, 110], ..Ex2::default() };
        assert_eq!(p.sweep_depths(false), vec![8, 56]);
        assert_eq!(p.sweep_depths(true), vec![8, 56, 110]);
        let s = p.sweep_configs(true);
        assert_eq!(
            s.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(),
            ["Plain-8", "ResNet-8", "Plain-56", "ResNet-56", "Plain-110", "ResNet-110"]
        );
        s.iter().for_each(|c| c.validate().unwrap());
    }

    #[test]
    fn the_estimate_scales_with_depth_and_budget() {
        let mut m = Series::finished_for_test("Plain-20", 1.0, 0.5, 1.0).summary.unwrap();
        (m.elapsed_ms, m.steps) = (2000.0, 10);
        // 0.2 s a step at 20 layers = 0.01 s per step and layer; 2 nets × 10 steps × (20 + 110) layers.
        let s = sweep_estimate_secs(Net::Cifar, &m, 20, &[20, 110], 10);
        assert!((s - 26.0).abs() < 1e-9, "{s}");
    }

    #[test]
    fn sweep_readout_from_the_numbers() {
        let done = |l: &str, loss: f32| Series::finished_for_test(l, loss, 0.5, 1.0);
        let series = [done("Plain-8", 1.0), done("ResNet-8", 0.9), done("Plain-56", 1.6), done("ResNet-56", 0.7)];
        let r = sweep_readout(Net::Cifar, &[8, 56], &series);
        assert!(r[0].contains("plain nets: 8 layers 1.000, 56 layers 1.600") && r[0].contains("ended higher"), "{r:?}");
        assert!(r[1].contains("residual") && r[1].contains("ended lower"), "{r:?}");
        assert!(r[2].contains("easier to train"), "{r:?}");
    }
}
