//! Part 1 — the degradation problem. Several plain stacks of different depths train on the same data
//! with the same seed; their loss curves share one chart. Flip "Connections" to residual to see the
//! skip connection remove the penalty for depth.

use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Select, Slider};
use super::progress::Progress;
use super::{backend_param, location_query, set_location_query, worker_client};
use crate::lab::data::DataKind;
use crate::pages::part1::{readout, Part1, DEPTH_MAX, DEPTH_MIN, MAX_SERIES};
use crate::pages::run_view::{Phase, RunView};

#[component]
pub fn Part1Page() -> impl IntoView {
    let (initial, notes) = Part1::from_query(&location_query());
    let settings = RwSignal::new(initial);
    let run = RwSignal::new(RunView::default());
    let running = Signal::derive(move || run.with(|r| r.phase == Phase::Running));

    // Every change is written to the URL, so reloading or sharing the link restores it.
    Effect::new(move |_| {
        let mut q = settings.with(|s| s.to_query());
        if let Some(b) = backend_param() {
            q.push_str(&format!("&backend={b}"));
        }
        set_location_query(&q);
    });

    let train = move |_| {
        let configs = settings.with(|s| s.configs());
        let planned = configs.iter().map(|c| c.steps_total()).sum();
        let labels = configs.iter().map(|c| c.label.clone()).collect();
        let id = worker_client::run(configs, move |msg| {
            run.update(|r| r.apply(msg, js_sys::Date::now()));
        });
        run.set(RunView::start(id, labels, planned, js_sys::Date::now()));
    };
    let cancel = move || worker_client::cancel(run.with_untracked(|r| r.id));

    let loss_lines = Signal::derive(move || {
        run.with(|r| r.series.iter().map(|s| Line { label: s.label.clone(), points: s.losses.clone() }).collect())
    });
    let grad_lines = Signal::derive(move || {
        run.with(|r| {
            r.series
                .iter()
                .filter(|s| s.grad_steps > 0)
                .map(|s| Line {
                    label: s.label.clone(),
                    points: s.mean_layer_grads().into_iter().enumerate().map(|(i, g)| (i as f32 + 1.0, g)).collect(),
                })
                .collect()
        })
    });
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
        <article class="page">
            <h1>"Part 1 — The degradation problem"</h1>
            <p class="lede">
                "A deeper network can represent everything a shallower one can: the extra layers could simply "
                "copy their input. So with enough training, more depth should never mean a higher "
                <em>"training"</em>" loss. Before ResNet, it did. Train plain stacks of convolution + "
                "batch-norm + ReLU layers at several depths on the same data and seed, and compare their curves. "
                "Then switch the connections to residual — each pair of layers computes "<code>"F(x) + x"</code>
                " — and train again."
            </p>
            {(!notes.is_empty()).then(|| view! {
                <ul class="clamp-notes" data-testid="clamp-notes" role="alert">
                    {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            })}
            <form class="controls" on:submit=|ev| ev.prevent_default()>
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
                <fieldset>
                    <legend>"Data and training"</legend>
                    <Select
                        id="data"
                        label="Dataset"
                        options=DataKind::ALL.iter().map(|k| (k.name(), k.title())).collect()
                        value=Signal::derive(move || settings.with(|s| s.data.name().to_string()))
                        on_change=move |v| settings.update(|s| s.data = DataKind::parse(&v).unwrap_or(s.data))
                        disabled=running
                    />
                    <Slider id="width".into() label="Width (channels of the first half)".into() min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <Slider id="samples".into() label="Samples (a fifth held out)".into() min=40.0 max=5000.0 step=40.0
                        value=Signal::derive(move || settings.with(|s| s.samples as f64))
                        on_change=move |v| settings.update(|s| s.samples = v as usize) disabled=running />
                    <Show
                        when=move || !settings.with(|s| s.data.is_real())
                        fallback=move || view! { <p class="hint">"Image size and channels come from the dataset. "<a href="?page=data">"See the data"</a></p> }
                    >
                        <Slider id="size".into() label="Image size (pixels)".into() min=8.0 max=32.0 step=8.0
                            value=Signal::derive(move || settings.with(|s| s.size as f64))
                            on_change=move |v| settings.update(|s| s.size = v as usize) disabled=running />
                    </Show>
                    <Slider id="epochs".into() label="Epochs".into() min=1.0 max=50.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.epochs as f64))
                        on_change=move |v| settings.update(|s| s.epochs = v as usize) disabled=running />
                    <Slider id="batch".into() label="Batch size".into() min=4.0 max=256.0 step=4.0
                        value=Signal::derive(move || settings.with(|s| s.batch as f64))
                        on_change=move |v| settings.update(|s| s.batch = v as usize) disabled=running />
                    <Select
                        id="lr"
                        label="Learning rate (SGD, momentum 0.9)"
                        options=vec![("0.001", "0.001"), ("0.003", "0.003"), ("0.01", "0.01"), ("0.02", "0.02"), ("0.05", "0.05"), ("0.1", "0.1"), ("0.3", "0.3"), ("1", "1")]
                        value=Signal::derive(move || settings.with(|s| s.lr.to_string()))
                        on_change=move |v| settings.update(|s| s.lr = v.parse().unwrap_or(s.lr))
                        disabled=running
                    />
                    <div class="control">
                        <label for="seed">"Seed"</label>
                        <input id="seed" type="number" min="0" max="1000000"
                            prop:value=move || settings.with(|s| s.seed.to_string())
                            prop:disabled=running
                            on:change=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                                    settings.update(|s| s.seed = v.min(1_000_000))
                                }
                            } />
                    </div>
                </fieldset>
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running on:click=train>"Train"</button>
                </div>
            </form>
            <Progress run=run on_cancel=cancel />
            <LineChart lines=loss_lines title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=grad_lines title="Gradient norm per layer (mean over steps), input → output" x_desc="weight layer" y_desc="‖∇W‖" log_y=true testid="grad-chart" />
            <section class="readout" data-testid="readout" aria-live="polite">
                <h2>"What this run shows"</h2>
                <ul>{move || sentences().into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                <h3>"Run details"</h3>
                <ul class="details" data-testid="details">
                    {move || run.with(|r| r.series.iter().filter_map(|s| s.summary.clone()).map(|m| view! {
                        <li data-series=m.label.clone() data-first-loss=m.first_loss data-final-loss=m.final_loss
                            data-val-acc=m.final_val_accuracy data-ips=m.images_per_sec data-params=m.params>
                            {format!(
                                "{}: {} parameters, first-step loss {:.3} → last-epoch loss {:.3}, held-out accuracy {:.0}%, {:.0} images/s",
                                m.label, m.params, m.first_loss, m.final_loss, m.final_val_accuracy * 100.0, m.images_per_sec
                            )}
                        </li>
                    }).collect_view())}
                </ul>
            </section>
        </article>
    }
}
