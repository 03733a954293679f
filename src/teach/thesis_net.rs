//! The network of the thesis's Figure 2 and its worked backward pass (§3.2.2, eqs. 22–39).
//!
//! Layers are numbered as in the thesis: layer 1 is the input x (4 values), layer 2 has 3
//! neurons with activation σ, layer 3 has 4 neurons with activation f, layer 4 is the output
//! Y (2 neurons) with the sigmoid g (eq. 22). Weights V^l [neurons of l, neurons of l−1] and
//! thresholds T^l, so V^l_ij joins neuron j of layer l−1 to neuron i of layer l:
//!
//! ```text
//! X² = V² x + T²,   h² = σ(X²)      (eqs. 1–3; erratum: no ½, eqs. 13–14)
//! X³ = V³ h² + T³,  h³ = f(X³)
//! X⁴ = V⁴ h³ + T⁴,  Y  = g(X⁴)      (eq. 22)
//! E_k = ½ Σ_m (Y_m − y_km)²         (eq. 12)
//! ```
//!
//! [`explain`] computes ∂E_k/∂V⁴₁₄ (eqs. 24–28) and ∂E_k/∂V³₄₃ (eqs. 30–38) three ways: factor
//! by factor from the forward values, as the hand-derived chain rule does; by the tape's
//! backward pass; and by central finite differences in f64. Then the SGD update (eqs. 29, 39).

use super::fd_options;
use super::Moment;
use crate::autodiff::gradcheck::{gradcheck, CheckInput, Report};
use crate::autodiff::{Tape, Trace, Var};
use crate::backend::Cpu;
use crate::error::{Error, Result};
use crate::nn::init::{seed_for, Init};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Cpu64 = Cpu<f64>;

/// The hidden activation f of layer 3 (σ of layer 2 and g of the output are sigmoids).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Activation {
    Sigmoid,
    Tanh,
    Relu,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }
    fn on<'t>(self, x: Var<'t, Cpu64>) -> Result<Var<'t, Cpu64>> {
        match self {
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
        }
    }
    /// f'(X) written with h = f(X), as a teacher writes it (thesis eqs. 44–46).
    pub fn derivative_formula(self) -> &'static str {
        match self {
            Activation::Sigmoid => "h(1 − h)",
            Activation::Tanh => "1 − h²",
            Activation::Relu => "1 if X > 0 else 0",
        }
    }
    /// f'(X) from the pre-activation X and the output h = f(X).
    pub fn derivative(self, x: f64, h: f64) -> f64 {
        match self {
            Activation::Sigmoid => h * (1.0 - h),
            Activation::Tanh => 1.0 - h * h,
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// One parameter: its thesis name (`V^4`, `T^3`, …), shape and row-major values.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
}

impl Param {
    /// Registered on `tape` under its name.
    pub(crate) fn on<'t>(&self, tape: &'t Tape<Cpu64>) -> Result<Var<'t, Cpu64>> {
        Ok(tape.param(self.name, &Tensor::from_f64(tape.backend(), &self.values, &self.shape)?))
    }
    /// An input of the gradient checker, named like the parameter.
    pub(crate) fn check_input(&self) -> Result<CheckInput> {
        let a = ArrayD::from_shape_vec(IxDyn(&self.shape), self.values.clone())
            .map_err(|e| Error::invalid("teach", format!("{}: {e}", self.name)))?;
        Ok(CheckInput::wrt(self.name, a))
    }
}

/// The 4 → 3 → 4 → 2 network with one training sample (x_k, y_k).
#[derive(Clone, Debug)]
pub struct ThesisNet {
    pub f: Activation,
    /// The input x_k (layer 1).
    pub x: Vec<f64>,
    /// The target y_k.
    pub y: Vec<f64>,
    /// V², T², V³, T³, V⁴, T⁴ in that order.
    pub params: Vec<Param>,
}

/// Layer widths of Figure 2, layer 1 (inputs) to layer 4 (outputs).
pub const WIDTHS: [usize; 4] = [4, 3, 4, 2];

/// The values of one forward pass on a tape, labelled with their thesis names (`X^2`, `h^2`,
/// …, `Y`, `E`) so that traces and pictures of the tape name them.
pub struct ThesisVars<'t> {
    pub x: Var<'t, Cpu64>,
    pub x2: Var<'t, Cpu64>,
    pub h2: Var<'t, Cpu64>,
    pub x3: Var<'t, Cpu64>,
    pub h3: Var<'t, Cpu64>,
    pub x4: Var<'t, Cpu64>,
    pub out: Var<'t, Cpu64>,
    pub y: Var<'t, Cpu64>,
    pub e: Var<'t, Cpu64>,
}

impl ThesisNet {
    /// Seeded weights (Xavier uniform, suited to sigmoid/tanh), thresholds from N(0, 0.1²), an input
    /// in [−1, 1) and targets in [0.1, 0.9) (reachable by the sigmoid output).
    pub fn new(seed: u64, f: Activation) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let x = (0..WIDTHS[0]).map(|_| rng.random_range(-1.0..1.0)).collect();
        let y = (0..WIDTHS[3]).map(|_| rng.random_range(0.1..0.9)).collect();
        let mut params = Vec::new();
        for (l, (w, t)) in [(2, ("V^2", "T^2")), (3, ("V^3", "T^3")), (4, ("V^4", "T^4"))] {
            let shape = vec![WIDTHS[l - 1], WIDTHS[l - 2]];
            params.push(Param {
                name: w,
                values: Init::XavierUniform.sample(&shape, None, seed_for(seed, w)),
                shape,
            });
            let shape = vec![WIDTHS[l - 1]];
            params.push(Param {
                name: t,
                values: Init::Normal { std: 0.1 }.sample(&shape, None, seed_for(seed, t)),
                shape,
            });
        }
        ThesisNet { f, x, y, params }
    }

    pub(crate) fn param(&self, name: &str) -> Result<&Param> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| Error::invalid("thesis_net", format!("no parameter `{name}`")))
    }

    /// V^l_ij (or T^l_i with j = 1) with the thesis's 1-based indices.
    pub fn weight(&self, name: &str, i: usize, j: usize) -> Result<f64> {
        let p = self.param(name)?;
        let cols = p.shape.get(1).copied().unwrap_or(1);
        if i == 0 || j == 0 || i > p.shape[0] || j > cols {
            return Err(Error::invalid("thesis_net", format!("{name}_{i}{j} is outside {:?}", p.shape)));
        }
        Ok(p.values[(i - 1) * cols + (j - 1)])
    }

    /// One forward pass on `tape`, the parameters registered under their thesis names.
    pub fn forward<'t>(&self, tape: &'t Tape<Cpu64>) -> Result<ThesisVars<'t>> {
        let params = self.params.iter().map(|p| p.on(tape)).collect::<Result<Vec<_>>>()?;
        self.forward_with(tape, &params)
    }

    /// The forward pass with V², T², V³, T³, V⁴, T⁴ given as values on the tape (in the order
    /// of `params`), so that the gradient checker can place them as it likes.
    fn forward_with<'t>(&self, tape: &'t Tape<Cpu64>, p: &[Var<'t, Cpu64>]) -> Result<ThesisVars<'t>> {
        let [v2, t2, v3, t3, v4, t4] = p else {
            return Err(Error::invalid("thesis_net", format!("expected 6 parameters, got {}", p.len())));
        };
        let x = tape.input_f64(&self.x, &[1, WIDTHS[0]])?.named("x");
        let x2 = x.linear(*v2, Some(*t2))?.named("X^2");
        let h2 = x2.sigmoid()?.named("h^2");
        let x3 = h2.linear(*v3, Some(*t3))?.named("X^3");
        let h3 = self.f.on(x3)?.named("h^3");
        let x4 = h3.linear(*v4, Some(*t4))?.named("X^4");
        let out = x4.sigmoid()?.named("Y");
        let y = tape.input_f64(&self.y, &[1, WIDTHS[3]])?.named("y");
        let diff = out.sub(y)?.named("Y − y");
        let sq = diff.square()?.named("(Y − y)²");
        let e = sq.sum()?.named("Σ (Y − y)²").mul_scalar(0.5)?.named("E");
        Ok(ThesisVars {
            x,
            x2,
            h2,
            x3,
            h3,
            x4,
            out,
            y,
            e,
        })
    }

    /// E_k of one forward pass without gradients.
    pub fn loss(&self) -> Result<f64> {
        let tape = Tape::new(Cpu64::default()).no_grad();
        self.forward(&tape)?.e.item()
    }

    /// ∂E_k/∂w for every element w of every parameter by central differences in f64, from the
    /// gradient checker (each input of the report is named like the parameter, `V^4`, …;
    /// [`crate::autodiff::gradcheck::InputReport::numeric_flat`] gives the numbers in order).
    pub fn gradcheck(&self) -> Result<Report> {
        let inputs = self.params.iter().map(Param::check_input).collect::<Result<Vec<_>>>()?;
        gradcheck(|t, v| Ok(self.forward_with(t, v)?.e), &inputs, fd_options())
    }
}

/// Element (i, j) (1-based, as in the thesis) of the finite differences for parameter `name`.
fn numeric(report: &Report, net: &ThesisNet, name: &str, i: usize, j: usize) -> Result<f64> {
    net.weight(name, i, j)?;
    let cols = net.param(name)?.shape.get(1).copied().unwrap_or(1);
    report
        .inputs
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.numeric_flat())
        .map(|v| v[(i - 1) * cols + (j - 1)])
        .ok_or_else(|| Error::Tape(format!("the gradient check has no numbers for {name}")))
}

/// One factor of the chain rule, with its equation number in the thesis.
#[derive(Clone, Debug)]
pub struct Factor {
    pub eq: &'static str,
    pub symbol: String,
    pub formula: String,
    pub value: f64,
    /// The same quantity as the tape holds it, where the tape keeps it (∂E/∂Y, ∂E/∂X⁴, ∂E/∂h³).
    pub tape: Option<f64>,
    /// Where the backward pass computes this factor: the step of the labelled value `Y`, `X^4`, ….
    pub at: Moment,
}

/// The derivative of E_k in one weight, three ways, and its gradient-descent update.
#[derive(Clone, Debug)]
pub struct WeightWalk {
    pub weight: String,
    /// The parameter (`V^4`) and the 1-based (i, j) of the weight in it.
    pub param: &'static str,
    pub index: (usize, usize),
    /// Equation numbers of the chain rule, of the product and of the update.
    pub eqs: [&'static str; 3],
    pub chain: String,
    pub factors: Vec<Factor>,
    pub product_formula: String,
    /// The product of the factors (the hand-derived chain rule).
    pub hand: f64,
    /// The tape's ∂E_k/∂w.
    pub tape: f64,
    /// The central finite difference in f64 (from the gradient checker).
    pub numeric: f64,
    pub old: f64,
    pub updated: f64,
    /// Why the derivative is zero, where a relu unit is switched off.
    pub note: Option<String>,
}

impl WeightWalk {
    /// The largest disagreement among the three derivatives.
    pub fn max_disagreement(&self) -> f64 {
        let (a, b, c) = (self.hand, self.tape, self.numeric);
        (a - b).abs().max((a - c).abs()).max((b - c).abs())
    }
}

/// One forward value: its symbol, how it is computed, its numbers.
#[derive(Clone, Debug)]
pub struct ForwardRow {
    pub symbol: String,
    pub formula: String,
    pub values: Vec<f64>,
}

/// Everything `cosmograd explain` prints.
pub struct Explanation {
    pub seed: u64,
    pub lr: f64,
    pub f: Activation,
    pub forward: Vec<ForwardRow>,
    pub loss: f64,
    pub walks: Vec<WeightWalk>,
    /// The tape's backward pass, node by node.
    pub trace: Trace,
    /// The tape after backward, as Graphviz DOT.
    pub dot: String,
    /// The gradient checker on every parameter: E_k's central differences (ε = 1e-6) beside
    /// the tape's gradient, every element.
    pub gradcheck: Report,
}

/// Gradients with at most this many elements are kept whole in the trace (the largest here,
/// V³, has 12).
const TRACE_VALUES: usize = 64;

/// Builds the network for `seed`, runs one forward and one backward pass, and walks the
/// thesis's two worked derivatives.
pub fn explain(seed: u64, lr: f64, f: Activation) -> Result<Explanation> {
    let tape = Tape::new(Cpu64::default()).retain_grads(true);
    explain_on(&tape, &ThesisNet::new(seed, f), seed, lr)
}

/// [`explain`] on a tape of the caller's (which must retain gradients); afterwards the tape
/// holds the forward pass and has run backward, for pages that draw it.
pub(crate) fn explain_on(tape: &Tape<Cpu64>, net: &ThesisNet, seed: u64, lr: f64) -> Result<Explanation> {
    if !lr.is_finite() {
        return Err(Error::invalid("explain", format!("the learning rate λ must be finite, got {lr}")));
    }
    let f = net.f;
    let n = net.forward(tape)?;
    let mut trace = Trace::keeping_values(TRACE_VALUES);
    let grads = tape.backward_observed(n.e, Some(&mut trace))?;
    let report = net.gradcheck()?;
    let b = tape.backend();
    let val = |v: Var<'_, Cpu64>| v.to_vec();
    let grad = |v: Var<'_, Cpu64>| -> Result<Vec<f64>> { grads.wrt(v)?.to_vec_f64(b) };
    let param_grad = |name: &str, i: usize, j: usize| -> Result<f64> {
        let g = grads
            .param(name)
            .ok_or_else(|| Error::Tape(format!("no gradient for {name}")))?
            .to_vec_f64(b)?;
        let cols = net.param(name)?.shape[1];
        Ok(g[(i - 1) * cols + (j - 1)])
    };

    let (h2, x3, h3, out) = (val(n.h2)?, val(n.x3)?, val(n.h3)?, val(n.out)?);
    let yk = &net.y;
    let forward = vec![
        row("x", "input x_k", net.x.clone()),
        row("X²", "V² x + T²", val(n.x2)?),
        row("h²", "σ(X²)", h2.clone()),
        row("X³", "V³ h² + T³", x3.clone()),
        row("h³", &format!("f(X³), f = {}", f.name()), h3.clone()),
        row("X⁴", "V⁴ h³ + T⁴", val(n.x4)?),
        row("Y", "g(X⁴) = 1/(1 + e^−X⁴)", out.clone()),
        row("y_k", "target", yk.clone()),
        row(
            "E_Ym",
            "½ (Y_m − y_km)² (eq. 23)",
            out.iter().zip(yk).map(|(a, b)| 0.5 * (a - b) * (a - b)).collect(),
        ),
    ];
    let loss = n.e.item()?;
    let (gy, gx4, gh3) = (grad(n.out)?, grad(n.x4)?, grad(n.h3)?);

    // V⁴₁₄: output neuron 1, fed by h³₄ (eqs. 24–28).
    let d25 = out[0] - yk[0];
    let d26 = out[0] * (1.0 - out[0]);
    let d27 = h3[3];
    let hand = d25 * d26 * d27;
    let mut w1 = walk(net, &report, lr, ("V^4", 1, 4), param_grad("V^4", 1, 4)?, hand)?;
    w1.weight = "V⁴₁₄".into();
    w1.eqs = ["24", "28", "29"];
    w1.chain = "∂E_k/∂V⁴₁₄ = ∂E_k/∂Y₁ · ∂Y₁/∂X⁴₁ · ∂X⁴₁/∂V⁴₁₄".into();
    w1.factors = vec![
        factor("25", "∂E_k/∂Y₁", "Y₁ − y_k1", d25, Some(gy[0]), "Y"),
        factor("26", "∂Y₁/∂X⁴₁", "g'(X⁴₁) = Y₁(1 − Y₁)", d26, None, "Y"),
        factor("27", "∂X⁴₁/∂V⁴₁₄", "h³₄", d27, None, "X^4"),
    ];
    w1.product_formula = "(Y₁ − y_k1) · [Y₁(1 − Y₁)] · h³₄".into();
    if d27 == 0.0 {
        w1.note = Some("h³₄ = 0 (a relu unit that is off), so V⁴₁₄ does not affect E_k here; try another --seed".into());
    }

    // V³₄₃: neuron 4 of layer 3, fed by h²₃; h³₄ feeds both outputs (eqs. 30–38).
    let d34 = (out[0] - yk[0]) * out[0] * (1.0 - out[0]);
    let d35 = net.weight("V^4", 1, 4)?;
    let d32 = d34 * d35;
    let d33 = (out[1] - yk[1]) * out[1] * (1.0 - out[1]) * net.weight("V^4", 2, 4)?;
    let d31 = d32 + d33;
    let d36 = f.derivative(x3[3], h3[3]);
    let d37 = h2[2];
    let hand = d31 * d36 * d37;
    let mut w2 = walk(net, &report, lr, ("V^3", 4, 3), param_grad("V^3", 4, 3)?, hand)?;
    w2.weight = "V³₄₃".into();
    w2.eqs = ["30", "38", "39"];
    w2.chain = "∂E_k/∂V³₄₃ = ∂E_k/∂h³₄ · ∂h³₄/∂X³₄ · ∂X³₄/∂V³₄₃".into();
    w2.factors = vec![
        factor("34", "∂E_Y1/∂X⁴₁", "(Y₁ − y_k1) · Y₁(1 − Y₁)", d34, Some(gx4[0]), "X^4"),
        factor("35", "∂X⁴₁/∂h³₄", "V⁴₁₄", d35, None, "X^4"),
        factor("32", "∂E_Y1/∂h³₄", "(34) · (35)", d32, None, "X^4"),
        factor("33", "∂E_Y2/∂h³₄", "(Y₂ − y_k2) · Y₂(1 − Y₂) · V⁴₂₄", d33, None, "X^4"),
        factor("31", "∂E_k/∂h³₄", "(32) + (33)", d31, Some(gh3[3]), "X^4"),
        factor(
            "36",
            "∂h³₄/∂X³₄",
            &format!("f'(X³₄) = {}", f.derivative_formula()),
            d36,
            None,
            "h^3",
        ),
        factor("37", "∂X³₄/∂V³₄₃", "h²₃", d37, None, "X^3"),
    ];
    w2.product_formula = "{(34)·V⁴₁₄ + ∂E_Y2/∂h³₄} · f'(X³₄) · h²₃".into();
    if d36 == 0.0 {
        w2.note = Some("f'(X³₄) = 0: relu with X³₄ ≤ 0 passes no gradient down; try another --seed".into());
    }
    let dot = tape.to_dot(Some(&grads))?;
    Ok(Explanation {
        seed,
        lr,
        f,
        forward,
        loss,
        walks: vec![w1, w2],
        trace,
        dot,
        gradcheck: report,
    })
}

/// The three derivatives and the update of weight `param`_ij; the caller fills in the text.
fn walk(
    net: &ThesisNet,
    report: &Report,
    lr: f64,
    (param, i, j): (&'static str, usize, usize),
    tape: f64,
    hand: f64,
) -> Result<WeightWalk> {
    let old = net.weight(param, i, j)?;
    Ok(WeightWalk {
        weight: String::new(),
        param,
        index: (i, j),
        eqs: [""; 3],
        chain: String::new(),
        factors: Vec::new(),
        product_formula: String::new(),
        hand,
        tape,
        numeric: numeric(report, net, param, i, j)?,
        old,
        updated: old - lr * hand,
        note: None,
    })
}

fn row(symbol: &str, formula: &str, values: Vec<f64>) -> ForwardRow {
    ForwardRow {
        symbol: symbol.into(),
        formula: formula.into(),
        values,
    }
}

fn factor(eq: &'static str, symbol: &str, formula: &str, value: f64, tape: Option<f64>, at: &'static str) -> Factor {
    Factor {
        eq,
        symbol: symbol.into(),
        formula: formula.into(),
        value,
        tape,
        at: Moment::Backward(at),
    }
}
