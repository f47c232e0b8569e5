//! Bar charts (plotters on a canvas), with the numbers in a table underneath for screen readers,
//! copy-paste and tests.

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;

use super::chart::{fit, ticks, viewport, y_axis_labels, PALETTE};
use super::export::ExportButtons;
use crate::pages::export::bars_csv;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// `ranges` (one (low, high) per bar, or none) are drawn as whiskers: the spread behind a mean.
fn draw(canvas: web_sys::HtmlCanvasElement, bars: &[Bar], ranges: &[(f64, f64)], y_desc: &str, log_y: bool) -> Option<()> {
    let s = fit(&canvas, 300.0 / 760.0, 240.0);
    let px = |v: f64| (v * s).round() as u32;
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let height = canvas.height() as f64;
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let tf = |v: f64| if log_y { v.max(1e-12).log10() as f32 } else { v as f32 };
    let vals: Vec<f32> = bars.iter().map(|b| tf(b.value)).chain(ranges.iter().map(|r| tf(r.1))).filter(|v| v.is_finite()).collect();
    let hi = vals.iter().cloned().fold(f32::MIN, f32::max).max(if log_y { 1.0 } else { 1e-6 });
    let lo = if log_y { vals.iter().cloned().fold(f32::MAX, f32::min).min(hi).floor() } else { 0.0 };
    let (y0, y1) = (lo, hi + (hi - lo).max(1e-6) * 0.08);
    let n = bars.len().max(1) as f32;
    let area = root.margin(px(10.0), px(70.0), px(78.0), px(14.0));
    let mut chart = ChartBuilder::on(&area).build_cartesian_2d(0f32..n, y0..y1).ok()?;
    let yt = ticks(y0, y1, 5);
    let grid = RGBColor(232, 232, 232);
    chart.draw_series(yt.iter().map(|&y| PathElement::new(vec![(0.0, y), (n, y)], grid))).ok()?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let color = PALETTE[i % PALETTE.len()];
            Rectangle::new([(i as f32 + 0.15, y0), (i as f32 + 0.85, tf(b.value).max(y0))], color.filled())
        }))
        .ok()?;
    let ink = RGBColor(40, 40, 40).stroke_width(px(1.5).max(1));
    chart
        .draw_series(ranges.iter().enumerate().flat_map(|(i, &(lo, hi))| {
            let (x, w) = (i as f32 + 0.5, 0.12);
            let (lo, hi) = (tf(lo).max(y0), tf(hi).max(y0));
            [vec![(x, lo), (x, hi)], vec![(x - w, lo), (x + w, lo)], vec![(x - w, hi), (x + w, hi)]].map(|p| PathElement::new(p, ink))
        }))
        .ok()?;
    chart.draw_series(std::iter::once(Rectangle::new([(0.0, y0), (n, y1)], RGBColor(150, 150, 150)))).ok()?;
    root.present().ok()?;

    ctx.set_font(&format!("{}px sans-serif", 12.0 * s));
    ctx.set_fill_style_str("#333");
    for (i, b) in bars.iter().enumerate() {
        let (bx, by) = chart.backend_coord(&(i as f32 + 0.5, y0));
        ctx.save();
        let _ = ctx.translate(bx as f64, by as f64 + 8.0 * s);
        let _ = ctx.rotate(if bars.len() > 6 { -0.6 } else { 0.0 });
        ctx.set_text_align(if bars.len() > 6 { "right" } else { "center" });
        let _ = ctx.fill_text(&b.label, 0.0, 8.0 * s);
        ctx.restore();
    }
    let ys: Vec<_> = yt.iter().map(|&y| (y, chart.backend_coord(&(0.0, y)))).collect();
    y_axis_labels(&ctx, &ys, height - 40.0 * s, y_desc, log_y, s);
    Some(())
}

/// Redraws whenever `bars` changes; `fmt` writes a value for the table.
#[component]
pub fn BarChart(
    #[prop(into)] bars: Signal<Vec<Bar>>,
    #[prop(into)] title: Signal<&'static str>,
    y_desc: &'static str,
    #[prop(default = false)] log_y: bool,
    testid: &'static str,
    #[prop(default = |v: f64| format!("{v}"))] fmt: fn(f64) -> String,
    /// Whiskers, one (low, high) per bar: e.g. the lowest and highest of several seeds.
    #[prop(optional, into)]
    ranges: Option<Signal<Vec<(f64, f64)>>>,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let width = viewport();
    Effect::new(move |_| {
        width.track();
        let bs = bars.get();
        let rs = ranges.map(|r| r.get()).unwrap_or_default();
        if let Some(c) = canvas.get() {
            draw(c, &bs, &rs, y_desc, log_y);
        }
    });
    let csv = move || bars.with_untracked(|bs| bars_csv(y_desc, bs.iter().map(|b| (b.label.as_str(), b.value))));
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>
                {move || title.get()}
                <ExportButtons testid=testid title=Signal::derive(move || title.get().to_string()) canvas=canvas csv=csv />
            </figcaption>
            <canvas node_ref=canvas width="760" height="300" role="img" aria-label=move || title.get()></canvas>
            <details>
                <summary>"The numbers"</summary>
                <table class="numbers">
                    <tbody>
                        {move || {
                            let rs = ranges.map(|r| r.get()).unwrap_or_default();
                            bars.get().into_iter().enumerate().map(|(i, b)| {
                                let range = rs.get(i).map(|&(lo, hi)| format!(" ({} to {})", fmt(lo), fmt(hi))).unwrap_or_default();
                                view! {
                                    <tr data-label=b.label.clone() data-value=b.value><th scope="row">{b.label.clone()}</th><td>{fmt(b.value)}{range}</td></tr>
                                }
                            }).collect_view()
                        }}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}
