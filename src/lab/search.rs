//! The bonus exercise: an evolutionary search over per-block skip patterns.
//!
//! A genome is a [`SkipPattern`] over a fixed backbone: one [`Gene`] (skip variant and strength α) per
//! residual block. Each candidate trains for the same short budget on the same split and seed; its
//! fitness is the held-out accuracy (in %) minus an optional penalty per 1,000 parameters. The next
//! generation keeps the best genome and fills up with children: two parents picked by tournament,
//! uniform crossover, then each gene redrawn with the mutation probability.
//!
//! [`Search`] is plain data driven from outside: the page sends [`Search::pending`] to the worker as one
//! run per generation, the CLI ([`run_search`]) trains them in-process; both call [`Search::record`] and
//! [`Search::advance`]. Genomes already evaluated are looked up, not trained again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::experiment::{ExperimentConfig, Summary};
use super::model::{Gene, ModelSpec, Skip, SkipPattern};
use super::rng::Rng;

/// What to search: serialisable (the page's settings build it; `lab search CONFIG.json` reads it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// The net whose blocks each get a gene (its own `skip` and any pattern are replaced).
    pub backbone: ModelSpec,
    /// Skip variants a gene may take.
    pub choices: Vec<Skip>,
    /// Strengths α a gene may take in `x + α·F(x)` (1 = the plain residual).
    #[serde(default = "default_alphas")]
    pub alphas: Vec<f32>,
    pub population: usize,
    pub generations: usize,
    /// Probability that a child's gene is redrawn.
    pub mutation: f64,
    /// Genomes drawn per parent pick; the fittest of them becomes the parent.
    pub tournament: usize,
    /// Optimiser steps per candidate: the training budget.
    pub steps: usize,
    /// Fitness lost per 1,000 parameters (accuracy points); 0 = accuracy alone.
    #[serde(default)]
    pub param_penalty: f64,
    /// Seed of the search itself (genomes); the training seed is `training.seed`.
    pub seed: u64,
    /// How every candidate trains (data, batch, rate, seed…); its model, epochs and step cap are set per
    /// candidate.
    pub training: ExperimentConfig,
}

fn default_alphas() -> Vec<f32> {
    vec![1.0]
}

/// What one candidate's short training gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Held-out accuracy in [0, 1].
    pub val_accuracy: f32,
    #[serde(with = "super::experiment::nan_as_null")]
    pub val_loss: f32,
    pub params: usize,
    /// Why it has no real result (it diverged or failed); it then counts as 0 % accuracy.
    #[serde(default)]
    pub failed: Option<String>,
}

impl Evaluation {
    pub fn from_summary(s: &Summary) -> Evaluation {
        Evaluation { val_accuracy: s.final_val_accuracy, val_loss: s.final_val_loss, params: s.params, failed: None }
    }

    pub fn failed(reason: String, params: usize) -> Evaluation {
        Evaluation { val_accuracy: 0.0, val_loss: f32::NAN, params, failed: Some(reason) }
    }
}

/// Fitness over one generation's population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationStats {
    /// 1-based.
    pub generation: usize,
    pub best: f64,
    pub median: f64,
    pub worst: f64,
    /// The generation's fittest genome.
    pub best_pattern: String,
    /// Candidates that had to be trained (the rest came from the cache).
    pub trained: usize,
}

/// One member of the current population with its result, for the page's table.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub pattern: SkipPattern,
    pub evaluation: Option<Evaluation>,
    pub fitness: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Search {
    pub config: SearchConfig,
    rng: Rng,
    /// 0-based generation being evaluated.
    pub generation: usize,
    pub population: Vec<SkipPattern>,
    /// Every genome evaluated so far, by its text form.
    pub cache: BTreeMap<String, Evaluation>,
    pub history: Vec<GenerationStats>,
    /// Genomes trained in the current generation (not found in the cache).
    trained_now: usize,
    pub finished: bool,
}

impl SearchConfig {
    /// Blocks of the backbone: the genome's length.
    pub fn genes(&self) -> usize {
        self.backbone.blocks()
    }

    /// Checks the search as a whole; the message says what is accepted.
    pub fn validate(&self) -> Result<(), String> {
        self.backbone.clone().checked()?;
        if !(2..=64).contains(&self.population) {
            return Err(format!("population must be 2..=64, got {}", self.population));
        }
        if !(1..=50).contains(&self.generations) {
            return Err(format!("generations must be 1..=50, got {}", self.generations));
        }
        if !(1..=self.population).contains(&self.tournament) {
            return Err(format!("tournament size must be 1..=population ({}), got {}", self.population, self.tournament));
        }
        if !(0.0..=1.0).contains(&self.mutation) {
            return Err(format!("mutation rate must be in [0, 1], got {}", self.mutation));
        }
        if !(1..=10_000).contains(&self.steps) {
            return Err(format!("steps per candidate must be 1..=10000, got {}", self.steps));
        }
        if !(self.param_penalty.is_finite() && self.param_penalty >= 0.0) {
            return Err(format!("the parameter penalty must be ≥ 0, got {}", self.param_penalty));
        }
        let mut seen = Vec::new();
        for s in &self.choices {
            if seen.contains(s) {
                return Err(format!("skip '{}' is listed twice", s.name()));
            }
            seen.push(*s);
        }
        if self.choices.is_empty() {
            return Err("choose at least one skip variant".into());
        }
        if self.alphas.is_empty() || self.alphas.iter().any(|a| !(*a > 0.0 && *a <= 4.0)) {
            return Err("strengths α must be in (0, 4], at least one".into());
        }
        self.candidate(&SkipPattern(vec![Gene::new(Skip::Identity); self.genes()])).validate()
    }

    /// The run that evaluates `pattern`: the shared training settings, this genome, `steps` steps.
    pub fn candidate(&self, pattern: &SkipPattern) -> ExperimentConfig {
        let model = ModelSpec { pattern: None, ..self.backbone.clone() }.with_pattern(pattern.clone());
        let t = &self.training;
        let train_len = t.data.train_len().max(1);
        let per_epoch = train_len.div_ceil(t.batch.clamp(1, train_len));
        ExperimentConfig {
            label: format!("{}:{pattern}", self.backbone.base_name()),
            model,
            epochs: self.steps.div_ceil(per_epoch).max(1),
            max_steps: Some(self.steps),
            ..t.clone()
        }
    }

    /// Fitness of an evaluation: accuracy in % minus the parameter penalty.
    pub fn fitness(&self, e: &Evaluation) -> f64 {
        100.0 * e.val_accuracy as f64 - self.param_penalty * e.params as f64 / 1000.0
    }

    /// The final comparison: the best genome, identity everywhere and no skips at all, each with `seeds`
    /// training seeds and the same budget. Labels: "best …", "all identity", "no skips" (+ seed).
    pub fn finals(&self, best: &SkipPattern, seeds: usize) -> Vec<ExperimentConfig> {
        let n = self.genes();
        let arms = [
            ("best", best.clone()),
            ("all identity", SkipPattern(vec![Gene::new(Skip::Identity); n])),
            ("no skips", SkipPattern(vec![Gene::new(Skip::None); n])),
        ];
        (0..seeds as u64)
            .flat_map(|k| {
                arms.iter().map(move |(name, p)| {
                    let mut c = self.candidate(p);
                    c.seed += k;
                    c.label = format!("{name} (seed {})", c.seed);
                    c
                })
            })
            .collect()
    }
}

impl Search {
    pub fn new(config: SearchConfig) -> Result<Search, String> {
        config.validate()?;
        let mut rng = Rng::new(config.seed);
        let population = (0..config.population).map(|_| random_pattern(&config, &mut rng)).collect();
        Ok(Search { config, rng, generation: 0, population, cache: BTreeMap::new(), history: Vec::new(), trained_now: 0, finished: false })
    }

    /// Genomes of this generation not evaluated yet, each once, in population order.
    pub fn pending(&self) -> Vec<SkipPattern> {
        let mut out: Vec<SkipPattern> = Vec::new();
        for p in &self.population {
            if !self.cache.contains_key(&p.to_string()) && !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }

    pub fn record(&mut self, pattern: &SkipPattern, e: Evaluation) {
        self.trained_now += 1;
        self.cache.insert(pattern.to_string(), e);
    }

    pub fn evaluation(&self, pattern: &SkipPattern) -> Option<&Evaluation> {
        self.cache.get(&pattern.to_string())
    }

    /// The current population with results, fittest first (unevaluated last).
    pub fn members(&self) -> Vec<Member> {
        let mut m: Vec<Member> = self
            .population
            .iter()
            .map(|p| {
                let evaluation = self.evaluation(p).cloned();
                let fitness = evaluation.as_ref().map(|e| self.config.fitness(e));
                Member { pattern: p.clone(), evaluation, fitness }
            })
            .collect();
        m.sort_by(|a, b| b.fitness.unwrap_or(f64::MIN).total_cmp(&a.fitness.unwrap_or(f64::MIN)));
        m
    }

    /// The fittest genome evaluated so far (over every generation), ties to the lower held-out loss.
    pub fn best(&self) -> Option<(SkipPattern, Evaluation, f64)> {
        self.cache
            .iter()
            .filter_map(|(text, e)| Some((text.parse::<SkipPattern>().ok()?, e.clone(), self.config.fitness(e))))
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.1.val_loss.total_cmp(&a.1.val_loss)))
    }

    /// Call when [`Search::pending`] is empty: records the generation's statistics and breeds the next
    /// one. Returns false when that was the last generation (the search is finished).
    pub fn advance(&mut self) -> bool {
        assert!(self.pending().is_empty(), "advance before every candidate was evaluated");
        let members = self.members();
        let mut f: Vec<f64> = members.iter().filter_map(|m| m.fitness).collect();
        f.sort_by(f64::total_cmp);
        let median = if f.len() % 2 == 1 { f[f.len() / 2] } else { (f[f.len() / 2 - 1] + f[f.len() / 2]) / 2.0 };
        self.history.push(GenerationStats {
            generation: self.generation + 1,
            best: *f.last().unwrap_or(&0.0),
            median,
            worst: *f.first().unwrap_or(&0.0),
            best_pattern: members[0].pattern.to_string(),
            trained: self.trained_now,
        });
        self.trained_now = 0;
        if self.generation + 1 >= self.config.generations {
            self.finished = true;
            return false;
        }
        // Elitism: the fittest survives unchanged; children fill the rest.
        let fitness: Vec<f64> = self.population.iter().map(|p| self.config.fitness(&self.cache[&p.to_string()])).collect();
        let mut next = vec![members[0].pattern.clone()];
        while next.len() < self.config.population {
            let a = self.tournament(&fitness);
            let b = self.tournament(&fitness);
            let (pa, pb) = (self.population[a].clone(), self.population[b].clone());
            let mut child: Vec<Gene> = pa.0.iter().zip(&pb.0).map(|(x, y)| if self.rng.uniform() < 0.5 { *x } else { *y }).collect();
            for g in child.iter_mut() {
                if (self.rng.uniform() as f64) < self.config.mutation {
                    *g = random_gene(&self.config, &mut self.rng);
                }
            }
            next.push(SkipPattern(child));
        }
        self.population = next;
        self.generation += 1;
        true
    }

    /// Index of the fittest of `tournament` members drawn at random (with replacement).
    fn tournament(&mut self, fitness: &[f64]) -> usize {
        (0..self.config.tournament).map(|_| self.rng.below(fitness.len())).max_by(|&a, &b| fitness[a].total_cmp(&fitness[b])).unwrap_or(0)
    }

    /// Training steps the generations after this one take at most (every child new; the elite is
    /// cached): what progress bars add to the generation in flight.
    pub fn steps_after_this_generation(&self) -> usize {
        self.config.generations.saturating_sub(self.generation + 1) * self.config.population.saturating_sub(1) * self.config.steps
    }

    /// One row per evaluated genome: `generation_first_seen` is not tracked; the CSV lists the cache.
    pub fn csv(&self) -> String {
        let mut out = String::from("pattern,val_accuracy,val_loss,params,fitness,failed\n");
        for (text, e) in &self.cache {
            out.push_str(&format!(
                "\"{}:{text}\",{},{},{},{},{}\n",
                self.config.backbone.base_name(),
                e.val_accuracy,
                e.val_loss,
                e.params,
                self.config.fitness(e),
                e.failed.as_deref().unwrap_or("")
            ));
        }
        out
    }
}

fn random_gene(config: &SearchConfig, rng: &mut Rng) -> Gene {
    let skip = config.choices[rng.below(config.choices.len())];
    let alpha = if skip == Skip::None { 1.0 } else { config.alphas[rng.below(config.alphas.len())] };
    Gene { skip, alpha }
}

fn random_pattern(config: &SearchConfig, rng: &mut Rng) -> SkipPattern {
    SkipPattern((0..config.genes()).map(|_| random_gene(config, rng)).collect())
}

/// Runs a whole search in-process (the CLI and the tests): every pending candidate trains on `device`
/// with the same data, reporting through `host`; `on_candidate` hears each result.
#[cfg(feature = "compute")]
pub async fn run_search(
    config: &SearchConfig,
    corpus: Option<&super::data::Corpus>,
    device: &burn::prelude::Device,
    host: &mut impl super::train::Host,
    mut on_candidate: impl FnMut(&Search, &SkipPattern),
) -> Result<Search, super::experiment::RunError> {
    use super::experiment::RunError;
    let mut search = Search::new(config.clone()).map_err(RunError::Invalid)?;
    // One split for every candidate: the fitness compares genomes, not data.
    let data = super::data::Dataset::prepare(&config.training.data, config.training.seed, corpus).map_err(RunError::Invalid)?;
    loop {
        for pattern in search.pending() {
            let run = config.candidate(&pattern);
            let planned = run.model.resolve(data.channels, data.classes).params();
            let e = match super::train::train(&run, &data, device, host).await {
                Ok(summary) => Evaluation::from_summary(&summary),
                Err(RunError::Cancelled) => return Err(RunError::Cancelled),
                Err(e) => Evaluation::failed(e.to_string(), planned),
            };
            search.record(&pattern, e);
            on_candidate(&search, &pattern);
        }
        if !search.advance() {
            return Ok(search);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::data::{DataKind, DataSpec};
    use crate::lab::model::Family;

    pub fn tiny(seed: u64) -> SearchConfig {
        SearchConfig {
            backbone: ModelSpec::new(Family::Cifar, 14, Skip::Identity).with_width(4),
            choices: vec![Skip::None, Skip::Identity, Skip::ChannelWeight, Skip::XAttention],
            alphas: vec![0.5, 1.0],
            population: 6,
            generations: 4,
            mutation: 0.3,
            tournament: 2,
            steps: 3,
            param_penalty: 0.0,
            seed,
            training: ExperimentConfig {
                label: String::new(),
                batch: 8,
                ..ExperimentConfig::new(
                    ModelSpec::new(Family::Cifar, 8, Skip::Identity),
                    DataSpec { kind: DataKind::Gratings, samples: 40, size: 8, channels: 1, classes: 4 },
                )
            },
        }
    }

    /// A made-up fitness landscape: accuracy = share of identity genes.
    fn fake_eval(p: &SkipPattern) -> Evaluation {
        let ids = p.0.iter().filter(|g| g.skip == Skip::Identity).count();
        Evaluation { val_accuracy: ids as f32 / p.0.len() as f32, val_loss: 1.0, params: 100, failed: None }
    }

    fn drive(config: SearchConfig) -> Search {
        let mut s = Search::new(config).unwrap();
        loop {
            for p in s.pending() {
                s.record(&p, fake_eval(&p));
            }
            if !s.advance() {
                return s;
            }
        }
    }

    #[test]
    fn genomes_stay_valid_and_the_search_is_seeded() {
        let config = tiny(7);
        let s = drive(config.clone());
        assert_eq!(s.history.len(), 4);
        for text in s.cache.keys() {
            let p: SkipPattern = text.parse().unwrap();
            assert_eq!(p.0.len(), 6);
            assert!(p.0.iter().all(|g| config.choices.contains(&g.skip) && (g.alpha == 1.0 || g.alpha == 0.5)));
            config.candidate(&p).validate().unwrap();
        }
        // Elitism: the best never gets worse.
        assert!(s.history.windows(2).all(|w| w[1].best >= w[0].best), "{:?}", s.history);
        // The cache spares retraining: the elite is never trained twice.
        assert!(s.history[1..].iter().all(|g| g.trained < config.population), "{:?}", s.history);
        assert_eq!(Search::new(config.clone()).unwrap().steps_after_this_generation(), 3 * 5 * 3);
        let again = drive(config);
        assert_eq!(s.history, again.history);
        assert_ne!(drive(tiny(8)).cache.keys().collect::<Vec<_>>(), s.cache.keys().collect::<Vec<_>>());
    }

    #[test]
    fn fitness_penalty_and_finals() {
        let mut c = tiny(1);
        let e = Evaluation { val_accuracy: 0.5, val_loss: 1.0, params: 3000, failed: None };
        assert_eq!(c.fitness(&e), 50.0);
        c.param_penalty = 2.0;
        assert_eq!(c.fitness(&e), 44.0);
        let best: SkipPattern = "I,W*0.5,-,X,I,I".parse().unwrap();
        let f = c.finals(&best, 3);
        assert_eq!(f.len(), 9);
        assert_eq!(f[0].model.pattern_text().unwrap(), "resnet14:I,W*0.5,-,X,I,I");
        assert_eq!(f[1].model.pattern.as_ref().unwrap().to_string(), "I,I,I,I,I,I");
        assert_eq!(f[2].model.pattern.as_ref().unwrap().to_string(), "-,-,-,-,-,-");
        assert_eq!((f[0].seed, f[3].seed, f[0].label.as_str()), (1, 2, "best (seed 1)"));
        assert!(f.iter().all(|x| x.max_steps == Some(3) && x.validate().is_ok()));
    }

    #[test]
    fn bad_searches_are_refused() {
        let bad = |f: fn(&mut SearchConfig)| {
            let mut c = tiny(1);
            f(&mut c);
            Search::new(c).unwrap_err()
        };
        assert!(bad(|c| c.population = 1).contains("population"));
        assert!(bad(|c| c.tournament = 9).contains("tournament"));
        assert!(bad(|c| c.choices.clear()).contains("at least one"));
        assert!(bad(|c| c.choices.push(Skip::None)).contains("twice"));
        assert!(bad(|c| c.mutation = 1.5).contains("mutation"));
        assert!(bad(|c| c.backbone.depth = 15).contains("6n+2"));
    }
}
