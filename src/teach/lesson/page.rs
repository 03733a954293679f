//! The lesson's data: every number the page shows, read from a tape that has run backward, the
//! [`Trace`] observer of that pass, and the gradient checker — serialised as JSON into the page,
//! whose script only formats and displays it.
//!
//! Steps, in order: the network (step 0); the forward pass, one op per step in tape order; the
//! backward pass in the order the tape ran it (reverse tape order), one visited node per step,
//! with the gradient that arrived, the local derivative and each contribution it sent together
//! with the running sum at its receiver; then each leaf that takes a gradient (parameters last
//! to first), with the finite difference and the gradient-descent update; and an end step.

use super::layout::Layout;
use crate::autodiff::gradcheck::Report;
use crate::autodiff::trace::GradSummary;
use crate::autodiff::{BackwardCtx, NodeKind, Tape, Trace};
use crate::backend::Cpu;
use crate::error::{Error, Result};
use crate::teach::Moment;
use crate::tensor::Tensor;
use serde::Serialize;
use std::collections::BTreeMap;

type Cpu64 = Cpu<f64>;

/// What a net says about one labelled value: its forward formula and the local derivative its
/// backward rule applies, in the thesis's notation, each with its equation numbers.
#[derive(Clone, Debug, Default)]
pub struct NodeText {
    pub forward: String,
    pub forward_eq: String,
    pub backward: String,
    pub backward_eq: String,
}

impl NodeText {
    pub fn new(forward: &str, forward_eq: &str, backward: &str, backward_eq: &str) -> Self {
        NodeText {
            forward: forward.into(),
            forward_eq: forward_eq.into(),
            backward: backward.into(),
            backward_eq: backward_eq.into(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PageNode {
    pub id: usize,
    /// The label as the page writes it (`X⁴`).
    pub name: String,
    /// The op that made it; `param`, `input` or `leaf` for values fed in.
    pub op: String,
    pub detail: String,
    /// `param`, `input` (data, no gradient), `leaf` (fed in, takes a gradient) or `op`.
    pub kind: &'static str,
    pub shape: Vec<usize>,
    pub value: Vec<f64>,
    pub inputs: Vec<usize>,
    /// Box centre in the SVG.
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    Intro,
    Forward,
    Backward,
    Leaf,
    End,
}

/// A gradient contribution a node received.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub from: usize,
    pub values: Vec<f64>,
}

/// A gradient contribution a node's rule sent to one of its inputs, with the receiver's sum so
/// far (the tape adds contributions in this order: eq. 21).
#[derive(Clone, Debug, Serialize)]
pub struct Sent {
    pub to: usize,
    pub values: Vec<f64>,
    pub running: Vec<f64>,
    /// This is contribution `part` (1-based) of the `parts` the receiver gets.
    pub part: usize,
    pub parts: usize,
}

/// Eq. 21 inside a linear layer: ∂E/∂h_j = Σ_i ∂E/∂X_i · V_ij, term by term.
#[derive(Clone, Debug, Serialize)]
pub struct Terms {
    /// The input h and the weight V.
    pub input: usize,
    pub weight: usize,
    /// rows[i][j] = ∂E/∂X_i · V_ij.
    pub rows: Vec<Vec<f64>>,
    /// Σ_i rows[i][j], added in order i = 1, 2, ….
    pub sums: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub node: Option<usize>,
    pub title: String,
    /// Forward: how the value is computed; backward and leaf: the local derivative.
    pub formula: String,
    pub eq: String,
    pub text: String,
    /// Forward: the value computed.
    pub value: Option<Vec<f64>>,
    /// Backward and leaf: ∂E/∂(this value), summed over its consumers.
    pub arriving: Option<Vec<f64>>,
    /// The contributions that sum to `arriving`, in the order they arrived.
    pub received: Vec<Part>,
    /// Pointwise ops: ∂out_i/∂in_i, from the rule run with a gradient of ones.
    pub local: Option<Vec<f64>>,
    pub sent: Vec<Sent>,
    pub terms: Option<Terms>,
    /// Leaf: the gradient checker's central difference of E in each element.
    pub numeric: Option<Vec<f64>>,
    /// Leaf: the largest |tape − finite difference| over the elements.
    pub agreement: Option<f64>,
    /// Parameter: value − λ ∂E/∂value (eq. 8).
    pub updated: Option<Vec<f64>>,
}

impl Step {
    fn new(kind: StepKind, node: Option<usize>, title: String) -> Self {
        Step {
            kind,
            node,
            title,
            formula: String::new(),
            eq: String::new(),
            text: String::new(),
            value: None,
            arriving: None,
            received: Vec::new(),
            local: None,
            sent: Vec::new(),
            terms: None,
            numeric: None,
            agreement: None,
            updated: None,
        }
    }
}

/// One row of the side panel, linked to the step where its number is computed.
#[derive(Clone, Debug, Serialize)]
pub struct PanelRow {
    pub eq: String,
    pub symbol: String,
    pub formula: String,
    pub cells: Vec<Option<f64>>,
    pub step: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PanelSection {
    pub title: String,
    pub text: String,
    pub columns: Vec<String>,
    pub rows: Vec<PanelRow>,
    /// Closing lines (the update of eq. 29/39, errata).
    pub lines: Vec<String>,
}

/// A panel row before its step is known.
pub struct RowAt {
    pub eq: String,
    pub symbol: String,
    pub formula: String,
    pub cells: Vec<Option<f64>>,
    pub at: Moment,
}

pub struct SectionAt {
    pub title: String,
    pub text: String,
    pub columns: Vec<String>,
    pub rows: Vec<RowAt>,
    pub lines: Vec<String>,
}

/// Everything the page's script reads.
#[derive(Clone, Debug, Serialize)]
pub struct PageData {
    pub net: String,
    pub title: String,
    pub subtitle: String,
    pub lr: f64,
    pub loss: f64,
    /// E after one gradient-descent step with λ on every parameter.
    pub loss_after: f64,
    pub nodes: Vec<PageNode>,
    pub steps: Vec<Step>,
    pub first_backward: usize,
    pub panel_title: String,
    pub panel: Vec<PanelSection>,
}

/// Writes `^2`, `^a` in labels as superscripts (`X^4` → `X⁴`).
pub fn pretty(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    let mut chars = label.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            if let Some(&n) = chars.peek() {
                let sup = match n {
                    '0' => Some('⁰'),
                    '1' => Some('¹'),
                    '2' => Some('²'),
                    '3' => Some('³'),
                    '4' => Some('⁴'),
                    '5' => Some('⁵'),
                    '6' => Some('⁶'),
                    '7' => Some('⁷'),
                    '8' => Some('⁸'),
                    '9' => Some('⁹'),
                    'a' => Some('ᵃ'),
                    'm' => Some('ᵐ'),
                    's' => Some('ˢ'),
                    _ => None,
                };
                if let Some(s) = sup {
                    out.push(s);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// The whole values of a gradient the trace kept; an error names the node if it kept only a
/// summary (a tape too large for a page).
fn whole(g: &GradSummary, id: usize) -> Result<Vec<f64>> {
    g.values
        .clone()
        .ok_or_else(|| Error::Tape(format!("the trace kept no values for node {id} ({:?})", g.shape)))
}

/// What the page builder reads.
pub struct Source<'a> {
    pub tape: &'a Tape<Cpu64>,
    pub trace: &'a Trace,
    /// The gradient checker on the leaves that take a gradient, inputs named like the nodes.
    pub report: &'a Report,
    pub lr: f64,
    pub layout: &'a Layout,
    pub text: &'a dyn Fn(&str) -> Option<NodeText>,
}

/// The node's label, or its parameter name, or `#id`.
fn label(tape: &Tape<Cpu64>, id: usize) -> String {
    let nodes = tape.nodes();
    match (&nodes[id].label, &nodes[id].kind) {
        (Some(l), _) => l.clone(),
        (None, NodeKind::Param(p)) => p.clone(),
        _ => format!("#{id}"),
    }
}

/// Nodes, steps, and the step of each node's forward and backward moment.
pub struct Walk {
    pub nodes: Vec<PageNode>,
    pub steps: Vec<Step>,
    pub first_backward: usize,
    moments: BTreeMap<(bool, String), usize>,
}

impl Walk {
    /// The step at which the labelled value is computed (forward) or its rule runs / its
    /// gradient is complete (backward).
    pub fn step_of(&self, at: Moment) -> Option<usize> {
        match at {
            Moment::Forward(l) => self.moments.get(&(true, l.to_string())).copied(),
            Moment::Backward(l) => self.moments.get(&(false, l.to_string())).copied(),
        }
    }

    /// A parameter's value after its gradient-descent step, by its tape label.
    pub fn updated(&self, label: &str) -> Option<Vec<f64>> {
        let step = self.moments.get(&(false, label.to_string()))?;
        self.steps[*step].updated.clone()
    }

    /// Panel sections with each row's step resolved.
    pub fn panel(&self, sections: Vec<SectionAt>) -> Vec<PanelSection> {
        sections
            .into_iter()
            .map(|s| PanelSection {
                title: s.title,
                text: s.text,
                columns: s.columns,
                rows: s
                    .rows
                    .into_iter()
                    .map(|r| PanelRow {
                        step: self.step_of(r.at),
                        eq: r.eq,
                        symbol: r.symbol,
                        formula: r.formula,
                        cells: r.cells,
                    })
                    .collect(),
                lines: s.lines,
            })
            .collect()
    }
}

/// Builds the nodes and steps from a tape after its traced backward pass.
pub fn walk(src: &Source<'_>, intro: &str) -> Result<Walk> {
    let (tape, trace) = (src.tape, src.trace);
    let b = tape.backend();
    let n = tape.len();
    let mut labels = Vec::with_capacity(n);
    let mut nodes = Vec::with_capacity(n);
    for id in 0..n {
        let l = label(tape, id);
        let t = tape.nodes();
        let node = &t[id];
        let kind = match node.kind {
            NodeKind::Param(_) => "param",
            NodeKind::Input if node.requires_grad => "leaf",
            NodeKind::Input => "input",
            NodeKind::Op => "op",
        };
        nodes.push(PageNode {
            id,
            name: pretty(&l),
            op: if kind == "op" { node.op_name.clone() } else { kind.to_string() },
            detail: node.rule.as_ref().map(|r| r.detail()).unwrap_or_default(),
            kind,
            shape: node.value.shape().to_vec(),
            value: node.value.to_vec_f64(b)?,
            inputs: node.inputs.clone(),
            x: src.layout.centre[id].0,
            y: src.layout.centre[id].1,
        });
        labels.push(l);
    }
    let text = |id: usize| (src.text)(&labels[id]).unwrap_or_default();
    let mut moments = BTreeMap::new();

    let mut steps = vec![Step::new(StepKind::Intro, None, "The network and its sample".into())];
    steps[0].text = intro.into();

    for node in nodes.iter().filter(|p| p.kind == "op") {
        let t = text(node.id);
        let mut s = Step::new(StepKind::Forward, Some(node.id), format!("Forward: {} ({})", node.name, node.op));
        s.formula = t.forward;
        s.eq = t.forward_eq;
        s.value = Some(node.value.clone());
        moments.insert((true, labels[node.id].clone()), steps.len());
        steps.push(s);
    }
    let first_backward = steps.len();

    // Receivers' sums, accumulated in the order the tape adds them.
    let mut running: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut count: BTreeMap<usize, usize> = BTreeMap::new();
    let mut sent_list = |to: usize, values: Vec<f64>| -> Sent {
        let acc = match running.remove(&to) {
            None => values.clone(),
            Some(a) => a.iter().zip(&values).map(|(x, y)| x + y).collect(),
        };
        running.insert(to, acc.clone());
        let part = count.entry(to).or_insert(0);
        *part += 1;
        Sent {
            to,
            values,
            running: acc,
            part: *part,
            parts: trace.received(to).len(),
        }
    };
    for ts in &trace.steps {
        let id = ts.id;
        let t = text(id);
        let node = &nodes[id];
        let mut s = Step::new(StepKind::Backward, Some(id), format!("Backward: {} ({})", node.name, node.op));
        s.formula = t.backward;
        s.eq = t.backward_eq;
        s.arriving = Some(whole(&ts.arriving, id)?);
        s.received = parts(trace, id)?;
        s.local = local_derivative(tape, id)?;
        for c in &ts.produced {
            s.sent.push(sent_list(c.to, whole(&c.summary, c.to)?));
        }
        s.terms = linear_terms(tape, id, s.arriving.as_deref().unwrap_or(&[]))?;
        moments.insert((false, labels[id].clone()), steps.len());
        steps.push(s);
    }

    // Leaves that took a gradient, in the order their gradients were complete (the thesis
    // updates V⁴ before V³), weights before thresholds where one step completes both.
    let mut leaves: Vec<(usize, usize)> = (0..n)
        .filter(|&id| trace.leaf_sum(id).is_some())
        .map(|id| {
            let done = trace.received(id).iter().map(|c| c.from).min().unwrap_or(0);
            (usize::MAX - done, id)
        })
        .collect();
    leaves.sort_unstable();
    for (_, id) in leaves {
        let Some(sum) = trace.leaf_sum(id) else { continue };
        let node = &nodes[id];
        let t = text(id);
        let grad = whole(sum, id)?;
        let mut s = Step::new(StepKind::Leaf, Some(id), format!("Gradient of {} ({})", node.name, node.kind));
        s.formula = t.backward;
        s.eq = t.backward_eq;
        s.received = parts(trace, id)?;
        s.numeric = src
            .report
            .inputs
            .iter()
            .find(|r| r.name == labels[id])
            .and_then(|r| r.numeric_flat());
        s.agreement = s
            .numeric
            .as_ref()
            .map(|fd| grad.iter().zip(fd).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max));
        if node.kind == "param" {
            s.updated = Some(node.value.iter().zip(&grad).map(|(v, g)| v - src.lr * g).collect());
        }
        s.arriving = Some(grad);
        moments.insert((false, labels[id].clone()), steps.len());
        steps.push(s);
    }
    steps.push(Step::new(StepKind::End, None, "One step of gradient descent".into()));
    Ok(Walk {
        nodes,
        steps,
        first_backward,
        moments,
    })
}

fn parts(trace: &Trace, id: usize) -> Result<Vec<Part>> {
    trace
        .received(id)
        .iter()
        .map(|c| {
            Ok(Part {
                from: c.from,
                values: whole(&c.summary, id)?,
            })
        })
        .collect()
}

/// ∂out_i/∂in_i of a pointwise op: its own backward rule run with a gradient of ones.
fn local_derivative(tape: &Tape<Cpu64>, id: usize) -> Result<Option<Vec<f64>>> {
    let nodes = tape.nodes();
    let node = &nodes[id];
    let Some(rule) = node.rule.as_ref().filter(|r| r.pointwise() && node.inputs.len() == 1) else {
        return Ok(None);
    };
    let b = tape.backend();
    let ones = Tensor::full(b, node.value.shape(), 1.0)?;
    let ctx = BackwardCtx {
        backend: b,
        inputs: vec![&nodes[node.inputs[0]].value],
        output: &node.value,
        grad: &ones,
        needs: vec![true],
    };
    rule.backward(&ctx)?
        .into_iter()
        .next()
        .flatten()
        .map(|g| g.to_vec_f64(b))
        .transpose()
}

/// Eq. 21 term by term for a linear node of one sample whose input takes a gradient.
fn linear_terms(tape: &Tape<Cpu64>, id: usize, g: &[f64]) -> Result<Option<Terms>> {
    let nodes = tape.nodes();
    let node = &nodes[id];
    if node.op_name != "linear" || node.inputs.len() < 2 {
        return Ok(None);
    }
    let (h, v) = (node.inputs[0], node.inputs[1]);
    let (hs, vs) = (nodes[h].value.shape(), nodes[v].value.shape());
    if hs.first() != Some(&1) || !nodes[h].requires_grad || vs.len() != 2 || g.len() != vs[0] {
        return Ok(None);
    }
    let w = nodes[v].value.to_vec_f64(tape.backend())?;
    let cols = vs[1];
    let rows: Vec<Vec<f64>> = (0..vs[0]).map(|i| (0..cols).map(|j| g[i] * w[i * cols + j]).collect()).collect();
    let sums = (0..cols).map(|j| rows.iter().map(|r| r[j]).sum()).collect();
    Ok(Some(Terms {
        input: h,
        weight: v,
        rows,
        sums,
    }))
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn labels_get_superscripts() {
        assert_eq!(pretty("X^4"), "X⁴");
        assert_eq!(pretty("V^a"), "Vᵃ");
        assert_eq!(pretty("(Y − y)²"), "(Y − y)²");
        assert_eq!(pretty("a^b^"), "a^b^");
    }
}
