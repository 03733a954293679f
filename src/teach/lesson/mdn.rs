//! The lesson on the mixture-density head (thesis §3.4, eqs. 56–57): the words for each value,
//! and the side panel of [`crate::teach::mdn_head`] — the mixture, the responsibilities γ and
//! every gradient by hand, by the tape, by the fused `gmm_nll` op and by finite differences.

use super::page::{NodeText, RowAt, SectionAt};
use super::{assemble, Lesson, Meta};
use crate::autodiff::Tape;
use crate::backend::Cpu;
use crate::error::Result;
use crate::teach::mdn_head::{explain_mixture_on, MdnHead, MixtureExplanation, D, H, K};

fn text(label: &str) -> Option<NodeText> {
    let t = NodeText::new;
    let linear = |what: &str, p: &str| {
        NodeText::new(
            &format!("{what} = Σ_j V{p}_·j h_j + T{p}"),
            "1, 3",
            &format!("∂/∂V{p}_ij = h_j, ∂/∂T{p}_i = 1, ∂/∂h_j = V{p}_ij: h gets Σ_i ∂E/∂(·)_i V{p}_ij"),
            "15–16, 21",
        )
    };
    Some(match label {
        "h" => t(
            "h: the features of the last hidden layer (the MDN-CNN's dense3, tanh)",
            "",
            "h feeds three heads (a, μ, s): its gradient is the sum of three contributions, which would flow on into the network below",
            "21",
        ),
        "y" => t("y: the target (two parameters scaled to [0, 1])", "", "y is data: no gradient", ""),
        "V^a" | "T^a" | "V^m" | "T^m" | "V^s" | "T^s" => t(
            "a weight or threshold of the head",
            "1",
            "the sum of what arrived; the update is value − λ ∂E/∂value",
            "8",
        ),
        "a" => linear("a_m", "ᵃ"),
        "μ (flat)" => linear("μ_m (all K·D means in one row)", "ᵐ"),
        "s" => linear("s_m (raw widths)", "ˢ"),
        "α" => t(
            "α_m = e^{a_m} / Σ_j e^{a_j}: the mixture weights (softmax)",
            "47, 56",
            "∂α_i/∂a_j = α_i (δ_ij − α_j), so ∂E/∂a_j = α_j (∂E/∂α_j − Σ_i α_i ∂E/∂α_i); with ∂E/∂α_j = −γ_j/α_j this is α_j − γ_j",
            "47",
        ),
        "ln α" => t("ln α_m", "56", "∂ ln α_m/∂α_m = 1/α_m, so ∂E/∂α_m = −γ_m/α_m", ""),
        "μ" => t(
            "μ_m ∈ ℝ^D: the same numbers as K rows of D",
            "57",
            "a reshape: the gradient keeps its numbers in the other shape",
            "",
        ),
        "μ − y" => t("μ_md − y_d", "57", "∂(μ − y)/∂μ = 1; y is data", ""),
        "(μ − y)²" => t("(μ_md − y_d)²", "57", "∂(μ − y)²/∂(μ − y) = 2 (μ − y)", ""),
        "|y − μ|²" => t("|y − μ_m|² = Σ_d (y_d − μ_md)²", "57", "∂Σ_d/∂(·)_md = 1", ""),
        "σ" => t(
            "σ_m = ln(1 + e^{s_m}) > 0 (softplus); a standard deviation — eq. 57 calls it a variance (erratum)",
            "57",
            "∂σ_m/∂s_m = 1/(1 + e^{−s_m}); σ feeds ln σ and σ², so its gradient is the sum of two contributions",
            "21",
        ),
        "ln σ" => t("ln σ_m", "57", "∂ ln σ/∂σ = 1/σ", ""),
        "σ²" => t("σ_m²", "57", "∂σ²/∂σ = 2σ", ""),
        "q" => t(
            "q_m = |y − μ_m|² / σ_m²: the squared distance in units of the width",
            "57",
            "∂(u/v)/∂u = 1/v, ∂(u/v)/∂v = −u/v²",
            "",
        ),
        "−D ln σ" => t("−D ln σ_m", "57", "× (−D)", ""),
        "−q/2" => t("−q_m / 2 = −|y − μ_m|² / (2σ_m²)", "57", "× (−½)", ""),
        "−D ln σ − q/2" => t(
            "−D ln σ_m − q_m/2: the part of ln φ_m that depends on m",
            "57",
            "∂(u + v)/∂u = ∂(u + v)/∂v = 1",
            "",
        ),
        "ln φ" => t(
            "ln φ_m = −(D/2) ln 2π − D ln σ_m − |y − μ_m|² / (2σ_m²)",
            "57",
            "adding a constant: derivative 1",
            "",
        ),
        "w" => t(
            "w_m = ln α_m + ln φ_m = ln(α_m φ_m)",
            "56",
            "∂w/∂ln α = ∂w/∂ln φ = 1: −γ_m goes to both",
            "",
        ),
        "α φ" => t(
            "e^{w_m} = α_m φ_m",
            "56",
            "∂e^w/∂w = e^w, so ∂E/∂w_m = −(α_m φ_m)/p = −γ_m: the responsibility of component m for y",
            "",
        ),
        "p(y|x)" => t("p(y|x) = Σ_m α_m φ_m", "56", "∂p/∂(α_m φ_m) = 1", "56"),
        "ln p" => t("ln p(y|x)", "", "∂ ln p/∂p = 1/p", ""),
        "E" => t(
            "E = −ln p(y|x): the negative log-likelihood, the MDN's loss",
            "",
            "the walk starts here with ∂E/∂E = 1; ∂E/∂ln p = −1",
            "",
        ),
        _ => return None,
    })
}

fn panel(e: &MixtureExplanation) -> Vec<SectionAt> {
    e.sections
        .iter()
        .map(|s| SectionAt {
            title: s.title.clone(),
            text: s.text.clone(),
            columns: ["by hand", "tape", "fused op", "finite diff."].map(String::from).to_vec(),
            rows: s
                .rows
                .iter()
                .map(|r| RowAt {
                    eq: r.eq.into(),
                    symbol: r.symbol.clone(),
                    formula: r.formula.clone(),
                    cells: vec![Some(r.hand), r.tape, r.fused, r.numeric],
                    at: r.at,
                })
                .collect(),
            lines: Vec::new(),
        })
        .collect()
}

/// The mixture-head lesson for one seed and learning rate.
pub fn lesson(seed: u64, lr: f64) -> Result<Lesson> {
    let head = MdnHead::new(seed);
    let tape = Tape::new(Cpu::<f64>::default()).retain_grads(true);
    let e = explain_mixture_on(&tape, &head, seed, lr)?;
    let mut sections = panel(&e);
    if let Some(last) = sections.last_mut() {
        last.lines.push(format!(
            "largest difference from the hand values over all rows: {:.1e}",
            e.max_disagreement()
        ));
    }
    let meta = Meta {
        net: "mdn-head",
        title: "Backpropagation through a mixture density head (thesis eqs. 56–57)".into(),
        subtitle: format!("seed {seed}, learning rate λ = {lr}, K = {K} components, D = {D} dimensions, {H} features"),
        intro: format!(
            "The head of the thesis's MDN on one sample: from features h, linear heads give the logits a, the means μ and the raw widths s of K = {K} isotropic Gaussians in D = {D} dimensions; α = softmax(a) (eq. 56), σ = softplus(s), φ from eq. 57, and the loss E = −ln p(y|x). Written with elementary ops so that the backward pass can be followed op by op; the panel checks it against the fused gmm_nll op that the models train with. Watch the step where e^w sends −γ to w: from there on every gradient of component m carries its responsibility γ_m."
        ),
        panel_title: "The mixture, the responsibilities and the gradients".into(),
    };
    assemble(&tape, &e.trace, &e.gradcheck, lr, &text, meta, sections, &|updated| {
        let mut next = head.clone();
        for p in &mut next.params {
            if let Some(v) = updated(p.name) {
                p.values = v;
            }
        }
        next.loss()
    })
}
