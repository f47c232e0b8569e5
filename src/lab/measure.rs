//! Measurements of built (and trained) networks that need no training run: what a page asks the
//! worker to measure, what comes back, and the one function that answers — natively testable, so
//! the worker only forwards requests and replies.
//!
//! Saving and loading a trained net ([`SavedNet`]) live here too: a page keeps a net in its tab
//! (Part 4 → Part 5) as this plain data.

use serde::{Deserialize, Serialize};

use super::data::DataSpec;
use super::experiment::ExperimentConfig;
use super::model::{ModelSpec, Skip};
use super::report::{BlockAnatomy, BlockStats, ModelInfo, Seen};

/// What a page asks the worker to measure.
// One message per request: boxing the config variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Measure {
    /// Size, cost and a timed forward pass of each named model (`lab info` names), one reply each.
    Models { names: Vec<String>, channels: usize, size: usize },
    /// The same for models given as specs (Exercise 4's scaled nets), with `classes` outputs.
    Costs { models: Vec<ModelSpec>, channels: usize, size: usize, classes: usize },
    /// One BasicBlock opened up: its shapes per stage and the gradient at x through F, through the
    /// shortcut and through the whole block.
    BlockGradients { cin: usize, width: usize, stride: usize, skip: Skip, size: usize, seed: u64 },
    /// What the last net trained (or loaded) in this tab makes of one image (bytes `[c, size, size]`):
    /// its stage feature maps and class probabilities.
    Features { pixels: Vec<u8> },
    /// x, F(x) and F(x) + x of every residual block on `images` held-out images of `config`'s data:
    /// of the net `config` starts from (`trained: false`, the same seeded initialisation a run of it
    /// uses) or of the last net trained in this tab (`trained: true`).
    ResidualStats { config: ExperimentConfig, trained: bool, images: usize },
    /// The loss around each of the last nets trained in this tab (found by `configs`' labels and
    /// models; [`super::landscape`]): `grid` × `grid` points over [−span, span]² along two
    /// filter-normalised random directions (seeded), on the first `images` training images of the
    /// config's data. One reply per grid row, as soon as it is measured.
    Landscape { configs: Vec<ExperimentConfig>, grid: usize, span: f32, images: usize, seed: u64 },
}

/// One measured item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measurement {
    Model {
        info: ModelInfo,
        forward_ms: f64,
    },
    Block {
        anatomy: BlockAnatomy,
    },
    Features {
        seen: Seen,
    },
    Residuals {
        trained: bool,
        label: String,
        stats: Vec<BlockStats>,
    },
    /// Row `row` (b = `b`) of net `net`'s landscape: the loss at each a of the axis (`None`: it
    /// overflowed).
    LandscapeRow {
        net: usize,
        row: usize,
        b: f32,
        losses: Vec<Option<f32>>,
    },
}

/// A trained net as a page keeps it between pages of one tab: its spec, data and weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedNet {
    pub label: String,
    pub model: ModelSpec,
    pub data: DataSpec,
    pub class_names: Vec<String>,
    /// burn's record of the net (`ModuleRecord` bytes, the format of a checkpoint's `model`), base64.
    pub record: String,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn bytes_to_base64(bytes: &[u8]) -> String {
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

pub fn base64_to_bytes(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&b| b == c).ok_or("saved data is damaged (not base64)")? as u32;
        acc = acc << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
        }
    }
    Ok(bytes)
}

#[cfg(feature = "compute")]
pub use compute::*;

#[cfg(feature = "compute")]
mod compute {
    use burn::prelude::*;

    use burn::store::ModuleRecord;
    use burn::tensor::Bytes;

    use super::{base64_to_bytes, bytes_to_base64, BlockStats, ExperimentConfig, Measure, Measurement, SavedNet};
    use crate::lab::data::{normalise, Corpus, DataKind, DataSpec, Dataset};
    use crate::lab::model::{Family, ModelSpec, Net, NetSpec};
    use crate::lab::probes;
    use crate::lab::report::Seen;
    use crate::lab::train::Host;

    /// The last net trained (or loaded) in this session, kept so later measurements can look inside it.
    pub struct Trained {
        pub label: String,
        pub net: Net,
        pub spec: NetSpec,
        pub model: ModelSpec,
        pub data: DataSpec,
        pub class_names: Vec<String>,
    }

    impl Trained {
        pub fn new(config: &ExperimentConfig, net: Net, class_names: Vec<String>) -> Trained {
            Trained {
                label: config.label.clone(),
                net,
                spec: config.model.resolve(config.data.channels, config.data.classes),
                model: config.model.clone(),
                data: config.data.clone(),
                class_names,
            }
        }
    }

    impl Measure {
        /// The real dataset a measurement needs loaded first (its normalisation), if any.
        pub fn dataset(&self, trained: Option<&Trained>) -> Option<DataKind> {
            match self {
                Measure::Features { .. } => trained.map(|t| t.data.kind).filter(|k| k.is_real()),
                Measure::ResidualStats { config, .. } => Some(config.data.kind).filter(|k| k.is_real()),
                Measure::Landscape { configs, .. } => configs.iter().map(|c| c.data.kind).find(|k| k.is_real()),
                _ => None,
            }
        }
    }

    /// Answers one request: each measured item goes to `reply` with its index as soon as it is
    /// measured; Cancel (`host.cancelled()`) is honoured between items. `recent` holds the last nets
    /// trained (or loaded) in this tab, the most recent last; `corpus` is the set [`Measure::dataset`]
    /// asked for.
    pub async fn measure(
        request: &Measure,
        device: &Device,
        recent: &[&Trained],
        corpus: Option<&Corpus>,
        host: &impl Host,
        mut reply: impl FnMut(usize, Measurement),
    ) -> Result<(), String> {
        let trained = recent.last().copied();
        match request {
            Measure::Models { names, channels, size } => {
                let specs = names.iter().map(|n| ModelSpec::from_name(n)).collect::<Result<Vec<_>, _>>()?;
                let specs = specs.into_iter().map(|s| (if s.family == Family::Imagenet { 1000 } else { 10 }, s)).collect();
                models(specs, *channels, *size, device, host, reply).await
            }
            Measure::Costs { models: specs, channels, size, classes } => {
                let specs = specs.iter().map(|s| s.clone().checked().map(|s| (*classes, s))).collect::<Result<Vec<_>, _>>()?;
                models(specs, *channels, *size, device, host, reply).await
            }
            Measure::BlockGradients { cin, width, stride, skip, size, seed } => {
                let anatomy = probes::block_anatomy(*cin, *width, *stride, *skip, *size, *seed, device).await.map_err(|e| e.to_string())?;
                reply(0, Measurement::Block { anatomy });
                Ok(())
            }
            Measure::Features { pixels } => {
                let seen = features(pixels, trained, corpus, device).await?;
                reply(0, Measurement::Features { seen });
                Ok(())
            }
            Measure::ResidualStats { config, trained: after, images } => {
                let (label, stats) = residuals(config, *after, *images, trained, corpus, device).await?;
                reply(0, Measurement::Residuals { trained: *after, label, stats });
                Ok(())
            }
            Measure::Landscape { configs, grid, span, images, seed } => {
                if configs.is_empty() || configs.len() > 2 {
                    return Err(format!("a landscape is drawn for 1 or 2 trained nets, got {}", configs.len()));
                }
                if *grid < 3 || *grid > 41 || grid % 2 == 0 {
                    return Err(format!("the grid must be odd, 3..=41 points a side, got {grid}"));
                }
                if !(*span > 0.0 && *span <= 5.0 && (1..=512).contains(images)) {
                    return Err(format!("span must be in (0, 5] and images 1..=512, got {span} and {images}"));
                }
                let axis = crate::lab::landscape::axis(*grid, *span);
                for (n, config) in configs.iter().enumerate() {
                    config.validate()?;
                    let data = Dataset::prepare(&config.data, config.seed, corpus)?;
                    let spec = config.model.resolve(data.channels, data.classes);
                    let t = recent
                        .iter()
                        .rev()
                        .find(|t| t.label == config.label && t.spec == spec)
                        .ok_or_else(|| format!("{} is not among the last nets trained in this tab: train it first", config.label))?;
                    let idx: Vec<usize> = (0..data.train_len.min(*images)).collect();
                    let (x, y) = crate::lab::train::to_tensors(&data, data.gather(&idx), device);
                    let net = t.net.clone();
                    let dirs = crate::lab::landscape::directions(&net, *seed, device);
                    for (row, &b) in axis.iter().enumerate() {
                        if host.cancelled() {
                            return Ok(());
                        }
                        host.yield_now().await;
                        let losses = crate::lab::landscape::row(&net, &dirs, &axis, b, &x, &y).await.map_err(|e| e.to_string())?;
                        // JSON has no ∞/NaN: a loss that overflowed travels as null.
                        let losses = losses.into_iter().map(|l| l.is_finite().then_some(l)).collect();
                        reply(n * grid + row, Measurement::LandscapeRow { net: n, row, b, losses });
                    }
                }
                Ok(())
            }
        }
    }

    /// `(classes, spec)` per model, measured in order.
    async fn models(
        specs: Vec<(usize, ModelSpec)>,
        channels: usize,
        size: usize,
        device: &Device,
        host: &impl Host,
        mut reply: impl FnMut(usize, Measurement),
    ) -> Result<(), String> {
        for (index, (classes, spec)) in specs.into_iter().enumerate() {
            if host.cancelled() {
                break;
            }
            host.yield_now().await;
            let (info, forward_ms) =
                probes::timed_model_info(&spec, channels, size, classes, device, &|| host.now_ms()).await.map_err(|e| e.to_string())?;
            reply(index, Measurement::Model { info, forward_ms });
        }
        Ok(())
    }

    /// The trained net's stage feature maps and class probabilities for one image given as bytes
    /// `[c, size, size]`, normalised as its training data was.
    async fn features(pixels: &[u8], trained: Option<&Trained>, corpus: Option<&Corpus>, device: &Device) -> Result<Seen, String> {
        let t = trained.ok_or("no network has been trained in this tab yet: press Train first")?;
        let (label, data) = (&t.label, &t.data);
        let n = data.channels * data.size * data.size;
        if pixels.len() != n {
            return Err(format!(
                "the image has {} values; {label} takes {}×{}×{} = {n}",
                pixels.len(),
                data.channels,
                data.size,
                data.size
            ));
        }
        if !data.kind.is_real() {
            return Err(format!(
                "{label} was trained on {}; pictures can only be compared with a net trained on real images",
                data.kind.title()
            ));
        }
        let corpus = corpus.filter(|c| c.kind == data.kind).ok_or_else(|| format!("{} is not loaded", data.kind.title()))?;
        let x: Vec<f32> = normalise(pixels, &corpus.mean, &corpus.std, data.size * data.size).collect();
        let x = Tensor::<4>::from_data(TensorData::new(x, [1, data.channels, data.size, data.size]), device);
        probes::what_it_sees(&t.net, &t.spec, x, label.clone(), t.class_names.clone()).await.map_err(|e| e.to_string())
    }

    /// Residual statistics of every block on held-out images of `config`'s data, for the net `config`
    /// starts from or for the trained one.
    async fn residuals(
        config: &ExperimentConfig,
        after: bool,
        images: usize,
        trained: Option<&Trained>,
        corpus: Option<&Corpus>,
        device: &Device,
    ) -> Result<(String, Vec<BlockStats>), String> {
        config.validate()?;
        let data = Dataset::prepare(&config.data, config.seed, corpus)?;
        let held_out: Vec<usize> = (data.train_len..data.len()).take(images.clamp(1, 256)).collect();
        if held_out.is_empty() {
            return Err("the dataset has no held-out images".into());
        }
        let net = if after {
            let t = trained.ok_or("no network has been trained in this tab yet: press Train first")?;
            if t.spec != config.model.resolve(data.channels, data.classes) {
                return Err(format!("the last net trained here is {}, not {}: train it first", t.label, config.label));
            }
            t.net.clone()
        } else {
            // Exactly the initial weights a run of `config` starts from (see `train_model`).
            let ad = device.clone().autodiff();
            ad.seed(config.seed);
            Net::new(&config.model.resolve(data.channels, data.classes), &ad).valid()
        };
        let (x, _) = data.gather(&held_out);
        let x = Tensor::<4>::from_data(TensorData::new(x, [held_out.len(), data.channels, data.size, data.size]), device);
        let stats = probes::residual_stats(&net, x).await.map_err(|e| e.to_string())?;
        let label = if after { format!("{} after training", config.label) } else { format!("{} at initialisation", config.label) };
        Ok((label, stats))
    }

    /// The trained net with its weights, for the page to keep.
    pub async fn save_net(trained: Option<&Trained>) -> Result<SavedNet, String> {
        let t = trained.ok_or("no network has been trained in this tab yet")?;
        // burn records tensors by reading them synchronously, which a GPU in the browser cannot:
        // the weights are read asynchronously into a twin on the CPU, and the twin is recorded.
        let weights = probes::export_weights(&t.net).await.map_err(|e| e.to_string())?;
        let twin = probes::import_weights(Net::new(&t.spec, &Device::flex()), &weights).map_err(|e| e.to_string())?;
        let record = twin.into_record().into_bytes().map_err(|e| format!("cannot record the net: {e:?}"))?;
        Ok(SavedNet {
            label: t.label.clone(),
            model: t.model.clone(),
            data: t.data.clone(),
            class_names: t.class_names.clone(),
            record: bytes_to_base64(&record),
        })
    }

    /// Rebuilds a saved net (checked: a damaged or edited save is refused with a message).
    pub fn load_net(saved: SavedNet, device: &Device) -> Result<Trained, String> {
        let bytes = base64_to_bytes(&saved.record)?;
        let model = saved.model.clone().checked()?;
        let data = saved.data.clone();
        if saved.class_names.is_empty() || saved.class_names.len() > 1000 {
            return Err(format!("the saved net names {} classes", saved.class_names.len()));
        }
        let spec = model.resolve(data.channels, saved.class_names.len());
        let damaged = |e| format!("the saved net does not fit {}: {e:?}", saved.label);
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).map_err(damaged)?;
        let net = Net::new(&spec, device).try_load_record(record).map_err(damaged)?;
        Ok(Trained { label: saved.label, net, spec, model, data, class_names: saved.class_names })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_survive_base64() {
        for n in 0..7u8 {
            let v: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97).wrapping_add(200)).collect();
            let text = bytes_to_base64(&v);
            assert_eq!(text.len() % 4, 0);
            assert_eq!(base64_to_bytes(&text).unwrap(), v);
        }
        // RFC 4648's own examples.
        assert_eq!(bytes_to_base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(bytes_to_base64(b"fo"), "Zm8=");
        assert!(base64_to_bytes("!!!!").is_err());
    }
}
