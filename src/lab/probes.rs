//! What the pages plot: per-layer gradient norms, residual-branch statistics, model size and cost.

use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;

use super::experiment::RunError;
use super::model::{BlockConfig, BlockKind, BlockTap, ModelSpec, Net, NetSpec, Skip};
pub use super::report::{BlockAnatomy, BlockStats, FeatureMaps, ModelInfo, Seen, SkipWeights, Stats, HIST_BINS};

/// The only way values leave the device: async, as the browser requires.
pub async fn read_floats(t: Tensor<1>) -> Result<Vec<f32>, RunError> {
    let data = t.into_data_async().await.map_err(|e| RunError::Backend(format!("{e:?}")))?;
    data.try_into_vec_as::<f32>().map_err(|e| RunError::Backend(format!("{e:?}")))
}

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
        // `units.3.Block.conv1` reads as `blocks.3.conv1` (the enum's variant is not a layer).
        let parts: Vec<&str> = self.path[..self.path.len() - 1]
            .iter()
            .filter(|p| p.as_str() != "Block")
            .map(|p| match p.as_str() {
                "units" => "blocks",
                "Transition" => "transition",
                other => other,
            })
            .collect();
        self.names.push(parts.join("."));
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
pub fn count_params<M: burn::module::Module>(model: &M) -> usize {
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
            sum: Stats::of(&read_floats(flat(t.sum)).await?),
            output: Stats::of(&read_floats(flat(t.output)).await?),
        });
    }
    Ok(out)
}

/// The learned channel weights of every block and the mean attention gate of every block on `x`
/// (Exercise 5); empty lists for a net without such skips.
pub async fn skip_weights(model: &Net, x: Tensor<4>) -> Result<SkipWeights, RunError> {
    let mut out = SkipWeights::default();
    for b in model.blocks() {
        if let Some(w) = b.channel_weights() {
            out.channel_weights.push(read_floats(w).await?);
        }
    }
    let mut taps: Vec<BlockTap> = Vec::new();
    let _ = model.valid().forward_tapped(x, Some(&mut taps));
    for t in taps {
        if let Some(g) = t.gate {
            out.gate_means.push(read_floats(g.mean().reshape([1])).await?[0]);
        }
    }
    Ok(out)
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

pub fn model_info(spec: &ModelSpec, channels: usize, size: usize, classes: usize, device: &Device) -> ModelInfo {
    let net = Net::new(&spec.resolve(channels, classes), device);
    // A real forward pass gives the output shape (and proves the net runs at this size).
    let out = net.valid().forward(Tensor::zeros([1, channels, size, size], device));
    info_of(spec, &net, [channels, size, size], out.dims())
}

fn info_of(spec: &ModelSpec, net: &Net, [channels, size, _]: [usize; 3], output_shape: [usize; 2]) -> ModelInfo {
    let params = count_params(net);
    ModelInfo {
        name: spec.label(),
        params,
        size_bytes: params * 4,
        macs: net.macs([channels, size, size]),
        blocks: net.blocks().count(),
        input_shape: [1, channels, size, size],
        output_shape,
    }
}

/// [`model_info`] plus the time of one forward pass of a single image on `device` (after a warm-up
/// pass), waited for with an async read so a GPU's queue is really done. `now_ms` is the host clock.
pub async fn timed_model_info(
    spec: &ModelSpec,
    channels: usize,
    size: usize,
    classes: usize,
    device: &Device,
    now_ms: &dyn Fn() -> f64,
) -> Result<(ModelInfo, f64), RunError> {
    let net = Net::new(&spec.resolve(channels, classes), device).valid();
    let x = Tensor::<4>::zeros([1, channels, size, size], device);
    // The warm-up pass also gives the output shape.
    let warm = net.forward(x.clone());
    let output_shape = warm.dims();
    read_floats(warm.reshape([-1])).await?;
    // The median of three timed passes: one pass alone is at the mercy of whatever else the machine does.
    let mut times = Vec::with_capacity(3);
    for _ in 0..3 {
        let t0 = now_ms();
        read_floats(net.forward(x.clone()).reshape([-1])).await?;
        times.push(now_ms() - t0);
    }
    times.sort_by(f64::total_cmp);
    Ok((info_of(spec, &net, [channels, size, size], output_shape), times[1]))
}

/// Part 2: a BasicBlock from `cin` to `width` channels at `stride`, opened up on a random input
/// `[2, cin, size, size]` (train-mode BatchNorm, as during training). L = Σ r ⊙ block(x) for a fixed
/// random r; the gradient at x is measured through the whole block by autodiff, and separately
/// through F and through the shortcut with g = ∂L/∂H held fixed.
pub async fn block_anatomy(
    cin: usize,
    width: usize,
    stride: usize,
    skip: Skip,
    size: usize,
    seed: u64,
    device: &Device,
) -> Result<BlockAnatomy, RunError> {
    if !matches!(skip, Skip::None | Skip::Identity | Skip::Projection) {
        return Err(RunError::Invalid("the block anatomy shows none, identity or projection shortcuts".into()));
    }
    if let Some(problem) = super::model::spec::block_problem(BlockKind::Basic, cin, width, stride, skip) {
        return Err(RunError::Invalid(problem));
    }
    if !(1..=64).contains(&size) || cin > 512 || width > 512 {
        return Err(RunError::Invalid(format!(
            "the block anatomy takes images of 1..=64 px and up to 512 channels, got {size} px, {cin} → {width}"
        )));
    }
    let ad = device.clone().autodiff();
    ad.seed(seed);
    let block = BlockConfig::new(BlockKind::Basic, cin, width).with_stride(stride).with_skip(skip).init(&ad);
    let params = count_params(&block);
    let x0 = Tensor::<4>::random([2, cin, size, size], burn::tensor::Distribution::Normal(0.0, 1.0), &ad);
    let stages = block.stages(x0.clone()).into_iter().map(|(n, t)| (n, t.dims())).collect();

    // The whole block, by autodiff.
    let x = x0.clone().detach().require_grad();
    let f = block.branch(x.clone());
    let h = if skip.has_shortcut() { f + block.shortcut(x.clone()) } else { f };
    let r = Tensor::<4>::random(h.dims(), burn::tensor::Distribution::Normal(0.0, 1.0), &ad).detach();
    let loss = (burn::tensor::activation::relu(h.clone()) * r.clone()).sum();
    let grads = loss.backward();
    let total = x.grad(&grads).ok_or_else(|| RunError::Backend("no gradient at x".into()))?;
    // g = ∂L/∂H: r where H > 0 (ReLU's derivative), held fixed for the two paths.
    let g = (r.inner() * h.inner().greater_elem(0.0).float()).detach();
    let g_ad = Tensor::<4>::from_inner(g.clone());
    let path = |through_f: bool| -> Result<Tensor<4>, RunError> {
        let x = x0.clone().detach().require_grad();
        let y = if through_f { block.branch(x.clone()) } else { block.shortcut(x.clone()) };
        let grads = (y * g_ad.clone()).sum().backward();
        Ok(x.grad(&grads).unwrap_or_else(|| Tensor::zeros(x.dims(), &device.clone())))
    };
    let gf = path(true)?;
    let gs = if skip.has_shortcut() { path(false)? } else { Tensor::zeros(total.dims(), device) };
    let norm = |t: Tensor<4>| t.powi_scalar(2).sum().sqrt().reshape([1]);
    let mismatch = norm(gf.clone() + gs.clone() - total.clone());
    let v = read_floats(Tensor::cat(vec![norm(gf), norm(gs), norm(total), mismatch, norm(g)], 0)).await?;
    Ok(BlockAnatomy { stages, params, grad_residual: v[0], grad_shortcut: v[1], grad_total: v[2], grad_mismatch: v[3], grad_at_sum: v[4] })
}

/// Part 5: feature maps after the first block of each stage of `net` (built from `spec`) for the
/// first image of `x`, and its class probabilities.
pub async fn what_it_sees(net: &Net, spec: &NetSpec, x: Tensor<4>, label: String, class_names: Vec<String>) -> Result<Seen, RunError> {
    let maps = feature_maps(net, x.clone(), &Net::stage_starts(spec)).await?;
    let logits = net.valid().forward(x.narrow(0, 0, 1)); // [1, classes]
    let probabilities = read_floats(burn::tensor::activation::softmax(logits, 1).reshape([-1])).await?;
    Ok(Seen { label, maps, probabilities, class_names })
}

/// Every float tensor of `net` (weights, biases, BatchNorm scales and running statistics), flattened
/// in module order: enough to rebuild the same net from its spec (Part 4 → Part 5).
pub async fn export_weights(net: &Net) -> Result<Vec<f32>, RunError> {
    struct Collect(Vec<Tensor<1>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().reshape([-1]));
        }
    }
    let mut c = Collect(Vec::new());
    net.visit(&mut c);
    read_floats(Tensor::cat(c.0, 0)).await
}

/// Loads [`export_weights`]' output into a net built from the same spec; the count must match exactly.
pub fn import_weights(net: Net, weights: &[f32]) -> Result<Net, RunError> {
    struct Load<'a> {
        weights: &'a [f32],
        at: usize,
        short: bool,
    }
    impl ModuleMapper for Load<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let n = param.lazy_shape().num_elements();
            if self.at + n > self.weights.len() {
                self.short = true;
                return param;
            }
            let values = self.weights[self.at..self.at + n].to_vec();
            self.at += n;
            param.map(|t| Tensor::from_data(TensorData::new(values, t.shape()), &t.device()))
        }
    }
    let mut load = Load { weights, at: 0, short: false };
    let net = net.map(&mut load);
    if load.short || load.at != weights.len() {
        return Err(RunError::Invalid(format!("the saved weights ({} values) do not fit this network ({} read)", weights.len(), load.at)));
    }
    Ok(net)
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
