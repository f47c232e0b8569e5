//! Part 5 — what the network sees: which net to train, on which real dataset, and the readout of
//! its feature maps.

use super::page::PageState;
use super::query::Query;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{Family, ModelSpec, Skip};
use crate::lab::report::Seen;

#[derive(Clone, Debug, PartialEq)]
pub struct Part5 {
    pub depth: usize,
    pub width: usize,
    pub train: Training,
}

impl Default for Part5 {
    fn default() -> Self {
        Part5 {
            depth: 14,
            width: 8,
            train: Training {
                data: DataKind::FashionMnist,
                samples: 1200,
                size: 28,
                epochs: 2,
                batch: 32,
                lr: 0.05,
                augment: false,
                seed: 42,
                ..Training::default()
            },
        }
    }
}

impl PageState for Part5 {
    const SLUG: &'static str = "part5";

    fn read(q: &mut Query, d: &Part5) -> Part5 {
        let depth = q.depth("depth", d.depth, 6, 8, 56);
        let mut train = Training::from_query(q, &d.train);
        if !train.data.is_real() {
            q.notes.push(format!("data: Part 5 looks at real images; using {} instead of {}", d.train.data.name(), train.data.name()));
            train.data = d.train.data;
        }
        Part5 { depth, width: q.int("width", d.width, 2, 64), train }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("depth", self.depth.to_string()), ("width", self.width.to_string())];
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Part5 {
    pub fn config(&self) -> ExperimentConfig {
        self.train.config(ModelSpec::new(Family::Cifar, self.depth, Skip::Identity).with_width(self.width))
    }
}

/// Sentences about what the net made of the image; `truth` is its class when it is a test image
/// (a drawing or an upload has none).
pub fn readout(seen: &Seen, truth: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let mut ranked: Vec<(usize, f32)> = seen.probabilities.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let name = |i: usize| seen.class_names.get(i).cloned().unwrap_or_else(|| format!("class {i}"));
    if let Some(&(top, p)) = ranked.first() {
        let second = ranked.get(1).map(|&(i, q)| format!(", then {} ({:.0}%)", name(i), q * 100.0)).unwrap_or_default();
        let verdict = match truth {
            Some(t) if t == top => format!(" — right: it is a {}", name(t)),
            Some(t) => format!(" — wrong: it is a {} (given {:.0}%)", name(t), seen.probabilities.get(t).copied().unwrap_or(0.0) * 100.0),
            None => String::new(),
        };
        out.push(format!("{} says {} with {:.0}%{second}{verdict}.", seen.label, name(top), p * 100.0));
        if truth.is_none() && p > 0.9 {
            out.push(format!(
                "{:.0}% sure about an image unlike anything it was trained on: the probabilities always share 100% among the classes it knows, so a confident answer says nothing about whether this is a {} at all. Networks are often overconfident on unfamiliar inputs.",
                p * 100.0,
                name(top)
            ));
        }
    }
    for m in &seen.maps {
        let plane = m.height * m.width;
        let dead = m.values.chunks(plane.max(1)).filter(|c| c.iter().all(|&v| v <= 0.0)).count();
        out.push(format!(
            "Block {} outputs {} maps of {}×{}; {} of them are zero everywhere for this image (ReLU switched them off).",
            m.block + 1,
            m.channels,
            m.height,
            m.width,
            dead
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::report::FeatureMaps;

    #[test]
    fn url_and_real_data_only() {
        let mut p = Part5 { depth: 20, ..Part5::default() };
        p.train.data = DataKind::Cifar10;
        assert_eq!(Part5::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Part5::from_query("data=gratings&depth=9");
        assert_eq!((p.train.data, p.depth), (DataKind::FashionMnist, 8));
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert_eq!(Part5::default().config().data.size, 28);
    }

    #[test]
    fn readout_ranks_and_counts() {
        let seen = Seen {
            label: "ResNet-14".into(),
            maps: vec![FeatureMaps { block: 0, channels: 2, height: 1, width: 2, values: vec![0.0, 0.0, 0.5, 0.0] }],
            probabilities: vec![0.1, 0.7, 0.2],
            class_names: vec!["a".into(), "b".into(), "c".into()],
        };
        let r = readout(&seen, None);
        assert_eq!(r[0], "ResNet-14 says b with 70%, then c (20%).");
        assert!(r[1].contains("2 maps of 1×2; 1 of them"), "{r:?}");
        assert_eq!(readout(&seen, Some(1))[0], "ResNet-14 says b with 70%, then c (20%) — right: it is a b.");
        assert_eq!(readout(&seen, Some(2))[0], "ResNet-14 says b with 70%, then c (20%) — wrong: it is a c (given 20%).");
        // 95% on a drawing: a word on overconfidence; on a test image, none.
        let sure = Seen { probabilities: vec![0.02, 0.95, 0.03], ..seen };
        assert!(readout(&sure, None)[1].contains("overconfident"));
        assert!(!readout(&sure, Some(1))[1].contains("overconfident"));
    }
}
