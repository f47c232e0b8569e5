//! A network drawn from its plan (no burn needed): stem → stages → blocks → head. Each block shows its
//! kind, its skip (colour-coded by the pattern code), its shortcut, output shape and parameters; stages
//! fold open and shut so ResNet-152 stays readable. Shared by the search page and, later, the
//! visualisations and variants pages.

use leptos::prelude::*;

use super::export::download_text;

use crate::lab::model::{BlockKind, NetSpec, Skip, Stem};

fn skip_name(skip: Skip) -> &'static str {
    match skip {
        Skip::None => "no skip",
        Skip::Identity => "identity skip",
        Skip::Projection => "projection skip",
        Skip::ChannelWeight => "channel-weighted skip",
        Skip::Attention => "SE-gated residual",
        Skip::XAttention => "attention from x",
        Skip::Dense => "dense (extra path G)",
    }
}

/// Thousands separated with a thin space: 1 234 567.
fn grouped(n: usize) -> String {
    crate::pages::readouts::grouped(n as u64, '\u{2009}')
}

/// `plan` is the resolved net and the input side it is drawn for; `None` draws nothing.
#[component]
pub fn NetDiagram(#[prop(into)] plan: Signal<Option<(NetSpec, usize)>>, testid: &'static str) -> impl IntoView {
    move || {
        plan.get().map(|(spec, size)| {
            let blocks = spec.block_plans(size);
            // DenseNet's transitions are drawn but are not blocks.
            let residual = blocks.iter().filter(|b| b.kind != BlockKind::Transition).count();
            let stages = spec.stages.len();
            let (stem_k, stem_w, pooled) = match spec.stem {
                Stem::Small { width } => (3, width, false),
                Stem::Large { width } => (7, width, true),
            };
            let last = blocks.last().map_or(stem_w, |b| b.output[0]);
            let mut csv = String::from("block,stage,skip,alpha,shortcut,in_channels,in_h,in_w,out_channels,out_h,out_w,params\n");
            for (i, b) in blocks.iter().enumerate() {
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    i + 1, b.stage + 1, b.gene.skip.name(), b.gene.alpha, b.shortcut.describe(),
                    b.input[0], b.input[1], b.input[2], b.output[0], b.output[1], b.output[2], b.params
                ));
            }
            let kind = match spec.block {
                BlockKind::Basic if spec.preact => "pre-activation basic (3×3, 3×3)",
                BlockKind::Basic => "basic (3×3, 3×3)",
                BlockKind::Bottleneck if spec.groups > 1 => "bottleneck (1×1, grouped 3×3, 1×1)",
                BlockKind::Bottleneck => "bottleneck (1×1, 3×3, 1×1)",
                BlockKind::DenseLayer | BlockKind::Transition => "dense-layer (BN-ReLU-1×1, BN-ReLU-3×3, concatenated)",
            };
            view! {
                <figure class="net-diagram" data-testid=testid data-blocks=residual data-stages=stages data-params=spec.params()>
                    <figcaption>
                        {format!("{residual} blocks in {stages} stages · {} parameters · drawn for {size}×{size} input", grouped(spec.params()))}
                        <span class="chart-export">
                            <button type="button" class="small" data-testid=format!("{testid}-csv") aria-label="Download the blocks as CSV"
                                on:click=move |_| { download_text("network-blocks.csv", "text/csv", &csv.clone()); }>"CSV"</button>
                        </span>
                    </figcaption>
                    <div class="nd-layer">{format!("stem: {stem_k}×{stem_k} conv → {stem_w} channels{}", if pooled { ", stride 2 + max-pool" } else { "" })}</div>
                    {(0..stages).map(|st| {
                        let mine: Vec<_> = blocks.iter().enumerate().filter(|(_, b)| b.stage == st).map(|(i, b)| (i, b.clone())).collect();
                        let out = mine.last().map(|(_, b)| b.output).unwrap_or([0, 0, 0]);
                        let params: usize = mine.iter().map(|(_, b)| b.params).sum();
                        let units = mine.iter().filter(|(_, b)| b.kind != BlockKind::Transition).count();
                        let open = mine.len() <= 12;
                        view! {
                            <details class="nd-stage" data-stage=st + 1 open=open>
                                <summary>{format!("stage {}: {units} {kind} blocks → {}×{}×{} · {} params", st + 1, out[0], out[1], out[2], grouped(params))}</summary>
                                <ol class="nd-blocks">
                                    {mine.into_iter().map(|(i, b)| {
                                        let alpha = if b.gene.alpha != 1.0 { format!(" · α = {}", b.gene.alpha) } else { String::new() };
                                        let what = match b.kind {
                                            BlockKind::Transition => "transition: BN-ReLU-1×1 conv, 2×2 average pool".to_string(),
                                            BlockKind::DenseLayer => "dense layer".to_string(),
                                            _ => skip_name(b.gene.skip).to_string(),
                                        };
                                        view! {
                                            <li class="nd-block" data-skip=b.gene.skip.code().to_string() data-shortcut=b.shortcut.describe()
                                                title=format!("block {}: {what} ({})", i + 1, b.shortcut.describe())>
                                                <span class=format!("nd-code skip-{}", b.gene.skip.name()) aria-hidden="true">{b.gene.skip.code().to_string()}</span>
                                                <span class="nd-text">
                                                    {format!("block {} · {what}{alpha} · shortcut: {} · out {}×{}×{} · {} params",
                                                        i + 1, b.shortcut.describe(), b.output[0], b.output[1], b.output[2], grouped(b.params))}
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            </details>
                        }
                    }).collect_view()}
                    <div class="nd-layer">{format!("{}global average pool → fully connected {last} → {} classes", if spec.preact { "BN + ReLU → " } else { "" }, spec.classes)}</div>
                </figure>
            }
        })
    }
}
