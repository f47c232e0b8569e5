//! Feature maps of one image, one figure per block: the first channels as grey tiles, each min–max
//! scaled (Part 5's "what the network sees", the visualisations page's feature evolution).

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::gallery::rgba;
use crate::lab::report::FeatureMaps;

const MAPS_SHOWN: usize = 16;

fn ctx(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok()??.dyn_into().ok()
}

/// Draws the first maps of one block as a grid of grey tiles (each tile min–max scaled).
fn draw_maps(canvas: &HtmlCanvasElement, m: &FeatureMaps) -> Option<()> {
    let shown = m.channels.min(MAPS_SHOWN);
    // Every stage's tiles about 56 px wide, whatever the map size (28×28 maps ×2, 7×7 ones ×8).
    let scale = (56 / m.height.max(1)).max(1);
    let tile = m.height * scale;
    let cols = 8;
    let rows = shown.div_ceil(cols);
    canvas.set_width((cols * (tile + 4)) as u32);
    canvas.set_height((rows * (tile + 4)) as u32);
    let c = ctx(canvas)?;
    c.set_fill_style_str("#fff");
    c.fill_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    let plane = m.height * m.width;
    for k in 0..shown {
        let v = &m.values[k * plane..(k + 1) * plane];
        let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        let bytes: Vec<u8> = v.iter().map(|&x| ((x - lo) / (hi - lo).max(1e-6) * 255.0) as u8).collect();
        let px = rgba(&bytes, 1, m.height, scale);
        let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&px), tile as u32, tile as u32).ok()?;
        c.put_image_data(&img, ((k % cols) * (tile + 4)) as f64, ((k / cols) * (tile + 4)) as f64).ok()?;
    }
    Some(())
}

/// `caption` replaces the default "Block k — …" heading.
#[component]
pub fn StageMaps(maps: FeatureMaps, #[prop(optional)] caption: Option<String>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let m = maps.clone();
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            draw_maps(&c, &m);
        }
    });
    view! {
        <figure class="maps" data-block=maps.block data-shape=format!("{}x{}x{}", maps.channels, maps.height, maps.width)>
            <figcaption>{caption.unwrap_or_else(|| format!("Block {}", maps.block + 1))}{format!(" — {} maps of {}×{} (first {} shown)", maps.channels, maps.height, maps.width, maps.channels.min(MAPS_SHOWN))}</figcaption>
            <canvas node_ref=canvas width="10" height="10" role="img" aria-label=format!("feature maps of block {}", maps.block + 1)></canvas>
        </figure>
    }
}
