//! The one training loop. Pages (through the worker), the CLI, benchmarks and tests all call [`run`].
//!
//! It is async because GPU reads are async in the browser; natively it is driven by
//! [`super::exec::block_on`]. Each step reads loss, accuracy and every layer's gradient norm back in a
//! single transfer.

use std::future::Future;

use burn::module::{ModuleVisitor, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;

use super::data::{Augment, Corpus, Dataset};
use super::experiment::{Checkpoint, EpochStats, Event, ExperimentConfig, RunError, StepStats, Summary, CHECKPOINT_FORMAT};
use super::gradients::{first_last_ratio, When};
use super::model::Net;
use super::model::Skip;
use super::probes::{count_params, feature_maps, grad_squares, layer_names, read_floats, skip_weights};
use super::report::{ClassReport, Misclassified};
use super::rng::Rng;

/// Where a run reports to, and how it learns it should stop.
pub trait Host {
    fn emit(&mut self, event: Event);
    fn cancelled(&self) -> bool;
    /// Milliseconds from an arbitrary origin.
    fn now_ms(&self) -> f64;
    /// Lets the surrounding event loop breathe (the browser worker handles Cancel here).
    fn yield_now(&self) -> impl Future<Output = ()>;
}

/// Builds the model and data for `config` on `device` (`device` without autodiff; it is enabled
/// here) and trains it, reporting through `host`. Real datasets are drawn from `corpus`.
pub async fn run(config: &ExperimentConfig, corpus: Option<&Corpus>, device: &Device, host: &mut impl Host) -> Result<Summary, RunError> {
    Ok(run_model(config, corpus, device, host).await?.0)
}

/// [`run`], also handing back the trained network (see [`train_model`]).
pub async fn run_model(
    config: &ExperimentConfig,
    corpus: Option<&Corpus>,
    device: &Device,
    host: &mut impl Host,
) -> Result<(Summary, Net), RunError> {
    config.validate().map_err(RunError::Invalid)?;
    let data = Dataset::prepare(&config.data, config.seed, corpus).map_err(RunError::Invalid)?;
    train_model(config, &data, device, host).await
}

/// Trains on already-loaded data.
pub async fn train(config: &ExperimentConfig, data: &Dataset, device: &Device, host: &mut impl Host) -> Result<Summary, RunError> {
    Ok(train_model(config, data, device, host).await?.0)
}

/// [`train`], also handing back the trained network (inference mode, on `device`), so a page can
/// look inside it afterwards (Part 5).
pub async fn train_model(
    config: &ExperimentConfig,
    data: &Dataset,
    device: &Device,
    host: &mut impl Host,
) -> Result<(Summary, Net), RunError> {
    let start = host.now_ms();
    let ad = device.clone().autodiff();
    ad.seed(config.seed);
    let spec = config.model.resolve(data.channels, data.classes);
    let resume = config.resume.as_deref();
    if let Some(problem) = resume.and_then(|c| c.mismatch(config)) {
        return Err(RunError::Invalid(problem));
    }
    let mut model = Net::new(&spec, &ad);
    let params = count_params(&model);
    let layers = layer_names(&model);

    // Weight decay is added to the gradients here, not inside burn's SGD (the same sum, `wd·w + g`):
    // that keeps the optimiser's first step a pure copy of its gradient into the momentum buffer,
    // which is how a checkpoint's momentum is put back (see `restore_momentum`).
    let mut optim =
        SgdConfig::new().with_momentum((config.momentum > 0.0).then(|| MomentumConfig::new().with_momentum(config.momentum))).init();
    if let Some(c) = resume {
        // burn's own records: the weights (with their parameter ids) first, then the optimiser's
        // per-parameter state keyed by those ids.
        let damaged = |what: &str, e: String| RunError::Invalid(format!("the checkpoint's {what} is damaged: {e}"));
        let bytes = |text: &str, what: &str| super::measure::base64_to_bytes(text).map(Bytes::from_bytes_vec).map_err(|e| damaged(what, e));
        let record = ModuleRecord::from_bytes(bytes(&c.model, "network")?).map_err(|e| damaged("network", format!("{e:?}")))?;
        model = model.try_load_record(record).map_err(|e| damaged("network", format!("{e:?}")))?;
        let velocities = momentum_buffers(bytes(&c.optimizer, "optimiser state")?).map_err(|e| damaged("optimiser state", e))?;
        model = restore_momentum(model, &mut optim, velocities, &ad.clone().inner()).map_err(|e| damaged("optimiser state", e))?;
    }
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);

    let batch = config.batch.min(data.train_len).max(1);
    let steps_per_epoch = data.train_len.div_ceil(batch);
    let total = config.steps_for(data.train_len);
    host.emit(Event::Started { label: config.label.clone(), params, steps_total: total, layers: layers.clone() });

    let mut rng = Rng::new(config.seed.wrapping_add(1));
    let mut aug_rng = Rng::new(config.seed.wrapping_add(2));
    let augment = config.augment.then(|| Augment::for_data(data.kind, data.size));
    let mut order: Vec<usize> = (0..data.train_len).collect();
    let (mut step, mut first_loss, mut last) = (0usize, f32::NAN, None::<StepStats>);
    let mut grad_sum = 0f64;
    // [first, last] weight layer's gradient norm per step, for the robust summaries.
    let mut edges: Vec<Vec<f32>> = Vec::new();
    let start_epoch = resume.map_or(0, |c| c.epoch);
    if let Some(c) = resume {
        // The epochs already run reshuffled the order once each: replay those shuffles.
        for _ in 0..c.epoch {
            rng.shuffle(&mut order);
        }
        aug_rng = Rng::from_state(c.augment_rng);
        (step, first_loss, grad_sum) = (c.step, c.first_loss, c.grad_sum);
        edges = c.edges.iter().map(|e| e.to_vec()).collect();
    }
    let mut last_epoch: Option<EpochStats> = None;
    let mut step_times: Vec<f64> = Vec::new();

    // Feature snapshots: one fixed held-out image (the first training image if none is held out),
    // after each stage, at step 0, at evenly spaced steps and at the end.
    let snapshot_at: Vec<usize> = (0..=config.snapshots + 1).map(|i| i * total / (config.snapshots + 1)).collect();
    let probe = (config.snapshots > 0).then(|| {
        let i = if data.len() > data.train_len { data.train_len } else { 0 };
        to_tensors(data, data.gather(&[i]), &device.clone().inner()).0
    });
    let stage_ends: Vec<usize> = {
        let mut at = 0;
        spec.stages
            .iter()
            .map(|s| {
                at += s.blocks;
                at - 1
            })
            .collect()
    };
    if let Some(x) = &probe {
        host.emit(Event::Snapshot { step: 0, maps: feature_maps(&model, x.clone(), &stage_ends).await? });
    }

    'epochs: for epoch in start_epoch..config.epochs {
        rng.shuffle(&mut order);
        let (mut loss_acc, mut correct_acc, mut seen) = (0f64, 0f64, 0usize);
        for chunk in order.chunks(batch) {
            if step >= total {
                break 'epochs;
            }
            if host.cancelled() {
                return Err(RunError::Cancelled);
            }
            let step_start = host.now_ms();
            let batch_data = match augment {
                Some(a) => data.gather_augmented(chunk, a, &mut aug_rng),
                None => data.gather(chunk),
            };
            let (x, y) = to_tensors(data, batch_data, &ad);
            let logits = model.forward(x); // [b, classes]
            let loss = loss_fn.forward(logits.clone(), y.clone());
            let correct = logits.argmax(1).reshape([chunk.len()]).equal(y).int().sum().float();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let squares = grad_squares(&model, &grads);
            let grads = with_weight_decay(&model, grads, config.weight_decay as f32);
            let lr = config.lr_at(step, steps_per_epoch, total);
            model = optim.step(lr, model, grads);

            // One read for everything this step measured.
            let mut parts = vec![loss.inner().reshape([1]), correct.inner().reshape([1])];
            parts.extend(squares);
            let values = read_floats(Tensor::cat(parts, 0)).await?;
            step_times.push(host.now_ms() - step_start);
            step += 1;
            let loss_v = values[0];
            if !loss_v.is_finite() {
                return Err(RunError::Diverged { step, loss: loss_v });
            }
            let layer_grad_norms: Vec<f32> = values[2..].iter().map(|s| s.sqrt()).collect();
            let grad_norm = values[2..].iter().sum::<f32>().sqrt();
            // Every float that leaves the run must be finite (JSON cannot carry the others).
            if !grad_norm.is_finite() || !values[1].is_finite() {
                return Err(RunError::GradientOverflow { step });
            }
            if step == 1 {
                first_loss = loss_v;
            }
            grad_sum += grad_norm as f64;
            if let (Some(f), Some(l)) = (layer_grad_norms.first(), layer_grad_norms.last()) {
                edges.push(vec![*f, *l]);
            }
            loss_acc += loss_v as f64 * chunk.len() as f64;
            correct_acc += values[1] as f64;
            seen += chunk.len();
            let stats = StepStats {
                step,
                epoch: epoch + 1,
                loss: loss_v,
                accuracy: values[1] / chunk.len() as f32,
                lr,
                grad_norm,
                layer_grad_norms,
                elapsed_ms: host.now_ms() - start,
            };
            host.emit(Event::Step(stats.clone()));
            last = Some(stats);
            if let Some(x) = probe.as_ref().filter(|_| snapshot_at[1..].contains(&step)) {
                host.emit(Event::Snapshot { step, maps: feature_maps(&model, x.clone(), &stage_ends).await? });
            }
            host.yield_now().await;
        }
        let (val_loss, val_accuracy) = evaluate(&model, data, batch, &ad).await?;
        let e = EpochStats {
            epoch: epoch + 1,
            train_loss: (loss_acc / seen.max(1) as f64) as f32,
            train_accuracy: (correct_acc / seen.max(1) as f64) as f32,
            val_loss,
            val_accuracy,
        };
        host.emit(Event::Epoch(e.clone()));
        let every = config.checkpoint_every;
        // burn's records read tensors synchronously, which a GPU in the browser cannot do: there,
        // checkpoints are kept on the CPU backend only (the page says so).
        let can_record = cfg!(not(target_arch = "wasm32")) || *device == Device::flex();
        if every > 0 && can_record && ((epoch + 1) % every == 0 || epoch + 1 == config.epochs) {
            let record = |r: Result<Bytes, burn::store::RecordError>| {
                r.map(|b| super::measure::bytes_to_base64(&b))
                    .map_err(|e| RunError::Backend(format!("cannot record the checkpoint: {e:?}")))
            };
            host.emit(Event::Checkpoint(Box::new(Checkpoint {
                format: CHECKPOINT_FORMAT,
                config: ExperimentConfig { resume: None, ..config.clone() },
                epoch: epoch + 1,
                step,
                val_accuracy: e.val_accuracy,
                augment_rng: aug_rng.state(),
                first_loss,
                grad_sum,
                edges: edges.iter().map(|v| [v[0], v[1]]).collect(),
                model: record(model.clone().into_record().into_bytes())?,
                optimizer: record(optim.into_bytes())?,
            })));
        }
        last_epoch = Some(e);
    }
    // A run capped mid-epoch still reports held-out numbers.
    let (final_val, final_val_loss, final_train_acc) = match &last_epoch {
        Some(e) if step % steps_per_epoch == 0 => (e.val_accuracy, e.val_loss, e.train_accuracy),
        _ => {
            let (loss, acc) = evaluate(&model, data, batch, &ad).await?;
            (acc, loss, last.as_ref().map_or(0.0, |s| s.accuracy))
        }
    };
    let last = last.ok_or_else(|| RunError::Invalid("no training step ran".into()))?;
    let elapsed_ms = host.now_ms() - start;
    let summary = Summary {
        label: config.label.clone(),
        params,
        steps: step,
        first_loss,
        final_loss: last_epoch.as_ref().map_or(last.loss, |e| e.train_loss),
        final_train_accuracy: final_train_acc,
        final_val_accuracy: final_val,
        final_val_loss,
        mean_grad_norm: (grad_sum / step as f64) as f32,
        first_last_ratio_init: first_last_ratio(&edges, When::Init).unwrap_or(0.0),
        first_last_ratio_late: first_last_ratio(&edges, When::Late).unwrap_or(0.0),
        elapsed_ms,
        images_per_sec: (step * batch) as f64 / (elapsed_ms / 1000.0).max(1e-9),
        classes: data.classes,
        macs: model.macs([data.channels, data.size, data.size]),
        step_ms: median(&mut step_times),
        held_out: data.len() - data.train_len,
    };
    // What weighted and gated skips learned, on up to 64 held-out images.
    if matches!(spec.skip, Skip::ChannelWeight | Skip::Attention | Skip::XAttention) && data.len() > data.train_len {
        let idx: Vec<usize> = (data.train_len..data.len()).take(64).collect();
        let (x, _) = to_tensors(data, data.gather(&idx), &device.clone().inner());
        host.emit(Event::Skips(skip_weights(&model.valid(), x).await?));
    }
    if config.per_class && data.len() > data.train_len {
        host.emit(Event::Classes(class_report(&model, data, batch, device).await?));
    }
    host.emit(Event::Done(summary.clone()));
    Ok((summary, model.valid()))
}

/// The trained net's predictions on every held-out image: the confusion matrix and the dozen most
/// confident mistakes (one read per batch).
pub async fn class_report(model: &Net, data: &Dataset, batch: usize, device: &Device) -> Result<ClassReport, RunError> {
    let valid = model.valid();
    let plain = device.clone().inner();
    let idx: Vec<usize> = (data.train_len..data.len()).collect();
    let (mut pairs, mut wrong) = (Vec::with_capacity(idx.len()), Vec::new());
    for chunk in idx.chunks(batch.max(1)) {
        let (x, y) = to_tensors(data, data.gather(chunk), &plain);
        let probs = burn::tensor::activation::softmax(valid.forward(x), 1); // [b, classes]
        let predicted = probs.clone().argmax(1).float().reshape([chunk.len()]);
        let confidence = probs.max_dim(1).reshape([chunk.len()]);
        let v = read_floats(Tensor::cat(vec![predicted, confidence, y.float()], 0)).await?;
        let n = chunk.len();
        for (k, &i) in chunk.iter().enumerate() {
            let (p, c, t) = (v[k] as usize, v[n + k], v[2 * n + k] as usize);
            pairs.push((t, p));
            if p != t {
                wrong.push((c, i, t, p));
            }
        }
    }
    wrong.sort_by(|a, b| b.0.total_cmp(&a.0));
    let misclassified = wrong
        .into_iter()
        .take(12)
        .map(|(confidence, i, label, predicted)| Misclassified { pixels: data.display_pixels(i), label, predicted, confidence })
        .collect();
    Ok(ClassReport {
        class_names: data.class_names.clone(),
        confusion: ClassReport::confusion_of(data.classes, pairs),
        channels: data.channels,
        size: data.size,
        misclassified,
    })
}

/// `g + wd·w` for every parameter with a gradient: what burn's `WeightDecay` computes inside the
/// optimiser (`w.mul_scalar(wd).add(g)`, the same operations in the same order, so runs are
/// unchanged bit for bit).
fn with_weight_decay(model: &Net, grads: GradientsParams, wd: f32) -> GradientsParams {
    struct Decay {
        grads: GradientsParams,
        wd: f32,
    }
    impl ModuleVisitor for Decay {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.grads.remove::<D>(param.id) {
                self.grads.register(param.id, param.val().inner().mul_scalar(self.wd).add(g));
            }
        }
    }
    if wd == 0.0 {
        return grads;
    }
    let mut d = Decay { grads, wd };
    model.visit(&mut d);
    d.grads
}

/// The momentum buffers in burn's optimiser record (burnpack), by parameter id: tensors named
/// `{param id}.….velocity`, little-endian f32.
fn momentum_buffers(bytes: Bytes) -> Result<std::collections::HashMap<u64, Vec<f32>>, String> {
    let reader = burn_pack::Reader::from_bytes(bytes).map_err(|e| format!("{e:?}"))?;
    let mut out = std::collections::HashMap::new();
    for name in reader.tensor_names() {
        if !name.ends_with("velocity") {
            continue;
        }
        let id = name.split('.').next().and_then(|s| s.parse::<u64>().ok()).ok_or_else(|| format!("unexpected entry {name}"))?;
        let raw = reader.tensor_data(name).map_err(|e| format!("{e:?}"))?;
        if raw.len() % 4 != 0 {
            return Err(format!("{name} is not a list of f32"));
        }
        out.insert(id, raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
    }
    Ok(out)
}

/// Puts saved momentum buffers back into a fresh SGD optimiser with one step at rate 0 whose
/// gradients are the buffers: SGD's first step takes its gradient as the velocity, and rate 0
/// leaves every weight as it was. burn's own `load_record` would do this, but it builds the state
/// on burn's default device, which in the browser worker is an uninitialised WebGPU even when the
/// run is on the CPU; this way works on every device, and resumes bit for bit (tests/lab.rs).
fn restore_momentum(
    model: Net,
    optim: &mut burn::optim::ModuleOptimizer,
    velocities: std::collections::HashMap<u64, Vec<f32>>,
    device: &Device,
) -> Result<Net, String> {
    struct Prime<'a> {
        velocities: &'a std::collections::HashMap<u64, Vec<f32>>,
        grads: GradientsParams,
        device: Device,
        used: usize,
        problem: Option<String>,
    }
    impl ModuleVisitor for Prime<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let Some(v) = self.velocities.get(&param.id.val()) else { return };
            let shape = param.lazy_shape();
            if v.len() != shape.num_elements() {
                self.problem = Some(format!("a momentum buffer has {} values for a parameter of {}", v.len(), shape.num_elements()));
                return;
            }
            self.grads.register(param.id, Tensor::<D>::from_data(TensorData::new(v.clone(), shape), &self.device));
            self.used += 1;
        }
    }
    if velocities.is_empty() {
        return Ok(model);
    }
    let mut prime = Prime { velocities: &velocities, grads: GradientsParams::new(), device: device.clone(), used: 0, problem: None };
    model.visit(&mut prime);
    if let Some(p) = prime.problem {
        return Err(p);
    }
    if prime.used != velocities.len() {
        return Err(format!(
            "{} of its {} momentum buffers belong to no parameter of this network",
            velocities.len() - prime.used,
            velocities.len()
        ));
    }
    Ok(optim.step(0.0, model, prime.grads))
}

/// The middle value (0 for none).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// Loss and accuracy on the held-out split, in inference mode (running BN statistics).
pub async fn evaluate(model: &Net, data: &Dataset, batch: usize, device: &Device) -> Result<(f32, f32), RunError> {
    let valid = model.valid();
    let plain = device.clone().inner();
    let loss_fn = CrossEntropyLossConfig::new().init(&plain);
    let idx: Vec<usize> = (data.train_len..data.len()).collect();
    if idx.is_empty() {
        return Ok((f32::NAN, 0.0));
    }
    let mut sums = Vec::new();
    for chunk in idx.chunks(batch) {
        let (x, y) = to_tensors(data, data.gather(chunk), &plain);
        let logits = valid.forward(x);
        let loss = loss_fn.forward(logits.clone(), y.clone()).mul_scalar(chunk.len() as f32);
        let correct = logits.argmax(1).reshape([chunk.len()]).equal(y).int().sum().float();
        sums.push(Tensor::cat(vec![loss.reshape([1]), correct.reshape([1])], 0));
    }
    let v = read_floats(Tensor::stack::<2>(sums, 0).sum_dim(0).reshape([2])).await?;
    Ok((v[0] / idx.len() as f32, v[1] / idx.len() as f32))
}

pub fn to_tensors(data: &Dataset, (pixels, labels): (Vec<f32>, Vec<i64>), device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
    let b = labels.len();
    let x = Tensor::from_data(TensorData::new(pixels, [b, data.channels, data.size, data.size]), device);
    let y = Tensor::from_data(TensorData::new(labels, [b]), device);
    (x, y)
}

/// A host for native use: collects events into a callback, never cancelled, no yielding.
pub struct NativeHost<F: FnMut(&Event)> {
    pub on_event: F,
    start: std::time::Instant,
}

impl<F: FnMut(&Event)> NativeHost<F> {
    pub fn new(on_event: F) -> Self {
        NativeHost { on_event, start: std::time::Instant::now() }
    }
}

impl<F: FnMut(&Event)> Host for NativeHost<F> {
    fn emit(&mut self, event: Event) {
        (self.on_event)(&event)
    }
    fn cancelled(&self) -> bool {
        false
    }
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1000.0
    }
    async fn yield_now(&self) {}
}
