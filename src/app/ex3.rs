//! Exercise 3 — residual vs identity. Train a ResNet, then look at what its residual branches add:
//! histograms of x, F(x) and F(x) + x for any block, ‖F(x)‖/‖x‖ and sparsity across all blocks, at
//! initialisation and after training.

use leptos::prelude::*;

use super::bar_chart::{Bar, BarChart};
use super::chart::{Line, LineChart};
use super::controls::{Readout, Slider};
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::{session_storage, worker_client, SAVED_NET_KEY};
use crate::lab::report::{BlockStats, Stats};
use crate::pages::ex3::{readout, Ex3, IMAGES};
use crate::pages::page::PageState;
use crate::pages::run_view::Phase;
use crate::protocol::{FromWorker, Measure, Measurement, SavedNet};

type Measured = RwSignal<Option<Vec<BlockStats>>>;

/// Sends a residual-statistics request in its own slot; the reply goes into `into`, a failure into `error`.
fn request(slot: &'static str, request: Measure, into: Measured, error: RwSignal<Option<String>>) {
    worker_client::measure_as(slot, request, move |msg| match msg {
        FromWorker::Measured { result: Measurement::Residuals { stats, .. }, .. } => into.set(Some(stats.clone())),
        FromWorker::Finished { error: Some(e), .. } => error.set(Some(e.clone())),
        _ => {}
    });
}

/// The residual statistics before or after training here.
fn measure(settings: RwSignal<Ex3>, trained: bool, into: Measured, error: RwSignal<Option<String>>) {
    let slot = if trained { "residuals-after" } else { "residuals-init" };
    request(slot, settings.with_untracked(|s| s.measure(trained)), into, error);
}

/// A histogram's bars, labelled by each bin's centre.
fn bins(s: &Stats) -> Vec<Bar> {
    let n = s.histogram.len().max(1) as f32;
    let w = (s.max - s.min) / n;
    s.histogram.iter().enumerate().map(|(i, &c)| Bar { label: format!("{:.2}", s.min + w * (i as f32 + 0.5)), value: c as f64 }).collect()
}

#[component]
fn StatsRow(name: &'static str, when: &'static str, s: Stats) -> impl IntoView {
    view! {
        <tr data-what=name data-when=when data-mean=s.mean data-std=s.std data-min=s.min data-max=s.max data-zeros=s.zero_frac>
            <th scope="row">{name}</th><td>{when}</td>
            <td>{format!("{:.4}", s.mean)}</td><td>{format!("{:.4}", s.std)}</td><td>{format!("{:.4}", s.min)}</td>
            <td>{format!("{:.4}", s.max)}</td><td>{format!("{:.1}%", s.zero_frac * 100.0)}</td>
        </tr>
    }
}

#[component]
pub fn Ex3Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Ex3>();
    // Not kept for Back: what this page shows after training is measured on the trained net, which
    // lives in the worker and goes with the page.
    let runs = Runs::not_kept();
    let running = runs.running();
    let init: Measured = RwSignal::new(None);
    let after: Measured = RwSignal::new(None);
    let error = RwSignal::new(None::<String>);

    // A net Part 4 trained in this tab: it can be looked inside without training here.
    let saved: Option<SavedNet> = session_storage()
        .and_then(|s| s.get_item(SAVED_NET_KEY).ok().flatten())
        .and_then(|j| serde_json::from_str::<SavedNet>(&j).ok())
        .filter(|s| s.model.family == crate::lab::model::Family::Cifar && s.model.skip.has_shortcut());
    let saved_label = saved.as_ref().map(|s| s.label.clone());
    let use_saved = move || {
        let Some(saved) = saved.clone() else { return };
        init.set(None);
        after.set(None);
        error.set(None);
        let saved_request = settings.with_untracked(|s| s.measure_saved(&saved));
        worker_client::load_net(saved, move |msg| match msg {
            FromWorker::NetLoaded { .. } => request("residuals-after", saved_request.clone(), after, error),
            FromWorker::Finished { error: Some(e), .. } => error.set(Some(e.clone())),
            _ => {}
        });
    };
    let train = move |_| {
        init.set(None);
        after.set(None);
        error.set(None);
        measure(settings, false, init, error);
        runs.start(settings.with(|s| vec![s.config()]));
    };
    // The run finished: measure the trained net on the same held-out images.
    Effect::new(move |_| {
        if runs.view.with(|r| r.phase) == Phase::Done {
            measure(settings, true, after, error);
        }
    });

    let per_block = move |f: fn(&BlockStats) -> f32| {
        Signal::derive(move || {
            let line = |label: &str, m: Measured| {
                m.with(|s| {
                    s.as_ref().map(|s| Line { label: label.into(), points: s.iter().map(|b| (b.block as f32 + 1.0, f(b))).collect() })
                })
            };
            [line("at initialisation", init), line("after training", after)].into_iter().flatten().collect::<Vec<_>>()
        })
    };
    let sparsity = Signal::derive(move || {
        let mut lines = Vec::new();
        for (when, m) in [("initialisation", init), ("after training", after)] {
            m.with(|s| {
                if let Some(s) = s {
                    let pts = |f: fn(&BlockStats) -> f32| s.iter().map(|b| (b.block as f32 + 1.0, f(b) * 100.0)).collect();
                    lines.push(Line { label: format!("ReLU(F(x) + x), {when}"), points: pts(|b| b.output.zero_frac) });
                    lines.push(Line { label: format!("F(x), {when}"), points: pts(|b| b.residual.zero_frac) });
                }
            })
        }
        lines
    });
    // The selected block's statistics: after training when measured, else at initialisation.
    let shown = move || {
        let i = settings.with(|s| s.block);
        after.with(|a| a.as_ref().and_then(|a| a.get(i).cloned())).or_else(|| init.with(|s| s.as_ref().and_then(|s| s.get(i).cloned())))
    };
    let hist = move |f: fn(&BlockStats) -> &Stats| Signal::derive(move || shown().map(|b| bins(f(&b))).unwrap_or_default());
    let sentences = Signal::derive(move || init.with(|i| after.with(|a| readout(i.as_deref(), a.as_deref()))));
    let block_title = move || {
        let (i, n) = settings.with(|s| (s.block, s.blocks()));
        let when = if after.with(|a| a.is_some()) { "after training" } else { "at initialisation" };
        format!("Block {} of {n}, {when}: distributions over {IMAGES} held-out images", i + 1)
    };

    view! {
        <PageShell slug=Ex3::SLUG notes=notes>
            <Lede slot>
                "A residual block outputs "<code>"F(x) + x"</code>": it only has to learn the change F(x) to its input. The "
                "exercise expects those changes to be small next to x (‖F(x)‖/‖x‖ small, largest in the middle blocks), "
                "sparse after the ReLU, and shrinking as the net learns. Train a CIFAR ResNet here: the worker measures "
                "x, F(x) and F(x) + x in every block on the same held-out images, once at initialisation and once after "
                "training."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"ResNet"</legend>
                    <Slider id="depth".into() label="Depth (6n + 2 layers)".into() hint="Weight layers: three stages of n blocks of two convolutions, plus the first convolution and the classifier." min=8.0 max=56.0 step=6.0
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| {
                            s.depth = crate::pages::query::snap_depth(v as usize, 6, 8);
                            s.block = s.block.min(s.blocks() - 1);
                        }) disabled=running />
                    <Slider id="width".into() label="Width (16 in the paper)".into() hint="Channels of the first stage; each later stage doubles them." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Ex3| &s.train set=|s: &mut Ex3| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running on:click=train>"Train and measure"</button>
                    <super::estimate::Estimate configs=Signal::derive(move || settings.with(|s| vec![s.config()])) />
                    {saved_label.map(|l| view! {
                        <button type="button" data-testid="use-part4" prop:disabled=running on:click=move |_| use_saved()>
                            {format!("Look inside {l} (trained on Part 4 in this tab)")}
                        </button>
                    })}
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            {move || error.get().map(|e| view! { <p class="notice error" role="alert" data-testid="error">{e}</p> })}
            <div class="two-col">
                <LineChart lines=per_block(BlockStats::ratio) title="‖F(x)‖ / ‖x‖ per block" x_desc="block" y_desc="ratio" testid="ratio-chart" />
                <LineChart lines=sparsity title="Exact zeros per block (%)" x_desc="block" y_desc="zeros (%)" testid="sparsity-chart" />
            </div>
            <section aria-labelledby="block-title">
                <h2 id="block-title">{block_title}</h2>
                <Slider id="block".into() label="Block".into() min=1.0
                    max=Signal::derive(move || settings.with(|s| s.blocks() as f64)) step=1.0
                    value=Signal::derive(move || settings.with(|s| s.block as f64 + 1.0))
                    on_change=move |v| settings.update(|s| s.block = (v as usize).clamp(1, s.blocks()) - 1) />
                <div class="three-col">
                    <BarChart bars=hist(|b| &b.input) title="x — the block's input" y_desc="values" testid="hist-x" fmt=|v| format!("{v:.0}") />
                    <BarChart bars=hist(|b| &b.residual) title="F(x) — the residual" y_desc="values" testid="hist-f" fmt=|v| format!("{v:.0}") />
                    <BarChart bars=hist(|b| &b.sum) title="F(x) + x — before the ReLU" y_desc="values" testid="hist-sum" fmt=|v| format!("{v:.0}") />
                </div>
                <table class="numbers wide" data-testid="block-stats">
                    <thead><tr><th>"tensor"</th><th>"when"</th><th>"mean"</th><th>"std"</th><th>"min"</th><th>"max"</th><th>"exact zeros"</th></tr></thead>
                    <tbody>
                        {move || {
                            let i = settings.with(|s| s.block);
                            [("initialisation", init), ("after training", after)].into_iter().filter_map(|(when, m)| {
                                m.with(|s| s.as_ref().and_then(|s| s.get(i).cloned())).map(|b| view! {
                                    <StatsRow name="x" when=when s=b.input.clone() />
                                    <StatsRow name="F(x)" when=when s=b.residual.clone() />
                                    <StatsRow name="F(x) + x" when=when s=b.sum.clone() />
                                    <StatsRow name="ReLU(F(x) + x)" when=when s=b.output.clone() />
                                })
                            }).collect_view()
                        }}
                    </tbody>
                </table>
            </section>
            <Readout title="What the measurements show" sentences=sentences><RunDetails run=runs.view /></Readout>
        </PageShell>
    }
}
