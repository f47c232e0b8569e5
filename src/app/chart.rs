//! Line charts drawn with plotters on a canvas, with an HTML legend that screen readers and tests
//! can read (series name, point count, first and last value).

use leptos::html::Canvas;
use leptos::prelude::*;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(f32, f32)>,
}

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

fn draw(canvas: web_sys::HtmlCanvasElement, x_desc: &str, y_desc: &str, lines: &[Line], log_y: bool) -> Option<()> {
    let root = CanvasBackend::with_canvas_object(canvas)?.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let tf = |y: f32| if log_y { y.max(1e-12).log10() } else { y };
    let pts = lines.iter().flat_map(|l| l.points.iter().map(|&(x, y)| (x, tf(y)))).filter(|p| p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for (x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    if x1 - x0 < 1e-6 {
        x1 = x0 + 1.0;
    }
    let pad = ((y1 - y0) * 0.08).max(1e-3);
    let y_label = if log_y { format!("log10 {y_desc}") } else { y_desc.to_string() };
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .ok()?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_label)
        .light_line_style(RGBColor(235, 235, 235))
        .label_style(("sans-serif", 13))
        .draw()
        .ok()?;
    for (i, l) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let series = l.points.iter().map(|&(x, y)| (x, tf(y))).filter(|p| p.1.is_finite());
        chart.draw_series(LineSeries::new(series, color.stroke_width(2))).ok()?;
    }
    root.present().ok()
}

/// A live line chart: redraws whenever `lines` changes.
#[component]
pub fn LineChart(
    #[prop(into)] lines: Signal<Vec<Line>>,
    title: &'static str,
    x_desc: &'static str,
    y_desc: &'static str,
    #[prop(default = false)] log_y: bool,
    testid: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        let ls = lines.get();
        if let Some(c) = canvas.get() {
            draw(c, x_desc, y_desc, &ls, log_y);
        }
    });
    let fmt = |v: Option<f32>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            <canvas node_ref=canvas width="760" height="340" role="img" aria-label=title></canvas>
            <ul class="legend">
                {move || lines.get().into_iter().enumerate().map(|(i, l)| {
                    let first = l.points.first().map(|p| p.1);
                    let last = l.points.last().map(|p| p.1);
                    view! {
                        <li data-series=l.label.clone() data-points=l.points.len() data-first=fmt(first) data-last=fmt(last)>
                            <span class="swatch" style=format!("background:{}", css_color(i))></span>
                            {l.label.clone()}
                            {last.map(|v| format!(" — {v:.4}"))}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
}
