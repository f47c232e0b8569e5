//! Experiments as data: a config in, a stream of [`Event`]s out, a [`Summary`] at the end.

use serde::{Deserialize, Serialize};

use super::data::DataSpec;
use super::model::ModelSpec;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Schedule {
    #[default]
    Constant,
    /// Multiply the rate by `gamma` every `every` epochs (the course's StepLR).
    Step { every: usize, gamma: f64 },
    /// Multiply the rate by `gamma` at each of these epochs (MultiStepLR; the module's ImageNet
    /// recipe decays ×0.1 at 30, 60 and 80).
    Milestones { epochs: Vec<usize>, gamma: f64 },
    /// Cosine annealing from the base rate to 0 over the run.
    Cosine,
}

impl Schedule {
    /// The learning rate at `step` of `total` (`epoch` is the 0-based epoch of that step).
    pub fn lr(&self, base: f64, step: usize, total: usize, epoch: usize) -> f64 {
        match self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / (*every).max(1)) as i32),
            Schedule::Milestones { epochs, gamma } => base * gamma.powi(epochs.iter().filter(|&&m| epoch >= m).count() as i32),
            Schedule::Cosine => base * 0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total.max(1) as f64).cos()),
        }
    }
}

/// What to run. Serialisable: it travels to the worker as JSON and is what `lab train` reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentConfig {
    /// Series name on charts, e.g. "Plain-20".
    pub label: String,
    pub model: ModelSpec,
    pub data: DataSpec,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    #[serde(default)]
    pub weight_decay: f64,
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub seed: u64,
    /// Stop after this many optimiser steps (benchmarks, smoke tests).
    #[serde(default)]
    pub max_steps: Option<usize>,
    /// Random crop (and flip where it keeps the label) on training batches.
    #[serde(default)]
    pub augment: bool,
    /// Feature maps of one held-out image after each stage, taken at initialisation, at this many
    /// evenly spaced steps and at the end ([`Event::Snapshot`]); 0 = none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub snapshots: usize,
    /// Linear warm-up over this many epochs: the rate climbs from base/steps to base, then the
    /// schedule runs over the remaining steps (a cosine anneals over what is left).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub warmup_epochs: usize,
    /// After training: a confusion matrix and misclassified examples on the held-out split ([`Event::Classes`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub per_class: bool,
    /// Emit a [`Checkpoint`] after every this many epochs and after the last (0 = none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub checkpoint_every: usize,
    /// Continue from this checkpoint instead of starting afresh (same net, data, batch and seed;
    /// `epochs` may be more than the checkpoint's run planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Box<Checkpoint>>,
}

/// A run's state after a whole epoch: enough to continue it exactly as if it had not stopped. The
/// net and the optimiser (momentum) are burn's own records (`ModuleRecord` / `OptimizerRecord`
/// bytes, base64 here so the checkpoint is one JSON file); the data order is replayed from the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Bumped when the layout changes; a checkpoint of another format is refused.
    pub format: u32,
    /// The run it belongs to (without `resume`).
    pub config: ExperimentConfig,
    /// Epochs completed and optimiser steps taken.
    pub epoch: usize,
    pub step: usize,
    pub val_accuracy: f32,
    /// The augmentation generator's state (the shuffle generator is replayed from the seed).
    pub augment_rng: u64,
    /// What the summary accumulates over the whole run.
    pub first_loss: f32,
    pub grad_sum: f64,
    /// [first, last] weight layer's gradient norm per step so far.
    pub edges: Vec<[f32; 2]>,
    pub model: String,
    pub optimizer: String,
}

pub const CHECKPOINT_FORMAT: u32 = 1;

impl Checkpoint {
    /// Why `config` cannot continue from this checkpoint, if it cannot.
    pub fn mismatch(&self, config: &ExperimentConfig) -> Option<String> {
        if self.format != CHECKPOINT_FORMAT {
            return Some(format!("this checkpoint has format {}, this lab reads format {CHECKPOINT_FORMAT}", self.format));
        }
        let c = &self.config;
        let same = c.model == config.model
            && c.data == config.data
            && c.batch == config.batch
            && c.seed == config.seed
            && c.augment == config.augment
            && c.momentum == config.momentum;
        if !same {
            return Some(format!(
                "the checkpoint is of {} ({} samples, batch {}, seed {}); this run is {} ({} samples, batch {}, seed {}): only the epochs, the rate and its schedule may change",
                c.label, c.data.samples, c.batch, c.seed, config.label, config.data.samples, config.batch, config.seed
            ));
        }
        (self.epoch >= config.epochs)
            .then(|| format!("the checkpoint is after epoch {}: ask for more epochs than that to continue", self.epoch))
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The most image data (as f32) one run may hold: a browser tab has a few GB at most.
pub const MAX_DATA_BYTES: u64 = 1 << 30;

/// What one run may need in the browser (a wasm32 worker addresses 4 GB at most, and the allocator and
/// the backend need room of their own): checked by the page before it sends a run and by the worker.
pub const BROWSER_MEMORY_LIMIT: u64 = 2 << 30;

fn default_momentum() -> f64 {
    0.9
}

impl ExperimentConfig {
    /// The learning rate of 0-based optimiser `step` when an epoch has `steps_per_epoch` steps and
    /// the run `total`: the warm-up first, then the schedule.
    pub fn lr_at(&self, step: usize, steps_per_epoch: usize, total: usize) -> f64 {
        let warm = (self.warmup_epochs * steps_per_epoch).min(total);
        if step < warm {
            return self.lr * (step + 1) as f64 / warm as f64;
        }
        let epoch = step / steps_per_epoch.max(1);
        match self.schedule {
            // Anneal over the steps after the warm-up.
            Schedule::Cosine => self.schedule.lr(self.lr, step - warm, total - warm, epoch),
            _ => self.schedule.lr(self.lr, step, total, epoch),
        }
    }

    /// The rate at every step of the run over `train_len` training samples (the page's preview).
    pub fn lr_curve(&self, train_len: usize) -> Vec<f64> {
        let per_epoch = train_len.div_ceil(self.batch.clamp(1, train_len.max(1))).max(1);
        let total = self.steps_for(train_len);
        (0..total).map(|s| self.lr_at(s, per_epoch, total)).collect()
    }

    /// Optimiser steps this run will take (what progress bars and ETAs count).
    pub fn steps_total(&self) -> usize {
        self.steps_for(self.data.train_len())
    }

    /// Optimiser steps over `train_len` training samples.
    pub fn steps_for(&self, train_len: usize) -> usize {
        let per_epoch = train_len.div_ceil(self.batch.clamp(1, train_len.max(1)));
        (per_epoch * self.epochs).min(self.max_steps.unwrap_or(usize::MAX))
    }

    /// Checks the values a run cannot start with; the message says what is accepted.
    pub fn validate(&self) -> Result<(), String> {
        self.model.clone().checked()?;
        let d = &self.data;
        if d.samples < 2 || d.samples > 200_000 {
            return Err(format!("samples must be 2..=200000, got {}", d.samples));
        }
        if let Some((c, s, k)) = d.kind.fixed_shape() {
            if (d.channels, d.size, d.classes) != (c, s, k) {
                return Err(format!("{} images are {c}×{s}×{s} with {k} classes", d.kind.title()));
            }
        }
        // Labels are bytes: more than 256 classes would wrap around silently.
        if !(4..=256).contains(&d.size) || !(1..=4).contains(&d.channels) || !(2..=256).contains(&d.classes) {
            return Err(format!("data: size 4..=256, channels 1..=4, classes 2..=256, got {}, {}, {}", d.size, d.channels, d.classes));
        }
        let bytes = 4 * d.samples as u64 * (d.channels * d.size * d.size) as u64;
        if bytes > MAX_DATA_BYTES {
            return Err(format!(
                "data: {} images of {}×{}×{} take {:.1} GB as floats; the lab holds at most {} GB of images",
                d.samples,
                d.channels,
                d.size,
                d.size,
                bytes as f64 / 1e9,
                MAX_DATA_BYTES >> 30
            ));
        }
        if self.epochs == 0 || self.epochs > 1000 {
            return Err(format!("epochs must be 1..=1000, got {}", self.epochs));
        }
        if self.snapshots > 20 {
            return Err(format!("snapshots must be 0..=20, got {}", self.snapshots));
        }
        if self.warmup_epochs > 0 && self.warmup_epochs >= self.epochs {
            return Err(format!("the warm-up ({} epochs) must be shorter than the run ({} epochs)", self.warmup_epochs, self.epochs));
        }
        match &self.schedule {
            Schedule::Step { every: 0, .. } => return Err("a step schedule needs a step of at least 1 epoch".into()),
            Schedule::Step { gamma, .. } | Schedule::Milestones { gamma, .. } if !(*gamma > 0.0 && *gamma <= 1.0) => {
                return Err(format!("the decay factor γ must be in (0, 1], got {gamma}"));
            }
            Schedule::Milestones { epochs, .. } if epochs.len() > 10 || epochs.windows(2).any(|w| w[0] >= w[1]) => {
                return Err("milestones must be at most 10 epochs, in increasing order".into());
            }
            _ => {}
        }
        if self.batch == 0 || self.batch > 4096 {
            return Err(format!("batch must be 1..=4096, got {}", self.batch));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!("learning rate must be a positive number, got {}", self.lr));
        }
        Ok(())
    }
}

impl ExperimentConfig {
    /// One epoch of `model` on `data`, labelled with the model's name: batch 32, SGD at 0.05 with
    /// momentum 0.9, no weight decay, constant rate, seed 1, nothing extra measured or kept. Callers
    /// change what they need with `..ExperimentConfig::new(model, data)`.
    pub fn new(model: ModelSpec, data: DataSpec) -> ExperimentConfig {
        ExperimentConfig {
            label: model.label(),
            model,
            data,
            epochs: 1,
            batch: 32,
            lr: 0.05,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            seed: 1,
            max_steps: None,
            augment: false,
            snapshots: 0,
            warmup_epochs: 0,
            per_class: false,
            checkpoint_every: 0,
            resume: None,
        }
    }

    /// A valid small run for tests to start from (`..ExperimentConfig::tiny_for_test()`).
    #[cfg(test)]
    pub fn tiny_for_test() -> ExperimentConfig {
        ExperimentConfig {
            label: "test".into(),
            batch: 8,
            ..ExperimentConfig::new(
                ModelSpec::new(crate::lab::model::Family::Cifar, 8, crate::lab::model::Skip::Identity).with_width(4),
                DataSpec { kind: crate::lab::data::DataKind::Gratings, samples: 40, size: 8, channels: 1, classes: 10 },
            )
        }
    }

    /// Bytes one training step needs, estimated from the plan ([`crate::lab::model::NetSpec::memory`]:
    /// weights, gradients, momentum and the activations of a batch) plus the images held as floats.
    pub fn memory_estimate(&self) -> (crate::lab::model::spec::MemoryEstimate, u64) {
        let d = &self.data;
        let spec = self.model.resolve(d.channels, d.classes);
        let batch = self.batch.min(d.train_len().max(1));
        (spec.memory(batch, d.size), 4 * d.samples as u64 * (d.channels * d.size * d.size) as u64)
    }

    /// Refuses a run whose estimate exceeds `limit` bytes, before anything is allocated; the message
    /// gives the estimate, its parts and the limit.
    pub fn check_memory(&self, limit: u64) -> Result<(), String> {
        let (m, data) = self.memory_estimate();
        let total = m.total() + data;
        if total <= limit {
            return Ok(());
        }
        let gb = |b: u64| b as f64 / (1u64 << 30) as f64;
        Err(format!(
            "{} needs about {:.1} GB for a training step (weights, gradients and momentum {:.2} GB, activations of a batch of {} {:.1} GB, images {:.2} GB); this tab allows {:.0} GB. Use a smaller batch or image size, or a narrower or shallower net.",
            self.label,
            gb(total),
            gb(m.params_bytes),
            self.batch.min(self.data.train_len().max(1)),
            gb(m.activation_bytes),
            gb(data),
            gb(limit)
        ))
    }
}

/// One optimiser step's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// 1-based.
    pub step: usize,
    pub epoch: usize,
    pub loss: f32,
    /// Fraction of the batch classified correctly.
    pub accuracy: f32,
    pub lr: f64,
    /// Global L2 norm of all weight-layer gradients.
    pub grad_norm: f32,
    /// L2 norm of each weight layer's gradient, in [`Event::Started`]'s `layers` order.
    pub layer_grad_norms: Vec<f32>,
    pub elapsed_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: usize,
    pub train_loss: f32,
    pub train_accuracy: f32,
    /// NaN when nothing is held out (JSON: null).
    #[serde(with = "nan_as_null")]
    pub val_loss: f32,
    pub val_accuracy: f32,
}

/// JSON has no NaN: serde_json writes it as `null`, which would not read back as an f32 and would
/// drop the whole message. Fields that may be NaN on purpose go through this.
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f32(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
        Ok(Option::<f32>::deserialize(d)?.unwrap_or(f32::NAN))
    }
}

fn nan() -> f32 {
    f32::NAN
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub label: String,
    pub params: usize,
    pub steps: usize,
    pub first_loss: f32,
    pub final_loss: f32,
    pub final_train_accuracy: f32,
    pub final_val_accuracy: f32,
    /// Held-out loss at the end (NaN when nothing was held out).
    #[serde(default = "nan", with = "nan_as_null")]
    pub final_val_loss: f32,
    pub mean_grad_norm: f32,
    /// First weight layer's gradient norm over the last layer's at step 1 (the freshly initialised net).
    pub first_last_ratio_init: f32,
    /// The same ratio late in the run: the first and the last layer's medians over the last half of
    /// the steps ([`super::gradients`]), so one exploding step cannot dominate it.
    pub first_last_ratio_late: f32,
    pub elapsed_ms: f64,
    pub images_per_sec: f64,
    /// Classes of the data: guessing scores ln(classes) loss and 1/classes accuracy.
    #[serde(default)]
    pub classes: usize,
    /// Multiply-adds of one forward pass of one image at the data's size (the built net's convs and classifier).
    #[serde(default)]
    pub macs: u64,
    /// Median wall time of one training step (forward, backward, update and its one read), without
    /// evaluation: the median leaves out the first steps' warm-up (shader compilation on a GPU).
    #[serde(default)]
    pub step_ms: f64,
    /// Images the held-out accuracy was measured on (its noise depends on it).
    #[serde(default)]
    pub held_out: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Started {
        label: String,
        params: usize,
        steps_total: usize,
        layers: Vec<String>,
    },
    Step(StepStats),
    Epoch(EpochStats),
    Done(Summary),
    /// After the last step of a net with weighted or gated skips: what they learned.
    Skips(super::report::SkipWeights),
    /// What one fixed held-out image looks like after each stage at optimiser step `step` (0 = at
    /// initialisation), when the config asks for snapshots.
    Snapshot {
        step: usize,
        maps: Vec<super::report::FeatureMaps>,
    },
    /// After the last step of a run that asked for it: per-class results on the held-out split.
    Classes(super::report::ClassReport),
    /// After every `checkpoint_every` epochs and the last: the state to continue from.
    Checkpoint(Box<Checkpoint>),
    Failed {
        reason: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RunError {
    Cancelled,
    /// The loss became NaN or infinite at this step.
    Diverged {
        step: usize,
        loss: f32,
    },
    /// The loss was finite but a gradient norm was not (it overflowed) at this step.
    GradientOverflow {
        step: usize,
    },
    Invalid(String),
    /// The backend failed (out of memory, device lost…).
    Backend(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Cancelled => write!(f, "cancelled"),
            RunError::Diverged { step, loss } => {
                write!(f, "training diverged: the loss became {loss} at step {step}; try a smaller learning rate")
            }
            RunError::GradientOverflow { step } => {
                write!(f, "training diverged: a gradient became infinite or NaN at step {step}; try a smaller learning rate")
            }
            RunError::Invalid(m) => write!(f, "invalid experiment: {m}"),
            RunError::Backend(m) => write!(f, "the compute backend failed: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::data::{DataKind, DataSpec};
    use crate::lab::model::{Family, ModelSpec, Skip};

    #[test]
    fn warm_up_then_schedules_hit_their_documented_values() {
        // 125 samples → 100 training images, batch 10: 10 steps per epoch, 10 epochs = 100 steps.
        let mut c = ExperimentConfig {
            data: DataSpec { kind: DataKind::Gratings, samples: 125, size: 8, channels: 1, classes: 10 },
            epochs: 10,
            batch: 10,
            lr: 0.1,
            warmup_epochs: 2,
            schedule: Schedule::Cosine,
            ..ExperimentConfig::tiny_for_test()
        };
        c.validate().unwrap();
        let lr = c.lr_curve(100);
        assert_eq!(lr.len(), 100);
        let near = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Linear warm-up over 20 steps: 0.1/20 at the first step, the base rate at the 20th.
        assert!(near(lr[0], 0.005) && near(lr[9], 0.05) && near(lr[19], 0.1), "{:?}", &lr[..20]);
        // Then the cosine anneals over the 80 steps left: the base rate, half of it 40 steps on.
        assert!(near(lr[20], 0.1) && near(lr[60], 0.05), "{} {}", lr[20], lr[60]);
        assert!(lr[99] < 0.001 && lr[99] > 0.0);
        // Milestones at epochs 3 and 6, γ = 0.1, after the same warm-up.
        c.schedule = Schedule::Milestones { epochs: vec![3, 6], gamma: 0.1 };
        let lr = c.lr_curve(100);
        assert!(near(lr[29], 0.1) && near(lr[30], 0.01) && near(lr[59], 0.01) && near(lr[60], 0.001));
        // Without warm-up the step schedule starts at the base rate.
        c.warmup_epochs = 0;
        c.schedule = Schedule::Step { every: 5, gamma: 0.5 };
        let lr = c.lr_curve(100);
        assert!(near(lr[0], 0.1) && near(lr[49], 0.1) && near(lr[50], 0.05));
        // Impossible combinations say why.
        c.warmup_epochs = 10;
        assert!(c.validate().unwrap_err().contains("warm-up"));
        c.warmup_epochs = 0;
        c.schedule = Schedule::Milestones { epochs: vec![6, 3], gamma: 0.1 };
        assert!(c.validate().unwrap_err().contains("increasing"));
    }

    #[test]
    fn runs_too_big_for_a_tab_are_refused_with_the_numbers() {
        let mut c = ExperimentConfig {
            label: "Plain-60".into(),
            model: ModelSpec::new(Family::Stack, 60, Skip::None).with_width(64),
            data: DataSpec { kind: DataKind::Gratings, samples: 5000, size: 32, channels: 1, classes: 10 },
            batch: 256,
            lr: 0.1,
            ..ExperimentConfig::tiny_for_test()
        };
        let e = c.check_memory(BROWSER_MEMORY_LIMIT).unwrap_err();
        assert!(
            e.starts_with("Plain-60 needs about") && e.contains("activations of a batch of 256") && e.contains("this tab allows 2 GB"),
            "{e}"
        );
        // The estimate is the plan's, plus the images.
        let (m, data) = c.memory_estimate();
        assert_eq!(m, c.model.resolve(1, 10).memory(256, 32));
        assert_eq!(data, 4 * 5000 * 32 * 32);
        c.batch = 4;
        c.model.width = 4;
        c.check_memory(BROWSER_MEMORY_LIMIT).unwrap();
    }

    #[test]
    fn schedules() {
        assert_eq!(Schedule::Constant.lr(0.1, 50, 100, 3), 0.1);
        let step = Schedule::Step { every: 5, gamma: 0.1 };
        assert_eq!(step.lr(0.1, 0, 100, 4), 0.1);
        assert!((step.lr(0.1, 0, 100, 5) - 0.01).abs() < 1e-12);
        assert!((step.lr(0.1, 0, 100, 12) - 0.001).abs() < 1e-12);
        assert_eq!(Schedule::Cosine.lr(0.1, 0, 100, 0), 0.1);
        assert!((Schedule::Cosine.lr(0.1, 50, 100, 0) - 0.05).abs() < 1e-12);
        assert!(Schedule::Cosine.lr(0.1, 100, 100, 0).abs() < 1e-12);
    }
}
