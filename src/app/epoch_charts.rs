//! Training loss and held-out accuracy per epoch, side by side: the comparison every exercise page
//! opens its results with.

use leptos::prelude::*;

use super::chart::LineChart;
use super::runs::Runs;

#[component]
pub fn EpochCharts(runs: Runs) -> impl IntoView {
    view! {
        <div class="two-col">
            <LineChart lines=runs.epoch_lines(|e| e.train_loss) chance=runs.chance_loss() title="Training loss per epoch" x_desc="epoch" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=runs.epoch_lines(|e| e.val_accuracy * 100.0) title="Held-out accuracy per epoch" x_desc="epoch" y_desc="accuracy (%)" testid="acc-chart" />
        </div>
    }
}
