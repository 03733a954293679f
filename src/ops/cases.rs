//! The gradient-check suite: every op and every differentiable input, on shapes that include
//! awkward ones (size 1, odd sizes), with inputs kept away from kinks. `cosmograd gradcheck`
//! prints it as a table and the tests in `tests/ops/` run it, so each case is written once.
//!
//! A case's body is written once and instantiated for every backend by [`body!`] (like
//! candle's `test_device!`), so the same cases check the f64 gradients against finite
//! differences, f32 against f64, and the GPU against the CPU: [`Case::evaluate`] runs a case
//! on any backend the body was instantiated for.

use crate::autodiff::gradcheck::{gradcheck, gradcheck_on, CheckInput, GradcheckOptions, Report};
use crate::autodiff::{Tape, Var};
use crate::backend::{Backend, Cpu, SigmaParam};
use crate::error::{Error, Result};
use crate::ops::{loss, GmmOptions, Reduction};
use ndarray::{ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::any::Any;

/// A function of `Var`s on a tape of backend B.
pub type BodyFn<B> = Box<dyn for<'t> Fn(&'t Tape<B>, &[Var<'t, B>]) -> Result<Var<'t, B>>>;

/// One case body, instantiated for each backend the suite runs on ([`body!`] lists them).
#[derive(Default)]
pub struct Body {
    /// One `BodyFn<B>` per backend B, looked up by type.
    fns: Vec<Box<dyn Any>>,
}

impl Body {
    pub fn new() -> Self {
        Body::default()
    }
    /// Adds the body's instance for backend B.
    pub fn with<B: Backend>(mut self, f: BodyFn<B>) -> Self {
        self.fns.push(Box::new(f));
        self
    }
    /// The body's instance for backend B.
    pub fn get<B: Backend>(&self) -> Result<&BodyFn<B>> {
        self.fns.iter().find_map(|f| f.downcast_ref::<BodyFn<B>>()).ok_or_else(|| {
            Error::Other(format!(
                "this gradient-check case was not instantiated for the backend {}; add it to `body!`",
                std::any::type_name::<B>()
            ))
        })
    }
}

/// Pins a closure to the higher-ranked signature a body needs (closure signatures are only
/// inferred as higher-ranked when passed straight to a function with that bound).
pub fn pin<B: Backend, F>(f: F) -> F
where
    F: for<'t> Fn(&'t Tape<B>, &[Var<'t, B>]) -> Result<Var<'t, B>>,
{
    f
}

/// `body!(|t, x| x[0].relu())`: one closure, instantiated for every backend (`Cpu<f64>`,
/// `Cpu<f32>`, and the GPU). The closure's text is repeated once per backend, so whatever it
/// captures must be `Copy`.
#[macro_export]
macro_rules! body {
    ($f:expr) => {
        $crate::ops::cases::Body::new()
            .with::<$crate::backend::Cpu<f64>>(Box::new($crate::ops::cases::pin::<$crate::backend::Cpu<f64>, _>($f)))
            .with::<$crate::backend::Cpu<f32>>(Box::new($crate::ops::cases::pin::<$crate::backend::Cpu<f32>, _>($f)))
            .with::<$crate::backend::Gpu>(Box::new($crate::ops::cases::pin::<$crate::backend::Gpu, _>($f)))
    };
}
pub use body;

/// One gradient check.
pub struct Case {
    /// The op's name (`cosmograd gradcheck --op NAME` selects by it).
    pub op: &'static str,
    /// What this case varies (shape, broadcast, padding mode, …).
    pub variant: String,
    pub inputs: Vec<CheckInput>,
    pub body: Body,
    pub opts: GradcheckOptions,
}

impl Case {
    pub fn new(op: &'static str, variant: impl Into<String>, inputs: Vec<CheckInput>, body: Body) -> Self {
        Case {
            op,
            variant: variant.into(),
            inputs,
            body,
            opts: GradcheckOptions::default(),
        }
    }
    /// Runs the f64 gradient check.
    pub fn check(&self) -> Result<Report> {
        let body = self.body.get::<Cpu<f64>>()?;
        gradcheck(|t, v| body(t, v), &self.inputs, self.opts)
    }
    /// The analytic gradients of backend B against f64 finite differences on the CPU, with
    /// the given tolerances (for the GPU: `GradcheckOptions::f32_options`).
    pub fn check_on<B: Backend>(&self, backend: &B, atol: f64, rtol: f64) -> Result<Report> {
        let analytic = self.body.get::<B>()?;
        let f64_body = self.body.get::<Cpu<f64>>()?;
        let opts = GradcheckOptions { atol, rtol, ..self.opts };
        gradcheck_on(backend, analytic.as_ref(), |t, v| f64_body(t, v), &self.inputs, opts)
    }
    /// Forward value and gradients of the output (seeded with ones) on backend B, for
    /// precision and backend-parity checks: (output, gradient of each `grad` input).
    pub fn evaluate<B: Backend>(&self, backend: &B) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
        use crate::tensor::Tensor;
        let body = self.body.get::<B>()?;
        let t = Tape::new(backend.clone()).training(self.opts.training).seed(self.opts.seed);
        let vars = crate::autodiff::gradcheck::place_inputs(&t, &self.inputs)?;
        let out = body(&t, &vars)?;
        let y = out.to_vec()?;
        let seed = Tensor::full(backend, &out.shape(), 1.0)?;
        let g = t.backward_with(out, seed, None)?;
        let grads = self
            .inputs
            .iter()
            .zip(&vars)
            .filter(|(i, _)| i.grad)
            .map(|(i, v)| match g.get(*v) {
                Some(g) => g.to_vec_f64(backend),
                None => Ok(vec![0.0; i.value.len()]),
            })
            .collect::<Result<_>>()?;
        Ok((y, grads))
    }
}

/// Random inputs for the suite, seeded per case.
pub struct Gen(StdRng);

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen(StdRng::seed_from_u64(seed))
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, shape: &[usize], lo: f64, hi: f64) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(shape), |_| self.0.random_range(lo..hi))
    }
    /// Magnitudes in [0.1, 1) with random signs: away from the kink of relu-like functions.
    pub fn away_from_zero(&mut self, shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(shape), |_| {
            let m = self.0.random_range(0.1..1.0);
            if self.0.random::<bool>() {
                m
            } else {
                -m
            }
        })
    }
    /// Rows of a probability distribution (for soft targets).
    pub fn simplex(&mut self, rows: usize, cols: usize) -> ArrayD<f64> {
        let mut a = self.uniform(&[rows, cols], 0.1, 1.0);
        for mut r in a.rows_mut() {
            let s = r.sum();
            r /= s;
        }
        a
    }
    pub fn bits(&mut self, shape: &[usize]) -> ArrayD<f64> {
        ArrayD::from_shape_fn(IxDyn(shape), |_| if self.0.random::<bool>() { 1.0 } else { 0.0 })
    }
}

fn w(name: &str, v: ArrayD<f64>) -> CheckInput {
    CheckInput::wrt(name, v)
}
fn data(name: &str, v: ArrayD<f64>) -> CheckInput {
    CheckInput::data(name, v)
}

/// The names of the ops the suite checks, each once, in suite order.
pub fn op_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for c in all_cases() {
        if !names.contains(&c.op) {
            names.push(c.op);
        }
    }
    names
}

/// Every case of the core ops. Image-kernel cases are appended by `image_cases`.
pub fn all_cases() -> Vec<Case> {
    let mut g = Gen::new(2024);
    let mut c = Vec::new();

    // Elementwise arithmetic, with each supported broadcast.
    for (variant, sa, sb) in [
        ("same shape", vec![3, 5], vec![3, 5]),
        ("scalar", vec![2, 3, 4], vec![1]),
        ("per-feature", vec![4, 7], vec![7]),
        ("per-channel", vec![2, 3, 4, 5], vec![1, 3, 1, 1]),
        ("size 1", vec![1, 1], vec![1, 1]),
    ] {
        for op in ["add", "sub", "mul", "div"] {
            let a = g.away_from_zero(&sa);
            let b = if op == "div" {
                g.uniform(&sb, 0.5, 2.0)
            } else {
                g.away_from_zero(&sb)
            };
            let body = match op {
                "add" => body!(|_t, x| x[0].add(x[1])),
                "sub" => body!(|_t, x| x[0].sub(x[1])),
                "mul" => body!(|_t, x| x[0].mul(x[1])),
                _ => body!(|_t, x| x[0].div(x[1])),
            };
            c.push(Case::new(op, variant, vec![w("a", a), w("b", b)], body));
        }
    }
    // A value used twice: gradients from both uses are summed.
    c.push(Case::new(
        "mul",
        "x·x (reuse)",
        vec![w("x", g.away_from_zero(&[3, 3]))],
        body!(|_t, x| x[0].mul(x[0])),
    ));

    // Pointwise maps.
    let shape = [3, 7];
    let pos = |g: &mut Gen| g.uniform(&shape, 0.5, 2.0);
    c.push(Case::new(
        "neg",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].neg()),
    ));
    c.push(Case::new(
        "add_scalar",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].add_scalar(0.7)),
    ));
    c.push(Case::new(
        "mul_scalar",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].mul_scalar(-1.3)),
    ));
    c.push(Case::new(
        "exp",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].exp()),
    ));
    c.push(Case::new("log", "3×7", vec![w("x", pos(&mut g))], body!(|_t, x| x[0].log())));
    c.push(Case::new("sqrt", "3×7", vec![w("x", pos(&mut g))], body!(|_t, x| x[0].sqrt())));
    c.push(Case::new("powf", "p=2.5", vec![w("x", pos(&mut g))], body!(|_t, x| x[0].powf(2.5))));
    c.push(Case::new("powf", "p=-1", vec![w("x", pos(&mut g))], body!(|_t, x| x[0].powf(-1.0))));
    c.push(Case::new(
        "square",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].square()),
    ));
    c.push(Case::new(
        "abs",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].abs()),
    ));
    c.push(Case::new(
        "relu",
        "3×7",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].relu()),
    ));
    c.push(Case::new(
        "leaky_relu",
        "α=0.2",
        vec![w("x", g.away_from_zero(&shape))],
        body!(|_t, x| x[0].leaky_relu(0.2)),
    ));
    c.push(Case::new(
        "sigmoid",
        "3×7",
        vec![w("x", g.uniform(&shape, -3.0, 3.0))],
        body!(|_t, x| x[0].sigmoid()),
    ));
    c.push(Case::new(
        "tanh",
        "3×7",
        vec![w("x", g.uniform(&shape, -2.0, 2.0))],
        body!(|_t, x| x[0].tanh()),
    ));
    c.push(Case::new(
        "softplus",
        "3×7",
        vec![w("x", g.uniform(&shape, -4.0, 4.0))],
        body!(|_t, x| x[0].softplus()),
    ));
    c.push(Case::new(
        "relu",
        "size 1",
        vec![w("x", g.away_from_zero(&[1]))],
        body!(|_t, x| x[0].relu()),
    ));

    // Linear algebra.
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (m, k, n) = (3, 5, 4);
        let a = g.uniform(&if ta { [k, m] } else { [m, k] }, -1.0, 1.0);
        let b = g.uniform(&if tb { [n, k] } else { [k, n] }, -1.0, 1.0);
        let body = match (ta, tb) {
            (false, false) => body!(|_t, x| crate::ops::matmul::matmul_t(x[0], x[1], false, false)),
            (true, false) => body!(|_t, x| crate::ops::matmul::matmul_t(x[0], x[1], true, false)),
            (false, true) => body!(|_t, x| crate::ops::matmul::matmul_t(x[0], x[1], false, true)),
            (true, true) => body!(|_t, x| crate::ops::matmul::matmul_t(x[0], x[1], true, true)),
        };
        c.push(Case::new(
            "matmul",
            format!("A{}·B{}", if ta { "ᵀ" } else { "" }, if tb { "ᵀ" } else { "" }),
            vec![w("a", a), w("b", b)],
            body,
        ));
    }
    c.push(Case::new(
        "matmul",
        "1×1·1×1",
        vec![w("a", g.uniform(&[1, 1], -1.0, 1.0)), w("b", g.uniform(&[1, 1], -1.0, 1.0))],
        body!(|_t, x| x[0].matmul(x[1])),
    ));
    for (n, fin, fout) in [(4, 5, 3), (1, 1, 1), (7, 3, 6)] {
        c.push(Case::new(
            "linear",
            format!("{n}×{fin}→{fout}"),
            vec![
                w("h", g.uniform(&[n, fin], -1.0, 1.0)),
                w("V", g.uniform(&[fout, fin], -1.0, 1.0)),
                w("T", g.uniform(&[fout], -1.0, 1.0)),
            ],
            body!(|_t, x| x[0].linear(x[1], Some(x[2]))),
        ));
    }
    c.push(Case::new(
        "linear",
        "no bias",
        vec![w("h", g.uniform(&[3, 4], -1.0, 1.0)), w("V", g.uniform(&[2, 4], -1.0, 1.0))],
        body!(|_t, x| x[0].linear(x[1], None)),
    ));

    // Shapes.
    c.push(Case::new(
        "reshape",
        "2×3×4→6×4",
        vec![w("x", g.uniform(&[2, 3, 4], -1.0, 1.0))],
        body!(|_t, x| x[0].reshape(&[6, 4])?.mul(x[0].reshape(&[6, 4])?)),
    ));
    c.push(Case::new(
        "flatten",
        "2×3×2×2",
        vec![w("x", g.uniform(&[2, 3, 2, 2], -1.0, 1.0))],
        body!(|_t, x| x[0].flatten()?.square()),
    ));
    c.push(Case::new(
        "transpose",
        "3×5",
        vec![w("x", g.uniform(&[3, 5], -1.0, 1.0))],
        body!(|_t, x| x[0].transpose2d()),
    ));
    c.push(Case::new(
        "concat",
        "axis 1 (channels)",
        vec![
            w("a", g.uniform(&[2, 3, 2, 2], -1.0, 1.0)),
            w("b", g.uniform(&[2, 1, 2, 2], -1.0, 1.0)),
        ],
        body!(|_t, x| x[0].concat(x[1], 1)),
    ));
    c.push(Case::new(
        "concat",
        "axis 0",
        vec![w("a", g.uniform(&[1, 3], -1.0, 1.0)), w("b", g.uniform(&[2, 3], -1.0, 1.0))],
        body!(|_t, x| x[0].concat(x[1], 0)),
    ));
    c.push(Case::new(
        "concat",
        "last axis",
        vec![w("a", g.uniform(&[2, 3], -1.0, 1.0)), w("b", g.uniform(&[2, 2], -1.0, 1.0))],
        body!(|_t, x| x[0].concat(x[1], 1)),
    ));

    c.push(Case::new(
        "narrow",
        "axis 1 middle",
        vec![w("x", g.uniform(&[2, 5, 3], -1.0, 1.0))],
        body!(|_t, x| x[0].narrow(1, 1, 3)),
    ));
    c.push(Case::new(
        "narrow",
        "last axis, one",
        vec![w("x", g.uniform(&[3, 4], -1.0, 1.0))],
        body!(|_t, x| x[0].narrow(1, 3, 1)),
    ));

    // Reductions.
    c.push(Case::new(
        "sum",
        "all",
        vec![w("x", g.uniform(&[3, 4], -1.0, 1.0))],
        body!(|_t, x| x[0].sum()),
    ));
    c.push(Case::new(
        "mean",
        "all",
        vec![w("x", g.uniform(&[3, 4, 5], -1.0, 1.0))],
        body!(|_t, x| x[0].mean()),
    ));
    c.push(Case::new(
        "sum",
        "axis 1",
        vec![w("x", g.uniform(&[3, 4, 5], -1.0, 1.0))],
        body!(|_t, x| x[0].sum_axis(1, false)),
    ));
    c.push(Case::new(
        "mean",
        "axis 0 keepdim",
        vec![w("x", g.uniform(&[3, 4], -1.0, 1.0))],
        body!(|_t, x| x[0].mean_axis(0, true)),
    ));
    c.push(Case::new(
        "mean",
        "last axis",
        vec![w("x", g.uniform(&[2, 3, 5], -1.0, 1.0))],
        body!(|_t, x| x[0].mean_axis(2, false)),
    ));

    // Softmax.
    for (variant, shape) in [("4×5", vec![4, 5]), ("1×1", vec![1, 1]), ("2×3×7", vec![2, 3, 7])] {
        c.push(Case::new(
            "softmax",
            variant,
            vec![w("x", g.uniform(&shape, -3.0, 3.0))],
            body!(|_t, x| x[0].softmax()),
        ));
        c.push(Case::new(
            "log_softmax",
            variant,
            vec![w("x", g.uniform(&shape, -3.0, 3.0))],
            body!(|_t, x| x[0].log_softmax()),
        ));
    }

    // Losses.
    c.push(Case::new(
        "mse",
        "3×4",
        vec![w("pred", g.uniform(&[3, 4], -1.0, 1.0)), w("target", g.uniform(&[3, 4], -1.0, 1.0))],
        body!(|_t, x| loss::mse(x[0], x[1])),
    ));
    c.push(Case::new(
        "bce",
        "mean",
        vec![w("p", g.uniform(&[5, 3], 0.05, 0.95)), data("t", g.bits(&[5, 3]))],
        body!(|_t, x| loss::bce(x[0], x[1], Reduction::Mean)),
    ));
    c.push(Case::new(
        "bce",
        "soft targets, sum",
        vec![w("p", g.uniform(&[7], 0.05, 0.95)), data("t", g.uniform(&[7], 0.0, 1.0))],
        body!(|_t, x| loss::bce(x[0], x[1], Reduction::Sum)),
    ));
    c.push(Case::new(
        "bce_with_logits",
        "mean",
        vec![w("x", g.uniform(&[4, 3], -5.0, 5.0)), data("t", g.bits(&[4, 3]))],
        body!(|_t, x| loss::bce_with_logits(x[0], x[1], Reduction::Mean)),
    ));
    c.push(Case::new(
        "bce_with_logits",
        "per element",
        vec![w("x", g.uniform(&[6], -30.0, 30.0)), data("t", g.uniform(&[6], 0.0, 1.0))],
        body!(|_t, x| loss::bce_with_logits(x[0], x[1], Reduction::None)),
    ));
    c.push(Case::new(
        "cross_entropy",
        "4×5 labels",
        vec![w("logits", g.uniform(&[4, 5], -2.0, 2.0))],
        body!(|_t, x| loss::cross_entropy(x[0], &[0, 4, 2, 2])),
    ));
    c.push(Case::new(
        "cross_entropy",
        "soft targets",
        vec![w("logits", g.uniform(&[3, 4], -2.0, 2.0)), data("t", g.simplex(3, 4))],
        body!(|_t, x| loss::cross_entropy_soft(x[0], x[1])),
    ));

    // The mixture NLL: diagonal and isotropic σ, each σ parameterisation, D = 1 and D = 6.
    for (variant, n, k, d, iso, sigma) in [
        ("K=3 D=2 diagonal", 4, 3, 2, false, SigmaParam::Softplus { floor: 1e-3 }),
        ("K=2 D=6 isotropic", 3, 2, 6, true, SigmaParam::Softplus { floor: 1e-3 }),
        ("K=1 D=1", 5, 1, 1, false, SigmaParam::Softplus { floor: 0.01 }),
        ("K=4 D=3 exp σ", 2, 4, 3, false, SigmaParam::Exp { floor: 0.0 }),
    ] {
        let s_shape = if iso { vec![n, k] } else { vec![n, k, d] };
        let inputs = vec![
            w("logits", g.uniform(&[n, k], -1.0, 1.0)),
            w("means", g.uniform(&[n, k, d], -1.0, 1.0)),
            w("raw_sigma", g.uniform(&s_shape, -1.0, 0.5)),
            data("y", g.uniform(&[n, d], -1.0, 1.0)),
        ];
        let opts = GmmOptions { isotropic: iso, sigma };
        c.push(Case::new(
            "gmm_nll",
            variant,
            inputs,
            body!(move |_t, x| crate::ops::gmm_nll::gmm_nll(x[0], x[1], x[2], x[3], opts)),
        ));
    }

    // Dropout (training mode, fixed seed: the mask is the same in every evaluation).
    c.push(Case::new(
        "dropout",
        "p=0.3",
        vec![w("x", g.uniform(&[4, 9], -1.0, 1.0))],
        body!(|_t, x| x[0].dropout(0.3)),
    ));

    c.extend(super::image_cases::image_cases());
    c
}
