//! A printed backward pass: every node the reverse walk visits, in that order, with its op,
//! its shape, the gradient arriving at its output and each gradient its rule sends to an input.
//! Where a value feeds several consumers, the trace lists every contribution and their sum
//! (the tape adds them: ∂E/∂h = Σ_consumers ∂E/∂h|_consumer, thesis eq. 21 and eq. 31).
//!
//! ```
//! use cosmograd::prelude::*;
//!
//! let tape = Tape::new(Cpu::<f64>::default());
//! let x = tape.leaf(Tensor::from_f64(tape.backend(), &[3.0], &[1]).unwrap()).named("x");
//! // E = x² + 2x: x feeds two consumers, square (∂ = 2x = 6) and mul_scalar (∂ = 2);
//! // the reverse walk reaches mul_scalar, recorded last, first.
//! let e = x.square().unwrap().add(x.mul_scalar(2.0).unwrap()).unwrap().sum().unwrap();
//! let (grads, trace) = tape.backward_traced(e).unwrap();
//! let parts: Vec<f64> = trace.received(x.id()).iter().map(|c| c.summary.value.unwrap()).collect();
//! assert_eq!(parts, vec![2.0, 6.0]);
//! assert_eq!(grads.wrt(x).unwrap().to_vec_f64(tape.backend()).unwrap(), vec![8.0]);
//! println!("{}", trace.render());
//! ```
//!
//! [`Tape::backward`] prints this trace to stderr when `COSMOGRAD_TRACE=1`.

use super::{BackwardObserver, NodeKind, Tape};
use crate::backend::Backend;
use crate::tensor::Tensor;
use std::collections::BTreeMap;

/// What a trace keeps of a gradient: its shape, its L2 norm and, for a single element, its
/// signed value (the sign matters when one follows the chain rule by hand). A trace made with
/// [`Trace::keeping_values`] also keeps every element of small gradients (teaching pages).
#[derive(Clone, Debug, PartialEq)]
pub struct GradSummary {
    pub shape: Vec<usize>,
    pub norm: f64,
    pub value: Option<f64>,
    /// All elements, row-major, when the tensor has at most the trace's `keep` elements.
    pub values: Option<Vec<f64>>,
}

impl GradSummary {
    fn of<B: Backend>(b: &B, t: &Tensor<B>, keep: usize) -> crate::Result<Self> {
        if t.numel() <= keep {
            return Ok(Self::from_values(t.shape(), &b.to_f64(t.storage())?, keep));
        }
        Ok(GradSummary {
            shape: t.shape().to_vec(),
            norm: b.sum_squares(&[t.storage()])?[0].sqrt(),
            value: if t.numel() == 1 { Some(b.to_f64(t.storage())?[0]) } else { None },
            values: None,
        })
    }
    fn from_values(shape: &[usize], v: &[f64], keep: usize) -> Self {
        GradSummary {
            shape: shape.to_vec(),
            norm: v.iter().map(|x| x * x).sum::<f64>().sqrt(),
            value: (v.len() == 1).then(|| v[0]),
            values: (v.len() <= keep).then(|| v.to_vec()),
        }
    }
    /// `‖g‖ = …`, or the value itself for one element.
    pub fn text(&self) -> String {
        match self.value {
            Some(v) => format!("= {}", num(v)),
            None => format!("‖·‖ {}", num(self.norm)),
        }
    }
}

/// A compact number: fixed point in the readable range, scientific outside it.
pub(crate) fn num(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || (1e-3..1e4).contains(&a) {
        format!("{x:.6}")
    } else {
        format!("{x:.4e}")
    }
}

/// One gradient a rule sent to one of its inputs.
#[derive(Clone, Debug)]
pub struct Contribution {
    /// The node whose rule produced it.
    pub from: usize,
    pub from_op: String,
    /// The input it is for, and that input's name (label or parameter name; empty if none).
    pub to: usize,
    pub to_name: String,
    pub summary: GradSummary,
}

/// One visited node: the gradient that arrived at its output and what its rule produced.
#[derive(Clone, Debug)]
pub struct TraceStep {
    pub id: usize,
    pub op: String,
    pub detail: String,
    pub name: String,
    pub input_shapes: Vec<Vec<usize>>,
    /// ∂E/∂output, already summed over all consumers.
    pub arriving: GradSummary,
    pub produced: Vec<Contribution>,
}

/// A recorded backward pass; also the [`BackwardObserver`] that records it.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub steps: Vec<TraceStep>,
    /// Every node's incoming contributions, in the order the reverse walk produced them.
    received: BTreeMap<usize, Vec<Contribution>>,
    /// The summed gradient of nodes with no rule of their own (parameters, inputs, leaves),
    /// which the walk never visits.
    leaf_sums: BTreeMap<usize, (String, String, GradSummary)>,
    leaf_acc: BTreeMap<usize, Vec<f64>>,
    /// Gradients with at most this many elements are kept whole ([`GradSummary::values`]).
    keep: usize,
}

/// How a node is called in traces and pictures: its label, else `#id`.
pub(crate) fn node_name<B: Backend>(tape: &Tape<B>, id: usize) -> String {
    let nodes = tape.nodes();
    match (&nodes[id].label, &nodes[id].kind) {
        (Some(l), _) => l.clone(),
        (None, NodeKind::Param(p)) => p.clone(),
        _ => format!("#{id}"),
    }
}

/// A node's label or parameter name for the trace's name column; empty when it has none.
fn display_name<B: Backend>(tape: &Tape<B>, id: usize) -> String {
    let n = node_name(tape, id);
    if n.starts_with('#') {
        String::new()
    } else {
        n
    }
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }
    /// A trace that also keeps every element of each gradient with at most `max_elements`
    /// elements (arriving, contributed and summed), for pages that show whole gradients.
    pub fn keeping_values(max_elements: usize) -> Self {
        Trace {
            keep: max_elements,
            ..Self::default()
        }
    }
    /// The contributions node `id` received, in the order they were produced.
    pub fn received(&self, id: usize) -> &[Contribution] {
        self.received.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The summed gradient of a leaf (parameter, input) as the trace saw it.
    pub fn leaf_sum(&self, id: usize) -> Option<&GradSummary> {
        self.leaf_sums.get(&id).map(|(_, _, s)| s)
    }

    fn sum_lines(&self, s: &mut String, id: usize, total: &GradSummary) {
        let parts = self.received(id);
        if parts.len() < 2 {
            return;
        }
        for c in parts {
            s.push_str(&format!("      + from #{:<5} {:<31} {}\n", c.from, c.from_op, c.summary.text()));
        }
        s.push_str(&format!(
            "      = {:<43} {}\n",
            format!("sum of {} contributions", parts.len()),
            total.text()
        ));
    }

    /// Aligned text, one block per visited node, in reverse (backward) order, then the leaves.
    pub fn render(&self) -> String {
        let mut s = String::from("backward trace, in reverse order: each node with the gradient ∂E/∂out arriving at its output,\n");
        s.push_str("then (→) the gradient its rule sends to each input; ‖·‖ is the L2 norm, `=` a single value\n");
        s.push_str(&format!(
            "{:<5} {:<18} {:<12} {:<30} {}\n",
            "node", "op", "name", "shapes (inputs → output)", "∂E/∂out"
        ));
        for st in &self.steps {
            let ins: Vec<String> = st.input_shapes.iter().map(|sh| format!("{sh:?}")).collect();
            let op = if st.detail.is_empty() {
                st.op.clone()
            } else {
                format!("{} {}", st.op, st.detail)
            };
            s.push_str(&format!(
                "#{:<4} {:<18} {:<12} {:<30} {}\n",
                st.id,
                op,
                st.name,
                format!("{} → {:?}", ins.join(","), st.arriving.shape),
                st.arriving.text()
            ));
            self.sum_lines(&mut s, st.id, &st.arriving);
            for c in &st.produced {
                s.push_str(&format!(
                    "      → to   #{:<5} {:<12} {:<18} {}\n",
                    c.to,
                    c.to_name,
                    format!("{:?}", c.summary.shape),
                    c.summary.text()
                ));
            }
        }
        if !self.leaf_sums.is_empty() {
            s.push_str("leaves (parameters and inputs: their gradient is the sum of what arrived)\n");
            for (&id, (name, kind, total)) in &self.leaf_sums {
                s.push_str(&format!(
                    "#{:<4} {:<18} {:<12} {:<30} {}\n",
                    id,
                    kind,
                    name,
                    format!("{:?}", total.shape),
                    total.text()
                ));
                self.sum_lines(&mut s, id, total);
            }
        }
        s
    }
}

impl<B: Backend> BackwardObserver<B> for Trace {
    fn visit(&mut self, tape: &Tape<B>, id: usize, grad: &Tensor<B>) -> crate::Result<()> {
        let nodes = tape.nodes();
        let node = &nodes[id];
        let detail = node.rule.as_ref().map(|r| r.detail()).unwrap_or_default();
        let input_shapes = node.inputs.iter().map(|&i| nodes[i].value.shape().to_vec()).collect();
        let op = node.op_name.clone();
        self.steps.push(TraceStep {
            id,
            op,
            detail,
            name: display_name(tape, id),
            input_shapes,
            arriving: GradSummary::of(tape.backend(), grad, self.keep)?,
            produced: Vec::new(),
        });
        Ok(())
    }

    fn contribution(&mut self, tape: &Tape<B>, from: usize, to: usize, grad: &Tensor<B>) -> crate::Result<()> {
        let b = tape.backend();
        let c = Contribution {
            from,
            from_op: tape.nodes()[from].op_name.clone(),
            to,
            to_name: display_name(tape, to),
            summary: GradSummary::of(b, grad, self.keep)?,
        };
        if let Some(step) = self.steps.last_mut().filter(|s| s.id == from) {
            step.produced.push(c.clone());
        }
        self.received.entry(to).or_default().push(c);
        let (is_leaf, kind) = {
            let n = &tape.nodes()[to];
            let kind = match &n.kind {
                NodeKind::Param(_) => "param".to_string(),
                NodeKind::Input => "leaf".to_string(),
                NodeKind::Op => n.op_name.clone(),
            };
            (n.rule.is_none(), kind)
        };
        if is_leaf {
            let g = b.to_f64(grad.storage())?;
            let acc = self.leaf_acc.entry(to).or_insert_with(|| vec![0.0; g.len()]);
            acc.iter_mut().zip(&g).for_each(|(a, x)| *a += x);
            let total = GradSummary::from_values(grad.shape(), acc, self.keep);
            self.leaf_sums.insert(to, (node_name(tape, to), kind, total));
        }
        Ok(())
    }
}

impl<B: Backend> Tape<B> {
    /// [`Tape::backward`] that also returns the [`Trace`] of the pass.
    pub fn backward_traced(&self, loss: super::Var<'_, B>) -> crate::Result<(super::Grads<B>, Trace)> {
        let mut trace = Trace::new();
        let grads = self.backward_observed(loss, Some(&mut trace))?;
        Ok((grads, trace))
    }
}
