//! The synthetic sets: seeded, generated in memory in milliseconds.

use super::DataSpec;
use crate::lab::rng::Rng;

/// The notebook's `X = randn(n, c, h, w); y = randint(0, classes, n)`.
pub fn random_labels(spec: &DataSpec, rng: &mut Rng) -> (Vec<f32>, Vec<u8>) {
    let n = spec.samples * spec.channels * spec.size * spec.size;
    let images = (0..n).map(|_| rng.normal()).collect();
    let labels = (0..spec.samples).map(|_| rng.below(spec.classes) as u8).collect();
    (images, labels)
}

/// Class k is a sine grating at angle k·π/classes; phase, frequency, contrast and per-pixel noise
/// vary per sample so the classifier has to learn orientation, not memorise pixels.
pub fn gratings(spec: &DataSpec, rng: &mut Rng) -> (Vec<f32>, Vec<u8>) {
    let s = spec.size as f32;
    let mut images = Vec::with_capacity(spec.samples * spec.channels * spec.size * spec.size);
    let mut labels = Vec::with_capacity(spec.samples);
    for _ in 0..spec.samples {
        let class = rng.below(spec.classes);
        let theta = class as f32 * std::f32::consts::PI / spec.classes as f32;
        let freq = (2.0 + 2.0 * rng.uniform()) * 2.0 * std::f32::consts::PI / s;
        let phase = rng.uniform() * 2.0 * std::f32::consts::PI;
        let contrast = 0.8 + 0.4 * rng.uniform();
        let (dx, dy) = (theta.cos() * freq, theta.sin() * freq);
        for ch in 0..spec.channels {
            let tint = 1.0 - 0.2 * ch as f32;
            for y in 0..spec.size {
                for x in 0..spec.size {
                    let v = (x as f32 * dx + y as f32 * dy + phase).sin();
                    images.push(contrast * tint * v + 0.35 * rng.normal());
                }
            }
        }
        labels.push(class as u8);
    }
    (images, labels)
}

#[cfg(test)]
mod tests {
    use super::super::{DataKind, DataSpec, Dataset, Pixels};

    fn floats(d: &Dataset) -> &[f32] {
        match &d.pixels {
            Pixels::F32(v) => v,
            Pixels::U8 { .. } => panic!("synthetic sets are floats"),
        }
    }

    #[test]
    fn seeded_and_shaped() {
        let spec = DataSpec { kind: DataKind::Gratings, samples: 50, size: 8, channels: 3, classes: 10 };
        let a = Dataset::generate(&spec, 1);
        let b = Dataset::generate(&spec, 1);
        assert_eq!(floats(&a), floats(&b));
        assert_eq!(floats(&a).len(), 50 * 3 * 64);
        assert_eq!(a.train_len, 40);
        assert!(a.labels.iter().all(|&l| l < 10));
        assert_ne!(floats(&Dataset::generate(&spec, 2)), floats(&a));
        let r = Dataset::generate(&DataSpec { kind: DataKind::RandomLabels, ..spec }, 1);
        let mean = floats(&r).iter().sum::<f32>() / floats(&r).len() as f32;
        assert!(mean.abs() < 0.1);
    }
}
