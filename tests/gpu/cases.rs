//! Every case of the gradient-check suite on the GPU: forward values and gradients against the
//! f64 CPU (the same cases `cosmograd gradcheck` runs), and the GPU's analytic gradients
//! against f64 finite differences (`cosmograd gradcheck --backend gpu`).

use cosmograd::autodiff::gradcheck::GradcheckOptions;
use cosmograd::backend::{gpu_or_skip, Cpu};
use cosmograd::ops::cases::all_cases;

#[test]
fn every_case_matches_the_f64_cpu_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("every_case_matches_the_f64_cpu_on_the_gpu") else {
        return;
    };
    let gpu = gpu.poisoned();
    let mut failures = Vec::new();
    let cases = all_cases();
    for case in &cases {
        let (y64, g64) = case.evaluate(&Cpu::<f64>::default()).unwrap();
        let (y32, g32) = case
            .evaluate(&gpu)
            .unwrap_or_else(|e| panic!("{} ({}) on the GPU: {e}", case.op, case.variant));
        // The f32 promise of backend/precision.rs, relative to the output's scale (the cases'
        // sums are short: at most a few dozen terms).
        let scale = |v: &[f64]| v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let mut cmp = |what: &str, a: &[f64], b: &[f64]| {
            let tol = 5e-5 * scale(a);
            if a.len() != b.len() {
                failures.push(format!(
                    "{} ({}) {what}: {} vs {} elements",
                    case.op,
                    case.variant,
                    a.len(),
                    b.len()
                ));
                return;
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                // A NaN (an element the kernel never wrote) fails too.
                if (x - y).abs() > tol || y.is_nan() {
                    failures.push(format!("{} ({}) {what}[{i}]: cpu f64 {x} vs gpu {y}", case.op, case.variant));
                    return;
                }
            }
        };
        cmp("output", &y64, &y32);
        for (j, (a, b)) in g64.iter().zip(&g32).enumerate() {
            cmp(&format!("grad{j}"), a, b);
        }
    }
    assert!(cases.len() > 100, "the suite has {} cases", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gpu_gradients_pass_the_f32_gradient_check() {
    let Some(gpu) = gpu_or_skip("gpu_gradients_pass_the_f32_gradient_check") else {
        return;
    };
    let o = GradcheckOptions::f32_options();
    let mut failures = Vec::new();
    for case in all_cases() {
        let report = case.check_on(&gpu, o.atol, o.rtol).unwrap();
        if !report.passed() {
            failures.push(format!("{} ({}):\n{}", case.op, case.variant, report.table()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
