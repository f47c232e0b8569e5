//! Downloads: a chart's canvas as PNG and its data as CSV (every chart offers both), any text file.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::pages::export::file_name;

/// Offers `text` as a file download.
pub fn download_text(name: &str, mime: &str, text: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&text.into());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    click_link(name, &url);
    web_sys::Url::revoke_object_url(&url).ok()
}

/// Offers a canvas's current picture as a PNG download.
pub fn download_png(name: &str, canvas: &web_sys::HtmlCanvasElement) -> Option<()> {
    let url = canvas.to_data_url_with_type("image/png").ok()?;
    click_link(name, &url);
    Some(())
}

fn click_link(name: &str, url: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(a) = doc.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(url);
        a.set_download(name);
        a.click();
    }
}

/// A chart caption's "PNG" and "CSV" buttons: the canvas as drawn, and the data `csv` writes.
#[component]
pub fn ExportButtons(
    testid: &'static str,
    #[prop(into)] title: Signal<String>,
    canvas: NodeRef<Canvas>,
    csv: impl Fn() -> String + 'static,
) -> impl IntoView {
    let png = move |_| {
        if let Some(c) = canvas.get_untracked() {
            download_png(&file_name(&title.get_untracked(), "png"), &c);
        }
    };
    view! {
        <span class="chart-export">
            <button type="button" class="small" data-testid=format!("{testid}-png") aria-label=move || format!("Download “{}” as PNG", title.get()) on:click=png>"PNG"</button>
            <button type="button" class="small" data-testid=format!("{testid}-csv") aria-label=move || format!("Download the data of “{}” as CSV", title.get())
                on:click=move |_| { download_text(&file_name(&title.get_untracked(), "csv"), "text/csv", &csv()); }>"CSV"</button>
        </span>
    }
}
