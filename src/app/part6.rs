//! Part 6 — ResNet vs plain showdown: the same network with and without shortcuts, trained side by
//! side on the same data and seed, curves overlaid.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use crate::pages::query::snap_depth;

use super::chart::LineChart;
use super::controls::Readout;
use super::controls::{Select, Slider};
use super::gradient_profiles::GradientProfiles;
use super::progress::Progress;
use super::run_details::RunDetails;
use super::runs::Runs;
use super::seed_repeat::SeedRepeat;
use super::training_controls::TrainingControls;
use super::BackendStatus;
use crate::lab::model::{Family, Skip};
use crate::pages::part6::{depth_rule, readout, Part6, DEPTH_MAX};

/// Deepest default-friendly net on the CPU; WebGPU gets the full range.
const CPU_DEPTH_MAX: usize = 56;

#[component]
pub fn Part6Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part6>();
    let runs = Runs::new();
    let running = runs.running();
    let backend = use_context::<RwSignal<BackendStatus>>();
    let on_gpu = move || backend.is_some_and(|b| b.with(|s| matches!(s, BackendStatus::Ready { name, .. } if name == "webgpu")));
    let depth_max = Signal::derive(move || {
        let (step, _) = depth_rule(settings.with(|s| s.family));
        let cap = if on_gpu() { DEPTH_MAX } else { CPU_DEPTH_MAX.max(settings.with(|s| s.depth)) };
        snap_depth(cap, step, 2) as f64
    });
    let sentences = move || runs.view.with(|r| if r.phase == crate::pages::run_view::Phase::Running { vec![] } else { readout(&r.series) });

    view! {
        <PageShell slug=Part6::SLUG notes=notes>
            <Lede slot>
                "Two networks that differ in one thing only: the second adds its input back after every block ("
                <code>"F(x) + x"</code>"). Same depth, same width, same data, same seed, same optimiser. Watch "
                "both loss curves and the gradient norms: how much of the gradient reaches the first layers, with "
                "and without the shortcut? Push the depth up and train again."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Network"</legend>
                    <Select
                        id="family"
                        label="Architecture"
                        options=vec![
                            ("cifar", "He et al. CIFAR nets (3×3 stem, 16/32/64 × width/16)"),
                            ("plaindeep", "The notebook's PlainDeepNet (7×7 stem + max-pool) and its residual twin"),
                            ("notebook", "The notebook's own pair: ResNet-18 vs PlainDeepNet"),
                        ]
                        value=Signal::derive(move || String::from(match settings.with(|s| s.family) {
                            Family::PlainDeepNet => "plaindeep",
                            Family::Imagenet => "notebook",
                            _ => "cifar",
                        }))
                        on_change=move |v| settings.update(|s| {
                            s.family = match v.as_str() {
                                "plaindeep" => Family::PlainDeepNet,
                                "notebook" => Family::Imagenet,
                                _ => Family::Cifar,
                            };
                            if s.family == Family::Imagenet {
                                s.depth = 18;
                            } else {
                                let (step, min) = depth_rule(s.family);
                                s.depth = snap_depth(s.depth, step, min);
                            }
                        })
                        disabled=running
                    />
                    <Slider id="depth".into() label="Depth (weight layers)".into() hint="Weight layers in each twin; the residual twin adds a shortcut around every pair of them."
                        min=Signal::derive(move || depth_rule(settings.with(|s| s.family)).1 as f64) max=depth_max
                        step=Signal::derive(move || depth_rule(settings.with(|s| s.family)).0 as f64)
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| {
                            let (step, min) = depth_rule(s.family);
                            s.depth = snap_depth(v as usize, step, min);
                        })
                        disabled=Signal::derive(move || running.get() || settings.with(|s| s.family == Family::Imagenet)) />
                    <Slider id="width".into() label="Width (channels of the first stage)".into() hint="Each later stage doubles it; both twins get the same width." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <Select
                        id="skip"
                        label="Residual twin's shortcut where the shape changes"
                        hint="Where a stage halves the image and doubles the channels, x no longer fits F(x): option A drops pixels and pads the new channels with zeros, option B learns a 1×1 convolution."
                        options=vec![("identity", "identity, zero-padded (option A, no parameters)"), ("projection", "1×1 projection (option B)")]
                        value=Signal::derive(move || settings.with(|s| s.skip.name().to_string()))
                        on_change=move |v| settings.update(|s| s.skip = Skip::parse(&v).unwrap_or(s.skip))
                        // The notebook's ResNet-18 projects, as torchvision's does.
                        disabled=Signal::derive(move || running.get() || settings.with(|s| s.family == Family::Imagenet))
                    />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Part6| &s.train set=|s: &mut Part6| &mut s.train running=running />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=running
                        on:click=move |_| runs.start(settings.with(|s| s.configs()))>"Train both"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=runs.grad_norm_lines() title="Global gradient norm per step" x_desc="step" y_desc="‖∇‖" log_y=true testid="gradnorm-chart" />
            <GradientProfiles runs=runs />
            <Readout title="What this run shows" sentences=Signal::derive(sentences)><RunDetails run=runs.view /></Readout>
            <SeedRepeat configs=Signal::derive(move || settings.with(|s| s.configs())) busy=running />
        </PageShell>
    }
}
