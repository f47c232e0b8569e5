//! Part 5 — what the network sees: train a small ResNet here, then pick an input (a test image,
//! your drawing, or an uploaded picture) and look at the first block of each stage and the verdict.

use super::estimate::Estimate;
use leptos::html::Canvas;
use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use crate::pages::query::snap_depth;
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::bar_chart::{Bar, BarChart};
use super::controls::Readout;
use super::controls::{Select, Slider};
use super::feature_maps::StageMaps;
use super::gallery::rgba;
use super::progress::Progress;
use super::runs::Runs;
use super::{session_storage, worker_client, SAVED_NET_KEY};
use crate::lab::data::DataKind;
use crate::lab::report::Seen;
use crate::pages::part5::{readout, Part5};
use crate::pages::run_view::Phase;
use crate::protocol::{DataPreview, FromWorker, Measure, Measurement, SavedNet};

const DRAW_SCALE: f64 = 8.0;

fn ctx(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok()??.dyn_into().ok()
}

/// An image file → bytes `[channels, size, size]` (resized by the browser; grey = mean of RGB).
async fn image_bytes(file: web_sys::File, channels: usize, size: usize) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(window.create_image_bitmap_with_blob(&file).map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|_| format!("{} is not an image this browser can read", file.name()))?
        .unchecked_into();
    let canvas: HtmlCanvasElement =
        window.document().ok_or("no document")?.create_element("canvas").map_err(|e| format!("{e:?}"))?.unchecked_into();
    canvas.set_width(size as u32);
    canvas.set_height(size as u32);
    let c = ctx(&canvas).ok_or("no 2d context")?;
    c.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, size as f64, size as f64).map_err(|e| format!("{e:?}"))?;
    let data = c.get_image_data(0.0, 0.0, size as f64, size as f64).map_err(|e| format!("{e:?}"))?.data().0;
    Ok(to_planes(&data, channels, size))
}

/// RGBA pixels → `[channels, size, size]` bytes.
fn to_planes(rgba: &[u8], channels: usize, size: usize) -> Vec<u8> {
    let n = size * size;
    (0..channels)
        .flat_map(|c| {
            (0..n).map(move |i| {
                let p = &rgba[i * 4..i * 4 + 3];
                if channels == 1 {
                    ((p[0] as u16 + p[1] as u16 + p[2] as u16) / 3) as u8
                } else {
                    p[c]
                }
            })
        })
        .collect()
}

#[component]
pub fn Part5Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part5>();
    // Not kept for Back: what this page shows after training is measured on the trained net, which
    // lives in the worker and goes with the page.
    let runs = Runs::not_kept();
    let running = runs.running();
    let seen = RwSignal::new(None::<Seen>);
    let error = RwSignal::new(None::<String>);
    let imported = RwSignal::new(false);
    let trained = Memo::new(move |_| imported.get() || runs.view.with(|r| r.phase == Phase::Done));
    // A net trained on Part 4 in this tab, if any.
    let saved: Option<SavedNet> = session_storage()
        .and_then(|s| s.get_item(SAVED_NET_KEY).ok().flatten())
        .and_then(|j| serde_json::from_str::<SavedNet>(&j).ok())
        .filter(|s| s.data.kind.is_real());
    let use_saved = move |saved: SavedNet| {
        settings.update(|s| s.train.data = saved.data.kind);
        seen.set(None);
        worker_client::load_net(saved, move |msg| match msg {
            FromWorker::NetLoaded { .. } => imported.set(true),
            FromWorker::Finished { error: Some(e), .. } => error.set(Some(e.clone())),
            _ => {}
        });
    };
    let samples = RwSignal::new(None::<DataPreview>);
    let input = RwSignal::new(None::<(String, Vec<u8>)>);
    // The true class when the input is a test image (None for a drawing or an upload).
    let truth = RwSignal::new(None::<usize>);
    let draw = NodeRef::<Canvas>::new();

    // Test images to pick from (the worker loads the set if needed).
    Effect::new(move |_| {
        let spec = settings.with(|s| s.train.data_spec());
        worker_client::preview(spec, 1, 16, move |msg| match msg {
            FromWorker::Data { preview, .. } => samples.set(Some(preview.clone())),
            FromWorker::DataFailed { error: e, .. } => error.set(Some(e.clone())),
            _ => {}
        });
    });
    // A new input, or a newly trained net: ask what the net sees.
    Effect::new(move |_| {
        let Some((_, pixels)) = input.get() else { return };
        if !trained.get() {
            return;
        }
        worker_client::measure(Measure::Features { pixels }, move |msg| match msg {
            FromWorker::Measured { result: Measurement::Features { seen: s }, .. } => {
                error.set(None);
                seen.set(Some(s.clone()));
            }
            FromWorker::Finished { error: Some(e), .. } => error.set(Some(e.clone())),
            _ => {}
        });
    });
    let shape = move || settings.with(|s| s.train.data_spec()).clone();
    let clear_drawing = move || {
        if let Some(c) = draw.get_untracked() {
            if let Some(x) = ctx(&c) {
                x.set_fill_style_str("#000");
                x.fill_rect(0.0, 0.0, c.width() as f64, c.height() as f64);
            }
        }
    };
    Effect::new(move |_| {
        shape();
        clear_drawing();
    });
    let paint = move |ev: web_sys::PointerEvent| {
        if ev.buttons() & 1 == 0 {
            return;
        }
        if let Some(c) = draw.get_untracked() {
            if let Some(x) = ctx(&c) {
                x.set_fill_style_str("#fff");
                x.begin_path();
                let _ = x.arc(ev.offset_x() as f64, ev.offset_y() as f64, DRAW_SCALE * 1.3, 0.0, std::f64::consts::TAU);
                x.fill();
            }
        }
    };
    let use_drawing = move || {
        let spec = shape();
        let Some(c) = draw.get_untracked() else { return };
        let Some(x) = ctx(&c) else { return };
        let Ok(img) = x.get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64) else { return };
        // Average each DRAW_SCALE×DRAW_SCALE cell down to one pixel.
        let big = img.data().0;
        let (s, k, w) = (spec.size, DRAW_SCALE as usize, c.width() as usize);
        let mut small = vec![0u8; s * s * 4];
        for y in 0..s {
            for x in 0..s {
                for ch in 0..3 {
                    let sum: u32 = (0..k)
                        .flat_map(|dy| (0..k).map(move |dx| (dy, dx)))
                        .map(|(dy, dx)| big[((y * k + dy) * w + x * k + dx) * 4 + ch] as u32)
                        .sum();
                    small[(y * s + x) * 4 + ch] = (sum / (k * k) as u32) as u8;
                }
            }
        }
        truth.set(None);
        input.set(Some(("your drawing".into(), to_planes(&small, spec.channels, s))));
    };
    let on_upload = move |ev: web_sys::Event| {
        let el: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        let Some(file) = el.files().and_then(|f| f.get(0)) else { return };
        let spec = shape();
        let name = file.name();
        wasm_bindgen_futures::spawn_local(async move {
            match image_bytes(file, spec.channels, spec.size).await {
                Ok(px) => {
                    truth.set(None);
                    input.set(Some((name, px)))
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let thumbs = move || {
        samples.get().map(|p| {
            let (size, channels) = (p.size, p.channels);
            p.samples.iter().enumerate().map(|(i, (label, px))| {
                let canvas = NodeRef::<Canvas>::new();
                let px2 = px.clone();
                Effect::new(move |_| {
                    if let (Some(c), Some(x)) = (canvas.get(), canvas.get().and_then(|c| ctx(&c))) {
                        let data = rgba(&px2, channels, size, 2);
                        if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&data), (size * 2) as u32, (size * 2) as u32) {
                            let _ = x.put_image_data(&img, 0.0, 0.0);
                        }
                        let _ = c;
                    }
                });
                let name = p.class_names.get(*label as usize).cloned().unwrap_or_default();
                let (px3, name2, class) = (px.clone(), name.clone(), *label as usize);
                view! {
                    <button type="button" class="thumb" data-testid=format!("sample-{i}") aria-label=format!("test image {}: {name}", i + 1)
                        on:click=move |_| { truth.set(Some(class)); input.set(Some((format!("test image {} ({name2})", i + 1), px3.clone()))) }>
                        <canvas node_ref=canvas width=size * 2 height=size * 2></canvas>
                    </button>
                }
            }).collect_view()
        })
    };
    let bars = Signal::derive(move || {
        seen.with(|s| {
            s.as_ref()
                .map(|s| s.class_names.iter().zip(&s.probabilities).map(|(n, &p)| Bar { label: n.clone(), value: p as f64 }).collect())
                .unwrap_or_default()
        })
    });

    view! {
        <PageShell slug=Part5::SLUG notes=notes>
            <Lede slot>
                "Each stage of a ResNet turns the image into more, smaller feature maps. Train a small ResNet here, "
                "then give it an image — one of the test images, your own drawing, or a picture from your computer — "
                "and look at what the first block of each stage makes of it, and what the network decides."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"1. Train a network"</legend>
                    <Select id="data" label="Dataset"
                        options=vec![("fashion", DataKind::FashionMnist.title()), ("cifar10", DataKind::Cifar10.title())]
                        value=Signal::derive(move || settings.with(|s| s.train.data.name().to_string()))
                        on_change=move |v| settings.update(|s| s.train.data = DataKind::parse(&v).filter(|k| k.is_real()).unwrap_or(s.train.data))
                        disabled=running />
                    <Slider id="depth".into() label="Depth (6n + 2)".into() min=8.0 max=56.0 step=6.0
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| s.depth = snap_depth(v as usize, 6, 8)) disabled=running />
                    <Slider id="width".into() label="Width (channels of the first stage)".into() hint="Each later stage doubles it: more channels, more maps to look at, a slower net." min=2.0 max=32.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <Slider id="samples".into() label="Training samples".into() min=200.0 max=10000.0 step=200.0
                        value=Signal::derive(move || settings.with(|s| s.train.samples as f64))
                        on_change=move |v| settings.update(|s| s.train.samples = v as usize) disabled=running />
                    <Slider id="epochs".into() label="Epochs".into() min=1.0 max=20.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.train.epochs as f64))
                        on_change=move |v| settings.update(|s| s.train.epochs = v as usize) disabled=running />
                    <button type="button" class="primary" data-testid="train" prop:disabled=running
                        on:click=move |_| { seen.set(None); imported.set(false); runs.start(vec![settings.with(|s| s.config())]) }>"Train"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| vec![s.config()])) />
                    {saved.map(|s| {
                        let text = format!("Or look inside the {} trained on Part 4 ({})", s.label, s.data.kind.title());
                        view! { <button type="button" data-testid="use-part4" prop:disabled=running on:click=move |_| use_saved(s.clone())>{text}</button> }
                    })}
                </fieldset>
                <fieldset>
                    <legend>"2. Pick an input"</legend>
                    <p class="hint">"A test image:"</p>
                    <div class="thumbs" data-testid="samples">{thumbs}</div>
                    <p class="hint">"Or draw (white on black, like Fashion-MNIST):"</p>
                    <canvas node_ref=draw class="draw" data-testid="draw"
                        width=move || (shape().size as f64 * DRAW_SCALE) as u32 height=move || (shape().size as f64 * DRAW_SCALE) as u32
                        on:pointerdown=paint on:pointermove=paint aria-label="drawing area"></canvas>
                    <div class="actions">
                        <button type="button" data-testid="use-drawing" on:click=move |_| use_drawing()>"Use my drawing"</button>
                        <button type="button" on:click=move |_| clear_drawing()>"Clear"</button>
                    </div>
                    <label for="upload">"Or upload a picture: "</label>
                    <input id="upload" type="file" accept="image/*" data-testid="upload" on:change=on_upload />
                </fieldset>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            {move || error.get().map(|e| view! { <p class="notice error" role="alert" data-testid="error">{e}</p> })}
            <p data-testid="input-name">{move || match (input.with(|i| i.as_ref().map(|i| i.0.clone())), trained.get()) {
                (None, _) => "Pick an input above.".to_string(),
                (Some(n), false) => format!("Input: {n}. Train the network to see what it makes of it."),
                (Some(n), true) => format!("Input: {n}."),
            }}</p>
            <section class="stages" data-testid="maps">
                {move || seen.get().map(|s| s.maps.into_iter().enumerate().map(|(i, m)| {
                    let caption = format!("Stage {}, its first block (block {})", i + 1, m.block + 1);
                    view! { <StageMaps maps=m caption=caption /> }
                }).collect_view())}
            </section>
            <BarChart bars=bars title="What the network decides (class probabilities)" y_desc="probability" testid="probs" fmt=|v| format!("{:.1}%", v * 100.0) />
            <Readout title="What this shows" sentences=Signal::derive(move || seen.with(|s| s.as_ref().map(|s| readout(s, truth.get())).unwrap_or_default())) />
        </PageShell>
    }
}
