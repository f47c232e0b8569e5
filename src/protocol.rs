//! Messages between the page and the compute worker, as JSON strings (serde on both sides).

use serde::{Deserialize, Serialize};

use crate::lab::data::{DataKind, DataSpec};
use crate::lab::experiment::{Event, ExperimentConfig};
pub use crate::lab::measure::{Measure, Measurement, SavedNet};

/// Which compute backend the page asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendChoice {
    /// WebGPU when an adapter is available, otherwise the CPU.
    Auto,
    Cpu,
    Webgpu,
}

impl BackendChoice {
    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cpu => "cpu",
            BackendChoice::Webgpu => "webgpu",
        }
    }
}

/// Seconds: a first WebGPU step with shader compilation takes a few seconds even on a software GPU.
pub const DEFAULT_GPU_TIMEOUT_S: f64 = 60.0;

fn default_gpu_timeout() -> f64 {
    DEFAULT_GPU_TIMEOUT_S
}

fn one() -> u32 {
    1
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ToWorker {
    Init {
        backend: BackendChoice,
        /// How long WebGPU may stay silent while work is in flight before the worker gives up on it
        /// (`?gpu_timeout=` seconds; see `worker::gpu_watch`).
        #[serde(default = "default_gpu_timeout")]
        gpu_timeout_s: f64,
        /// CPU threads for the threaded CPU worker (`worker_mt`); the single-threaded one ignores it.
        #[serde(default = "one")]
        threads: u32,
        /// Why the page chose the CPU itself (its own WebGPU probe), shown in the badge.
        #[serde(default)]
        note: Option<String>,
    },
    /// Run the configs one after another; events come back tagged with `id` and the series index.
    Run {
        id: u32,
        configs: Vec<ExperimentConfig>,
    },
    Cancel {
        id: u32,
    },
    /// Describe a dataset and send samples for a gallery; a real set not yet loaded is fetched from
    /// the site first. (The user's own files come as a `{cmd: "load_files", id, files: [File]}` object
    /// instead, since `File`s cannot travel as JSON.)
    Preview {
        id: u32,
        spec: DataSpec,
        seed: u64,
        count: usize,
    },
    /// Measure built models without training them: one [`FromWorker::Measured`] per item, then
    /// `Finished`.
    Measure {
        id: u32,
        request: Measure,
    },
    /// Send the last trained net with its weights ([`FromWorker::NetSaved`], then `Finished`).
    SaveNet {
        id: u32,
    },
    /// Make a saved net the one later measurements look inside ([`FromWorker::NetLoaded`], then `Finished`).
    LoadNet {
        id: u32,
        saved: SavedNet,
    },
}

/// A dataset as the Data page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataPreview {
    pub kind: DataKind,
    pub channels: usize,
    pub size: usize,
    pub class_names: Vec<String>,
    /// Training and held-out images available (a real set: its published splits).
    pub train: usize,
    pub held_out: usize,
    pub class_counts: Vec<usize>,
    /// Per-channel mean and std used for normalisation (real sets; empty for synthetic ones).
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
    pub notes: Vec<String>,
    /// (label, bytes `[c, size, size]`) per sample.
    pub samples: Vec<(u8, Vec<u8>)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker's wasm has loaded and it listens for messages.
    Ready,
    /// The backend in use: "webgpu" or "cpu", with a note when it is not what was asked for.
    Backend {
        name: String,
        adapter: String,
        note: Option<String>,
        /// CPU threads training uses (1 on WebGPU and in the single-threaded worker).
        #[serde(default = "one")]
        threads: u32,
    },
    Event {
        id: u32,
        series: usize,
        event: Event,
    },
    /// The worker's wasm memory after a request (it only grows: the high-water mark), for the soak test
    /// and for anyone curious (the badge carries it as `data-worker-memory`).
    Memory {
        bytes: u64,
    },
    /// WebGPU stopped answering (the device was lost, or a read never resolved): nothing in flight
    /// can finish and this worker is no use any more; the page replaces it.
    GpuLost {
        reason: String,
    },
    /// The whole request has ended (finished, cancelled or failed).
    Finished {
        id: u32,
        cancelled: bool,
        error: Option<String>,
    },
    /// One measured item of a [`ToWorker::Measure`] request.
    Measured {
        id: u32,
        index: usize,
        result: Measurement,
    },
    NetSaved {
        id: u32,
        saved: SavedNet,
    },
    NetLoaded {
        id: u32,
        label: String,
    },
    /// Loading a real dataset: `stage` in words, `fraction` of it done (0..=1).
    DataProgress {
        id: u32,
        stage: String,
        fraction: f64,
    },
    Data {
        id: u32,
        preview: DataPreview,
    },
    /// Loading failed; whatever was loaded before is still there.
    DataFailed {
        id: u32,
        error: String,
    },
}

impl FromWorker {
    /// The request a reply answers (`None` for the worker's own status messages). Pages drop replies
    /// to any request but their latest, so a late answer never overwrites a newer one.
    pub fn request_id(&self) -> Option<u32> {
        match self {
            FromWorker::Ready | FromWorker::Backend { .. } | FromWorker::Memory { .. } | FromWorker::GpuLost { .. } => None,
            FromWorker::Event { id, .. }
            | FromWorker::Finished { id, .. }
            | FromWorker::Measured { id, .. }
            | FromWorker::NetSaved { id, .. }
            | FromWorker::NetLoaded { id, .. }
            | FromWorker::DataProgress { id, .. }
            | FromWorker::Data { id, .. }
            | FromWorker::DataFailed { id, .. } => Some(*id),
        }
    }
}

impl DataPreview {
    /// A generated (or drawn) dataset: its own split and the first `count` samples.
    pub fn of_dataset(d: &crate::lab::data::Dataset, count: usize) -> DataPreview {
        DataPreview {
            kind: d.kind,
            channels: d.channels,
            size: d.size,
            class_names: d.class_names.clone(),
            train: d.train_len,
            held_out: d.len() - d.train_len,
            class_counts: d.class_counts(),
            mean: vec![],
            std: vec![],
            notes: vec![],
            samples: d.preview(count),
        }
    }

    /// A loaded real set: its published splits, class balance of the training split, and the first
    /// `count` training images.
    pub fn of_corpus(c: &crate::lab::data::Corpus, count: usize) -> DataPreview {
        let mut class_counts = vec![0; c.class_names.len()];
        for &l in &c.train.labels {
            class_counts[l as usize] += 1;
        }
        let n = c.image_len();
        DataPreview {
            kind: c.kind,
            channels: c.channels,
            size: c.size,
            class_names: c.class_names.clone(),
            train: c.train.len(),
            held_out: c.test.len(),
            class_counts,
            mean: c.mean.clone(),
            std: c.std.clone(),
            notes: c.notes.clone(),
            samples: (0..count.min(c.train.len())).map(|i| (c.train.labels[i], c.train.pixels[i * n..(i + 1) * n].to_vec())).collect(),
        }
    }
}

/// What the page does after its compute worker died, from the recent crash times (ms, oldest first,
/// the latest included) and the backend the dead worker ran.
#[derive(Clone, Debug, PartialEq)]
pub struct RestartPlan {
    /// Wait this long before starting the next worker (backs off as crashes pile up).
    pub delay_ms: f64,
    /// Start the next worker on the CPU: WebGPU keeps failing.
    pub to_cpu: bool,
    /// Stop restarting: the worker keeps dying even on the CPU.
    pub give_up: bool,
}

/// Crashes within this window count as "keeps crashing".
pub const CRASH_WINDOW_MS: f64 = 60_000.0;

/// 0.5 s after the first crash, doubling per further crash in the last minute (at most 16 s); after two
/// crashes on WebGPU within the minute the next worker uses the CPU; after four on the CPU, give up.
pub fn restart_plan(crash_times: &[f64], now: f64, on_webgpu: bool) -> RestartPlan {
    let recent = crash_times.iter().filter(|&&t| now - t <= CRASH_WINDOW_MS).count().max(1);
    RestartPlan {
        delay_ms: (500.0 * 2f64.powi(recent as i32 - 1)).min(16_000.0),
        to_cpu: on_webgpu && recent >= 2,
        give_up: !on_webgpu && recent >= 4,
    }
}

#[cfg(test)]
mod restart_tests {
    use super::*;

    #[test]
    fn init_without_a_gpu_timeout_gets_the_default() {
        let init: ToWorker = serde_json::from_str(r#"{"cmd":"init","backend":"webgpu"}"#).unwrap();
        assert_eq!(init, ToWorker::Init { backend: BackendChoice::Webgpu, gpu_timeout_s: DEFAULT_GPU_TIMEOUT_S, threads: 1, note: None });
        let lost: FromWorker = serde_json::from_str(r#"{"type":"gpu_lost","reason":"destroyed"}"#).unwrap();
        assert_eq!(lost.request_id(), None);
    }

    #[test]
    fn restarts_back_off_fall_back_to_the_cpu_and_give_up() {
        let first = restart_plan(&[1000.0], 1000.0, true);
        assert_eq!(first, RestartPlan { delay_ms: 500.0, to_cpu: false, give_up: false });
        // A second WebGPU crash within the minute: the next worker runs on the CPU.
        assert_eq!(restart_plan(&[1000.0, 5000.0], 5000.0, true), RestartPlan { delay_ms: 1000.0, to_cpu: true, give_up: false });
        // Crashes a minute apart do not pile up.
        assert_eq!(restart_plan(&[1000.0, 90_000.0], 90_000.0, true).delay_ms, 500.0);
        // On the CPU: 0.5, 1, 2 s, then stop.
        let cpu: Vec<f64> = (0..4).map(|i| i as f64 * 1000.0).collect();
        assert_eq!(restart_plan(&cpu[..3], 2000.0, false), RestartPlan { delay_ms: 2000.0, to_cpu: false, give_up: false });
        assert!(restart_plan(&cpu, 3000.0, false).give_up);
        let many: Vec<f64> = (0..10).map(|i| i as f64).collect();
        assert_eq!(restart_plan(&many, 10.0, true).delay_ms, 16_000.0);
    }
}
