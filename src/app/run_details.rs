//! Each finished series' numbers, as a list that people and tests can read.

use leptos::prelude::*;

use crate::pages::readouts::{comparison_notes, held_out_accuracy};
use crate::pages::run_view::RunView;

#[component]
pub fn RunDetails(#[prop(into)] run: Signal<RunView>) -> impl IntoView {
    view! {
        <h3>"Run details"</h3>
        <ul class="details" data-testid="details">
            {move || run.with(|r| r.series.iter().filter_map(|s| s.summary.clone()).map(|m| view! {
                <li data-series=m.label.clone() data-first-loss=m.first_loss data-final-loss=m.final_loss
                    data-val-acc=m.final_val_accuracy data-ips=m.images_per_sec data-params=m.params
                    data-ratio-init=m.first_last_ratio_init data-ratio-late=m.first_last_ratio_late data-mean-grad=m.mean_grad_norm>
                    {format!(
                        "{}: {} parameters, loss at the first step {:.3} → mean over the last epoch {:.3}, held-out accuracy {}, {:.0} images/s",
                        m.label, m.params, m.first_loss, m.final_loss, held_out_accuracy(&m), m.images_per_sec
                    )}
                </li>
            }).collect_view())}
        </ul>
        <ul class="details" data-testid="comparison-notes">
            {move || run.with(|r| comparison_notes(&r.series)).into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
        </ul>
    }
}
