//! Exercise 4 — very deep networks: bottleneck ResNet-50, -101 and -152 (`[3,4,6,3]`, `[3,4,23,3]`,
//! `[3,8,36,3]` blocks) trained side by side, scaled by a width multiplier so a browser can afford
//! them; each net's memory and step time are estimated before a run, and what would not fit is refused.

use super::page::PageState;
use super::query::Query;
use super::run_view::Series;
use super::training::Training;
use crate::lab::data::DataKind;
use crate::lab::experiment::ExperimentConfig;
use crate::lab::model::spec::MemoryEstimate;
use crate::lab::model::{Family, ModelSpec, Skip};

pub const DEPTHS: [usize; 3] = [50, 101, 152];
/// Width multipliers offered, as divisors of the published widths (64, 128, 256, 512 × 4).
pub const DIVISORS: [usize; 5] = [16, 8, 4, 2, 1];
/// What one training step's estimate may reach: the CPU worker's wasm memory is capped at 4 GiB and
/// also holds the data, the runtime and the backward pass's temporaries (the estimate counts only
/// what is kept), and 1 GiB stays well inside a laptop GPU's memory.
pub const MEMORY_LIMIT_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug, PartialEq)]
pub struct Ex4 {
    /// Which of [`DEPTHS`] to train.
    pub depths: Vec<usize>,
    /// The published widths divided by this (16 → 4, 8, 16, 32 × 4 channels).
    pub divisor: usize,
    pub train: Training,
}

impl Default for Ex4 {
    /// All three depths at 1/16 width on small gratings, a dozen steps each: about a minute on the CPU.
    fn default() -> Self {
        Ex4 {
            depths: DEPTHS.to_vec(),
            divisor: 16,
            train: Training { data: DataKind::Gratings, samples: 200, size: 16, epochs: 1, batch: 16, lr: 0.05, ..Training::default() },
        }
    }
}

impl PageState for Ex4 {
    const SLUG: &'static str = "ex4";

    fn read(q: &mut Query, d: &Ex4) -> Ex4 {
        let mut depths = Vec::new();
        match q.raw("depths").map(str::to_string) {
            None => depths = d.depths.clone(),
            Some(raw) => {
                for part in raw.split(',').filter(|p| !p.is_empty()) {
                    match part.trim().parse::<usize>().ok().filter(|v| DEPTHS.contains(v)) {
                        Some(v) if !depths.contains(&v) => depths.push(v),
                        Some(_) => {}
                        None => q.notes.push(format!("depths: '{part}' is not one of 50, 101, 152; ignored")),
                    }
                }
                if depths.is_empty() {
                    q.notes.push("depths: none left; using all three".into());
                    depths = d.depths.clone();
                }
                depths.sort_unstable();
            }
        }
        let divisor = q.choice("divisor", d.divisor, |s| s.parse().ok().filter(|v| DIVISORS.contains(v)), "16, 8, 4, 2, 1");
        Ex4 { depths, divisor, train: Training::from_query(q, &d.train) }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("depths", self.depths.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")),
            ("divisor", self.divisor.to_string()),
        ];
        p.extend(self.train.pairs());
        p
    }
}

impl Ex4 {
    pub fn model(&self, depth: usize) -> ModelSpec {
        ModelSpec::new(Family::Imagenet, depth, Skip::Projection).with_width(64 / self.divisor)
    }

    pub fn configs(&self) -> Vec<ExperimentConfig> {
        self.depths
            .iter()
            .map(|&d| ExperimentConfig { label: format!("ResNet-{d} (1/{} width)", self.divisor), ..self.train.config(self.model(d)) })
            .collect()
    }

    /// (depth, published parameters at 1000 classes, this net's parameters, memory of one step).
    pub fn plans(&self) -> Vec<(usize, usize, usize, MemoryEstimate)> {
        let data = self.train.data_spec();
        self.depths
            .iter()
            .map(|&d| {
                let published = ModelSpec::new(Family::Imagenet, d, Skip::Projection).resolve(3, 1000).params();
                let net = self.model(d).resolve(data.channels, data.classes);
                (d, published, net.params(), net.memory(self.train.batch, data.size))
            })
            .collect()
    }

    /// The whole request checked before it leaves the page: every net's step must fit the limit.
    pub fn check(&self) -> Result<(), String> {
        for (d, _, _, m) in self.plans() {
            if m.total() > MEMORY_LIMIT_BYTES {
                return Err(format!(
                    "ResNet-{d} at 1/{} width, batch {}, {} px needs about {} for a training step (parameters, gradients and momentum {}, activations {}); this page allows {}. Use a narrower net, a smaller batch or smaller images.",
                    self.divisor,
                    self.train.batch,
                    self.train.data_spec().size,
                    mib(m.total()),
                    mib(m.params_bytes),
                    mib(m.activation_bytes),
                    mib(MEMORY_LIMIT_BYTES)
                ));
            }
        }
        Ok(())
    }

    /// The native command that trains these nets at their published width, one config per depth.
    pub fn cli(&self) -> (String, Vec<String>) {
        let full = Ex4 { divisor: 1, ..self.clone() };
        let configs = full.configs().into_iter().map(|c| serde_json::to_string_pretty(&c).unwrap_or_default()).collect();
        let cmds = self
            .depths
            .iter()
            .map(|d| format!("cargo run --release --bin lab -- train ex4-resnet{d}.json --out runs/ex4-resnet{d}"))
            .collect::<Vec<_>>()
            .join("\n");
        (cmds, configs)
    }
}

pub fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1_048_576.0)
}

/// What the runs show: did every depth train, and what did depth cost.
pub fn readout(series: &[Series]) -> Vec<String> {
    let mut out: Vec<String> = series.iter().filter_map(|s| s.failed.as_ref().map(|f| format!("{}: {f}", s.label))).collect();
    let done: Vec<_> = series.iter().filter_map(|s| s.summary.as_ref().map(|m| (s, m))).collect();
    if done.is_empty() {
        return out;
    }
    let stalled: Vec<&str> =
        done.iter().filter(|(_, m)| m.final_loss >= m.first_loss || !m.final_loss.is_finite()).map(|(s, _)| s.label.as_str()).collect();
    out.push(if stalled.is_empty() && out.is_empty() {
        format!("All {} nets converged in the sense that their training loss fell: {}.", done.len(), losses(&done))
    } else if stalled.is_empty() {
        format!("The nets that finished lowered their loss: {}.", losses(&done))
    } else {
        format!("Not every net's loss fell — {} did not: {}.", stalled.join(", "), losses(&done))
    });
    let times: Vec<String> = done
        .iter()
        .map(|(s, m)| format!("{} {:.0} ms", s.label.split(' ').next().unwrap_or(&s.label), m.elapsed_ms / m.steps.max(1) as f64))
        .collect();
    out.push(format!("Time per step: {}.", times.join(", ")));
    let acc: Vec<String> = done
        .iter()
        .map(|(s, m)| format!("{} {:.1}%", s.label.split(' ').next().unwrap_or(&s.label), m.final_val_accuracy * 100.0))
        .collect();
    out.push(format!("Held-out accuracy: {}.", acc.join(", ")));
    out.extend(series.iter().filter_map(super::readouts::chance_note));
    out
}

fn losses(done: &[(&Series, &crate::lab::experiment::Summary)]) -> String {
    done.iter().map(|(s, m)| format!("{} {:.3} → {:.3}", s.label, m.first_loss, m.final_loss)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_and_clamps() {
        let p = Ex4 { depths: vec![50, 152], divisor: 4, ..Ex4::default() };
        assert_eq!(Ex4::from_query(&p.to_query()), (p, vec![]));
        let (p, notes) = Ex4::from_query("depths=34,101&divisor=3");
        assert_eq!((p.depths.clone(), p.divisor), (vec![101], 16));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }

    #[test]
    fn plans_show_published_and_scaled_counts() {
        let p = Ex4::default();
        let plans = p.plans();
        assert_eq!(plans.iter().map(|x| x.1).collect::<Vec<_>>(), vec![25_557_032, 44_549_160, 60_192_808]);
        assert!(plans.iter().all(|x| x.2 < x.1 / 100), "1/16 width has about 1/256 of the parameters");
        p.check().unwrap();
        p.configs().iter().for_each(|c| c.validate().unwrap());
        // Full-width ResNet-152 at 32 px and batch 256 does not fit a browser tab: refused with the numbers.
        let mut big = Ex4 { divisor: 1, depths: vec![152], ..Ex4::default() };
        (big.train.batch, big.train.size) = (256, 32);
        let err = big.check().unwrap_err();
        assert!(err.contains("ResNet-152") && err.contains("MiB"), "{err}");
        let (cmd, configs) = p.cli();
        assert!(cmd.contains("train ex4-resnet152.json"), "{cmd}");
        assert!(configs[0].contains("\"width\": 64"), "{}", configs[0]);
    }

    #[test]
    fn readout_says_which_converged() {
        let done = |l: &str, loss: f32| Series::finished_for_test(l, loss, 0.4, 1.0);
        let r = readout(&[done("ResNet-50 (1/16 width)", 1.0), done("ResNet-101 (1/16 width)", 2.5)]);
        assert!(r[0].contains("ResNet-101 (1/16 width) did not"), "{r:?}");
        let r = readout(&[done("ResNet-50 (1/16 width)", 1.0)]);
        assert!(r[0].starts_with("All 1 nets converged"), "{r:?}");
    }
}
