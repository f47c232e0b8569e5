//! Messages between the page and the compute worker, as JSON strings (serde on both sides).

use serde::{Deserialize, Serialize};

use crate::lab::experiment::{Event, ExperimentConfig};

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum ToWorker {
    Init { backend: BackendChoice },
    /// Run the configs one after another; events come back tagged with `id` and the series index.
    Run { id: u32, configs: Vec<ExperimentConfig> },
    Cancel { id: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker's wasm has loaded and it listens for messages.
    Ready,
    /// The backend in use: "webgpu" or "cpu", with a note when it is not what was asked for.
    Backend { name: String, adapter: String, note: Option<String> },
    Event { id: u32, series: usize, event: Event },
    /// The whole request has ended (finished, cancelled or failed).
    Finished { id: u32, cancelled: bool, error: Option<String> },
}
