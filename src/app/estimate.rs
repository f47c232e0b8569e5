//! "About 40 s here" beside a Train button, from the pace the last run in this tab measured.

use leptos::prelude::*;

use crate::lab::experiment::ExperimentConfig;
use crate::pages::estimate::{describe, seconds};

/// Milliseconds per unit of work (`pages::estimate`), measured by the last finished run in this tab;
/// provided by the app, set by [`super::runs::Runs`].
#[derive(Clone, Copy)]
pub struct Pace(pub RwSignal<Option<f64>>);

#[component]
pub fn Estimate(#[prop(into)] configs: Signal<Vec<ExperimentConfig>>, #[prop(default = "estimate")] testid: &'static str) -> impl IntoView {
    let pace = use_context::<Pace>();
    let secs = Signal::derive(move || pace.and_then(|p| p.0.get()).map(|ms| configs.with(|c| seconds(c, ms))));
    view! {
        <span class="hint estimate" data-testid=testid data-secs=move || secs.get().map(|s| s.to_string())>
            {move || match secs.get() {
                Some(s) => format!("{} here, at the pace of the last run in this tab.", describe(s)),
                None => "The first run in this tab measures its pace; after it, each run's time is estimated here.".into(),
            }}
        </span>
    }
}
