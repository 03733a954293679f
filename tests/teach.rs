//! Tests of the teaching tools: `explain`, the backward trace, the DOT export.

#[path = "teach/dot.rs"]
mod dot;
#[path = "teach/explain.rs"]
mod explain;
#[path = "teach/trace.rs"]
mod trace;
