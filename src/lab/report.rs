//! What probes report, as plain data: the UI draws these and the worker sends them as JSON, so they
//! live outside the `compute` feature.

use serde::{Deserialize, Serialize};

/// Summary statistics of a set of activations.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Stats {
    pub mean: f32,
    pub std: f32,
    pub min: f32,
    pub max: f32,
    /// Fraction of exact zeros (sparsity).
    pub zero_frac: f32,
    pub mean_abs: f32,
    /// L2 norm of all the values (‖F(x)‖ / ‖x‖ compares two of these).
    #[serde(default)]
    pub norm: f32,
    /// Counts in [`HIST_BINS`] equal-width bins from `min` to `max` (Exercise 3's distributions).
    pub histogram: Vec<u32>,
}

pub const HIST_BINS: usize = 20;

impl Stats {
    pub fn of(values: &[f32]) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        Stats {
            mean: mean as f32,
            std: var.sqrt() as f32,
            min: values.iter().copied().fold(f32::INFINITY, f32::min),
            max: values.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            zero_frac: (values.iter().filter(|&&v| v == 0.0).count() as f64 / n) as f32,
            mean_abs: (values.iter().map(|&v| v.abs() as f64).sum::<f64>() / n) as f32,
            norm: values.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt() as f32,
            histogram: histogram(values),
        }
    }
}

fn histogram(values: &[f32]) -> Vec<u32> {
    let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut bins = vec![0u32; HIST_BINS];
    let width = (hi - lo).max(f32::MIN_POSITIVE);
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / width) * HIST_BINS as f32) as usize;
        bins[i.min(HIST_BINS - 1)] += 1;
    }
    bins
}

/// x, F(x) and the block output's statistics for one residual block (Exercise 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockStats {
    pub block: usize,
    pub input: Stats,
    /// The residual branch exactly as it is added to the shortcut.
    pub residual: Stats,
    /// F(x) + shortcut(x), before the block's activation.
    #[serde(default)]
    pub sum: Stats,
    /// The block's output (after the activation, where the block has one).
    pub output: Stats,
}

impl BlockStats {
    /// ‖F(x)‖ / ‖x‖: how large the residual is next to what it is added to.
    pub fn ratio(&self) -> f32 {
        if self.input.norm > 0.0 {
            self.residual.norm / self.input.norm
        } else {
            0.0
        }
    }
}

/// What the weighted and gated skips learned (Exercise 5), one entry per block: the learned channel
/// weights w in `x + w ⊙ F(x)`, and the mean attention gate on held-out images (empty where the net
/// has neither).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct SkipWeights {
    pub channel_weights: Vec<Vec<f32>>,
    pub gate_means: Vec<f32>,
}

/// One block's output feature maps for the first image of `x`: `[channels, h, w]` values, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureMaps {
    pub block: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

/// Size and cost of a model, computed from the built network (Part 3, `lab info`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub params: usize,
    /// f32 parameters.
    pub size_bytes: usize,
    /// Multiply-accumulates per image.
    pub macs: u64,
    /// Residual (or plain) blocks.
    pub blocks: usize,
    pub input_shape: [usize; 4],
    pub output_shape: [usize; 2],
}

/// Part 2: one BasicBlock opened up — the tensor shape after each stage of the forward pass, and
/// the gradient reaching x through each path: ∂L/∂x = (∂F/∂x)ᵀg + (∂s/∂x)ᵀg with g = ∂L/∂H.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockAnatomy {
    /// (stage, shape `[batch, c, h, w]`) in forward order.
    pub stages: Vec<(String, [usize; 4])>,
    pub params: usize,
    /// ‖(∂F/∂x)ᵀg‖, ‖(∂s/∂x)ᵀg‖ and ‖∂L/∂x‖ (autodiff through the whole block).
    pub grad_residual: f32,
    pub grad_shortcut: f32,
    pub grad_total: f32,
    /// ‖(∂F/∂x)ᵀg + (∂s/∂x)ᵀg − ∂L/∂x‖: zero up to rounding, a check that the two paths add up.
    pub grad_mismatch: f32,
    /// ‖g‖, the gradient arriving at the sum H = F(x) + s(x).
    pub grad_at_sum: f32,
}

/// Part 5: what a trained net makes of one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub label: String,
    /// Output of the first block of each stage.
    pub maps: Vec<FeatureMaps>,
    /// Softmax over the classes, with their names.
    pub probabilities: Vec<f32>,
    pub class_names: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: [0, 1, 2, -3].
    #[test]
    fn stats_by_hand() {
        let s = Stats::of(&[0.0, 1.0, 2.0, -3.0]);
        assert_eq!((s.mean, s.min, s.max, s.zero_frac, s.mean_abs), (0.0, -3.0, 2.0, 0.25, 1.5));
        assert!((s.std - 3.5f32.sqrt()).abs() < 1e-6 && (s.norm - 14f32.sqrt()).abs() < 1e-6, "{s:?}");
        // 20 bins of width 0.25 from -3: -3 → 0, 0 → 12, 1 → 16, 2 → the last bin.
        let mut expected = vec![0u32; HIST_BINS];
        for b in [0, 12, 16, 19] {
            expected[b] += 1;
        }
        assert_eq!(s.histogram, expected);
        let b = BlockStats {
            block: 0,
            input: Stats::of(&[3.0, 4.0]),
            residual: Stats::of(&[0.5, 0.0]),
            sum: Stats::default(),
            output: Stats::default(),
        };
        assert!((b.ratio() - 0.1).abs() < 1e-6);
    }
}

/// One held-out image the trained net got wrong.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Misclassified {
    /// `[channels, size, size]` bytes for display (real sets: the raw pixels; synthetic: min-max scaled).
    pub pixels: Vec<u8>,
    pub label: usize,
    pub predicted: usize,
    /// The softmax probability of the predicted class.
    pub confidence: f32,
}

/// Per-class results of a trained net on the held-out split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassReport {
    pub class_names: Vec<String>,
    /// `confusion[true][predicted]` = images; each row sums to the class's held-out count.
    pub confusion: Vec<Vec<u32>>,
    pub channels: usize,
    pub size: usize,
    /// Up to a dozen mistakes, most confident first.
    pub misclassified: Vec<Misclassified>,
}

impl ClassReport {
    /// Counts from (true, predicted) pairs.
    pub fn confusion_of(classes: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Vec<Vec<u32>> {
        let mut m = vec![vec![0u32; classes]; classes];
        for (t, p) in pairs {
            if t < classes && p < classes {
                m[t][p] += 1;
            }
        }
        m
    }

    pub fn total(&self) -> u32 {
        self.confusion.iter().flatten().sum()
    }

    /// Correct share per class (`None` for a class with no held-out images).
    pub fn per_class_accuracy(&self) -> Vec<Option<f32>> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let n: u32 = row.iter().sum();
                (n > 0).then(|| row[i] as f32 / n as f32)
            })
            .collect()
    }

    /// Each row divided by its total: where a class's images went.
    pub fn row_normalised(&self) -> Vec<Vec<f32>> {
        self.confusion
            .iter()
            .map(|row| {
                let n: u32 = row.iter().sum();
                row.iter().map(|&c| if n > 0 { c as f32 / n as f32 } else { 0.0 }).collect()
            })
            .collect()
    }

    /// The `n` largest off-diagonal cells: (true, predicted, count), largest first.
    pub fn most_confused(&self, n: usize) -> Vec<(usize, usize, u32)> {
        let mut cells: Vec<(usize, usize, u32)> = self
            .confusion
            .iter()
            .enumerate()
            .flat_map(|(t, row)| row.iter().enumerate().filter(move |&(p, &c)| p != t && c > 0).map(move |(p, &c)| (t, p, c)))
            .collect();
        cells.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        cells.truncate(n);
        cells
    }
}

#[cfg(test)]
mod class_tests {
    use super::*;

    #[test]
    fn confusion_rows_sum_to_class_counts_and_pairs_rank() {
        // 3 classes: class 0 has 4 images (1 → class 2), class 1 has 2 (both right), class 2 has 3 (2 → class 0).
        let pairs = [(0, 0), (0, 0), (0, 0), (0, 2), (1, 1), (1, 1), (2, 0), (2, 0), (2, 2)];
        let r = ClassReport {
            class_names: vec!["a".into(), "b".into(), "c".into()],
            confusion: ClassReport::confusion_of(3, pairs),
            channels: 1,
            size: 2,
            misclassified: vec![],
        };
        let rows: Vec<u32> = r.confusion.iter().map(|row| row.iter().sum()).collect();
        assert_eq!(rows, vec![4, 2, 3]);
        assert_eq!(r.total(), 9);
        assert_eq!(r.per_class_accuracy(), vec![Some(0.75), Some(1.0), Some(1.0 / 3.0)]);
        assert_eq!(r.most_confused(5), vec![(2, 0, 2), (0, 2, 1)]);
        assert_eq!(r.row_normalised()[2], vec![2.0 / 3.0, 0.0, 1.0 / 3.0]);
    }
}
