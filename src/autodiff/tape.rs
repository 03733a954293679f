use super::{Grads, Var};
use crate::backend::{Backend, Bcast, BinaryOp};
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::cell::{Cell, Ref, RefCell};
use std::collections::HashMap;

/// The rule that turns the gradient arriving at an op's output into gradients for its inputs.
///
/// Implement it to add an op from outside the crate: compute the forward value with the
/// backend's kernels, then call [`Tape::record`] with the rule and the input `Var`s.
pub trait BackwardRule<B: Backend>: 'static {
    /// The op's name, as traces, graph pictures and error messages show it.
    fn name(&self) -> &str;
    /// Optional detail for graph pictures (kernel size, padding, …).
    fn detail(&self) -> String {
        String::new()
    }
    /// ∂E/∂input_j for each input, in order; `None` where `ctx.needs[j]` is false.
    fn backward(&self, ctx: &BackwardCtx<'_, B>) -> Result<Vec<Option<Tensor<B>>>>;
    /// Whether the op is pointwise (one input, out_i depends on in_i alone), so that running
    /// the rule with a gradient of ones gives the local derivatives ∂out_i/∂in_i (teaching pages
    /// show them).
    fn pointwise(&self) -> bool {
        false
    }
}

/// What a backward rule sees: the input values, the output value, and ∂E/∂output.
pub struct BackwardCtx<'a, B: Backend> {
    pub backend: &'a B,
    pub inputs: Vec<&'a Tensor<B>>,
    pub output: &'a Tensor<B>,
    pub grad: &'a Tensor<B>,
    /// Whether input j requires a gradient; a rule may skip work for the others.
    pub needs: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// Data fed in: no gradient unless created with [`Tape::leaf`].
    Input,
    /// A named trainable parameter.
    Param(String),
    /// The output of an op.
    Op,
}

pub struct Node<B: Backend> {
    pub value: Tensor<B>,
    pub kind: NodeKind,
    pub rule: Option<Box<dyn BackwardRule<B>>>,
    pub inputs: Vec<usize>,
    pub requires_grad: bool,
    /// The op's name as recorded (kept when the rule is dropped in no-grad mode).
    pub op_name: String,
    pub label: Option<String>,
}

/// A parameter's identity on a tape: the store it belongs to (0 for free-standing ones) and
/// its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ParamKey {
    pub store: u64,
    pub name: String,
}

/// Watches a backward pass (traces, teaching output).
pub trait BackwardObserver<B: Backend> {
    /// Node `id` is about to run its rule with the summed gradient `grad` at its output.
    fn visit(&mut self, tape: &Tape<B>, id: usize, grad: &Tensor<B>) -> Result<()>;
    /// Node `from`'s rule produced `grad` for its input `to`.
    fn contribution(&mut self, tape: &Tape<B>, from: usize, to: usize, grad: &Tensor<B>) -> Result<()>;
}

/// A define-by-run tape. Create one per forward pass; `backward` may run once on it.
pub struct Tape<B: Backend> {
    backend: B,
    nodes: RefCell<Vec<Node<B>>>,
    grad_enabled: Cell<bool>,
    training: Cell<bool>,
    guard: Cell<bool>,
    retain_grads: Cell<bool>,
    backward_done: Cell<bool>,
    params: RefCell<HashMap<ParamKey, usize>>,
    updates: RefCell<Vec<(ParamKey, Tensor<B>)>>,
    seed: Cell<u64>,
    draws: Cell<u64>,
}

impl<B: Backend> Tape<B> {
    pub fn new(backend: B) -> Self {
        Tape {
            backend,
            nodes: RefCell::new(Vec::new()),
            grad_enabled: Cell::new(true),
            training: Cell::new(false),
            guard: Cell::new(std::env::var_os("COSMOGRAD_GUARD").is_some_and(|v| v != "0")),
            retain_grads: Cell::new(false),
            backward_done: Cell::new(false),
            params: RefCell::new(HashMap::new()),
            updates: RefCell::new(Vec::new()),
            seed: Cell::new(0),
            draws: Cell::new(0),
        }
    }
    /// Training mode: dropout drops and batch norm uses batch statistics.
    pub fn training(self, on: bool) -> Self {
        self.training.set(on);
        self
    }
    /// Evaluation without gradients: ops record values only, no backward rules.
    pub fn no_grad(self) -> Self {
        self.grad_enabled.set(false);
        self
    }
    /// Guard mode: every op's output (and every gradient) is checked for NaN/∞, and the first
    /// op that produces one is named in the error. Also on with `COSMOGRAD_GUARD=1`.
    pub fn guard(self, on: bool) -> Self {
        self.guard.set(on);
        self
    }
    /// Keep the gradient of every node after `backward`, not only of the leaves.
    pub fn retain_grads(self, on: bool) -> Self {
        self.retain_grads.set(on);
        self
    }
    /// The seed from which this tape's random ops (dropout) draw, one stream per call.
    pub fn seed(self, seed: u64) -> Self {
        self.seed.set(seed);
        self
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }
    pub fn is_training(&self) -> bool {
        self.training.get()
    }
    pub fn grad_enabled(&self) -> bool {
        self.grad_enabled.get()
    }
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Read access to the nodes (for traces and graph export).
    pub fn nodes(&self) -> Ref<'_, Vec<Node<B>>> {
        self.nodes.borrow()
    }
    pub fn backward_done(&self) -> bool {
        self.backward_done.get()
    }
    /// A fresh seed for a random op: the tape's seed and a per-tape call counter, hashed.
    pub fn next_seed(&self) -> u64 {
        let n = self.draws.get();
        self.draws.set(n + 1);
        splitmix64(self.seed.get() ^ splitmix64(n))
    }

    fn push(&self, node: Node<B>) -> Var<'_, B> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        Var {
            tape: self,
            id: nodes.len() - 1,
        }
    }

    /// Data that needs no gradient.
    pub fn input(&self, value: Tensor<B>) -> Var<'_, B> {
        self.push(Node {
            value,
            kind: NodeKind::Input,
            rule: None,
            inputs: vec![],
            requires_grad: false,
            op_name: "input".into(),
            label: None,
        })
    }
    /// An input from host data.
    pub fn input_f64(&self, data: &[f64], shape: &[usize]) -> Result<Var<'_, B>> {
        Ok(self.input(Tensor::from_f64(&self.backend, data, shape)?))
    }
    /// A value that requires a gradient but is not a named parameter (gradient checks).
    pub fn leaf(&self, value: Tensor<B>) -> Var<'_, B> {
        let v = self.input(value);
        self.nodes.borrow_mut()[v.id].requires_grad = self.grad_enabled.get();
        v
    }
    /// A named trainable parameter. Registering the same name twice on one tape returns the
    /// same node, so a layer used twice shares its weights.
    pub fn param(&self, name: &str, value: &Tensor<B>) -> Var<'_, B> {
        self.param_of(0, name, value)
    }
    /// A parameter of the store numbered `store` (`ParamStore::id`): two models on one tape
    /// (a GAN's generator and discriminator) may both have a `conv1.weight` and stay apart.
    pub fn param_of(&self, store: u64, name: &str, value: &Tensor<B>) -> Var<'_, B> {
        let key = ParamKey {
            store,
            name: name.to_string(),
        };
        if let Some(&id) = self.params.borrow().get(&key) {
            return Var { tape: self, id };
        }
        let v = self.push(Node {
            value: value.clone(),
            kind: NodeKind::Param(name.to_string()),
            rule: None,
            inputs: vec![],
            requires_grad: self.grad_enabled.get(),
            op_name: "param".into(),
            label: Some(name.to_string()),
        });
        self.params.borrow_mut().insert(key, v.id);
        v
    }

    /// Appends an op's output. The rule is kept only if some input requires a gradient.
    pub fn record(&self, rule: impl BackwardRule<B>, inputs: &[Var<'_, B>], value: Tensor<B>) -> Result<Var<'_, B>> {
        for v in inputs {
            if !std::ptr::eq(v.tape, self) {
                return Err(Error::Tape(format!("op `{}` was given a value from another tape", rule.name())));
            }
        }
        let name = rule.name().to_string();
        // A custom op could wrap storage under the wrong shape; catch it here, not in a later kernel.
        if self.backend.len(value.storage()) != value.numel() {
            return Err(Error::Tape(format!(
                "op `{name}` produced {} elements for shape {:?}",
                self.backend.len(value.storage()),
                value.shape()
            )));
        }
        if self.guard.get() {
            self.check_finite(&name, self.len(), "forward", &value)?;
        }
        let requires_grad = self.grad_enabled.get() && {
            let nodes = self.nodes.borrow();
            inputs.iter().any(|v| nodes[v.id].requires_grad)
        };
        Ok(self.push(Node {
            value,
            kind: NodeKind::Op,
            rule: if requires_grad { Some(Box::new(rule)) } else { None },
            inputs: inputs.iter().map(|v| v.id).collect(),
            requires_grad,
            op_name: name,
            label: None,
        }))
    }

    fn check_finite(&self, op: &str, node: usize, pass: &'static str, t: &Tensor<B>) -> Result<()> {
        let count = self.backend.count_nonfinite(&[t.storage()])?[0];
        if count > 0 {
            return Err(Error::NonFinite {
                op: op.to_string(),
                node,
                pass,
                count,
                len: t.numel(),
            });
        }
        Ok(())
    }

    /// Queues a new value for buffer `name` of store `store` (a running statistic computed by
    /// a forward pass), replacing any value queued before on this tape; the store writes it
    /// after the step (`store.apply_updates(&tape)`).
    pub fn push_update(&self, store: u64, name: &str, value: Tensor<B>) {
        let key = ParamKey {
            store,
            name: name.to_string(),
        };
        let mut updates = self.updates.borrow_mut();
        match updates.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => updates.push((key, value)),
        }
    }
    /// The value queued for buffer `name` of store `store`, if any: a layer run twice on one
    /// tape (a discriminator on real, then generated images) compounds its updates from it.
    pub fn pending_update(&self, store: u64, name: &str) -> Option<Tensor<B>> {
        self.updates
            .borrow()
            .iter()
            .find(|(k, _)| k.store == store && k.name == name)
            .map(|(_, v)| v.clone())
    }
    /// Removes and returns the updates queued for store `store`.
    pub fn take_updates(&self, store: u64) -> Vec<(String, Tensor<B>)> {
        let mut updates = self.updates.borrow_mut();
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut *updates).into_iter().partition(|(k, _)| k.store == store);
        *updates = others;
        mine.into_iter().map(|(k, v)| (k.name, v)).collect()
    }

    pub(crate) fn shape_of(&self, id: usize) -> Vec<usize> {
        self.nodes.borrow()[id].value.shape().to_vec()
    }
    pub(crate) fn value_of(&self, id: usize) -> Tensor<B> {
        self.nodes.borrow()[id].value.clone()
    }
    pub(crate) fn set_label(&self, id: usize, label: &str) {
        self.nodes.borrow_mut()[id].label = Some(label.to_string());
    }

    /// Reverse pass from a scalar loss: ∂loss/∂v for every leaf v that requires a gradient.
    /// With `COSMOGRAD_TRACE=1` the pass is traced and the trace printed to stderr.
    pub fn backward(&self, loss: Var<'_, B>) -> Result<Grads<B>> {
        if std::env::var_os("COSMOGRAD_TRACE").is_some_and(|v| v != "0") {
            let (grads, trace) = self.backward_traced(loss)?;
            eprint!("{}", trace.render());
            return Ok(grads);
        }
        self.backward_observed(loss, None)
    }

    /// [`Tape::backward`] from a scalar loss, optionally watched.
    pub fn backward_observed(&self, loss: Var<'_, B>, observer: Option<&mut dyn BackwardObserver<B>>) -> Result<Grads<B>> {
        if loss.numel() != 1 {
            return Err(Error::shape(
                "backward",
                &loss.shape(),
                &[1],
                "backward needs a scalar loss; use backward_with for a seed gradient",
            ));
        }
        let seed = Tensor::full(&self.backend, &loss.shape(), 1.0)?;
        self.backward_with(loss, seed, observer)
    }

    /// Reverse pass from any output with a given seed gradient ∂E/∂output, optionally watched.
    pub fn backward_with(
        &self,
        output: Var<'_, B>,
        seed: Tensor<B>,
        mut observer: Option<&mut dyn BackwardObserver<B>>,
    ) -> Result<Grads<B>> {
        if !std::ptr::eq(output.tape, self) {
            return Err(Error::Tape("backward was given a value from another tape".into()));
        }
        if self.backward_done.get() {
            return Err(Error::BackwardTwice);
        }
        if seed.shape() != output.shape().as_slice() {
            return Err(Error::shape(
                "backward",
                seed.shape(),
                &output.shape(),
                "the seed gradient must have the output's shape",
            ));
        }
        self.backward_done.set(true);
        let nodes = self.nodes.borrow();
        let mut grads: Vec<Option<Tensor<B>>> = vec![None; nodes.len()];
        grads[output.id] = Some(seed);
        let b = &self.backend;
        for id in (0..=output.id).rev() {
            let node = &nodes[id];
            let Some(rule) = node.rule.as_ref() else {
                continue;
            };
            let Some(g) = grads[id].clone() else { continue };
            if let Some(o) = observer.as_deref_mut() {
                o.visit(self, id, &g)?;
            }
            let ctx = BackwardCtx {
                backend: b,
                inputs: node.inputs.iter().map(|&i| &nodes[i].value).collect(),
                output: &node.value,
                grad: &g,
                needs: node.inputs.iter().map(|&i| nodes[i].requires_grad).collect(),
            };
            let produced = rule.backward(&ctx)?;
            if produced.len() != node.inputs.len() {
                return Err(Error::Tape(format!(
                    "op `{}` returned {} gradients for {} inputs",
                    rule.name(),
                    produced.len(),
                    node.inputs.len()
                )));
            }
            for (&inp, gi) in node.inputs.iter().zip(produced) {
                let Some(gi) = gi else { continue };
                if !nodes[inp].requires_grad {
                    continue;
                }
                if gi.shape() != nodes[inp].value.shape() {
                    return Err(Error::shape(
                        "backward",
                        gi.shape(),
                        nodes[inp].value.shape(),
                        format!("op `{}` produced a gradient whose shape differs from its input's", rule.name()),
                    ));
                }
                if self.guard.get() {
                    self.check_finite(rule.name(), id, "backward", &gi)?;
                }
                if let Some(o) = observer.as_deref_mut() {
                    o.contribution(self, id, inp, &gi)?;
                }
                // A value used by several consumers receives the sum of their contributions.
                grads[inp] = Some(match grads[inp].take() {
                    None => gi,
                    Some(acc) => {
                        let n = acc.numel();
                        let sum = b.binary(BinaryOp::Add, acc.storage(), Bcast::full(n), gi.storage(), Bcast::full(n), n)?;
                        Tensor::from_storage(sum, acc.shape().to_vec())
                    }
                });
            }
            if !self.retain_grads.get() && node.kind == NodeKind::Op && id != output.id {
                grads[id] = None;
            }
        }
        Ok(Grads {
            grads,
            params: self.params.borrow().clone(),
        })
    }
}

/// The splitmix64 finaliser: well-spread 64-bit seeds from counters.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
