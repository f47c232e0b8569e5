//! "Repeat with 3 seeds": a page's comparison run again with other seeds, so a student can see
//! whether a gap between two nets is bigger than the gap between two runs of the same net.

use super::readouts::{mean_spread, range};
use super::run_view::Series;
use crate::lab::experiment::ExperimentConfig;

/// How many seeds a repeat runs (the page's own seed and the next ones).
pub const REPEATS: u64 = 3;

/// Every config once per seed (its own seed, +1, +2), grouped by config; labels say the seed.
pub fn repeated(configs: &[ExperimentConfig]) -> Vec<ExperimentConfig> {
    configs
        .iter()
        .flat_map(|c| {
            (0..REPEATS).map(move |k| {
                let seed = c.seed + k;
                ExperimentConfig { label: format!("{} (seed {seed})", c.label), seed, ..c.clone() }
            })
        })
        .collect()
}

/// One config's finished repeats: held-out accuracy (%) and last-epoch training loss per seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    pub label: String,
    pub accuracy: Vec<f32>,
    pub loss: Vec<f32>,
}

/// The finished series grouped by config (the label before " (seed …)"), in run order.
pub fn spreads(series: &[Series]) -> Vec<Spread> {
    let mut out: Vec<Spread> = Vec::new();
    for s in series {
        let Some(m) = &s.summary else { continue };
        let label = s.label.rsplit_once(" (seed ").map_or(s.label.as_str(), |(l, _)| l);
        if out.last().is_none_or(|g| g.label != label) {
            out.push(Spread { label: label.to_string(), accuracy: vec![], loss: vec![] });
        }
        let g = out.last_mut().expect("pushed above");
        g.accuracy.push(m.final_val_accuracy * 100.0);
        g.loss.push(m.final_loss);
    }
    out
}

/// What the repeats say: each config's mean ± half-range, then for held-out accuracy (higher is
/// better) and training loss (lower is better) whether the best two are separated by their seeds.
pub fn readout(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let groups = spreads(series);
    for g in &groups {
        let (acc, acc_s) = mean_spread(&g.accuracy);
        let (loss, loss_s) = mean_spread(&g.loss);
        out.push(format!(
            "{}: held-out accuracy {acc:.1}% ± {acc_s:.1}, training loss in the last epoch {loss:.3} ± {loss_s:.3} (mean ± half-range over {} seeds).",
            g.label,
            g.accuracy.len()
        ));
    }
    if groups.len() >= 2 {
        out.push(separation(&groups, "held-out accuracy", |g| &g.accuracy, true));
        out.push(separation(&groups, "training loss", |g| &g.loss, false));
    }
    out
}

/// Whether the best and the runner-up (by mean) overlap across their seeds.
fn separation(groups: &[Spread], what: &str, values: fn(&Spread) -> &Vec<f32>, higher_is_better: bool) -> String {
    let mut ranked: Vec<&Spread> = groups.iter().collect();
    let mean = |g: &Spread| mean_spread(values(g)).0;
    ranked.sort_by(|a, b| if higher_is_better { mean(b).total_cmp(&mean(a)) } else { mean(a).total_cmp(&mean(b)) });
    let (best, next) = (ranked[0], ranked[1]);
    let ((blo, bhi), (nlo, nhi)) = (range(values(best)), range(values(next)));
    let separated = if higher_is_better { blo > nhi } else { bhi < nlo };
    if separated {
        format!(
            "By {what}, every seed of {} did better than every seed of {}: on these settings the order does not depend on the seed.",
            best.label, next.label
        )
    } else {
        format!(
            "By {what}, the seeds of {} and {} overlap: their order could change with the seed, so one run cannot rank them.",
            best.label, next.label
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::data::{DataKind, DataSpec};
    use crate::lab::model::{Family, ModelSpec, Skip};

    fn finished(label: &str, loss: f32, acc: f32) -> Series {
        Series::finished_for_test(label, loss, acc, 1.0)
    }

    #[test]
    fn repeats_each_config_with_the_next_seeds() {
        let data = DataSpec { kind: DataKind::Gratings, samples: 80, size: 8, channels: 3, classes: 4 };
        let mut c = ExperimentConfig::new(ModelSpec::new(Family::Cifar, 8, Skip::None), data);
        c.label = "Plain-8".into();
        c.seed = 42;
        let r = repeated(&[c.clone(), ExperimentConfig { label: "ResNet-8".into(), ..c }]);
        let got: Vec<_> = r.iter().map(|c| (c.label.as_str(), c.seed)).collect();
        assert_eq!(
            got,
            [
                ("Plain-8 (seed 42)", 42),
                ("Plain-8 (seed 43)", 43),
                ("Plain-8 (seed 44)", 44),
                ("ResNet-8 (seed 42)", 42),
                ("ResNet-8 (seed 43)", 43),
                ("ResNet-8 (seed 44)", 44)
            ]
        );
    }

    #[test]
    fn separated_and_overlapping_seeds_are_told_apart() {
        // Accuracies 50/52/54 vs 40/42/44: apart. Losses 1.0/1.2/1.4 vs 1.3/1.5/1.7: overlapping.
        let series: Vec<Series> = [(1.0, 0.50), (1.2, 0.52), (1.4, 0.54)]
            .iter()
            .enumerate()
            .map(|(k, &(l, a))| finished(&format!("A (seed {k})"), l, a))
            .chain([(1.3, 0.40), (1.5, 0.42), (1.7, 0.44)].iter().enumerate().map(|(k, &(l, a))| finished(&format!("B (seed {k})"), l, a)))
            .collect();
        let g = spreads(&series);
        assert_eq!(g.iter().map(|g| g.label.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        let said = readout(&series).join("\n");
        assert!(
            said.contains(
                "A: held-out accuracy 52.0% ± 2.0, training loss in the last epoch 1.200 ± 0.200 (mean ± half-range over 3 seeds)."
            ),
            "{said}"
        );
        assert!(said.contains("By held-out accuracy, every seed of A did better than every seed of B"), "{said}");
        assert!(said.contains("By training loss, the seeds of A and B overlap"), "{said}");
    }
}
