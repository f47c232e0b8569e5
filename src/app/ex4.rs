//! Exercise 4 — very deep networks: bottleneck ResNet-50/101/152, scaled to the browser, estimated
//! before they run (memory from the plan, step time from a measured forward pass), then trained side
//! by side. The same runs at full size are one CLI command away.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Readout, Select};
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::worker_client;
use crate::lab::report::ModelInfo;
use crate::pages::ex4::{mib, readout, Ex4, DEPTHS, DIVISORS};
use crate::pages::page::PageState;
use crate::pages::run_view::Phase;
use crate::protocol::{FromWorker, Measure, Measurement};

#[component]
pub fn Ex4Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Ex4>();
    let runs = Runs::new();
    let running = runs.running();
    let problem = Memo::new(move |_| settings.with(|s| s.check().err()));
    // One timed forward pass per net on this backend, re-measured when the nets change.
    let costs = RwSignal::new(Vec::<(ModelInfo, f64)>::new());
    Effect::new(move |_| {
        let (models, channels, size) = settings.with(|s| {
            let d = s.train.data_spec();
            (s.depths.iter().map(|&d| s.model(d)).collect::<Vec<_>>(), d.channels, d.size)
        });
        if problem.get().is_some() {
            return;
        }
        costs.set(vec![]);
        worker_client::measure(Measure::Costs { models, channels, size, classes: 10 }, move |msg| {
            if let FromWorker::Measured { result: Measurement::Model { info, forward_ms }, .. } = msg {
                costs.update(|c| c.push((info.clone(), *forward_ms)));
            }
        });
    });

    let by_layers = move |value: fn(&crate::lab::experiment::Summary) -> f32| {
        Signal::derive(move || {
            let depths = settings.with(|s| s.depths.clone());
            let points = runs.view.with(|r| {
                r.series.iter().zip(&depths).filter_map(|(s, &d)| s.summary.as_ref().map(|m| (d as f32, value(m)))).collect::<Vec<_>>()
            });
            vec![Line { label: "bottleneck ResNets".into(), points }]
        })
    };
    let sentences = move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&r.series) });
    let train = move |_| {
        if problem.get_untracked().is_none() {
            runs.start(settings.with(|s| s.configs()));
        }
    };

    view! {
        <PageShell slug=Ex4::SLUG notes=notes>
            <Lede slot>
                "ResNet-50, -101 and -152 stack bottleneck blocks (1×1 reduce, 3×3, 1×1 expand ×4) in four stages of "
                "[3, 4, 6, 3], [3, 4, 23, 3] and [3, 8, 36, 3]: 50 to 152 weight layers. The exercise asks whether "
                "all of them train. Full size they hold 25–60 million parameters, too many for a browser tab to "
                "train in minutes, so this page divides every width by a factor (the depth, the blocks and the "
                "shortcuts stay as published) and estimates each net's memory and step time before it runs."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Networks"</legend>
                    {DEPTHS.iter().map(|&d| view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("depth-{d}")
                                prop:checked=move || settings.with(|s| s.depths.contains(&d))
                                prop:disabled=running
                                on:change=move |ev| settings.update(|s| {
                                    s.depths.retain(|&x| x != d);
                                    if event_target_checked(&ev) { s.depths.push(d); s.depths.sort_unstable(); }
                                    if s.depths.is_empty() { s.depths.push(d); }
                                }) />
                            {format!(" ResNet-{d}")}
                        </label>
                    }).collect_view()}
                    <Select id="divisor" label="Width (of the published 64-128-256-512 channels)"
                        options=DIVISORS.iter().map(|&d| (match d { 16 => "16", 8 => "8", 4 => "4", 2 => "2", _ => "1" }, match d { 16 => "1/16", 8 => "1/8", 4 => "1/4", 2 => "1/2", _ => "full" })).collect()
                        value=Signal::derive(move || settings.with(|s| s.divisor.to_string()))
                        on_change=move |v| settings.update(|s| s.divisor = v.parse().unwrap_or(s.divisor))
                        disabled=running />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Ex4| &s.train set=|s: &mut Ex4| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=move || running.get() || problem.get().is_some()
                        on:click=train>"Train"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            {move || problem.get().map(|p| view! { <p class="notice error" role="alert" data-testid="refused">{p}</p> })}
            <table class="numbers wide" data-testid="plans">
                <caption>"Before training: each net as planned, with a forward pass timed on this backend"</caption>
                <thead><tr><th>"net"</th><th>"parameters (published, 1000 classes)"</th><th>"parameters here"</th><th>"memory per step (estimate)"</th><th>"forward, one image"</th><th>"step estimate"</th></tr></thead>
                <tbody>
                    {move || {
                        let batch = settings.with(|s| s.train.batch);
                        settings.with(|s| s.plans()).into_iter().enumerate().map(|(i, (d, published, here, mem))| {
                            let cost = costs.with(|c| c.get(i).map(|c| c.1));
                            view! {
                                <tr data-depth=d data-published=published data-params=here data-memory=mem.total() data-forward-ms=cost.map(|m| m.to_string()).unwrap_or_default()>
                                    <th scope="row">{format!("ResNet-{d}")}</th>
                                    <td>{published}</td><td>{here}</td><td>{mib(mem.total())}</td>
                                    <td>{cost.map(|m| format!("{m:.1} ms")).unwrap_or_else(|| "measuring…".into())}</td>
                                    // Forward + backward ≈ 3 forward passes, for every image of the batch.
                                    <td>{cost.map(|m| format!("≈ {:.1} s", 3.0 * m * batch as f64 / 1000.0)).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view()
                    }}
                </tbody>
            </table>
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <div class="two-col">
                <LineChart lines=by_layers(|m| (m.elapsed_ms / m.steps.max(1) as f64) as f32) title="Time per step against depth" x_desc="weight layers" y_desc="ms" testid="time-chart" />
                <LineChart lines=by_layers(|m| m.final_val_accuracy * 100.0) title="Held-out accuracy against depth" x_desc="weight layers" y_desc="accuracy (%)" testid="acc-chart" />
            </div>
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=runs.view /></Readout>
            <details class="cli" data-testid="cli">
                <summary>"Train them at full size natively"</summary>
                <p>"Save each config as the file named in its command (published widths; the rest of this page's settings), then run:"</p>
                <pre>{move || settings.with(|s| s.cli().0)}</pre>
                {move || settings.with(|s| s.cli().1).into_iter().zip(settings.with(|s| s.depths.clone())).map(|(json, d)| view! {
                    <p><code>{format!("ex4-resnet{d}.json")}</code></p>
                    <pre>{json}</pre>
                }).collect_view()}
            </details>
        </PageShell>
    }
}
