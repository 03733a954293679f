//! Synthetic simulators that write the file layouts of the real data sets, so that the same
//! loaders read both: CMD-like log-temperature maps with a known information content.

pub mod cmd;
pub mod cmd_model;
