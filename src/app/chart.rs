//! Line charts drawn with plotters on a canvas, with an HTML legend that screen readers and tests
//! can read (series name, point count, first and last value).

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;

use super::export::ExportButtons;
use crate::pages::export::series_csv;

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f32, f32)>,
}

const REDRAW_MS: f64 = 250.0;

pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

pub fn css_color(i: usize) -> String {
    let c = PALETTE[i % PALETTE.len()];
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// A palette colour a third of the way from white: a previous run under the current one.
fn faded(c: RGBColor) -> RGBColor {
    let f = |v: u8| (255.0 - (255.0 - v as f32) * 0.35) as u8;
    RGBColor(f(c.0), f(c.1), f(c.2))
}

fn css_faded(i: usize) -> String {
    let c = faded(PALETTE[i % PALETTE.len()]);
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// The window's width in CSS pixels, tracked so charts redraw at their new size when it changes.
#[derive(Clone, Copy)]
pub struct ViewportWidth(pub RwSignal<f64>);

/// Makes the canvas's backing store its displayed size × the device pixel ratio (text drawn at 13 px
/// then reads as 13 px at any width: a fixed 760-px canvas scaled down to a phone made it ~6 px).
/// `aspect` is height / width, `min_h` the least CSS height. Returns canvas pixels per CSS pixel; a
/// hidden canvas keeps its size and gets 1.
pub(super) fn fit(canvas: &web_sys::HtmlCanvasElement, aspect: f64, min_h: f64) -> f64 {
    let css_w = canvas.client_width() as f64;
    if css_w <= 0.0 {
        return 1.0;
    }
    let dpr = window().device_pixel_ratio().max(1.0);
    let css_h = (css_w * aspect).max(min_h);
    let (w, h) = ((css_w * dpr).round() as u32, (css_h * dpr).round() as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    dpr
}

/// Draws the charts' text sizes and symbols on a throw-away canvas once, soon after start-up.
/// Chromium's first `fillText` of a size, and of a glyph the font lacks (‖ ∇ ∂ ₁ …: a fallback-font
/// search), costs 5–200 ms on the main thread (200 on a cold machine in CI): paid while the page
/// starts, not as a freeze when the first chart of a run draws.
pub fn warm_up_text() {
    let warm = wasm_bindgen::closure::Closure::once_into_js(|| {
        let Some(canvas) = document().create_element("canvas").ok().and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok()) else {
            return;
        };
        canvas.set_width(64);
        canvas.set_height(16);
        if let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) {
            let dpr = window().device_pixel_ratio().max(1.0);
            for px in [11.0, 12.0, 13.0, 14.0] {
                ctx.set_font(&format!("{}px sans-serif", px * dpr));
                let _ = ctx.fill_text("0.123456789 -e+k Loss ‖∇W₁‖ ∂L/∂x × · → α γ δ θ η ± ≈ − …", 0.0, 12.0);
            }
        }
    });
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(warm.unchecked_ref(), 0);
}

/// The viewport width the app provides; call in the component, track inside its redraw effect.
pub(super) fn viewport() -> Option<RwSignal<f64>> {
    use_context::<ViewportWidth>().map(|v| v.0)
}

/// About `n` round tick values covering `lo..hi`.
pub(super) fn ticks(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    let raw = (hi - lo) / n as f32;
    let mag = 10f32.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = vec![];
    while t <= hi + step * 1e-3 && out.len() < 20 {
        out.push(t);
        t += step;
    }
    out
}

pub(super) fn tick_label(v: f32, log: bool) -> String {
    let v = if log {
        // Ticks between powers of ten (10^0.5 = 3.162…) read as two significant digits: 3.2.
        let p = 10f32.powf(v);
        let scale = 10f32.powf(p.abs().log10().floor() - 1.0);
        (p / scale).round() * scale
    } else {
        v
    };
    let a = v.abs();
    if (10_000.0..1e9).contains(&a) {
        // Thousands and millions with the digits that tell neighbouring ticks apart (18.5k, 1.25M).
        let (scaled, unit) = if a >= 1e6 { (v / 1e6, "M") } else { (v / 1e3, "k") };
        format!("{}{unit}", (scaled * 100.0).round() / 100.0 + 0.0)
    } else if a != 0.0 && !(0.01..10_000.0).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        // `+ 0.0` turns a rounded −0 into 0: no "-0" tick.
        format!("{}", (v * 1000.0).round() / 1000.0 + 0.0)
    }
}

/// Plots with plotters; tick labels are written straight on the 2D context, because plotters' web
/// font measures each label with a DOM reflow, which made every redraw cost ~70 ms.
/// `scatter` draws each point as a dot, unjoined (one series per thing compared).
fn draw(
    canvas: web_sys::HtmlCanvasElement,
    x_desc: &str,
    y_desc: &str,
    (lines, previous): (&[Line], &[Line]),
    log_y: bool,
    chance: Option<f32>,
    scatter: bool,
) -> Option<()> {
    let s = fit(&canvas, 340.0 / 760.0, 220.0);
    let px = |v: f64| (v * s).round() as u32;
    let ctx: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let height = canvas.height() as f64;
    let width = canvas.width() as f64;
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    root.fill(&WHITE).ok()?;
    // Nothing to plot yet: say so instead of drawing an empty 0–1 frame.
    if lines.iter().all(|l| l.points.is_empty()) {
        ctx.set_font(&format!("{}px sans-serif", 14.0 * s));
        ctx.set_fill_style_str("#6b7280");
        ctx.set_text_align("center");
        let _ = ctx.fill_text("No data yet: the chart fills in as the run goes.", width / 2.0, height / 2.0);
        return Some(());
    }
    let tf = |y: f32| if log_y { y.max(1e-12).log10() } else { y };
    let pts = lines.iter().chain(previous).flat_map(|l| l.points.iter().map(|&(x, y)| (x, tf(y)))).filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for (x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    // The chance line stays in view: how far below guessing the curves are is the point.
    let chance = chance.filter(|c| c.is_finite() && x0 <= x1 && !lines.iter().all(|l| l.points.is_empty()));
    if let Some(c) = chance {
        (y0, y1) = (y0.min(tf(c)), y1.max(tf(c)));
    }
    if x1 - x0 < 1e-6 {
        x1 = x0 + 1.0;
    }
    // Dots sit inside the frame, not on it.
    if scatter {
        let pad = (x1 - x0) * 0.08;
        (x0, x1) = (x0 - pad, x1 + pad);
    }
    let pad = ((y1 - y0) * 0.08).max(1e-3);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let area = root.margin(px(10.0), px(46.0), px(64.0), px(14.0));
    let mut chart = ChartBuilder::on(&area).build_cartesian_2d(x0..x1, y0..y1).ok()?;
    // Whole-number x (epochs, generations, blocks): whole-number ticks only, and a marker on every point.
    let whole_x = lines.iter().all(|l| l.points.iter().all(|p| p.0.fract() == 0.0));
    let mut xt = ticks(x0, x1, 6);
    if whole_x {
        xt = xt.into_iter().filter(|x| (x - x.round()).abs() < 1e-3).map(f32::round).collect();
    }
    let yt = ticks(y0, y1, 5);
    let grid = RGBColor(232, 232, 232);
    chart.draw_series(xt.iter().map(|&x| PathElement::new(vec![(x, y0), (x, y1)], grid))).ok()?;
    chart.draw_series(yt.iter().map(|&y| PathElement::new(vec![(x0, y), (x1, y)], grid))).ok()?;
    chart.draw_series(std::iter::once(Rectangle::new([(x0, y0), (x1, y1)], RGBColor(150, 150, 150)))).ok()?;
    // The previous run underneath, faded: the same colours, a third of the strength.
    for (i, l) in previous.iter().enumerate() {
        let series = l.points.iter().map(|&(x, y)| (x, tf(y))).filter(|p| p.1.is_finite());
        chart.draw_series(LineSeries::new(series, faded(PALETTE[i % PALETTE.len()]).stroke_width(px(2.0)))).ok()?;
    }
    for (i, l) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let series = l.points.iter().map(|&(x, y)| (x, tf(y))).filter(|p| p.1.is_finite());
        if scatter {
            chart.draw_series(series.map(|p| Circle::new(p, px(6.0), color.filled()))).ok()?;
            continue;
        }
        chart.draw_series(LineSeries::new(series.clone(), color.stroke_width(px(2.0)))).ok()?;
        if whole_x && l.points.len() <= 40 {
            chart.draw_series(series.map(|p| Circle::new(p, px(3.0), color.filled()))).ok()?;
        }
    }
    root.present().ok()?;

    if let Some(c) = chance {
        let ((ax, ay), (bx, _)) = (chart.backend_coord(&(x0, tf(c))), chart.backend_coord(&(x1, tf(c))));
        ctx.save();
        ctx.set_stroke_style_str("#6b7280");
        ctx.set_line_width(1.5 * s);
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&(6.0 * s).into(), &(4.0 * s).into()));
        ctx.begin_path();
        ctx.move_to(ax as f64, ay as f64);
        ctx.line_to(bx as f64, ay as f64);
        ctx.stroke();
        ctx.restore();
        ctx.set_font(&format!("{}px sans-serif", 12.0 * s));
        ctx.set_fill_style_str("#4b5563");
        ctx.set_text_align("right");
        let _ = ctx.fill_text(&format!("chance: {c:.3}"), bx as f64 - 4.0 * s, ay as f64 - 4.0 * s);
    }

    ctx.set_font(&format!("{}px sans-serif", 13.0 * s));
    ctx.set_fill_style_str("#333");
    ctx.set_text_align("center");
    for &x in &xt {
        let (tx, ty) = chart.backend_coord(&(x, y0));
        let _ = ctx.fill_text(&tick_label(x, false), tx as f64, ty as f64 + 16.0 * s);
    }
    let _ = ctx.fill_text(x_desc, width / 2.0 + 28.0 * s, height - 8.0 * s);
    let ys: Vec<_> = yt.iter().map(|&y| (y, chart.backend_coord(&(x0, y)))).collect();
    y_axis_labels(&ctx, &ys, height - 36.0 * s, y_desc, log_y, s);
    Some(())
}

/// Y tick labels at their pixel positions and the rotated axis title (shared by line and bar charts).
pub(super) fn y_axis_labels(
    ctx: &web_sys::CanvasRenderingContext2d,
    ticks: &[(f32, (i32, i32))],
    mid: f64,
    y_desc: &str,
    log_y: bool,
    s: f64,
) {
    ctx.set_text_align("right");
    for &(y, (px, py)) in ticks {
        let _ = ctx.fill_text(&tick_label(y, log_y), px as f64 - 6.0 * s, py as f64 + 4.0 * s);
    }
    ctx.save();
    let _ = ctx.translate(14.0 * s, mid / 2.0);
    let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
    ctx.set_text_align("center");
    let label = if log_y { format!("{y_desc} (log scale)") } else { y_desc.to_string() };
    let _ = ctx.fill_text(&label, 0.0, 0.0);
    ctx.restore();
}

/// A live line chart: redraws whenever `lines` changes.
#[component]
pub fn LineChart(
    #[prop(into)] lines: Signal<Vec<Line>>,
    #[prop(into)] title: Signal<String>,
    x_desc: &'static str,
    y_desc: &'static str,
    #[prop(default = false)] log_y: bool,
    testid: &'static str,
    /// A dashed reference line at this y (the loss of guessing on loss charts).
    #[prop(optional, into)]
    chance: MaybeProp<f32>,
    /// Dots, not lines: each series is one point or a cloud (the variants' trade-off scatter).
    #[prop(default = false)]
    scatter: bool,
    /// The previous run's lines, drawn faded underneath for comparison (Part 1).
    #[prop(optional, into)]
    previous: MaybeProp<Vec<Line>>,
    /// What the faded lines are, in their legend.
    #[prop(default = "previous run")]
    previous_name: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    // Redraw at most every REDRAW_MS, each chart in its own task: a draw costs tens of ms (plotters
    // measures every label), and a run can report dozens of steps a second.
    let pending = Rc::new(Cell::new(false));
    let last = Rc::new(Cell::new(f64::MIN));
    let width = viewport();
    Effect::new(move |_| {
        lines.track();
        previous.track();
        width.track();
        chance.track();
        if pending.replace(true) {
            return;
        }
        let (pending, last) = (pending.clone(), last.clone());
        let wait = (last.get() + REDRAW_MS - js_sys::Date::now()).clamp(0.0, REDRAW_MS);
        set_timeout(
            move || {
                pending.set(false);
                last.set(js_sys::Date::now());
                if let Some(c) = canvas.get_untracked() {
                    let before = previous.get_untracked().unwrap_or_default();
                    lines.with_untracked(|ls| draw(c, x_desc, y_desc, (ls, &before), log_y, chance.get_untracked(), scatter));
                }
            },
            Duration::from_millis(wait as u64),
        );
    });
    // Full precision for tests and screen readers; four decimals on screen.
    let fmt = |v: Option<f32>| v.map(|v| format!("{v}")).unwrap_or_default();
    let csv = move || lines.with_untracked(|ls| series_csv(x_desc, y_desc, ls.iter().map(|l| (l.label.as_str(), l.points.as_slice()))));
    view! {
        <figure class="chart" data-testid=testid data-chance=move || chance.get().map(|c| c.to_string()).unwrap_or_default()>
            <figcaption>
                {move || title.get()}
                <ExportButtons testid=testid title=title canvas=canvas csv=csv />
            </figcaption>
            <canvas node_ref=canvas width="760" height="340" role="img" aria-label=move || title.get()></canvas>
            <ul class="legend">
                {move || lines.get().into_iter().enumerate().map(|(i, l)| {
                    let first = l.points.first().map(|p| p.1);
                    let last = l.points.last().map(|p| p.1);
                    // Which point the value is ("step 40", "epoch 2"): a step's loss is not an epoch's mean.
                    let at = l.points.last().map(|p| p.0).unwrap_or_default();
                    view! {
                        <li data-series=l.label.clone() data-points=l.points.len() data-first=fmt(first) data-last=fmt(last)>
                            <span class="swatch" style=format!("background:{}", css_color(i))></span>
                            {l.label.clone()}
                            {last.map(|v| if scatter { format!(" — {v:.1}") } else { format!(" — {x_desc} {}: {v:.4}", if at.fract() == 0.0 { format!("{at:.0}") } else { format!("{at:.3}") }) })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || previous.get().filter(|p| !p.is_empty()).map(|p| view! {
                <ul class="legend previous" data-testid=format!("{testid}-previous")>
                    {p.into_iter().enumerate().map(|(i, l)| view! {
                        <li data-series=l.label.clone() data-points=l.points.len() data-last=fmt(l.points.last().map(|p| p.1))>
                            <span class="swatch" style=format!("background:{}", css_faded(i))></span>
                            {format!("{previous_name}: {}", l.label)}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </figure>
    }
}
