//! Course-material support on every page: the share bar (copy link, copy an `<iframe>` snippet),
//! the run button of an embedded page whose settings are hidden, and autorun on scroll.

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::pages::embed::{snippet, Embed};

/// The button that runs this page's experiment (Train, or Measure on the measuring pages).
fn run_button() -> Option<web_sys::HtmlElement> {
    document()
        .query_selector("[data-testid=train], [data-testid=measure]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
}

/// Presses the page's run button if there is one and it can be pressed now.
fn press_run() -> bool {
    match run_button() {
        Some(b)
            if !b.has_attribute("disabled")
                && !js_sys::Reflect::get(&b, &"disabled".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false) =>
        {
            b.click();
            true
        }
        _ => false,
    }
}

/// `autorun=1`: press Train once the page is first scrolled into view, never before (a frame far
/// down a course page does not train until the reader gets there). The page's `<main>` is watched,
/// not the button: in a frame the button sits in folded-away settings, which never intersect.
pub fn autorun() {
    set_timeout(
        || {
            if run_button().is_none() {
                return;
            }
            let Some(watched) = document().query_selector("main").ok().flatten() else { return };
            let go = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
                press_run();
            });
            // IntersectionObserver through JS: one call, no extra web-sys bindings.
            let observe = js_sys::Function::new_with_args(
                "el, go",
                "const o = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting)) { o.disconnect(); go(); } }); o.observe(el);",
            );
            let _ = observe.call2(&JsValue::NULL, &watched, go.as_ref());
            go.forget();
        },
        std::time::Duration::from_millis(0),
    );
}

/// Writes `text` to the clipboard; the promise settles into the outcome.
async fn copy(text: String) -> Result<(), String> {
    let clipboard = js_sys::Reflect::get(&window().navigator(), &"clipboard".into()).map_err(|_| "no clipboard".to_string())?;
    if clipboard.is_undefined() {
        return Err("this browser gives no clipboard here".into());
    }
    let write: js_sys::Function =
        js_sys::Reflect::get(&clipboard, &"writeText".into()).map_err(|_| "no clipboard")?.dyn_into().map_err(|_| "no clipboard")?;
    let promise: js_sys::Promise =
        write.call1(&clipboard, &text.into()).map_err(|_| "the clipboard refused")?.dyn_into().map_err(|_| "no clipboard")?;
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|_| "the clipboard refused (select the text below and copy it)".into())
}

/// "Copy link" and "Copy embed snippet" under a page's title; the snippet is also shown, ready to
/// select, for browsers (and frames) that refuse the clipboard.
#[component]
pub fn ShareBar(title: &'static str) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    let shown = RwSignal::new(false);
    let here = move || {
        let loc = window().location();
        let base = format!("{}{}", loc.origin().unwrap_or_default(), loc.pathname().unwrap_or_default());
        (base, loc.search().unwrap_or_default())
    };
    let snippet_text = move || {
        let (base, q) = here();
        snippet(&base, &q, title)
    };
    let copy_then = move |text: String, what: &'static str| {
        wasm_bindgen_futures::spawn_local(async move {
            status.set(Some(match copy(text).await {
                Ok(()) => format!("{what} copied."),
                Err(e) => format!("Could not copy: {e}."),
            }));
        })
    };
    view! {
        <div class="share" data-testid="share">
            <button type="button" data-testid="copy-link" on:click=move |_| copy_then(window().location().href().unwrap_or_default(), "Link")>"Copy link"</button>
            <button type="button" data-testid="copy-embed" on:click=move |_| { shown.set(true); copy_then(snippet_text(), "Embed snippet") }>"Copy embed snippet"</button>
            <span class="hint" role="status" data-testid="share-status">{move || status.get()}</span>
            <Show when=move || shown.get()>
                <label class="snippet">
                    "An iframe with these settings (add "<code>"&lock=depth"</code>" to fix a control, "<code>"&controls=none"</code>
                    " to hide them, "<code>"&autorun=1"</code>" to train when it scrolls into view):"
                    <textarea readonly rows="3" data-testid="embed-snippet" prop:value=snippet_text></textarea>
                </label>
            </Show>
        </div>
    }
}

/// In an embedded page with its settings hidden or folded away: the run button, first.
#[component]
pub fn EmbedRun() -> impl IntoView {
    let present = RwSignal::new(false);
    set_timeout(move || present.set(run_button().is_some()), std::time::Duration::from_millis(0));
    view! {
        <Show when=move || present.get()>
            <button type="button" class="primary" data-testid="embed-run" on:click=move |_| { press_run(); }>"Run this experiment"</button>
        </Show>
    }
}

/// Whether the control `id` is fixed by the page that embeds this one.
pub fn locked(id: &str) -> bool {
    use_context::<Embed>().is_some_and(|e| e.locks(id))
}
