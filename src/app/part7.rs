//! Part 7 — your turn: queue model variants (or a preset comparison), train them one after another
//! on the same data and seed, and compare curves, final numbers and a CSV export.

use super::estimate::Estimate;
use leptos::prelude::*;

use super::page::{use_page_state, Controls, Lede, PageShell};
use crate::pages::page::PageState;

use super::export::download_text;
use crate::pages::query::snap_depth;

use super::chart::{Line, LineChart};
use super::controls::Readout;
use super::controls::{Select, Slider};
use super::progress::Progress;
use super::runs::Runs;
use super::seed_repeat::SeedRepeat;
use super::training_controls::TrainingControls;
use crate::lab::model::{Act, Skip, SkipPattern};
use crate::pages::part7::{csv, readout, Part7, Preset, Row, MAX_ROWS};
use crate::pages::run_view::Phase;

#[component]
pub fn Part7Page() -> impl IntoView {
    let (settings, notes) = use_page_state::<Part7>();
    let runs = Runs::new();
    let running = runs.running();
    let draft = RwSignal::new(Row::new(20, 8, Skip::Identity));
    // The skip-pattern text as typed, and what is wrong with it (the Add button waits for a valid one).
    let pattern_text = RwSignal::new(String::new());
    let pattern_error = RwSignal::new(None::<String>);
    let identity_pattern = move |d: &mut Row| {
        let p: SkipPattern = vec!["I"; d.blocks()].join(",").parse().expect("identity pattern");
        pattern_text.set(p.to_string());
        pattern_error.set(None);
        d.pattern = Some(p);
    };
    let channels = move || settings.with(|s| s.train.data_spec().channels);
    let full = Signal::derive(move || settings.with(|s| s.rows.len() >= MAX_ROWS));
    let acc_lines = Signal::derive(move || {
        runs.view.with(|r| {
            r.series
                .iter()
                .map(|s| Line {
                    label: s.label.clone(),
                    points: s.epochs.iter().map(|e| (e.epoch as f32, e.val_accuracy * 100.0)).collect(),
                })
                .collect()
        })
    });
    let sentences = move || runs.view.with(|r| if r.phase == Phase::Running { vec![] } else { readout(&r.series) });

    view! {
        <PageShell slug=Part7::SLUG notes=notes>
            <Lede slot>
                "Design the comparison yourself: queue up to six variants — depth, shortcut type, Basic or Bottleneck "
                "blocks, activation, width — or start from a preset. They train one after another on the same data "
                "with the same seed, so the only difference is the one you chose. \"A skip per block\" lets you give "
                "every block its own shortcut (or none), the notebook's \"other skip patterns\"; the search page "
                "looks for good ones automatically."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Presets"</legend>
                    {Preset::ALL.iter().map(|&p| view! {
                        <button type="button" class="preset" data-testid=format!("preset-{p:?}").to_lowercase() prop:disabled=running
                            on:click=move |_| settings.update(|s| s.rows = p.rows(s.train.data_spec().channels))>{p.title()}</button>
                    }).collect_view()}
                </fieldset>
                <fieldset>
                    <legend>"Add a variant"</legend>
                    <Slider id="depth".into() label="Depth (6n + 2)".into() hint="Weight layers: three stages of n blocks of two convolutions, plus the first convolution and the classifier." min=8.0 max=110.0 step=6.0
                        value=Signal::derive(move || draft.with(|d| d.depth as f64))
                        on_change=move |v| draft.update(|d| {
                            d.depth = snap_depth(v as usize, 6, 8);
                            if d.pattern.is_some() { identity_pattern(d) }
                        }) />
                    <Slider id="width".into() label="Width".into() hint="Channels of the first stage; each later stage doubles them." min=2.0 max=64.0 step=2.0
                        value=Signal::derive(move || draft.with(|d| d.width as f64))
                        on_change=move |v| draft.update(|d| d.width = v as usize) />
                    <Select id="skip" label="Shortcut" hint="How x reaches the addition F(x) + x: unchanged (identity), scaled, gated, dropped at random, or learned; a pattern gives each block its own."
                        options=Skip::ALL.iter().map(|k| (k.name(), k.title())).chain([("pattern", "a skip per block (pattern)")]).collect()
                        value=Signal::derive(move || draft.with(|d| if d.pattern.is_some() { "pattern".to_string() } else { d.skip.name().to_string() }))
                        on_change=move |v| draft.update(|d| if v == "pattern" {
                            d.skip = Skip::Identity;
                            identity_pattern(d);
                        } else {
                            d.pattern = None;
                            pattern_error.set(None);
                            d.skip = Skip::parse(&v).unwrap_or(d.skip);
                        }) />
                    <Show when=move || draft.with(|d| d.pattern.is_some()) || pattern_error.with(Option::is_some)>
                        <div class="control">
                            <label for="pattern">"Skip per block, input side first: - none, I identity, P projection, W channel weights, A SE, X attention from x, D dense; α as I*0.5"</label>
                            <input type="text" id="pattern" data-testid="pattern" spellcheck="false" prop:value=move || pattern_text.get()
                                aria-invalid=move || pattern_error.with(Option::is_some).to_string()
                                on:input=move |ev| {
                                    let text = event_target_value(&ev);
                                    pattern_text.set(text.clone());
                                    match draft.with_untracked(|d| d.parse_pattern(&text)) {
                                        Ok(p) => { pattern_error.set(None); draft.update(|d| d.pattern = Some(p)); }
                                        Err(e) => pattern_error.set(Some(e)),
                                    }
                                } />
                            <p class="hint" data-testid="pattern-error" role="alert">{move || pattern_error.get()}</p>
                        </div>
                    </Show>
                    <Select id="block" label="Block" hint="What F(x) is: two 3×3 convolutions, or a 1×1 that narrows, a 3×3 and a 1×1 that widens again (cheaper for deep nets)." options=vec![("basic", "Basic (two 3×3)"), ("bottleneck", "Bottleneck (1×1, 3×3, 1×1 ×4)")]
                        value=Signal::derive(move || String::from(if draft.with(|d| d.bottleneck) { "bottleneck" } else { "basic" }))
                        on_change=move |v| draft.update(|d| d.bottleneck = v == "bottleneck") />
                    <Select id="act" label="Activation" hint="The non-linearity after each convolution and after the addition." options=Act::ALL.iter().map(|a| (a.name(), a.name())).collect()
                        value=Signal::derive(move || draft.with(|d| d.act.name().to_string()))
                        on_change=move |v| draft.update(|d| d.act = Act::parse(&v).unwrap_or(d.act)) />
                    <button type="button" data-testid="add" prop:disabled=move || running.get() || full.get() || pattern_error.with(Option::is_some)
                        on:click=move |_| settings.update(|s| if !s.rows.contains(&draft.get_untracked()) { s.rows.push(draft.get_untracked()) })>
                        {move || if full.get() { format!("Queue full ({MAX_ROWS})") } else { format!("Add {} ({} parameters)", draft.with(|d| d.label()), draft.with(|d| d.params(channels()))) }}
                    </button>
                </fieldset>
                <TrainingControls settings=settings get=|s: &Part7| &s.train set=|s: &mut Part7| &mut s.train running=running />
            </Controls>
            <section>
                <h2>"Queue"</h2>
                <ol class="queue" data-testid="queue">
                    {move || settings.with(|s| s.rows.clone()).into_iter().enumerate().map(|(i, r)| view! {
                        <li data-label=r.label() data-params=r.params(channels())>
                            {format!("{} — {} parameters ", r.label(), r.params(channels()))}
                            <button type="button" aria-label=format!("Remove {}", r.label()) prop:disabled=running
                                on:click=move |_| settings.update(|s| { s.rows.remove(i); })>"Remove"</button>
                        </li>
                    }).collect_view()}
                </ol>
                <div class="actions">
                    <button type="button" class="primary" data-testid="train" prop:disabled=move || running.get() || settings.with(|s| s.rows.is_empty())
                        on:click=move |_| runs.start(settings.with(|s| s.configs()))>"Run the queue"</button>
                    <Estimate configs=Signal::derive(move || settings.with(|s| s.configs())) />
                    <button type="button" data-testid="csv" prop:disabled=move || runs.view.with(|r| r.series.is_empty() || r.phase == Phase::Running)
                        on:click=move |_| { runs.view.with_untracked(|r| download_text("resnet-lab-part7.csv", "text/csv", &csv(&r.series))); }>"Export CSV"</button>
                </div>
            </section>
            <Progress run=runs.view on_cancel=move || runs.cancel() />
            <LineChart lines=runs.loss_lines() chance=runs.chance_loss() title="Training loss per step" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <LineChart lines=acc_lines title="Held-out accuracy per epoch" x_desc="epoch" y_desc="accuracy (%)" testid="acc-chart" />
            <table class="numbers wide" data-testid="results">
                <thead><tr><th>"variant"</th><th>"parameters"</th><th>"training loss (last epoch)"</th><th>"held-out accuracy (± 95 %)"</th><th>"first ÷ last layer gradient (late)"</th><th>"images/s"</th></tr></thead>
                <tbody>
                    {move || runs.view.with(|r| r.series.iter().filter_map(|s| s.summary.clone()).map(|m| view! {
                        <tr data-series=m.label.clone() data-params=m.params data-final-loss=m.final_loss data-val-acc=m.final_val_accuracy>
                            <th scope="row">{m.label.clone()}</th><td>{m.params}</td><td>{format!("{:.3}", m.final_loss)}</td>
                            <td>{crate::pages::readouts::held_out_accuracy(&m)}</td><td>{format!("{:.3}×", m.first_last_ratio_late)}</td><td>{format!("{:.0}", m.images_per_sec)}</td>
                        </tr>
                    }).collect_view())}
                </tbody>
            </table>
            <Readout title="What this comparison shows" sentences=Signal::derive(sentences) />
            <SeedRepeat configs=Signal::derive(move || settings.with(|s| s.configs())) busy=running />
        </PageShell>
    }
}
