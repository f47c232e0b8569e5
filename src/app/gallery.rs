//! A grid of dataset samples with their class names, drawn pixel-exact on one canvas.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use crate::protocol::DataPreview;

const COLS: usize = 12;
const LABEL_H: usize = 16;
const GAP: usize = 6;

/// Cell geometry: each image scaled by a whole factor to about 64 px.
pub(super) fn cell(size: usize) -> (usize, usize) {
    let scale = (64 / size.max(1)).max(1);
    (scale, size * scale)
}

/// RGBA bytes of one `[c, s, s]` image scaled by `scale` (nearest neighbour; grey when c = 1).
pub(super) fn rgba(pixels: &[u8], channels: usize, size: usize, scale: usize) -> Vec<u8> {
    let side = size * scale;
    let plane = size * size;
    let mut out = vec![255u8; side * side * 4];
    for y in 0..side {
        for x in 0..side {
            let src = (y / scale) * size + x / scale;
            let o = (y * side + x) * 4;
            for k in 0..3 {
                out[o + k] = pixels[(if channels >= 3 { k } else { 0 }) * plane + src];
            }
        }
    }
    out
}

fn draw(canvas: &web_sys::HtmlCanvasElement, p: &DataPreview) -> Option<()> {
    let (scale, side) = cell(p.size);
    let rows = p.samples.len().div_ceil(COLS);
    canvas.set_width((COLS * (side + GAP)) as u32);
    canvas.set_height((rows * (side + LABEL_H + GAP)).max(1) as u32);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    ctx.set_font("11px sans-serif");
    ctx.set_text_align("center");
    ctx.set_fill_style_str("#333");
    for (i, (label, pixels)) in p.samples.iter().enumerate() {
        let (x, y) = ((i % COLS) * (side + GAP), (i / COLS) * (side + LABEL_H + GAP));
        let data = rgba(pixels, p.channels, p.size, scale);
        let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&data), side as u32, side as u32).ok()?;
        ctx.put_image_data(&img, x as f64, y as f64).ok()?;
        let name = p.class_names.get(*label as usize).cloned().unwrap_or_else(|| label.to_string());
        let _ = ctx.fill_text_with_max_width(&name, (x + side / 2) as f64, (y + side + 12) as f64, side as f64 + GAP as f64);
    }
    Some(())
}

#[component]
pub fn Gallery(#[prop(into)] preview: Signal<Option<DataPreview>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        preview.with(|p| {
            if let (Some(p), Some(c)) = (p, canvas.get()) {
                draw(&c, p);
            }
        })
    });
    let count = move || preview.with(|p| p.as_ref().map_or(0, |p| p.samples.len()));
    let labels = move || {
        preview.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.samples
                        .iter()
                        .map(|(l, _)| p.class_names.get(*l as usize).cloned().unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        })
    };
    view! {
        <figure class="gallery" data-testid="gallery" data-count=count data-labels=labels>
            <figcaption>"Samples with their labels"</figcaption>
            <canvas node_ref=canvas width="10" height="10" role="img" aria-label=move || format!("{} dataset samples: {}", count(), labels())></canvas>
        </figure>
    }
}
