//! The per-layer gradient profile over depth, twice: at initialisation (step 1, where deep plain
//! BatchNorm nets can explode) and later in the run — by default the median of the last half of the
//! steps, or any single step picked with a scrubber. A mean over steps would let step 1 dominate.

use leptos::prelude::*;

use super::chart::LineChart;
use super::runs::Runs;
use crate::lab::gradients::When;

#[component]
pub fn GradientProfiles(runs: Runs) -> impl IntoView {
    // None = late (median of the last half); Some(k) = step k.
    let step = RwSignal::new(None::<usize>);
    let steps = runs.steps();
    let when = move || step.get().map_or(When::Late, When::Step);
    let late_title = Signal::derive(move || format!("Gradient norm per layer, {}, input → output", when().describe(steps.get().max(1))));
    view! {
        <div class="two-col">
            <LineChart lines=runs.layer_grad_lines(|| When::Init) title="Gradient norm per layer at initialisation (step 1), input → output"
                x_desc="weight layer" y_desc="‖∇W‖" log_y=true testid="grad-init-chart" />
            <div>
                <LineChart lines=runs.layer_grad_lines(when) title=late_title x_desc="weight layer" y_desc="‖∇W‖" log_y=true testid="grad-chart" />
                <div class="control scrub">
                    <label for="grad-when">"Profile shown"</label>
                    <select id="grad-when" data-testid="grad-when"
                        on:change=move |ev| step.set(if event_target_value(&ev) == "step" { Some(steps.get_untracked().max(1)) } else { None })>
                        <option value="late" selected=move || step.get().is_none()>"late: median of the last half of the steps"</option>
                        <option value="step" selected=move || step.get().is_some()>"one step (scrub below)"</option>
                    </select>
                    <Show when=move || step.get().is_some()>
                        <label for="grad-step">"Step"</label>
                        <input id="grad-step" type="range" min="1" max=move || steps.get().max(1) step="1" data-testid="grad-step"
                            prop:value=move || step.get().unwrap_or(1)
                            on:input=move |ev| step.set(event_target_value(&ev).parse().ok()) />
                        <output for="grad-step">{move || step.get().unwrap_or(1)}</output>
                    </Show>
                </div>
            </div>
        </div>
    }
}
