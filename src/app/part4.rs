//! Part 4 — training with gradient monitoring: a ResNet on real data, with live loss and global
//! gradient-norm curves and a per-layer gradient heat strip that fills in as it trains.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use crate::pages::query::snap_depth;

use super::chart::LineChart;
use super::controls::Readout;
use super::controls::{Select, Slider};
use super::heat_strip::HeatStrip;
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::{session_storage, worker_client, SAVED_NET_KEY};
use crate::pages::part4::{readout, Part4};
use crate::pages::run_view::Phase;
use crate::protocol::FromWorker;

#[component]
pub fn Part4Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part4>();
    let runs = Runs::new();
    let running = runs.running();
    let strip = Signal::derive(move || runs.view.with(|r| r.series.first().map(|s| s.layer_grads.clone()).unwrap_or_default()));
    let layers = Signal::derive(move || runs.view.with(|r| r.series.first().map(|s| s.layers.clone()).unwrap_or_default()));
    // When a run finishes, keep the trained net in this tab so Part 5 can look inside it.
    let saved_note = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        // A run shown again after Back was kept when it ended (and the worker holding it is gone).
        if runs.view.with(|r| r.phase != Phase::Done || r.restored) {
            return;
        }
        worker_client::save_net(move |msg| {
            if let FromWorker::NetSaved { saved, .. } = msg {
                let json = serde_json::to_string(saved).unwrap_or_default();
                let stored = session_storage().map(|s| s.set_item(SAVED_NET_KEY, &json).is_ok()).unwrap_or(false);
                saved_note.set(Some(if stored {
                    format!("{} is kept in this tab ({} KB): open Part 5 to look inside it.", saved.label, json.len() / 1024)
                } else {
                    format!("{} is too big to keep in this tab's storage; Part 5 can train its own.", saved.label)
                }));
            }
        });
    });
    let sentences =
        move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { r.series.first().map(readout).unwrap_or_default() });

    view! {
        <PageShell slug=Part4::SLUG notes=notes>
            <Lede slot>
                "Train a CIFAR-style ResNet (3×3 stem, three stages) on real images and watch its gradients: the "
                "global norm every step, and every layer's norm as a heat strip — if gradients vanished, the top rows "
                "would go dark. Switch to plain (no shortcuts) and compare."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Network"</legend>
                    <Select id="net" label="Architecture"
                        options=vec![("cifar", "CIFAR ResNet (6n + 2 layers)"), ("resnet18", "The notebook's ResNet-18 (3×3 stem for small images)")]
                        value=Signal::derive(move || String::from(if settings.with(|s| s.resnet18) { "resnet18" } else { "cifar" }))
                        on_change=move |v| settings.update(|s| s.resnet18 = v == "resnet18") disabled=running />
                    <Slider id="depth".into() label="Depth (6n + 2 layers)".into() hint="Weight layers: three stages of n blocks of two convolutions, plus the first convolution and the classifier." min=8.0 max=110.0 step=6.0
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| s.depth = snap_depth(v as usize, 6, 8))
                        disabled=Signal::derive(move || running.get() || settings.with(|s| s.resnet18)) />
                    <Slider id="width".into() label="Width (16 in the paper; 64 for ResNet-18)".into() hint="Channels of the first stage; each later stage doubles them. Fewer channels make each step faster." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <label class="check"><input type="radio" name="skip" data-testid="skip-residual"
                        prop:checked=move || settings.with(|s| s.residual) prop:disabled=running
                        on:change=move |_| settings.update(|s| s.residual = true) />" residual (identity shortcuts)"</label>
                    <label class="check"><input type="radio" name="skip" data-testid="skip-plain"
                        prop:checked=move || !settings.with(|s| s.residual) prop:disabled=running
                        on:change=move |_| settings.update(|s| s.residual = false) />" plain (no shortcuts)"</label>
                </fieldset>
                <TrainingControls settings=settings get=|s: &Part4| &s.train set=|s: &mut Part4| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running
                        on:click=move |_| runs.start(vec![settings.with(|s| s.config())])>"Train"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| vec![s.config()])) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=runs.grad_norm_lines() title="Global gradient norm per step" x_desc="step" y_desc="‖∇‖" log_y=true testid="gradnorm-chart" />
            <HeatStrip steps=strip layers=layers testid="heat-strip" />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)>
                <RunDetails run=runs.view />
                {move || saved_note.get().map(|n| view! { <p data-testid="saved-note">{n}" "<a href=super::page_href("part5")>"Part 5 →"</a></p> })}
            </Readout>
        </PageShell>
    }
}
