//! Visualisations: train a plain net and its ResNet twin, then map both loss landscapes (streamed row by
//! row), with the gradient flow through depth, a 1-D slice, and any network drawn from its plan.

use leptos::prelude::*;

use super::chart::{Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::epoch_charts::EpochCharts;
use super::export::download_text;
use super::feature_maps::StageMaps;
use super::gradient_profiles::GradientProfiles;
use super::landscape_map::LandscapeMap;
use super::net_diagram::NetDiagram;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::worker_client;
use crate::lab::landscape::axis;
use crate::lab::model::spec::catalogue;
use crate::pages::page::PageState;
use crate::pages::readouts::run_notes;
use crate::pages::run_view::{Phase, RunView};
use crate::pages::visualise::{landscape_readout, Visualise};
use crate::protocol::{FromWorker, Measurement};

/// Every snapshot's maps, one row per value.
fn evolution_csv(shots: &[(usize, Vec<crate::lab::report::FeatureMaps>)]) -> String {
    let mut out = String::from("step,stage,channel,y,x,value\n");
    for (step, maps) in shots {
        for (stage, m) in maps.iter().enumerate() {
            for (k, v) in m.values.iter().enumerate() {
                let (c, rest) = (k / (m.height * m.width), k % (m.height * m.width));
                out.push_str(&format!("{step},{},{c},{},{},{v}\n", stage + 1, rest / m.width, rest % m.width));
            }
        }
    }
    out
}

#[component]
pub fn VisualisePage() -> impl IntoView {
    let (settings, notes) = use_page_state::<Visualise>();
    // Not kept for Back: what this page shows after training is measured on the trained net, which
    // lives in the worker and goes with the page.
    let runs = Runs::not_kept();
    let training = runs.running();
    // The landscapes as they stream in: [net][row][column], and the request's own progress.
    let grids = RwSignal::new(vec![Vec::<Vec<Option<f32>>>::new(); 2]);
    let mapped = RwSignal::new(RunView::default());
    let mapped_axis = RwSignal::new(Vec::<f32>::new());
    let handled = StoredValue::new(0u32);
    let mapping = Signal::derive(move || mapped.with(|m| m.phase == Phase::Running));
    let busy = Signal::derive(move || training.get() || mapping.get());

    // Once both nets are trained, map their landscapes (the worker keeps the last two nets).
    Effect::new(move |_| {
        let (phase, id, ok) = runs.view.with(|r| (r.phase, r.id, r.series.iter().all(|s| s.summary.is_some())));
        if phase != Phase::Done || handled.get_value() == id || !ok {
            return;
        }
        handled.set_value(id);
        let (request, n) = settings.with_untracked(|s| (s.landscape(), s.grid));
        mapped_axis.set(settings.with_untracked(|s| axis(s.grid, s.span as f32)));
        grids.set(vec![Vec::new(); 2]);
        let id = worker_client::measure(request, move |msg| match msg {
            FromWorker::Measured { result: Measurement::LandscapeRow { net, losses, .. }, .. } => {
                grids.update(|g| {
                    if let Some(rows) = g.get_mut(*net) {
                        rows.push(losses.clone())
                    }
                });
                mapped.update(|m| {
                    m.done_steps += 1;
                    m.now_ms = js_sys::Date::now();
                });
            }
            other => mapped.update(|m| m.apply(other, js_sys::Date::now())),
        });
        mapped.set(RunView::start(id, vec![], 2 * n, js_sys::Date::now()));
    });

    let labels = Signal::derive(move || settings.with(|s| s.configs().into_iter().map(|c| c.label).collect::<Vec<_>>()));
    // One colour scale for both maps: the lowest and highest finite loss of either, in log space.
    let range = Signal::derive(move || {
        grids.with(|g| {
            let (lo, hi) = g.iter().flatten().flatten().flatten().fold((f64::MAX, f64::MIN), |(l, h), &v| {
                let v = (v as f64).max(1e-12).ln();
                (l.min(v), h.max(v))
            });
            if lo <= hi {
                (lo, hi)
            } else {
                (0.0, 1.0)
            }
        })
    });
    let slice = Signal::derive(move || {
        let ax = mapped_axis.get();
        let mid = ax.len() / 2;
        grids.with(|g| {
            labels
                .get()
                .into_iter()
                .zip(g)
                .filter_map(|(label, rows)| {
                    let row = rows.get(mid)?;
                    Some(Line { label, points: ax.iter().zip(row).filter_map(|(&a, v)| v.map(|v| (a, v))).collect() })
                })
                .collect()
        })
    });
    let map = move |n: usize| Signal::derive(move || grids.with(|g| g[n].clone()));
    let title = move |n: usize| Signal::derive(move || format!("Loss landscape of {}", labels.get().get(n).cloned().unwrap_or_default()));
    // A named model is drawn as published (ImageNet nets: 3×224×224, 1000 classes; CIFAR nets: 3×32×32,
    // 10 classes); the page's own ResNet for its data.
    let diagram_plan = Signal::derive(move || {
        settings.with(|s| {
            let model = s.diagram_model();
            if crate::lab::model::ModelSpec::from_name(&s.diagram).is_err() {
                let d = s.train.data_spec();
                return Some((model.resolve(d.channels, d.classes), d.size));
            }
            let imagenet = model.family == crate::lab::model::Family::Imagenet;
            Some((model.resolve(3, if imagenet { 1000 } else { 10 }), if imagenet { 224 } else { 32 }))
        })
    });
    let sentences = Signal::derive(move || {
        if busy.get() {
            return vec![];
        }
        let mut out = runs.view.with(|r| run_notes(&r.series));
        let complete = grids.with(|g| g.iter().all(|rows| rows.len() == mapped_axis.with(Vec::len) && !rows.is_empty()));
        if complete {
            out.extend(grids.with(|g| landscape_readout(&labels.get(), g)));
        }
        if out.is_empty() {
            out.push("Press Train: both nets train, then their landscapes are mapped row by row.".into());
        }
        out
    });
    // Feature evolution: which net, which snapshot.
    let evo_net = RwSignal::new(1usize);
    let evo_shot = RwSignal::new(usize::MAX);
    let shots = Signal::derive(move || runs.view.with(|r| r.series.get(evo_net.get()).map(|s| s.snapshots.clone()).unwrap_or_default()));
    let shown = Signal::derive(move || shots.with(|s| s.get(evo_shot.get().min(s.len().saturating_sub(1))).cloned()));
    let train = move |_| {
        grids.set(vec![Vec::new(); 2]);
        mapped.set(RunView::default());
        runs.start(settings.with(|s| s.configs()));
    };

    view! {
        <PageShell slug=Visualise::SLUG notes=notes>
            <Lede slot>
                "Pictures of what skip connections change, each computed from nets trained here. A plain net and its "
                "ResNet twin train on the same data with the same seed. Then, around each one's trained weights θ, the "
                "loss is measured on a grid θ + a·δ + b·η along two random directions that are filter-normalised "
                "(every filter of δ as long as the same filter of θ, so a step of 1 is the size of the weights in every "
                "layer; Li et al. 2018). A smooth bowl is easy to descend; a bumpy surface is what deep nets without "
                "skips are reported to have. The gradient charts show how much each layer learns, input side first; "
                "the feature snapshots show what each stage makes of one image as training goes on."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"The two nets"</legend>
                    <Slider id="depth".into() label="Depth (6n + 2)".into() min=8.0 max=56.0 step=6.0
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| s.depth = crate::pages::query::snap_depth(v as usize, 6, 8)) disabled=busy />
                    <Slider id="width".into() label="Width (channels of the first stage)".into() hint="Channels of the first stage; each later stage doubles them." min=2.0 max=32.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=busy />
                </fieldset>
                <fieldset>
                    <legend>"Landscape"</legend>
                    <Slider id="grid".into() label="Grid points per side (odd: the trained weights in the middle)".into() min=5.0 max=31.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.grid as f64))
                        on_change=move |v| settings.update(|s| s.grid = (v as usize) | 1) disabled=busy />
                    <Slider id="span".into() label="Span: from −s to s along each direction".into() hint="How far from the trained weights the map reaches, in steps along two random directions scaled to each filter's size." min=0.1 max=2.0 step=0.1
                        value=Signal::derive(move || settings.with(|s| s.span))
                        on_change=move |v| settings.update(|s| s.span = (v * 10.0).round() / 10.0) disabled=busy />
                    <Slider id="images".into() label="Training images the loss is measured on".into() min=16.0 max=512.0 step=16.0
                        value=Signal::derive(move || settings.with(|s| s.images as f64))
                        on_change=move |v| settings.update(|s| s.images = v as usize) disabled=busy />
                    <Slider id="dir_seed".into() label="Seed of the two directions".into() hint="Which two random directions the landscape is drawn along; the same seed draws the same map." min=0.0 max=100.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.dir_seed as f64))
                        on_change=move |v| settings.update(|s| s.dir_seed = v as u64) disabled=busy />
                    <Slider id="snapshots".into() label="Feature snapshots during training".into() min=1.0 max=10.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.snapshots as f64))
                        on_change=move |v| settings.update(|s| s.snapshots = v as usize) disabled=busy />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Visualise| &s.train set=|s: &mut Visualise| &mut s.train running=busy />
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=busy on:click=train>"Train both, then map"</button>
                    // The training only: mapping the landscapes afterwards has a progress bar of its own.
                    <super::estimate::Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                </div>
            </Controls>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <EpochCharts runs=runs />
            <h2>"Gradient flow through depth"</h2>
            <GradientProfiles runs=runs />
            <h2>"Loss landscapes"</h2>
            <Progress run=mapped on_cancel=move || worker_client::cancel(mapped.with_untracked(|m| m.id)) testid="landscape-progress" unit="row" />
            <div class="two-col">
                <LandscapeMap grid=map(0) axis=mapped_axis range=range title=title(0) testid="landscape-plain" />
                <LandscapeMap grid=map(1) axis=mapped_axis range=range title=title(1) testid="landscape-resnet" />
            </div>
            <LineChart lines=slice chance=runs.chance_loss() title="1-D slice along δ (b = 0): loss against a" x_desc="a" y_desc="cross-entropy loss" testid="slice-chart" />
            <Readout title="What this run shows" sentences=sentences />
            <h2>"Feature evolution"</h2>
            <p class="hint">"One held-out image after each stage of the chosen net, at initialisation, during training and at the end: scrub through the snapshots the run kept."</p>
            <div class="control-row">
                <Select id="evo-net" label="Net" options=vec![("0", "plain"), ("1", "ResNet")]
                    value=Signal::derive(move || evo_net.get().to_string()) on_change=move |v| evo_net.set(v.parse().unwrap_or(0)) />
                <Slider id="evo-shot".into() label="Snapshot".into() min=0.0 max=Signal::derive(move || shots.with(|s| s.len().saturating_sub(1) as f64)) step=1.0
                    value=Signal::derive(move || evo_shot.get().min(shots.with(|s| s.len().saturating_sub(1))) as f64)
                    on_change=move |v| evo_shot.set(v as usize) />
            </div>
            <section class="evolution" data-testid="evolution" data-step=move || shown.with(|s| s.as_ref().map(|s| s.0.to_string()).unwrap_or_default())
                data-snapshots=move || shots.with(Vec::len)>
                <button type="button" class="small" data-testid="evolution-csv" prop:disabled=move || shots.with(Vec::is_empty)
                    on:click=move |_| { download_text("feature-evolution.csv", "text/csv", &evolution_csv(&shots.get_untracked())); }>"CSV of every snapshot"</button>
                <p>{move || shown.with(|s| s.as_ref().map(|(step, _)| {
                    let total = runs.view.with(|r| r.series.get(evo_net.get()).and_then(|s| s.summary.as_ref().map(|m| m.steps)).unwrap_or(0));
                    if *step == 0 { "At initialisation (step 0)".to_string() } else { format!("After step {step}{}", if total > 0 { format!(" of {total}") } else { String::new() }) }
                }).unwrap_or_else(|| "No snapshots yet: press Train.".into()))}</p>
                <div class="stages">
                    {move || shown.get().map(|(_, maps)| maps.into_iter().enumerate().map(|(i, m)| view! {
                        <StageMaps maps=m caption=format!("After stage {}", i + 1) />
                    }).collect_view())}
                </div>
            </section>
            <h2>"The network, drawn from its plan"</h2>
            <div class="control">
                <label for="diagram">"Model to draw (a name such as resnet50, resnet110, plain20, resnet14:I,-,W,A,X,D; empty: this page's ResNet)"</label>
                <input id="diagram" type="text" list="model-names" data-testid="diagram-name" spellcheck="false"
                    prop:value=move || settings.with(|s| s.diagram.clone())
                    on:change=move |ev| settings.update(|s| s.diagram = event_target_value(&ev).trim().to_string()) />
                <datalist id="model-names">{catalogue().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}</datalist>
                <p class="hint" role="alert">{move || settings.with(|s| {
                    (!s.diagram.is_empty()).then(|| crate::lab::model::ModelSpec::from_name(&s.diagram).err()).flatten().map(|e| format!("{e}; drawing this page's ResNet"))
                })}</p>
            </div>
            <NetDiagram plan=diagram_plan testid="net-diagram" />
        </PageShell>
    }
}
