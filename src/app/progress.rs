//! Progress with ETA and a Cancel button, for every long run.

use leptos::prelude::*;

use crate::pages::run_view::{Phase, RunView};

#[component]
pub fn Progress(
    #[prop(into)] run: Signal<RunView>,
    on_cancel: impl Fn() + 'static,
    #[prop(default = "progress")] testid: &'static str,
    /// What is counted: "step" for training, "row" for a landscape being mapped.
    #[prop(default = "step")]
    unit: &'static str,
) -> impl IntoView {
    let running = move || run.with(|r| r.phase == Phase::Running);
    let text = move || {
        run.with(|r| {
            let elapsed = (r.now_ms - r.started_ms).max(0.0) / 1000.0;
            let eta = r.eta_secs().map(|s| format!(" · about {s:.0} s left")).unwrap_or_default();
            if let Some((stage, f)) = &r.loading {
                return format!("{stage} · {:.0}%", f * 100.0);
            }
            match r.phase {
                Phase::Idle => String::new(),
                Phase::Running => format!("{unit} {} of {} · {elapsed:.1} s{eta}", r.done_steps, r.planned_steps),
                Phase::Done if r.restored => {
                    format!("finished {} {unit}s in {elapsed:.1} s (your last run of these settings in this tab)", r.done_steps)
                }
                Phase::Done => format!("finished {} {unit}s in {elapsed:.1} s", r.done_steps),
                Phase::Cancelled => format!("cancelled after {} of {} {unit}s", r.done_steps, r.planned_steps),
                Phase::Failed => format!("stopped: {}", r.error.clone().unwrap_or_default()),
            }
        })
    };
    let phase = move || format!("{:?}", run.with(|r| r.phase)).to_lowercase();
    view! {
        <div class="progress" data-testid=testid data-phase=phase>
            <progress max="1" prop:value=move || run.with(|r| r.loading.as_ref().map_or(r.fraction(), |l| l.1)) aria-label="training progress"></progress>
            <span class="progress-text" role="status" aria-live="polite">{text}</span>
            <button class="cancel" data-testid=if testid == "progress" { "cancel".to_string() } else { format!("{testid}-cancel") } prop:disabled=move || !running() on:click=move |_| on_cancel()>
                "Cancel"
            </button>
        </div>
    }
}
