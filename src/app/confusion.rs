//! A confusion matrix as a table: true classes down, predicted across, each cell shaded by the
//! share of its row; counts or row percentages on demand. A table, so screen readers and tests read
//! the numbers the shading shows.

use leptos::prelude::*;

use crate::lab::report::ClassReport;

#[component]
pub fn ConfusionMatrix(#[prop(into)] report: Signal<Option<ClassReport>>) -> impl IntoView {
    let percent = RwSignal::new(false);
    move || {
        report.get().map(|r| {
            let norm = r.row_normalised();
            let names = r.class_names.clone();
            view! {
                <figure class="confusion" data-testid="confusion" data-total=r.total()>
                    <figcaption>
                        "Confusion matrix on the held-out images (rows: true class, columns: predicted) "
                        <label class="inline">
                            <input type="checkbox" data-testid="confusion-percent" prop:checked=move || percent.get()
                                on:change=move |ev| percent.set(event_target_checked(&ev)) />
                            " show row percentages"
                        </label>
                    </figcaption>
                    <div class="confusion-scroll">
                        <table>
                            <thead>
                                <tr><th scope="col">"true ↓ / predicted →"</th>
                                    {names.iter().map(|n| view! { <th scope="col" class="cm-col">{n.clone()}</th> }).collect_view()}
                                </tr>
                            </thead>
                            <tbody>
                                {r.confusion.iter().enumerate().map(|(t, row)| {
                                    let shares = norm[t].clone();
                                    view! {
                                        <tr>
                                            <th scope="row">{names.get(t).cloned().unwrap_or_default()}</th>
                                            {row.iter().enumerate().map(|(p, &count)| {
                                                let share = shares[p];
                                                // Right answers shade green, mistakes red; darker = larger share of the row.
                                                let (hue, text) = if p == t { (140, "#052e16") } else { (0, "#450a0a") };
                                                let style = format!("background: hsla({hue}, 70%, 45%, {:.3}); color: {}", share * 0.85, if share > 0.55 { "#fff" } else { text });
                                                view! {
                                                    <td class="cm-cell" data-count=count data-share=share style=style
                                                        title=format!("{} taken for {}: {count}", names.get(t).cloned().unwrap_or_default(), names.get(p).cloned().unwrap_or_default())>
                                                        {move || if percent.get() { format!("{:.0}%", share * 100.0) } else { count.to_string() }}
                                                    </td>
                                                }
                                            }).collect_view()}
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </figure>
            }
        })
    }
}
