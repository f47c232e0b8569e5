//! Each page's settings as data: parsed from and written to the URL query, clamped with a note,
//! turned into the experiment configs the page runs. Pure Rust, so it is unit-tested natively.

pub mod catalogue;
pub mod data;
pub mod embed;
pub mod estimate;
pub mod ex1;
pub mod ex2;
pub mod ex3;
pub mod ex4;
pub mod ex5;
pub mod export;
pub mod nas;
pub mod page;
pub mod part1;
pub mod part2;
pub mod part3;
pub mod part4;
pub mod part5;
pub mod part6;
pub mod part7;
pub mod pipeline;
pub mod query;
pub mod readouts;
pub mod run_view;
pub mod saved_run;
pub mod seeds;
pub mod training;
pub mod variants;
pub mod visualise;
