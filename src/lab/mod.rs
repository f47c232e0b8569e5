//! The lab's core. The burn code (models, training loop, probes) is generic over the runtime
//! [`burn::prelude::Device`] and sits behind the `compute` feature; the plain data types (configs,
//! events, model specs, datasets) are always there, so the UI can use them without burn.

pub mod data;
pub mod experiment;
pub mod gradients;
pub mod landscape;
pub mod measure;
pub mod model;
pub mod report;
pub mod rng;
pub mod search;

#[cfg(feature = "compute")]
pub mod exec;
#[cfg(feature = "compute")]
pub mod probes;
#[cfg(feature = "compute")]
pub mod train;
