//! Part 2 — the residual block, opened up: a real BasicBlock runs forward and backward in the
//! worker; the page draws its diagram with the measured shapes and charts the gradient paths.

use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use super::bar_chart::{Bar, BarChart};
use super::controls::Readout;
use super::controls::{Select, Slider};
use super::worker_client;
use crate::lab::model::Skip;
use crate::lab::report::BlockAnatomy;
use crate::pages::part2::{readout, Part2};
use crate::protocol::{FromWorker, Measurement};

const BOX_W: f64 = 250.0;
const BOX_H: f64 = 34.0;
const GAP: f64 = 18.0;

/// The block as an SVG diagram: the main path top to bottom, the shortcut beside it.
fn diagram(a: &BlockAnatomy) -> impl IntoView {
    let shape = |s: &[usize; 4]| format!("[{}, {}, {}, {}]", s[0], s[1], s[2], s[3]);
    let shortcut = a.stages.iter().find(|(n, _)| n.starts_with("shortcut")).cloned();
    let main: Vec<_> = a.stages.iter().filter(|(n, _)| !n.starts_with("shortcut")).cloned().collect();
    let y = |i: usize| 10.0 + i as f64 * (BOX_H + GAP);
    let height = y(main.len()) + 10.0;
    let sum_index = main.iter().position(|(n, _)| n.starts_with("F(x) +"));
    let boxes = main
        .iter()
        .enumerate()
        .map(|(i, (name, s))| {
            let is_sum = Some(i) == sum_index;
            let fill = if is_sum { "#fff4d6" } else if i == 0 || i + 1 == main.len() { "#e8f0fe" } else { "#f4f6f8" };
            view! {
                <g data-stage=name.clone() data-shape=shape(s)>
                    <rect x="20" y=y(i) width=BOX_W height=BOX_H rx="6" fill=fill stroke="#8a94a6" />
                    <text x="32" y=y(i) + 21.0 font-size="13">{name.clone()}</text>
                    <text x=20.0 + BOX_W - 10.0 y=y(i) + 21.0 font-size="12" text-anchor="end" fill="#445">{shape(s)}</text>
                    {(i + 1 < main.len()).then(|| view! {
                        <line x1=20.0 + BOX_W / 2.0 y1=y(i) + BOX_H x2=20.0 + BOX_W / 2.0 y2=y(i + 1) stroke="#556" stroke-width="1.5" marker-end="url(#arrow)" />
                    })}
                </g>
            }
        })
        .collect_view();
    let skip = match (shortcut, sum_index) {
        (Some((name, s)), Some(si)) => {
            let (x0, x1) = (20.0 + BOX_W, 20.0 + BOX_W + 60.0);
            let (ya, yb) = (y(0) + BOX_H / 2.0, y(si) + BOX_H / 2.0);
            let ym = (ya + yb) / 2.0;
            view! {
                <g data-testid="skip-path" data-shape=shape(&s)>
                    <path d=format!("M {x0} {ya} H {x1} V {yb} H {x0}") fill="none" stroke="#d62728" stroke-width="2.5" marker-end="url(#arrow-red)" />
                    <rect x=x1 - 8.0 y=ym - 28.0 width="200" height="56" rx="6" fill="#fff" stroke="#d62728" />
                    <text x=x1 + 2.0 y=ym - 8.0 font-size="12" fill="#d62728">{name}</text>
                    <text x=x1 + 2.0 y=ym + 12.0 font-size="12" fill="#445">{shape(&s)}</text>
                </g>
            }
            .into_any()
        }
        _ => view! { <text x=40.0 + BOX_W y="40" font-size="13" fill="#777" data-testid="no-skip">"no shortcut: a plain block"</text> }
            .into_any(),
    };
    view! {
        <svg class="block-diagram" data-testid="diagram" viewBox=format!("0 0 560 {height}") width="560" height=height role="img"
            aria-label="Diagram of the block: the main path through two convolutions, and the shortcut">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" fill="#556" />
                </marker>
                <marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" fill="#d62728" />
                </marker>
            </defs>
            {boxes}
            {skip}
        </svg>
    }
}

#[component]
pub fn Part2Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part2>();
    let anatomy = RwSignal::new(None::<BlockAnatomy>);
    let error = RwSignal::new(None::<String>);

    // Every change rebuilds the block and measures it again (one small forward/backward pass).
    Effect::new(move |_| {
        // An impossible block is explained, not sent (the worker would refuse it too).
        if let Some(problem) = settings.with(|s| s.problem()) {
            anatomy.set(None);
            error.set(Some(problem));
            return;
        }
        let request = settings.with(|s| s.request());
        worker_client::measure(request, move |msg| match msg {
            FromWorker::Measured { result: Measurement::Block { anatomy: a }, .. } => {
                error.set(None);
                anatomy.set(Some(a.clone()));
            }
            FromWorker::Finished { error: Some(e), .. } => error.set(Some(e.clone())),
            _ => {}
        });
    });
    let bars = Signal::derive(move || {
        anatomy.with(|a| {
            a.as_ref()
                .map(|a| {
                    vec![
                        Bar { label: "‖g‖ at the sum".into(), value: a.grad_at_sum as f64 },
                        Bar { label: "through F(x)".into(), value: a.grad_residual as f64 },
                        Bar { label: "through the shortcut".into(), value: a.grad_shortcut as f64 },
                        Bar { label: "‖∂L/∂x‖ (autodiff)".into(), value: a.grad_total as f64 },
                    ]
                })
                .unwrap_or_default()
        })
    });
    let num = move |label: &'static str, min: f64, max: f64, get: fn(&Part2) -> usize, set: fn(&mut Part2, usize)| {
        view! {
            <Slider id=label.to_lowercase().replace(' ', "-") label=label.to_string() min=min max=max step=1.0
                value=Signal::derive(move || settings.with(|s| get(s) as f64))
                on_change=move |v| settings.update(|s| set(s, v as usize)) />
        }
    };

    view! {
        <PageShell slug=Part2::SLUG notes=notes>
            <Lede slot>
                "A BasicBlock computes "<code>"H = F(x) + s(x)"</code>" and outputs "<code>"relu(H)"</code>", where F is "
                "conv-BN-ReLU-conv-BN and s is the shortcut. By the chain rule "<code>"∂L/∂x = (∂F/∂x)ᵀg + (∂s/∂x)ᵀg"</code>
                " with "<code>"g = ∂L/∂H"</code>"; for an identity shortcut the second term is g itself — the “+1” that "
                "keeps gradients alive in deep stacks. Change the block and the worker builds it, runs a batch of two "
                "random images forward and backward, and measures each path."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Block"</legend>
                    {num("Input channels", 1.0, 64.0, |s| s.cin, |s, v| s.cin = v)}
                    {num("Output channels", 1.0, 64.0, |s| s.width, |s, v| s.width = v)}
                    {num("Image size", 4.0, 32.0, |s| s.size, |s, v| s.size = v)}
                    <Select id="stride" label="Stride of the first conv" hint="2 halves the image's height and width inside F(x); the shortcut then has to shrink x the same way."
                        options=vec![("1", "1 (same size)"), ("2", "2 (halve height and width)")]
                        value=Signal::derive(move || settings.with(|s| s.stride.to_string()))
                        on_change=move |v| settings.update(|s| s.stride = if v == "2" { 2 } else { 1 }) />
                    <Select id="skip" label="Shortcut" hint="How x reaches the sum: as it is (identity), through a learned 1×1 convolution (projection), or not at all (a plain block)."
                        options=vec![("identity", "identity (zero-pad if the shape changes)"), ("projection", "1×1 conv + BN projection"), ("none", "none (plain block)")]
                        value=Signal::derive(move || settings.with(|s| s.skip.name().to_string()))
                        on_change=move |v| settings.update(|s| s.skip = Skip::parse(&v).unwrap_or(s.skip)) />
                </fieldset>
            </Controls>
            {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            <div class="two-col">
                <figure class="chart">
                    <figcaption>"The block, with the shapes measured on this run"</figcaption>
                    {move || anatomy.with(|a| a.as_ref().map(diagram))}
                </figure>
                <div data-testid="grad-mismatch" data-value=move || anatomy.with(|a| a.as_ref().map(|a| a.grad_mismatch.to_string()))>
                    <BarChart bars=bars title="Gradient norms at x, by path" y_desc="L2 norm" testid="grad-paths" fmt=|v| format!("{v:.5}") />
                </div>
            </div>
            <Readout title="What this block shows" sentences=Signal::derive(move || anatomy.with(|a| a.as_ref().map(|a| settings.with(|p| readout(p, a))).unwrap_or_default()))>
                <p data-testid="block-params">{move || anatomy.with(|a| a.as_ref().map(|a| format!("Parameters in this block: {}.", a.params)))}</p>
            </Readout>
        </PageShell>
    }
}
