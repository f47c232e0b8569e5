//! Datasets in memory: images `[n, c, h, w]` (synthetic ones generated, real ones drawn from a
//! loaded [`Corpus`]) and u8 labels, normalised as batches are gathered.

pub mod corpus;
pub mod formats;
pub mod synthetic;

pub use corpus::{Corpus, Split};

use serde::{Deserialize, Serialize};

use super::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// N(0, 1) pixels, uniformly random labels: nothing to learn but memorisation (notebook Part 1).
    RandomLabels,
    /// Oriented sine gratings, one orientation per class, with random phase, frequency and noise:
    /// learnable, so a loss visibly falls in seconds.
    Gratings,
    /// Zalando's Fashion-MNIST (28×28 grey, 10 classes), shipped with the site.
    FashionMnist,
    /// CIFAR-10 (32×32 colour, 10 classes) from the user's files.
    Cifar10,
}

impl DataKind {
    pub const ALL: [DataKind; 4] = [DataKind::Gratings, DataKind::RandomLabels, DataKind::FashionMnist, DataKind::Cifar10];

    pub fn name(self) -> &'static str {
        match self {
            DataKind::RandomLabels => "random",
            DataKind::Gratings => "gratings",
            DataKind::FashionMnist => "fashion",
            DataKind::Cifar10 => "cifar10",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DataKind::RandomLabels => "Random images, random labels",
            DataKind::Gratings => "Gratings (synthetic, 10 orientations)",
            DataKind::FashionMnist => "Fashion-MNIST (28×28 grey, real)",
            DataKind::Cifar10 => "CIFAR-10 (32×32 colour, your files)",
        }
    }

    pub fn parse(s: &str) -> Option<DataKind> {
        DataKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Real sets come from files; their shape is theirs, not a setting.
    pub fn is_real(self) -> bool {
        self.fixed_shape().is_some()
    }

    /// (channels, size, classes) of a real set.
    pub fn fixed_shape(self) -> Option<(usize, usize, usize)> {
        match self {
            DataKind::FashionMnist => Some((1, 28, 10)),
            DataKind::Cifar10 => Some((3, 32, 10)),
            _ => None,
        }
    }

    /// Whether a horizontal flip keeps the label: not for gratings (a flip turns the orientation
    /// into another class) nor digit/text-like sets; yes for photos and clothes.
    pub fn flip_keeps_label(self) -> bool {
        matches!(self, DataKind::FashionMnist | DataKind::Cifar10)
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

    /// A synthetic spec within the limits generation accepts (the Data page's preview).
    pub fn checked_synthetic(self) -> Result<DataSpec, String> {
        if self.kind.is_real() {
            return Err(format!("{} is loaded, not generated", self.kind.title()));
        }
        if !(2..=200_000).contains(&self.samples)
            || !(4..=256).contains(&self.size)
            || !(1..=4).contains(&self.channels)
            || !(2..=1000).contains(&self.classes)
        {
            return Err("data: samples 2..=200000, size 4..=256, channels 1..=4, classes 2..=1000".into());
        }
        Ok(self)
    }

    /// Class names of a generated set: gratings by angle, random labels by number.
    pub fn synthetic_class_names(&self) -> Vec<String> {
        match self.kind {
            DataKind::Gratings => (0..self.classes).map(|k| format!("{}°", k * 180 / self.classes)).collect(),
            _ => (0..self.classes).map(|k| format!("class {k}")).collect(),
        }
    }

    /// The spec with a real set's fixed shape filled in.
    pub fn normalised(mut self) -> DataSpec {
        if let Some((c, s, k)) = self.kind.fixed_shape() {
            (self.channels, self.size, self.classes) = (c, s, k);
        }
        self
    }
}

/// Pixel storage: synthetic sets are made as floats; real sets keep their bytes (a quarter of the
/// memory) and are normalised per channel as batches are gathered.
#[derive(Clone, Debug)]
pub enum Pixels {
    F32(Vec<f32>),
    U8 { data: Vec<u8>, mean: Vec<f32>, std: Vec<f32> },
}

/// One image's bytes `[c, plane]` scaled to 0..1 and normalised with its set's per-channel statistics.
pub fn normalise<'a>(bytes: &'a [u8], mean: &'a [f32], std: &'a [f32], plane: usize) -> impl Iterator<Item = f32> + 'a {
    bytes.iter().enumerate().map(move |(k, &p)| (p as f32 / 255.0 - mean[k / plane]) / std[k / plane])
}

/// Training-time augmentation as in the course's pipeline: random crop after zero padding (zero is the
/// channel mean once normalised) and, where it keeps the label, a horizontal flip.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Augment {
    pub pad: usize,
    pub flip: bool,
}

impl Augment {
    /// The course pads 4 pixels on 32×32 images; the same fraction for other sizes.
    pub fn for_data(kind: DataKind, size: usize) -> Augment {
        Augment { pad: (size / 8).max(1), flip: kind.flip_keeps_label() }
    }
}

#[derive(Clone, Debug)]
pub struct Dataset {
    pub kind: DataKind,
    pub channels: usize,
    pub size: usize,
    pub classes: usize,
    pub pixels: Pixels,
    pub labels: Vec<u8>,
    /// The first `train_len` samples train; the rest validate.
    pub train_len: usize,
    pub class_names: Vec<String>,
}

impl Dataset {
    /// A synthetic set; real kinds need [`Dataset::from_corpus`].
    pub fn generate(spec: &DataSpec, seed: u64) -> Dataset {
        let mut rng = Rng::new(seed ^ 0xDA7A);
        let (images, labels) = match spec.kind {
            DataKind::RandomLabels => synthetic::random_labels(spec, &mut rng),
            DataKind::Gratings => synthetic::gratings(spec, &mut rng),
            DataKind::FashionMnist | DataKind::Cifar10 => panic!("{} is loaded from files, not generated", spec.kind.name()),
        };
        let class_names = spec.synthetic_class_names();
        Dataset {
            kind: spec.kind,
            channels: spec.channels,
            size: spec.size,
            classes: spec.classes,
            pixels: Pixels::F32(images),
            labels,
            train_len: spec.train_len(),
            class_names,
        }
    }

    /// `samples` images of a loaded real set: a seeded random draw of `train_len` training images,
    /// and validation images from its test split.
    pub fn from_corpus(corpus: &Corpus, samples: usize, seed: u64) -> Dataset {
        let spec = DataSpec { kind: corpus.kind, samples, size: corpus.size, channels: corpus.channels, classes: 10 };
        let train_n = spec.train_len().min(corpus.train.len());
        let val_n = (samples - spec.train_len()).min(corpus.test.len());
        let mut rng = Rng::new(seed ^ 0xC0_4905);
        let pick = |split: &Split, n: usize, rng: &mut Rng| {
            let mut idx: Vec<usize> = (0..split.len()).collect();
            for i in 0..n {
                let j = i + rng.below(split.len() - i);
                idx.swap(i, j);
            }
            idx.truncate(n);
            idx
        };
        let px = corpus.image_len();
        let mut data = Vec::with_capacity((train_n + val_n) * px);
        let mut labels = Vec::with_capacity(train_n + val_n);
        for (split, n) in [(&corpus.train, train_n), (&corpus.test, val_n)] {
            for i in pick(split, n, &mut rng) {
                data.extend_from_slice(&split.pixels[i * px..(i + 1) * px]);
                labels.push(split.labels[i]);
            }
        }
        Dataset {
            kind: corpus.kind,
            channels: corpus.channels,
            size: corpus.size,
            classes: corpus.class_names.len(),
            pixels: Pixels::U8 { data, mean: corpus.mean.clone(), std: corpus.std.clone() },
            labels,
            train_len: train_n,
            class_names: corpus.class_names.clone(),
        }
    }

    /// The data a spec asks for: generated, or drawn from `corpus` for a real kind.
    pub fn prepare(spec: &DataSpec, seed: u64, corpus: Option<&Corpus>) -> Result<Dataset, String> {
        if !spec.kind.is_real() {
            return Ok(Dataset::generate(spec, seed));
        }
        match corpus {
            Some(c) if c.kind == spec.kind => Ok(Dataset::from_corpus(c, spec.samples, seed)),
            _ => Err(format!("{} is not loaded: load it on the Data page first", spec.kind.title())),
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

    /// Sample `i`, normalised, appended to `out`.
    fn push_image(&self, i: usize, out: &mut Vec<f32>) {
        let n = self.image_len();
        match &self.pixels {
            Pixels::F32(v) => out.extend_from_slice(&v[i * n..(i + 1) * n]),
            Pixels::U8 { data, mean, std } => out.extend(normalise(&data[i * n..(i + 1) * n], mean, std, self.size * self.size)),
        }
    }

    /// Sample `i` as bytes for display: a real set's own pixels; a synthetic image min-max scaled.
    pub fn display_pixels(&self, i: usize) -> Vec<u8> {
        let n = self.image_len();
        match &self.pixels {
            Pixels::U8 { data, .. } => data[i * n..(i + 1) * n].to_vec(),
            Pixels::F32(v) => {
                let img = &v[i * n..(i + 1) * n];
                let (lo, hi) = img.iter().fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
                let span = (hi - lo).max(1e-6);
                img.iter().map(|&x| ((x - lo) / span * 255.0).round() as u8).collect()
            }
        }
    }

    /// Copies the samples at `idx` into one batch: (pixels `[b, c, h, w]`, labels `[b]`).
    pub fn gather(&self, idx: &[usize]) -> (Vec<f32>, Vec<i64>) {
        let mut pixels = Vec::with_capacity(idx.len() * self.image_len());
        for &i in idx {
            self.push_image(i, &mut pixels);
        }
        (pixels, idx.iter().map(|&i| self.labels[i] as i64).collect())
    }

    /// [`Dataset::gather`] with a random shift (crop of the zero-padded image) and flip per sample.
    pub fn gather_augmented(&self, idx: &[usize], aug: Augment, rng: &mut Rng) -> (Vec<f32>, Vec<i64>) {
        let (plain, labels) = self.gather(idx);
        let (s, n) = (self.size as isize, self.image_len());
        let mut out = vec![0f32; plain.len()];
        for (b, src) in plain.chunks_exact(n).enumerate() {
            let span = 2 * aug.pad + 1;
            let dx = rng.below(span) as isize - aug.pad as isize;
            let dy = rng.below(span) as isize - aug.pad as isize;
            let flip = aug.flip && rng.below(2) == 1;
            let dst = &mut out[b * n..(b + 1) * n];
            for c in 0..self.channels {
                let plane = c * (s * s) as usize;
                for y in 0..s {
                    let sy = y + dy;
                    if !(0..s).contains(&sy) {
                        continue;
                    }
                    for x in 0..s {
                        let sx = if flip { s - 1 - x } else { x } + dx;
                        if (0..s).contains(&sx) {
                            dst[plane + (y * s + x) as usize] = src[plane + (sy * s + sx) as usize];
                        }
                    }
                }
            }
        }
        (out, labels)
    }

    /// The first `count` samples as 8-bit images for a gallery (synthetic ones min–max scaled per
    /// image), with their labels.
    pub fn preview(&self, count: usize) -> Vec<(u8, Vec<u8>)> {
        (0..count.min(self.len()))
            .map(|i| {
                let n = self.image_len();
                let bytes = match &self.pixels {
                    Pixels::U8 { data, .. } => data[i * n..(i + 1) * n].to_vec(),
                    Pixels::F32(v) => {
                        let img = &v[i * n..(i + 1) * n];
                        let (lo, hi) = img.iter().fold((f32::MAX, f32::MIN), |(l, h), &p| (l.min(p), h.max(p)));
                        img.iter().map(|&p| ((p - lo) / (hi - lo).max(1e-6) * 255.0).round() as u8).collect()
                    }
                };
                (self.labels[i], bytes)
            })
            .collect()
    }

    /// How many samples of each class (train and validation together).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l as usize) {
                *c += 1;
            }
        }
        counts
    }
}
