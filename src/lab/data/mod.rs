//! Datasets as plain vectors in memory: normalised f32 images `[n, c, h, w]` and u8 labels.

pub mod synthetic;

use serde::{Deserialize, Serialize};

use super::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// N(0, 1) pixels, uniformly random labels: nothing to learn but memorisation (notebook Part 1).
    RandomLabels,
    /// Oriented sine gratings, one orientation per class, with random phase, frequency and noise:
    /// learnable, so a loss visibly falls in seconds.
    Gratings,
}

impl DataKind {
    pub const ALL: [DataKind; 2] = [DataKind::Gratings, DataKind::RandomLabels];

    pub fn name(self) -> &'static str {
        match self {
            DataKind::RandomLabels => "random",
            DataKind::Gratings => "gratings",
        }
    }

    pub fn parse(s: &str) -> Option<DataKind> {
        DataKind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// What data to make: serialisable, part of an experiment config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    pub kind: DataKind,
    /// Total samples; a fifth is held out for validation.
    pub samples: usize,
    /// Square image side.
    pub size: usize,
    pub channels: usize,
    pub classes: usize,
}

impl DataSpec {
    /// Samples used for training; the rest (a fifth, at least one) validate.
    pub fn train_len(&self) -> usize {
        self.samples - (self.samples / 5).max(1).min(self.samples.saturating_sub(1))
    }
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub channels: usize,
    pub size: usize,
    pub classes: usize,
    /// `[n, c, size, size]`, normalised.
    pub images: Vec<f32>,
    pub labels: Vec<u8>,
    /// The first `train_len` samples train; the rest validate.
    pub train_len: usize,
}

impl Dataset {
    pub fn generate(spec: &DataSpec, seed: u64) -> Dataset {
        let mut rng = Rng::new(seed ^ 0xDA7A);
        let (images, labels) = match spec.kind {
            DataKind::RandomLabels => synthetic::random_labels(spec, &mut rng),
            DataKind::Gratings => synthetic::gratings(spec, &mut rng),
        };
        Dataset {
            channels: spec.channels,
            size: spec.size,
            classes: spec.classes,
            images,
            labels,
            train_len: spec.train_len(),
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image_len(&self) -> usize {
        self.channels * self.size * self.size
    }

    /// Copies the samples at `idx` into one batch: (pixels `[b, c, h, w]`, labels `[b]`).
    pub fn gather(&self, idx: &[usize]) -> (Vec<f32>, Vec<i64>) {
        let n = self.image_len();
        let mut pixels = Vec::with_capacity(idx.len() * n);
        for &i in idx {
            pixels.extend_from_slice(&self.images[i * n..(i + 1) * n]);
        }
        (pixels, idx.iter().map(|&i| self.labels[i] as i64).collect())
    }
}
