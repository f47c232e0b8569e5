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
    /// One line on what the control means, shown under it and read with it by screen readers.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let id2 = id.clone();
    let locked = super::embed::locked(&id);
    let hint_id = format!("{id}-hint");
    view! {
        <div class="control">
            <label for=id.clone()>{label}</label>
            <input
                type="range"
                id=id2
                aria-describedby=hint.map(|_| hint_id.clone())
                title=locked.then_some(LOCKED)
                min=move || min.get()
                max=move || max.get()
                step=move || step.get()
                prop:value=move || value.get()
                prop:disabled=move || locked || disabled.get()
                on:input=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                        on_change(v)
                    }
                }
            />
            <output for=id>{move || format_value(value.get())}</output>
            {hint.map(|h| view! { <span class="control-hint" id=hint_id>{h}</span> })}
        </div>
    }
}

/// The tooltip of a control that the page embedding this one has fixed (`lock=`).
const LOCKED: &str = "Fixed by the page that shows this experiment";

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
    /// One line on what the control means (see [`Slider`]).
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    // A closed select shows only what fits its width: the chosen option's whole text goes in a
    // tooltip and, on narrow screens where a long one is cut, on a line of its own below.
    let chosen = {
        let options = options.clone();
        Signal::derive(move || value.with(|v| options.iter().find(|(o, _)| o == v).map(|(_, l)| l.to_string()).unwrap_or_default()))
    };
    let locked = super::embed::locked(id);
    view! {
        <div class="control">
            <label for=id>{label}</label>
            <select
                id=id
                aria-describedby=hint.map(|_| format!("{id}-hint"))
                title=move || if locked { LOCKED.to_string() } else { chosen.get() }
                prop:disabled=move || locked || disabled.get()
                on:change=move |ev| on_change(event_target_value(&ev))
            >
                {options.into_iter().map(|(v, l)| {
                    view! { <option value=v selected=move || value.get() == v>{l}</option> }
                }).collect_view()}
            </select>
            {move || chosen.with(|c| (c.chars().count() > 28).then(|| view! { <span class="select-full" aria-hidden="true">{c.clone()}</span> }))}
            {hint.map(|h| view! { <span class="control-hint" id=format!("{id}-hint")>{h}</span> })}
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
            // An empty readout says what fills it instead of showing a bare heading.
            {move || sentences.with(Vec::is_empty).then(|| view! {
                <p class="hint" data-testid="readout-empty">"Nothing measured yet: what a run measures appears here when it finishes."</p>
            })}
            {children.map(|c| c())}
        </section>
    }
}
