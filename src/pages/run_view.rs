//! What a page knows about a run in progress: the worker's events folded into per-series curves,
//! progress and ETA. Pure data, shared by every training page.

use serde::{Deserialize, Serialize};

use crate::lab::experiment::{EpochStats, Event, Summary};
use crate::lab::gradients::{self, When};
use crate::protocol::FromWorker;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Phase {
    #[default]
    Idle,
    Running,
    Done,
    Cancelled,
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub label: String,
    /// (step, loss) for every optimiser step.
    pub losses: Vec<(f32, f32)>,
    /// (step, global gradient norm).
    pub grad_norms: Vec<(f32, f32)>,
    pub epochs: Vec<EpochStats>,
    pub layers: Vec<String>,
    /// Every step's per-layer gradient norms (`[step][layer]`): the heat strip and the profiles.
    pub layer_grads: Vec<Vec<f32>>,
    pub summary: Option<Summary>,
    pub failed: Option<String>,
    /// What weighted or gated skips learned (Exercise 5).
    pub skips: Option<crate::lab::report::SkipWeights>,
    /// (step, feature maps after each stage) of one fixed image, when the run takes snapshots.
    pub snapshots: Vec<(usize, Vec<crate::lab::report::FeatureMaps>)>,
    /// (step, learning rate) as the run applied it.
    pub lrs: Vec<(f32, f32)>,
    /// Per-class results on the held-out split, when the run asked for them.
    pub classes: Option<crate::lab::report::ClassReport>,
}

impl Series {
    /// A finished series for readout tests: `loss` at the end, `ratio` first/last layer gradient.
    #[cfg(test)]
    pub fn finished_for_test(label: &str, loss: f32, val_accuracy: f32, ratio: f32) -> Series {
        let layer_grads = vec![vec![ratio, 1.0]; 4];
        Series {
            label: label.into(),
            summary: Some(Summary {
                label: label.into(),
                params: 1,
                steps: 20,
                first_loss: 2.3,
                final_loss: loss,
                final_train_accuracy: val_accuracy,
                final_val_accuracy: val_accuracy,
                final_val_loss: loss,
                mean_grad_norm: 1.0,
                first_last_ratio_init: ratio,
                first_last_ratio_late: ratio,
                elapsed_ms: 1.0,
                images_per_sec: 1.0,
                classes: 10,
                macs: 1,
                step_ms: 1.0,
                held_out: 100,
            }),
            layer_grads,
            ..Series::default()
        }
    }

    /// Each layer's gradient norm over `when` (the median per layer; see [`crate::lab::gradients`]).
    pub fn profile(&self, when: When) -> Vec<f32> {
        gradients::profile(&self.layer_grads, when)
    }

    /// The first layer's gradient over the last layer's, from [`Series::profile`].
    pub fn first_last(&self, when: When) -> Option<f32> {
        gradients::first_last_ratio(&self.layer_grads, when)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: u32,
    pub phase: Phase,
    pub series: Vec<Series>,
    /// Steps the whole request will take, known before it starts.
    pub planned_steps: usize,
    pub done_steps: usize,
    pub started_ms: f64,
    pub now_ms: f64,
    pub error: Option<String>,
    /// A real dataset being fetched before the first step: (what, fraction).
    pub loading: Option<(String, f64)>,
    /// Classes of the data the run trains on (guessing scores ln(classes) loss); 0 when unknown.
    pub classes: usize,
    /// When the first training step was reported: the pace is measured from here, so a dataset
    /// download and the first step's set-up do not count.
    pub first_step_ms: Option<f64>,
    /// Shown again from the tab's storage (Back to the page), not run in this visit.
    #[serde(skip)]
    pub restored: bool,
}

/// A finished run as the tab keeps it: the page URL it ended on, and the view.
#[derive(Serialize, Deserialize)]
struct Kept {
    query: String,
    view: RunView,
}

impl RunView {
    /// This run as JSON for the tab's storage, tied to the page URL `query`; `None` unless it has
    /// ended (a live run cannot outlive its page: the worker goes with it).
    pub fn to_kept(&self, query: &str) -> Option<String> {
        matches!(self.phase, Phase::Done | Phase::Cancelled | Phase::Failed)
            .then(|| serde_json::to_string(&Kept { query: query.into(), view: self.clone() }).ok())
            .flatten()
    }

    /// The run kept in `json`, when it was made on this very URL (Back, or a reload of the same
    /// settings); marked restored, and tied to no request.
    pub fn from_kept(json: &str, query: &str) -> Option<RunView> {
        let kept: Kept = serde_json::from_str(json).ok()?;
        (kept.query == query && kept.view.phase != Phase::Running).then_some(RunView { id: 0, restored: true, ..kept.view })
    }
}

impl RunView {
    pub fn start(id: u32, labels: Vec<String>, planned_steps: usize, now_ms: f64) -> Self {
        RunView {
            id,
            phase: Phase::Running,
            series: labels.into_iter().map(|label| Series { label, ..Series::default() }).collect(),
            planned_steps,
            started_ms: now_ms,
            now_ms,
            ..RunView::default()
        }
    }

    /// Whether `apply` would change anything: this run's events, or data loading while it runs.
    pub fn concerns(&self, msg: &FromWorker) -> bool {
        match msg {
            FromWorker::Event { id, .. } | FromWorker::Finished { id, .. } | FromWorker::DataProgress { id, .. } => *id == self.id,
            _ => false,
        }
    }

    /// Folds one worker message in; messages for other runs are ignored.
    pub fn apply(&mut self, msg: &FromWorker, now_ms: f64) {
        match msg {
            FromWorker::DataProgress { id, stage, fraction } if *id == self.id && self.phase == Phase::Running => {
                self.loading = Some((stage.clone(), *fraction));
            }
            FromWorker::Event { id, series, event } if *id == self.id => {
                self.now_ms = now_ms;
                self.loading = None;
                let Some(s) = self.series.get_mut(*series) else { return };
                match event {
                    Event::Started { label, layers, .. } => {
                        s.label = label.clone();
                        s.layers = layers.clone();
                    }
                    Event::Step(st) => {
                        s.losses.push((st.step as f32, st.loss));
                        s.grad_norms.push((st.step as f32, st.grad_norm));
                        s.lrs.push((st.step as f32, st.lr as f32));
                        s.layer_grads.push(st.layer_grad_norms.clone());
                        self.done_steps += 1;
                        self.first_step_ms.get_or_insert(now_ms);
                    }
                    Event::Epoch(e) => s.epochs.push(e.clone()),
                    Event::Done(summary) => s.summary = Some(summary.clone()),
                    Event::Skips(w) => s.skips = Some(w.clone()),
                    Event::Snapshot { step, maps } => s.snapshots.push((*step, maps.clone())),
                    Event::Classes(report) => s.classes = Some(report.clone()),
                    // Kept by the page that asked for them, not in the curves.
                    Event::Checkpoint(_) => {}
                    Event::Failed { reason } => s.failed = Some(reason.clone()),
                }
            }
            FromWorker::Finished { id, cancelled, error } if *id == self.id => {
                self.now_ms = now_ms;
                self.loading = None;
                self.error = error.clone();
                self.phase = match (cancelled, error) {
                    (true, _) => Phase::Cancelled,
                    (_, Some(_)) => Phase::Failed,
                    _ => Phase::Done,
                };
            }
            _ => {}
        }
    }

    pub fn fraction(&self) -> f64 {
        if self.planned_steps == 0 {
            return 0.0;
        }
        (self.done_steps as f64 / self.planned_steps as f64).min(1.0)
    }

    /// Seconds left, extrapolated from the pace so far; `None` until a step has finished.
    pub fn eta_secs(&self) -> Option<f64> {
        if self.done_steps == 0 || self.phase != Phase::Running {
            return None;
        }
        let left = self.planned_steps.saturating_sub(self.done_steps) as f64;
        if let Some(rate) = self.steps_per_sec() {
            return Some(left / rate);
        }
        let elapsed = (self.now_ms - self.started_ms).max(0.0) / 1000.0;
        Some(elapsed / self.done_steps as f64 * left)
    }

    /// Training steps per second since the first step (evaluation passes between epochs included);
    /// `None` before a second step.
    pub fn steps_per_sec(&self) -> Option<f64> {
        let secs = (self.now_ms - self.first_step_ms?) / 1000.0;
        (self.done_steps >= 2 && secs > 0.0).then(|| (self.done_steps - 1) as f64 / secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::experiment::StepStats;

    fn step(n: usize, loss: f32) -> FromWorker {
        FromWorker::Event {
            id: 3,
            series: 0,
            event: Event::Step(StepStats {
                step: n,
                epoch: 1,
                loss,
                accuracy: 0.5,
                lr: 0.1,
                grad_norm: 2.0,
                layer_grad_norms: vec![1.0, 3.0],
                elapsed_ms: 0.0,
            }),
        }
    }

    #[test]
    fn a_finished_run_is_kept_for_its_own_url_only() {
        let mut v = RunView::start(3, vec!["a".into()], 2, 0.0);
        v.apply(&step(1, 2.0), 10.0);
        assert_eq!(v.to_kept("?page=part1"), None, "a running view is not kept");
        v.apply(&FromWorker::Finished { id: 3, cancelled: false, error: None }, 20.0);
        let json = v.to_kept("?page=part1&depths=4").unwrap();
        let back = RunView::from_kept(&json, "?page=part1&depths=4").unwrap();
        assert!(back.restored && back.id == 0 && back.phase == Phase::Done);
        assert_eq!(back.series, v.series);
        assert_eq!(RunView::from_kept(&json, "?page=part1&depths=8"), None);
        assert_eq!(RunView::from_kept("{not json", "?page=part1"), None);
    }

    #[test]
    fn folds_events_and_estimates_eta() {
        let mut v = RunView::start(3, vec!["a".into()], 4, 0.0);
        v.apply(
            &FromWorker::Event {
                id: 3,
                series: 0,
                event: Event::Started { label: "A".into(), params: 1, steps_total: 4, layers: vec!["x".into(), "y".into()] },
            },
            0.0,
        );
        v.apply(&step(1, 2.0), 1000.0);
        v.apply(&step(2, 1.0), 2000.0);
        v.apply(&step(9, 1.0).clone_with_id(99), 2500.0);
        assert_eq!(v.series[0].losses, vec![(1.0, 2.0), (2.0, 1.0)]);
        assert_eq!(v.series[0].profile(When::Late), vec![1.0, 3.0]);
        assert_eq!(v.fraction(), 0.5);
        // One step a second since the first: two steps left.
        assert_eq!(v.steps_per_sec(), Some(1.0));
        assert_eq!(v.eta_secs(), Some(2.0));
        // A slow first step (a download, the first step's set-up) does not count.
        let mut w = RunView::start(3, vec!["a".into()], 4, 0.0);
        w.apply(&step(1, 2.0), 9000.0);
        assert_eq!(w.eta_secs(), Some(27.0), "before a second step: the whole elapsed time per step");
        w.apply(&step(2, 1.0), 9500.0);
        assert_eq!(w.steps_per_sec(), Some(2.0));
        assert_eq!(w.eta_secs(), Some(1.0));
        v.apply(&FromWorker::Finished { id: 3, cancelled: true, error: None }, 3000.0);
        assert_eq!(v.phase, Phase::Cancelled);
        assert_eq!(v.eta_secs(), None);
    }

    impl FromWorker {
        fn clone_with_id(&self, new: u32) -> FromWorker {
            match self.clone() {
                FromWorker::Event { series, event, .. } => FromWorker::Event { id: new, series, event },
                other => other,
            }
        }
    }
}
