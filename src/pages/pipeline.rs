//! The module's practical pipeline (§6): one model trained the way real code trains it — real data,
//! augmentation, a learning-rate schedule with warm-up, long runs — and evaluated per class on the
//! held-out split (accuracy per class, the confusion matrix, the most confused pairs, the mistakes).

use super::page::PageState;
use super::query::Query;
use super::training::Training;
use crate::lab::data::DataKind;
use serde::{Deserialize, Serialize};

use crate::lab::experiment::{Checkpoint, ExperimentConfig, Schedule, CHECKPOINT_FORMAT};
use crate::lab::model::ModelSpec;
use crate::lab::report::ClassReport;

/// The models the module trains, in their CIFAR form (names as `lab info` reads them).
pub const MODELS: [&str; 8] =
    ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet18-cifar", "resnet34-cifar", "resnet50-cifar"];
/// All of Fashion-MNIST's 60,000 training images (a fifth of the samples are drawn from the test split).
pub const SAMPLES_MAX: usize = 75_000;
pub const EPOCHS_MAX: usize = 300;

#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Index into [`MODELS`].
    pub model: usize,
    /// Base width (16 for the CIFAR ResNets, 64 for ResNet-18/34/50 at full size).
    pub width: usize,
    pub train: Training,
    /// A checkpoint after every this many epochs (and after the last); 0 = none.
    pub checkpoint_every: usize,
}

impl Default for Pipeline {
    /// A ResNet-20 at half width on 2,000 Fashion-MNIST images for 3 epochs, warm-up then cosine:
    /// under a minute on a laptop's CPU.
    fn default() -> Self {
        Pipeline {
            model: 0,
            width: 8,
            checkpoint_every: 1,
            train: Training {
                data: DataKind::FashionMnist,
                samples: 2000,
                size: 28,
                epochs: 3,
                batch: 64,
                lr: 0.05,
                augment: true,
                seed: 42,
                momentum: 0.9,
                weight_decay: 0.0005,
                schedule: Schedule::Cosine,
                warmup_epochs: 1,
            },
        }
    }
}

impl PageState for Pipeline {
    const SLUG: &'static str = "pipeline";

    fn read(q: &mut Query, d: &Pipeline) -> Pipeline {
        let model = q.choice("model", d.model, |s| MODELS.iter().position(|m| *m == s), &MODELS.join(", "));
        let width = q.int("width", d.width, 2, 64);
        let checkpoint_every = q.int("checkpoints", d.checkpoint_every, 0, 100);
        let train = Training::from_query_within(q, &d.train, SAMPLES_MAX, EPOCHS_MAX);
        Pipeline { model, width, train, checkpoint_every }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("model", MODELS[self.model].to_string()),
            ("width", self.width.to_string()),
            ("checkpoints", self.checkpoint_every.to_string()),
        ];
        pairs.extend(self.train.pairs());
        pairs
    }
}

impl Pipeline {
    pub fn spec(&self) -> ModelSpec {
        ModelSpec::from_name(MODELS[self.model]).expect("the pipeline's models are catalogue names").with_width(self.width)
    }

    /// The run: per-class evaluation on.
    pub fn config(&self) -> ExperimentConfig {
        let spec = self.spec();
        ExperimentConfig {
            label: format!("{} width {}", spec.label(), self.width),
            per_class: true,
            checkpoint_every: self.checkpoint_every,
            ..self.train.config(spec)
        }
    }

    /// The module's CIFAR recipe: batch 128, SGD at 0.1 with momentum 0.9, weight decay 5e-4, cosine
    /// annealing, augmentation, 200 epochs (a GPU's afternoon; keep the data and model you chose).
    pub fn recommended(&self) -> Pipeline {
        let train = Training {
            batch: 128,
            lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0005,
            schedule: Schedule::Cosine,
            epochs: 200,
            augment: true,
            warmup_epochs: 0,
            ..self.train.clone()
        };
        Pipeline { train, ..self.clone() }
    }

    /// The learning rate at every step of the planned run, for the preview chart.
    pub fn lr_preview(&self) -> Vec<(f32, f32)> {
        let c = self.config();
        c.lr_curve(c.data.train_len()).into_iter().enumerate().map(|(s, lr)| ((s + 1) as f32, lr as f32)).collect()
    }
}

/// What the checkpoint list shows of a kept checkpoint (stored beside it, so the list never loads
/// the weights).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    pub label: String,
    pub epoch: usize,
    /// The epochs its run planned.
    pub epochs: usize,
    pub val_accuracy: f32,
    pub bytes: usize,
    /// When it was kept (ms since 1970), for the key and the order.
    pub saved_ms: f64,
}

impl CheckpointMeta {
    pub fn of(c: &Checkpoint, bytes: usize, saved_ms: f64) -> CheckpointMeta {
        CheckpointMeta {
            label: c.config.label.clone(),
            epoch: c.epoch,
            epochs: c.config.epochs,
            val_accuracy: c.val_accuracy,
            bytes,
            saved_ms,
        }
    }

    /// The IndexedDB key: sortable by run, then epoch.
    pub fn key(&self) -> String {
        format!("{:013.0} {} · epoch {:04}", self.saved_ms, self.label, self.epoch)
    }
}

/// Reads a checkpoint file; the message says what is wrong with a file that is not one.
pub fn parse_checkpoint(text: &str) -> Result<Checkpoint, String> {
    let c: Checkpoint = serde_json::from_str(text).map_err(|e| {
        let e = e.to_string();
        format!("not a ResNet Lab checkpoint ({}): nothing was loaded", e.chars().take(120).collect::<String>())
    })?;
    if c.format != CHECKPOINT_FORMAT {
        return Err(format!("a checkpoint of format {}; this lab reads format {CHECKPOINT_FORMAT}", c.format));
    }
    c.config.validate().map_err(|e| format!("the checkpoint's run is not valid here: {e}"))?;
    if c.model.is_empty() || c.optimizer.is_empty() || crate::lab::measure::base64_to_bytes(&c.model).is_err() {
        return Err("the checkpoint's weights are damaged: nothing was loaded".into());
    }
    Ok(c)
}

/// The run that continues `c` up to `epochs` epochs (at least one more than it has).
pub fn resume_config(c: Checkpoint, epochs: usize) -> Result<ExperimentConfig, String> {
    let config = ExperimentConfig { epochs: epochs.max(c.config.epochs), ..c.config.clone() };
    if let Some(problem) = c.mismatch(&config) {
        return Err(problem);
    }
    Ok(ExperimentConfig { resume: Some(Box::new(c)), ..config })
}

/// Sentences about the per-class results, from the report.
pub fn class_readout(r: &ClassReport) -> Vec<String> {
    let name = |i: usize| r.class_names.get(i).cloned().unwrap_or_else(|| format!("class {i}"));
    let acc = r.per_class_accuracy();
    let mut out = vec![];
    let known: Vec<(usize, f32)> = acc.iter().enumerate().filter_map(|(i, a)| a.map(|a| (i, a))).collect();
    if let (Some(best), Some(worst)) = (known.iter().max_by(|a, b| a.1.total_cmp(&b.1)), known.iter().min_by(|a, b| a.1.total_cmp(&b.1))) {
        let correct: u32 = (0..r.confusion.len()).map(|i| r.confusion[i][i]).sum();
        out.push(format!(
            "{correct} of {} held-out images right ({:.1}%). Easiest class: {} ({:.1}%); hardest: {} ({:.1}%).",
            r.total(),
            correct as f32 / r.total().max(1) as f32 * 100.0,
            name(best.0),
            best.1 * 100.0,
            name(worst.0),
            worst.1 * 100.0
        ));
    }
    let pairs = r.most_confused(3);
    if !pairs.is_empty() {
        let list: Vec<String> = pairs.iter().map(|&(t, p, c)| format!("{} taken for {} ({c}×)", name(t), name(p))).collect();
        out.push(format!("Most confused: {}.", list.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_long_runs_are_allowed_here() {
        let d = Pipeline::default();
        assert_eq!(Pipeline::from_query(&d.to_query()), (d.clone(), vec![]));
        let (p, notes) = Pipeline::from_query(
            "page=pipeline&model=resnet18-cifar&width=64&samples=75000&epochs=200&schedule=milestones&milestones=100_150&warmup=5",
        );
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!((p.train.samples, p.train.epochs, p.train.warmup_epochs), (75_000, 200, 5));
        assert_eq!(p.train.schedule, Schedule::Milestones { epochs: vec![100, 150], gamma: 0.1 });
        let c = p.config();
        c.validate().unwrap();
        assert!(c.per_class);
        assert_eq!(c.model.resolve(1, 10).params(), 11_172_810, "ResNet-18 (3×3 stem) on 1-channel images");
        let (_, notes) = Pipeline::from_query("page=pipeline&model=vgg&milestones=5_x&schedule=milestones");
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn the_recommended_recipe_and_its_preview() {
        let r = Pipeline::default().recommended();
        assert_eq!((r.train.batch, r.train.lr, r.train.epochs, r.train.weight_decay), (128, 0.1, 200, 0.0005));
        let lr = Pipeline::default().lr_preview();
        // 1,600 training images at batch 64: 25 steps per epoch, 3 epochs; one warm-up epoch.
        assert_eq!(lr.len(), 75);
        assert!((lr[24].1 - 0.05).abs() < 1e-7 && lr[0].1 < 0.003);
    }

    #[test]
    fn checkpoint_files_are_checked_and_resume_continues_their_run() {
        assert!(parse_checkpoint("{\"hello\": 1}").unwrap_err().starts_with("not a ResNet Lab checkpoint"));
        assert!(parse_checkpoint("").unwrap_err().starts_with("not a ResNet Lab checkpoint"));
        let config = Pipeline::default().config();
        let c = Checkpoint {
            format: CHECKPOINT_FORMAT,
            config: config.clone(),
            epoch: 3,
            step: 75,
            val_accuracy: 0.5,
            augment_rng: 1,
            first_loss: 2.3,
            grad_sum: 1.0,
            edges: vec![],
            model: "AAAA".into(),
            optimizer: "AAAA".into(),
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(parse_checkpoint(&text).unwrap(), c);
        assert!(parse_checkpoint(&text.replace("\"format\":1", "\"format\":9")).unwrap_err().contains("format 9"));
        assert!(parse_checkpoint(&text.replace("\"model\":\"AAAA\"", "\"model\":\"\"")).unwrap_err().contains("damaged"));
        // Its run had 3 epochs and all 3 are done: continuing needs more.
        assert!(resume_config(c.clone(), 3).unwrap_err().contains("more epochs"));
        let r = resume_config(c.clone(), 5).unwrap();
        assert_eq!((r.epochs, r.resume.as_ref().unwrap().epoch, r.label.as_str()), (5, 3, config.label.as_str()));
        let meta = CheckpointMeta::of(&c, text.len(), 1.7e12);
        assert!(meta.key().ends_with("· epoch 0003"), "{}", meta.key());
    }
}
