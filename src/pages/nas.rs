//! Bonus — searching skip patterns: an evolutionary search ([`crate::lab::search`]) over which skip each
//! block of a CIFAR ResNet gets, then the honest check: the best pattern found against identity
//! everywhere and against no skips at all, retrained with the same budget over three seeds.

use super::page::PageState;
use super::query::Query;
use super::readouts::{mean_spread, sig3};
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::model::{Family, ModelSpec, Skip};
use crate::lab::search::{Search, SearchConfig};

/// Skips the search may use, in the order the page lists them.
pub const CHOICES: [Skip; 7] =
    [Skip::None, Skip::Identity, Skip::Projection, Skip::ChannelWeight, Skip::Attention, Skip::XAttention, Skip::Dense];

/// A gene's name as the page shows it.
pub fn title(skip: Skip) -> &'static str {
    match skip {
        Skip::None => "– no skip (plain block)",
        Skip::Identity => "I identity x + F(x)",
        Skip::Projection => "P projection where the shape changes",
        Skip::ChannelWeight => "W channel weights x + w ⊙ F(x)",
        Skip::Attention => "A SE on the residual",
        Skip::XAttention => "X attention from x",
        Skip::Dense => "D dense x + F(x) + G(x)",
    }
}

/// Strength sets offered for α in `x + α·F(x)`.
pub const ALPHAS: [&str; 3] = ["1", "0.5,1", "0.5,1,2"];

/// Seeds the final comparison retrains each arm with.
pub const FINAL_SEEDS: usize = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct Nas {
    /// CIFAR ResNet depth (6n + 2): the genome has (depth − 2)/2 genes.
    pub depth: usize,
    pub width: usize,
    pub choices: Vec<Skip>,
    /// One of [`ALPHAS`].
    pub alphas: String,
    pub population: usize,
    pub generations: usize,
    pub mutation: f64,
    pub tournament: usize,
    /// Optimiser steps per candidate.
    pub steps: usize,
    /// Accuracy points lost per 1,000 parameters.
    pub penalty: f64,
    /// Seed of the genomes (training uses `train.seed`).
    pub search_seed: u64,
    pub train: Training,
}

impl Default for Nas {
    /// ResNet-14 at width 4 (six genes), four genomes over three generations, 20 steps each on gratings:
    /// seconds on the CPU, final comparison included.
    fn default() -> Self {
        Nas {
            depth: 14,
            width: 4,
            choices: vec![Skip::None, Skip::Identity, Skip::ChannelWeight, Skip::XAttention],
            alphas: "1".into(),
            population: 4,
            generations: 3,
            mutation: 0.3,
            tournament: 2,
            steps: 20,
            penalty: 0.0,
            search_seed: 1,
            train: Training { data: DataKind::Gratings, samples: 400, size: 16, epochs: 1, batch: 32, lr: 0.05, ..Training::default() },
        }
    }
}

impl PageState for Nas {
    const SLUG: &'static str = "nas";

    fn read(q: &mut Query, d: &Nas) -> Nas {
        let choices = match q.raw("choices").map(str::to_string) {
            None => d.choices.clone(),
            Some(raw) => {
                let mut v = Vec::new();
                for name in raw.split(',').filter(|s| !s.is_empty()) {
                    match Skip::parse(name) {
                        Some(s) if !v.contains(&s) => v.push(s),
                        Some(_) => {}
                        None => q.notes.push(format!(
                            "choices: '{name}' is not a skip the page knows ({}); ignored",
                            CHOICES.map(|s| s.name()).join(", ")
                        )),
                    }
                }
                if v.is_empty() {
                    q.notes.push("choices: none left; using the page's four".into());
                    v = d.choices.clone();
                }
                v.sort_by_key(|s| CHOICES.iter().position(|x| x == s));
                v
            }
        };
        let population = q.int("population", d.population, 2, 16);
        let mut tournament = q.int("tournament", d.tournament, 1, 16);
        if tournament > population {
            q.notes.push(format!("tournament: {tournament} is more than the population ({population}); using {population}"));
            tournament = population;
        }
        Nas {
            depth: q.depth("depth", d.depth, 6, 8, 32),
            width: q.int("width", d.width, 2, 16),
            choices,
            alphas: q.choice("alphas", d.alphas.as_str(), |s| ALPHAS.into_iter().find(|a| *a == s), &ALPHAS.join(" · ")).to_string(),
            population,
            generations: q.int("generations", d.generations, 1, 10),
            mutation: q.float("mutation", d.mutation, 0.0, 1.0),
            tournament,
            steps: q.int("steps", d.steps, 1, 200),
            penalty: q.float("penalty", d.penalty, 0.0, 10.0),
            search_seed: q.int("search_seed", d.search_seed as usize, 0, 1_000_000) as u64,
            train: Training::from_query(q, &d.train),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("depth", self.depth.to_string()),
            ("width", self.width.to_string()),
            ("choices", self.choices.iter().map(|s| s.name()).collect::<Vec<_>>().join(",")),
            ("alphas", self.alphas.clone()),
            ("population", self.population.to_string()),
            ("generations", self.generations.to_string()),
            ("mutation", self.mutation.to_string()),
            ("tournament", self.tournament.to_string()),
            ("steps", self.steps.to_string()),
            ("penalty", self.penalty.to_string()),
            ("search_seed", self.search_seed.to_string()),
        ];
        p.extend(self.train.pairs());
        p
    }
}

impl Nas {
    pub fn backbone(&self) -> ModelSpec {
        ModelSpec::new(Family::Cifar, self.depth, Skip::Identity).with_width(self.width)
    }

    /// The search these settings ask for (validated as a whole by [`Search::new`] and again by the
    /// worker for every candidate).
    pub fn config(&self) -> SearchConfig {
        SearchConfig {
            backbone: self.backbone(),
            choices: self.choices.clone(),
            alphas: self.alphas.split(',').filter_map(|a| a.parse().ok()).collect(),
            population: self.population,
            generations: self.generations,
            mutation: self.mutation,
            tournament: self.tournament.min(self.population),
            steps: self.steps,
            param_penalty: self.penalty,
            seed: self.search_seed,
            training: self.train.config(self.backbone()),
        }
    }

    /// Steps the whole search takes at most (every candidate trained, none cached) plus the final
    /// comparison: what the page quotes before it starts.
    pub fn steps_at_most(&self) -> usize {
        let candidates = self.population + (self.generations - 1) * (self.population - 1);
        (candidates + 3 * FINAL_SEEDS) * self.steps
    }
}

/// Held-out accuracy (%) of the final comparison's three arms, mean and half-range over the seeds:
/// `finals` is in [`SearchConfig::finals`] order (best, all identity, no skips; seed after seed).
pub fn final_arms(finals: &[Series]) -> Vec<(&'static str, (f32, f32), usize)> {
    ["best", "all identity", "no skips"]
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let accs: Vec<f32> =
                finals.iter().skip(i).step_by(3).filter_map(|s| s.summary.as_ref()).map(|m| m.final_val_accuracy * 100.0).collect();
            (!accs.is_empty()).then(|| (*name, mean_spread(&accs), accs.len()))
        })
        .collect()
}

/// What the search found, from its numbers: the fitness over generations, the best genome, and whether
/// it beat the plain ResNet (identity everywhere) by more than the seeds' spread.
pub fn readout(search: &Search, finals: &[Series]) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(first), Some(last)) = (search.history.first(), search.history.last()) else {
        return out;
    };
    let trained: usize = search.history.iter().map(|g| g.trained).sum();
    out.push(format!(
        "{} generation{}, {trained} genomes trained ({} looked up from the cache): best fitness {} in generation 1, {} in generation {}.",
        search.history.len(),
        if search.history.len() == 1 { "" } else { "s" },
        search.history.iter().map(|g| search.config.population - g.trained.min(search.config.population)).sum::<usize>(),
        sig3(first.best as f32),
        sig3(last.best as f32),
        last.generation
    ));
    if let Some((best, e, _)) = search.best() {
        let skips = best.0.iter().filter(|g| g.skip != Skip::None).count();
        out.push(format!(
            "Best genome: {}:{best} — {skips} of {} blocks keep a skip; {:.1}% held-out accuracy, {} parameters.",
            search.config.backbone.base_name(),
            best.0.len(),
            e.val_accuracy * 100.0,
            e.params
        ));
    }
    let failed = search.cache.values().filter(|e| e.failed.is_some()).count();
    if failed > 0 {
        out.push(format!("{failed} genome(s) diverged or failed and counted as 0 % accuracy."));
    }
    let arms = final_arms(finals);
    if arms.len() == 3 {
        let seeds = arms[0].2;
        let fmt = |(m, s): (f32, f32)| if seeds > 1 { format!("{m:.1}% ± {s:.1}") } else { format!("{m:.1}%") };
        out.push(format!(
            "Retrained with the same budget over {seeds} seed{}: best pattern {}, identity everywhere {}, no skips {}.",
            if seeds == 1 { "" } else { "s" },
            fmt(arms[0].1),
            fmt(arms[1].1),
            fmt(arms[2].1)
        ));
        let (best, id) = (arms[0].1, arms[1].1);
        let gap = best.0 - id.0;
        let noise = best.1 + id.1;
        out.push(if gap > noise {
            format!("The search found a pattern that beat the plain ResNet by {gap:.1} points, more than the seeds' spread (±{noise:.1}).")
        } else if -gap > noise {
            format!(
                "Identity everywhere beat the searched pattern by {:.1} points on fresh seeds: the search's winner was partly luck of its one seed.",
                -gap
            )
        } else {
            format!(
                "The searched pattern and identity everywhere are within the seeds' spread ({gap:+.1} points, ±{noise:.1}): the search did not find anything reliably better than the plain ResNet."
            )
        });
    }
    // One line for the runs that stayed at guessing level: nine near-identical notes would bury the verdict.
    let at_chance: Vec<String> = finals.iter().filter(|s| super::readouts::chance_note(s).is_some()).map(|s| s.label.clone()).collect();
    if !at_chance.is_empty() {
        out.push(format!(
            "{} of {} final runs did not learn (chance level: training loss near ln(classes) or held-out accuracy near guessing): {}. A budget this small cannot tell the arms apart; raise the steps per genome.",
            at_chance.len(),
            finals.iter().filter(|s| s.summary.is_some()).count(),
            at_chance.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_whole_settings_checks() {
        let p = Nas { choices: vec![Skip::Identity, Skip::Dense], alphas: "0.5,1".into(), population: 5, tournament: 3, ..Nas::default() };
        assert_eq!(Nas::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Nas::from_query("population=3&tournament=9&choices=gated,identity&alphas=7");
        assert_eq!((p.population, p.tournament, p.choices.clone(), p.alphas.as_str()), (3, 3, vec![Skip::Identity], "1"));
        assert_eq!(notes.len(), 3, "{notes:?}");
        Search::new(p.config()).unwrap();
    }

    #[test]
    fn the_default_search_is_valid_and_small() {
        let d = Nas::default();
        let c = d.config();
        assert_eq!(c.genes(), 6);
        assert_eq!(c.alphas, vec![1.0]);
        Search::new(c.clone()).unwrap();
        assert_eq!(d.steps_at_most(), (4 + 2 * 3 + 9) * 20);
        assert_eq!(c.candidate(&"I,I,I,I,I,I".parse().unwrap()).max_steps, Some(20));
    }

    #[test]
    fn readout_judges_the_finals_by_the_seeds_spread() {
        let mut search = Search::new(Nas::default().config()).unwrap();
        while !search.finished {
            for p in search.pending() {
                let acc = p.0.iter().filter(|g| g.skip == Skip::Identity).count() as f32 / 6.0;
                search.record(&p, crate::lab::search::Evaluation { val_accuracy: acc, val_loss: 1.0, params: 10, failed: None });
            }
            search.advance();
        }
        let s = |acc: f32| Series::finished_for_test("x", 1.0, acc, 1.0);
        // best 60 ± 1, identity 50 ± 1, none 30: a real gain.
        let finals = [s(0.59), s(0.49), s(0.3), s(0.61), s(0.51), s(0.3), s(0.6), s(0.5), s(0.3)];
        let r = readout(&search, &finals);
        assert!(r[0].starts_with("3 generations"), "{r:?}");
        assert!(r[1].starts_with("Best genome: resnet14:"), "{r:?}");
        assert!(r[2].contains("best pattern 60.0% ± 1.0, identity everywhere 50.0% ± 1.0, no skips 30.0% ± 0.0"), "{r:?}");
        assert!(r[3].contains("beat the plain ResNet by 10.0 points"), "{r:?}");
        let close = [s(0.52), s(0.5), s(0.3), s(0.48), s(0.5), s(0.3), s(0.5), s(0.5), s(0.3)];
        assert!(readout(&search, &close)[3].contains("within the seeds' spread"));
        assert_eq!(readout(&search, &close).len(), 4, "no run at chance (10 classes: ≤ 12% is chance)");
        let chance = [s(0.1), s(0.5), s(0.3), s(0.48), s(0.5), s(0.3), s(0.5), s(0.5), s(0.09)];
        let r = readout(&search, &chance);
        assert!(r[4].starts_with("2 of 9 final runs did not learn"), "{r:?}");
    }
}
