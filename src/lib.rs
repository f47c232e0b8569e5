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
#[cfg(all(target_arch = "wasm32", feature = "compute"))]
pub mod worker;
