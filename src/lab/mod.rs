//! The lab's core: plain burn code, generic over the runtime [`burn::prelude::Device`].

pub mod data;
pub mod exec;
pub mod experiment;
pub mod model;
pub mod probes;
pub mod rng;
pub mod train;
