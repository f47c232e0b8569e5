//! The practical pipeline page: one model, real data, a schedule with warm-up previewed before the
//! run, long runs with progress and ETA, then per-class results.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::bar_chart::{Bar, BarChart};
use super::chart::{Line, LineChart};
use super::confusion::ConfusionMatrix;
use super::controls::{Readout, Select, Slider};
use super::export::download_text;
use super::idb;
use super::mistakes::Mistakes;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use crate::lab::experiment::Event;
use crate::pages::page::PageState;
use crate::pages::pipeline::{class_readout, parse_checkpoint, resume_config, CheckpointMeta, Pipeline, EPOCHS_MAX, MODELS, SAMPLES_MAX};
use crate::pages::run_view::Phase;
use crate::protocol::FromWorker;
use wasm_bindgen_futures::spawn_local;

/// Checkpoints kept in this browser, newest first: (IndexedDB key, what the list shows).
fn refresh(kept: RwSignal<Vec<(String, CheckpointMeta)>>, note: RwSignal<Option<String>>) {
    spawn_local(async move {
        match idb::list().await {
            Ok(entries) => {
                let mut metas: Vec<(String, CheckpointMeta)> =
                    entries.into_iter().filter_map(|(k, m)| Some((k, serde_json::from_str(&m).ok()?))).collect();
                metas.sort_by(|a, b| b.0.cmp(&a.0));
                kept.set(metas);
            }
            Err(e) => note.set(Some(e)),
        }
    });
}

/// Keeps one checkpoint the run sent (or the user uploaded) in IndexedDB.
fn keep(
    text: String,
    c: &crate::lab::experiment::Checkpoint,
    kept: RwSignal<Vec<(String, CheckpointMeta)>>,
    note: RwSignal<Option<String>>,
) {
    let meta = CheckpointMeta::of(c, text.len(), js_sys::Date::now());
    spawn_local(async move {
        let meta_json = serde_json::to_string(&meta).unwrap_or_default();
        match idb::put(&meta.key(), &meta_json, &text).await {
            Ok(()) => refresh(kept, note),
            Err(e) => note.set(Some(format!("checkpoint after epoch {} not kept: {e}", meta.epoch))),
        }
    });
}

#[component]
pub fn PipelinePage() -> impl IntoView {
    let (settings, notes) = use_page_state::<Pipeline>();
    let runs = Runs::new();
    let running = runs.running();
    let kept = RwSignal::new(Vec::<(String, CheckpointMeta)>::new());
    let ck_note = RwSignal::new(None::<String>);
    refresh(kept, ck_note);
    // The run's checkpoints go straight to IndexedDB (they are megabytes: not into the view).
    let on_message = move |msg: &FromWorker| {
        if let FromWorker::Event { event: Event::Checkpoint(c), .. } = msg {
            keep(serde_json::to_string(c).unwrap_or_default(), c, kept, ck_note);
        }
    };
    // The planned epochs of the run on screen, for the epoch counter.
    let planned_epochs = RwSignal::new(0usize);
    let backend = use_context::<RwSignal<super::BackendStatus>>();
    let on_gpu =
        move || backend.is_some_and(|b| b.with_untracked(|s| matches!(s, super::BackendStatus::Ready { name, .. } if name == "webgpu")));
    let start = move |config: crate::lab::experiment::ExperimentConfig| {
        if on_gpu() && config.checkpoint_every > 0 {
            ck_note.set(Some(
                "On WebGPU this version keeps no checkpoints (saving needs the weights read back synchronously, which a GPU in the browser cannot do); use ?backend=cpu to keep them. Resuming works on either."
                    .into(),
            ));
        }
        planned_epochs.set(config.epochs);
        runs.start_with(vec![config], on_message);
    };
    let resume = move |key: String| {
        spawn_local(async move {
            let text = match idb::get(&key).await {
                Ok(Some(t)) => t,
                Ok(None) => return ck_note.set(Some("that checkpoint is gone from this browser".into())),
                Err(e) => return ck_note.set(Some(e)),
            };
            match parse_checkpoint(&text).and_then(|c| resume_config(c, settings.with_untracked(|s| s.train.epochs))) {
                Ok(config) => {
                    let from = config.resume.as_ref().map_or(0, |c| c.epoch);
                    ck_note.set(Some(format!(
                        "Resumed {} after epoch {from}, on to epoch {}, with the weights, the momentum and the schedule where they stood.",
                        config.label, config.epochs
                    )));
                    start(config);
                }
                Err(e) => ck_note.set(Some(e)),
            }
        });
    };
    let best = Signal::derive(move || {
        kept.with(|k| k.iter().max_by(|a, b| a.1.val_accuracy.total_cmp(&b.1.val_accuracy)).map(|(key, _)| key.clone()))
    });
    // Live pace while a run trains (the summary gives the median step at the end).
    let images_per_sec = Signal::derive(move || {
        let batch = settings.with(|s| s.train.batch) as f64;
        runs.view.with(|r| if r.phase == Phase::Running { r.steps_per_sec().map(|s| s * batch) } else { None })
    });
    let epoch_now = Signal::derive(move || runs.view.with(|r| r.series.first().and_then(|s| s.epochs.last()).map_or(0, |e| e.epoch)));
    let report = Signal::derive(move || runs.view.with(|r| r.series.first().and_then(|s| s.classes.clone())));
    // Before a run: the planned rate per step; during and after: the rate the run applied, over it.
    let lr_lines = Signal::derive(move || {
        let mut lines = vec![Line { label: "planned".into(), points: settings.with(Pipeline::lr_preview) }];
        runs.view.with(|r| {
            if let Some(s) = r.series.first().filter(|s| !s.lrs.is_empty()) {
                lines.push(Line { label: "applied".into(), points: s.lrs.clone() });
            }
        });
        lines
    });
    let per_epoch = move |train: fn(&crate::lab::experiment::EpochStats) -> f32, val: fn(&crate::lab::experiment::EpochStats) -> f32| {
        Signal::derive(move || {
            runs.view.with(|r| {
                r.series
                    .first()
                    .map(|s| {
                        vec![
                            Line { label: "training".into(), points: s.epochs.iter().map(|e| (e.epoch as f32, train(e))).collect() },
                            Line { label: "held-out".into(), points: s.epochs.iter().map(|e| (e.epoch as f32, val(e))).collect() },
                        ]
                    })
                    .unwrap_or_default()
            })
        })
    };
    let class_bars = Signal::derive(move || {
        report.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.per_class_accuracy()
                        .into_iter()
                        .enumerate()
                        .map(|(i, a)| Bar {
                            label: r.class_names.get(i).cloned().unwrap_or_default(),
                            value: a.unwrap_or(0.0) as f64 * 100.0,
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    });
    let sentences = Signal::derive(move || {
        if runs.view.with(|r| r.phase == Phase::Running) {
            return vec![];
        }
        let mut out: Vec<String> = runs.view.with(|r| {
            r.series
                .iter()
                .filter_map(|s| s.failed.clone())
                .chain(r.series.iter().filter_map(|s| {
                    s.summary.as_ref().map(|m| {
                        format!(
                            "{}: {} steps at {:.0} images/s (median step {:.1} ms); held-out accuracy {:.1}%, final training loss {:.3}.",
                            m.label,
                            m.steps,
                            m.images_per_sec,
                            m.step_ms,
                            m.final_val_accuracy * 100.0,
                            m.final_loss
                        )
                    })
                }))
                .collect()
        });
        out.extend(report.with(|r| r.as_ref().map(class_readout).unwrap_or_default()));
        out
    });

    view! {
        <PageShell slug=Pipeline::SLUG notes=notes>
            <Lede slot>
                "How a ResNet is trained for real: the whole dataset (all 60,000 Fashion-MNIST training images, or "
                "CIFAR-10 when you load it), random crops and flips, SGD with momentum and weight decay, a learning "
                "rate that warms up and then decays — and, at the end, which classes the net gets right and which "
                "it mixes up. The default run is small enough to finish in about a minute on a laptop's CPU; the "
                "recommended recipe is the module's for 200 epochs on a GPU."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Model"</legend>
                    <Select id="model" label="Network (CIFAR form: 3×3 stem, no max-pool)" options=MODELS.iter().map(|m| (*m, *m)).collect()
                        value=Signal::derive(move || settings.with(|s| MODELS[s.model].to_string()))
                        on_change=move |v| settings.update(|s| s.model = MODELS.iter().position(|m| *m == v).unwrap_or(s.model)) />
                    <Slider id="width".into() label="Base width (16 for the CIFAR ResNets, 64 for ResNet-18/34/50 as published)".into() min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <Slider id="checkpoints".into() label="Checkpoint every N epochs (0 = none)".into() hint="Saves the net, the optimiser's momentum and the schedule's position in this browser, so a run can be resumed." min=0.0 max=50.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.checkpoint_every as f64))
                        on_change=move |v| settings.update(|s| s.checkpoint_every = v as usize) disabled=running />
                    <p class="hint" data-testid="model-size">{move || settings.with(|s| {
                        let c = s.config();
                        let (m, data) = c.memory_estimate();
                        format!("{}: {} parameters; about {:.0} MB for a training step and {:.0} MB of images; {} steps.",
                            c.label, crate::pages::readouts::grouped(c.model.resolve(c.data.channels, c.data.classes).params() as u64, ','),
                            m.total() as f64 / 1e6, data as f64 / 1e6, c.steps_total())
                    })}</p>
                    <button type="button" data-testid="recommended" prop:disabled=running
                        on:click=move |_| settings.update(|s| *s = s.recommended())>"Recommended recipe (200 epochs — for a GPU)"</button>
                </fieldset>
                <TrainingControls settings=settings get=|s: &Pipeline| &s.train set=|s: &mut Pipeline| &mut s.train running=running
                    samples_max=SAMPLES_MAX epochs_max=EPOCHS_MAX />
            </Controls>
            <LineChart lines=lr_lines title="Learning rate per step: planned (and applied once the run starts)" x_desc="step" y_desc="learning rate" testid="lr-chart" />
            <div class="actions">
                <button type="button" class="primary" data-testid="train" prop:disabled=running
                    on:click=move |_| { ck_note.set(None); start(settings.with_untracked(Pipeline::config)) }>"Train"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| vec![s.config()])) />
            </div>
            <p class="hint" data-testid="epoch-status" data-epoch=epoch_now data-images-per-sec=move || images_per_sec.get().map(|r| format!("{r:.1}"))>
                {move || (planned_epochs.get() > 0).then(|| {
                    let pace = images_per_sec.get().map(|r| format!(" · {r:.0} images/s")).unwrap_or_default();
                    format!("Epoch {} of {}{pace}", epoch_now.get(), planned_epochs.get())
                })}
            </p>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <div class="two-col">
                <LineChart lines=per_epoch(|e| e.train_loss, |e| e.val_loss) chance=runs.chance_loss() title="Loss per epoch" x_desc="epoch" y_desc="cross-entropy loss" testid="epoch-loss" />
                <LineChart lines=per_epoch(|e| e.train_accuracy * 100.0, |e| e.val_accuracy * 100.0) title="Accuracy per epoch" x_desc="epoch" y_desc="accuracy (%)" testid="epoch-acc" />
            </div>
            <Readout title="What this run measured" sentences=sentences />
            <section data-testid="checkpoints">
                <h2>"Checkpoints in this browser"</h2>
                <p class="hint">
                    "The run keeps one after every chosen number of epochs and after its last (the weights, the "
                    "momentum and where the run stood), in this browser's storage: they survive a closed tab. Resume "
                    "continues exactly where a checkpoint stopped, up to the epochs set above; a downloaded file also "
                    "resumes with " <code>"lab train CONFIG --resume FILE"</code> " on a machine with a GPU, and back."
                </p>
                <p class="hint" role="alert" data-testid="checkpoint-note">{move || ck_note.get()}</p>
                <table class="numbers" data-testid="checkpoint-list">
                    <thead><tr><th>"run"</th><th>"after epoch"</th><th>"held-out accuracy"</th><th>"size"</th><th></th></tr></thead>
                    <tbody>
                        {move || kept.get().into_iter().map(|(key, m)| {
                            let (k1, k2, k3) = (key.clone(), key.clone(), key.clone());
                            let is_best = best.with(|b| b.as_deref() == Some(key.as_str()));
                            let file = format!("{}-epoch{}.json", m.label.replace([' ', '(', ')', '×'], "_"), m.epoch);
                            view! {
                                <tr data-epoch=m.epoch data-label=m.label.clone() data-best=is_best.to_string()>
                                    <th scope="row">{m.label.clone()}</th>
                                    <td>{format!("{} of {}", m.epoch, m.epochs)}</td>
                                    <td>{format!("{:.1}%{}", m.val_accuracy * 100.0, if is_best { " (best)" } else { "" })}</td>
                                    <td>{format!("{:.1} MB", m.bytes as f64 / 1e6)}</td>
                                    <td class="row-actions">
                                        <button type="button" class="small" data-testid="resume" prop:disabled=running on:click=move |_| resume(k1.clone())>"Resume"</button>
                                        <button type="button" class="small" data-testid="download-checkpoint"
                                            on:click=move |_| { let (k, f) = (k2.clone(), file.clone()); spawn_local(async move {
                                                if let Ok(Some(t)) = idb::get(&k).await { download_text(&f, "application/json", &t); }
                                            }); }>"Download"</button>
                                        <button type="button" class="small" data-testid="delete-checkpoint" prop:disabled=running
                                            on:click=move |_| { let k = k3.clone(); spawn_local(async move {
                                                if let Err(e) = idb::delete(&k).await { ck_note.set(Some(e)); }
                                                refresh(kept, ck_note);
                                            }); }>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <div class="control">
                    <label for="checkpoint-file">"Open a checkpoint file"</label>
                    <input type="file" id="checkpoint-file" accept=".json,application/json" data-testid="checkpoint-file"
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                            spawn_local(async move {
                                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
                                match parse_checkpoint(&text) {
                                    Ok(c) => {
                                        ck_note.set(Some(format!("Loaded {} after epoch {}.", c.config.label, c.epoch)));
                                        keep(text, &c, kept, ck_note);
                                    }
                                    Err(e) => ck_note.set(Some(format!("{}: {e}", file.name()))),
                                }
                            });
                        } />
                </div>
            </section>
            <Show when=move || report.with(Option::is_some)>
                <section>
                    <h2>"Per class"</h2>
                    <BarChart bars=class_bars title="Held-out accuracy per class" y_desc="accuracy (%)" testid="class-bars" fmt=|v| format!("{v:.1}%") />
                    <ConfusionMatrix report=report />
                    <h3>"Mistakes, most confident first (predicted ≠ true)"</h3>
                    <Mistakes report=report />
                </section>
            </Show>
        </PageShell>
    }
}
