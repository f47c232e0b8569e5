//! The compute worker: owns the burn device (WebGPU or flex) inside a dedicated Web Worker, so
//! training never blocks the page. Commands come in as JSON [`ToWorker`], events go out as
//! [`FromWorker`].

mod data;
mod gpu_watch;
#[cfg(feature = "threads")]
pub mod threads;

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
use crate::lab::measure::{self, Measure, SavedNet, Trained};
use crate::lab::train::{run_model, Host};
use crate::protocol::{BackendChoice, DataPreview, FromWorker, ToWorker};

/// Samples sent for a dataset gallery.
const GALLERY: usize = 48;

#[derive(Default)]
struct State {
    device: Option<Device>,
    cancelled: HashSet<u32>,
    /// Real datasets loaded so far, kept for every later run.
    corpora: HashMap<DataKind, Rc<Corpus>>,
    /// The last network trained in this tab (Part 5 looks inside it).
    trained: Option<Rc<Trained>>,
    /// The one trained before it: a page comparing two nets (the loss landscapes) measures both.
    previous: Option<Rc<Trained>>,
}

/// Keeps `t` as the last trained net; the one before it stays as `previous`, older ones are dropped.
fn keep(t: Trained) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.previous = s.trained.take();
        s.trained = Some(Rc::new(t));
    });
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Reports the wasm memory's size (see [`FromWorker::Memory`]).
fn post_memory() {
    let buffer = js_sys::Reflect::get(&wasm_bindgen::memory(), &"buffer".into());
    if let Some(bytes) = buffer.ok().and_then(|b| js_sys::Reflect::get(&b, &"byteLength".into()).ok()).and_then(|v| v.as_f64()) {
        post(&FromWorker::Memory { bytes: bytes as u64 });
    }
}

/// Whether the page has cancelled request `id`.
fn is_cancelled(id: u32) -> bool {
    STATE.with(|s| s.borrow().cancelled.contains(&id))
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(msg: &FromWorker) {
    gpu_watch::alive();
    let json = serde_json::to_string(msg).expect("messages serialise");
    let _ = scope().post_message(&JsValue::from_str(&json));
}

/// Whether this instance is a CPU pool thread of the threaded worker (see [`threads`]'s loader).
pub fn is_pool_thread() -> bool {
    Reflect::get(&js_sys::global(), &"__labPoolThread".into()).is_ok_and(|v| v.is_truthy())
}

/// Entry point of the worker binary.
pub fn start() {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        if let Some((id, files)) = data::as_file_message(&ev.data()) {
            spawn_local(data::load_files(id, files));
            return;
        }
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(ToWorker::Init { backend, gpu_timeout_s, threads, note }) => spawn_local(init(backend, gpu_timeout_s, threads, note)),
            Ok(ToWorker::Run { id, configs }) => spawn_local(run_all(id, configs)),
            Ok(ToWorker::Cancel { id }) => STATE.with(|s| {
                s.borrow_mut().cancelled.insert(id);
            }),
            Ok(ToWorker::Preview { id, spec, seed, count }) => spawn_local(preview(id, spec, seed, count)),
            Ok(ToWorker::Measure { id, request }) => spawn_local(measure(id, request)),
            Ok(ToWorker::SaveNet { id }) => spawn_local(save_net(id)),
            Ok(ToWorker::LoadNet { id, saved }) => spawn_local(load_net(id, saved)),
            Err(e) => web_sys::console::error_1(&format!("worker: bad message {text}: {e}").into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready);
}

/// Starts the CPU thread pool where this build has one; how many threads run, and why fewer than asked.
#[cfg(feature = "threads")]
async fn cpu_threads(asked: u32) -> (usize, Option<String>) {
    // Even one thread needs the pool here: flex's kernels call into rayon in this build.
    threads::start_pool(asked.max(1) as usize).await
}

#[cfg(not(feature = "threads"))]
async fn cpu_threads(_: u32) -> (usize, Option<String>) {
    (1, None)
}

/// The device a worker settled on: (device, "webgpu" or "cpu", adapter, note for the badge).
type Chosen = (Device, &'static str, String, Option<String>);

fn cpu(note: String) -> Chosen {
    (Device::flex(), "cpu", "burn flex (WebAssembly)".into(), Some(note))
}

/// WebGPU when the browser offers a hardware adapter, otherwise the CPU (with the reason).
#[cfg(feature = "gpu")]
async fn webgpu_or_cpu(choice: BackendChoice) -> Chosen {
    gpu_watch::hook_device_loss();
    match crate::gpu_probe::usable(choice, crate::gpu_probe::probe_webgpu().await) {
        Ok(adapter) => match Device::wgpu_options().init_async().await {
            Ok(device) => (device, "webgpu", adapter.name, None),
            Err(e) => cpu(format!("WebGPU could not start ({e:?}); training runs on the CPU instead")),
        },
        Err(why) => cpu(why),
    }
}

/// The threaded CPU worker has no WebGPU: the page sends GPU work to the other worker.
#[cfg(not(feature = "gpu"))]
async fn webgpu_or_cpu(_: BackendChoice) -> Chosen {
    cpu("this worker is built for the CPU only".into())
}

async fn init(choice: BackendChoice, gpu_timeout_s: f64, threads: u32, page_note: Option<String>) {
    if STATE.with(|s| s.borrow().device.is_some()) {
        return;
    }
    let mut threads_used = 1;
    let (device, name, mut adapter, mut note) = match (choice, page_note) {
        (_, Some(why)) => cpu(why),
        (BackendChoice::Cpu, None) => cpu("CPU chosen with ?backend=cpu".into()),
        (_, None) => webgpu_or_cpu(choice).await,
    };
    if name == "cpu" {
        let (threads, why) = cpu_threads(threads).await;
        threads_used = threads as u32;
        adapter = format!("burn flex (WebAssembly, {threads} thread{})", if threads == 1 { "" } else { "s" });
        if let Some(why) = why {
            note = Some(note.map_or(why.clone(), |n| format!("{n}; {why}")));
        }
    }
    if name == "webgpu" {
        gpu_watch::start(gpu_timeout_s.clamp(1.0, 3600.0));
    }
    STATE.with(|s| s.borrow_mut().device = Some(device));
    post(&FromWorker::Backend { name: name.into(), adapter, note, threads: threads_used });
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
        is_cancelled(self.id)
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

/// One training run; the trained net is kept for later measurements (the last finished run wins).
async fn run_keeping(
    config: &crate::lab::experiment::ExperimentConfig,
    corpus: Option<Rc<Corpus>>,
    device: &Device,
    host: &mut WorkerHost,
) -> Result<(), RunError> {
    let (_, net) = run_model(config, corpus.as_deref(), device, host).await?;
    let class_names = match &corpus {
        Some(c) => c.class_names.clone(),
        None => config.data.synthetic_class_names(),
    };
    keep(Trained::new(config, net, class_names));
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
            match data::ensure(id, config.data.kind).await {
                Ok(c) => Some(c),
                Err(_) if is_cancelled(id) => {
                    outcome = (true, None);
                    break;
                }
                Err(e) => {
                    host.emit(Event::Failed { reason: e.clone() });
                    outcome = (false, Some(e));
                    break;
                }
            }
        } else {
            None
        };
        // A run that would not fit in the tab is refused before it allocates anything.
        if let Err(e) = config.check_memory(crate::lab::experiment::BROWSER_MEMORY_LIMIT) {
            host.emit(Event::Failed { reason: e.clone() });
            outcome = (false, Some(e));
            break;
        }
        let busy = gpu_watch::busy();
        let result = run_keeping(config, corpus, &device, &mut host).await;
        drop(busy);
        match result {
            Ok(()) => {}
            Err(RunError::Cancelled) => {
                outcome = (true, None);
                break;
            }
            Err(e) => {
                // A diverged series is reported and the rest still run: the comparison stays useful.
                host.emit(Event::Failed { reason: e.to_string() });
                if !matches!(e, RunError::Diverged { .. } | RunError::GradientOverflow { .. }) {
                    outcome = (false, Some(e.to_string()));
                    break;
                }
            }
        }
    }
    STATE.with(|s| s.borrow_mut().cancelled.remove(&id));
    post_memory();
    post(&FromWorker::Finished { id, cancelled: outcome.0, error: outcome.1 });
}

/// A dataset's description and gallery; real sets are loaded first (with progress).
async fn preview(id: u32, spec: DataSpec, seed: u64, count: usize) {
    let count = count.min(GALLERY * 4);
    let msg = if spec.kind.is_real() {
        match data::ensure(id, spec.kind).await {
            Ok(c) => FromWorker::Data { id, preview: DataPreview::of_corpus(&c, count) },
            Err(error) => FromWorker::DataFailed { id, error },
        }
    } else {
        match spec.clone().checked_synthetic() {
            Ok(spec) => FromWorker::Data { id, preview: DataPreview::of_dataset(&Dataset::generate(&spec, seed), count) },
            Err(error) => FromWorker::DataFailed { id, error },
        }
    };
    post(&msg);
}

fn trained() -> Option<Rc<Trained>> {
    STATE.with(|s| s.borrow().trained.clone())
}

/// Forwards a measurement to [`measure::measure`]; each item goes back as it is measured.
async fn measure(id: u32, request: Measure) {
    let error = async {
        let device = ready_device().await.ok_or(NOT_READY)?;
        let trained = trained();
        let corpus = match request.dataset(trained.as_deref()) {
            Some(kind) => Some(data::ensure(id, kind).await?),
            None => None,
        };
        let host = WorkerHost { id, series: 0 };
        let previous = STATE.with(|s| s.borrow().previous.clone());
        let recent: Vec<&Trained> = previous.as_deref().into_iter().chain(trained.as_deref()).collect();
        let _busy = gpu_watch::busy();
        measure::measure(&request, &device, &recent, corpus.as_deref(), &host, |index, result| {
            post(&FromWorker::Measured { id, index, result })
        })
        .await
    }
    .await
    .err();
    finish(id, error);
}

fn finish(id: u32, error: Option<String>) {
    let cancelled = STATE.with(|s| s.borrow_mut().cancelled.remove(&id));
    post(&FromWorker::Finished { id, cancelled, error });
}

async fn save_net(id: u32) {
    let _busy = gpu_watch::busy();
    match measure::save_net(trained().as_deref()).await {
        Ok(saved) => {
            post(&FromWorker::NetSaved { id, saved });
            finish(id, None);
        }
        Err(e) => finish(id, Some(e)),
    }
}

async fn load_net(id: u32, saved: SavedNet) {
    let Some(device) = ready_device().await else { return finish(id, Some(NOT_READY.into())) };
    match measure::load_net(saved, &device) {
        Ok(t) => {
            let label = t.label.clone();
            keep(t);
            post(&FromWorker::NetLoaded { id, label });
            finish(id, None);
        }
        Err(e) => finish(id, Some(e)),
    }
}
