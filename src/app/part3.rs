//! Part 3 — ResNet-18 to 152 (and the CIFAR ResNets) compared: every number is measured on a model
//! the worker builds on this page, and one image is timed through it on the active backend.

use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use super::bar_chart::{Bar, BarChart};
use super::controls::Readout;
use super::controls::Select;
use super::net_diagram::NetDiagram;
use super::progress::Progress;
use super::worker_client;
use crate::lab::report::ModelInfo;
use crate::pages::part3::{readout, Metric, Part3, MODELS, SIZES};
use crate::pages::run_view::{Phase, RunView};
use crate::protocol::{FromWorker, Measure, Measurement};

fn fmt_int(n: u64) -> String {
    crate::pages::readouts::grouped(n, ',')
}

fn fmt_value(v: f64) -> String {
    if v >= 1000.0 {
        fmt_int(v as u64)
    } else {
        format!("{v:.2}")
    }
}

#[component]
pub fn Part3Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part3>();
    let run = RwSignal::new(RunView::default());
    let rows = RwSignal::new(Vec::<Option<(ModelInfo, f64)>>::new());
    let running = Signal::derive(move || run.with(|r| r.phase == Phase::Running));

    let measure = move |_| {
        let names = settings.with(|s| s.names());
        let size = settings.with(|s| s.size);
        rows.set(vec![None; names.len()]);
        let labels = names.clone();
        let n = names.len();
        let id = worker_client::measure(Measure::Models { names, channels: 3, size }, move |msg| {
            if let FromWorker::Measured { index, result: Measurement::Model { info, forward_ms }, .. } = msg {
                rows.update(|r| {
                    if let Some(slot) = r.get_mut(*index) {
                        *slot = Some((info.clone(), *forward_ms))
                    }
                });
                run.update(|r| {
                    r.done_steps += 1;
                    r.now_ms = js_sys::Date::now();
                });
            }
            if run.with_untracked(|r| r.concerns(msg)) {
                run.update(|r| r.apply(msg, js_sys::Date::now()));
            }
        });
        run.set(RunView::start(id, labels, n, js_sys::Date::now()));
    };
    let done_rows = move || rows.with(|r| r.iter().flatten().cloned().collect::<Vec<_>>());
    let bars = Signal::derive(move || {
        let metric = settings.with(|s| s.metric);
        done_rows().into_iter().map(|(i, ms)| Bar { label: i.name.clone(), value: metric.value(&i, ms) }).collect()
    });

    view! {
        <PageShell slug=Part3::SLUG notes=notes>
            <Lede slot>
                "The ImageNet ResNets stack BasicBlocks (18, 34) or Bottleneck blocks (50, 101, 152) in four stages "
                "after a 7×7 stem; the CIFAR ResNets use three stages of 16/32/64 channels. Pick models and an input "
                "size, then measure: the worker builds each network, counts its parameters (1000 classes for "
                "ImageNet nets, 10 for CIFAR nets), adds up its multiply-adds, and times one image through it on "
                "this page's backend."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Models"</legend>
                    {MODELS.iter().enumerate().map(|(i, name)| view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("model-{name}")
                                prop:checked=move || settings.with(|s| s.models.contains(&i))
                                prop:disabled=running
                                on:change=move |ev| settings.update(|s| {
                                    s.models.retain(|&m| m != i);
                                    if event_target_checked(&ev) { s.models.push(i); s.models.sort_unstable(); }
                                }) />
                            {format!(" {name}")}
                        </label>
                    }).collect_view()}
                </fieldset>
                <fieldset>
                    <legend>"Input"</legend>
                    <Select id="size" label="Input size (pixels, 3 channels)" hint="The image size every model's parameters, multiply-adds and timing are measured at."
                        options=SIZES.iter().map(|s| (match s { 32 => "32", 64 => "64", 128 => "128", _ => "224" }, match s { 32 => "32 × 32 (CIFAR)", 64 => "64 × 64", 128 => "128 × 128", _ => "224 × 224 (ImageNet)" })).collect()
                        value=Signal::derive(move || settings.with(|s| s.size.to_string()))
                        on_change=move |v| settings.update(|s| s.size = v.parse().unwrap_or(s.size))
                        disabled=running />
                    <Select id="metric" label="Chart"
                        options=Metric::ALL.iter().map(|m| (m.name(), m.title())).collect()
                        value=Signal::derive(move || settings.with(|s| s.metric.name().to_string()))
                        on_change=move |v| settings.update(|s| s.metric = Metric::parse(&v).unwrap_or(s.metric)) />
                </fieldset>
                <div class="actions">
                    <button type="button" class="primary" data-testid="measure"
                        prop:disabled=move || running.get() || settings.with(|s| s.models.is_empty())
                        on:click=measure>"Build and measure"</button>
                </div>
            </Controls>
            <Progress run=run on_cancel=move || worker_client::cancel(run.with_untracked(|r| r.id)) />
            <BarChart bars=bars title=move || settings.with(|s| s.metric.title()) y_desc="" log_y=true testid="arch-chart"
                fmt=fmt_value />
            <table class="numbers wide" data-testid="arch-table">
                <thead><tr><th>"model"</th><th>"blocks"</th><th>"parameters"</th><th>"size (MB, f32)"</th><th>"multiply-adds"</th><th>"output"</th><th>"forward (ms)"</th></tr></thead>
                <tbody>
                    {move || done_rows().into_iter().map(|(i, ms)| view! {
                        <tr data-model=i.name.clone() data-params=i.params data-macs=i.macs data-blocks=i.blocks data-ms=ms>
                            <th scope="row">{i.name.clone()}</th>
                            <td>{i.blocks}</td>
                            <td>{fmt_int(i.params as u64)}</td>
                            <td>{format!("{:.1}", i.size_bytes as f64 / 1_048_576.0)}</td>
                            <td>{format!("{:.3} G", i.macs as f64 / 1e9)}</td>
                            <td>{format!("{:?}", i.output_shape)}</td>
                            <td>{format!("{ms:.1}")}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Readout title="What the numbers say" sentences=Signal::derive(move || readout(&done_rows())) />
            <h2>"One of them, block by block"</h2>
            <Select id="draw" label="Model drawn (from its plan: shapes at the input size above)"
                options=MODELS.iter().map(|m| (*m, *m)).collect()
                value=Signal::derive(move || settings.with(|s| MODELS[s.draw].to_string()))
                on_change=move |v| settings.update(|s| s.draw = MODELS.iter().position(|m| *m == v).unwrap_or(s.draw)) />
            <NetDiagram plan=Signal::derive(move || Some(settings.with(|s| s.drawn()))) testid="net-diagram" />
        </PageShell>
    }
}
