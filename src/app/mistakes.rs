//! The most confident mistakes of a trained net: each held-out image with what the net said and
//! what it was, a caption of its own (a shared canvas had no room for two names per image).

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

use super::gallery::{cell, rgba};
use crate::lab::report::ClassReport;

fn draw(canvas: &web_sys::HtmlCanvasElement, pixels: &[u8], channels: usize, size: usize) -> Option<()> {
    let (scale, side) = cell(size);
    canvas.set_width(side as u32);
    canvas.set_height(side as u32);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    let data = rgba(pixels, channels, size, scale);
    let img = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&data), side as u32, side as u32).ok()?;
    ctx.put_image_data(&img, 0.0, 0.0).ok()
}

#[component]
fn Tile(pixels: Vec<u8>, channels: usize, size: usize, said: String, was: String, confidence: f32) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            draw(&c, &pixels, channels, size);
        }
    });
    let alt = format!("taken for {said} ({:.0}% sure), really {was}", confidence * 100.0);
    view! {
        <figure class="mistake" data-predicted=said.clone() data-label=was.clone()>
            <canvas node_ref=canvas width="1" height="1" role="img" aria-label=alt></canvas>
            <figcaption>
                <span class="said">{format!("{said} {:.0}%", confidence * 100.0)}</span>
                <span class="was">{format!("is {was}")}</span>
            </figcaption>
        </figure>
    }
}

#[component]
pub fn Mistakes(#[prop(into)] report: Signal<Option<ClassReport>>) -> impl IntoView {
    move || {
        report.with(|r| {
            let r = r.as_ref()?;
            if r.misclassified.is_empty() {
                return Some(view! { <p class="hint">"No held-out image was misclassified."</p> }.into_any());
            }
            let name = |i: usize| r.class_names.get(i).cloned().unwrap_or_else(|| format!("class {i}"));
            let tiles = r
                .misclassified
                .iter()
                .map(|m| {
                    view! { <Tile pixels=m.pixels.clone() channels=r.channels size=r.size said=name(m.predicted) was=name(m.label) confidence=m.confidence /> }
                })
                .collect_view();
            Some(view! { <div class="mistakes" data-testid="mistakes" data-count=r.misclassified.len()>{tiles}</div> }.into_any())
        })
    }
}
