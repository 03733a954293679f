//! The DOT export: a graph of known shape, parsed back by counting statements.

use cosmograd::autodiff::dot::{write_dot_png, DotOutput};
use cosmograd::prelude::*;
use cosmograd::teach::{explain, Activation};

/// (value nodes, op nodes, edges), checking that every statement is well formed.
fn parse(dot: &str) -> (usize, usize, usize) {
    let body = dot
        .strip_prefix("digraph tape {\n")
        .and_then(|b| b.strip_suffix("}\n"))
        .expect("a digraph named tape");
    let (mut values, mut ops, mut edges) = (0, 0, 0);
    for line in body.lines() {
        let line = line.trim();
        assert!(line.ends_with(';'), "statement without `;`: {line}");
        assert_eq!(
            line.matches('"').count() - line.matches("\\\"").count(),
            2 * line.matches("=\"").count(),
            "quotes in {line}"
        );
        if let Some((a, b)) = line.trim_end_matches(';').split_once(" -> ") {
            assert!(is_id(a) && is_id(b), "edge {line}");
            edges += 1;
        } else if line.starts_with('n') && line.contains("shape=record") {
            let label = line.split("label=\"").nth(1).unwrap();
            assert!(label.starts_with('{') && label.ends_with("}\"];"), "record {line}");
            assert_eq!(label.matches(" | ").count(), 3, "four fields: {line}");
            values += 1;
        } else if line.starts_with("op") {
            ops += 1;
        }
    }
    (values, ops, edges)
}

fn is_id(s: &str) -> bool {
    let d = s.strip_prefix('n').or_else(|| s.strip_prefix("op"));
    d.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn a_known_graph_has_its_nodes_and_edges() {
    let t = Tape::new(Cpu::<f64>::default()).retain_grads(true);
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0, 2.0], &[2]).unwrap()).named("x");
    let w = t.param("w", &Tensor::from_f64(t.backend(), &[0.5, -1.0], &[2]).unwrap());
    // values x, w, x·w, Σ; ops mul (2 inputs), sum (1 input)
    let e = x.mul(w).unwrap().sum().unwrap().named("E");
    let g = t.backward(e).unwrap();
    let dot = t.to_dot(Some(&g)).unwrap();
    assert_eq!(parse(&dot), (4, 2, 2 + 1 + 1 + 1));
    assert!(!dot.contains("warning"));
    assert!(dot.contains("{x | [2] | mean 1.500000 in [1.000000, 2.000000] |"), "{dot}");
    assert!(dot.contains("{E | [] | = -1.500000 | ∂E/∂ 1.000000}"), "{dot}");
}

#[test]
fn a_picture_drawn_before_backward_says_so() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0], &[1]).unwrap());
    x.exp().unwrap();
    let dot = t.to_dot(None).unwrap();
    assert!(dot.contains("warning: drawn before backward"));
    assert_eq!(parse(&dot), (2, 1, 2));
}

#[test]
fn the_thesis_network_is_drawn_with_its_named_values() {
    let e = explain(1, 0.5, Activation::Tanh).unwrap();
    // Values: x, y, six parameters and ten op outputs (3 linear, σ, f, g, sub, square, sum, ½·).
    let (values, ops, edges) = parse(&e.dot);
    assert_eq!((values, ops), (8 + 10, 10));
    // Inputs: 3 per linear, 1 per activation, 2 for sub, 1 each for square, sum, ½·; one output edge per op.
    assert_eq!(edges, 9 + 3 + 2 + 3 + 10);
    for name in ["V^2", "T^4", "X^3", "h^3", "{Y |", "{E |", "tanh"] {
        assert!(e.dot.contains(name), "{name}");
    }
}

#[test]
fn record_characters_in_names_are_escaped() {
    let t = Tape::new(Cpu::<f64>::default());
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0], &[1]).unwrap()).named("{a|b}<c>");
    x.exp().unwrap();
    let dot = t.to_dot(None).unwrap();
    assert!(dot.contains("{\\{a\\|b\\}\\<c\\> | [1]"), "{dot}");
    parse(&dot);
}

#[test]
fn write_dot_png_writes_dot_text_for_a_dot_file() {
    let dir = std::env::temp_dir().join(format!("cosmograd-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("g.dot");
    assert_eq!(write_dot_png("digraph tape {\n}\n", &path).unwrap(), DotOutput::Dot(path.clone()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "digraph tape {\n}\n");
    std::fs::remove_dir_all(&dir).unwrap();
}
