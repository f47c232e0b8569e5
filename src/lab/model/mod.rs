//! Every network the course names, built from one spec.
//!
//! - [`spec`]: what to build, as data ([`ModelSpec`] → [`NetSpec`]); names such as `resnet56`.
//! - [`block`]: the residual block (basic or bottleneck) with every skip variant.
//! - [`net`]: stem → blocks → global pool → classifier.

#[cfg(feature = "compute")]
pub mod block;
#[cfg(feature = "compute")]
pub mod net;
pub mod spec;

#[cfg(feature = "compute")]
pub use block::{Block, BlockConfig, BlockTap, Transition};
#[cfg(feature = "compute")]
pub use net::{Net, Unit};
pub use spec::{Act, BlockKind, BlockPlan, Family, Gene, ModelSpec, NetSpec, Shortcut, Skip, SkipPattern, StageSpec, Stem, Variant};
