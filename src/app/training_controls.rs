//! The data and optimiser controls every training page shares (bound to a page's [`Training`]).

use leptos::prelude::*;

use super::controls::{Select, Slider};
use crate::lab::data::DataKind;
use crate::lab::experiment::Schedule;
use crate::pages::training::{Training, EPOCHS_MAX, GAMMA_CHOICES, LR_CHOICES, MOMENTUM_CHOICES, SAMPLES_MAX, WD_CHOICES};

/// `get`/`set` reach the page's [`Training`] inside its settings signal.
#[component]
pub fn TrainingControls<S: Send + Sync + 'static>(
    settings: RwSignal<S>,
    get: fn(&S) -> &Training,
    set: fn(&mut S) -> &mut Training,
    #[prop(into)] running: Signal<bool>,
    /// Pages that budget in steps (the search) have no epochs to set.
    #[prop(optional)]
    hide_epochs: bool,
    /// The pipeline's long runs lift the caps every other page keeps.
    #[prop(default = SAMPLES_MAX)]
    samples_max: usize,
    #[prop(default = EPOCHS_MAX)] epochs_max: usize,
) -> impl IntoView {
    let read = move |f: fn(&Training) -> f64| Signal::derive(move || settings.with(|s| f(get(s))));
    view! {
        <fieldset>
            <legend>"Data and training"</legend>
            <Select
                id="data"
                label="Dataset"
                options=DataKind::ALL.iter().map(|k| (k.name(), k.title())).collect()
                value=Signal::derive(move || settings.with(|s| get(s).data.name().to_string()))
                on_change=move |v| settings.update(|s| { let t = set(s); t.data = DataKind::parse(&v).unwrap_or(t.data) })
                hint="What the nets learn from: synthetic sets are made from the seed in the tab; real ones are fetched once." disabled=running
            />
            <Slider id="samples".into() label="Samples (a fifth held out)".into() min=40.0 max=samples_max as f64 step=40.0
                value=read(|t| t.samples as f64)
                on_change=move |v| settings.update(|s| set(s).samples = v as usize) hint="Images drawn from the set; one in five is kept aside to measure accuracy on images the net never trained on." disabled=running />
            <Show
                when=move || !settings.with(|s| get(s).data.is_real())
                fallback=move || view! { <p class="hint">"Image size and channels come from the dataset. "<a href=super::page_href("data")>"See the data"</a></p> }
            >
                <Slider id="size".into() label="Image size (pixels)".into() min=8.0 max=32.0 step=8.0
                    value=read(|t| t.size as f64)
                    on_change=move |v| settings.update(|s| set(s).size = v as usize) hint="Height and width of the generated images." disabled=running />
            </Show>
            <Show when=move || !hide_epochs>
                <Slider id="epochs".into() label="Epochs".into() min=1.0 max=epochs_max as f64 step=1.0
                    value=read(|t| t.epochs as f64)
                    on_change=move |v| settings.update(|s| set(s).epochs = v as usize) hint="Passes over the training images." disabled=running />
            </Show>
            <Slider id="batch".into() label="Batch size".into() min=4.0 max=256.0 step=4.0
                value=read(|t| t.batch as f64)
                on_change=move |v| settings.update(|s| set(s).batch = v as usize) hint="Images per step: each step follows their averaged gradient." disabled=running />
            <Select
                id="lr"
                label="Learning rate (SGD)"
                options=LR_CHOICES.iter().map(|v| (*v, *v)).collect()
                value=Signal::derive(move || settings.with(|s| get(s).lr.to_string()))
                on_change=move |v| settings.update(|s| { let t = set(s); t.lr = v.parse().unwrap_or(t.lr) })
                hint="How far each step moves the weights along the gradient; too high and the loss blows up." disabled=running
            />
            <Select
                id="momentum"
                label="Momentum (0 = plain SGD)"
                options=MOMENTUM_CHOICES.iter().map(|v| (*v, *v)).collect()
                value=Signal::derive(move || settings.with(|s| get(s).momentum.to_string()))
                on_change=move |v| settings.update(|s| { let t = set(s); t.momentum = v.parse().unwrap_or(t.momentum) })
                hint="How much of the previous steps’ direction each step keeps (0.9: roughly an average over the last 10 steps)." disabled=running
            />
            <Select
                id="wd"
                label="Weight decay (L2)"
                options=WD_CHOICES.iter().map(|v| (*v, *v)).collect()
                value=Signal::derive(move || settings.with(|s| get(s).weight_decay.to_string()))
                on_change=move |v| settings.update(|s| { let t = set(s); t.weight_decay = v.parse().unwrap_or(t.weight_decay) })
                hint="Pulls every weight slightly towards 0 at each step, which curbs overfitting." disabled=running
            />
            <Select
                id="schedule"
                label="Learning-rate schedule" hint="How the rate changes over the run: constant, multiplied by γ every k epochs (step), or a cosine curve down to zero."
                options=vec![
                    ("constant", "constant"),
                    ("step", "step: × γ every k epochs"),
                    ("milestones", "milestones: × γ at chosen epochs"),
                    ("cosine", "cosine down to 0"),
                ]
                value=Signal::derive(move || settings.with(|s| match get(s).schedule {
                    Schedule::Constant => "constant",
                    Schedule::Step { .. } => "step",
                    Schedule::Milestones { .. } => "milestones",
                    Schedule::Cosine => "cosine",
                }.to_string()))
                on_change=move |v| settings.update(|s| {
                    let t = set(s);
                    t.schedule = match v.as_str() {
                        "step" => Schedule::Step { every: 5, gamma: 0.1 },
                        // Half and three quarters of the run, as the CIFAR recipes do.
                        "milestones" => Schedule::Milestones { epochs: vec![(t.epochs / 2).max(1), (t.epochs * 3 / 4).max(2)], gamma: 0.1 },
                        "cosine" => Schedule::Cosine,
                        _ => Schedule::Constant,
                    }
                })
                disabled=running
            />
            <Show when=move || matches!(settings.with(|s| get(s).schedule.clone()), Schedule::Step { .. })>
                <Slider id="step-every".into() label="Step every k epochs".into() hint="With the step schedule: after every k epochs the rate is multiplied by γ." min=1.0 max=50.0 step=1.0
                    value=read(|t| if let Schedule::Step { every, .. } = t.schedule { every as f64 } else { 5.0 })
                    on_change=move |v| settings.update(|s| if let Schedule::Step { every, .. } = &mut set(s).schedule { *every = v as usize })
                    disabled=running />
            </Show>
            <Show when=move || matches!(settings.with(|s| get(s).schedule.clone()), Schedule::Milestones { .. })>
                <div class="control">
                    <label for="milestones">"Milestones (epochs, comma-separated)"</label>
                    <input type="text" id="milestones" spellcheck="false" prop:disabled=running
                        prop:value=move || settings.with(|s| match &get(s).schedule {
                            Schedule::Milestones { epochs, .. } => epochs.iter().map(usize::to_string).collect::<Vec<_>>().join(", "),
                            _ => String::new(),
                        })
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            let mut epochs: Vec<usize> = text.split(',').filter_map(|m| m.trim().parse().ok()).filter(|m| *m >= 1).collect();
                            epochs.sort_unstable();
                            epochs.dedup();
                            epochs.truncate(10);
                            settings.update(|s| if let Schedule::Milestones { epochs: e, .. } = &mut set(s).schedule { *e = epochs });
                        } />
                </div>
            </Show>
            <Show when=move || matches!(settings.with(|s| get(s).schedule.clone()), Schedule::Step { .. } | Schedule::Milestones { .. })>
                <Select
                    id="gamma"
                    label="γ (rate multiplier at each step)" hint="0.1 divides the rate by ten at each step, as the ResNet paper did."
                    options=GAMMA_CHOICES.iter().map(|v| (*v, *v)).collect()
                    value=Signal::derive(move || settings.with(|s| match get(s).schedule {
                        Schedule::Step { gamma, .. } | Schedule::Milestones { gamma, .. } => gamma.to_string(),
                        _ => "0.1".into(),
                    }))
                    on_change=move |v| settings.update(|s| match &mut set(s).schedule {
                        Schedule::Step { gamma, .. } | Schedule::Milestones { gamma, .. } => *gamma = v.parse().unwrap_or(*gamma),
                        _ => {}
                    })
                    disabled=running
                />
            </Show>
            <Slider id="warmup".into() label="Linear warm-up (epochs)".into() min=0.0 max=10.0 step=1.0
                value=read(|t| t.warmup_epochs as f64)
                on_change=move |v| settings.update(|s| set(s).warmup_epochs = v as usize)
                hint="The rate climbs in a straight line from near 0 to its value over these epochs: gentler first steps for deep nets."
                disabled=running />
            <div class="control check">
                <input id="augment" type="checkbox" aria-describedby="augment-hint"
                    prop:checked=move || settings.with(|s| get(s).augment)
                    prop:disabled=running
                    on:change=move |ev| settings.update(|s| set(s).augment = event_target_checked(&ev)) />
                <label for="augment">"Augment (random crop; flips only where they keep the label)"</label>
                <span class="control-hint" id="augment-hint">"Each epoch sees slightly shifted (and mirrored) copies, so the net cannot just memorise the images."</span>
            </div>
            <div class="control">
                <label for="seed">"Seed"</label>
                <input id="seed" type="number" min="0" max="1000000" aria-describedby="seed-hint"
                    prop:value=move || settings.with(|s| get(s).seed.to_string())
                    prop:disabled=running
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u64>() {
                            settings.update(|s| set(s).seed = v.min(1_000_000))
                        }
                    } />
                <span class="control-hint" id="seed-hint">"The same seed gives the same initial weights, data and order: a run can be repeated exactly."</span>
            </div>
        </fieldset>
    }
}
