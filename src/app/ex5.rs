//! Exercise 5 — skip variants compared on one backbone, data, seed and budget: loss and accuracy
//! overlaid, the first layer's gradient per variant, and what the weighted and gated skips learned.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::heat_strip::HeatStrip;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use crate::lab::model::Skip;
use crate::pages::ex5::{readout, Backbone, Ex5, VARIANTS};
use crate::pages::page::PageState;
use crate::pages::run_view::Phase;

#[component]
pub fn Ex5Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Ex5>();
    let runs = Runs::new();
    let running = runs.running();
    // The variants of the last run (the checkboxes may change while its results are shown).
    let ran = RwSignal::new(Vec::<Skip>::new());

    let first_layer = Signal::derive(move || {
        runs.view.with(|r| {
            r.series
                .iter()
                .map(|s| Line {
                    label: s.label.clone(),
                    points: s.layer_grads.iter().enumerate().filter_map(|(k, g)| g.first().map(|&v| (k as f32 + 1.0, v))).collect(),
                })
                .collect()
        })
    });
    // Channel weights of the first weighted run: one column per channel, one row per block (black where a
    // block has fewer channels, or a weight ≤ 0).
    let weights = Signal::derive(move || {
        runs.view.with(|r| {
            let w = r.series.iter().find_map(|s| s.skips.as_ref().filter(|k| !k.channel_weights.is_empty()))?.channel_weights.clone();
            let cols = w.iter().map(Vec::len).max().unwrap_or(0);
            Some((0..cols).map(|c| w.iter().map(|b| b.get(c).copied().unwrap_or(f32::NAN)).collect::<Vec<_>>()).collect::<Vec<_>>())
        })
    });
    let weight_rows = Signal::derive(move || {
        weights.with(|w| w.as_ref().map(|w| (1..=w[0].len()).map(|b| format!("block {b}")).collect()).unwrap_or_default())
    });
    let gates = Signal::derive(move || {
        runs.view.with(|r| {
            r.series
                .iter()
                .filter_map(|s| {
                    let g = &s.skips.as_ref()?.gate_means;
                    (!g.is_empty())
                        .then(|| Line { label: s.label.clone(), points: g.iter().enumerate().map(|(i, &m)| (i as f32 + 1.0, m)).collect() })
                })
                .collect()
        })
    });
    let held_out = move || settings.with(|s| s.train.data_spec().samples - s.train.data_spec().train_len());
    let sentences = move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&ran.get(), &r.series, held_out()) });
    let train = move |_| {
        ran.set(settings.with(|s| s.variants.clone()));
        runs.start(settings.with(|s| s.configs()));
    };

    view! {
        <PageShell slug=Ex5::SLUG notes=notes>
            <Lede slot>
                "The identity shortcut adds x back unchanged. The exercise tries three alternatives: weight F(x) per "
                "channel with learned w (starting at 0.5), gate it with attention a(x) computed from the block's input, "
                "or add a second path G(x). It expects identity to be a surprisingly good baseline. Every variant here "
                "has the same backbone, data, seed and number of steps; the extra parameters a variant brings are part "
                "of the comparison and listed below. One seed decides little: repeat with three."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Variants"</legend>
                    {VARIANTS.iter().map(|&v| view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("variant-{}", v.name())
                                prop:checked=move || settings.with(|s| s.variants.contains(&v)) prop:disabled=running
                                on:change=move |ev| settings.update(|s| {
                                    s.variants.retain(|&x| x != v);
                                    if event_target_checked(&ev) { s.variants.push(v); }
                                    s.variants.sort_by_key(|x| VARIANTS.iter().position(|y| y == x));
                                    if s.variants.is_empty() { s.variants.push(v); }
                                }) />
                            {format!(" {}", v.title())}
                        </label>
                    }).collect_view()}
                </fieldset>
                <fieldset>
                    <legend>"Backbone"</legend>
                    <Select id="backbone" label="Network"
                        options=vec![("cifar", "CIFAR ResNet (6n + 2)"), ("resnet50", "bottleneck ResNet-50 at 1/16 width")]
                        value=Signal::derive(move || settings.with(|s| s.backbone.name().to_string()))
                        on_change=move |v| settings.update(|s| s.backbone = if v == "resnet50" { Backbone::ResNet50 } else { Backbone::Cifar })
                        disabled=running />
                    <Show when=move || settings.with(|s| s.backbone == Backbone::Cifar)>
                        <Slider id="depth".into() label="Depth (6n + 2)".into() min=8.0 max=56.0 step=6.0
                            value=Signal::derive(move || settings.with(|s| s.depth as f64))
                            on_change=move |v| settings.update(|s| s.depth = crate::pages::query::snap_depth(v as usize, 6, 8)) disabled=running />
                        <Slider id="width".into() label="Width".into() hint="Channels of the first stage; each later stage doubles them." min=2.0 max=64.0 step=2.0
                            value=Signal::derive(move || settings.with(|s| s.width as f64))
                            on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    </Show>
                    <Select id="seeds" label="Seeds" hint="Three seeds train every variant three times, so a gap between variants can be told from run-to-run noise."
                        options=vec![("1", "one run each"), ("3", "repeat with 3 seeds (mean ± spread)")]
                        value=Signal::derive(move || settings.with(|s| s.seeds.to_string()))
                        on_change=move |v| settings.update(|s| s.seeds = if v == "3" { 3 } else { 1 })
                        disabled=running />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Ex5| &s.train set=|s: &mut Ex5| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running on:click=train>"Train every variant"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <table class="numbers" data-testid="params">
                <caption>"Parameters of each variant (planned from the model, before training)"</caption>
                <tbody>
                    {move || settings.with(|s| s.params()).into_iter().map(|(v, p)| view! {
                        <tr data-variant=v.name() data-params=p><th scope="row">{v.title()}</th><td>{p}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <div class="two-col">
                <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
                <LineChart lines=runs.epoch_lines(|e| e.val_accuracy * 100.0) title="Held-out accuracy per epoch" x_desc="epoch" y_desc="accuracy (%)" testid="acc-chart" />
            </div>
            <LineChart lines=first_layer title="First weight layer's gradient norm per step" x_desc="step" y_desc="‖∇W₁‖" log_y=true testid="grad-chart" />
            // Mounted once and hidden until a weighted run reports: re-mounting it on every update would
            // leave its deferred redraw pointing at disposed signals.
            <figure class="chart" data-testid="weights" style:display=move || if weights.with(|w| w.is_some()) { "" } else { "none" }>
                <figcaption>"Learned channel weights w (rows: blocks, columns: channels; brighter = larger, log scale; black: none or ≤ 0)"</figcaption>
                <HeatStrip steps=Signal::derive(move || weights.get().unwrap_or_default()) layers=weight_rows testid="weights-strip" />
            </figure>
            <LineChart lines=gates title="Mean attention gate per block (held-out images)" x_desc="block" y_desc="mean a" testid="gate-chart" />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=runs.view /></Readout>
        </PageShell>
    }
}
