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
}

pub const SAMPLES_MAX: usize = 20_000;
pub const LR_CHOICES: [&str; 8] = ["0.001", "0.003", "0.01", "0.02", "0.05", "0.1", "0.3", "1"];

impl Training {
    /// Reads the shared keys; `d` gives the page's defaults.
    pub fn from_query(q: &mut Query, d: &Training) -> Training {
        Training {
            data: q.choice("data", d.data, DataKind::parse, &super::data::accepted_kinds()),
            samples: q.int("samples", d.samples, 40, SAMPLES_MAX),
            size: q.int("size", d.size, 8, 32),
            epochs: q.int("epochs", d.epochs, 1, 50),
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
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("data", self.data.name().into()),
            ("samples", self.samples.to_string()),
            ("size", self.size.to_string()),
            ("epochs", self.epochs.to_string()),
            ("batch", self.batch.to_string()),
            ("lr", self.lr.to_string()),
            ("augment", if self.augment { "on" } else { "off" }.into()),
            ("seed", self.seed.to_string()),
        ]
    }

    pub fn data_spec(&self) -> DataSpec {
        DataSpec { kind: self.data, samples: self.samples, size: self.size, channels: 3, classes: 10 }.normalised()
    }

    /// A run of `model` with these settings (SGD, momentum 0.9, constant rate).
    pub fn config(&self, model: ModelSpec) -> ExperimentConfig {
        ExperimentConfig {
            label: model.label(),
            model,
            data: self.data_spec(),
            epochs: self.epochs,
            batch: self.batch,
            lr: self.lr,
            momentum: 0.9,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            seed: self.seed,
            max_steps: None,
            augment: self.augment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::model::{Family, Skip};

    #[test]
    fn shared_keys_round_trip_and_clamp() {
        let d = Training { data: DataKind::Gratings, samples: 400, size: 16, epochs: 5, batch: 32, lr: 0.02, augment: false, seed: 42 };
        let t = Training { data: DataKind::FashionMnist, augment: true, lr: 0.05, ..d.clone() };
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
