//! A heat strip: one row per weight layer (input at the top), one column per step, colour = the
//! layer's gradient norm on a log scale. Drawn pixel by pixel on a canvas; redrawn as steps arrive.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

const ROW_H: usize = 14;
const WIDTH: usize = 720;

/// Dark blue → teal → yellow, for t in 0..=1.
fn colour(t: f32) -> [u8; 3] {
    let stops = [(0.0, [30, 30, 110]), (0.5, [30, 150, 140]), (1.0, [250, 230, 60])];
    let t = t.clamp(0.0, 1.0);
    let (a, b) = if t < 0.5 { (stops[0], stops[1]) } else { (stops[1], stops[2]) };
    let u = (t - a.0) / (b.0 - a.0);
    std::array::from_fn(|k| (a.1[k] as f32 + u * (b.1[k] as f32 - a.1[k] as f32)) as u8)
}

/// log10 colour range: the 2nd to the 98th percentile of the finite, positive values, so one exploding
/// step (a deep plain net at initialisation) cannot wash every other step out to one colour.
/// Values outside it show at the ends of the scale.
fn range(steps: &[Vec<f32>]) -> Option<(f32, f32)> {
    let mut logs: Vec<f32> = steps.iter().flatten().filter(|v| v.is_finite() && **v > 0.0).map(|v| v.log10()).collect();
    if logs.is_empty() {
        return None;
    }
    logs.sort_by(f32::total_cmp);
    let at = |q: f32| logs[((logs.len() - 1) as f32 * q).round() as usize];
    let (lo, hi) = (at(0.02), at(0.98));
    Some((lo, hi.max(lo + 1e-3)))
}

fn draw(canvas: &web_sys::HtmlCanvasElement, steps: &[Vec<f32>]) -> Option<()> {
    let layers = steps.first()?.len();
    let (lo, hi) = range(steps)?;
    let height = layers * ROW_H;
    canvas.set_width(WIDTH as u32);
    canvas.set_height(height as u32);
    let mut px = vec![255u8; WIDTH * height * 4];
    for x in 0..WIDTH {
        // Each column shows the step under it (steps stretched or squeezed to the width).
        let step = &steps[(x * steps.len() / WIDTH).min(steps.len() - 1)];
        for (layer, &g) in step.iter().enumerate() {
            let c = if g > 0.0 && g.is_finite() { colour((g.log10() - lo) / (hi - lo)) } else { [0, 0, 0] };
            for y in layer * ROW_H..(layer + 1) * ROW_H {
                let o = (y * WIDTH + x) * 4;
                px[o..o + 3].copy_from_slice(&c);
            }
        }
    }
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&px), WIDTH as u32, height as u32).ok()?;
    ctx.put_image_data(&img, 0.0, 0.0).ok()
}

#[component]
pub fn HeatStrip(
    #[prop(into)] steps: Signal<Vec<Vec<f32>>>,
    #[prop(into)] layers: Signal<Vec<String>>,
    testid: &'static str,
) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let pending = Rc::new(Cell::new(false));
    Effect::new(move |_| {
        steps.track();
        if pending.replace(true) {
            return;
        }
        let pending = pending.clone();
        set_timeout(
            move || {
                pending.set(false);
                if let Some(c) = canvas.get_untracked() {
                    steps.with_untracked(|s| draw(&c, s));
                }
            },
            Duration::from_millis(250),
        );
    });
    let bounds = Signal::derive(move || steps.with(|s| range(s)));
    let css = |t: f32| {
        let [r, g, b] = colour(t);
        format!("rgb({r},{g},{b})")
    };
    let bar = format!("background: linear-gradient(to right, {}, {}, {})", css(0.0), css(0.5), css(1.0));
    let rows = move || layers.with(|l| l.len()) * ROW_H;
    view! {
        <figure class="chart heat" data-testid=testid data-steps=move || steps.with(|s| s.len()) data-layers=move || layers.with(|l| l.len())>
            <figcaption>"Gradient norm of every weight layer at every step (rows: input at the top → classifier at the bottom; columns: steps)"</figcaption>
            <div class="heat-body">
                <ol class="heat-labels">{move || layers.get().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ol>
                // Rows stay ROW_H CSS pixels tall (only the width stretches), so each label sits on its row.
                <canvas node_ref=canvas width="720" height="14" role="img" aria-label="per-layer gradient norm heat strip"
                    style=move || format!("height: {}px", rows().max(ROW_H))></canvas>
            </div>
            {move || bounds.get().map(|(lo, hi)| view! {
                <div class="colour-bar" data-testid=format!("{testid}-scale") data-lo=10f32.powf(lo) data-hi=10f32.powf(hi)>
                    <span>{format!("{:.2e}", 10f32.powf(lo))}</span>
                    <span class="bar" style=bar.clone() role="img" aria-label="colour scale, log of the gradient norm"></span>
                    <span>{format!("{:.2e}", 10f32.powf(hi))}</span>
                    <span class="hint">"‖∇W‖ per layer, log scale (2nd–98th percentile; beyond it, the end colours)"</span>
                </div>
            })}
        </figure>
    }
}
