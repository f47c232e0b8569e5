//! Exercise 1 — the vanishing gradient. Two plain nets (20 and 56 blocks by default) train on the
//! same data and seed; their first- and last-layer gradients are followed step by step on a log axis.
//! A depth sweep then fits ‖∇W₁‖ ≈ c·r^depth and reports the r this run gives.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::epoch_charts::EpochCharts;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use crate::lab::gradients::When;
use crate::pages::ex1::{readout, sweep_points, Ex1, Net};
use crate::pages::page::PageState;
use crate::pages::run_view::Phase;

#[component]
pub fn Ex1Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Ex1>();
    let runs = Runs::new();
    let sweep = Runs::new();
    let busy = Signal::derive(move || runs.running().get() || sweep.running().get());

    // First and last weight layer's gradient norm per step, two lines per net.
    let edge_lines = Signal::derive(move || {
        runs.view.with(|r| {
            r.series
                .iter()
                .flat_map(|s| {
                    let at = |i: fn(&Vec<f32>) -> Option<&f32>| {
                        s.layer_grads.iter().enumerate().filter_map(|(k, g)| i(g).map(|&v| (k as f32 + 1.0, v))).collect::<Vec<_>>()
                    };
                    [
                        Line { label: format!("{} first layer", s.label), points: at(|g| g.first()) },
                        Line { label: format!("{} last layer", s.label), points: at(|g| g.last()) },
                    ]
                })
                .collect()
        })
    });
    let ratio_lines = Signal::derive(move || {
        runs.view.with(|r| {
            r.series
                .iter()
                .map(|s| Line {
                    label: s.label.clone(),
                    points: s
                        .layer_grads
                        .iter()
                        .enumerate()
                        .filter_map(|(k, g)| Some((k as f32 + 1.0, g.first()? / g.last()?.max(1e-30))))
                        .collect(),
                })
                .collect()
        })
    });
    let sentences = move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&r.series) });

    // The sweep: the measured points and the fitted line, both against weight layers.
    let sweep_result = Memo::new(move |_| {
        let (net, depths, when) = settings.with(|s| (s.net, s.sweep_depths(), s.sweep_when));
        sweep.view.with(|r| sweep_points(net, &depths, &r.series, when))
    });
    let sweep_lines = Signal::derive(move || {
        let (points, fit) = sweep_result.get();
        let mut lines =
            vec![Line { label: "measured ‖∇W₁‖".into(), points: points.iter().map(|&(d, g)| (d as f32, g as f32)).collect() }];
        if let (Some(f), Some(lo), Some(hi)) = (fit, points.first(), points.last()) {
            let line = (0..=20).map(|i| lo.0 + (hi.0 - lo.0) * i as f64 / 20.0).map(|d| (d as f32, (f.c * f.r.powf(d)) as f32)).collect();
            lines.push(Line { label: format!("fit c·r^depth, r = {:.4}", f.r), points: line });
        }
        lines
    });
    let sweep_sentences = Signal::derive(move || {
        if sweep.view.with(|r| r.phase == Phase::Running) {
            return vec![];
        }
        let (points, fit) = sweep_result.get();
        let when = settings.with(|s| s.sweep_when);
        let steps = sweep.view.with(|r| r.series.first().map_or(0, |s| s.layer_grads.len()));
        let mut out: Vec<String> =
            sweep.view.with(|r| r.series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect());
        match fit {
            Some(f) => {
                out.push(format!(
                    "Fitted over {} depths ({}): ‖∇W₁‖ ≈ {:.3e} · {:.4}^layers, R² = {:.3}.",
                    points.len(),
                    when.describe(steps),
                    f.c,
                    f.r,
                    f.r2
                ));
                out.push(if f.r < 1.0 {
                    format!(
                        "Each extra weight layer multiplied the first layer's gradient by {:.4}: it shrank with depth (the exercise claims 0.9 per layer; {}).",
                        f.r,
                        if (f.r - 0.9).abs() < 0.02 { "this run agrees" } else { "this run gives a different factor" }
                    )
                } else {
                    format!(
                        "Each extra weight layer multiplied the first layer's gradient by {:.4}: it grew with depth — the opposite of the exercise's 0.9 per layer. With BatchNorm a deep plain net can take larger, not smaller, gradients near the input; its trouble is optimisation (He et al. 2015, §4.1).",
                        f.r
                    )
                });
                if f.r2 < 0.5 {
                    out.push(format!("R² = {:.2}: the points scatter far from any c·r^depth line, so the factor says little here.", f.r2));
                }
            }
            None if !points.is_empty() => out.push("A fit needs at least two finished depths.".into()),
            None => {}
        }
        out
    });

    let depth_slider = move |i: usize| {
        let (step, lo, hi) = settings.with_untracked(|s| s.net.depth_rule());
        view! {
            <Slider id=format!("depth-{i}") label=format!("Net {} depth ({})", i + 1, if step == 1 { "two-conv blocks" } else { "6n + 2 layers" })
                min=lo as f64 max=hi as f64 step=step as f64
                value=Signal::derive(move || settings.with(|s| s.depths[i] as f64))
                on_change=move |v| settings.update(|s| s.depths[i] = s.net.snap(v as usize)) disabled=busy />
        }
    };

    view! {
        <PageShell slug=Ex1::SLUG notes=notes>
            <Lede slot>
                "The exercise: train a 20-block and a 56-block plain network (no shortcuts) the same way, and compare "
                "their training loss, held-out accuracy and the gradient that reaches the first layer. Its expected "
                "results — the deeper net ends worse, and the first layer's gradient shrinks like 0.9 per layer — are "
                "claims this page tests. Scaled for a browser: width 8 instead of 64 and 600 Fashion-MNIST images "
                "(CIFAR-10 cannot ship with the lab; load it on the Data page and pick it below), 3 epochs instead of 20. "
                "The exercise decays the rate ×0.1 every 5 of its 20 epochs; turn the step schedule on below to do the same."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Networks (no shortcuts)"</legend>
                    <Select id="net" label="Architecture"
                        options=vec![("plainconv", "Exercise 1's PlainConvNet (7×7 stem, depth = blocks of two 3×3 convs)"), ("cifar", "He et al.'s CIFAR plain nets (6n + 2 layers)")]
                        value=Signal::derive(move || settings.with(|s| s.net.name().to_string()))
                        on_change=move |v| settings.update(|s| {
                            s.net = Net::parse(&v).unwrap_or(s.net);
                            s.depths = s.depths.map(|d| s.net.snap(d));
                            s.sweep_from = s.net.snap(s.sweep_from);
                            s.sweep_to = s.net.snap(s.sweep_to);
                        })
                        disabled=busy />
                    {move || { settings.with(|s| s.net); view! { {depth_slider(0)} {depth_slider(1)} } }}
                    <Slider id="width".into() label="Width (channels; the exercise uses 64)".into() hint="Channels of every layer. The exercise's 64 are slow on a CPU; fewer give the same picture faster." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=busy />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Ex1| &s.train set=|s: &mut Ex1| &mut s.train running=busy />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=busy
                        on:click=move |_| runs.start(settings.with(|s| s.configs()))>"Train both"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <EpochCharts runs=runs />
            <LineChart lines=edge_lines title="First and last weight layer's gradient norm, every step" x_desc="step" y_desc="‖∇W‖" log_y=true testid="edge-chart" />
            <LineChart lines=ratio_lines title="First layer's gradient norm ÷ last layer's, every step" x_desc="step" y_desc="ratio" log_y=true testid="ratio-chart" />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=runs.view /></Readout>

            <section class="sweep" aria-labelledby="sweep-title">
                <h2 id="sweep-title">"Depth sweep: how does the first layer's gradient scale with depth?"</h2>
                <p>"Short runs of the same plain net at several depths; the first layer's gradient norm of each is "
                   "fitted with c·r^depth by least squares on its logarithm."</p>
                <form class="controls" on:submit=|ev| ev.prevent_default()>
                    <fieldset>
                        <legend>"Sweep"</legend>
                        <Slider id="sweep-from".into() label="From depth".into()
                            min=Signal::derive(move || settings.with(|s| s.net.depth_rule().1 as f64))
                            max=Signal::derive(move || settings.with(|s| s.net.depth_rule().2 as f64))
                            step=Signal::derive(move || settings.with(|s| s.net.depth_rule().0 as f64))
                            value=Signal::derive(move || settings.with(|s| s.sweep_from as f64))
                            on_change=move |v| settings.update(|s| { s.sweep_from = s.net.snap(v as usize); s.sweep_to = s.sweep_to.max(s.sweep_from); }) disabled=busy />
                        <Slider id="sweep-to".into() label="To depth".into()
                            min=Signal::derive(move || settings.with(|s| s.net.depth_rule().1 as f64))
                            max=Signal::derive(move || settings.with(|s| s.net.depth_rule().2 as f64))
                            step=Signal::derive(move || settings.with(|s| s.net.depth_rule().0 as f64))
                            value=Signal::derive(move || settings.with(|s| s.sweep_to as f64))
                            on_change=move |v| settings.update(|s| { s.sweep_to = s.net.snap(v as usize); s.sweep_from = s.sweep_from.min(s.sweep_to); }) disabled=busy />
                        <Slider id="sweep-every".into() label="Every (depth step)".into() min=1.0 max=30.0 step=1.0
                            value=Signal::derive(move || settings.with(|s| s.sweep_every as f64))
                            on_change=move |v| settings.update(|s| s.sweep_every = v as usize) disabled=busy />
                        <Slider id="budget".into() label="Steps per depth".into() min=2.0 max=200.0 step=2.0
                            value=Signal::derive(move || settings.with(|s| s.budget as f64))
                            on_change=move |v| settings.update(|s| s.budget = v as usize) disabled=busy />
                        <Select id="sweep-when" label="First-layer gradient measured"
                            options=vec![("late", "late: median over the last half of the steps"), ("init", "at initialisation (step 1)")]
                            value=Signal::derive(move || settings.with(|s| if s.sweep_when == When::Init { "init" } else { "late" }.to_string()))
                            on_change=move |v| settings.update(|s| s.sweep_when = if v == "init" { When::Init } else { When::Late }) />
                        <p class="hint">{move || settings.with(|s| format!("Depths: {:?}", s.sweep_depths()))}</p>
                    </fieldset>
                    <div class="actions">
                        <button type="button" class="primary" data-testid="sweep" prop:disabled=busy
                            on:click=move |_| sweep.start(settings.with(|s| s.sweep_configs()))>"Run the sweep"</button>
                    </div>
                </form>
                <Progress run=sweep.view on_cancel=move || sweep.cancel() testid="sweep-progress" />
                <LineChart lines=sweep_lines title="First layer's gradient norm against depth (weight layers)" x_desc="weight layers" y_desc="‖∇W₁‖" log_y=true testid="sweep-chart" />
                {move || sweep_result.get().1.map(|f| view! {
                    <p class="fit" data-testid="fit" data-r=f.r data-r2=f.r2 data-c=f.c>{format!("r = {:.4}, R² = {:.3}", f.r, f.r2)}</p>
                })}
                <Readout title="What the sweep shows" sentences=sweep_sentences testid="sweep-readout" />
            </section>
        </PageShell>
    }
}
