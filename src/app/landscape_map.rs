//! A loss landscape drawn as a heat map with contour lines (marching squares), filled in row by row as
//! the worker measures it. Colours follow log(loss) over a range shared by the maps it is compared with.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::export::ExportButtons;
use crate::lab::landscape::contour;

/// Five stops of a viridis-like ramp (dark purple → yellow), interpolated.
fn ramp(t: f64) -> (u8, u8, u8) {
    const STOPS: [(f64, f64, f64); 5] =
        [(68.0, 1.0, 84.0), (59.0, 82.0, 139.0), (33.0, 145.0, 140.0), (94.0, 201.0, 98.0), (253.0, 231.0, 37.0)];
    let t = t.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw(canvas: &web_sys::HtmlCanvasElement, grid: &[Vec<Option<f32>>], axis: &[f32], range: (f64, f64)) -> Option<()> {
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w, h);
    let n = axis.len();
    if n == 0 {
        return Some(());
    }
    let (left, top, size) = (46.0, 8.0, (w - 56.0).min(h - 48.0));
    let cell = size / n as f64;
    let (lo, hi) = range;
    let norm = |v: f64| if hi > lo { (v.ln() - lo) / (hi - lo) } else { 0.5 };
    // Rows are b from −span (bottom) to +span (top).
    let y_of = |row: f64| top + size - row * cell;
    for (i, row) in grid.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            let colour = match v {
                Some(v) => {
                    let (r, g, b) = ramp(norm(*v as f64));
                    format!("rgb({r},{g},{b})")
                }
                None => "#bbb".to_string(),
            };
            ctx.set_fill_style_str(&colour);
            ctx.fill_rect(left + j as f64 * cell, y_of(i as f64 + 1.0), cell + 0.5, cell + 0.5);
        }
    }
    // Contours through cell centres, eight levels evenly spaced in log(loss).
    let values: Vec<Vec<f64>> =
        grid.iter().map(|r| r.iter().map(|v| v.map_or(f64::NAN, |v| (v as f64).max(1e-12).ln())).collect()).collect();
    ctx.set_stroke_style_str("rgba(255,255,255,0.85)");
    ctx.set_line_width(1.2);
    for k in 1..8 {
        let level = lo + (hi - lo) * k as f64 / 8.0;
        for ((x0, y0), (x1, y1)) in contour(&values, level) {
            ctx.begin_path();
            ctx.move_to(left + (x0 + 0.5) * cell, y_of(y0 + 0.5));
            ctx.line_to(left + (x1 + 0.5) * cell, y_of(y1 + 0.5));
            ctx.stroke();
        }
    }
    // The trained weights: the centre.
    ctx.set_stroke_style_str("#d62728");
    ctx.set_line_width(2.0);
    let (cx, cy) = (left + size / 2.0, top + size / 2.0);
    ctx.stroke_rect(cx - cell / 2.0, cy - cell / 2.0, cell, cell);
    // Axes: a across, b up.
    ctx.set_fill_style_str("#333");
    ctx.set_font("12px sans-serif");
    ctx.set_text_align("center");
    let span = axis[n - 1];
    for (t, label) in [(0.0, format!("{}", -span)), (0.5, "0".to_string()), (1.0, format!("{span}"))] {
        let _ = ctx.fill_text(&label, left + t * size, top + size + 16.0);
    }
    let _ = ctx.fill_text("a (direction δ)", left + size / 2.0, top + size + 34.0);
    ctx.set_text_align("right");
    for (t, label) in [(0.0, format!("{}", -span)), (0.5, "0".to_string()), (1.0, format!("{span}"))] {
        let _ = ctx.fill_text(&label, left - 6.0, top + size - t * size + 4.0);
    }
    ctx.save();
    let _ = ctx.translate(12.0, top + size / 2.0);
    let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
    ctx.set_text_align("center");
    let _ = ctx.fill_text("b (direction η)", 0.0, 0.0);
    ctx.restore();
    Some(())
}

/// `grid[row][col]` (row: b, col: a; `None`: overflowed); `range` is the (ln min, ln max) the colours span.
#[component]
pub fn LandscapeMap(
    #[prop(into)] grid: Signal<Vec<Vec<Option<f32>>>>,
    #[prop(into)] axis: Signal<Vec<f32>>,
    #[prop(into)] range: Signal<(f64, f64)>,
    #[prop(into)] title: Signal<String>,
    testid: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let (g, a, r) = (grid.get(), axis.get(), range.get());
        if let Some(c) = canvas.get() {
            draw(&c, &g, &a, r);
        }
    });
    let csv = move || {
        let (g, a) = (grid.get_untracked(), axis.get_untracked());
        let mut out = String::from("a,b,loss\n");
        for (i, row) in g.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                out.push_str(&format!(
                    "{},{},{}\n",
                    a.get(j).copied().unwrap_or(f32::NAN),
                    a.get(i).copied().unwrap_or(f32::NAN),
                    v.map(|v| v.to_string()).unwrap_or_default()
                ));
            }
        }
        out
    };
    let centre = move || {
        grid.with(|g| {
            let n = axis.with(Vec::len);
            g.get(n / 2).and_then(|r| r.get(n / 2)).copied().flatten().map(|v| v.to_string()).unwrap_or_default()
        })
    };
    view! {
        <figure class="chart landscape" data-testid=testid data-rows=move || grid.with(Vec::len) data-centre=centre>
            <figcaption>
                {move || title.get()}
                <ExportButtons testid=testid title=title canvas=canvas csv=csv />
            </figcaption>
            <canvas node_ref=canvas width="420" height="380" role="img"
                aria-label=move || format!("{}: heat map of the loss, darker is lower, white contour lines, the red square marks the trained weights", title.get())></canvas>
        </figure>
    }
}
