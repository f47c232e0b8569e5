//! Notices when WebGPU stops answering: the browser reports the device lost (a driver reset, another
//! tab taking the GPU, `device.destroy()`), or a GPU read never resolves. Either way the work in
//! flight can never finish, so the worker says so ([`FromWorker::GpuLost`]) and the page replaces it
//! with a fresh worker (a new device, or the CPU after repeated failures).

use std::cell::RefCell;

#[cfg(feature = "gpu")]
use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::protocol::FromWorker;

#[derive(Default)]
struct Watch {
    /// Requests in flight on the GPU (runs and measurements).
    busy: u32,
    /// When the worker last showed progress: a message posted, a read answered, a request begun (ms).
    alive_at: f64,
    /// How long the GPU may stay silent while work is in flight (ms); 0 = not watching (CPU backend).
    timeout_ms: f64,
    /// Said once: the worker is replaced after it.
    reported: bool,
}

thread_local! {
    static WATCH: RefCell<Watch> = RefCell::new(Watch::default());
}

/// Wraps `GPUAdapter.prototype.requestDevice` before burn asks for its device, so the device burn
/// gets reports its loss here. (The device is also kept as `self.__labGpuDevice`, where the e2e
/// tests reach it to lose it on purpose, as a driver reset would.)
#[cfg(feature = "gpu")]
pub fn hook_device_loss() {
    let on_lost = Closure::<dyn Fn(String)>::new(|reason: String| lost(format!("the browser reported the WebGPU device lost ({reason})")));
    let hook = Function::new_with_args(
        "onLost",
        "const P = self.GPUAdapter && self.GPUAdapter.prototype;
         if (!P || P.__labHooked) return;
         P.__labHooked = true;
         const request = P.requestDevice;
         P.requestDevice = function (...args) {
           return request.apply(this, args).then((device) => {
             self.__labGpuDevice = device;
             device.lost.then((info) => onLost(`${info.reason}${info.message ? ': ' + info.message : ''}`));
             return device;
           });
         };",
    );
    if hook.call1(&JsValue::NULL, on_lost.as_ref()).is_ok() {
        on_lost.forget();
    }
}

/// Starts watching: the GPU may be silent for `timeout_s` while work is in flight.
pub fn start(timeout_s: f64) {
    WATCH.with(|w| {
        let mut w = w.borrow_mut();
        w.timeout_ms = timeout_s * 1000.0;
        w.alive_at = js_sys::Date::now();
    });
    let tick = Closure::<dyn Fn()>::new(check);
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let _ = scope.set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), 1000);
    tick.forget();
}

/// A sign of life: called for every message the worker posts.
pub fn alive() {
    WATCH.with(|w| w.borrow_mut().alive_at = js_sys::Date::now());
}

/// Marks a request in flight until the returned guard is dropped.
pub fn busy() -> Busy {
    WATCH.with(|w| {
        let mut w = w.borrow_mut();
        w.busy += 1;
        w.alive_at = js_sys::Date::now();
    });
    Busy
}

pub struct Busy;

impl Drop for Busy {
    fn drop(&mut self) {
        WATCH.with(|w| w.borrow_mut().busy -= 1);
    }
}

fn check() {
    let silent = WATCH.with(|w| {
        let w = w.borrow();
        let silent_ms = js_sys::Date::now() - w.alive_at;
        (w.timeout_ms > 0.0 && w.busy > 0 && silent_ms > w.timeout_ms).then_some(silent_ms)
    });
    if let Some(ms) = silent {
        lost(format!("the GPU gave no answer for {:.0} s while work was in flight (a read that never resolved)", ms / 1000.0));
    }
}

fn lost(reason: String) {
    let first = WATCH.with(|w| !std::mem::replace(&mut w.borrow_mut().reported, true));
    if first {
        super::post(&FromWorker::GpuLost { reason });
    }
}
