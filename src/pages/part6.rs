//! Part 6 — ResNet vs plain showdown: one depth, trained twice on the same data and seed, once
//! without skips and once with them.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{Family, ModelSpec, Skip};

/// Deepest net the page offers; the CPU default stays far below it.
pub const DEPTH_MAX: usize = 110;

#[derive(Clone, Debug, PartialEq)]
pub struct Part6 {
    /// `Cifar` (He et al.'s 6n+2 nets), `PlainDeepNet` (the notebook's PlainDeepNet, 4n+2, and its
    /// residual twin) or `Imagenet`: the notebook's own pair, ResNet-18 against PlainDeepNet.
    pub family: Family,
    pub depth: usize,
    pub width: usize,
    /// The residual twin's shortcut: identity (option A) or projection.
    pub skip: Skip,
    pub train: Training,
}

impl Default for Part6 {
    fn default() -> Self {
        Part6 {
            family: Family::Cifar,
            depth: 20,
            width: 8,
            skip: Skip::Identity,
            train: Training {
                data: DataKind::Gratings,
                samples: 640,
                size: 16,
                epochs: 3,
                batch: 32,
                lr: 0.05,
                augment: false,
                seed: 42,
                ..Training::default()
            },
        }
    }
}

/// Depth step and minimum of a family: depth = step·n + 2.
pub fn depth_rule(family: Family) -> (usize, usize) {
    match family {
        Family::PlainDeepNet => (4, 6),
        _ => (6, 8),
    }
}

impl PageState for Part6 {
    const SLUG: &'static str = "part6";

    fn read(q: &mut Query, d: &Part6) -> Part6 {
        let family = q.choice(
            "family",
            d.family,
            |s| match s {
                "cifar" => Some(Family::Cifar),
                "plaindeep" => Some(Family::PlainDeepNet),
                "notebook" => Some(Family::Imagenet),
                _ => None,
            },
            "cifar, plaindeep, notebook",
        );
        let (step, min) = depth_rule(family);
        // The notebook's pair has fixed depths (18 and 6).
        let depth = if family == Family::Imagenet { 18 } else { q.depth("depth", d.depth, step, min, DEPTH_MAX) };
        Part6 {
            family,
            depth,
            width: q.int("width", d.width, 2, 64),
            skip: q.choice(
                "skip",
                d.skip,
                |s| match s {
                    "identity" => Some(Skip::Identity),
                    "projection" => Some(Skip::Projection),
                    _ => None,
                },
                "identity, projection",
            ),
            train: Training::from_query(q, &d.train),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let family = match self.family {
            Family::PlainDeepNet => "plaindeep",
            Family::Imagenet => "notebook",
            _ => "cifar",
        };
        let mut pairs = vec![("family", family.into())];
        if self.family != Family::Imagenet {
            pairs.push(("depth", self.depth.to_string()));
        }
        pairs.extend([("width", self.width.to_string()), ("skip", self.skip.name().into())]);
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Part6 {
    /// The plain net and its residual twin: identical but for the shortcuts. The notebook's pair
    /// differs in depth too: its PlainDeepNet (4 convs) against ResNet-18 (projection shortcuts, as
    /// the notebook's), at one width.
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        if self.family == Family::Imagenet {
            let plain = ModelSpec::new(Family::PlainDeepNet, 6, Skip::None).with_width(self.width);
            let resnet = ModelSpec::new(Family::Imagenet, 18, Skip::Projection).with_width(self.width);
            return [plain, resnet].into_iter().map(|m| self.train.config(m)).collect();
        }
        [Skip::None, self.skip]
            .into_iter()
            .map(|skip| self.train.config(ModelSpec::new(self.family, self.depth, skip).with_width(self.width)))
            .collect()
    }
}

/// Sentences from the two finished series (plain first).
pub fn readout(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let done: Vec<_> = series.iter().filter_map(|s| s.summary.as_ref().map(|m| (s.label.as_str(), m))).collect();
    let [(pl, p), (rl, r)] = done.as_slice() else { return out };
    let verdict = if r.final_loss < p.final_loss { "lower" } else { "higher" };
    out.push(format!(
        "Final training loss: {pl} {:.3}, {rl} {:.3} — the residual net ended {verdict} ({:+.0}%).",
        p.final_loss,
        r.final_loss,
        (r.final_loss / p.final_loss - 1.0) * 100.0
    ));
    out.push(format!("Held-out accuracy: {pl} {:.1}%, {rl} {:.1}%.", p.final_val_accuracy * 100.0, r.final_val_accuracy * 100.0));
    out.push(format!(
        "First layer's gradient ÷ last layer's late in the run (medians of the last half of the steps): {pl} {}, {rl} {}{}",
        super::readouts::sig3(p.first_last_ratio_late),
        super::readouts::sig3(r.first_last_ratio_late),
        if r.first_last_ratio_late > p.first_last_ratio_late {
            " — a larger share of the gradient reaches the early layers through the shortcuts."
        } else {
            " — here the shortcuts did not raise the early layers' share (with BatchNorm, the plain net's gradients need not vanish)."
        }
    ));
    out.extend(super::readouts::run_notes(series));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_depth_rule() {
        let mut p = Part6 { family: Family::PlainDeepNet, depth: 10, skip: Skip::Projection, ..Part6::default() };
        p.train.lr = 0.1;
        assert_eq!(Part6::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Part6::from_query("depth=23&family=vgg");
        assert_eq!((p.family, p.depth), (Family::Cifar, 20));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let (p, _) = Part6::from_query("depth=999");
        assert_eq!(p.depth, 110);
    }

    #[test]
    fn twins_differ_only_in_skips() {
        let c = Part6::default().configs();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].model.skip, c[1].model.skip), (Skip::None, Skip::Identity));
        assert_eq!((c[0].label.as_str(), c[1].label.as_str()), ("Plain-20", "ResNet-20"));
        assert_eq!(c[0].data, c[1].data);
        assert_eq!(c[0].seed, c[1].seed);
        c.iter().for_each(|c| c.validate().unwrap());
        let c = Part6 { family: Family::PlainDeepNet, depth: 6, ..Part6::default() }.configs();
        assert_eq!(c[0].label, "PlainDeepNet-6");
        // The notebook's own pair, at the page's width.
        let p = Part6 { family: Family::Imagenet, depth: 18, width: 64, ..Part6::default() };
        assert_eq!(Part6::from_query(&p.to_query()), (p.clone(), vec![]));
        let c = p.configs();
        assert_eq!((c[0].label.as_str(), c[1].label.as_str()), ("PlainDeepNet-6", "ResNet-18"));
        assert_eq!(c[1].model.resolve(3, 10).params(), 11_181_642, "torchvision's ResNet-18 with 10 classes");
        assert_eq!(c[0].model.resolve(3, 10).params(), 306_506, "the notebook's PlainDeepNet");
    }

    fn done(label: &str, loss: f32, ratio: f32) -> Series {
        Series::finished_for_test(label, loss, 0.5, ratio)
    }

    #[test]
    fn readout_follows_the_numbers() {
        let r = readout(&[done("Plain-20", 2.0, 0.1), done("ResNet-20", 1.0, 0.4)]);
        assert!(r[0].contains("ended lower (-50%)"), "{r:?}");
        assert!(r[2].contains("larger share"), "{r:?}");
        let r = readout(&[done("Plain-20", 1.0, 0.4), done("ResNet-20", 1.5, 0.1)]);
        assert!(r[0].contains("ended higher"), "{r:?}");
        assert!(r[2].contains("did not raise"), "{r:?}");
        assert!(readout(&[done("Plain-20", 1.0, 0.4)]).is_empty());
    }
}
