//! The residual variants page: pick up to six families (each with its own knobs), size them alike,
//! train them on the same data and seed, and read the trade-offs off the runs.

use leptos::prelude::*;

use super::chart::{css_color, Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::export::download_text;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use super::BackendStatus;
use crate::pages::page::PageState;
use crate::pages::readouts::grouped;
use crate::pages::run_view::Phase;
use crate::pages::variants::{claims, csv, encode, sketch, tradeoffs, Draft, Kind, Variants, MAX_NETS};

const DEPTH_MAX: usize = 56;

#[component]
pub fn VariantsPage() -> impl IntoView {
    let (settings, notes) = use_page_state::<Variants>();
    let runs = Runs::new();
    let running = runs.running();
    let draft = RwSignal::new(Draft::default());
    let match_notes = RwSignal::new(Vec::<String>::new());
    let backend = use_context::<RwSignal<BackendStatus>>();
    let backend_name = move || match backend.map(|b| b.get()) {
        Some(BackendStatus::Ready { name, adapter, .. }) if name == "webgpu" => format!("WebGPU ({adapter})"),
        _ => "the CPU (flex)".to_string(),
    };
    let full = Signal::derive(move || settings.with(|s| s.nets.len() >= MAX_NETS));
    let draft_spec = Signal::derive(move || draft.with(Draft::spec));
    // The settings the finished runs were started with: the table pairs runs with these.
    let ran = RwSignal::new(None::<Variants>);
    // Read in place: the view holds every step of every series.
    let rows = Signal::derive(move || runs.view.with(|v| ran.with(|r| r.as_ref().map(|s| tradeoffs(s, &v.series)).unwrap_or_default())));
    let acc_lines = runs.epoch_lines(|e| e.val_accuracy * 100.0);
    let scatter = move |x: fn(&crate::pages::variants::Tradeoff) -> f32| {
        Signal::derive(move || {
            rows.get().iter().map(|r| Line { label: r.label.clone(), points: vec![(x(r), r.val_accuracy * 100.0)] }).collect()
        })
    };
    let sentences = Signal::derive(move || {
        if runs.view.with(|r| r.phase == Phase::Running) {
            return vec![];
        }
        let mut out: Vec<String> =
            runs.view.with(|r| r.series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect());
        let held_out = ran.with(|r| r.as_ref().map_or(0, |s| s.train.data_spec().samples - s.train.data_spec().train_len()));
        out.extend(claims(&rows.get(), held_out, &backend_name()));
        out
    });
    let knob =
        move |id: &'static str, label: &'static str, min: f64, max: f64, step: f64, get: fn(&Draft) -> f64, set: fn(&mut Draft, f64)| {
            view! {
                <Slider id=id.into() label=label.into() min=min max=max step=step
                    value=Signal::derive(move || draft.with(get)) on_change=move |v| draft.update(|d| set(d, v)) />
            }
        };

    view! {
        <PageShell slug=Variants::SLUG notes=notes>
            <Lede slot>
                "After ResNet came a family of refinements. Pre-activation moves BatchNorm and ReLU before each "
                "convolution so the shortcut stays a clean identity; Wide ResNets trade depth for width; ResNeXt "
                "splits the bottleneck's 3×3 into many groups; DenseNet concatenates every layer's output instead "
                "of adding it; SE-ResNet learns a per-channel gate on the residual. Line them up at a comparable "
                "size, train them on the same data with the same seed, and check the claims made for each against "
                "what your run measures."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Add a variant"</legend>
                    <Select id="family" label="Family" options=Kind::ALL.iter().map(|k| (k.name(), k.title())).collect()
                        value=Signal::derive(move || draft.with(|d| d.kind.name().to_string()))
                        on_change=move |v| draft.update(|d| {
                            d.kind = Kind::parse(&v).unwrap_or(d.kind);
                            let depth = d.depth;
                            d.snap_depth(depth, DEPTH_MAX);
                        }) />
                    <Slider id="depth".into() label="Depth (layers)".into()
                        min=Signal::derive(move || draft.with(|d| d.kind.depths().0 as f64)) max=DEPTH_MAX as f64
                        step=Signal::derive(move || draft.with(|d| d.kind.depths().1 as f64))
                        value=Signal::derive(move || draft.with(|d| d.depth as f64))
                        on_change=move |v| draft.update(|d| d.snap_depth(v as usize, DEPTH_MAX)) />
                    <Slider id="width".into() label="Base width (stem and first stage)".into() hint="Channels of the stem and the first stage; later stages grow from it as each family does." min=1.0 max=64.0 step=1.0
                        value=Signal::derive(move || draft.with(|d| d.width as f64))
                        on_change=move |v| draft.update(|d| d.width = v as usize) />
                    {move || match draft.with(|d| d.kind) {
                        Kind::Wide => view! {
                            {knob("k", "Widening factor k", 1.0, 8.0, 1.0, |d| d.k as f64, |d, v| d.k = v as usize)}
                            {knob("dropout", "Dropout between the convs", 0.0, 0.5, 0.1, |d| d.dropout as f64, |d, v| d.dropout = (v * 10.0).round() as f32 / 10.0)}
                        }.into_any(),
                        Kind::Resnext => view! {
                            {knob("cardinality", "Cardinality C (groups)", 1.0, 16.0, 1.0, |d| d.cardinality as f64, |d, v| d.cardinality = v as usize)}
                            {knob("group-width", "Group width d (at base width 64)", 1.0, 64.0, 1.0, |d| d.group_width as f64, |d, v| d.group_width = v as usize)}
                        }.into_any(),
                        Kind::Densenet => knob("growth", "Growth rate k", 2.0, 32.0, 1.0, |d| d.growth as f64, |d, v| d.growth = v as usize).into_any(),
                        Kind::Se => knob("reduction", "SE reduction r", 1.0, 16.0, 1.0, |d| d.reduction as f64, |d, v| d.reduction = v as usize).into_any(),
                        _ => ().into_any(),
                    }}
                    <p class="hint" data-testid="draft-error" role="alert">{move || draft_spec.get().err()}</p>
                    <button type="button" data-testid="add"
                        prop:disabled=move || running.get() || full.get() || draft_spec.with(Result::is_err)
                        on:click=move |_| if let Ok(m) = draft_spec.get_untracked() {
                            settings.update(|s| if !s.nets.contains(&m) { s.nets.push(m) });
                        }>
                        {move || match (full.get(), draft_spec.get()) {
                            (true, _) => format!("Line-up full ({MAX_NETS})"),
                            (_, Ok(m)) => format!("Add {} ({} parameters)", Variants::label(&m), grouped(settings.with(|s| s.params(&m)) as u64, ',')),
                            (_, Err(_)) => "Add".to_string(),
                        }}
                    </button>
                </fieldset>
                <TrainingControls settings=settings get=|s: &Variants| &s.train set=|s: &mut Variants| &mut s.train running=running />
            </Controls>
            <section>
                <h2>"Line-up"</h2>
                <ol class="queue" data-testid="lineup">
                    {move || settings.with(|s| s.nets.iter().map(|m| (m.clone(), s.params(m))).collect::<Vec<_>>()).into_iter().enumerate().map(|(i, (m, params))| {
                        let label = Variants::label(&m);
                        view! {
                            <li data-label=label.clone() data-params=params data-net=encode(&m)>
                                <span class="swatch" style=format!("background:{}", css_color(i))></span>
                                {format!("{label} — {} parameters ", grouped(params as u64, ','))}
                                <button type="button" aria-label=format!("Remove {label}") prop:disabled=running
                                    on:click=move |_| settings.update(|s| { s.nets.remove(i); })>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <div class="actions">
                    <button type="button" data-testid="match" prop:disabled=move || running.get() || settings.with(|s| s.nets.len() < 2)
                        title="Re-size every net after the first (its base width; DenseNet's growth rate) to the first net's parameter count"
                        on:click=move |_| {
                            let (nets, notes) = settings.with_untracked(Variants::match_params);
                            settings.update(|s| s.nets = nets);
                            match_notes.set(notes);
                        }>"Match parameters to the first"</button>
                    <button type="button" class="primary" data-testid="train" prop:disabled=move || running.get() || settings.with(|s| s.nets.is_empty())
                        on:click=move |_| {
                            ran.set(Some(settings.get_untracked()));
                            runs.start(settings.with_untracked(Variants::configs));
                        }>"Train the line-up"</button>
                    <super::estimate::Estimate configs=Signal::derive(move || settings.with(Variants::configs)) />
                    <button type="button" data-testid="csv" prop:disabled=move || rows.with(Vec::is_empty) || running.get()
                        on:click=move |_| { download_text("resnet-lab-variants.csv", "text/csv", &csv(&rows.get_untracked())); }>"Export table (CSV)"</button>
                </div>
                <ul class="notes" data-testid="match-notes">{move || match_notes.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            </section>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=acc_lines title="Held-out accuracy per epoch" x_desc="epoch" y_desc="accuracy (%)" testid="acc-chart" />
            <section>
                <h2>"Trade-offs"</h2>
                <table class="numbers wide" data-testid="tradeoffs">
                    <caption>"Parameters and multiply-adds are the built nets' (per image at the data's size); time is the median training step on this device; memory is the plan's estimate for one training step."</caption>
                    <thead><tr><th>"variant"</th><th>"parameters"</th><th>"multiply-adds"</th><th>"ms / step"</th><th>"memory (MB)"</th><th>"held-out accuracy"</th><th>"final loss"</th></tr></thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|r| view! {
                            <tr data-series=r.label.clone() data-params=r.params data-macs=r.macs data-step-ms=r.step_ms data-val-acc=r.val_accuracy>
                                <th scope="row">{r.label.clone()}</th>
                                <td>{grouped(r.params as u64, ',')}</td>
                                <td>{grouped(r.macs, ',')}</td>
                                <td>{format!("{:.1}", r.step_ms)}</td>
                                <td>{format!("{:.1}", r.memory as f64 / 1e6)}</td>
                                <td>{format!("{:.1}%", r.val_accuracy * 100.0)}</td>
                                <td>{format!("{:.3}", r.final_loss)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <div class="chart-pair">
                <LineChart lines=scatter(|r| r.params as f32) scatter=true title="Accuracy against parameters" x_desc="parameters" y_desc="held-out accuracy (%)" testid="scatter-params" />
                <LineChart lines=scatter(|r| r.step_ms as f32) scatter=true title="Accuracy against time per step" x_desc="ms per training step" y_desc="held-out accuracy (%)" testid="scatter-time" />
            </div>
            <Readout title="The module's claims, checked against this run" sentences=sentences />
            <details class="explain">
                <summary>"When to use which — the claims this page tests"</summary>
                <ul>
                    <li><strong>"Pre-activation ResNet"</strong>" (He et al. 2016): BN and ReLU move in front of each convolution, so nothing touches the sum on the shortcut; its authors trained 1001 layers with it. Claimed for very deep nets; at the depths a tab can train, expect little difference."</li>
                    <li><strong>"Wide ResNet"</strong>" (Zagoruyko & Komodakis 2016): fewer, k× wider layers. Wide layers are big matrix products that keep a GPU busy, so the claim is speed per unit of work; WRN-28-10 beat ResNet-1001 on CIFAR with 36 million parameters."</li>
                    <li><strong>"ResNeXt"</strong>" (Xie et al. 2017): the bottleneck's 3×3 split into C groups (cardinality). At the same parameter count, more groups of narrower width was claimed to beat going deeper or wider."</li>
                    <li><strong>"DenseNet"</strong>" (Huang et al. 2017): every layer sees all earlier layers' outputs concatenated and adds only k new channels, reusing features instead of relearning them; claimed to need fewer parameters for the same accuracy, at the cost of memory for the growing concatenations."</li>
                    <li><strong>"SE-ResNet"</strong>" (Hu et al. 2018): a tiny gate re-weights the residual's channels from their global averages; a few percent more parameters for a claimed accuracy gain on any backbone."</li>
                </ul>
                <p>"Small nets, few epochs and a small held-out set make these comparisons noisy: the readout calls a difference a tie when it is within two standard errors of the held-out accuracy. Re-run with another seed, more samples or epochs to see whether a verdict holds."</p>
            </details>
            <section>
                <h2>"How each block is built"</h2>
                <p class="hint">"The first block of the second stage of each net, where the shape changes, so the shortcut shows what it does then."</p>
                <div class="sketches" data-testid="sketches">
                    {move || settings.with(|s| {
                        let (c, k) = (s.channels(), s.train.data_spec().classes);
                        let size = s.train.data_spec().size;
                        s.nets.iter().filter_map(|m| sketch(&m.resolve(c, k), size).map(|(plan, b)| (Variants::label(m), plan, b))).collect::<Vec<_>>()
                    }).into_iter().map(|(label, plan, b)| view! {
                        <figure class="block-sketch" data-label=label.clone() data-merge=b.merge.clone()>
                            <figcaption>{format!("{label}: {}×{}×{} → {}×{}×{}", plan.input[0], plan.input[1], plan.input[2], plan.output[0], plan.output[1], plan.output[2])}</figcaption>
                            <div class="bs-paths">
                                <ol class="bs-branch" aria-label="residual branch">
                                    {b.branch.iter().map(|op| view! { <li class=op_class(op)>{op.clone()}</li> }).collect_view()}
                                </ol>
                                <div class="bs-shortcut" aria-label="shortcut">{format!("shortcut: {}", b.shortcut)}</div>
                            </div>
                            <div class="bs-merge">{b.merge.clone()}</div>
                            {b.after.map(|a| view! { <div class="bs-after">{format!("then {a}")}</div> })}
                        </figure>
                    }).collect_view()}
                </div>
            </section>
        </PageShell>
    }
}

/// A colour class per kind of operation in the block drawing.
fn op_class(op: &str) -> &'static str {
    if op.contains("conv") {
        if op.contains("groups") {
            "bs-op bs-grouped"
        } else {
            "bs-op bs-conv"
        }
    } else if op.starts_with("SE") {
        "bs-op bs-se"
    } else if op == "BN" {
        "bs-op bs-bn"
    } else {
        "bs-op bs-act"
    }
}
