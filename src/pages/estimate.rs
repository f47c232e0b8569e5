//! Before a run: about how long it will take here. The pace (milliseconds per unit of work) is
//! measured by the last run in this tab; the work of a run is counted from its plan, so a deeper,
//! wider or longer run is estimated before it starts, without timing anything.

use crate::lab::experiment::ExperimentConfig;

/// One training step's work, in arbitrary units: the activations of a batch (the forward and the
/// backward pass both touch each) plus the parameters (their gradients and the update).
pub fn step_units(c: &ExperimentConfig) -> f64 {
    let d = &c.data;
    let spec = c.model.resolve(d.channels, d.classes);
    let batch = c.batch.min(d.train_len().max(1));
    batch as f64 * spec.activation_floats(d.size) as f64 + spec.params() as f64
}

/// The pace a finished run measured: its median step time over its step's work.
pub fn pace(c: &ExperimentConfig, step_ms: f64) -> Option<f64> {
    let units = step_units(c);
    (step_ms > 0.0 && step_ms.is_finite() && units > 0.0).then(|| step_ms / units)
}

/// Seconds `configs` take at `ms_per_unit`: every training step, and a held-out pass per epoch (a
/// forward pass, about a third of a step's work per batch).
pub fn seconds(configs: &[ExperimentConfig], ms_per_unit: f64) -> f64 {
    configs
        .iter()
        .map(|c| {
            let steps = c.steps_total().saturating_sub(c.resume.as_ref().map_or(0, |r| r.step)) as f64;
            let held_out = (c.data.samples - c.data.train_len()) as f64;
            let eval = c.epochs as f64 * (held_out / c.batch.max(1) as f64).ceil() / 3.0;
            (steps + eval) * step_units(c) * ms_per_unit
        })
        .sum::<f64>()
        / 1000.0
}

/// "about 40 s", "about 3 min", "about 1.5 h".
pub fn describe(secs: f64) -> String {
    match secs {
        s if s < 1.0 => "under a second".into(),
        s if s < 90.0 => format!("about {s:.0} s"),
        s if s < 5400.0 => format!("about {:.0} min", s / 60.0),
        s => format!("about {:.1} h", s / 3600.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::model::{Family, ModelSpec, Skip};

    #[test]
    fn work_scales_with_the_run() {
        let mut c = ExperimentConfig::tiny_for_test();
        c.model = ModelSpec::new(Family::Cifar, 8, Skip::Identity).with_width(4);
        let ms = pace(&c, 20.0).unwrap();
        // At the pace it measured, one step of the same run costs what it measured.
        assert!((step_units(&c) * ms - 20.0).abs() < 1e-9);
        let one = seconds(std::slice::from_ref(&c), ms);
        assert!(one > 0.0);
        // Twice the epochs, twice the time; two configs, the sum; a wider net, more.
        let longer = ExperimentConfig { epochs: c.epochs * 2, ..c.clone() };
        assert!((seconds(std::slice::from_ref(&longer), ms) / one - 2.0).abs() < 1e-9);
        assert!((seconds(&[c.clone(), c.clone()], ms) / one - 2.0).abs() < 1e-9);
        let wider = ExperimentConfig { model: c.model.clone().with_width(16), ..c.clone() };
        assert!(seconds(std::slice::from_ref(&wider), ms) > 2.0 * one);
        assert_eq!(pace(&c, 0.0), None);
        assert_eq!(
            (describe(0.4), describe(42.4), describe(600.0), describe(9000.0)),
            ("under a second".into(), "about 42 s".into(), "about 10 min".into(), "about 2.5 h".into())
        );
    }
}
