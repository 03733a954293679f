//! The backward trace: every visited node, and the contributions that are summed.

use cosmograd::autodiff::Trace;
use cosmograd::prelude::*;

#[test]
fn a_value_used_twice_shows_both_contributions_and_their_sum() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[3.0], &[1]).unwrap()).named("x");
    // h = eˣ feeds two consumers: h² (∂/∂h = 2h) and 3h (∂/∂h = 3); E = h² + 3h.
    let h = x.exp().unwrap().named("h");
    let e = h.square().unwrap().add(h.mul_scalar(3.0).unwrap()).unwrap().sum().unwrap();
    let (grads, trace) = t.backward_traced(e).unwrap();
    let hv = 3f64.exp();
    let parts: Vec<f64> = trace.received(h.id()).iter().map(|c| c.summary.value.unwrap()).collect();
    assert_eq!(parts.len(), 2);
    // mul_scalar was recorded after square, so the reverse walk reaches it first.
    assert!((parts[0] - 3.0).abs() < 1e-12 && (parts[1] - 2.0 * hv).abs() < 1e-9, "{parts:?}");
    let step = trace.steps.iter().find(|s| s.id == h.id()).unwrap();
    assert!((step.arriving.value.unwrap() - (2.0 * hv + 3.0)).abs() < 1e-9);
    assert_eq!(step.op, "exp");

    let text = trace.render();
    assert!(text.contains("sum of 2 contributions"), "{text}");
    assert!(text.contains(&format!("= {:.6}", 2.0 * hv + 3.0)), "{text}");
    assert!(text.contains(&format!("= {:.6}", 2.0 * hv)), "{text}");
    // The leaf x: ∂E/∂x = (2h + 3) h.
    let gx = grads.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap()[0];
    assert!((trace.leaf_sum(x.id()).unwrap().value.unwrap() - gx).abs() < 1e-12);
}

#[test]
fn a_leaf_used_twice_gets_its_sum_from_the_trace() {
    let t = Tape::new(Cpu::<f64>::default());
    let v = t.leaf(Tensor::from_f64(t.backend(), &[1.0, -2.0], &[2]).unwrap());
    let e = v.mul(v).unwrap().sum().unwrap(); // mul sends v to both of its inputs
    let (grads, trace) = t.backward_traced(e).unwrap();
    assert_eq!(trace.received(v.id()).len(), 2);
    let norm = trace.leaf_sum(v.id()).unwrap().norm;
    let g = grads.wrt(v).unwrap().to_vec_f64(t.backend()).unwrap();
    assert_eq!(g, vec![2.0, -4.0]);
    assert!((norm - 20f64.sqrt()).abs() < 1e-12);
}

#[test]
fn every_op_node_is_visited_once_in_reverse_order_with_its_shapes() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.input_f64(&[0.5; 6], &[2, 3]).unwrap();
    let w = t.param("w", &Tensor::from_f64(t.backend(), &[0.1; 12], &[4, 3]).unwrap());
    let e = x.linear(w, None).unwrap().tanh().unwrap().mean().unwrap();
    let mut tr = Trace::new();
    t.backward_observed(e, Some(&mut tr)).unwrap();
    let ops: Vec<&str> = tr.steps.iter().map(|s| s.op.as_str()).collect();
    assert_eq!(ops, ["mean", "tanh", "linear"]);
    let ids: Vec<usize> = tr.steps.iter().map(|s| s.id).collect();
    assert!(ids.windows(2).all(|p| p[0] > p[1]));
    let lin = &tr.steps[2];
    assert_eq!(lin.input_shapes, vec![vec![2, 3], vec![4, 3]]);
    // x needs no gradient: linear sends one only to w.
    assert_eq!(lin.produced.len(), 1);
    assert_eq!(lin.produced[0].summary.shape, vec![4, 3]);
    assert!(tr.render().contains("linear 3→4"));
}

/// Run alone, this is an ordinary test of `backward`; the test below runs it again in a child
/// process with `COSMOGRAD_TRACE=1` and reads the trace from the child's stderr.
#[test]
fn traced_by_environment() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[2.0], &[1]).unwrap()).named("x_env");
    let e = x.square().unwrap().sum().unwrap();
    let g = t.backward(e).unwrap();
    assert_eq!(g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap(), vec![4.0]);
}

#[test]
fn cosmograd_trace_1_prints_the_trace_of_backward_to_stderr() {
    let run = |trace: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "trace::traced_by_environment", "--nocapture", "--test-threads=1"])
            .env("COSMOGRAD_TRACE", trace)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let on = run("1");
    assert!(
        on.contains("backward trace") && on.contains("x_env") && on.contains("= 4.000000"),
        "{on}"
    );
    assert!(!run("0").contains("backward trace"));
}
