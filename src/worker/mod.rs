//! The compute worker: owns the burn device (WebGPU or flex) inside a dedicated Web Worker, so
//! training never blocks the page. Commands come in as JSON [`ToWorker`], events go out as
//! [`FromWorker`].

mod data;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use burn::prelude::Device;
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::lab::data::{Corpus, DataKind, DataSpec, Dataset};
use crate::lab::experiment::{Event, RunError};
use crate::lab::model::{Net, NetSpec};
use crate::lab::train::{run_model, Host};
use crate::protocol::{base64_to_floats, floats_to_base64, BackendChoice, DataPreview, FromWorker, Inspect, Inspection, SavedNet, ToWorker};

/// Samples sent for a dataset gallery.
const GALLERY: usize = 48;

#[derive(Default)]
struct State {
    device: Option<Device>,
    cancelled: HashSet<u32>,
    /// Real datasets loaded so far, kept for every later run.
    corpora: HashMap<DataKind, Rc<Corpus>>,
    /// The last network trained in this tab (Part 5 looks inside it).
    trained: Option<Trained>,
}

struct Trained {
    label: String,
    net: Net,
    spec: NetSpec,
    model: crate::lab::model::ModelSpec,
    data: DataSpec,
    class_names: Vec<String>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    let json = serde_json::to_string(msg).expect("messages serialise");
    let _ = scope().post_message(&JsValue::from_str(&json));
}

/// Entry point of the worker binary.
pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        if let Some(files) = data::as_file_message(&ev.data()) {
            spawn_local(data::load_files(files));
            return;
        }
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(ToWorker::Init { backend }) => spawn_local(init(backend)),
            Ok(ToWorker::Run { id, configs }) => spawn_local(run_all(id, configs)),
            Ok(ToWorker::Cancel { id }) => STATE.with(|s| {
                s.borrow_mut().cancelled.insert(id);
            }),
            Ok(ToWorker::Preview { spec, seed, count }) => spawn_local(preview(spec, seed, count)),
            Ok(ToWorker::Inspect { id, request }) => spawn_local(inspect(id, request)),
            Err(e) => web_sys::console::error_1(&format!("worker: bad message {text}: {e}").into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

/// Asks the browser for a WebGPU adapter; `Err` says why there is none.
async fn probe_webgpu() -> Result<String, String> {
    let nav = Reflect::get(&scope(), &"navigator".into()).map_err(|_| "no navigator")?;
    let gpu = Reflect::get(&nav, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser exposes no WebGPU (navigator.gpu is missing)".into());
    }
    let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into())
        .map_err(|_| "navigator.gpu.requestAdapter is missing")?
        .dyn_into()
        .map_err(|_| "navigator.gpu.requestAdapter is not a function")?;
    let promise: Promise = request.call0(&gpu).map_err(|e| format!("requestAdapter threw: {e:?}"))?.into();
    let adapter = JsFuture::from(promise).await.map_err(|e| format!("requestAdapter failed: {e:?}"))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but no GPU adapter is available".into());
    }
    let info = Reflect::get(&adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| Reflect::get(&info, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
    let name = [field("vendor"), field("architecture"), field("description")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(if name.is_empty() { "WebGPU adapter".into() } else { name })
}

async fn init(choice: BackendChoice) {
    if STATE.with(|s| s.borrow().device.is_some()) {
        return;
    }
    let (device, name, adapter, note) = if choice == BackendChoice::Cpu {
        (Device::flex(), "cpu", "burn flex (WebAssembly)".to_string(), Some("CPU chosen with ?backend=cpu".to_string()))
    } else {
        match probe_webgpu().await {
            Ok(adapter) => match Device::wgpu_options().init_async().await {
                Ok(device) => (device, "webgpu", adapter, None),
                Err(e) => (
                    Device::flex(),
                    "cpu",
                    "burn flex (WebAssembly)".into(),
                    Some(format!("WebGPU could not start ({e:?}); training runs on the CPU instead")),
                ),
            },
            Err(why) => {
                let prefix = if choice == BackendChoice::Webgpu { "WebGPU was requested, but " } else { "" };
                (Device::flex(), "cpu", "burn flex (WebAssembly)".into(), Some(format!("{prefix}{why}; training runs on the CPU")))
            }
        }
    };
    STATE.with(|s| s.borrow_mut().device = Some(device));
    post(&FromWorker::Backend { name: name.into(), adapter, note });
}

struct WorkerHost {
    id: u32,
    series: usize,
}

impl Host for WorkerHost {
    fn emit(&mut self, event: Event) {
        post(&FromWorker::Event { id: self.id, series: self.series, event });
    }

    fn cancelled(&self) -> bool {
        STATE.with(|s| s.borrow().cancelled.contains(&self.id))
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    /// A macrotask break, so Cancel messages are delivered between steps on the CPU backend.
    async fn yield_now(&self) {
        let promise = Promise::new(&mut |resolve, _| {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        });
        let _ = JsFuture::from(promise).await;
    }
}

/// One training run; the trained net is kept for Part 5 (the last finished run wins).
async fn run_keeping(
    config: &crate::lab::experiment::ExperimentConfig,
    corpus: Option<Rc<Corpus>>,
    device: &Device,
    host: &mut WorkerHost,
) -> Result<(), RunError> {
    let (_, net) = run_model(config, corpus.as_deref(), device, host).await?;
    let spec = config.model.resolve(config.data.channels, config.data.classes);
    let class_names = match &corpus {
        Some(c) => c.class_names.clone(),
        None => config.data.synthetic_class_names(),
    };
    STATE.with(|s| {
        s.borrow_mut().trained = Some(Trained {
            label: config.label.clone(),
            net,
            spec,
            model: config.model.clone(),
            data: config.data.clone(),
            class_names,
        })
    });
    Ok(())
}

const NOT_READY: &str = "the compute backend did not start within a minute";

/// The device once `init` has made one. A page may send work before WebGPU's asynchronous start
/// has finished (it sends it right after "ready"); that work waits here instead of failing.
async fn ready_device() -> Option<Device> {
    for _ in 0..1200 {
        if let Some(d) = STATE.with(|s| s.borrow().device.clone()) {
            return Some(d);
        }
        let promise = Promise::new(&mut |resolve, _| {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
        });
        let _ = JsFuture::from(promise).await;
    }
    None
}

async fn run_all(id: u32, configs: Vec<crate::lab::experiment::ExperimentConfig>) {
    let Some(device) = ready_device().await else {
        post(&FromWorker::Finished { id, cancelled: false, error: Some(NOT_READY.into()) });
        return;
    };
    let mut outcome = (false, None);
    for (series, config) in configs.iter().enumerate() {
        let mut host = WorkerHost { id, series };
        let corpus = if config.data.kind.is_real() {
            match data::ensure(config.data.kind).await {
                Ok(c) => Some(c),
                Err(e) => {
                    host.emit(Event::Failed { reason: e.clone() });
                    outcome = (false, Some(e));
                    break;
                }
            }
        } else {
            None
        };
        match run_keeping(config, corpus, &device, &mut host).await {
            Ok(()) => {}
            Err(RunError::Cancelled) => {
                outcome = (true, None);
                break;
            }
            Err(e) => {
                // A diverged series is reported and the rest still run: the comparison stays useful.
                host.emit(Event::Failed { reason: e.to_string() });
                if !matches!(e, RunError::Diverged { .. }) {
                    outcome = (false, Some(e.to_string()));
                    break;
                }
            }
        }
    }
    STATE.with(|s| s.borrow_mut().cancelled.remove(&id));
    post(&FromWorker::Finished { id, cancelled: outcome.0, error: outcome.1 });
}

/// A dataset's description and gallery; real sets are loaded first (with progress).
async fn preview(spec: DataSpec, seed: u64, count: usize) {
    let count = count.min(GALLERY * 4);
    let msg = if spec.kind.is_real() {
        match data::ensure(spec.kind).await {
            Ok(c) => FromWorker::Data { preview: DataPreview::of_corpus(&c, count) },
            Err(error) => FromWorker::DataFailed { error },
        }
    } else {
        match spec.clone().checked_synthetic() {
            Ok(spec) => FromWorker::Data { preview: DataPreview::of_dataset(&Dataset::generate(&spec, seed), count) },
            Err(error) => FromWorker::DataFailed { error },
        }
    };
    post(&msg);
}

/// Measures models without training them, one reply per item; Cancel is honoured between items.
async fn inspect(id: u32, request: Inspect) {
    let Some(device) = ready_device().await else {
        post(&FromWorker::Finished { id, cancelled: false, error: Some(NOT_READY.into()) });
        return;
    };
    let host = WorkerHost { id, series: 0 };
    let error = match request {
        Inspect::Models { names, channels, size } => {
            let mut error = None;
            for (index, name) in names.iter().enumerate() {
                if host.cancelled() {
                    break;
                }
                host.yield_now().await;
                let spec = match crate::lab::model::ModelSpec::from_name(name) {
                    Ok(s) => s,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                };
                let classes = if spec.family == crate::lab::model::Family::Imagenet { 1000 } else { 10 };
                match crate::lab::probes::timed_model_info(&spec, channels, size, classes, &device, &js_sys::Date::now).await {
                    Ok((info, forward_ms)) => post(&FromWorker::Inspected { id, index, result: Inspection::Model { info, forward_ms } }),
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
            }
            error
        }
        Inspect::Export => match export().await {
            Ok(saved) => {
                post(&FromWorker::Inspected { id, index: 0, result: Inspection::Saved { saved } });
                None
            }
            Err(e) => Some(e),
        },
        Inspect::Import { saved } => match import(saved, &device) {
            Ok(label) => {
                post(&FromWorker::Inspected { id, index: 0, result: Inspection::Imported { label } });
                None
            }
            Err(e) => Some(e),
        },
        Inspect::Features { pixels } => match features(&pixels).await {
            Ok(seen) => {
                post(&FromWorker::Inspected { id, index: 0, result: Inspection::Features { seen } });
                None
            }
            Err(e) => Some(e),
        },
        Inspect::Block { cin, width, stride, skip, size, seed } => {
            match crate::lab::probes::block_anatomy(cin, width, stride, skip, size, seed, &device).await {
                Ok(anatomy) => {
                    post(&FromWorker::Inspected { id, index: 0, result: Inspection::Block { anatomy } });
                    None
                }
                Err(e) => Some(e.to_string()),
            }
        }
    };
    let cancelled = host.cancelled();
    STATE.with(|s| s.borrow_mut().cancelled.remove(&id));
    post(&FromWorker::Finished { id, cancelled, error });
}

/// Part 5: the last trained net's feature maps (first block of each stage) and class probabilities
/// for one image given as bytes `[c, size, size]`, normalised as its training data was.
async fn features(pixels: &[u8]) -> Result<crate::lab::report::Seen, String> {
    let (net, spec, data, label, class_names) = STATE
        .with(|s| s.borrow().trained.as_ref().map(|t| (t.net.clone(), t.spec.clone(), t.data.clone(), t.label.clone(), t.class_names.clone())))
        .ok_or("no network has been trained in this tab yet: press Train first")?;
    let n = data.channels * data.size * data.size;
    if pixels.len() != n {
        return Err(format!("the image has {} values; {label} takes {}×{}×{} = {n}", pixels.len(), data.channels, data.size, data.size));
    }
    if !data.kind.is_real() {
        return Err(format!("{label} was trained on {}; pictures can only be compared with a net trained on real images", data.kind.title()));
    }
    // Normalised exactly as the net's training data was (loading the set first if needed).
    let corpus = data::ensure(data.kind).await?;
    let x: Vec<f32> = crate::lab::data::normalise(pixels, &corpus.mean, &corpus.std, data.size * data.size).collect();
    let device = ready_device().await.ok_or(NOT_READY)?;
    let x = burn::prelude::Tensor::<4>::from_data(burn::prelude::TensorData::new(x, [1, data.channels, data.size, data.size]), &device);
    crate::lab::probes::what_it_sees(&net, &spec, x, label, class_names).await.map_err(|e| e.to_string())
}

/// Part 4: the last trained net with its weights, for the page to keep.
async fn export() -> Result<SavedNet, String> {
    let (net, model, data, label, class_names) = STATE
        .with(|s| s.borrow().trained.as_ref().map(|t| (t.net.clone(), t.model.clone(), t.data.clone(), t.label.clone(), t.class_names.clone())))
        .ok_or("no network has been trained in this tab yet")?;
    let weights = crate::lab::probes::export_weights(&net).await.map_err(|e| e.to_string())?;
    Ok(SavedNet { label, model, data, class_names, weights: floats_to_base64(&weights) })
}

/// Part 5: rebuilds a saved net and makes it the one to look inside.
fn import(saved: SavedNet, device: &Device) -> Result<String, String> {
    let weights = base64_to_floats(&saved.weights)?;
    let spec = saved.model.clone().checked()?.resolve(saved.data.channels, saved.class_names.len());
    let net = crate::lab::probes::import_weights(Net::new(&spec, device), &weights).map_err(|e| e.to_string())?;
    STATE.with(|s| {
        s.borrow_mut().trained = Some(Trained {
            label: saved.label.clone(),
            net,
            spec,
            model: saved.model,
            data: saved.data,
            class_names: saved.class_names,
        })
    });
    Ok(saved.label)
}
