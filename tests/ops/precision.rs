//! The f32 kernels agree with the f64 ones on every case of the suite (forward values and
//! gradients), within what f32 rounding allows.

use cosmograd::backend::Cpu;
use cosmograd::ops::cases::all_cases;

#[test]
fn f32_matches_f64_on_every_case() {
    let mut failures = Vec::new();
    for case in all_cases() {
        let (y64, g64) = case.evaluate(&Cpu::<f64>::default()).unwrap();
        let (y32, g32) = case.evaluate(&Cpu::<f32>::default()).unwrap();
        let scale = |v: &[f64]| v.iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let mut cmp = |what: &str, a: &[f64], b: &[f64]| {
            let tol = 2e-5 * scale(a);
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if (x - y).abs() > tol {
                    failures.push(format!("{} ({}) {what}[{i}]: f64 {x} vs f32 {y}", case.op, case.variant));
                    return;
                }
            }
        };
        cmp("output", &y64, &y32);
        for (j, (a, b)) in g64.iter().zip(&g32).enumerate() {
            cmp(&format!("grad{j}"), a, b);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
