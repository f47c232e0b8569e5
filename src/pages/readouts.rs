//! Readout sentences that several pages share, computed from a run's measurements.

use super::run_view::Series;
use crate::lab::experiment::Summary;
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

/// The lowest and the highest of `xs`.
pub fn range(xs: &[f32]) -> (f32, f32) {
    xs.iter().fold((f32::MAX, f32::MIN), |(l, h), &x| (l.min(x), h.max(x)))
}

/// Mean and spread (half the range) of `xs`: how repeated runs with different seeds are summarised.
pub fn mean_spread(xs: &[f32]) -> (f32, f32) {
    let n = xs.len().max(1) as f32;
    let mean = xs.iter().sum::<f32>() / n;
    let (lo, hi) = range(xs);
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

/// Half the width of a rough 95 % interval for an accuracy `acc` (0–1) measured on `n` images, in
/// percentage points (the normal approximation of the binomial, never below one image's worth).
pub fn accuracy_noise(acc: f32, n: usize) -> Option<f32> {
    (n > 0).then(|| {
        let p = acc.clamp(0.0, 1.0);
        (1.96 * (p * (1.0 - p) / n as f32).sqrt()).max(1.0 / n as f32) * 100.0
    })
}

/// "56.2% ± 9.9 (96 held-out images)", or just the percentage when the count is unknown.
pub fn held_out_accuracy(m: &Summary) -> String {
    match accuracy_noise(m.final_val_accuracy, m.held_out) {
        Some(e) => format!("{:.1}% ± {e:.1} ({} held-out images)", m.final_val_accuracy * 100.0, m.held_out),
        None => format!("{:.1}%", m.final_val_accuracy * 100.0),
    }
}

/// What makes a side-by-side comparison fair to read: nets more than 10 % larger than the smallest
/// (an edge may be size alone), and the top two held-out accuracies when they are within the noise
/// of their held-out sets.
pub fn comparison_notes(series: &[Series]) -> Vec<String> {
    let done: Vec<&Summary> = series.iter().filter_map(|s| s.summary.as_ref()).collect();
    let mut out = vec![];
    if done.len() < 2 {
        return out;
    }
    let smallest = done.iter().min_by_key(|m| m.params).expect("two or more");
    let bigger: Vec<String> = done
        .iter()
        .filter(|m| m.params as f64 > 1.1 * smallest.params as f64)
        .map(|m| {
            format!(
                "{} ({} parameters, {:+.0} %)",
                m.label,
                grouped(m.params as u64, ','),
                (m.params as f64 / smallest.params as f64 - 1.0) * 100.0
            )
        })
        .collect();
    if !bigger.is_empty() {
        out.push(format!(
            "Not the same size: {} against {} with {} parameters. A larger net can win by size alone.",
            bigger.join(", "),
            smallest.label,
            grouped(smallest.params as u64, ',')
        ));
    }
    let falling: Vec<String> = series
        .iter()
        .filter(|s| s.summary.is_some())
        .filter_map(|s| still_falling(&s.losses).map(|d| format!("{} ({:.0} %)", s.label, d * 100.0)))
        .collect();
    if !falling.is_empty() {
        out.push(format!(
            "Still falling at the end (the last tenth of the steps below the tenth before): {}. A longer run may change the order.",
            falling.join(", ")
        ));
    }
    let mut ranked = done.clone();
    ranked.sort_by(|a, b| b.final_val_accuracy.total_cmp(&a.final_val_accuracy));
    let (a, b) = (ranked[0], ranked[1]);
    if let (Some(ea), Some(eb)) = (accuracy_noise(a.final_val_accuracy, a.held_out), accuracy_noise(b.final_val_accuracy, b.held_out)) {
        let gap = (a.final_val_accuracy - b.final_val_accuracy) * 100.0;
        let noise = (ea * ea + eb * eb).sqrt();
        if gap < noise {
            out.push(format!(
                "{} and {} are {gap:.1} points apart in held-out accuracy, within the ±{noise:.1} points that {} and {} held-out images allow: this run cannot rank them (more samples or other seeds would).",
                a.label, b.label, a.held_out, b.held_out
            ));
        }
    }
    out
}

/// How much lower the mean loss of the last tenth of the steps is than that of the tenth before, when
/// it is more than 2 % lower (a curve still going down); `None` for fewer than 20 steps.
pub fn still_falling(losses: &[(f32, f32)]) -> Option<f32> {
    let n = losses.len();
    if n < 20 {
        return None;
    }
    let k = n / 10;
    let mean = |s: &[(f32, f32)]| s.iter().map(|p| p.1).sum::<f32>() / s.len() as f32;
    let (before, last) = (mean(&losses[n - 2 * k..n - k]), mean(&losses[n - k..]));
    let drop = (before - last) / before;
    (drop.is_finite() && drop > 0.02).then_some(drop)
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

    #[test]
    fn comparisons_flag_size_gaps_and_noise() {
        let s = |label: &str, acc: f32, params: usize, held_out: usize| {
            let mut s = Series::finished_for_test(label, 1.0, acc, 1.0);
            let m = s.summary.as_mut().unwrap();
            (m.params, m.held_out) = (params, held_out);
            s
        };
        // 96 images: 40.6 % has a 95 % half-width of 1.96·√(0.406·0.594/96) = 9.8 points.
        assert!((accuracy_noise(0.406, 96).unwrap() - 9.82).abs() < 0.01);
        assert_eq!(accuracy_noise(0.5, 0), None);
        // Part 7's case: dense 63,026 vs identity 43,634 parameters, 56.2 % vs 40.6 % on 96 images
        // each. The gap, 15.6 points, is just outside the ±14.0 of the difference: only the size is flagged.
        let notes = comparison_notes(&[s("identity", 0.406, 43_634, 96), s("dense", 0.562, 63_026, 96)]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("dense (63,026 parameters, +44 %) against identity with 43,634"), "{notes:?}");
        // 52.1 % vs 40.6 %: 11.5 points, within the noise.
        let notes = comparison_notes(&[s("identity", 0.406, 43_634, 96), s("dense", 0.521, 63_026, 96)]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].contains("11.5 points apart") && notes[1].contains("±14.0") && notes[1].contains("cannot rank them"), "{notes:?}");
        // Same size, 10,000 images each: 15.6 points is far outside the noise; nothing to say.
        assert!(comparison_notes(&[s("identity", 0.406, 43_634, 10_000), s("dense", 0.562, 44_000, 10_000)]).is_empty());
        // One series: no comparison.
        assert!(comparison_notes(&[s("identity", 0.406, 43_634, 96)]).is_empty());
        assert_eq!(held_out_accuracy(s("a", 0.5, 1, 100).summary.as_ref().unwrap()), "50.0% ± 9.8 (100 held-out images)");
        // A curve still going down at the end is named; a flat one is not.
        let falling: Vec<(f32, f32)> = (0..40).map(|i| (i as f32, 2.0 - i as f32 * 0.03)).collect();
        let flat: Vec<(f32, f32)> = (0..40).map(|i| (i as f32, 1.0 + (i % 2) as f32 * 0.001)).collect();
        assert!((still_falling(&falling).unwrap() - 0.1206).abs() < 1e-3, "{:?}", still_falling(&falling));
        assert_eq!(still_falling(&flat), None);
        assert_eq!(still_falling(&falling[..10]), None);
        let mut a = s("identity", 0.5, 100, 10_000);
        a.losses = falling;
        let mut b = s("dense", 0.5, 100, 10_000);
        b.losses = flat;
        let notes = comparison_notes(&[a, b]);
        assert!(
            notes.iter().any(|n| n.contains("Still falling at the end") && n.contains("identity (12 %)") && !n.contains("dense (")),
            "{notes:?}"
        );
    }
}
