//! "Repeat with 3 seeds" under a comparison: the same nets trained again with other seeds, each
//! one's mean with its lowest-to-highest seed as whiskers, and whether the order survives the seed.

use leptos::prelude::*;

use super::bar_chart::{Bar, BarChart};
use super::controls::Readout;
use super::estimate::Estimate;
use super::progress::Progress;
use super::runs::Runs;
use crate::lab::experiment::ExperimentConfig;
use crate::pages::readouts::{held_out_accuracy, mean_spread, range};
use crate::pages::run_view::Phase;
use crate::pages::seeds::{readout, repeated, spreads, Spread, REPEATS};

#[component]
pub fn SeedRepeat(
    /// The page's comparison, as its Train button would run it.
    #[prop(into)]
    configs: Signal<Vec<ExperimentConfig>>,
    /// The page's own run is going: wait for it.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let runs = Runs::new();
    let running = runs.running();
    let repeats = Signal::derive(move || configs.with(|c| repeated(c)));
    let groups = Signal::derive(move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { spreads(&r.series) }));
    let bars = move |values: fn(&Spread) -> &Vec<f32>| {
        Signal::derive(move || {
            groups.with(|g| g.iter().map(|s| Bar { label: s.label.clone(), value: mean_spread(values(s)).0 as f64 }).collect::<Vec<_>>())
        })
    };
    let ranges = move |values: fn(&Spread) -> &Vec<f32>| {
        Signal::derive(move || {
            groups.with(|g| {
                g.iter()
                    .map(|s| {
                        let (lo, hi) = range(values(s));
                        (lo as f64, hi as f64)
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let sentences = Signal::derive(move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&r.series) }));
    let shown = move || runs.view.with(|r| r.phase != Phase::Idle);
    view! {
        <section class="seeds" data-testid="seeds">
            <h2>"Is it the seed?"</h2>
            <p class="hint">
                {move || {
                    let seed = configs.with(|c| c.first().map_or(0, |c| c.seed));
                    format!(
                        "One run is one draw of the initial weights, the data and their order. Train every net above {REPEATS} times, \
                         with seeds {seed} to {}, and see whether the gap between nets is bigger than the gap between runs of the same net.",
                        seed + REPEATS - 1
                    )
                }}
            </p>
            <div class="actions">
                <button type="button" data-testid="seeds-train" prop:disabled=move || busy.get() || running.get()
                    on:click=move |_| runs.start(repeats.get_untracked())>{format!("Repeat with {REPEATS} seeds")}</button>
                <Estimate configs=repeats testid="seeds-estimate" />
            </div>
            <Show when=shown>
                <Progress run=runs.view on_cancel=move || runs.cancel() testid="seeds-progress" />
                <div class="chart-pair">
                    <BarChart bars=bars(|s| &s.accuracy) ranges=ranges(|s| &s.accuracy) title="Held-out accuracy over the seeds (mean; whiskers: lowest to highest)"
                        y_desc="held-out accuracy (%)" testid="seeds-accuracy" fmt=|v| format!("{v:.1}%") />
                    <BarChart bars=bars(|s| &s.loss) ranges=ranges(|s| &s.loss) title="Training loss in the last epoch over the seeds"
                        y_desc="training loss" testid="seeds-loss" fmt=|v| format!("{v:.3}") />
                </div>
                <Readout title="What the seeds say" sentences=sentences testid="seeds-readout">
                    <ul class="details" data-testid="seeds-details">
                        {move || runs.view.with(|r| r.series.iter().filter_map(|s| s.summary.clone()).map(|m| view! {
                            <li data-series=m.label.clone() data-final-loss=m.final_loss data-val-acc=m.final_val_accuracy>
                                {format!("{}: training loss in the last epoch {:.3}, held-out accuracy {}", m.label, m.final_loss, held_out_accuracy(&m))}
                            </li>
                        }).collect_view())}
                    </ul>
                </Readout>
            </Show>
        </section>
    }
}
