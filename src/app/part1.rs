//! Part 1 — the degradation problem. Several plain stacks of different depths train on the same data
//! with the same seed; their loss curves share one chart. Flip "Connections" to residual to see the
//! skip connection remove the penalty for depth.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use super::chart::LineChart;
use super::controls::Readout;
use super::controls::Slider;
use super::gradient_profiles::GradientProfiles;
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::seed_repeat::SeedRepeat;
use super::training_controls::TrainingControls;
use crate::pages::part1::{readout, Part1, DEPTH_MAX, DEPTH_MIN, MAX_SERIES};
use crate::pages::run_view::Phase;

#[component]
pub fn Part1Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part1>();
    let runs = Runs::new();
    let run = runs.view;
    let running = runs.running();

    let loss_lines = runs.loss_lines();
    // The last run's curves stay on the chart, faded, when the next one starts: plain vs residual
    // (or one depth set vs another) on one chart.
    let previous = RwSignal::new(Vec::<super::chart::Line>::new());
    let train = move |_| {
        let last = loss_lines.get_untracked();
        if last.iter().any(|l| !l.points.is_empty()) {
            previous.set(last);
        }
        runs.start(settings.with(|s| s.configs()))
    };
    let cancel = move || runs.cancel();
    let sentences = move || run.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&r.series) });

    let depth_sliders = move || {
        let depths = settings.with(|s| s.depths.clone());
        let n = depths.len();
        depths
            .into_iter()
            .enumerate()
            .map(|(i, _)| {
                view! {
                    <div class="depth-row" data-testid="depth-row">
                        <Slider
                            id=format!("depth-{i}")
                            label=format!("Network {} depth (layers)", i + 1)
                            min=DEPTH_MIN as f64
                            max=DEPTH_MAX as f64
                            step=2.0
                            value=Signal::derive(move || settings.with(|s| s.depths.get(i).copied().unwrap_or(0) as f64))
                            on_change=move |v| settings.update(|s| if let Some(d) = s.depths.get_mut(i) { *d = v as usize })
                            disabled=running
                        />
                        <button
                            class="remove"
                            aria-label=format!("Remove network {}", i + 1)
                            prop:disabled=move || running.get() || n <= 1
                            on:click=move |_| settings.update(|s| { s.depths.remove(i); })
                        >"Remove"</button>
                    </div>
                }
            })
            .collect_view()
    };

    view! {
        <PageShell slug=Part1::SLUG notes=notes>
            <Lede slot>
                "A deeper network can represent everything a shallower one can: the extra layers could simply "
                "copy their input. So with enough training, more depth should never mean a higher "
                <em>"training"</em>" loss. Before ResNet, it did. Train plain stacks of convolution + "
                "batch-norm + ReLU layers at several depths on the same data and seed, and compare their curves. "
                "Then switch the connections to residual — each pair of layers computes "<code>"F(x) + x"</code>
                " — and train again."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Networks"</legend>
                    {depth_sliders}
                    <button
                        type="button"
                        data-testid="add-depth"
                        prop:disabled=move || running.get() || settings.with(|s| s.depths.len() >= MAX_SERIES)
                        on:click=move |_| settings.update(|s| {
                            let next = (s.depths.iter().max().copied().unwrap_or(4) + 8).min(DEPTH_MAX);
                            s.depths.push(next);
                        })
                    >"Add a network"</button>
                    <Slider id="width".into() label="Width (channels of the first half)".into() hint="Channels (feature maps) of each convolution; the second half of the net doubles them. Wider nets learn more per layer and step slower." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                </fieldset>
                <fieldset>
                    <legend>"Connections"</legend>
                    <label><input type="radio" name="skip" value="plain" data-testid="skip-plain"
                        prop:checked=move || !settings.with(|s| s.residual)
                        prop:disabled=running
                        on:change=move |_| settings.update(|s| s.residual = false) />" plain (no skips)"</label>
                    <label><input type="radio" name="skip" value="residual" data-testid="skip-residual"
                        prop:checked=move || settings.with(|s| s.residual)
                        prop:disabled=running
                        on:change=move |_| settings.update(|s| s.residual = true) />" residual: F(x) + x"</label>
                </fieldset>
                <TrainingControls settings=settings get=|s: &Part1| &s.train set=|s: &mut Part1| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running on:click=train>"Train"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=run on_cancel=cancel />
            <LineChart lines=loss_lines previous=previous chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <GradientProfiles runs=runs />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=run /></Readout>
            <SeedRepeat configs=Signal::derive(move || settings.with(|s| s.configs())) busy=running />
        </PageShell>
    }
}
