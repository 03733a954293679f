//! Teaching backprop: the thesis's worked example (Figure 2, §3.2.2, eqs. 22–39) computed by
//! hand, by the tape and by finite differences, side by side. `cosmograd explain` prints it.

mod explain_text;
pub mod thesis_net;

pub use thesis_net::{explain, Activation, Explanation, Factor, ThesisNet, WeightWalk};
