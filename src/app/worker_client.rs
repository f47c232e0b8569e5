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
    /// One listener per kind of request (runs, data, inspections): a page may have one of each going.
    listeners: Vec<(&'static str, Listener)>,
    choice: BackendChoice,
    status: Option<RwSignal<BackendStatus>>,
    next_id: u32,
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client {
        worker: None,
        ready: false,
        queue: vec![],
        listeners: vec![],
        choice: BackendChoice::Auto,
        status: None,
        next_id: 1,
    });
}

pub fn connect(choice: BackendChoice, status: RwSignal<BackendStatus>) {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        c.choice = choice;
        c.status = Some(status);
    });
    spawn();
}

fn spawn() {
    // trunk builds the worker with a loader shim next to the page.
    let worker = match Worker::new("./worker_loader.js") {
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
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(|ev: ErrorEvent| crashed(ev.message()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        c.worker = Some(worker);
        c.ready = false;
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
            let (worker, queue, choice) = CLIENT.with(|c| {
                let mut c = c.borrow_mut();
                c.ready = true;
                (c.worker.clone(), std::mem::take(&mut c.queue), c.choice)
            });
            if let Some(w) = worker {
                let init = serde_json::to_string(&ToWorker::Init { backend: choice }).unwrap();
                let _ = w.post_message(&JsValue::from_str(&init));
                for m in queue {
                    let _ = w.post_message(&m);
                }
            }
        }
        FromWorker::Backend { name, adapter, note } => {
            set_status(BackendStatus::Ready { name: name.clone(), adapter: adapter.clone(), note: note.clone() })
        }
        _ => {}
    }
    let listeners: Vec<Listener> = CLIENT.with(|c| c.borrow().listeners.iter().map(|(_, l)| l.clone()).collect());
    for l in listeners {
        l(&msg);
    }
}

/// The worker died (a Rust panic aborts its wasm; a lost GPU can too). Tell the running page,
/// then start a fresh worker so the page stays usable.
fn crashed(message: String) {
    let why = format!(
        "the compute worker stopped — most often because the network is too big for this device (try fewer or \
         narrower layers, a smaller batch or image size). It has been restarted and your settings are kept. \
         Details: {message}"
    );
    let (old, listeners, id) = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        (c.worker.take(), c.listeners.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(), c.next_id - 1)
    });
    if let Some(w) = old {
        w.terminate();
    }
    set_status(BackendStatus::Crashed(why.clone()));
    for l in listeners {
        l(&FromWorker::Finished { id, cancelled: false, error: Some(why.clone()) });
        l(&FromWorker::DataFailed { error: why.clone() });
    }
    spawn();
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
/// replaces it. Returns a fresh request id (listeners filter by it where it matters).
fn listen(slot: &'static str, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let id = c.next_id;
        c.next_id += 1;
        c.listeners.retain(|(s, _)| *s != slot);
        c.listeners.push((slot, Rc::new(listener)));
        id
    })
}

/// Starts a run; `listener` receives every message until the next request replaces it.
pub fn run(configs: Vec<crate::lab::experiment::ExperimentConfig>, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("run", listener);
    send(&ToWorker::Run { id, configs });
    id
}

/// Asks the worker to measure models; replies come as `Inspected` then `Finished` with the id.
pub fn inspect(request: crate::protocol::Inspect, listener: impl Fn(&FromWorker) + 'static) -> u32 {
    let id = listen("inspect", listener);
    send(&ToWorker::Inspect { id, request });
    id
}

/// Asks for a dataset's description and gallery (loading a real set from the site if needed).
pub fn preview(spec: crate::lab::data::DataSpec, seed: u64, count: usize, listener: impl Fn(&FromWorker) + 'static) {
    listen("data", listener);
    send(&ToWorker::Preview { spec, seed, count });
}

/// Hands the user's files to the worker, which recognises, verifies and keeps the dataset in them.
pub fn load_files(files: &web_sys::FileList, listener: impl Fn(&FromWorker) + 'static) {
    listen("data", listener);
    let list = js_sys::Array::new();
    for i in 0..files.length() {
        if let Some(f) = files.get(i) {
            list.push(&f);
        }
    }
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"cmd".into(), &"load_files".into());
    let _ = js_sys::Reflect::set(&msg, &"files".into(), &list);
    post(msg.into());
}

pub fn cancel(id: u32) {
    send(&ToWorker::Cancel { id });
}
