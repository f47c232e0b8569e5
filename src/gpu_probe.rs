//! Asking the browser for a WebGPU adapter, from the page or a worker alike: the page asks first when
//! it could run the threaded CPU worker (which has no WebGPU), the WebGPU worker asks before it starts.

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::protocol::BackendChoice;

/// A WebGPU adapter the browser offers: its name, and whether it is a software fallback
/// (`isFallbackAdapter`: SwiftShader in headless Chromium, far slower than the CPU path).
pub struct Adapter {
    pub name: String,
    pub software: bool,
}

/// Asks the browser for a WebGPU adapter; `Err` says why there is none.
pub async fn probe_webgpu() -> Result<Adapter, String> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).map_err(|_| "no navigator")?;
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
    let name =
        [field("vendor"), field("architecture"), field("description")].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    // Newer browsers say it in `info`, older ones on the adapter itself.
    let flag = |o: &JsValue| Reflect::get(o, &"isFallbackAdapter".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false);
    Ok(Adapter { name: if name.is_empty() { "WebGPU adapter".into() } else { name }, software: flag(&info) || flag(&adapter) })
}

/// The adapter `choice` should train on, given what the probe found; `Err` says why training runs on
/// the CPU instead.
pub fn usable(choice: BackendChoice, probe: Result<Adapter, String>) -> Result<Adapter, String> {
    match probe {
        // `auto` never picks a software GPU: SwiftShader took 182 s for Part 1's default run where
        // the CPU path took about 20 s.
        Ok(Adapter { name, software: true }) if choice == BackendChoice::Auto => Err(format!(
            "the only WebGPU adapter here is a software one ({name}), slower than the CPU path; training runs on the CPU \
             (?backend=webgpu uses it anyway)"
        )),
        Ok(adapter) => Ok(adapter),
        Err(why) => {
            let prefix = if choice == BackendChoice::Webgpu { "WebGPU was requested, but " } else { "" };
            Err(format!("{prefix}{why}; training runs on the CPU"))
        }
    }
}
