//! Part 1 — the degradation problem: the page's settings, their URL form, and the runs they make.

use super::page::PageState;
use super::query::Query;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{Family, ModelSpec, Skip};

pub const DEPTH_MIN: usize = 4;
pub const DEPTH_MAX: usize = 60;
pub const MAX_SERIES: usize = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct Part1 {
    /// Layers (convs + classifier) of each network to train; even numbers.
    pub depths: Vec<usize>,
    pub width: usize,
    pub residual: bool,
    pub train: Training,
}

impl Default for Part1 {
    /// Sized so the whole comparison finishes in well under a minute on the CPU backend.
    fn default() -> Self {
        Part1 {
            depths: vec![8, 16, 32],
            width: 8,
            residual: false,
            train: Training {
                data: DataKind::Gratings,
                samples: 400,
                size: 16,
                epochs: 5,
                batch: 32,
                lr: 0.02,
                augment: false,
                seed: 42,
                ..Training::default()
            },
        }
    }
}

impl PageState for Part1 {
    const SLUG: &'static str = "part1";

    fn read(q: &mut Query, d: &Part1) -> Part1 {
        let mut depths = q.int_list("depths", &d.depths, DEPTH_MIN, DEPTH_MAX, MAX_SERIES);
        for depth in depths.iter_mut() {
            if *depth % 2 == 1 {
                q.notes.push(format!("depths: {depth} is odd; using {}", *depth + 1));
                *depth += 1;
            }
        }
        depths.sort_unstable();
        depths.dedup();
        Part1 { depths, width: q.int("width", d.width, 2, 64), residual: q.residual(d.residual), train: Training::from_query(q, &d.train) }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let depths = self.depths.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",");
        let mut pairs =
            vec![("depths", depths), ("width", self.width.to_string()), ("skip", if self.residual { "residual" } else { "plain" }.into())];
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Part1 {
    /// One training run per depth: same data, same seed, same optimiser.
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        let skip = if self.residual { Skip::Projection } else { Skip::None };
        self.depths.iter().map(|&depth| self.train.config(ModelSpec::new(Family::Stack, depth, skip).with_width(self.width))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_url() {
        let mut p = Part1 { depths: vec![6, 20], residual: true, ..Part1::default() };
        (p.train.lr, p.train.seed) = (0.005, 7);
        let (back, notes) = Part1::from_query(&p.to_query());
        assert_eq!(back, p);
        assert!(notes.is_empty());
    }

    #[test]
    fn bad_values_are_clamped_and_reported() {
        let (p, notes) = Part1::from_query("page=part1&depths=2,9,500&width=0&skip=sideways&lr=abc");
        assert_eq!(p.depths, vec![4, 10, 60]);
        assert_eq!(p.width, 2);
        assert!(!p.residual);
        assert_eq!(p.train.lr, Part1::default().train.lr);
        assert!(notes.iter().any(|n| n.contains("sideways")), "{notes:?}");
        assert!(notes.len() >= 5, "{notes:?}");
    }

    #[test]
    fn one_valid_config_per_depth() {
        let configs = Part1::default().configs();
        assert_eq!(configs.len(), 3);
        for c in &configs {
            c.validate().unwrap();
        }
        assert_eq!(configs[0].label, "Plain-8");
    }
}

/// What this run shows, in sentences computed from the finished series — never canned results.
pub fn readout(series: &[super::run_view::Series]) -> Vec<String> {
    let mut out = Vec::new();
    let finished: Vec<(&str, f32, f32)> =
        series.iter().filter_map(|s| s.summary.as_ref().map(|m| (s.label.as_str(), m.final_loss, m.first_last_ratio_late))).collect();
    for s in series.iter().filter(|s| s.failed.is_some()) {
        out.push(format!("{}: {}", s.label, s.failed.as_deref().unwrap_or_default()));
    }
    if finished.is_empty() {
        return out;
    }
    let losses = finished.iter().map(|(l, v, _)| format!("{l} {v:.3}")).collect::<Vec<_>>().join(", ");
    out.push(format!("Training loss in the last epoch: {losses}."));
    if finished.len() >= 2 {
        let (hi, lo) = finished
            .iter()
            .fold((finished[0], finished[0]), |(hi, lo), x| (if x.1 > hi.1 { *x } else { hi }, if x.1 < lo.1 { *x } else { lo }));
        out.push(format!("Highest: {} ({:.3}); lowest: {} ({:.3}).", hi.0, hi.1, lo.0, lo.1));
        let deepest = finished.last().unwrap();
        let rising = finished.windows(2).all(|w| w[1].1 > w[0].1);
        let falling = finished.windows(2).all(|w| w[1].1 < w[0].1);
        out.push(if rising {
            "Every deeper network ended with a higher training loss than the shallower ones: deeper trained worse, on training data — the degradation problem.".to_string()
        } else if falling {
            "Every deeper network ended with a lower training loss than the shallower ones: here, depth helped.".to_string()
        } else if deepest.0 == hi.0 {
            format!("The deepest network ({}) ended with the highest training loss.", deepest.0)
        } else {
            format!("Depth and final loss did not line up here: the deepest network ({}) did not end worst; {} did.", deepest.0, hi.0)
        });
    }
    out.extend(super::readouts::run_notes(series));
    out
}

#[cfg(test)]
mod readout_tests {
    use super::super::run_view::Series;
    use super::*;

    fn finished(label: &str, loss: f32) -> Series {
        Series::finished_for_test(label, loss, 0.0, 0.5)
    }

    #[test]
    fn names_what_the_numbers_say() {
        let r = readout(&[finished("Plain-8", 1.0), finished("Plain-16", 1.5), finished("Plain-32", 2.0)]);
        assert!(r[1].contains("Highest: Plain-32"), "{r:?}");
        assert!(r[2].contains("degradation"), "{r:?}");
        let r = readout(&[finished("Plain-8", 1.0), finished("Plain-16", 2.5), finished("Plain-32", 2.0)]);
        assert!(r[2].contains("did not end worst; Plain-16"), "{r:?}");
        let r = readout(&[finished("Residual-8", 2.0), finished("Residual-16", 1.5)]);
        assert!(r[2].contains("depth helped"), "{r:?}");
    }
}
