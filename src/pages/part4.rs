//! Part 4 — training with gradient monitoring: one ResNet on real data, with its gradients watched
//! step by step and layer by layer.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::gradients::When;
use crate::lab::model::{Family, ModelSpec, Skip};

#[derive(Clone, Debug, PartialEq)]
pub struct Part4 {
    /// CIFAR-style depth 6n + 2.
    pub depth: usize,
    pub width: usize,
    pub residual: bool,
    /// The notebook's Part 4 net instead: ResNet-18 (in its 32-px form: 3×3 stem, no max-pool) at `width`.
    pub resnet18: bool,
    pub train: Training,
}

impl Default for Part4 {
    fn default() -> Self {
        Part4 {
            depth: 20,
            width: 16,
            residual: true,
            resnet18: false,
            train: Training {
                data: DataKind::FashionMnist,
                samples: 1000,
                size: 28,
                epochs: 2,
                batch: 32,
                lr: 0.05,
                augment: true,
                seed: 42,
                ..Training::default()
            },
        }
    }
}

impl PageState for Part4 {
    const SLUG: &'static str = "part4";

    fn read(q: &mut Query, d: &Part4) -> Part4 {
        let resnet18 = q.choice(
            "net",
            d.resnet18,
            |s| match s {
                "cifar" => Some(false),
                "resnet18" => Some(true),
                _ => None,
            },
            "cifar, resnet18",
        );
        Part4 {
            depth: if resnet18 { d.depth } else { q.depth("depth", d.depth, 6, 8, 110) },
            width: q.int("width", d.width, 2, 64),
            residual: q.residual(d.residual),
            resnet18,
            train: Training::from_query(q, &d.train),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("net", if self.resnet18 { "resnet18" } else { "cifar" }.to_string())];
        if !self.resnet18 {
            pairs.push(("depth", self.depth.to_string()));
        }
        pairs.extend([("width", self.width.to_string()), ("skip", if self.residual { "residual" } else { "plain" }.into())]);
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Part4 {
    pub fn config(&self) -> ExperimentConfig {
        if self.resnet18 {
            let mut m = ModelSpec::from_name("resnet18-cifar").expect("a catalogue name").with_width(self.width);
            m.skip = if self.residual { Skip::Projection } else { Skip::None };
            return self.train.config(m);
        }
        let skip = if self.residual { Skip::Identity } else { Skip::None };
        self.train.config(ModelSpec::new(Family::Cifar, self.depth, skip).with_width(self.width))
    }
}

/// Sentences about one finished run's gradients.
pub fn readout(s: &Series) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(f) = &s.failed {
        out.push(format!("{}: {f}", s.label));
    }
    let Some(m) = &s.summary else { return out };
    let n = s.grad_norms.len();
    if n >= 4 {
        let k = (n / 10).max(1);
        let median = |v: &[(f32, f32)]| crate::lab::gradients::median(v.iter().map(|p| p.1));
        let (early, late) = (median(&s.grad_norms[..k]), median(&s.grad_norms[n - k..]));
        out.push(format!(
            "The global gradient norm had a median of {early:.3} over the first {k} steps and {late:.3} over the last {k} ({}).",
            if (late / early - 1.0).abs() < 0.1 {
                "about the same"
            } else if late < early {
                "it fell"
            } else {
                "it grew during training"
            }
        ));
    }
    let late = s.profile(When::Late);
    if let (Some(first), Some(last)) = (late.first(), late.last()) {
        let (imax, max) = late.iter().enumerate().fold((0, f32::MIN), |b, (i, &g)| if g > b.1 { (i, g) } else { b });
        let (imin, min) = late.iter().enumerate().fold((0, f32::MAX), |b, (i, &g)| if g < b.1 { (i, g) } else { b });
        let name = |i: usize| s.layers.get(i).cloned().unwrap_or_else(|| format!("layer {}", i + 1));
        out.push(format!(
            "Per-layer gradient norm late in the run ({}) ranged from {min:.4} ({}) to {max:.4} ({}); first layer {first:.4}, classifier {last:.4}.",
            When::Late.describe(s.layer_grads.len()),
            name(imin),
            name(imax)
        ));
    }
    out.extend(super::readouts::run_notes(std::slice::from_ref(s)));
    out.push(format!(
        "Loss {:.3} → {:.3}; held-out accuracy {:.1}% after {} steps.",
        m.first_loss,
        m.final_loss,
        m.final_val_accuracy * 100.0,
        m.steps
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notebooks_resnet18_is_offered() {
        let p = Part4 { resnet18: true, width: 64, ..Part4::default() };
        assert_eq!(Part4::from_query(&p.to_query()), (p.clone(), vec![]));
        let c = p.config();
        assert_eq!(c.label, "ResNet-18 (3×3 stem)");
        // torchvision's ResNet-18 with a 3×3 one-channel stem and 10 classes: 11,181,642 − 9,408 + 576.
        assert_eq!(c.model.resolve(1, 10).params(), 11_172_810);
        c.validate().unwrap();
    }

    #[test]
    fn url_round_trip_and_config() {
        let mut p = Part4 { depth: 32, residual: false, ..Part4::default() };
        p.train.epochs = 3;
        assert_eq!(Part4::from_query(&p.to_query()), (p.clone(), vec![]));
        let c = p.config();
        assert_eq!((c.label.as_str(), c.data.channels, c.augment), ("Plain-32", 1, true));
        c.validate().unwrap();
        let (p, notes) = Part4::from_query("depth=21");
        assert_eq!((p.depth, notes.len()), (20, 1));
    }

    #[test]
    fn readout_from_the_series() {
        let s = Series {
            layers: vec!["stem".into(), "b1".into(), "fc".into()],
            grad_norms: (0..20).map(|i| (i as f32, 2.0 - i as f32 * 0.05)).collect(),
            layer_grads: vec![vec![9.0, 9.0, 9.0], vec![0.2, 0.5, 0.1], vec![0.2, 0.5, 0.1]],
            ..Series::finished_for_test("ResNet-20", 1.0, 0.55, 2.0)
        };
        let r = readout(&s);
        assert!(r[0].contains("1.975 over the first 2 steps") && r[0].contains("fell"), "{r:?}");
        assert!(r[1].contains("0.1000 (fc) to 0.5000 (b1)") && r[1].contains("median of steps 2–3"), "{r:?}");
        assert!(r[2].contains("1.00× the last layer's") && r[2].contains("2.00× the last layer's"), "{r:?}");
        assert!(r.last().unwrap().contains("55.0%"), "{r:?}");
    }
}
