//! Each finished series' numbers, as a list that people and tests can read; the run as a file, and a
//! saved run (from this page or another) drawn under this one for comparison.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::chart::{Line, LineChart};
use super::export::download_text;
use crate::pages::readouts::{comparison_notes, held_out_accuracy};
use crate::pages::run_view::{Phase, RunView};
use crate::pages::saved_run::SavedRun;

#[component]
pub fn RunDetails(#[prop(into)] run: Signal<RunView>) -> impl IntoView {
    let compare = RwSignal::new(None::<SavedRun>);
    let note = RwSignal::new(None::<String>);
    let finished = move || run.with(|r| r.phase != Phase::Running && r.series.iter().any(|s| s.summary.is_some()));
    let save = move |_| {
        let query = super::location_query();
        let page = crate::pages::query::Query::parse(&query).raw("page").unwrap_or_default().to_string();
        let saved = run.with_untracked(|r| SavedRun::of(&page, &query, &r.series));
        download_text(
            &format!("resnet-lab-{}-run.json", if page.is_empty() { "part1" } else { &page }),
            "application/json",
            &saved.to_json(),
        );
    };
    let open = move |ev: web_sys::Event| {
        let el: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        let Some(file) = el.files().and_then(|f| f.get(0)) else { return };
        let name = file.name();
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
            match SavedRun::parse(&text) {
                Ok(saved) => {
                    note.set(Some(format!(
                        "{name}: {} series from the {} page, drawn faded under this page's run.",
                        saved.series.len(),
                        saved.page
                    )));
                    compare.set(Some(saved));
                }
                // The comparison shown before stays.
                Err(e) => note.set(Some(format!("{name} was not opened: {e}."))),
            }
        });
    };
    let current = Signal::derive(move || {
        run.with(|r| r.series.iter().map(|s| Line { label: s.label.clone(), points: s.losses.clone() }).collect::<Vec<_>>())
    });
    let saved_lines = Signal::derive(move || {
        compare.with(|c| {
            c.as_ref()
                .map(|c| c.series.iter().map(|s| Line { label: s.label.clone(), points: s.losses.clone() }).collect::<Vec<_>>())
                .unwrap_or_default()
        })
    });
    view! {
        <h3>"Run details"</h3>
        <ul class="details" data-testid="details">
            {move || run.with(|r| r.series.iter().filter_map(|s| s.summary.clone()).map(|m| view! {
                <li data-series=m.label.clone() data-first-loss=m.first_loss data-final-loss=m.final_loss
                    data-val-acc=m.final_val_accuracy data-ips=m.images_per_sec data-params=m.params
                    data-ratio-init=m.first_last_ratio_init data-ratio-late=m.first_last_ratio_late data-mean-grad=m.mean_grad_norm
                    data-step-ms=m.step_ms>
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
        <div class="actions saved-run">
            <button type="button" data-testid="save-run" prop:disabled=move || !finished() on:click=save>"Download this run (JSON)"</button>
            <label>"Compare with a saved run: "<input type="file" accept=".json,application/json" data-testid="open-run" on:change=open /></label>
        </div>
        <p class="hint" role="status" data-testid="saved-run-note">{move || note.get()}</p>
        <Show when=move || compare.with(Option::is_some)>
            <LineChart lines=current previous=saved_lines previous_name="saved run" title="Training loss: this run, and the saved one faded" x_desc="step" y_desc="cross-entropy loss" testid="compare-chart" />
        </Show>
    }
}
