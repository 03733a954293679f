//! `cosmograd gradcheck [--op NAME] [--json] [--worst N] [--backend cpu|gpu]`: the
//! gradient-check suite as a table. On the CPU the analytic gradients are f64; with
//! `--backend gpu` they are the GPU's (f32), checked against the same f64 finite differences
//! with f32 tolerances, which the output states.

use crate::autodiff::gradcheck::GradcheckOptions;
use crate::backend::{choose, BackendChoice, Chosen};
use crate::error::{Error, Result};
use crate::ops::cases::all_cases;
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only the cases of this op (e.g. `gmm_nll`, `conv2d`).
    #[arg(long)]
    pub op: Option<String>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also print the K worst elements of each failing input (the gradient table).
    #[arg(long, default_value_t = 0)]
    pub worst: usize,
    /// Where the analytic gradients are computed (default: COSMOGRAD_BACKEND, else cpu).
    #[arg(long, value_enum)]
    pub backend: Option<BackendChoice>,
}

#[derive(Serialize)]
struct Row {
    op: String,
    variant: String,
    input: String,
    shape: Vec<usize>,
    max_abs_err: f64,
    max_rel_err: f64,
    ok: bool,
}

pub fn run(a: Args) -> Result<i32> {
    let cases: Vec<_> = all_cases()
        .into_iter()
        .filter(|c| a.op.as_deref().is_none_or(|op| c.op == op))
        .collect();
    if cases.is_empty() {
        let ops = crate::ops::cases::op_names().join(", ");
        return Err(Error::Other(format!(
            "no gradient check for op `{}`; known ops: {ops}",
            a.op.unwrap_or_default()
        )));
    }
    let chosen = choose(a.backend)?;
    let f32_opts = GradcheckOptions::f32_options();
    let (backend_name, atol, rtol) = match &chosen {
        Chosen::Cpu => (
            "cpu-f64".to_string(),
            GradcheckOptions::default().atol,
            GradcheckOptions::default().rtol,
        ),
        Chosen::Gpu(g) => (crate::backend::Backend::name(g), f32_opts.atol, f32_opts.rtol),
    };
    let mut rows = Vec::new();
    let mut tables = Vec::new();
    for mut case in cases {
        case.opts.top = a.worst.max(1);
        let report = match &chosen {
            Chosen::Cpu => case.check()?,
            Chosen::Gpu(g) => case.check_on(g, atol, rtol)?,
        };
        for inp in &report.inputs {
            rows.push(Row {
                op: case.op.to_string(),
                variant: case.variant.clone(),
                input: inp.name.clone(),
                shape: inp.shape.clone(),
                max_abs_err: inp.max_abs_err,
                max_rel_err: inp.max_rel_err,
                ok: inp.passed,
            });
        }
        if a.worst > 0 && !report.passed() {
            tables.push(format!("{} ({})\n{}", case.op, case.variant, report.table()));
        }
    }
    let passed = rows.iter().filter(|r| r.ok).count();
    let failed = rows.len() - passed;
    if a.json {
        let out = serde_json::json!({
            "backend": backend_name, "atol": atol, "rtol": rtol,
            "rows": rows, "passed": passed, "failed": failed
        });
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| Error::Other(e.to_string()))?);
    } else {
        println!(
            "analytic gradients on {backend_name}, against f64 central differences on the CPU; \
             pass: |analytic − numeric| ≤ {atol:e} + {rtol:e}·|numeric|"
        );
        println!(
            "{:<16} {:<22} {:<10} {:<14} {:>12} {:>12}  result",
            "op", "variant", "input", "shape", "max abs err", "max rel err"
        );
        for r in &rows {
            println!(
                "{:<16} {:<22} {:<10} {:<14} {:>12.3e} {:>12.3e}  {}",
                r.op,
                r.variant,
                r.input,
                format!("{:?}", r.shape),
                r.max_abs_err,
                r.max_rel_err,
                if r.ok { "OK" } else { "FAIL" }
            );
        }
        for t in tables {
            println!("\n{t}");
        }
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 { 0 } else { 1 })
}
