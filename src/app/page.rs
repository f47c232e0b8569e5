//! What every page's view shares: [`use_page_state`] (settings from the URL, kept in the URL) and
//! [`PageShell`] (title from the page table, lede, URL notes, the controls form, then the page's
//! charts and readout).

use leptos::prelude::*;

use super::controls::UrlNotes;
use super::{location_query, sync_url};
use crate::pages::catalogue;
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
    view! {
        <article class="page" data-page=slug>
            <h1>{catalogue::title(slug)}</h1>
            <p class="lede">{(lede.children)()}</p>
            <UrlNotes notes=notes />
            {controls.map(|c| view! { <form class="controls" on:submit=|ev| ev.prevent_default()>{(c.children)()}</form> })}
            {children()}
        </article>
    }
}
