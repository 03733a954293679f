//! `cosmograd explain`: the hand-derived chain rule, the tape and finite differences agree.

use cosmograd::teach::{explain, Activation, ThesisNet};

const ALL: [Activation; 3] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu];

#[test]
fn the_three_derivatives_agree_for_several_seeds_and_activations() {
    for f in ALL {
        for seed in [0, 1, 2, 7, 42, 1234] {
            let e = explain(seed, 0.5, f).unwrap();
            assert_eq!(e.walks.len(), 2);
            for w in &e.walks {
                // The hand product and the tape do the same f64 arithmetic in another order.
                let scale = w.numeric.abs().max(1e-3);
                assert!((w.hand - w.tape).abs() <= 1e-12 * scale, "{f:?} seed {seed} {}: {w:?}", w.weight);
                // Central differences with ε = 1e-6 carry O(ε²) truncation and O(1e-16/ε) rounding.
                assert!((w.hand - w.numeric).abs() <= 1e-8 * scale, "{f:?} seed {seed} {}: {w:?}", w.weight);
            }
        }
    }
}

#[test]
fn some_seeds_give_non_zero_gradients_for_every_activation() {
    // A relu layer that is off everywhere would make all three numbers 0 and the test above vacuous.
    for f in ALL {
        let nonzero = (0..6).filter(|&s| explain(s, 0.5, f).unwrap().walks[1].tape.abs() > 1e-6).count();
        let enough = if f == Activation::Relu { 2 } else { 6 };
        assert!(nonzero >= enough, "{f:?}: only {nonzero} of 6 seeds with a non-zero ∂E/∂V³₄₃");
    }
}

#[test]
fn the_factors_multiply_to_the_product_and_the_update_uses_the_corrected_eq_29() {
    let e = explain(3, 0.25, Activation::Tanh).unwrap();
    let w = &e.walks[0];
    let eqs: Vec<_> = w.factors.iter().map(|f| f.eq).collect();
    assert_eq!(eqs, ["25", "26", "27"]);
    // Eq. 29 corrected: V − λ ∂E/∂V, not V − λ{V − ∂E/∂V}.
    assert!((w.updated - (w.old - 0.25 * w.tape)).abs() < 1e-15);

    let w = &e.walks[1];
    let eqs: Vec<_> = w.factors.iter().map(|f| f.eq).collect();
    assert_eq!(eqs, ["34", "35", "32", "33", "31", "36", "37"]);
    // Where the tape holds the same intermediate quantity, it agrees with the hand value.
    for f in &w.factors {
        if let Some(t) = f.tape {
            assert!((t - f.value).abs() < 1e-14, "eq. {}: {} vs {t}", f.eq, f.value);
        }
    }
    assert_eq!(w.factors.iter().filter(|f| f.tape.is_some()).count(), 2);
}

#[test]
fn the_weights_are_indexed_as_in_the_thesis() {
    let net = ThesisNet::new(5, Activation::Sigmoid);
    let v4 = &net.params.iter().find(|p| p.name == "V^4").unwrap();
    assert_eq!(v4.shape, vec![2, 4]);
    // V⁴₁₄ joins h³₄ to output 1: row 0, column 3 of [out, in].
    assert_eq!(net.weight("V^4", 1, 4).unwrap(), v4.values[3]);
    assert_eq!(
        net.weight("V^3", 4, 3).unwrap(),
        net.params.iter().find(|p| p.name == "V^3").unwrap().values[11]
    );
    let msg = net.weight("V^4", 3, 1).unwrap_err().to_string();
    assert!(msg.contains("V^4_31") && msg.contains("[2, 4]"), "{msg}");
}

#[test]
fn a_hand_written_forward_pass_gives_the_same_loss() {
    let net = ThesisNet::new(11, Activation::Tanh);
    let p = |n: &str| net.params.iter().find(|p| p.name == n).unwrap().values.clone();
    let layer = |v: &[f64], t: &[f64], h: &[f64], act: &dyn Fn(f64) -> f64| -> Vec<f64> {
        t.iter()
            .enumerate()
            .map(|(i, ti)| act(h.iter().enumerate().map(|(j, hj)| v[i * h.len() + j] * hj).sum::<f64>() + ti))
            .collect()
    };
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    let h2 = layer(&p("V^2"), &p("T^2"), &net.x, &sig);
    let h3 = layer(&p("V^3"), &p("T^3"), &h2, &f64::tanh);
    let y = layer(&p("V^4"), &p("T^4"), &h3, &sig);
    let e: f64 = 0.5 * y.iter().zip(&net.y).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
    assert!((net.loss().unwrap() - e).abs() < 1e-15);
}

#[test]
fn text_and_markdown_show_every_equation_number() {
    let e = explain(1, 0.5, Activation::Relu).unwrap();
    let text = e.render_text();
    let md = e.render_markdown();
    for eq in [
        "(25)", "(26)", "(27)", "(28)", "(29)", "(31)", "(32)", "(33)", "(34)", "(35)", "(36)", "(37)", "(38)", "(39)",
    ] {
        assert!(text.contains(eq), "text lacks {eq}");
        assert!(md.contains(eq) || md.contains(&format!("Eq. {}", &eq[1..3])), "markdown lacks {eq}");
    }
    assert!(md.contains("| (25) |") && md.contains("|---|"));
    assert!(text.contains("finite difference") && text.contains("f = relu"));
}

#[test]
fn a_switched_off_relu_unit_is_explained() {
    // Seed 1 draws X³₄ < 0.
    let e = explain(1, 0.5, Activation::Relu).unwrap();
    assert_eq!(e.walks[1].tape, 0.0);
    assert!(e.walks[1].note.as_deref().unwrap().contains("X³₄ ≤ 0"));
    assert!(e.render_text().contains("note: f'(X³₄) = 0"));
    assert!(explain(1, 0.5, Activation::Tanh).unwrap().walks[1].note.is_none());
}

#[test]
fn a_non_finite_learning_rate_is_refused() {
    let msg = explain(1, f64::NAN, Activation::Sigmoid).err().unwrap().to_string();
    assert!(msg.contains("learning rate"), "{msg}");
}
