//! Readout sentences that several pages share, computed from a run's measurements.

use super::run_view::Series;
use crate::lab::gradients::When;

/// Three significant digits, in plain notation where that reads well.
pub fn sig3(x: f32) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() {
        format!("{x}")
    } else if !(1e-3..1e4).contains(&a) {
        format!("{x:.2e}")
    } else {
        let decimals = (2 - a.log10().floor() as i32).max(0) as usize;
        format!("{x:.decimals$}")
    }
}

/// "3.07× the last layer's" or "20.4× smaller than the last layer's".
fn relative(r: f32) -> String {
    if r >= 1.0 {
        format!("{}× the last layer's", sig3(r))
    } else {
        format!("{}× smaller than the last layer's", sig3(1.0 / r))
    }
}

/// Why deep plain BatchNorm nets need not show vanishing gradients (said once per readout).
pub const BATCHNORM_NOTE: &str = "Why the textbook picture can fail here: with BatchNorm every layer's output is re-normalised, so the \
     signal does not fade on its way through a deep plain net, and its gradients need not vanish — they can even explode at \
     initialisation (Yang et al. 2019). The deep plain net's trouble is optimisation: its loss is harder to descend, not \
     starved of gradient (He et al. 2015, §4.1).";

/// What one finished series' gradients did: the first layer against the last at step 1 and late in the
/// run (the median of the last half of the steps), with the numbers the gradient charts show.
/// The flag says whether the run contradicted "gradients vanish towards the input".
pub fn gradient_story(s: &Series) -> Option<(String, bool)> {
    s.summary.as_ref()?;
    let (init, late) = (s.first_last(When::Init)?, s.first_last(When::Late)?);
    let n = s.layer_grads.len();
    let label = &s.label;
    let late_words = When::Late.describe(n);
    let text = if n < 2 {
        format!("{label}: after one step the first layer's gradient was {}.", relative(init))
    } else if init > 1.0 && late < 1.0 {
        format!(
            "{label}: at step 1 the first layer's gradient was {} (an explosion at initialisation); late in the run ({late_words}) it was {} — the input side then got less gradient than the output side.",
            relative(init),
            relative(late)
        )
    } else if late < 1.0 {
        format!(
            "{label}: the first layer's gradient was {} at step 1 and {} late in the run ({late_words}).",
            relative(init),
            relative(late)
        )
    } else {
        format!(
            "{label}: the first layer's gradient was {} at step 1 and {} late in the run ({late_words}): nothing vanished towards the input on this run.",
            relative(init),
            relative(late)
        )
    };
    Some((text, init > 1.0 || late >= 1.0))
}

/// `n` with its thousands separated by `sep`: 1,234,567.
pub fn grouped(n: u64, sep: char) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// Mean and spread (half the range) of `xs`: how repeated runs with different seeds are summarised.
pub fn mean_spread(xs: &[f32]) -> (f32, f32) {
    let n = xs.len().max(1) as f32;
    let mean = xs.iter().sum::<f32>() / n;
    let (lo, hi) = xs.iter().fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)));
    (mean, if xs.len() > 1 { (hi - lo) / 2.0 } else { 0.0 })
}

/// "did not learn (chance level)" for a finished series whose final training loss is within 5% of
/// guessing's ln(classes), or whose held-out accuracy is under 1.2 × guessing's 1/classes.
pub fn chance_note(s: &Series) -> Option<String> {
    let m = s.summary.as_ref()?;
    if m.classes < 2 {
        return None;
    }
    let (loss, acc) = ((m.classes as f32).ln(), 1.0 / m.classes as f32);
    (m.final_loss >= 0.95 * loss || m.final_val_accuracy <= 1.2 * acc).then(|| {
        format!(
            "{} did not learn (chance level): final training loss {:.3} against {:.3} (ln {}) for guessing, held-out accuracy {:.1}% against {:.0}%.",
            s.label,
            m.final_loss,
            loss,
            m.classes,
            m.final_val_accuracy * 100.0,
            acc * 100.0
        )
    })
}

/// The chance-level notes, then [`gradient_stories`]: what every training page says about its series.
pub fn run_notes(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(chance_note).collect();
    out.extend(gradient_stories(series));
    out
}

/// [`gradient_story`] for every finished series, then [`BATCHNORM_NOTE`] once if any contradicted
/// the vanishing-gradient picture.
pub fn gradient_stories(series: &[Series]) -> Vec<String> {
    let stories: Vec<(String, bool)> = series.iter().filter_map(gradient_story).collect();
    let contradicted = stories.iter().any(|s| s.1);
    let mut out: Vec<String> = stories.into_iter().map(|s| s.0).collect();
    if contradicted {
        out.push(BATCHNORM_NOTE.into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(trace: Vec<Vec<f32>>) -> Series {
        Series { layer_grads: trace, ..Series::finished_for_test("Plain-56", 2.0, 0.3, 1.0) }
    }

    #[test]
    fn numbers_grouped_and_seeds_summarised() {
        assert_eq!(grouped(25_557_032, ','), "25,557,032");
        assert_eq!(grouped(999, ','), "999");
        assert_eq!(mean_spread(&[1.0, 2.0, 6.0]), (3.0, 2.5));
        assert_eq!(mean_spread(&[4.0]), (4.0, 0.0));
    }

    #[test]
    fn both_findings_with_their_numbers() {
        // Step 1: 500× the last layer; afterwards 0.05×.
        let mut trace = vec![vec![500.0, 1.0]];
        trace.extend((0..9).map(|_| vec![0.05, 1.0]));
        let (text, contradicted) = gradient_story(&series(trace.clone())).unwrap();
        assert!(
            text.contains("500× the last layer's") && text.contains("20.0× smaller") && text.contains("median of steps 6–10"),
            "{text}"
        );
        assert!(contradicted);
        assert!(gradient_stories(&[series(trace)]).last().unwrap().contains("He et al. 2015"));
        // Vanishing only: no BatchNorm note.
        let trace = vec![vec![0.1, 1.0]; 6];
        let out = gradient_stories(&[series(trace)]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].contains("10.0× smaller") && !out[0].contains("nothing vanished"), "{out:?}");
        let (text, _) = gradient_story(&series(vec![vec![3.0, 1.0]; 6])).unwrap();
        assert!(text.contains("nothing vanished"), "{text}");
        assert_eq!((sig3(0.0123456), sig3(504.4), sig3(3.0e-5)), ("0.0123".into(), "504".into(), "3.00e-5".into()));
    }

    #[test]
    fn chance_level_is_named_exactly_when_it_holds() {
        let s = |loss: f32, acc: f32| Series::finished_for_test("Plain-56", loss, acc, 1.0);
        // ln 10 = 2.303: a loss of 2.267 is within 5% of guessing.
        let note = chance_note(&s(2.267, 0.3)).unwrap();
        assert!(note.contains("did not learn (chance level)") && note.contains("2.303 (ln 10)"), "{note}");
        assert!(chance_note(&s(1.5, 0.11)).is_some(), "11% held-out accuracy is chance for 10 classes");
        assert!(chance_note(&s(1.5, 0.4)).is_none());
        assert_eq!(run_notes(&[s(1.5, 0.4), s(2.3, 0.1)]).iter().filter(|n| n.contains("chance level")).count(), 1);
    }
}
