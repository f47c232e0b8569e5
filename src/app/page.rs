//! What every page's view shares: [`use_page_state`] (settings from the URL, kept in the URL) and
//! [`PageShell`] (title from the page table, lede, URL notes, the controls form, then the page's
//! charts and readout).

use leptos::prelude::*;

use super::controls::UrlNotes;
use super::embed::{EmbedRun, ShareBar};
use super::{location_query, sync_url};
use crate::pages::catalogue;
use crate::pages::embed::Embed;
use crate::pages::page::PageState;

/// The page's settings parsed from the URL (clamped, with notes), as a signal the URL then follows.
pub fn use_page_state<S: PageState + Send + Sync>() -> (RwSignal<S>, Vec<String>) {
    let (initial, notes) = S::from_query(&location_query());
    let settings = RwSignal::new(initial);
    sync_url(move || settings.with(|s| s.to_query()));
    (settings, notes)
}

/// The paragraph under the title: what the page asks, in the lab's words.
#[slot]
pub struct Lede {
    children: Children,
}

/// The page's controls, inside one `<form class="controls">` that never submits.
#[slot]
pub struct Controls {
    children: Children,
}

#[component]
pub fn PageShell(
    /// The page's slug; its title comes from the page table.
    slug: &'static str,
    notes: Vec<String>,
    lede: Lede,
    #[prop(optional)] controls: Option<Controls>,
    children: Children,
) -> impl IntoView {
    let embed = use_context::<Embed>().unwrap_or_default();
    let form = move |c: Controls| view! { <form class="controls" on:submit=|ev| ev.prevent_default()>{(c.children)()}</form> };
    if !embed.on {
        return view! {
            <article class="page" data-page=slug>
                <h1>{catalogue::title(slug)}</h1>
                <ShareBar title=catalogue::title(slug) />
                <p class="lede">{(lede.children)()}</p>
                <UrlNotes notes=notes />
                {controls.map(form)}
                {children()}
            </article>
        }
        .into_any();
    }
    // In a frame: the title, the run button, the results; what the page asks and its settings fold
    // away (or, with controls=none, are not shown at all — the run button still works).
    view! {
        <article class="page embedded" data-page=slug>
            <h1>{catalogue::title(slug)}</h1>
            <UrlNotes notes=notes />
            <EmbedRun />
            <details class="embed-lede">
                <summary>"What this shows"</summary>
                <p class="lede">{(lede.children)()}</p>
            </details>
            {controls.map(|c| view! {
                <details class="embed-settings" data-testid="embed-settings" hidden=embed.no_controls>
                    <summary>"Settings"</summary>
                    {form(c)}
                </details>
            })}
            {children()}
        </article>
    }
    .into_any()
}
