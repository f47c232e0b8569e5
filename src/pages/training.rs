//! The data and optimiser settings every training page shares: their URL form and the configs they
//! fill in. A page embeds [`Training`] and adds its own model settings.

use super::query::Query;
use crate::lab::data::{DataKind, DataSpec};
use crate::lab::experiment::{ExperimentConfig, Schedule};
use crate::lab::model::ModelSpec;

#[derive(Clone, Debug, PartialEq)]
pub struct Training {
    pub data: DataKind,
    /// Samples drawn (a fifth held out).
    pub samples: usize,
    /// Image side of synthetic sets; real sets bring their own.
    pub size: usize,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    pub augment: bool,
    pub seed: u64,
    /// SGD momentum (0 = plain SGD).
    pub momentum: f64,
    /// L2 weight decay added to every gradient.
    pub weight_decay: f64,
    /// Constant, ×γ every k epochs (the course's StepLR), ×γ at milestones, or cosine.
    pub schedule: Schedule,
    /// Linear warm-up epochs before the schedule (0 = none).
    pub warmup_epochs: usize,
}

impl Default for Training {
    /// Gratings at 16 px, 5 epochs, SGD with momentum 0.9 at a constant rate: seconds on any machine.
    fn default() -> Self {
        Training {
            data: DataKind::Gratings,
            samples: 400,
            size: 16,
            epochs: 5,
            batch: 32,
            lr: 0.02,
            augment: false,
            seed: 42,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            warmup_epochs: 0,
        }
    }
}

pub const SAMPLES_MAX: usize = 20_000;
pub const EPOCHS_MAX: usize = 50;
pub const LR_CHOICES: [&str; 8] = ["0.001", "0.003", "0.01", "0.02", "0.05", "0.1", "0.3", "1"];
pub const MOMENTUM_CHOICES: [&str; 5] = ["0", "0.5", "0.8", "0.9", "0.95"];
pub const WD_CHOICES: [&str; 5] = ["0", "0.00001", "0.0001", "0.0005", "0.001"];
pub const GAMMA_CHOICES: [&str; 4] = ["0.1", "0.2", "0.5", "0.9"];

impl Training {
    /// Reads the shared keys; `d` gives the page's defaults.
    pub fn from_query(q: &mut Query, d: &Training) -> Training {
        Training::from_query_within(q, d, SAMPLES_MAX, EPOCHS_MAX)
    }

    /// [`Training::from_query`] with a page's own caps on samples and epochs (the pipeline's long runs).
    pub fn from_query_within(q: &mut Query, d: &Training, samples_max: usize, epochs_max: usize) -> Training {
        Training {
            data: q.choice("data", d.data, DataKind::parse, &super::data::accepted_kinds()),
            samples: q.int("samples", d.samples, 40, samples_max),
            size: q.int("size", d.size, 8, 32),
            epochs: q.int("epochs", d.epochs, 1, epochs_max),
            batch: q.int("batch", d.batch, 4, 256),
            lr: q.float("lr", d.lr, 1e-4, 1.0),
            augment: q.choice(
                "augment",
                d.augment,
                |s| match s {
                    "1" | "on" | "true" => Some(true),
                    "0" | "off" | "false" => Some(false),
                    _ => None,
                },
                "on, off",
            ),
            seed: q.int("seed", d.seed as usize, 0, 1_000_000) as u64,
            momentum: q.float("momentum", d.momentum, 0.0, 0.99),
            weight_decay: q.float("wd", d.weight_decay, 0.0, 0.1),
            schedule: read_schedule(q, &d.schedule),
            warmup_epochs: q.int("warmup", d.warmup_epochs, 0, 50),
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("data", self.data.name().into()),
            ("samples", self.samples.to_string()),
            ("size", self.size.to_string()),
            ("epochs", self.epochs.to_string()),
            ("batch", self.batch.to_string()),
            ("lr", self.lr.to_string()),
            ("augment", if self.augment { "on" } else { "off" }.into()),
            ("seed", self.seed.to_string()),
            ("momentum", self.momentum.to_string()),
            ("wd", self.weight_decay.to_string()),
        ];
        match &self.schedule {
            Schedule::Constant => pairs.push(("schedule", "constant".into())),
            Schedule::Cosine => pairs.push(("schedule", "cosine".into())),
            Schedule::Step { every, gamma } => {
                pairs.extend([("schedule", "step".into()), ("step_every", every.to_string()), ("gamma", gamma.to_string())])
            }
            Schedule::Milestones { epochs, gamma } => pairs.extend([
                ("schedule", "milestones".into()),
                ("milestones", epochs.iter().map(usize::to_string).collect::<Vec<_>>().join("_")),
                ("gamma", gamma.to_string()),
            ]),
        }
        // Only when set: every other page's URL stays as it was.
        if self.warmup_epochs > 0 {
            pairs.push(("warmup", self.warmup_epochs.to_string()));
        }
        pairs
    }

    /// Optimiser steps in one epoch over the training part of the data.
    pub fn steps_per_epoch(&self) -> usize {
        let d = self.data_spec();
        d.train_len().div_ceil(self.batch.clamp(1, d.train_len().max(1))).max(1)
    }

    pub fn data_spec(&self) -> DataSpec {
        DataSpec { kind: self.data, samples: self.samples, size: self.size, channels: 3, classes: 10 }.normalised()
    }

    /// A run of `model` for exactly `steps` steps (as many epochs as that takes): the sweeps' short runs.
    pub fn config_for_steps(&self, model: ModelSpec, steps: usize) -> ExperimentConfig {
        let epochs = self.epochs.max(steps.div_ceil(self.steps_per_epoch()));
        ExperimentConfig { epochs, max_steps: Some(steps), ..self.config(model) }
    }

    /// A run of `model` with these settings.
    pub fn config(&self, model: ModelSpec) -> ExperimentConfig {
        ExperimentConfig {
            epochs: self.epochs,
            batch: self.batch,
            lr: self.lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            schedule: self.schedule.clone(),
            seed: self.seed,
            augment: self.augment,
            warmup_epochs: self.warmup_epochs,
            ..ExperimentConfig::new(model, self.data_spec())
        }
    }
}

/// `schedule=constant|step|milestones|cosine`, with `step_every` (epochs) and `gamma` for the step
/// schedule, `milestones=30_60_80` and `gamma` for milestones.
fn read_schedule(q: &mut Query, d: &Schedule) -> Schedule {
    let (d_every, d_gamma, d_milestones) = match d {
        Schedule::Step { every, gamma } => (*every, *gamma, vec![]),
        Schedule::Milestones { epochs, gamma } => (5, *gamma, epochs.clone()),
        _ => (5, 0.1, vec![]),
    };
    let kinds = ["constant", "step", "cosine", "milestones"];
    let kind = q.choice(
        "schedule",
        match d {
            Schedule::Constant => 0,
            Schedule::Step { .. } => 1,
            Schedule::Cosine => 2,
            Schedule::Milestones { .. } => 3,
        },
        |s| kinds.iter().position(|k| *k == s),
        &kinds.join(", "),
    );
    match kind {
        1 => Schedule::Step { every: q.int("step_every", d_every, 1, 50), gamma: q.float("gamma", d_gamma, 0.01, 1.0) },
        2 => Schedule::Cosine,
        3 => {
            let epochs = match q.raw("milestones").map(str::to_string) {
                None => d_milestones,
                Some(raw) => {
                    let mut parsed: Vec<usize> = raw.split('_').filter_map(|m| m.parse().ok()).filter(|m| (1..=1000).contains(m)).collect();
                    parsed.sort_unstable();
                    parsed.dedup();
                    parsed.truncate(10);
                    if parsed.len() != raw.split('_').count() {
                        q.notes.push(format!(
                            "milestones: '{raw}' should be increasing epochs 1..=1000 joined by _, at most 10; using {parsed:?}"
                        ));
                    }
                    parsed
                }
            };
            Schedule::Milestones { epochs, gamma: q.float("gamma", d_gamma, 0.01, 1.0) }
        }
        _ => Schedule::Constant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::model::{Family, Skip};

    #[test]
    fn shared_keys_round_trip_and_clamp() {
        let d = Training::default();
        let t = Training {
            data: DataKind::FashionMnist,
            augment: true,
            lr: 0.05,
            momentum: 0.5,
            weight_decay: 5e-4,
            schedule: Schedule::Step { every: 3, gamma: 0.5 },
            warmup_epochs: 2,
            ..d.clone()
        };
        let q = super::super::query::encode_pairs(&t.pairs());
        assert_eq!(Training::from_query(&mut Query::parse(&q), &d), t);
        let mut q = Query::parse("samples=9&augment=maybe");
        let back = Training::from_query(&mut q, &d);
        assert_eq!((back.samples, back.augment), (40, false));
        assert_eq!(q.notes.len(), 2);
        let c = t.config(ModelSpec::new(Family::Cifar, 20, Skip::Identity));
        assert_eq!((c.data.channels, c.data.size, c.augment), (1, 28, true));
        c.validate().unwrap();
    }
}
