//! Part 3 — architectures compared: which models, at what input size, and what the page says about
//! the numbers the worker measured on the built models.

use super::page::PageState;
use super::query::Query;
use crate::lab::report::ModelInfo;

/// The models Part 3 offers (names as `lab info` takes them): the ResNets, then the module's
/// variants at their published sizes (not ticked by default: the big ones take seconds to build).
pub const MODELS: [&str; 16] = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnet20",
    "resnet56",
    "resnet110",
    "preresnet164",
    "wrn-28-10",
    "resnext29-8x64d",
    "densenet-bc-100-12",
    "wide_resnet50_2",
    "resnext50_32x4d",
    "densenet121",
    "se_resnet50",
];
/// How many of [`MODELS`] are ticked by default (the ResNets).
const DEFAULT_MODELS: usize = 8;
pub const SIZES: [usize; 4] = [32, 64, 128, 224];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Params,
    Macs,
    Blocks,
    Time,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Params, Metric::Macs, Metric::Blocks, Metric::Time];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Params => "params",
            Metric::Macs => "macs",
            Metric::Blocks => "blocks",
            Metric::Time => "time",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Metric::Params => "Parameters",
            Metric::Macs => "Multiply-adds per image",
            Metric::Blocks => "Residual blocks",
            Metric::Time => "Forward pass, one image (ms)",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == s)
    }

    pub fn value(self, info: &ModelInfo, ms: f64) -> f64 {
        match self {
            Metric::Params => info.params as f64,
            Metric::Macs => info.macs as f64,
            Metric::Blocks => info.blocks as f64,
            Metric::Time => ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Part3 {
    /// Indices into [`MODELS`], in order.
    pub models: Vec<usize>,
    pub size: usize,
    pub metric: Metric,
    /// Index into [`MODELS`] of the model drawn block by block.
    pub draw: usize,
}

impl Default for Part3 {
    fn default() -> Self {
        Part3 { models: (0..DEFAULT_MODELS).collect(), size: 32, metric: Metric::Params, draw: 2 }
    }
}

impl PageState for Part3 {
    const SLUG: &'static str = "part3";

    fn read(q: &mut Query, d: &Part3) -> Part3 {
        let models = match q.raw("models").map(str::to_string) {
            None => d.models.clone(),
            Some(raw) => {
                let mut picked = Vec::new();
                for name in raw.split(',').filter(|s| !s.is_empty()) {
                    match MODELS.iter().position(|m| *m == name) {
                        Some(i) if !picked.contains(&i) => picked.push(i),
                        Some(_) => {}
                        None => q.notes.push(format!("models: '{name}' is not offered here ({}); ignored", MODELS.join(", "))),
                    }
                }
                picked.sort_unstable();
                picked
            }
        };
        let mut size = q.int("size", d.size, 16, 224);
        if !SIZES.contains(&size) {
            let near = *SIZES.iter().min_by_key(|s| s.abs_diff(size)).unwrap();
            q.notes.push(format!("size: {size} px is not offered; using {near}"));
            size = near;
        }
        let metric = q.choice("metric", d.metric, Metric::parse, "params, macs, blocks, time");
        let draw = q.choice("draw", d.draw, |s| MODELS.iter().position(|m| *m == s), &MODELS.join(", "));
        Part3 { models, size, metric, draw }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let models = self.models.iter().map(|&i| MODELS[i]).collect::<Vec<_>>().join(",");
        vec![("models", models), ("size", self.size.to_string()), ("metric", self.metric.name().into()), ("draw", MODELS[self.draw].into())]
    }
}

impl Part3 {
    /// The drawn model's plan, as Part 3 counts it (1000 classes for ImageNet nets, 10 for CIFAR nets)
    /// at the page's input size.
    pub fn drawn(&self) -> (crate::lab::model::NetSpec, usize) {
        let spec = crate::lab::model::ModelSpec::from_name(MODELS[self.draw]).expect("Part 3's models are catalogue names");
        let classes = classes_for(&spec);
        (spec.resolve(3, classes), self.size)
    }

    pub fn names(&self) -> Vec<String> {
        self.models.iter().map(|&i| MODELS[i].to_string()).collect()
    }
}

/// Sentences about the measured rows.
pub fn readout(rows: &[(ModelInfo, f64)]) -> Vec<String> {
    let mut out = Vec::new();
    if rows.len() < 2 {
        return out;
    }
    let by = |name: &str| rows.iter().find(|(i, _)| i.name == name).map(|(i, _)| i);
    let (big, small) = rows.iter().fold((&rows[0].0, &rows[0].0), |(b, s), (i, _)| {
        (if i.params > b.params { i } else { b }, if i.params < s.params { i } else { s })
    });
    out.push(format!(
        "{} has {:.0}× the parameters of {} ({:.1}M vs {:.2}M).",
        big.name,
        big.params as f64 / small.params as f64,
        small.name,
        big.params as f64 / 1e6,
        small.params as f64 / 1e6
    ));
    if let (Some(a), Some(b)) = (by("ResNet-34"), by("ResNet-50")) {
        out.push(format!(
            "ResNet-50 has {} blocks to ResNet-34's {}, {:.2}× its parameters and {:.2}× its multiply-adds, although its blocks output 4× the channels: a Bottleneck block runs its 3×3 convolution at a quarter of its output width.",
            b.blocks,
            a.blocks,
            b.params as f64 / a.params as f64,
            b.macs as f64 / a.macs as f64
        ));
    }
    // A CIFAR layout at a large image size: fewer parameters than an ImageNet net, more arithmetic.
    let cifar = |name: &str| {
        MODELS
            .iter()
            .filter_map(|m| crate::lab::model::ModelSpec::from_name(m).ok())
            .any(|s| s.family == crate::lab::model::Family::Cifar && s.label() == name)
    };
    let costly = rows
        .iter()
        .filter(|(i, _)| cifar(&i.name))
        .flat_map(|(a, _)| {
            rows.iter().filter(move |(b, _)| !cifar(&b.name) && b.params > a.params && b.macs < a.macs).map(move |(b, _)| (a, b))
        })
        .max_by_key(|(a, b)| (a.macs, b.params));
    if let Some((a, b)) = costly {
        out.push(format!(
            "{} has fewer parameters than {} ({:.2}M vs {:.1}M) but more multiply-adds per {}-px image ({:.1} G vs {:.1} G): a CIFAR layout keeps its first stage at the full image size (a 3×3 stem, no stride, no max-pool), while the ImageNet layouts shrink the image 4× per side before their first block — 16× fewer positions for every layer after it.",
            a.name,
            b.name,
            a.params as f64 / 1e6,
            b.params as f64 / 1e6,
            a.input_shape[2],
            a.macs as f64 / 1e9,
            b.macs as f64 / 1e9
        ));
    }
    let fastest = rows.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let slowest = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    out.push(format!(
        "On this backend one image took {:.1} ms through {} and {:.1} ms through {}.",
        fastest.1, fastest.0.name, slowest.1, slowest.0.name
    ));
    out
}

/// The class count Part 3 and the variants page count a net with: 1000 for ImageNet layouts, 10 for CIFAR ones.
pub fn classes_for(spec: &crate::lab::model::ModelSpec) -> usize {
    if spec.family == crate::lab::model::Family::Imagenet {
        1000
    } else {
        10
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_notes() {
        let p = Part3 { models: vec![0, 2, 5], size: 224, metric: Metric::Macs, draw: 4 };
        assert_eq!(Part3::from_query(&p.to_query()), (p.clone(), vec![]));
        // ResNet-152 drawn: 50 blocks, its plan's parameters equal torchvision's count.
        let (plan, size) = p.drawn();
        assert_eq!((plan.block_plans(size).len(), plan.params(), size), (50, 60_192_808, 224));
        let (p, notes) = Part3::from_query("models=resnet50,vgg16,resnet18&size=100&metric=speed");
        assert_eq!((p.models, p.size, p.metric), (vec![0, 2], 128, Metric::Params));
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    fn info(name: &str, params: usize, macs: u64, blocks: usize) -> ModelInfo {
        ModelInfo { name: name.into(), params, size_bytes: params * 4, macs, blocks, input_shape: [1, 3, 32, 32], output_shape: [1, 1000] }
    }

    #[test]
    fn readout_from_measured_rows() {
        let rows = vec![(info("ResNet-34", 21_797_672, 3_600_000_000, 16), 5.0), (info("ResNet-50", 25_557_032, 4_089_000_000, 16), 9.0)];
        let r = readout(&rows);
        assert!(r[0].starts_with("ResNet-50 has 1× the parameters of ResNet-34"), "{r:?}");
        assert!(r[1].contains("1.17× its parameters"), "{r:?}");
        assert!(r[2].contains("5.0 ms through ResNet-34 and 9.0 ms through ResNet-50"), "{r:?}");
        // ResNet-110 (CIFAR layout) at 224 px against ResNet-152: the arithmetic goes the other way.
        let rows =
            vec![(info("ResNet-152", 60_192_808, 11_500_000_000, 50), 5.0), (info("ResNet-110", 1_730_714, 12_500_000_000, 54), 9.0)];
        let r = readout(&rows);
        assert!(r.iter().any(|s| s.starts_with("ResNet-110 has fewer parameters than ResNet-152") && s.contains("no max-pool")), "{r:?}");
        let rows = vec![(info("ResNet-152", 60_192_808, 11_500_000_000, 50), 5.0), (info("ResNet-110", 1_730_714, 250_000_000, 54), 9.0)];
        assert!(!readout(&rows).iter().any(|s| s.contains("no max-pool")));
    }
}
