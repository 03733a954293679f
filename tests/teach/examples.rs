//! The example programs run as tests, and what they print is checked, so that what they
//! teach stays true.

#[test]
fn the_custom_op_example_passes_its_gradient_check() {
    // main returns an error when the SiLU rule fails its gradient check.
    crate::custom_op_example::main().unwrap();
}

#[test]
fn the_gradcheck_table_example_shows_a_pass_then_the_failing_kink() {
    let out = crate::gradcheck_table_example::output().unwrap();
    let (layer, kink) = out.split_once("|x| near its kink").expect("two tables");
    // The sigmoid layer: both checked inputs pass, and no row says FAIL.
    assert!(layer.contains("V [2, 3]:") && layer.contains("T [2]:"), "{layer}");
    assert_eq!(layer.matches("— OK").count(), 2, "{layer}");
    assert!(!layer.contains("FAIL"), "{layer}");
    // |x| at x = 1e-7: the central difference straddles the kink, so the input fails and its
    // worst element, listed first, is [1].
    assert!(kink.contains("x [4]:") && kink.contains("— FAIL"), "{kink}");
    let first_row = kink.lines().nth(3).expect("a row under the header");
    assert!(first_row.trim_start().starts_with("[1]"), "{kink}");
}

#[test]
fn the_backward_trace_example_sums_both_uses_of_h() {
    let out = crate::backward_trace_example::output().unwrap();
    // E = h² + 3h with h = e^0.5: ∂E/∂x = (2h + 3)·h.
    let h = 0.5f64.exp();
    assert!(out.contains(&format!("∂E/∂x = (2h + 3)·h = {:.6}", (2.0 * h + 3.0) * h)), "{out}");
    // h feeds two consumers; the trace shows both contributions, 2h and 3, and their sum.
    assert!(out.contains(&format!("{:.6}", 2.0 * h)), "{out}");
    assert!(out.contains(&format!("{:.6}", 2.0 * h + 3.0)), "{out}");
}
