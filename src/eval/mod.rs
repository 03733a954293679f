//! Evaluation and figures: plain host code on `f64` slices, no tape.

pub mod calibration;
pub mod fields;
pub mod fisher;
pub mod map_grid;
pub mod mixture;
pub mod normal;
pub mod plot;
