//! Labelled, keyboard-usable form controls.

use leptos::prelude::*;

/// A range slider with its label and current value.
#[component]
pub fn Slider(
    id: String,
    label: String,
    #[prop(into)] min: Signal<f64>,
    #[prop(into)] max: Signal<f64>,
    #[prop(into)] step: Signal<f64>,
    #[prop(into)] value: Signal<f64>,
    on_change: impl Fn(f64) + 'static,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let id2 = id.clone();
    view! {
        <div class="control">
            <label for=id.clone()>{label}</label>
            <input
                type="range"
                id=id2
                min=move || min.get()
                max=move || max.get()
                step=move || step.get()
                prop:value=move || value.get()
                prop:disabled=move || disabled.get()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        on_change(v)
                    }
                }
            />
            <output for=id>{move || format_value(value.get())}</output>
        </div>
    }
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A select box from (value, label) pairs.
#[component]
pub fn Select(
    id: &'static str,
    label: &'static str,
    options: Vec<(&'static str, &'static str)>,
    #[prop(into)] value: Signal<String>,
    on_change: impl Fn(String) + 'static,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="control">
            <label for=id>{label}</label>
            <select
                id=id
                prop:disabled=move || disabled.get()
                on:change=move |ev| on_change(event_target_value(&ev))
            >
                {options.into_iter().map(|(v, l)| {
                    view! { <option value=v selected=move || value.get() == v>{l}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// The notes a page's URL produced (values clamped, unknown ones replaced), shown above its controls.
#[component]
pub fn UrlNotes(notes: Vec<String>) -> impl IntoView {
    (!notes.is_empty()).then(|| {
        view! {
            <ul class="clamp-notes" data-testid="clamp-notes" role="alert">
                {notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        }
    })
}

/// A page's "what this run shows" list, computed from the run.
#[component]
pub fn Readout(
    title: &'static str,
    #[prop(into)] sentences: Signal<Vec<String>>,
    #[prop(optional)] children: Option<Children>,
    #[prop(default = "readout")] testid: &'static str,
) -> impl IntoView {
    view! {
        <section class="readout" data-testid=testid aria-live="polite">
            <h2>{title}</h2>
            <ul>{move || sentences.get().into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
            {children.map(|c| c())}
        </section>
    }
}
