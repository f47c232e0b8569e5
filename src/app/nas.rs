//! Bonus — the skip-pattern search, live: each generation's untrained genomes go to the worker as one
//! run; their results feed [`Search`], which breeds the next generation; at the end the best pattern is
//! retrained against identity everywhere and no skips over three seeds.

use leptos::prelude::*;

use super::bar_chart::{Bar, BarChart};
use super::chart::{Line, LineChart};
use super::controls::{Readout, Select, Slider};
use super::export::download_text;
use super::net_diagram::NetDiagram;
use super::page::{use_page_state, Controls, Lede, PageShell};
use super::progress::Progress;
use super::runs::Runs;
use super::training_controls::TrainingControls;
use crate::lab::model::{ModelSpec, SkipPattern};
use crate::lab::search::{Evaluation, Search};
use crate::pages::nas::{final_arms, readout, title, Nas, ALPHAS, CHOICES, FINAL_SEEDS};
use crate::pages::page::PageState;
use crate::pages::run_view::{Phase, RunView};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Idle,
    Searching,
    Finals,
    Finished,
    /// Cancelled or failed: what was found is kept.
    Stopped(Phase),
}

#[component]
pub fn NasPage() -> impl IntoView {
    let (settings, notes) = use_page_state::<Nas>();
    // The search's state lives beside its runs (genomes, generations): a run alone is not worth restoring.
    let generation = Runs::not_kept();
    let finals = Runs::not_kept();
    let search = RwSignal::new(None::<Search>);
    let stage = RwSignal::new(Stage::Idle);
    // The genomes of the generation run in flight, in series order.
    let sent = RwSignal::new(Vec::<SkipPattern>::new());
    let handled = StoredValue::new(0u32);
    // Steps finished by earlier requests of this search, and when it started: the overall progress.
    let steps_before = RwSignal::new(0usize);
    let started = RwSignal::new(0.0f64);
    let start_error = RwSignal::new(None::<String>);
    let running = Signal::derive(move || matches!(stage.get(), Stage::Searching | Stage::Finals));

    let start_finals = move || {
        let configs = search.with_untracked(|s| {
            let s = s.as_ref()?;
            Some(s.config.finals(&s.best()?.0, FINAL_SEEDS))
        });
        match configs {
            Some(c) => {
                stage.set(Stage::Finals);
                finals.start(c);
            }
            None => stage.set(Stage::Finished),
        }
    };
    // Sends the current generation's untrained genomes; generations found wholly in the cache advance at once.
    let send_generation = move || loop {
        let todo = search.with_untracked(|s| s.as_ref().map(|s| (s.pending(), s.finished)));
        let Some((todo, false)) = todo else { return };
        if todo.is_empty() {
            if !search.try_update(|s| s.as_mut().is_some_and(Search::advance)).unwrap_or(false) {
                start_finals();
                return;
            }
            continue;
        }
        let configs =
            search.with_untracked(|s| s.as_ref().map(|s| todo.iter().map(|p| s.config.candidate(p)).collect()).unwrap_or_default());
        sent.set(todo);
        generation.start(configs);
        return;
    };
    // A generation's run ended: fold its results in (a cancelled one keeps the genomes that finished).
    Effect::new(move |_| {
        let (phase, id, done) = generation.view.with(|r| (r.phase, r.id, r.done_steps));
        if stage.get_untracked() != Stage::Searching || matches!(phase, Phase::Running | Phase::Idle) || handled.get_value() == id {
            return;
        }
        handled.set_value(id);
        steps_before.update(|b| *b += done);
        let results: Vec<(SkipPattern, Evaluation)> = generation.view.with_untracked(|r| {
            sent.get_untracked()
                .into_iter()
                .zip(&r.series)
                .filter_map(|(p, s)| {
                    let e = match (&s.summary, &s.failed) {
                        (Some(m), _) => Evaluation::from_summary(m),
                        (None, Some(f)) => Evaluation::failed(f.clone(), 0),
                        _ => return None,
                    };
                    Some((p, e))
                })
                .collect()
        });
        search.update(|s| {
            if let Some(s) = s {
                results.iter().for_each(|(p, e)| s.record(p, e.clone()));
            }
        });
        match phase {
            Phase::Done => send_generation(),
            other => stage.set(Stage::Stopped(other)),
        }
    });
    Effect::new(move |_| {
        let phase = finals.view.with(|r| r.phase);
        if stage.get_untracked() == Stage::Finals && !matches!(phase, Phase::Running | Phase::Idle) {
            stage.set(if phase == Phase::Done { Stage::Finished } else { Stage::Stopped(phase) });
        }
    });

    let start = move |_| {
        let nas = settings.get_untracked();
        match Search::new(nas.config()) {
            Err(e) => start_error.set(Some(e)),
            Ok(s) => {
                start_error.set(None);
                search.set(Some(s));
                steps_before.set(0);
                started.set(js_sys::Date::now());
                finals.view.set(RunView::default());
                stage.set(Stage::Searching);
                send_generation();
            }
        }
    };
    let cancel = move || {
        generation.cancel();
        finals.cancel();
    };

    // The whole search as one progress bar: steps so far against the most it can still take.
    let overall = Signal::derive(move || {
        let st = stage.get();
        let active = if matches!(st, Stage::Finals | Stage::Finished) { finals } else { generation };
        // Still to come after the run in flight: later generations (at most) and the final check.
        let later = if st == Stage::Searching {
            search.with(|s| s.as_ref().map_or(0, |s| s.steps_after_this_generation() + 3 * FINAL_SEEDS * s.config.steps))
        } else {
            0
        };
        let before = steps_before.get();
        active.view.with(|r| RunView {
            id: r.id,
            phase: match st {
                Stage::Idle => Phase::Idle,
                Stage::Searching | Stage::Finals => Phase::Running,
                Stage::Finished => Phase::Done,
                Stage::Stopped(p) => p,
            },
            series: vec![],
            planned_steps: before + r.planned_steps + later,
            done_steps: before + r.done_steps,
            started_ms: started.get(),
            now_ms: r.now_ms,
            error: r.error.clone(),
            loading: r.loading.clone(),
            classes: r.classes,
            // The pace over the whole search (every generation), from when it started.
            first_step_ms: None,
            restored: false,
        })
    });

    let fitness_lines = Signal::derive(move || {
        search.with(|s| {
            let h = s.as_ref().map(|s| s.history.clone()).unwrap_or_default();
            let line = |label: &str, f: fn(&crate::lab::search::GenerationStats) -> f64| Line {
                label: label.to_string(),
                points: h.iter().map(|g| (g.generation as f32, f(g) as f32)).collect(),
            };
            if h.is_empty() {
                return vec![];
            }
            vec![line("best", |g| g.best), line("median", |g| g.median), line("worst", |g| g.worst)]
        })
    });
    let best_plan = Signal::derive(move || {
        search.with(|s| {
            let s = s.as_ref()?;
            let (best, _, _) = s.best()?;
            let d = &s.config.training.data;
            let model = ModelSpec { pattern: None, ..s.config.backbone.clone() }.with_pattern(best);
            Some((model.resolve(d.channels, d.classes), d.size))
        })
    });
    let final_bars = Signal::derive(move || {
        finals
            .view
            .with(|r| final_arms(&r.series).into_iter().map(|(name, (m, _), _)| Bar { label: name.to_string(), value: m as f64 }).collect())
    });
    let sentences = Signal::derive(move || {
        let mut out: Vec<String> = start_error.get().into_iter().collect();
        if running.get() {
            return out;
        }
        finals.view.with(|f| search.with(|s| out.extend(s.as_ref().map(|s| readout(s, &f.series)).unwrap_or_default())));
        if out.is_empty() {
            out.push(
                "Press “Start the search”: the fitness chart, the population and the best genome appear as generations finish.".into(),
            );
        }
        out
    });
    let export_best = move |_| {
        search.with_untracked(|s| {
            if let Some((best, _, _)) = s.as_ref().and_then(Search::best) {
                let config = s.as_ref().unwrap().config.candidate(&best);
                download_text("best-skip-pattern.json", "application/json", &serde_json::to_string_pretty(&config).unwrap_or_default());
            }
        });
    };
    let export_search = move |_| {
        let config = settings.with_untracked(|s| s.config());
        download_text("skip-search.json", "application/json", &serde_json::to_string_pretty(&config).unwrap_or_default());
    };
    let export_csv = move |_| {
        search.with_untracked(|s| s.as_ref().map(|s| download_text("skip-search-genomes.csv", "text/csv", &s.csv())));
    };
    let has_best = Signal::derive(move || search.with(|s| s.as_ref().is_some_and(|s| !s.cache.is_empty())));
    let estimate =
        move || settings.with(|s| format!("At most {} training steps ({} genes per genome).", s.steps_at_most(), s.config().genes()));

    view! {
        <PageShell slug=Nas::SLUG notes=notes>
            <Lede slot>
                "Which blocks need a shortcut, and which kind? A genome here gives every block of a CIFAR ResNet "
                "its own skip (none, identity, projection, channel weights, attention, dense), optionally with a fixed "
                "strength α in x + α·F(x). An evolutionary search trains each genome briefly, keeps the fittest, and "
                "breeds the next generation by tournament, crossover and mutation. The last step is the honest one: "
                "the best pattern found is retrained against identity everywhere and against no skips, over three seeds."
            </Lede>
            <Controls slot>
                <fieldset>
                    <legend>"Genes: skips a block may get"</legend>
                    {CHOICES.iter().map(|&v| view! {
                        <label class="check">
                            <input type="checkbox" data-testid=format!("choice-{}", v.name())
                                prop:checked=move || settings.with(|s| s.choices.contains(&v)) prop:disabled=running
                                on:change=move |ev| settings.update(|s| {
                                    s.choices.retain(|&x| x != v);
                                    if event_target_checked(&ev) { s.choices.push(v); }
                                    s.choices.sort_by_key(|x| CHOICES.iter().position(|y| y == x));
                                    if s.choices.is_empty() { s.choices.push(v); }
                                }) />
                            {format!(" {}", title(v))}
                        </label>
                    }).collect_view()}
                    <Select id="alphas" label="Strength α of the residual (x + α·F(x))"
                        options=ALPHAS.iter().map(|a| (*a, *a)).collect()
                        value=Signal::derive(move || settings.with(|s| s.alphas.clone()))
                        on_change=move |v| settings.update(|s| s.alphas = v) disabled=running />
                </fieldset>
                <fieldset>
                    <legend>"Backbone and search"</legend>
                    <Slider id="depth".into() label="Depth (6n + 2; genes = (depth − 2) / 2)".into() min=8.0 max=32.0 step=6.0
                        value=Signal::derive(move || settings.with(|s| s.depth as f64))
                        on_change=move |v| settings.update(|s| s.depth = crate::pages::query::snap_depth(v as usize, 6, 8)) disabled=running />
                    <Slider id="width".into() label="Width (channels of the first stage)".into() hint="Channels of the first stage; each later stage doubles them." min=2.0 max=16.0 step=2.0
                        value=Signal::derive(move || settings.with(|s| s.width as f64))
                        on_change=move |v| settings.update(|s| s.width = v as usize) disabled=running />
                    <Slider id="population".into() label="Population (genomes per generation)".into() min=2.0 max=16.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.population as f64))
                        on_change=move |v| settings.update(|s| { s.population = v as usize; s.tournament = s.tournament.min(s.population) }) disabled=running />
                    <Slider id="generations".into() label="Generations".into() min=1.0 max=10.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.generations as f64))
                        on_change=move |v| settings.update(|s| s.generations = v as usize) disabled=running />
                    <Slider id="mutation".into() label="Mutation rate (chance a child's gene is redrawn)".into() min=0.0 max=1.0 step=0.05
                        value=Signal::derive(move || settings.with(|s| s.mutation))
                        on_change=move |v| settings.update(|s| s.mutation = (v * 100.0).round() / 100.0) disabled=running />
                    <Slider id="tournament".into() label="Tournament size (genomes drawn per parent pick)".into() min=1.0
                        max=Signal::derive(move || settings.with(|s| s.population as f64)) step=1.0
                        value=Signal::derive(move || settings.with(|s| s.tournament as f64))
                        on_change=move |v| settings.update(|s| s.tournament = (v as usize).min(s.population)) disabled=running />
                    <Slider id="steps".into() label="Training steps per genome (the budget)".into() min=1.0 max=200.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.steps as f64))
                        on_change=move |v| settings.update(|s| s.steps = v as usize) disabled=running />
                    <Slider id="penalty".into() label="Parameter penalty (accuracy points per 1,000 parameters)".into() min=0.0 max=10.0 step=0.1
                        value=Signal::derive(move || settings.with(|s| s.penalty))
                        on_change=move |v| settings.update(|s| s.penalty = (v * 10.0).round() / 10.0) disabled=running />
                    <Slider id="search_seed".into() label="Search seed (which genomes are drawn)".into() min=0.0 max=100.0 step=1.0
                        value=Signal::derive(move || settings.with(|s| s.search_seed as f64))
                        on_change=move |v| settings.update(|s| s.search_seed = v as u64) disabled=running />
                </fieldset>
                <TrainingControls settings=settings get=|s: &Nas| &s.train set=|s: &mut Nas| &mut s.train running=running hide_epochs=true />
                <div class="actions">
                    <p class="hint">{estimate}</p>
                    <button type="button" class="primary" data-testid="train" prop:disabled=running on:click=start>"Start the search"</button>
                </div>
            </Controls>
            <Progress run=overall on_cancel=cancel />
            <LineChart lines=fitness_lines title="Fitness per generation (held-out accuracy % − parameter penalty)" x_desc="generation" y_desc="fitness" testid="fitness-chart" />
            <table class="numbers wide" data-testid="population">
                <caption>{move || search.with(|s| s.as_ref().map(|s| format!("Population of generation {} (fittest first)", s.generation + 1)).unwrap_or_else(|| "Population".into()))}</caption>
                <thead><tr><th scope="col">"genome (one code per block)"</th><th scope="col">"held-out accuracy"</th><th scope="col">"held-out loss"</th><th scope="col">"parameters"</th><th scope="col">"fitness"</th></tr></thead>
                <tbody>
                    {move || search.with(|s| s.as_ref().map(Search::members).unwrap_or_default()).into_iter().map(|m| {
                        let e = m.evaluation.clone();
                        view! {
                            <tr data-pattern=m.pattern.to_string() data-fitness=m.fitness.map(|f| f.to_string()).unwrap_or_default()>
                                <th scope="row"><code class="genome">{m.pattern.to_string()}</code></th>
                                <td>{e.as_ref().map(|e| format!("{:.1}%", e.val_accuracy * 100.0)).unwrap_or_else(|| "…".into())}</td>
                                <td>{e.as_ref().map(|e| if let Some(f) = &e.failed { f.clone() } else { format!("{:.3}", e.val_loss) }).unwrap_or_default()}</td>
                                <td>{e.as_ref().map(|e| e.params.to_string()).unwrap_or_default()}</td>
                                <td>{m.fitness.map(|f| format!("{f:.2}")).unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <section class="best-genome">
                <h2>"The best genome so far, drawn"</h2>
                <div class="actions">
                    <button type="button" data-testid="export-best" prop:disabled=move || !has_best.get() on:click=export_best>"Download the best as an experiment (lab train)"</button>
                    <button type="button" data-testid="export-search" on:click=export_search>"Download this search's config (lab search)"</button>
                    <button type="button" data-testid="export-genomes" prop:disabled=move || !has_best.get() on:click=export_csv>"Every genome as CSV"</button>
                </div>
                <NetDiagram plan=best_plan testid="net-diagram" />
            </section>
            <LineChart lines=generation.loss_lines() chance=generation.chance_loss() title="Training loss of this generation's genomes" x_desc="step" y_desc="cross-entropy loss" testid="loss-chart" />
            <BarChart bars=final_bars title="Final check: held-out accuracy, mean over three seeds" y_desc="accuracy (%)" testid="finals-chart"
                fmt=|v| format!("{v:.1}%") />
            <Readout title="What this search shows" sentences=sentences />
        </PageShell>
    }
}
