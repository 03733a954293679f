//! Tests of the teaching tools: `explain`, the lesson page (its data, its command line, and
//! the page in headless Chromium), the backward trace, the DOT export, the gradient table, and
//! the example programs (included as modules and run).

// The examples' `main` is for `cargo run --example`; the tests call `output()`.
#[allow(dead_code)]
#[path = "../examples/backward_trace.rs"]
mod backward_trace_example;
#[path = "teach/browser.rs"]
mod browser;
#[path = "teach/cli.rs"]
mod cli;
#[path = "../examples/custom_op.rs"]
mod custom_op_example;
#[path = "teach/dot.rs"]
mod dot;
#[path = "teach/examples.rs"]
mod examples;
#[path = "teach/explain.rs"]
mod explain;
#[path = "teach/gradcheck_table.rs"]
mod gradcheck_table;
#[allow(dead_code)]
#[path = "../examples/gradcheck_table.rs"]
mod gradcheck_table_example;
#[path = "teach/lesson.rs"]
mod lesson;
#[path = "teach/lesson_cli.rs"]
mod lesson_cli;
#[path = "teach/png.rs"]
mod png;
#[path = "teach/trace.rs"]
mod trace;
