//! The page's side of the compute worker: starts it, waits for its "ready", queues messages until
//! then, routes replies, and restarts it if it dies.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::BackendStatus;
use crate::protocol::{BackendChoice, FromWorker, ToWorker};

type Listener = Rc<dyn Fn(&FromWorker)>;

struct Client {
    worker: Option<Worker>,
    ready: bool,
    /// Messages sent before the worker was ready: JSON strings, or the file-loading object.
    queue: Vec<JsValue>,
    /// One listener per kind of request (runs, data, measurements, saved nets): a page may have one
    /// of each going. Each hears only replies to its own request (by id) and the worker's status.
    listeners: Vec<(&'static str, u32, Listener)>,
    choice: BackendChoice,
    /// `?gpu_timeout=` (seconds), passed on to every worker.
    gpu_timeout_s: f64,
    status: Option<RwSignal<BackendStatus>>,
    /// The worker's last reported wasm memory (bytes).
    memory: Option<RwSignal<Option<u64>>>,
    next_id: u32,
    /// When workers died (ms), for [`crate::protocol::restart_plan`].
    crashes: Vec<f64>,
    /// The backend the running worker reported ("webgpu" or "cpu").
    backend: Option<String>,
    /// CPU threads wanted (`?threads=`, else the machine's cores); more than one needs the threaded
    /// worker, which needs a cross-origin isolated page.
    threads: u32,
    /// Why the page itself chose the CPU (its WebGPU probe before a threaded CPU worker).
    cpu_note: Option<String>,
    /// Whether the running worker is the threaded CPU one.
    threaded: bool,
    /// A threaded worker failed to start once: only the single-threaded one from then on.
    threads_failed: bool,
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client {
        worker: None,
        ready: false,
        queue: vec![],
        listeners: vec![],
        choice: BackendChoice::Auto,
        gpu_timeout_s: crate::protocol::DEFAULT_GPU_TIMEOUT_S,
        status: None,
        memory: None,
        next_id: 1,
        crashes: vec![],
        backend: None,
        threads: 1,
        cpu_note: None,
        threaded: false,
        threads_failed: false,
    });
}

pub fn connect(choice: BackendChoice, gpu_timeout_s: f64, threads: u32, status: RwSignal<BackendStatus>, memory: RwSignal<Option<u64>>) {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        c.choice = choice;
        c.gpu_timeout_s = gpu_timeout_s;
        c.threads = threads.max(1);
        c.status = Some(status);
        c.memory = Some(memory);
    });
    if choice == BackendChoice::Auto && threads_possible() {
        // The threaded CPU worker has no WebGPU, so the page asks for an adapter itself first.
        wasm_bindgen_futures::spawn_local(async {
            if let Err(why) = crate::gpu_probe::usable(BackendChoice::Auto, crate::gpu_probe::probe_webgpu().await) {
                CLIENT.with(|c| {
                    let mut c = c.borrow_mut();
                    c.choice = BackendChoice::Cpu;
                    c.cpu_note = Some(why);
                });
            }
            spawn();
        });
    } else {
        spawn();
    }
}

/// Whether the page may share memory with workers (`crossOriginIsolated`: the COOP and COEP headers
/// `make serve` sends).
fn isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).is_ok_and(|v| v.is_truthy())
}

/// Whether the engine has WebAssembly relaxed SIMD, which the threaded worker's matrix kernels use (one
/// fused multiply-add; Chromium since 114, other engines vary): a module whose one function is
/// `f32x4.relaxed_madd` of three constants, validated. Without it the threaded worker would not compile.
fn relaxed_simd() -> bool {
    let mut module = vec![0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]; // "\0asm", version 1
    module.extend([0x01, 5, 1, 0x60, 0, 1, 0x7b]); // types: () -> v128
    module.extend([0x03, 2, 1, 0]); // one function of that type
    module.extend([0x0a, 61, 1, 59, 0]); // code: one body of 59 bytes, no locals
    for _ in 0..3 {
        module.extend([0xfd, 0x0c]); // v128.const 0
        module.extend([0; 16]);
    }
    module.extend([0xfd, 0x85, 0x02, 0x0b]); // f32x4.relaxed_madd, end
    js_sys::WebAssembly::validate(&js_sys::Uint8Array::from(&module[..]).into()).unwrap_or(false)
}

/// Whether this page can run the threaded CPU worker: more than one thread wanted, shared memory allowed,
/// relaxed SIMD there.
fn threads_possible() -> bool {
    let isolated = isolated();
    let relaxed = relaxed_simd();
    CLIENT.with(|c| {
        let c = c.borrow();
        isolated && relaxed && c.threads > 1 && !c.threads_failed
    })
}

/// Why the CPU path runs one thread where more were wanted, for the badge.
fn single_thread_reason() -> Option<String> {
    let isolated = isolated();
    CLIENT.with(|c| {
        let c = c.borrow();
        if c.threads <= 1 {
            None
        } else if c.threads_failed {
            Some("one CPU thread: the threaded worker did not start here".to_string())
        } else if !isolated {
            Some(
                "one CPU thread: threads share memory only on a cross-origin isolated page (COOP and COEP headers), \
                 which this one is not"
                    .to_string(),
            )
        } else if !relaxed_simd() {
            Some("one CPU thread: the threaded worker needs WebAssembly relaxed SIMD, which this browser lacks".to_string())
        } else {
            None
        }
    })
}

fn spawn() {
    let threaded = threads_possible() && CLIENT.with(|c| c.borrow().choice == BackendChoice::Cpu);
    // trunk builds the worker with a loader shim next to the page; the threaded one comes with its own.
    let script = if threaded { "./worker_mt_loader.js" } else { "./worker_loader.js" };
    let worker = match Worker::new(script) {
        Ok(w) => w,
        Err(e) => {
            set_status(BackendStatus::Crashed(format!("could not start the compute worker: {e:?}")));
            return;
        }
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        match serde_json::from_str::<FromWorker>(&text) {
            Ok(msg) => handle(msg),
            Err(e) => web_sys::console::error_1(&format!("page: bad worker message: {e}").into()),
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(|ev: ErrorEvent| crashed(Stop::Died(ev.message())));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        c.worker = Some(worker);
        c.ready = false;
        c.threaded = threaded;
    });
}

fn set_status(s: BackendStatus) {
    if let Some(sig) = CLIENT.with(|c| c.borrow().status) {
        sig.set(s);
    }
}

fn handle(msg: FromWorker) {
    match &msg {
        FromWorker::Ready => {
            let (worker, queue, init) = CLIENT.with(|c| {
                let mut c = c.borrow_mut();
                c.ready = true;
                let threads = if c.threaded { c.threads } else { 1 };
                let init = ToWorker::Init { backend: c.choice, gpu_timeout_s: c.gpu_timeout_s, threads, note: c.cpu_note.clone() };
                (c.worker.clone(), std::mem::take(&mut c.queue), init)
            });
            if let Some(w) = worker {
                let init = serde_json::to_string(&init).unwrap();
                let _ = w.post_message(&JsValue::from_str(&init));
                for m in queue {
                    let _ = w.post_message(&m);
                }
            }
        }
        FromWorker::Memory { bytes } => {
            if let Some(m) = CLIENT.with(|c| c.borrow().memory) {
                m.set(Some(*bytes));
            }
        }
        FromWorker::GpuLost { reason } => return crashed(Stop::GpuLost(reason.clone())),
        FromWorker::Backend { name, adapter, note, threads } => {
            CLIENT.with(|c| c.borrow_mut().backend = Some(name.clone()));
            let single = if name == "cpu" && *threads == 1 { single_thread_reason() } else { None };
            let note = match (note.clone(), single) {
                (Some(n), Some(s)) => Some(format!("{n}; {s}")),
                (n, s) => n.or(s),
            };
            set_status(BackendStatus::Ready { name: name.clone(), adapter: adapter.clone(), note, threads: *threads })
        }
        _ => {}
    }
    let listeners: Vec<(u32, Listener)> = CLIENT.with(|c| c.borrow().listeners.iter().map(|(_, id, l)| (*id, l.clone())).collect());
    for (id, l) in listeners {
        if msg.request_id().is_none_or(|r| r == id) {
            l(&msg);
        }
    }
}

/// Why a worker is replaced.
enum Stop {
    /// It died: a Rust panic aborts its wasm (a lost GPU can too); the browser's error message.
    Died(String),
    /// It reported WebGPU gone ([`FromWorker::GpuLost`]); it is terminated.
    GpuLost(String),
}

/// The worker died or its GPU did. Tell the running page what was lost, then start a fresh worker —
/// backing off, on the CPU after repeated WebGPU failures, and not at all once it keeps dying on the
/// CPU too.
fn crashed(stop: Stop) {
    let now = js_sys::Date::now();
    let (old, listeners, plan, choice) = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        c.crashes.push(now);
        c.crashes.retain(|&t| now - t <= crate::protocol::CRASH_WINDOW_MS);
        let on_webgpu = c.backend.as_deref() != Some("cpu") && c.choice != BackendChoice::Cpu;
        // A threaded worker that died before it reported its backend did not start here: the
        // single-threaded one replaces it, now and later.
        if c.threaded && c.backend.is_none() {
            c.threads_failed = true;
        }
        let plan = crate::protocol::restart_plan(&c.crashes, now, on_webgpu);
        if plan.to_cpu {
            c.choice = BackendChoice::Cpu;
        }
        c.backend = None;
        (c.worker.take(), c.listeners.iter().map(|(_, id, l)| (*id, l.clone())).collect::<Vec<_>>(), plan, c.choice)
    });
    let next = if plan.give_up {
        "It keeps stopping, so it has not been restarted: reload the page to try again.".to_string()
    } else if plan.to_cpu {
        format!("WebGPU failed repeatedly, so it restarts on the CPU in {:.1} s.", plan.delay_ms / 1000.0)
    } else {
        format!("It restarts in {:.1} s on the {} backend; your settings are kept.", plan.delay_ms / 1000.0, choice.name())
    };
    let head = match &stop {
        Stop::Died(_) => {
            "the compute worker stopped — most often because the network is too big for this device (try fewer or \
             narrower layers, a smaller batch or image size)."
        }
        Stop::GpuLost(_) => "the GPU stopped answering, so the work in flight could not finish and the compute worker was replaced.",
    };
    let (Stop::Died(details) | Stop::GpuLost(details)) = &stop;
    let why = format!(
        "{head} {next} What it held is gone: a dataset you loaded from your own files (load it again on the Data page) \
         and the last trained net (train it again, or reload one saved on Part 4). Details: {details}"
    );
    if let Some(w) = old {
        w.terminate();
    }
    set_status(BackendStatus::Crashed(why.clone()));
    for (id, l) in listeners {
        l(&FromWorker::Finished { id, cancelled: false, error: Some(why.clone()) });
        l(&FromWorker::DataFailed { id, error: why.clone() });
    }
    if !plan.give_up {
        set_timeout(spawn, std::time::Duration::from_millis(plan.delay_ms as u64));
    }
}

fn send(msg: &ToWorker) {
    post(JsValue::from_str(&serde_json::to_string(msg).expect("messages serialise")));
}

fn post(msg: JsValue) {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        match (&c.worker, c.ready) {
            (Some(w), true) => {
                let _ = w.post_message(&msg);
            }
            _ => c.queue.push(msg),
        }
    });
}

/// Makes `listener` receive every worker message until the next request of the same `slot`
/// replaces it; it hears only replies to the request with the returned id.
fn listen(slot: &'static str, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let id = c.next_id;
        c.next_id += 1;
        c.listeners.retain(|(s, _, _)| *s != slot);
        c.listeners.push((slot, id, Rc::new(listener)));
        id
    })
}

/// Starts a run; `listener` receives every message until the next request replaces it.
pub fn run(configs: Vec<crate::lab::experiment::ExperimentConfig>, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("run", listener);
    send(&ToWorker::Run { id, configs });
    id
}

/// Asks the worker to measure; replies come as `Measured` then `Finished` with the returned id.
pub fn measure(request: crate::protocol::Measure, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    measure_as("measure", request, listener)
}

/// [`measure`] in a slot of its own, so two measurements can be in flight at once (a page that measures
/// before and after training).
pub fn measure_as(slot: &'static str, request: crate::protocol::Measure, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen(slot, listener);
    send(&ToWorker::Measure { id, request });
    id
}

/// Asks for the last trained net with its weights (`NetSaved`, then `Finished`).
pub fn save_net(listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("net", listener);
    send(&ToWorker::SaveNet { id });
    id
}

/// Makes a saved net the one later measurements look inside (`NetLoaded`, then `Finished`).
pub fn load_net(saved: crate::protocol::SavedNet, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("net", listener);
    send(&ToWorker::LoadNet { id, saved });
    id
}

/// Asks for a dataset's description and gallery (loading a real set from the site if needed).
pub fn preview(spec: crate::lab::data::DataSpec, seed: u64, count: usize, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("data", listener);
    send(&ToWorker::Preview { id, spec, seed, count });
    id
}

/// Hands the user's files to the worker, which recognises, verifies and keeps the dataset in them.
pub fn load_files(files: &web_sys::FileList, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("data", listener);
    let list = js_sys::Array::new();
    for i in 0..files.length() {
        if let Some(f) = files.get(i) {
            list.push(&f);
        }
    }
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"cmd".into(), &"load_files".into());
    let _ = js_sys::Reflect::set(&msg, &"id".into(), &(id as f64).into());
    let _ = js_sys::Reflect::set(&msg, &"files".into(), &list);
    post(msg.into());
    id
}

pub fn cancel(id: u32) {
    send(&ToWorker::Cancel { id });
}
