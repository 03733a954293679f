//! `cosmograd lesson`: the page's numbers are the tape's. Each test builds the same network on
//! a tape of its own (retaining every gradient, no observer) and compares; hand formulas from
//! the forward values check the places where the thesis derives a number.

use cosmograd::autodiff::NodeKind;
use cosmograd::prelude::*;
use cosmograd::teach::lesson::page::{PageData, StepKind};
use cosmograd::teach::lesson::{lesson, LessonNet, LessonOptions};
use cosmograd::teach::{explain, Activation, MdnHead, ThesisNet};

const ALL: [Activation; 3] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu];

fn thesis(seed: u64, lr: f64, f: Activation) -> PageData {
    let o = LessonOptions {
        net: LessonNet::Thesis,
        seed,
        lr,
        activation: f,
    };
    lesson(&o).unwrap().data
}

fn mdn(seed: u64) -> PageData {
    let o = LessonOptions {
        net: LessonNet::MdnHead,
        seed,
        lr: 0.1,
        activation: Activation::Sigmoid,
    };
    lesson(&o).unwrap().data
}

/// Node values, labels and every gradient of an independent forward and backward pass (also
/// what the browser tests compare the page with).
pub struct Reference {
    pub values: Vec<Vec<f64>>,
    pub labels: Vec<String>,
    pub grads: Vec<Option<Vec<f64>>>,
    pub ops: Vec<bool>,
}

pub fn reference(build: impl for<'t> Fn(&'t Tape<Cpu<f64>>) -> Var<'t, Cpu<f64>>) -> Reference {
    let tape = Tape::new(Cpu::<f64>::default()).retain_grads(true);
    let e = build(&tape);
    let g = tape.backward(e).unwrap();
    let b = tape.backend();
    let nodes = tape.nodes();
    Reference {
        values: nodes.iter().map(|n| n.value.to_vec_f64(b).unwrap()).collect(),
        labels: nodes
            .iter()
            .map(|n| match (&n.label, &n.kind) {
                (Some(l), _) => l.clone(),
                (None, NodeKind::Param(p)) => p.clone(),
                _ => String::new(),
            })
            .collect(),
        grads: (0..nodes.len()).map(|i| g.by_id(i).map(|t| t.to_vec_f64(b).unwrap())).collect(),
        ops: nodes.iter().map(|n| n.kind == NodeKind::Op).collect(),
    }
}

fn superscripts(label: &str) -> String {
    label
        .replace("^2", "²")
        .replace("^3", "³")
        .replace("^4", "⁴")
        .replace("^a", "ᵃ")
        .replace("^m", "ᵐ")
        .replace("^s", "ˢ")
}

/// The page's walk is the reference tape's backward pass, number for number.
fn check_against(d: &PageData, r: &Reference, lr: f64) {
    assert_eq!(d.nodes.len(), r.values.len());
    for (n, (v, l)) in d.nodes.iter().zip(r.values.iter().zip(&r.labels)) {
        assert_eq!(&n.value, v, "value of node {}", n.id);
        assert_eq!(n.name, superscripts(l));
    }
    // Step 0, then one forward step per op in tape order.
    assert_eq!(d.steps[0].kind, StepKind::Intro);
    let ops: Vec<usize> = (0..r.ops.len()).filter(|&i| r.ops[i]).collect();
    let forward: Vec<usize> = d
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Forward)
        .map(|s| s.node.unwrap())
        .collect();
    assert_eq!(forward, ops);
    assert_eq!(d.first_backward, 1 + ops.len());
    // Backward steps: every op with a gradient, in reverse tape order, with ∂E/∂value exactly.
    let backward: Vec<usize> = d
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Backward)
        .map(|s| s.node.unwrap())
        .collect();
    let expect: Vec<usize> = ops.iter().rev().copied().filter(|&i| r.grads[i].is_some()).collect();
    assert_eq!(backward, expect);
    for s in d.steps.iter().filter(|s| matches!(s.kind, StepKind::Backward | StepKind::Leaf)) {
        let id = s.node.unwrap();
        assert_eq!(s.arriving.as_ref(), r.grads[id].as_ref(), "∂E/∂ node {id} ({})", r.labels[id]);
        for c in &s.sent {
            // The running sum after the last contribution is the tape's total, exactly.
            if c.part == c.parts {
                assert_eq!(Some(&c.running), r.grads[c.to].as_ref(), "sum at node {}", c.to);
            }
        }
    }
    // Leaf steps: finite differences near the tape, the update value − λ g.
    let leaves: Vec<_> = d.steps.iter().filter(|s| s.kind == StepKind::Leaf).collect();
    assert_eq!(
        leaves.len(),
        r.grads.iter().enumerate().filter(|(i, g)| !r.ops[*i] && g.is_some()).count()
    );
    for s in leaves {
        let id = s.node.unwrap();
        let g = r.grads[id].as_ref().unwrap();
        let fd = s
            .numeric
            .as_ref()
            .unwrap_or_else(|| panic!("no finite difference for {}", r.labels[id]));
        for (a, n) in g.iter().zip(fd) {
            // Central differences with ε = 1e-6: O(ε²) truncation, O(1e-16 |E| / ε) rounding.
            assert!((a - n).abs() <= 1e-9 + 1e-7 * a.abs(), "{}: {a} vs {n}", r.labels[id]);
        }
        if d.nodes[id].kind == "param" {
            let want: Vec<f64> = r.values[id].iter().zip(g).map(|(v, g)| v - lr * g).collect();
            assert_eq!(s.updated.as_ref(), Some(&want));
        }
    }
    assert_eq!(d.steps.last().unwrap().kind, StepKind::End);
}

#[test]
fn the_thesis_page_is_the_tapes_backward_pass() {
    for f in ALL {
        for (seed, lr) in [(1, 0.5), (4, 0.1)] {
            let d = thesis(seed, lr, f);
            let r = reference(|t| ThesisNet::new(seed, f).forward(t).unwrap().e);
            check_against(&d, &r, lr);
            // E_k after the update is E_k of a network with the updated weights.
            let mut net = ThesisNet::new(seed, f);
            for p in &mut net.params {
                let id = r.labels.iter().position(|l| l == p.name).unwrap();
                p.values = r.values[id]
                    .iter()
                    .zip(r.grads[id].as_ref().unwrap())
                    .map(|(v, g)| v - lr * g)
                    .collect();
            }
            assert_eq!(d.loss_after, net.loss().unwrap());
            assert_eq!(d.loss, net_loss(seed, f));
        }
    }
}

fn net_loss(seed: u64, f: Activation) -> f64 {
    ThesisNet::new(seed, f).loss().unwrap()
}

#[test]
fn the_mixture_page_is_the_tapes_backward_pass() {
    for seed in [1, 2, 9] {
        let d = mdn(seed);
        let r = reference(|t| MdnHead::new(seed).forward(t).unwrap().e);
        check_against(&d, &r, 0.1);
    }
}

#[test]
fn values_used_twice_show_each_contribution_and_the_running_sum() {
    let d = mdn(1);
    let id = |name: &str| d.nodes.iter().find(|n| n.name == name).unwrap().id;
    // σ feeds ln σ and σ²; h feeds the three heads.
    for (name, parts) in [("σ", 2), ("h", 3)] {
        let target = id(name);
        let sent: Vec<_> = d.steps.iter().flat_map(|s| &s.sent).filter(|c| c.to == target).collect();
        assert_eq!(sent.len(), parts, "{name}");
        for (k, c) in sent.iter().enumerate() {
            assert_eq!((c.part, c.parts), (k + 1, parts));
        }
        // Each running sum is the previous one plus this contribution.
        for w in sent.windows(2) {
            let sum: Vec<f64> = w[0].running.iter().zip(&w[1].values).map(|(a, b)| a + b).collect();
            assert_eq!(w[1].running, sum);
        }
        let at = d
            .steps
            .iter()
            .find(|s| s.node == Some(target) && s.kind != StepKind::Forward)
            .unwrap();
        assert_eq!(at.received.len(), parts, "{name}: the step lists what it summed");
    }
}

#[test]
fn inside_a_linear_layer_the_terms_add_up_to_eq_31() {
    let f = Activation::Tanh;
    let d = thesis(1, 0.5, f);
    let e = explain(1, 0.5, f).unwrap();
    let x4 = d.nodes.iter().find(|n| n.name == "X⁴").unwrap().id;
    let h3 = d.nodes.iter().find(|n| n.name == "h³").unwrap().id;
    let step = d.steps.iter().find(|s| s.kind == StepKind::Backward && s.node == Some(x4)).unwrap();
    let terms = step.terms.as_ref().expect("the X⁴ step shows eq. 21 term by term");
    assert_eq!((terms.rows.len(), terms.sums.len(), terms.input), (2, 4, h3));
    // Column 4: eq. 32 + eq. 33 = eq. 31, as explain computes them by hand.
    let hand = |eq: &str| e.walks[1].factors.iter().find(|x| x.eq == eq).unwrap().value;
    assert!((terms.rows[0][3] - hand("32")).abs() < 1e-15);
    assert!((terms.rows[1][3] - hand("33")).abs() < 1e-15);
    assert!((terms.sums[3] - hand("31")).abs() < 1e-15);
    // And the sums are what the tape sent to h³.
    let sent = step.sent.iter().find(|c| c.to == h3).unwrap();
    for (a, b) in terms.sums.iter().zip(&sent.values) {
        assert!((a - b).abs() < 1e-15, "{a} vs {b}");
    }
}

#[test]
fn pointwise_steps_show_the_local_derivative() {
    let d = thesis(2, 0.5, Activation::Relu);
    for s in d.steps.iter().filter(|s| s.kind == StepKind::Backward) {
        let n = &d.nodes[s.node.unwrap()];
        let input = &d.nodes[n.inputs[0]];
        let want: Option<Vec<f64>> = match n.op.as_str() {
            "sigmoid" => Some(n.value.iter().map(|y| y * (1.0 - y)).collect()),
            "relu" => Some(input.value.iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect()),
            "square" => Some(input.value.iter().map(|x| 2.0 * x).collect()),
            "mul_scalar" => Some(vec![0.5]),
            _ => None,
        };
        assert_eq!(s.local.is_some(), want.is_some(), "{}", n.name);
        if let (Some(l), Some(w)) = (&s.local, want) {
            for (a, b) in l.iter().zip(&w) {
                assert!((a - b).abs() < 1e-15, "{}: {l:?} vs {w:?}", n.name);
            }
        }
    }
}

#[test]
fn the_side_panel_walks_the_factors_at_the_steps_that_compute_them() {
    let f = Activation::Sigmoid;
    let d = thesis(1, 0.5, f);
    let e = explain(1, 0.5, f).unwrap();
    assert_eq!(d.panel.len(), 4);
    let node_at = |step: Option<usize>| step.and_then(|s| d.steps[s].node).map(|n| d.nodes[n].name.clone());
    let walk = &d.panel[0];
    let eqs: Vec<&str> = walk.rows.iter().map(|r| r.eq.as_str()).collect();
    assert_eq!(eqs, ["25", "26", "27", "28"]);
    assert_eq!(node_at(walk.rows[0].step).as_deref(), Some("Y"));
    assert_eq!(node_at(walk.rows[2].step).as_deref(), Some("X⁴"));
    assert_eq!(node_at(walk.rows[3].step).as_deref(), Some("V⁴"));
    assert_eq!(d.steps[walk.rows[3].step.unwrap()].kind, StepKind::Leaf);
    // The three numbers are explain's (chain rule, tape, finite difference) and agree.
    for (k, w) in e.walks.iter().enumerate() {
        let three: Vec<f64> = d.panel[2 * k + 1].rows.iter().map(|r| r.cells[0].unwrap()).collect();
        assert_eq!(three, vec![w.hand, w.tape, w.numeric]);
        assert!(w.max_disagreement() < 1e-9);
        let update = d.panel[2 * k + 1].lines.iter().find(|l| l.contains('←')).unwrap();
        assert!(update.contains(&format!("{:.9}", w.updated)), "{update}");
    }
    assert!(d.panel[3].lines.iter().any(|l| l.contains("erratum: eq. 29")));
    // Factors come before the product in the walk: each row's step is at most the product's.
    let product = walk.rows[3].step.unwrap();
    assert!(walk.rows.iter().all(|r| r.step.unwrap() <= product));
}

#[test]
fn the_mixture_panel_shows_gamma_in_every_gradient() {
    let d = mdn(3);
    let r = reference(|t| MdnHead::new(3).forward(t).unwrap().e);
    let w = r.labels.iter().position(|l| l == "w").unwrap();
    let gw = r.grads[w].as_ref().unwrap();
    let rows: Vec<_> = d.panel.iter().flat_map(|s| &s.rows).collect();
    let gammas: Vec<_> = rows.iter().filter(|r| r.symbol.starts_with('γ')).collect();
    assert_eq!(gammas.len(), 3);
    let mut total = 0.0;
    for (m, g) in gammas.iter().enumerate() {
        // Hand γ_m = α_m φ_m / p, and the tape's −∂E/∂w_m.
        let hand = g.cells[0].unwrap();
        assert_eq!(g.cells[1], Some(-gw[m]));
        assert!((hand + gw[m]).abs() < 1e-14, "γ{m}: {hand} vs {}", -gw[m]);
        total += hand;
        // Its step is where e^w sends −γ to w.
        let s = &d.steps[g.step.unwrap()];
        assert_eq!(d.nodes[s.node.unwrap()].name, "α φ");
        let to_w = s.sent.iter().find(|c| c.to == w).unwrap();
        assert_eq!(to_w.values[m], gw[m]);
    }
    assert!((total - 1.0).abs() < 1e-14);
    // Every gradient row: hand formula with γ, tape, fused gmm_nll and finite difference agree.
    let grads: Vec<_> = rows.iter().filter(|r| r.symbol.starts_with("∂E/∂")).collect();
    assert_eq!(grads.len(), 3 + 6 + 3);
    for g in grads {
        let hand = g.cells[0].unwrap();
        for (k, c) in g.cells.iter().enumerate().skip(1) {
            let v = c.unwrap_or_else(|| panic!("{}: column {k} empty", g.symbol));
            // Columns: tape and fused op (the same arithmetic in another order), finite difference.
            let tol = if k == 3 {
                1e-9 + 1e-7 * hand.abs()
            } else {
                1e-13 + 1e-12 * hand.abs()
            };
            assert!((v - hand).abs() <= tol, "{} column {k}: {v} vs {hand}", g.symbol);
        }
    }
    // The loss: by hand, tape and the fused op.
    let e = rows.iter().find(|r| r.symbol == "E").unwrap();
    let (hand, tape, fused) = (e.cells[0].unwrap(), e.cells[1].unwrap(), e.cells[2].unwrap());
    assert!((hand - tape).abs() < 1e-13 && (tape - fused).abs() < 1e-13, "{hand} {tape} {fused}");
}

#[test]
fn the_page_is_self_contained_and_forbids_the_network() {
    let pages = [
        (LessonNet::Thesis, Activation::Sigmoid),
        (LessonNet::Thesis, Activation::Relu),
        (LessonNet::MdnHead, Activation::Sigmoid),
    ];
    for (net, f) in pages {
        let l = lesson(&LessonOptions {
            net,
            seed: 7,
            lr: 0.5,
            activation: f,
        })
        .unwrap();
        let html = l.html().unwrap();
        assert!(html.len() < 300 * 1024, "{net:?}: {} bytes", html.len());
        assert!(html.starts_with("<!DOCTYPE html>"));
        let csp = html
            .split("<meta http-equiv=\"Content-Security-Policy\" content=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSP meta tag");
        for rule in ["default-src 'none'", "connect-src 'none'", "img-src 'none'", "font-src 'none'"] {
            assert!(csp.contains(rule), "{csp}");
        }
        assert!(!csp.contains("http") && !csp.contains('*'), "{csp}");
        // Nothing to load: no address anywhere, no src or href attribute at all.
        for bad in ["http://", "https://", " src=", " href=", "@import", "url(http", "//cdn"] {
            assert!(!html.contains(bad), "{net:?}: the page contains {bad}");
        }
        // One data block and one script, nothing left of the template.
        assert_eq!(html.matches("<script").count(), 2);
        assert!(!html.contains("{{"), "an unfilled place holder");
    }
}

#[test]
fn a_learning_rate_that_is_not_finite_is_an_error() {
    let o = LessonOptions {
        net: LessonNet::Thesis,
        seed: 1,
        lr: f64::NAN,
        activation: Activation::Sigmoid,
    };
    let err = lesson(&o).err().expect("an error").to_string();
    assert!(err.contains("learning rate"), "{err}");
}
