//! What the pages plot: per-layer gradient norms, residual-branch statistics, model size and cost.

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{BlockTap, ModelSpec, Net};
use super::train::read_floats;
use super::experiment::RunError;

/// Collects every weight matrix/kernel (rank 4 convs, rank 2 linears) in module order.
struct WeightWalker<'a> {
    path: Vec<String>,
    names: Vec<String>,
    grads: Option<&'a GradientsParams>,
    squares: Vec<Tensor<1>>,
}

impl ModuleVisitor for WeightWalker<'_> {
    fn enter_module(&mut self, name: &str, _container: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !(D == 4 || D == 2) || self.path.last().map(String::as_str) != Some("weight") {
            return;
        }
        self.names.push(self.path[..self.path.len() - 1].join("."));
        if let Some(grads) = self.grads {
            // A parameter without a gradient (unused path) reports 0, keeping the order aligned.
            let sq = match grads.get::<D>(param.id) {
                Some(g) => g.powi_scalar(2).sum(),
                None => Tensor::zeros([1], &param.val().device().inner()),
            };
            self.squares.push(sq);
        }
    }
}

/// Learnable parameters, as PyTorch counts them: BatchNorm's running mean/var are buffers, not
/// parameters (burn's `num_params` counts them too).
pub fn count_params(model: &Net) -> usize {
    struct Counter {
        path: Vec<String>,
        total: usize,
    }
    impl ModuleVisitor for Counter {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if !matches!(self.path.last().map(String::as_str), Some("running_mean" | "running_var")) {
                self.total += param.lazy_shape().num_elements();
            }
        }
    }
    let mut c = Counter { path: vec![], total: 0 };
    model.visit(&mut c);
    c.total
}

/// The weight layers' names, e.g. `stem_conv`, `blocks.0.conv1`, `fc`.
pub fn layer_names(model: &Net) -> Vec<String> {
    let mut w = WeightWalker { path: vec![], names: vec![], grads: None, squares: vec![] };
    model.visit(&mut w);
    w.names
}

/// Squared L2 norm of each weight layer's gradient, one `[1]` tensor each (read together later).
pub fn grad_squares(model: &Net, grads: &GradientsParams) -> Vec<Tensor<1>> {
    let mut w = WeightWalker { path: vec![], names: vec![], grads: Some(grads), squares: vec![] };
    model.visit(&mut w);
    w.squares
}

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

/// x, F(x) and the block output's statistics for one residual block (Exercise 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockStats {
    pub block: usize,
    pub input: Stats,
    /// The residual branch exactly as it is added to the shortcut.
    pub residual: Stats,
    pub output: Stats,
}

/// Runs `x` through the network in inference mode and summarises every block's x, F(x) and output.
pub async fn residual_stats(model: &Net, x: Tensor<4>) -> Result<Vec<BlockStats>, RunError> {
    let mut taps: Vec<BlockTap> = Vec::new();
    let _ = model.valid().forward_tapped(x, Some(&mut taps));
    let mut out = Vec::with_capacity(taps.len());
    for (block, t) in taps.into_iter().enumerate() {
        let flat = |t: Tensor<4>| t.reshape([-1]);
        out.push(BlockStats {
            block,
            input: Stats::of(&read_floats(flat(t.input)).await?),
            residual: Stats::of(&read_floats(flat(t.residual)).await?),
            output: Stats::of(&read_floats(flat(t.output)).await?),
        });
    }
    Ok(out)
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

/// Feature maps after each of the chosen blocks (Part 5), in inference mode.
pub async fn feature_maps(model: &Net, x: Tensor<4>, blocks: &[usize]) -> Result<Vec<FeatureMaps>, RunError> {
    let mut taps: Vec<BlockTap> = Vec::new();
    let _ = model.valid().forward_tapped(x, Some(&mut taps));
    let mut out = Vec::new();
    for &block in blocks {
        let Some(t) = taps.get(block) else {
            return Err(RunError::Invalid(format!("block {block} does not exist (the net has {})", taps.len())));
        };
        let [_, c, h, w] = t.output.dims();
        let first = t.output.clone().narrow(0, 0, 1).reshape([-1]);
        out.push(FeatureMaps { block, channels: c, height: h, width: w, values: read_floats(first).await? });
    }
    Ok(out)
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

pub fn model_info(spec: &ModelSpec, channels: usize, size: usize, classes: usize, device: &Device) -> ModelInfo {
    let net = Net::new(&spec.resolve(channels, classes), device);
    let params = count_params(&net);
    // A real forward pass gives the output shape (and proves the net runs at this size).
    let out = net.valid().forward(Tensor::zeros([1, channels, size, size], device));
    ModelInfo {
        name: spec.label(),
        params,
        size_bytes: params * 4,
        macs: net.macs([channels, size, size]),
        blocks: net.blocks.len(),
        input_shape: [1, channels, size, size],
        output_shape: out.dims(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::model::{Family, Skip};

    #[test]
    fn stats_by_hand() {
        let s = Stats::of(&[0.0, 1.0, -1.0, 2.0]);
        assert_eq!(s.mean, 0.5);
        assert!((s.std - 1.118034).abs() < 1e-5);
        assert_eq!((s.min, s.max, s.zero_frac, s.mean_abs), (-1.0, 2.0, 0.25, 1.0));
        // Bins of width 0.15 from -1: -1 → 0, 0 → 6, 1 → 13, 2 → last.
        let mut expected = vec![0u32; HIST_BINS];
        for i in [0, 6, 13, HIST_BINS - 1] {
            expected[i] += 1;
        }
        assert_eq!(s.histogram, expected);
    }

    #[test]
    fn one_name_per_weight_layer() {
        let spec = ModelSpec::new(Family::Cifar, 20, Skip::Identity).resolve(3, 10);
        let names = layer_names(&Net::new(&spec, &Device::flex()));
        // stem + 9 blocks × 2 convs + fc
        assert_eq!(names.len(), 20);
        assert_eq!(names[0], "stem_conv");
        assert_eq!(names[1], "blocks.0.conv1");
        assert_eq!(names.last().unwrap(), "fc");
    }
}
