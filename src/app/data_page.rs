//! The Data page: pick a dataset (or bring CIFAR-10 files), see it loaded with progress, verified,
//! and shown as a labelled gallery with its class balance.

use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;
use wasm_bindgen::JsCast;

use super::bar_chart::{Bar, BarChart};
use super::controls::{Select, Slider};
use super::gallery::Gallery;
use super::{backend_param, worker_client};
use crate::lab::data::DataKind;
use crate::pages::data::{DataPage, GALLERY};
use crate::protocol::{DataPreview, FromWorker};

#[derive(Clone, Copy)]
struct Status {
    preview: RwSignal<Option<DataPreview>>,
    loading: RwSignal<Option<(String, f64)>>,
    error: RwSignal<Option<String>>,
}

impl Status {
    /// Folds worker replies in. A failure leaves the last good preview (and the worker's data) as is.
    fn listener(self) -> impl Fn(&FromWorker) + 'static {
        move |msg| match msg {
            FromWorker::DataProgress { stage, fraction, .. } => self.loading.set(Some((stage.clone(), *fraction))),
            FromWorker::Data { preview, .. } => {
                self.loading.set(None);
                self.error.set(None);
                self.preview.set(Some(preview.clone()));
            }
            FromWorker::DataFailed { error, .. } => {
                self.loading.set(None);
                self.error.set(Some(error.clone()));
            }
            _ => {}
        }
    }
}

#[component]
pub fn DataPageView() -> impl IntoView {
    let (settings, notes) = use_page_state::<DataPage>();
    let status = Status { preview: RwSignal::new(None), loading: RwSignal::new(None), error: RwSignal::new(None) };

    Effect::new(move |_| {
        let s = settings.get();
        status.loading.set(Some((format!("Preparing {}", s.kind.title()), 0.0)));
        worker_client::preview(s.spec(), s.seed, GALLERY, status.listener());
    });

    let on_files = move |files: web_sys::FileList| {
        if files.length() == 0 {
            return;
        }
        status.loading.set(Some(("Reading your files".into(), 0.0)));
        worker_client::load_files(&files, move |msg| {
            status.listener()(msg);
            // Show what was loaded under its own name (and in the URL).
            if let FromWorker::Data { preview, .. } = msg {
                if settings.with_untracked(|s| s.kind) != preview.kind {
                    settings.update_untracked(|s| s.kind = preview.kind);
                    settings.notify();
                }
            }
        });
    };
    let on_input = move |ev: web_sys::Event| {
        let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
        if let Some(files) = input.files() {
            on_files(files);
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            on_files(files);
        }
    };

    let synthetic = Signal::derive(move || !settings.with(|s| s.kind.is_real()));
    let info = move || {
        status.preview.with(|p| {
            p.as_ref().map(|p| {
                let norm = if p.mean.is_empty() {
                    "generated already normalised".to_string()
                } else {
                    let f = |v: &[f32]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join("/");
                    format!("normalised per channel with mean {} and std {} (measured on the training split)", f(&p.mean), f(&p.std))
                };
                view! {
                    <p class="data-info" data-testid="data-info" data-kind=p.kind.name() data-train=p.train
                        data-held-out=p.held_out data-size=p.size data-channels=p.channels data-classes=p.class_names.len()>
                        {format!(
                            "{}: {} training and {} held-out images, {}×{}×{} each, {} classes; {norm}.",
                            p.kind.title(), p.train, p.held_out, p.channels, p.size, p.size, p.class_names.len()
                        )}
                    </p>
                    <ul class="data-notes">{p.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}</ul>
                }
            })
        })
    };
    let bars = Signal::derive(move || {
        status.preview.with(|p| {
            p.as_ref()
                .map(|p| p.class_names.iter().zip(&p.class_counts).map(|(n, &c)| Bar { label: n.clone(), value: c as f64 }).collect())
                .unwrap_or_default()
        })
    });
    let train_link = move || {
        let kind = settings.with(|s| s.kind);
        let keep = backend_param().map(|b| format!("&backend={b}")).unwrap_or_default();
        format!("?page=part1&data={}{keep}", kind.name())
    };

    view! {
        <PageShell slug=DataPage::SLUG notes=notes>
            <Lede slot>
                "Every training page can use these. Fashion-MNIST ships with the lab (Zalando's 70,000 "
                "28×28 clothing images, from Debian's "<code>"dataset-fashion-mnist"</code>"). CIFAR-10 cannot be "
                "shipped: bring its binary version ("<code>"cifar-10-binary.tar.gz"</code>" or the "
                <code>".bin"</code>" batches) and it stays in this tab. The synthetic sets are generated from the seed: "
                "gratings are learnable in seconds; random images with random labels have nothing to learn but memorisation."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Data"</legend>
                    <Select
                        id="data"
                        label="Dataset"
                        options=DataKind::ALL.iter().map(|k| (k.name(), k.title())).collect()
                        value=Signal::derive(move || settings.with(|s| s.kind.name().to_string()))
                        on_change=move |v| settings.update(|s| s.kind = DataKind::parse(&v).unwrap_or(s.kind))
                    />
                    <Show when=move || synthetic.get()>
                        <Slider id="size".into() label="Image size (pixels)".into() hint="Height and width the generated images are drawn at." min=8.0 max=64.0 step=8.0
                            value=Signal::derive(move || settings.with(|s| s.size as f64))
                            on_change=move |v| settings.update(|s| s.size = v as usize) />
                        <div class="control">
                            <label for="seed">"Seed"</label>
                            <input id="seed" type="number" min="0" max="1000000"
                                prop:value=move || settings.with(|s| s.seed.to_string())
                                on:change=move |ev| {
                                    if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                                        settings.update(|s| s.seed = v.min(1_000_000))
                                    }
                                } />
                        </div>
                    </Show>
                </fieldset>
                <fieldset class="dropzone" data-testid="dropzone"
                    on:dragover=|ev: web_sys::DragEvent| ev.prevent_default()
                    on:drop=on_drop>
                    <legend>"Your files"</legend>
                    <label for="files">"CIFAR-10 (binary version) or Fashion-MNIST IDX files — choose them or drop them here"</label>
                    <input id="files" type="file" multiple data-testid="files" accept=".bin,.gz,.tgz,.tar,.txt,application/gzip,application/octet-stream" on:change=on_input />
                    <p class="hint">"Nothing is uploaded: files are read in this tab. A site can also be deployed with "
                        <code>"public/data/cifar-10/cifar-10-binary.tar.gz"</code>"; then choosing CIFAR-10 above loads it."</p>
                </fieldset>
            </Controls>
            {move || status.loading.get().map(|(stage, f)| view! {
                <div class="progress" data-testid="data-progress">
                    <progress max="1" prop:value=f aria-label="loading progress"></progress>
                    <span class="progress-text" role="status">{format!("{stage} · {:.0}%", f * 100.0)}</span>
                </div>
            })}
            {move || status.error.get().map(|e| view! {
                <p class="notice error" role="alert" data-testid="data-error">
                    {e}
                    {status.preview.with(|p| p.as_ref().map(|p| format!(" — {} is still loaded and usable.", p.kind.title())))}
                </p>
            })}
            {info}
            <Gallery preview=status.preview />
            <BarChart bars=bars title="Images per class (training split)" y_desc="images" testid="class-chart" fmt=|v| format!("{v:.0}") />
            <p><a data-testid="train-link" href=train_link>"Train on this dataset (Part 1) →"</a></p>
        </PageShell>
    }
}
