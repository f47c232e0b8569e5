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
use crate::lab::train::{run, Host};
use crate::protocol::{BackendChoice, DataPreview, FromWorker, Inspect, Inspection, ToWorker};

/// Samples sent for a dataset gallery.
const GALLERY: usize = 48;

#[derive(Default)]
struct State {
    device: Option<Device>,
    cancelled: HashSet<u32>,
    /// Real datasets loaded so far, kept for every later run.
    corpora: HashMap<DataKind, Rc<Corpus>>,
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

async fn run_all(id: u32, configs: Vec<crate::lab::experiment::ExperimentConfig>) {
    let Some(device) = STATE.with(|s| s.borrow().device.clone()) else {
        post(&FromWorker::Finished { id, cancelled: false, error: Some("the compute backend is not ready yet".into()) });
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
        match run(config, corpus.as_deref(), &device, &mut host).await {
            Ok(_) => {}
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
    let Some(device) = STATE.with(|s| s.borrow().device.clone()) else {
        post(&FromWorker::Finished { id, cancelled: false, error: Some("the compute backend is not ready yet".into()) });
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
