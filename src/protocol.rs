//! Messages between the page and the compute worker, as JSON strings (serde on both sides).

use serde::{Deserialize, Serialize};

use crate::lab::data::{DataKind, DataSpec};
use crate::lab::experiment::{Event, ExperimentConfig};
use crate::lab::model::Skip;
use crate::lab::report::{BlockAnatomy, ModelInfo, Seen};

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
    /// Describe a dataset and send samples for a gallery; a real set not yet loaded is fetched from
    /// the site first. (The user's own files come as a `{cmd: "load_files", files: [File]}` object
    /// instead, since `File`s cannot travel as JSON.)
    Preview { spec: DataSpec, seed: u64, count: usize },
    /// Measure built models without training them; results come back as [`FromWorker::Inspected`],
    /// one per item, then `Finished`.
    Inspect { id: u32, request: Inspect },
}

/// What a page asks the worker to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Inspect {
    /// Part 3: size, cost and a timed forward pass of each named model (`lab info` names).
    Models { names: Vec<String>, channels: usize, size: usize },
    /// Part 5: what the last net trained in this tab makes of one image (bytes `[c, size, size]`).
    Features { pixels: Vec<u8> },
    /// Part 4: the last trained net, to keep in the tab's session storage for Part 5.
    Export,
    /// Part 5: make a saved net the one Part 5 looks inside.
    Import { saved: SavedNet },
    /// Part 2: one BasicBlock opened up.
    Block { cin: usize, width: usize, stride: usize, skip: Skip, size: usize, seed: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inspection {
    Model { info: ModelInfo, forward_ms: f64 },
    Block { anatomy: BlockAnatomy },
    Features { seen: Seen },
    Saved { saved: SavedNet },
    Imported { label: String },
}

/// A trained net as the page keeps it between pages of one tab: its spec, data and weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedNet {
    pub label: String,
    pub model: crate::lab::model::ModelSpec,
    pub data: DataSpec,
    pub class_names: Vec<String>,
    /// Every float tensor in module order, little-endian f32, base64 (compact in session storage).
    pub weights: String,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn floats_to_base64(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn base64_to_floats(text: &str) -> Result<Vec<f32>, String> {
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&b| b == c).ok_or("saved weights are damaged (not base64)")? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    if bytes.len() % 4 != 0 {
        return Err("saved weights are damaged (length)".into());
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_survive_base64() {
        for n in 0..5 {
            let v: Vec<f32> = (0..n).map(|i| i as f32 * -1.5 + 0.1).chain([f32::MIN_POSITIVE, 3.0e38]).collect();
            assert_eq!(base64_to_floats(&floats_to_base64(&v)).unwrap(), v);
        }
        assert!(base64_to_floats("!!!!").is_err());
        assert!(base64_to_floats("QUJD").is_err());
    }
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
    Backend { name: String, adapter: String, note: Option<String> },
    Event { id: u32, series: usize, event: Event },
    /// The whole request has ended (finished, cancelled or failed).
    Finished { id: u32, cancelled: bool, error: Option<String> },
    /// One measured item of an [`ToWorker::Inspect`] request.
    Inspected { id: u32, index: usize, result: Inspection },
    /// Loading a real dataset: `stage` in words, `fraction` of it done (0..=1).
    DataProgress { stage: String, fraction: f64 },
    Data { preview: DataPreview },
    /// Loading failed; whatever was loaded before is still there.
    DataFailed { error: String },
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
