//! The lesson on the thesis's Figure 2 network: the words for each value in the thesis's
//! notation, and the side panel that walks ∂E_k/∂V⁴₁₄ and ∂E_k/∂V³₄₃ factor by factor — the
//! numbers of [`crate::teach::explain`], not a second computation of them.

use super::page::{NodeText, RowAt, SectionAt};
use super::{assemble, Lesson, Meta};
use crate::autodiff::Tape;
use crate::backend::Cpu;
use crate::error::Result;
use crate::teach::explain_text::{ERRATUM_13, ERRATUM_29};
use crate::teach::thesis_net::{explain_on, Explanation, ThesisNet};
use crate::teach::{Activation, Moment};

/// What the page says about each labelled value of the thesis network.
fn text(f: Activation, label: &str) -> Option<NodeText> {
    let t = NodeText::new;
    Some(match label {
        "x" => t("x_k: the input, layer 1", "", "x is data: no gradient is sent to it", ""),
        "y" => t("y_k: the target", "", "y is data: no gradient", ""),
        "V^2" | "V^3" | "V^4" => {
            let l = &label[2..];
            let (below, eq) = match l {
                "2" => ("x_j", "15–16"),
                "3" => ("h²_j", "15–16, 38"),
                _ => ("h³_j", "17, 20, 28"),
            };
            return Some(NodeText {
                forward: format!("V{}_ij joins neuron j of layer {} to neuron i of layer {l}", sup(l), prev(l)),
                forward_eq: "1".into(),
                backward: format!("∂E_k/∂V{0}_ij = ∂E_k/∂X{0}_i · {below}: the sum of what arrived", sup(l)),
                backward_eq: eq.into(),
            });
        }
        "T^2" | "T^3" | "T^4" => {
            let l = &label[2..];
            return Some(NodeText {
                forward: format!("T{}_i: the threshold of neuron i of layer {}", sup(l), l),
                forward_eq: "1".into(),
                backward: format!("∂E_k/∂T{0}_i = ∂E_k/∂X{0}_i · 1", sup(l)),
                backward_eq: "15".into(),
            });
        }
        "X^2" => t(
            "X²_i = Σ_j V²_ij x_j + T²_i",
            "1, 3 (13 without its stray ½)",
            "∂X²_i/∂V²_ij = x_j, ∂X²_i/∂T²_i = 1; x is data, so nothing goes further down",
            "15–16",
        ),
        "h^2" => t(
            "h²_i = σ(X²_i) = 1/(1 + e^−X²_i)",
            "2, 44",
            "∂h²_i/∂X²_i = σ'(X²_i) = h²_i (1 − h²_i)",
            "16",
        ),
        "X^3" => t(
            "X³_i = Σ_j V³_ij h²_j + T³_i",
            "1, 3",
            "∂X³_i/∂V³_ij = h²_j (eq. 37 for V³₄₃); ∂X³_i/∂h²_j = V³_ij, so ∂E_k/∂h²_j = Σ_i ∂E_k/∂X³_i · V³_ij",
            "16, 21, 37",
        ),
        "h^3" => {
            return Some(NodeText {
                forward: format!("h³_i = f(X³_i), f = {}", f.name()),
                forward_eq: "2, 44–46".into(),
                backward: format!("∂h³_i/∂X³_i = f'(X³_i) = {}", f.derivative_formula()),
                backward_eq: "16, 36".into(),
            })
        }
        "X^4" => t(
            "X⁴_m = Σ_j V⁴_mj h³_j + T⁴_m",
            "3, 14",
            "∂X⁴_m/∂V⁴_mj = h³_j (eqs. 20, 27); ∂X⁴_m/∂h³_j = V⁴_mj (eq. 35), so ∂E_k/∂h³_j = Σ_m ∂E_k/∂X⁴_m · V⁴_mj: both outputs add to h³_j (eq. 21; for j = 4 eqs. 31–33)",
            "20–21, 27, 31–35",
        ),
        "Y" => t(
            "Y_m = g(X⁴_m) = 1/(1 + e^−X⁴_m)",
            "22",
            "∂Y_m/∂X⁴_m = g'(X⁴_m) = Y_m (1 − Y_m)",
            "19, 26",
        ),
        "Y − y" => t(
            "Y_m − y_km",
            "12",
            "∂(Y_m − y_km)/∂Y_m = 1, so ∂E_k/∂Y_m = Y_m − y_km",
            "18, 25",
        ),
        "(Y − y)²" => t(
            "(Y_m − y_km)²",
            "23",
            "∂(Y_m − y_km)²/∂(Y_m − y_km) = 2 (Y_m − y_km)",
            "23",
        ),
        "Σ (Y − y)²" => t(
            "Σ_m (Y_m − y_km)²",
            "12",
            "∂Σ/∂(Y_m − y_km)² = 1 for every m",
            "12",
        ),
        "E" => t(
            "E_k = ½ Σ_m (Y_m − y_km)² = E_Y1 + E_Y2",
            "12, 23",
            "the walk starts here with ∂E_k/∂E_k = 1; ∂E_k/∂Σ = ½",
            "12",
        ),
        _ => return None,
    })
}

fn sup(l: &str) -> String {
    super::page::pretty(&format!("^{l}"))
}

fn prev(l: &str) -> String {
    l.parse::<u8>().map(|v| (v - 1).to_string()).unwrap_or_default()
}

/// The side panel: the two weight walks of [`Explanation`], each factor linked to the
/// backward step that computes it, the three numbers, and the update of eq. 29/39.
fn panel(e: &Explanation) -> Vec<SectionAt> {
    let mut out = Vec::new();
    for w in &e.walks {
        let mut rows: Vec<RowAt> = w
            .factors
            .iter()
            .map(|f| RowAt {
                eq: f.eq.into(),
                symbol: f.symbol.clone(),
                formula: f.formula.clone(),
                cells: vec![Some(f.value), f.tape],
                at: f.at,
            })
            .collect();
        rows.push(RowAt {
            eq: w.eqs[1].into(),
            symbol: format!("∂E_k/∂{}", w.weight),
            formula: w.product_formula.clone(),
            cells: vec![Some(w.hand), Some(w.tape)],
            at: Moment::Backward(w.param),
        });
        out.push(SectionAt {
            title: format!("∂E_k/∂{} (eqs. {}–{})", w.weight, w.eqs[0], w.eqs[2]),
            text: format!("Eq. {}: {}", w.eqs[0], w.chain),
            columns: vec!["by hand".into(), "tape".into()],
            rows,
            lines: Vec::new(),
        });
        let three = Explanation::three(w)
            .iter()
            .map(|&(what, v)| RowAt {
                eq: w.eqs[1].into(),
                symbol: what.replace("finite difference (f64", "finite difference (gradient checker, f64"),
                formula: String::new(),
                cells: vec![Some(v)],
                at: Moment::Backward(w.param),
            })
            .collect();
        let mut lines = vec![format!("largest difference: {:.1e}", w.max_disagreement())];
        if let Some(n) = &w.note {
            lines.push(format!("note: {n}"));
        }
        lines.push(format!("({}) {}", w.eqs[2], e.update_line(w)));
        out.push(SectionAt {
            title: format!("∂E_k/∂{}, three ways", w.weight),
            text: String::new(),
            columns: vec![format!("∂E_k/∂{}", w.weight)],
            rows: three,
            lines,
        });
    }
    if let Some(last) = out.last_mut() {
        last.lines.push(format!("{ERRATUM_29} (notes/errata.md)"));
    }
    out
}

/// The thesis lesson for one seed, learning rate and activation f.
pub fn lesson(seed: u64, lr: f64, f: Activation) -> Result<Lesson> {
    let net = ThesisNet::new(seed, f);
    let tape = Tape::new(Cpu::<f64>::default()).retain_grads(true);
    let e = explain_on(&tape, &net, seed, lr)?;
    let [h1, h2] = e.heading();
    let intro = format!(
        "{h1}, one training sample (x_k, y_k) and seeded weights. Forward pass (eqs. 1–3, 22; {ERRATUM_13}), then the backward pass in the order the tape runs it: each node receives ∂E_k/∂(its value), multiplies it by its local derivative and sends the result to its inputs (eq. 15). Use the buttons or the arrow keys; the panel on the right is the thesis's worked example (eqs. 24–39)."
    );
    let meta = Meta {
        net: "thesis",
        title: "Backpropagation, step by step: the thesis's Figure 2 network".into(),
        subtitle: h2,
        intro,
        panel_title: "The worked example, eqs. 24–39".into(),
    };
    assemble(
        &tape,
        &e.trace,
        &e.gradcheck,
        lr,
        &|l: &str| text(f, l),
        meta,
        panel(&e),
        &|updated| {
            let mut next = net.clone();
            for p in &mut next.params {
                if let Some(v) = updated(p.name) {
                    p.values = v;
                }
            }
            next.loss()
        },
    )
}
