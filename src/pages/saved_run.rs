//! A run's whole result as a file: the page and its settings, every series' per-step losses, per-epoch
//! numbers and summary. Downloaded from any training page and opened again on any of them, where it
//! is drawn under the new run for comparison.

use serde::{Deserialize, Serialize};

use super::run_view::Series;
use crate::lab::experiment::{EpochStats, Summary};

const FORMAT: &str = "resnet-lab-run";
const VERSION: u32 = 1;
/// More than any page trains; a file beyond these is not one of ours (or was edited).
const MAX_SERIES: usize = 64;
const MAX_POINTS: usize = 2_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub label: String,
    /// (step, loss) for every step with a finite loss.
    pub losses: Vec<(f32, f32)>,
    pub epochs: Vec<EpochStats>,
    pub summary: Option<Summary>,
    pub failed: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    pub format: String,
    pub version: u32,
    /// The page's slug and its settings as a URL query: enough to run it again.
    pub page: String,
    pub settings: String,
    pub series: Vec<SavedSeries>,
}

impl SavedRun {
    pub fn of(page: &str, settings: &str, series: &[Series]) -> SavedRun {
        SavedRun {
            format: FORMAT.into(),
            version: VERSION,
            page: page.into(),
            settings: settings.trim_start_matches('?').into(),
            series: series
                .iter()
                .map(|s| SavedSeries {
                    label: s.label.clone(),
                    // JSON has no NaN: a diverged step is left out (the series' `failed` says why).
                    losses: s.losses.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect(),
                    epochs: s.epochs.clone(),
                    summary: s.summary.clone(),
                    failed: s.failed.clone(),
                })
                .collect(),
        }
    }

    /// Reads a file a user opened: refused with a reason unless it is a saved run this version reads.
    pub fn parse(text: &str) -> Result<SavedRun, String> {
        let run: SavedRun = serde_json::from_str(text).map_err(|e| format!("not a saved ResNet Lab run ({e})"))?;
        if run.format != FORMAT {
            return Err(format!("not a saved ResNet Lab run (format '{}')", run.format.chars().take(40).collect::<String>()));
        }
        if run.version != VERSION {
            return Err(format!("a saved run of version {}; this lab reads version {VERSION}", run.version));
        }
        if run.series.is_empty() || run.series.len() > MAX_SERIES {
            return Err(format!("a saved run with {} series (1 to {MAX_SERIES} expected)", run.series.len()));
        }
        let points: usize = run.series.iter().map(|s| s.losses.len()).sum();
        if points > MAX_POINTS {
            return Err(format!("a saved run with {points} points (at most {MAX_POINTS})"));
        }
        if run.series.iter().flat_map(|s| &s.losses).any(|p| !p.0.is_finite() || !p.1.is_finite()) {
            return Err("a saved run with a non-finite loss".into());
        }
        Ok(run)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a saved run is plain data")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_one() {
        let mut a = Series::finished_for_test("Plain-8", 1.2, 0.4, 1.0);
        a.losses = vec![(1.0, 2.3), (2.0, f32::NAN), (3.0, 1.9)];
        let run = SavedRun::of("part6", "?page=part6&depth=8", &[a, Series::finished_for_test("ResNet-8", 0.9, 0.6, 1.0)]);
        assert_eq!(run.settings, "page=part6&depth=8");
        assert_eq!(run.series[0].losses, vec![(1.0, 2.3), (3.0, 1.9)], "the NaN step is left out");
        let back = SavedRun::parse(&run.to_json()).unwrap();
        assert_eq!(back, run);
        assert!(SavedRun::parse("{\"format\": 1").unwrap_err().contains("not a saved ResNet Lab run"));
        let other = run.to_json().replace("resnet-lab-run", "resnet-lab-checkpoint");
        assert!(SavedRun::parse(&other).unwrap_err().contains("format 'resnet-lab-checkpoint'"));
        let newer = run.to_json().replace("\"version\":1", "\"version\":7");
        assert!(SavedRun::parse(&newer).unwrap_err().contains("version 7"));
        let empty = SavedRun { series: vec![], ..run };
        assert!(SavedRun::parse(&empty.to_json()).unwrap_err().contains("0 series"));
    }
}
