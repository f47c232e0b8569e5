//! A page's training run: start it in the worker, fold its events into a [`RunView`], cancel it, and
//! the chart lines every training page draws from it.

use leptos::prelude::*;

use super::chart::Line;
use super::estimate::Pace;
use super::worker_client;
use crate::lab::experiment::{EpochStats, ExperimentConfig};
use crate::lab::gradients::When;
use crate::pages::run_view::{Phase, RunView};

#[derive(Clone, Copy)]
pub struct Runs {
    pub view: RwSignal<RunView>,
    /// The tab's pace, updated when a series finishes (see [`super::estimate`]).
    pace: Option<Pace>,
    /// Which of the page's runs this is (in creation order): with the page's slug, where the tab
    /// keeps its last finished run.
    slot: usize,
}

thread_local! {
    /// Runs made by this document so far. Every page is its own document (links load a new one),
    /// so a page's runs get the same slots on every visit.
    static MADE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

const NOT_KEPT: usize = usize::MAX;

/// Where the tab keeps run `slot` of the current page.
fn storage_key(slot: usize) -> String {
    let page = crate::pages::query::Query::parse(&super::location_query()).raw("page").unwrap_or_default().to_string();
    format!("resnet-lab.run.{page}.{slot}")
}

impl Runs {
    /// A page's run; when the tab ran this page with these very settings before (Back to it, or a
    /// reload), that run's results are shown again.
    pub fn new() -> Self {
        let slot = MADE.with(|m| m.replace(m.get() + 1));
        let kept = super::session_storage()
            .and_then(|s| s.get_item(&storage_key(slot)).ok().flatten())
            .and_then(|json| RunView::from_kept(&json, &super::location_query()));
        Runs { view: RwSignal::new(kept.unwrap_or_default()), pace: use_context::<Pace>(), slot }
    }

    /// A run the tab does not keep (a page whose results need more than its runs to make sense).
    pub fn not_kept() -> Self {
        Runs { view: RwSignal::new(RunView::default()), pace: use_context::<Pace>(), slot: NOT_KEPT }
    }

    /// Keeps an ended run for the tab; too big for the storage, it is simply not kept.
    fn keep(self) {
        let Some(storage) = super::session_storage().filter(|_| self.slot != NOT_KEPT) else { return };
        let key = storage_key(self.slot);
        match self.view.with_untracked(|r| r.to_kept(&super::location_query())) {
            Some(json) if storage.set_item(&key, &json).is_ok() => {}
            _ => {
                let _ = storage.remove_item(&key);
            }
        }
    }

    pub fn running(self) -> Signal<bool> {
        Signal::derive(move || self.view.with(|r| r.phase == Phase::Running))
    }

    pub fn start(self, configs: Vec<ExperimentConfig>) {
        self.start_with(configs, |_| {});
    }

    /// [`Runs::start`], also handing every message of the run to `also` (the pipeline keeps the
    /// checkpoints the run sends; they stay out of the view, which every redraw reads).
    pub fn start_with(self, configs: Vec<ExperimentConfig>, also: impl Fn(&crate::protocol::FromWorker) + 'static) {
        // Checked as a whole before anything leaves the page (the worker checks again).
        if let Some(problem) =
            configs.iter().find_map(|c| c.validate().and_then(|_| c.check_memory(crate::lab::experiment::BROWSER_MEMORY_LIMIT)).err())
        {
            let mut refused = RunView::start(0, configs.iter().map(|c| c.label.clone()).collect(), 0, js_sys::Date::now());
            refused.phase = Phase::Failed;
            refused.error = Some(problem);
            self.view.set(refused);
            return;
        }
        // A resumed run has its checkpoint's steps behind it already.
        let planned = configs.iter().map(|c| c.steps_total().saturating_sub(c.resume.as_ref().map_or(0, |r| r.step))).sum();
        let configs_classes = configs.first().map_or(0, |c| c.data.classes);
        let labels = configs.iter().map(|c| c.label.clone()).collect();
        let (view, runs) = (self.view, self);
        let (pace, measured) = (self.pace, configs.clone());
        // Only this run's messages touch the view: every update re-runs whatever reads it.
        let id = worker_client::run(configs, move |msg| {
            if view.with_untracked(|r| r.concerns(msg)) {
                if let (Some(p), crate::protocol::FromWorker::Event { series, event: crate::lab::experiment::Event::Done(m), .. }) =
                    (pace, msg)
                {
                    if let Some(ms) = measured.get(*series).and_then(|c| crate::pages::estimate::pace(c, m.step_ms)) {
                        p.0.set(Some(ms));
                    }
                }
                also(msg);
                view.update(|r| r.apply(msg, js_sys::Date::now()));
                if matches!(msg, crate::protocol::FromWorker::Finished { .. }) {
                    runs.keep();
                }
            }
        });
        let classes = configs_classes;
        view.set(RunView { classes, ..RunView::start(id, labels, planned, js_sys::Date::now()) });
    }

    /// The loss of guessing, ln(classes): the dashed chance line on loss charts.
    pub fn chance_loss(self) -> Signal<Option<f32>> {
        Signal::derive(move || self.view.with(|r| (r.classes >= 2).then(|| (r.classes as f32).ln())))
    }

    pub fn cancel(self) {
        worker_client::cancel(self.view.with_untracked(|r| r.id));
    }

    /// Training loss per step, one line per series.
    pub fn loss_lines(self) -> Signal<Vec<Line>> {
        Signal::derive(move || {
            self.view.with(|r| r.series.iter().map(|s| Line { label: s.label.clone(), points: s.losses.clone() }).collect())
        })
    }

    /// Global gradient norm per step.
    pub fn grad_norm_lines(self) -> Signal<Vec<Line>> {
        Signal::derive(move || {
            self.view.with(|r| r.series.iter().map(|s| Line { label: s.label.clone(), points: s.grad_norms.clone() }).collect())
        })
    }

    /// Each weight layer's gradient norm over `when` (step 1, the median of the last half of the
    /// steps, or one step), input → output: the profile over depth.
    pub fn layer_grad_lines(self, when: impl Fn() -> When + Send + Sync + 'static) -> Signal<Vec<Line>> {
        Signal::derive(move || {
            let when = when();
            self.view.with(|r| {
                r.series
                    .iter()
                    .filter(|s| !s.layer_grads.is_empty())
                    .map(|s| Line {
                        label: s.label.clone(),
                        points: s.profile(when).into_iter().enumerate().map(|(i, g)| (i as f32 + 1.0, g)).collect(),
                    })
                    .collect()
            })
        })
    }

    /// One value per epoch (e.g. training loss, held-out accuracy), one line per series.
    pub fn epoch_lines(self, value: fn(&EpochStats) -> f32) -> Signal<Vec<Line>> {
        Signal::derive(move || {
            self.view.with(|r| {
                r.series
                    .iter()
                    .map(|s| Line { label: s.label.clone(), points: s.epochs.iter().map(|e| (e.epoch as f32, value(e))).collect() })
                    .collect()
            })
        })
    }

    /// Steps run so far by the longest series (for step scrubbers).
    pub fn steps(self) -> Signal<usize> {
        Signal::derive(move || self.view.with(|r| r.series.iter().map(|s| s.layer_grads.len()).max().unwrap_or(0)))
    }
}
