//! Threads for the CPU path: flex's kernels (gemm, convolutions, element-wise ops) run on rayon's
//! global pool, and in the browser each pool thread is a Web Worker that shares this module's memory.
//!
//! Only the `worker_mt` build has this (feature `threads`, compiled with atomics by `make worker-mt`, trunk's post-build hook):
//! shared memory needs a cross-origin isolated page (COOP + COEP headers), so the page picks this
//! worker only when `crossOriginIsolated` is true and uses the single-threaded worker otherwise.
//!
//! The compute worker itself is one of the pool's threads (`use_current_thread`); for each other one
//! it creates a `worker_mt_thread.js` worker and sends it this module, its memory and a pointer to a
//! shared queue. Each instantiates the module on that memory, says "ready", and blocks on the queue
//! until rayon hands it a [`rayon::ThreadBuilder`] to run. The pool is built only after every thread
//! is ready: a worker that is still starting may need its parent's event loop, which a blocked parent
//! would never give it.

use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

type Queue = Mutex<Receiver<rayon::ThreadBuilder>>;

/// Entry point of a pool thread (called by worker_mt_thread.js once the module runs on the shared
/// memory): waits for its `ThreadBuilder`, then serves rayon until the pool ends.
#[wasm_bindgen]
pub fn lab_thread_run(queue: u32) {
    // SAFETY: `queue` is an `Arc<Queue>` leaked by `start_pool` once for this thread.
    let queue = unsafe { Arc::from_raw(queue as usize as *const Queue) };
    let builder = queue.lock().ok().and_then(|rx| rx.recv().ok());
    drop(queue);
    if let Some(builder) = builder {
        builder.run();
    }
}

/// Makes rayon's global pool with `n` threads (this one and `n - 1` workers): how many run, and why
/// fewer when a worker would not start (the pool then is this thread alone, which always works).
pub async fn start_pool(n: usize) -> (usize, Option<String>) {
    let pool = start_helpers(n.saturating_sub(1)).await.and_then(|(workers, tx)| {
        let built = rayon::ThreadPoolBuilder::new()
            .num_threads(workers.len() + 1)
            .use_current_thread()
            .spawn_handler(move |thread| tx.send(thread).map_err(|_| std::io::Error::other("a CPU thread stopped before the pool started")))
            .build_global();
        // The workers live as long as the pool (the worker's whole life); keeping their handles
        // stops a browser from collecting them.
        std::mem::forget(workers);
        built.map_err(|e| format!("the CPU thread pool did not start ({e})"))
    });
    match pool {
        Ok(()) => (rayon::current_num_threads(), None),
        Err(why) => {
            let alone = rayon::ThreadPoolBuilder::new().num_threads(1).use_current_thread().build_global();
            debug_assert!(alone.is_ok(), "a one-thread pool on the current thread needs no spawning");
            (1, Some(format!("{why}; training uses one thread")))
        }
    }
}

type Helpers = (Vec<Worker>, std::sync::mpsc::Sender<rayon::ThreadBuilder>);

/// Starts `n` helper workers on this module and memory and waits until each is ready.
async fn start_helpers(n: usize) -> Result<Helpers, String> {
    let (tx, rx) = channel::<rayon::ThreadBuilder>();
    let queue: Arc<Queue> = Arc::new(Mutex::new(rx));
    let mut ready = Vec::with_capacity(n);
    for i in 0..n {
        let worker = Worker::new("./worker_mt_thread.js").map_err(|e| format!("could not start CPU thread {i}: {e:?}"))?;
        // Resolves on the thread's "ready", rejects on its load error.
        let promise = Promise::new(&mut |resolve, reject| {
            let reject2 = reject.clone();
            let on_message = Closure::once_into_js(move |ev: MessageEvent| {
                let _ = if ev.data().as_string().as_deref() == Some("ready") {
                    resolve.call0(&JsValue::NULL)
                } else {
                    reject.call1(&JsValue::NULL, &ev.data())
                };
            });
            // A script that fails to load fires a plain `Event`, a thrown error an `ErrorEvent`; either
            // is handled here rather than passed up as this worker's own uncaught error.
            let on_error = Closure::once_into_js(move |ev: web_sys::Event| {
                ev.prevent_default();
                let message = js_sys::Reflect::get(&ev, &"message".into()).ok().and_then(|m| m.as_string());
                let _ = reject2.call1(&JsValue::NULL, &JsValue::from_str(message.as_deref().unwrap_or("its script did not load")));
            });
            worker.set_onmessage(Some(on_message.unchecked_ref()));
            worker.set_onerror(Some(on_error.unchecked_ref()));
        });
        let ptr = Arc::into_raw(queue.clone()) as usize as u32;
        let init = Array::of3(&wasm_bindgen::module(), &wasm_bindgen::memory(), &JsValue::from(ptr));
        worker.post_message(&init).map_err(|e| format!("could not start CPU thread {i}: {e:?}"))?;
        ready.push((worker, promise));
    }
    let mut workers = Vec::with_capacity(n);
    for (i, (worker, promise)) in ready.into_iter().enumerate() {
        if let Err(e) = JsFuture::from(promise).await {
            // Helpers already blocked on the queue stay parked; ending them is the browser's job.
            return Err(format!("CPU thread {i} did not start ({})", e.as_string().unwrap_or_else(|| format!("{e:?}"))));
        }
        worker.set_onmessage(None);
        workers.push(worker);
    }
    Ok((workers, tx))
}
