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
                                                let style = cell_style(if p == t { 140.0 } else { 0.0 }, share);
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

/// A cell's background (the hue at `share` strength, as the opaque colour it makes on white) and
/// whichever of black or white text reads better on it: at least 4.58:1 at any share (WCAG AA).
fn cell_style(hue: f32, share: f32) -> String {
    // hsl(hue, 70%, 40%) → rgb.
    let (s, l) = (0.7f32, 0.4f32);
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let h = hue / 60.0;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let a = (share * 0.85).clamp(0.0, 1.0);
    let on_white = |v: f32| (255.0 * (1.0 - a) + 255.0 * (v + m) * a).round() as u8;
    let rgb = [on_white(r), on_white(g), on_white(b)];
    let lin = |v: u8| {
        let v = v as f32 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    let text = if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.05 { "#fff" } else { "#000" };
    format!("background: rgb({}, {}, {}); color: {text}", rgb[0], rgb[1], rgb[2])
}
