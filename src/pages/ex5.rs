//! Exercise 5 — skip variants: identity `x + F(x)`, channel weighting `x + w ⊙ F(x)`, attention from x
//! `x + a(x) ⊙ F(x)` and dense `x + F(x) + G(x)` (and, for contrast, SE on the residual) trained with the
//! same backbone, data, seed and budget; ranked by held-out accuracy, optionally over three seeds.

use super::page::PageState;
use super::query::Query;
use super::readouts::{mean_spread, sig3};
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::{Family, ModelSpec, Skip};

/// The variants offered, the exercise's four first.
pub const VARIANTS: [Skip; 5] = [Skip::Identity, Skip::ChannelWeight, Skip::XAttention, Skip::Dense, Skip::Attention];

/// The backbone every variant shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backbone {
    /// He et al.'s CIFAR ResNet (6n + 2).
    Cifar,
    /// Bottleneck ResNet-50 at 1/16 of the published widths, as the exercise asks.
    ResNet50,
}

impl Backbone {
    pub fn name(self) -> &'static str {
        match self {
            Backbone::Cifar => "cifar",
            Backbone::ResNet50 => "resnet50",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ex5 {
    pub backbone: Backbone,
    /// CIFAR depth (6n + 2); ResNet-50 ignores it.
    pub depth: usize,
    pub width: usize,
    pub variants: Vec<Skip>,
    /// 1 or 3 seeds (seed, seed + 1, seed + 2).
    pub seeds: usize,
    pub train: Training,
}

impl Default for Ex5 {
    /// The four variants on ResNet-14 at width 8, gratings, three epochs: seconds each on the CPU.
    fn default() -> Self {
        Ex5 {
            backbone: Backbone::Cifar,
            depth: 14,
            width: 8,
            variants: VARIANTS[..4].to_vec(),
            seeds: 1,
            train: Training { data: DataKind::Gratings, samples: 480, size: 16, epochs: 3, batch: 32, lr: 0.05, ..Training::default() },
        }
    }
}

impl PageState for Ex5 {
    const SLUG: &'static str = "ex5";

    fn read(q: &mut Query, d: &Ex5) -> Ex5 {
        let backbone = q.choice(
            "backbone",
            d.backbone,
            |s| [Backbone::Cifar, Backbone::ResNet50].into_iter().find(|b| b.name() == s),
            "cifar, resnet50",
        );
        let variants = match q.raw("variants").map(str::to_string) {
            None => d.variants.clone(),
            Some(raw) => {
                let mut v = Vec::new();
                for name in raw.split(',').filter(|s| !s.is_empty()) {
                    match Skip::parse(name).filter(|s| VARIANTS.contains(s)) {
                        Some(s) if !v.contains(&s) => v.push(s),
                        Some(_) => {}
                        None => q.notes.push(format!(
                            "variants: '{name}' is not one the page knows ({}); ignored",
                            VARIANTS.map(|s| s.name()).join(", ")
                        )),
                    }
                }
                if v.is_empty() {
                    q.notes.push("variants: none left; using the exercise's four".into());
                    v = d.variants.clone();
                }
                v.sort_by_key(|s| VARIANTS.iter().position(|x| x == s));
                v
            }
        };
        Ex5 {
            backbone,
            depth: q.depth("depth", d.depth, 6, 8, 56),
            width: q.int("width", d.width, 2, 64),
            variants,
            seeds: q.choice("seeds", d.seeds, |s| ["1", "3"].contains(&s).then(|| s.parse().unwrap_or(1)), "1, 3"),
            train: Training::from_query(q, &d.train),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("backbone", self.backbone.name().to_string()),
            ("depth", self.depth.to_string()),
            ("width", self.width.to_string()),
            ("variants", self.variants.iter().map(|s| s.name()).collect::<Vec<_>>().join(",")),
            ("seeds", self.seeds.to_string()),
        ];
        p.extend(self.train.pairs());
        p
    }
}

impl Ex5 {
    pub fn model(&self, skip: Skip) -> ModelSpec {
        match self.backbone {
            Backbone::Cifar => ModelSpec::new(Family::Cifar, self.depth, skip).with_width(self.width),
            Backbone::ResNet50 => ModelSpec::new(Family::Imagenet, 50, skip).with_width(4),
        }
    }

    /// Every variant, for every seed; the label names the variant (and the seed when there are three).
    pub fn configs(&self) -> Vec<ExperimentConfig> {
        (0..self.seeds as u64)
            .flat_map(|k| {
                self.variants.iter().map(move |&v| {
                    let mut t = self.train.clone();
                    t.seed += k;
                    let label = if self.seeds > 1 { format!("{} (seed {})", v.title(), t.seed) } else { v.title().to_string() };
                    ExperimentConfig { label, ..t.config(self.model(v)) }
                })
            })
            .collect()
    }

    /// Each variant's parameter count, from the plan.
    pub fn params(&self) -> Vec<(Skip, usize)> {
        let d = self.train.data_spec();
        self.variants.iter().map(|&v| (v, self.model(v).resolve(d.channels, d.classes).params())).collect()
    }
}

/// The ranking by held-out accuracy (mean over seeds), and whether identity is within noise of the
/// best. `held_out` is the held-out image count, for a binomial ± when there is only one seed.
pub fn readout(variants: &[Skip], series: &[Series], held_out: usize) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let n = variants.len().max(1);
    let mut rows = Vec::new();
    for (i, &v) in variants.iter().enumerate() {
        let done: Vec<_> = series.iter().skip(i).step_by(n).filter_map(|s| s.summary.as_ref()).collect();
        if done.is_empty() {
            continue;
        }
        let acc = mean_spread(&done.iter().map(|m| m.final_val_accuracy * 100.0).collect::<Vec<_>>());
        let loss = mean_spread(&done.iter().map(|m| m.final_loss).collect::<Vec<_>>());
        rows.push((v, acc, loss, done.len()));
    }
    if rows.is_empty() {
        return out;
    }
    rows.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    let seeds = rows[0].3;
    let fmt = |(m, s): (f32, f32), unit: &str| if seeds > 1 { format!("{m:.1}{unit} ± {s:.1}") } else { format!("{m:.1}{unit}") };
    let ranking = rows.iter().map(|(v, acc, _, _)| format!("{} {}", v.name(), fmt(*acc, "%"))).collect::<Vec<_>>().join(" > ");
    out.push(format!(
        "Ranking by held-out accuracy{}: {ranking}.",
        if seeds > 1 { format!(" (mean ± half-range over {seeds} seeds)") } else { String::new() }
    ));
    let losses = rows.iter().map(|(v, _, loss, _)| format!("{} {}", v.name(), sig3(loss.0))).collect::<Vec<_>>().join(", ");
    out.push(format!("Final training loss: {losses}."));
    let best = rows[0];
    if let Some(id) = rows.iter().find(|r| r.0 == Skip::Identity) {
        let gap = best.1 .0 - id.1 .0;
        // The noise: the seeds' spread, or with one seed the binomial standard error of the held-out accuracy.
        let noise = if seeds > 1 {
            best.1 .1 + id.1 .1
        } else {
            let p = (id.1 .0 / 100.0).clamp(0.01, 0.99);
            200.0 * (p * (1.0 - p) / held_out.max(1) as f32).sqrt()
        };
        out.push(if best.0 == Skip::Identity {
            "Identity ranked first: the plainest skip was the best here.".to_string()
        } else if gap <= noise {
            format!(
                "Identity is within noise of the best ({}): {gap:.1} points behind, with ±{noise:.1} points of noise ({}) — a surprisingly good baseline, as the exercise says.",
                best.0.name(),
                if seeds > 1 { "the seeds' spreads" } else { "two binomial standard errors on this held-out set" }
            )
        } else {
            format!("{} beat identity by {gap:.1} points, more than the ±{noise:.1} points of noise on this run.", best.0.name())
        });
    }
    out.extend(series.iter().filter_map(super::readouts::chance_note));
    if seeds == 1 {
        out.push(format!("One seed and {held_out} held-out images: repeat with 3 seeds before trusting small gaps."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_unknown_variants() {
        let p = Ex5 { backbone: Backbone::ResNet50, variants: vec![Skip::Identity, Skip::Attention], seeds: 3, ..Ex5::default() };
        assert_eq!(Ex5::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Ex5::from_query("variants=dense,gated,identity&seeds=2");
        assert_eq!((p.variants.clone(), p.seeds), (vec![Skip::Identity, Skip::Dense], 1));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn same_backbone_data_and_seed_for_every_variant() {
        let p = Ex5 { seeds: 3, ..Ex5::default() };
        let c = p.configs();
        assert_eq!(c.len(), 12);
        assert_eq!(c[0].label, "identity: x + F(x) (seed 42)");
        assert!(c[..4].iter().all(|x| x.seed == 42 && x.data == c[0].data) && c[4].seed == 43);
        c.iter().for_each(|x| x.validate().unwrap());
        let params = Ex5::default().params();
        assert!(params[1].1 > params[0].1 && params[3].1 > params[1].1, "{params:?}");
        let r50 = Ex5 { backbone: Backbone::ResNet50, ..Ex5::default() };
        assert_eq!(r50.configs()[0].model.depth, 50);
    }

    #[test]
    fn readout_ranks_and_judges_noise() {
        let s = |acc: f32| Series::finished_for_test("x", 1.0, acc, 1.0);
        let variants = [Skip::Identity, Skip::Dense];
        // Three seeds: identity 50 ± 2, dense 52 ± 2 — within noise.
        let series = [s(0.48), s(0.50), s(0.52), s(0.54), s(0.50), s(0.52)];
        let r = readout(&variants, &series, 100);
        assert!(r[0].contains("dense 52.0% ± 2.0 > identity 50.0% ± 2.0"), "{r:?}");
        assert!(r[2].contains("within noise"), "{r:?}");
        // One seed, 20 points apart on 1000 images: a real gap.
        let r = readout(&variants, &[s(0.5), s(0.7)], 1000);
        assert!(r[2].contains("beat identity by 20.0 points"), "{r:?}");
        assert!(r[3].contains("repeat with 3 seeds"), "{r:?}");
    }
}
