//! The landing page: one card per Part, Exercise and module item.

use leptos::prelude::*;

use crate::pages::catalogue::PAGES;

#[component]
pub fn Landing() -> impl IntoView {
    let groups = ["Notebook", "Exercises", "Module", "Data"];
    // A forced backend (?backend=cpu) follows the student into every page.
    view! {
        <section class="intro">
            <h1>"Why do deep plain networks stop learning?"</h1>
            <p>
                "Each page below trains real networks in your browser — on your GPU through WebGPU when it is "
                "available, otherwise on the CPU. Drag the depth, flip the skip connection, press Train, and watch "
                "what the residual connection "<code>"F(x) + x"</code>" changes."
            </p>
        </section>
        {groups.into_iter().map(|g| view! {
            <section class="cards">
                <h2>{g}</h2>
                <div class="grid">
                    {PAGES.iter().filter(|c| c.group == g).map(|c| {
                        if c.ready {
                            view! {
                                <a class="card ready" href=super::page_href(c.slug) data-testid=format!("card-{}", c.slug)>
                                    <h3>{c.title}</h3>
                                    <p>{c.blurb}</p>
                                </a>
                            }.into_any()
                        } else {
                            view! {
                                <div class="card todo" data-testid=format!("card-{}", c.slug)>
                                    <h3>{c.title}</h3>
                                    <p>{c.blurb}</p>
                                    <span class="soon">"Not built yet"</span>
                                </div>
                            }.into_any()
                        }
                    }).collect_view()}
                </div>
            </section>
        }).collect_view()}
    }
}
