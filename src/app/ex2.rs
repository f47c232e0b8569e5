//! Exercise 2 — skip connections. The same net trained twice, without and with shortcuts; the
//! gradient that reaches every layer, plain against residual; and a depth sweep: does deeper now help?

use super::estimate::Estimate;
use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::epoch_charts::EpochCharts;
use super::gradient_profiles::GradientProfiles;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::BackendStatus;
use crate::lab::experiment::Summary;
use crate::pages::ex1::Net;
use crate::pages::ex2::{sweep_estimate_secs, sweep_lines, sweep_readout, Ex2, CPU_SWEEP_MAX_LAYERS};
use crate::pages::page::PageState;
use crate::pages::run_view::Phase;

#[component]
pub fn Ex2Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Ex2>();
    let runs = Runs::new();
    let sweep = Runs::new();
    let busy = Signal::derive(move || runs.running().get() || sweep.running().get());
    let backend = use_context::<RwSignal<BackendStatus>>();
    let on_gpu = move || backend.is_some_and(|b| b.with(|s| matches!(s, BackendStatus::Ready { name, .. } if name == "webgpu")));
    // The depths the last sweep ran (the settings may change while its results are shown).
    let swept = RwSignal::new((Net::PlainConv, Vec::<usize>::new()));
    let sentences = move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { crate::pages::part6::readout(&r.series) });

    let lines = move |value: fn(&Summary) -> f32| {
        Signal::derive(move || {
            let (net, depths) = swept.get();
            let [plain, res] = sweep.view.with(|r| sweep_lines(net, &depths, &r.series, value));
            vec![Line { label: "plain".into(), points: plain }, Line { label: "residual".into(), points: res }]
        })
    };
    let sweep_sentences = Signal::derive(move || {
        let (net, depths) = swept.get();
        sweep.view.with(|r| if r.phase == Phase::Running { vec![] } else { sweep_readout(net, &depths, &r.series) })
    });
    let confirm_deep_sweep = move || {
        let (net, depths, budget) = settings.with_untracked(|s| (s.net, s.sweep.clone(), s.budget));
        let measured = runs.view.with_untracked(|r| r.series.first().and_then(|s| s.summary.clone().map(|m| (m, s.layers.len()))));
        let estimate = match measured {
            Some((m, layers)) => {
                format!("about {:.0} s on this machine (from the last measured run)", sweep_estimate_secs(net, &m, layers, &depths, budget))
            }
            None => "unknown: train the pair above first for a measured estimate".into(),
        };
        let text = format!("The deepest runs are slow on the CPU. The whole sweep would take {estimate}. Run it anyway?");
        window().confirm_with_message(&text).unwrap_or(false)
    };
    let cpu_note = move || {
        let skipped: Vec<usize> = settings.with(|s| s.sweep.iter().copied().filter(|d| !s.sweep_depths(on_gpu()).contains(d)).collect());
        (!skipped.is_empty()).then(|| {
            format!(
                "On the CPU backend, depths {skipped:?} (over {CPU_SWEEP_MAX_LAYERS} weight layers) run only after you confirm the estimated time; on WebGPU they run at once."
            )
        })
    };

    view! {
        <PageShell slug=Ex2::SLUG notes=notes>
            <Lede slot>
                "The exercise: add the shortcut "<code>"out = F(x) + x"</code>" (a 1×1 projection where the shape changes, ReLU after "
                "the sum) and train the same deep net with and without it. It expects the plain 56-layer net to train "
                "unstably and the residual one smoothly, gradients to reach the early layers, and deeper residual nets "
                "to do better — claims this page tests on its own runs. Depth here counts blocks of two convs for the "
                "exercise's net (its ResNet(56) has 28) and weight layers for the CIFAR nets; width 8 instead of 64 "
                "and 600 Fashion-MNIST images so the default pair finishes in under a minute on the CPU."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Network"</legend>
                    <Select id="net" label="Architecture"
                        options=vec![("plainconv", "the exercise's net (7×7 stem, depth = blocks of two 3×3 convs)"), ("cifar", "He et al.'s CIFAR nets (6n + 2 layers)")]
                        value=Signal::derive(move || settings.with(|s| s.net.name().to_string()))
                        on_change=move |v| settings.update(|s| {
                            s.net = Net::parse(&v).unwrap_or(s.net);
                            s.depth = s.net.snap(s.depth);
                            s.sweep = s.sweep.iter().map(|&d| s.net.snap(d)).collect();
                            s.sweep.dedup();
                        })
                        disabled=busy />
                    <Slider id="depth".into() label="Depth".into()
                        min=Signal::derive(move || settings.with(|s| s.net.depth_rule().1 as f64))
                        max=Signal::derive(move || settings.with(|s| s.net.depth_rule().2 as f64))
                        step=Signal::derive(move || settings.with(|s| s.net.depth_rule().0 as f64))
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| s.depth = s.net.snap(v as usize)) disabled=busy />
                    <p class="hint">{move || settings.with(|s| format!("{} weight layers", s.net.weight_layers(s.depth)))}</p>
                    <Slider id="width".into() label="Width (channels; the exercise uses 64)".into() hint="Channels of every layer. The exercise's 64 are slow on a CPU; fewer give the same picture faster." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=busy />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Ex2| &s.train set=|s: &mut Ex2| &mut s.train running=busy />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=busy
                        on:click=move |_| runs.start(settings.with(|s| s.configs()))>"Train plain and residual"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <EpochCharts runs=runs />
            <h2>"Gradient flow: every weight layer, input → output"</h2>
            <GradientProfiles runs=runs />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=runs.view /></Readout>

            <section class="sweep" aria-labelledby="sweep-title">
                <h2 id="sweep-title">"Does deeper now help? Plain and residual across depth"</h2>
                <form class="controls" on:submit=|ev| ev.prevent_default()>
                    <fieldset>
                        <legend>"Sweep"</legend>
                        <div class="control">
                            <label for="sweep-depths">"Depths (comma-separated, in the net's unit)"</label>
                            <input id="sweep-depths" type="text" data-testid="sweep-depths" prop:disabled=busy
                                prop:value=move || settings.with(|s| s.sweep.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(","))
                                on:change=move |ev| {
                                    let text = event_target_value(&ev);
                                    settings.update(|s| {
                                        let (_, lo, hi) = s.net.depth_rule();
                                        let mut v: Vec<usize> = text.split(',').filter_map(|t| t.trim().parse().ok()).map(|d: usize| s.net.snap(d.clamp(lo, hi))).collect();
                                        v.sort_unstable();
                                        v.dedup();
                                        v.truncate(crate::pages::ex2::MAX_SWEEP_DEPTHS);
                                        if !v.is_empty() { s.sweep = v; }
                                    });
                                } />
                        </div>
                        <Slider id="budget".into() label="Steps per run".into() min=2.0 max=200.0 step=2.0
                            value=Signal::derive(move || settings.with(|s| s.budget as f64))
                            on_change=move |v| settings.update(|s| s.budget = v as usize) disabled=busy />
                        {move || cpu_note().map(|n| view! { <p class="hint" data-testid="sweep-note">{n}</p> })}
                    </fieldset>
                    <div class="actions">
                        <button type="button" class="primary" data-testid="sweep" prop:disabled=busy
                            on:click=move |_| {
                                // On the CPU, depths past the cap run only after the student agrees to the estimated time.
                                let gpu = on_gpu() || (cpu_note().is_some() && confirm_deep_sweep());
                                let (net, depths, configs) = settings.with(|s| (s.net, s.sweep_depths(gpu), s.sweep_configs(gpu)));
                                swept.set((net, depths));
                                sweep.start(configs);
                            }>"Run the sweep"</button>
                    </div>
                </form>
                <Progress run=sweep.view on_cancel=move || sweep.cancel() testid="sweep-progress" />
                <div class="two-col">
                    <LineChart lines=lines(|m| m.final_loss) title="Final training loss against depth" x_desc="weight layers" y_desc="loss" testid="sweep-loss-chart" />
                    <LineChart lines=lines(|m| m.final_val_accuracy * 100.0) title="Held-out accuracy against depth" x_desc="weight layers" y_desc="accuracy (%)" testid="sweep-acc-chart" />
                </div>
                <Readout title="What the sweep shows" sentences=sweep_sentences testid="sweep-readout" />
            </section>
        </PageShell>
    }
}
