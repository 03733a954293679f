//! Gradient checks: the tape's analytic gradient against central finite differences in f64.
//!
//! For a function f of several inputs with any output shape, the check contracts the output
//! with fixed pseudo-random weights r (L = Σ r ⊙ f; r = 1 for a scalar f), so every output
//! element is tested, then compares ∂L/∂x_i from one backward pass with
//! (L(x + εe_i) − L(x − εe_i)) / 2ε.
//! Defaults follow PyTorch's `gradcheck`: ε = 1e-6, atol = 1e-5, rtol = 1e-3; an element passes
//! when |analytic − numeric| ≤ atol + rtol·|numeric|.

use crate::autodiff::{Tape, Var};
use crate::backend::{Backend, Cpu};
use crate::error::Result;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Dimension};
use serde::Serialize;

pub type Cpu64 = Cpu<f64>;

/// One input of a checked function.
#[derive(Clone, Debug)]
pub struct CheckInput {
    pub name: String,
    pub value: ArrayD<f64>,
    /// Whether the gradient with respect to this input is checked (data inputs: false).
    pub grad: bool,
}

impl CheckInput {
    /// An input whose gradient is checked.
    pub fn wrt(name: &str, value: ArrayD<f64>) -> Self {
        CheckInput {
            name: name.into(),
            value,
            grad: true,
        }
    }
    /// Data the function reads but is not differentiated in (targets, labels).
    pub fn data(name: &str, value: ArrayD<f64>) -> Self {
        CheckInput {
            name: name.into(),
            value,
            grad: false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct GradcheckOptions {
    pub eps: f64,
    pub atol: f64,
    pub rtol: f64,
    /// How many of the worst elements each input's report keeps.
    pub top: usize,
    /// Evaluate in training mode (dropout, batch statistics).
    pub training: bool,
    /// Seed of the tape's random ops; the same for every evaluation, so a dropout mask is fixed.
    pub seed: u64,
}

impl GradcheckOptions {
    /// Tolerances for analytic gradients computed in f32 (the GPU) against f64 finite
    /// differences: atol 5e-5, rtol 1e-3. An f32 backward pass carries relative errors of
    /// ~1e-7 per op; over the suite's cases the worst absolute error measured on lavapipe was
    /// 2.9e-6 (notes/benchmarks.md), so this leaves a margin of ~15 while any wrong formula,
    /// off by O(1), still fails.
    pub fn f32_options() -> Self {
        GradcheckOptions {
            atol: 5e-5,
            rtol: 1e-3,
            ..GradcheckOptions::default()
        }
    }
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
            top: 5,
            training: true,
            seed: 7,
        }
    }
}

/// One compared element.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub index: Vec<usize>,
    pub numeric: f64,
    pub analytic: f64,
    pub abs_err: f64,
    pub rel_err: f64,
    /// |a − n| / (atol + rtol·|n|): above 1 fails.
    pub ratio: f64,
}

/// The result for one input.
#[derive(Clone, Debug, Serialize)]
pub struct InputReport {
    pub name: String,
    pub shape: Vec<usize>,
    pub max_abs_err: f64,
    pub max_rel_err: f64,
    pub passed: bool,
    /// The worst elements, worst first.
    pub worst: Vec<Entry>,
}

impl InputReport {
    /// Every element's finite difference in row-major order, when the report kept them all
    /// (`GradcheckOptions::top` at least the input's size); `None` otherwise.
    pub fn numeric_flat(&self) -> Option<Vec<f64>> {
        let n: usize = self.shape.iter().product();
        if self.worst.len() != n {
            return None;
        }
        let mut out = vec![0.0; n];
        for e in &self.worst {
            let flat = e.index.iter().zip(&self.shape).fold(0, |acc, (&i, &d)| acc * d + i);
            out[flat] = e.numeric;
        }
        Some(out)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub inputs: Vec<InputReport>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.inputs.iter().all(|i| i.passed)
    }
    /// The gradient table: for each input, its verdict, then its worst elements (by
    /// `ratio` = |analytic − numeric| / (atol + rtol·|numeric|), which fails above 1) with
    /// index, numeric and analytic derivative, absolute and relative error.
    ///
    /// ```
    /// use cosmograd::autodiff::gradcheck::{gradcheck, CheckInput, GradcheckOptions};
    /// use ndarray::{ArrayD, IxDyn};
    ///
    /// // Your own function of several inputs: f(a, b) = tanh(a·b) summed over columns.
    /// let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![0.3, -1.2, 0.8, 0.5]).unwrap();
    /// let b = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1.5, -0.4]).unwrap();
    /// let report = gradcheck(
    ///     |_tape, v| v[0].mul(v[1])?.tanh()?.sum_axis(1, false),
    ///     &[CheckInput::wrt("a", a), CheckInput::wrt("b", b)],
    ///     GradcheckOptions { top: 3, ..Default::default() },
    /// )
    /// .unwrap();
    /// assert!(report.passed());
    /// let table = report.table();
    /// assert!(table.starts_with("a [2, 2]: max abs"));
    /// println!("{table}");
    /// ```
    pub fn table(&self) -> String {
        let mut s = String::new();
        for inp in &self.inputs {
            s += &format!(
                "{} {:?}: max abs {}, max rel {} — {}\n",
                inp.name,
                inp.shape,
                sci(inp.max_abs_err, 3),
                sci(inp.max_rel_err, 3),
                if inp.passed { "OK" } else { "FAIL" }
            );
            s += &format!(
                "  {:<16} {:>15} {:>15} {:>10} {:>10} {:>9}\n",
                "index", "numeric", "analytic", "abs err", "rel err", "ratio"
            );
            for e in &inp.worst {
                s += &format!(
                    "  {:<16} {:>15} {:>15} {:>10} {:>10} {:>9}\n",
                    format!("{:?}", e.index),
                    sci(e.numeric, 7),
                    sci(e.analytic, 7),
                    sci(e.abs_err, 2),
                    sci(e.rel_err, 2),
                    sci(e.ratio, 2)
                );
            }
        }
        s
    }
}

/// Scientific notation with a signed two-digit exponent (`-1.2345678e-02`), so that the
/// columns of a table line up.
fn sci(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$e}");
    match s.split_once('e') {
        Some((m, e)) => match e.parse::<i32>() {
            Ok(e) => format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()),
            Err(_) => s,
        },
        None => s, // NaN, inf
    }
}

/// A function of several `Var`s on an f64 CPU tape.
pub trait CheckFn: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>> {}
impl<F> CheckFn for F where F: for<'t> Fn(&'t Tape<Cpu64>, &[Var<'t, Cpu64>]) -> Result<Var<'t, Cpu64>> {}

/// Deterministic contraction weights in [0.5, 1.5) with alternating sign, so that no output
/// element's error can cancel another's. A scalar output needs no contraction: its weight is 1,
/// so the report's numbers are ∂f/∂x themselves (teaching pages show them beside the tape's).
fn weights(n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![1.0];
    }
    (0..n)
        .map(|i| {
            let u = crate::backend::random::uniform(0x5eed, i as u32) as f64;
            (0.5 + u) * if i % 2 == 0 { 1.0 } else { -1.0 }
        })
        .collect()
}

fn tape(opts: &GradcheckOptions) -> Tape<Cpu64> {
    Tape::new(Cpu64::default()).training(opts.training).seed(opts.seed)
}

/// L(x) = Σ r ⊙ f(x), evaluated without gradients.
fn contracted(f: &dyn CheckFn, inputs: &[CheckInput], opts: &GradcheckOptions) -> Result<f64> {
    let t = tape(opts).no_grad();
    let be = Cpu64::default();
    let vars = inputs
        .iter()
        .map(|i| Ok(t.input(Tensor::from_array(&be, &i.value)?)))
        .collect::<Result<Vec<_>>>()?;
    let out = f(&t, &vars)?.to_vec()?;
    Ok(out.iter().zip(weights(out.len())).map(|(a, w)| a * w).sum())
}

/// Puts the inputs on a tape: those marked `grad` as leaves that receive a gradient, the
/// others as data.
pub fn place_inputs<'t, B: Backend>(tape: &'t Tape<B>, inputs: &[CheckInput]) -> Result<Vec<Var<'t, B>>> {
    inputs
        .iter()
        .map(|i| {
            let v = Tensor::from_array(tape.backend(), &i.value)?;
            Ok(if i.grad { tape.leaf(v) } else { tape.input(v) })
        })
        .collect()
}

/// Checks every input marked `grad` and reports, per input, the worst elements.
pub fn gradcheck(f: impl CheckFn, inputs: &[CheckInput], opts: GradcheckOptions) -> Result<Report> {
    gradcheck_on(&Cpu64::default(), &f, &f, inputs, opts)
}

/// A function of several `Var`s on a tape of any backend (the side whose gradients are checked).
pub type AnalyticFn<'a, B> = dyn for<'t> Fn(&'t Tape<B>, &[Var<'t, B>]) -> Result<Var<'t, B>> + 'a;

/// The analytic gradients of `analytic` computed on backend `be` (the GPU, in f32) against
/// central finite differences of `f` on the f64 CPU: the same check as [`gradcheck`], whose
/// tolerances in `opts` must then suit the backend's precision (`f32_options`).
pub fn gradcheck_on<B: Backend>(
    be: &B,
    analytic: &AnalyticFn<'_, B>,
    f: impl CheckFn,
    inputs: &[CheckInput],
    opts: GradcheckOptions,
) -> Result<Report> {
    // Analytic: one backward pass seeded with the contraction weights.
    let t = Tape::new(be.clone()).training(opts.training).seed(opts.seed);
    let vars = place_inputs(&t, inputs)?;
    let out = analytic(&t, &vars)?;
    let seed = Tensor::from_f64(be, &weights(out.numel()), &out.shape())?;
    let grads = t.backward_with(out, seed, None)?;

    let mut reports = Vec::new();
    for (j, inp) in inputs.iter().enumerate() {
        if !inp.grad {
            continue;
        }
        let analytic = match grads.get(vars[j]) {
            Some(g) => be.to_f64(g.storage())?,
            None => vec![0.0; inp.value.len()],
        };
        let mut entries = Vec::with_capacity(inp.value.len());
        let mut probe = inputs.to_vec();
        for (flat, (idx, &x0)) in inp.value.indexed_iter().enumerate() {
            probe[j].value[&idx] = x0 + opts.eps;
            let up = contracted(&f, &probe, &opts)?;
            probe[j].value[&idx] = x0 - opts.eps;
            let down = contracted(&f, &probe, &opts)?;
            probe[j].value[&idx] = x0;
            let numeric = (up - down) / (2.0 * opts.eps);
            let a = analytic[flat];
            let abs_err = (a - numeric).abs();
            entries.push(Entry {
                index: idx.slice().to_vec(),
                numeric,
                analytic: a,
                abs_err,
                // Relative to the larger magnitude, floored at atol so that zeros do not inflate it.
                rel_err: abs_err / numeric.abs().max(a.abs()).max(opts.atol),
                ratio: abs_err / (opts.atol + opts.rtol * numeric.abs()),
            });
        }
        let passed = entries.iter().all(|e| e.ratio <= 1.0);
        let max_abs_err = entries.iter().map(|e| e.abs_err).fold(0.0, f64::max);
        let max_rel_err = entries.iter().map(|e| e.rel_err).fold(0.0, f64::max);
        entries.sort_by(|a, b| b.ratio.total_cmp(&a.ratio));
        entries.truncate(opts.top);
        reports.push(InputReport {
            name: inp.name.clone(),
            shape: inp.value.shape().to_vec(),
            max_abs_err,
            max_rel_err,
            passed,
            worst: entries,
        });
    }
    Ok(Report { inputs: reports })
}
