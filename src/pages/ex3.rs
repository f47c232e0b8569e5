//! Exercise 3 — residual vs identity: what do the residual branches of a trained ResNet compute? For
//! every block, the distributions of x, F(x) and F(x) + x on held-out images, ‖F(x)‖/‖x‖ across depth
//! and sparsity — measured at initialisation and after training, so "residuals are small" and
//! "residuals shrink as the net learns" are tested, not assumed.

use super::page::PageState;
use super::query::Query;
use super::readouts::sig3;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::measure::Measure;
use crate::lab::model::{Family, ModelSpec, Skip};
use crate::lab::report::BlockStats;

/// Held-out images the statistics are measured on.
pub const IMAGES: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Ex3 {
    /// CIFAR ResNet depth, 6n + 2.
    pub depth: usize,
    pub width: usize,
    pub train: Training,
    /// The block whose histograms are shown (0-based; clamped to the net's blocks).
    pub block: usize,
}

impl Default for Ex3 {
    /// ResNet-20 at width 8 on 600 Fashion-MNIST images, two epochs: well under a minute on the CPU.
    fn default() -> Self {
        Ex3 {
            depth: 20,
            width: 8,
            train: Training { data: DataKind::FashionMnist, samples: 600, size: 28, epochs: 2, batch: 32, lr: 0.05, ..Training::default() },
            block: 0,
        }
    }
}

impl PageState for Ex3 {
    const SLUG: &'static str = "ex3";

    fn read(q: &mut Query, d: &Ex3) -> Ex3 {
        let depth = q.depth("depth", d.depth, 6, 8, 56);
        let mut s = Ex3 {
            depth,
            width: q.int("width", d.width, 2, 64),
            train: Training::from_query(q, &d.train),
            block: q.int("block", d.block + 1, 1, 1000) - 1,
        };
        if s.block >= s.blocks() {
            q.notes.push(format!("block: ResNet-{} has {} blocks; showing block {}", s.depth, s.blocks(), s.blocks()));
            s.block = s.blocks() - 1;
        }
        s
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("depth", self.depth.to_string()), ("width", self.width.to_string())];
        p.extend(self.train.pairs());
        p.push(("block", (self.block + 1).to_string()));
        p
    }
}

impl Ex3 {
    /// Residual blocks of the net: three stages of (depth − 2)/6.
    pub fn blocks(&self) -> usize {
        (self.depth - 2) / 6 * 3
    }

    pub fn config(&self) -> ExperimentConfig {
        self.train.config(ModelSpec::new(Family::Cifar, self.depth, Skip::Identity).with_width(self.width))
    }

    /// The measurement of a net saved in this tab (Part 4's), on its own data's held-out images.
    pub fn measure_saved(&self, saved: &crate::lab::measure::SavedNet) -> Measure {
        let config = ExperimentConfig { label: saved.label.clone(), model: saved.model.clone(), data: saved.data.clone(), ..self.config() };
        Measure::ResidualStats { config, trained: true, images: IMAGES }
    }

    /// The measurement before (`trained: false`) or after the run.
    pub fn measure(&self, trained: bool) -> Measure {
        Measure::ResidualStats { config: self.config(), trained, images: IMAGES }
    }
}

/// Mean of `f` over blocks `range` of `stats`.
fn mean(stats: &[BlockStats], range: std::ops::Range<usize>, f: fn(&BlockStats) -> f32) -> f32 {
    let n = range.len().max(1) as f32;
    stats[range].iter().map(f).sum::<f32>() / n
}

/// What the measurements show: the size of the residuals across depth, before and after training,
/// and their sparsity.
pub fn readout(init: Option<&[BlockStats]>, after: Option<&[BlockStats]>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(a) = after.or(init) else { return out };
    let when = if after.is_some() { "after training" } else { "at initialisation" };
    let n = a.len();
    if n >= 3 {
        let third = n / 3;
        let (early, mid, late) =
            (mean(a, 0..third, BlockStats::ratio), mean(a, third..n - third, BlockStats::ratio), mean(a, n - third..n, BlockStats::ratio));
        let shape = if mid > early && mid > late {
            "largest in the middle blocks, as the exercise expects"
        } else if early >= mid && early >= late {
            "largest in the first blocks"
        } else {
            "largest in the last blocks"
        };
        out.push(format!(
            "‖F(x)‖/‖x‖ {when}: {} in the first third of the blocks, {} in the middle, {} in the last third — {shape}.",
            sig3(early),
            sig3(mid),
            sig3(late)
        ));
    }
    let small = a.iter().filter(|b| b.ratio() < 1.0).count();
    out.push(format!("{small} of {n} blocks added a residual smaller than their input (‖F(x)‖ < ‖x‖) {when}."));
    if let (Some(i), Some(t)) = (init, after) {
        let (ri, rt) = (mean(i, 0..i.len(), BlockStats::ratio), mean(t, 0..t.len(), BlockStats::ratio));
        out.push(format!(
            "Mean ‖F(x)‖/‖x‖ over the blocks went from {} at initialisation to {} after training: the residuals {} as the net learned.",
            sig3(ri),
            sig3(rt),
            if rt < ri { "shrank" } else { "grew" }
        ));
    }
    let zeros_out = mean(a, 0..n, |b| b.output.zero_frac) * 100.0;
    let zeros_f = mean(a, 0..n, |b| b.residual.zero_frac) * 100.0;
    out.push(format!(
        "Sparsity {when}: on average {zeros_out:.1}% of the values after ReLU(F(x) + x) were exactly zero, and {zeros_f:.1}% inside F(x) (it ends with BatchNorm, so exact zeros there are rare)."
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::report::Stats;

    #[test]
    fn url_round_trip_and_block_range() {
        let p = Ex3 { depth: 32, block: 7, ..Ex3::default() };
        assert_eq!(Ex3::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Ex3::from_query("depth=8&block=9");
        assert_eq!((p.depth, p.blocks(), p.block), (8, 3, 2));
        assert_eq!(notes.len(), 1, "{notes:?}");
        p.config().validate().unwrap();
    }

    fn block(ratio: f32, zeros: f32) -> BlockStats {
        let s = |norm: f32, zero_frac: f32| Stats { norm, zero_frac, ..Stats::default() };
        BlockStats { block: 0, input: s(10.0, 0.0), residual: s(ratio * 10.0, 0.0), sum: s(1.0, 0.0), output: s(1.0, zeros) }
    }

    #[test]
    fn readout_from_the_measurements() {
        let init = [block(0.5, 0.4), block(0.9, 0.4), block(0.4, 0.4)];
        let after = [block(0.2, 0.6), block(0.6, 0.5), block(0.1, 0.4)];
        let r = readout(Some(&init), Some(&after));
        assert!(r[0].contains("0.200 in the first third") && r[0].contains("middle blocks, as the exercise expects"), "{r:?}");
        assert!(r[1].starts_with("3 of 3 blocks"), "{r:?}");
        assert!(r[2].contains("from 0.600 at initialisation to 0.300 after training") && r[2].contains("shrank"), "{r:?}");
        assert!(r[3].contains("50.0% of the values after ReLU"), "{r:?}");
        assert!(readout(None, None).is_empty());
    }
}
