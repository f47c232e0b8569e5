//! ResNet Lab: residual networks you can train in the browser.
//!
//! - [`lab`]: device-generic burn code (models, data, the one training loop, probes). Runs natively
//!   (tests, the `lab` CLI, benchmarks) and in the browser's compute worker alike.
//! - [`protocol`]: the messages the page and the compute worker exchange.
//! - [`pages`]: each page's settings as data (URL state, clamping, the experiments it runs) — pure Rust,
//!   tested natively.
//! - `app` (wasm only): the Leptos UI; it never calls burn.
//! - `worker` (wasm only): the Web Worker that owns the burn device.

pub mod lab;
pub mod pages;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod gpu_probe;
#[cfg(all(target_arch = "wasm32", feature = "compute"))]
pub mod worker;

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    fn __wasm_call_ctors();
}

/// Runs the module's static constructors; each wasm binary calls it once, first thing in `main`.
///
/// Calling them explicitly stops wasm-ld from wrapping every export in a call to them (it does that
/// for "command" modules that never call them), which made each call into the module rerun all of
/// cubecl's registrations.
#[cfg(target_arch = "wasm32")]
pub fn run_static_constructors() {
    // SAFETY: called once per module, before any other code of the module runs.
    unsafe { __wasm_call_ctors() };
}
