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
    pub output: Stats,
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
