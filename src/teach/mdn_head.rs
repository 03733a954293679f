//! The mixture-density head of the thesis's MDN (§3.4, eqs. 56–57) on one sample, written with
//! elementary ops so that its backward pass can be followed node by node, and checked against
//! the fused `gmm_nll` op the models train with.
//!
//! From features h (the last hidden layer, 3 values) three linear heads give, for K = 3
//! components in D = 2 dimensions, the logits a, the means μ and raw widths s:
//!
//! ```text
//! α_m = e^{a_m} / Σ_j e^{a_j}                                  (eq. 56, softmax weights)
//! σ_m = ln(1 + e^{s_m})                                         (softplus: σ > 0)
//! ln φ_m = −(D/2) ln 2π − D ln σ_m − |y − μ_m|² / (2σ_m²)        (eq. 57, isotropic)
//! w_m = ln α_m + ln φ_m,   p(y|x) = Σ_m e^{w_m},   E = −ln p(y|x)
//! ```
//!
//! σ_m is a standard deviation (eq. 57 calls it a variance: erratum, `notes/errata.md`). The
//! backward pass reaches w through E = −ln Σ_m e^{w_m}, so ∂E/∂w_m = −e^{w_m}/p = −γ_m: the
//! responsibility γ_m = α_m φ_m / Σ_j α_j φ_j, the posterior probability that y came from
//! component m. Every parameter of component m enters E only through w_m, so γ_m multiplies
//! each of its gradients: ∂E/∂a_m = α_m − γ_m, ∂E/∂μ_md = −γ_m (y_d − μ_md)/σ_m²,
//! ∂E/∂σ_m = γ_m (D/σ_m − |y − μ_m|²/σ_m³) (`notes/gmm_nll.md`).

use super::fd_options;
use super::thesis_net::Param;
use super::Moment;
use crate::autodiff::gradcheck::{gradcheck, CheckInput, Report};
use crate::autodiff::{Tape, Trace, Var};
use crate::backend::{Cpu, SigmaParam};
use crate::error::{Error, Result};
use crate::nn::init::{seed_for, Init};
use crate::ops::gmm_nll::gmm_nll;
use crate::ops::GmmOptions;
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

type Cpu64 = Cpu<f64>;

/// Mixture components.
pub const K: usize = 3;
/// Dimensions of the target (two parameters, e.g. Ω_m and σ_8 scaled to [0, 1]).
pub const D: usize = 2;
/// Features feeding the head.
pub const H: usize = 3;

/// The parameter names, in the order of [`MdnHead::params`]: weights and thresholds of the
/// logits head (a), the means head (m) and the widths head (s).
pub const PARAMS: [&str; 6] = ["V^a", "T^a", "V^m", "T^m", "V^s", "T^s"];

/// The head with one sample: features h and target y.
#[derive(Clone, Debug)]
pub struct MdnHead {
    pub h: Vec<f64>,
    pub y: Vec<f64>,
    pub params: Vec<Param>,
}

/// The values of one forward pass, labelled as the lesson names them.
pub struct HeadVars<'t> {
    pub h: Var<'t, Cpu64>,
    pub a: Var<'t, Cpu64>,
    pub alpha: Var<'t, Cpu64>,
    pub means: Var<'t, Cpu64>,
    pub s: Var<'t, Cpu64>,
    pub sigma: Var<'t, Cpu64>,
    pub ln_phi: Var<'t, Cpu64>,
    pub w: Var<'t, Cpu64>,
    pub p: Var<'t, Cpu64>,
    pub e: Var<'t, Cpu64>,
}

/// The head from a, μ (flat, [1, K·D]) and s on: eqs. 56–57 and the NLL.
struct Tail<'t> {
    alpha: Var<'t, Cpu64>,
    means: Var<'t, Cpu64>,
    sigma: Var<'t, Cpu64>,
    ln_phi: Var<'t, Cpu64>,
    w: Var<'t, Cpu64>,
    p: Var<'t, Cpu64>,
    e: Var<'t, Cpu64>,
}

fn array(shape: &[usize], v: &[f64]) -> Result<ArrayD<f64>> {
    ArrayD::from_shape_vec(IxDyn(shape), v.to_vec()).map_err(|e| Error::invalid("mdn_head", e.to_string()))
}

impl MdnHead {
    /// Seeded features in (−1, 1) (a tanh layer's range), a target in [0.1, 0.9)² and
    /// Xavier-uniform weights with N(0, 0.1²) thresholds, as the MDN-CNN's head is initialised.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let h = (0..H).map(|_| rng.random_range(-1.0..1.0)).collect();
        let y = (0..D).map(|_| rng.random_range(0.1..0.9)).collect();
        let outs = [K, K, K * D, K * D, K, K];
        let params = PARAMS
            .iter()
            .zip(outs)
            .map(|(&name, out)| {
                let shape = if name.starts_with('V') { vec![out, H] } else { vec![out] };
                let init = if name.starts_with('V') {
                    Init::XavierUniform
                } else {
                    Init::Normal { std: 0.1 }
                };
                Param {
                    name,
                    values: init.sample(&shape, None, seed_for(seed, name)),
                    shape,
                }
            })
            .collect();
        MdnHead { h, y, params }
    }

    /// One forward pass on `tape`: h a leaf that takes a gradient (what would flow on into the
    /// network below), the parameters registered by name.
    pub fn forward<'t>(&self, tape: &'t Tape<Cpu64>) -> Result<HeadVars<'t>> {
        let h = tape.leaf(Tensor::from_f64(tape.backend(), &self.h, &[1, H])?);
        let params = self.params.iter().map(|p| p.on(tape)).collect::<Result<Vec<_>>>()?;
        self.forward_with(tape, h, &params)
    }

    fn forward_with<'t>(&self, tape: &'t Tape<Cpu64>, h: Var<'t, Cpu64>, p: &[Var<'t, Cpu64>]) -> Result<HeadVars<'t>> {
        let [va, ta, vm, tm, vs, ts] = p else {
            return Err(Error::invalid("mdn_head", format!("expected 6 parameters, got {}", p.len())));
        };
        let h = h.named("h");
        let a = h.linear(*va, Some(*ta))?.named("a");
        let means = h.linear(*vm, Some(*tm))?.named("μ (flat)");
        let s = h.linear(*vs, Some(*ts))?.named("s");
        let t = self.tail(tape, a, means, s)?;
        Ok(HeadVars {
            h,
            a,
            alpha: t.alpha,
            means: t.means,
            s,
            sigma: t.sigma,
            ln_phi: t.ln_phi,
            w: t.w,
            p: t.p,
            e: t.e,
        })
    }

    /// Eqs. 56–57 and E = −ln p from the head's three outputs.
    fn tail<'t>(&self, tape: &'t Tape<Cpu64>, a: Var<'t, Cpu64>, means: Var<'t, Cpu64>, s: Var<'t, Cpu64>) -> Result<Tail<'t>> {
        let alpha = a.softmax()?.named("α");
        let ln_alpha = alpha.log()?.named("ln α");
        let mu = means.reshape(&[1, K, D])?.named("μ");
        let y = tape.input_f64(&self.y, &[1, 1, D])?.named("y");
        let dist2 = mu
            .sub(y)?
            .named("μ − y")
            .square()?
            .named("(μ − y)²")
            .sum_axis(2, false)?
            .named("|y − μ|²");
        let sigma = s.softplus()?.named("σ");
        let ln_sigma = sigma.log()?.named("ln σ");
        let q = dist2.div(sigma.square()?.named("σ²"))?.named("q");
        let ln_phi = ln_sigma
            .mul_scalar(-(D as f64))?
            .named("−D ln σ")
            .add(q.mul_scalar(-0.5)?.named("−q/2"))?
            .named("−D ln σ − q/2")
            .add_scalar(-(D as f64) / 2.0 * (2.0 * std::f64::consts::PI).ln())?
            .named("ln φ");
        let w = ln_alpha.add(ln_phi)?.named("w");
        let p = w.exp()?.named("α φ").sum()?.named("p(y|x)");
        let e = p.log()?.named("ln p").neg()?.named("E");
        Ok(Tail {
            alpha,
            means: mu,
            sigma,
            ln_phi,
            w,
            p,
            e,
        })
    }

    /// E of one forward pass without gradients.
    pub fn loss(&self) -> Result<f64> {
        let tape = Tape::new(Cpu64::default()).no_grad();
        self.forward(&tape)?.e.item()
    }

    /// The gradient checker on h and every parameter (inputs named `h`, `V^a`, …).
    pub fn gradcheck(&self) -> Result<Report> {
        let mut inputs = vec![CheckInput::wrt("h", array(&[1, H], &self.h)?)];
        for p in &self.params {
            inputs.push(p.check_input()?);
        }
        gradcheck(|t, v| Ok(self.forward_with(t, v[0], &v[1..])?.e), &inputs, fd_options())
    }
}

/// One number of the mixture walk: computed by hand from the forward values, and where they
/// exist the same number from the tape, from the fused `gmm_nll` op and from finite differences.
#[derive(Clone, Debug)]
pub struct MixtureRow {
    pub eq: &'static str,
    pub symbol: String,
    pub formula: String,
    pub hand: f64,
    pub tape: Option<f64>,
    pub fused: Option<f64>,
    pub numeric: Option<f64>,
    /// Where the lesson's walk computes it.
    pub at: Moment,
}

/// A titled group of rows.
#[derive(Clone, Debug)]
pub struct MixtureSection {
    pub title: String,
    pub text: String,
    pub rows: Vec<MixtureRow>,
}

/// The head's forward values, responsibilities and gradients, four ways.
pub struct MixtureExplanation {
    pub seed: u64,
    pub lr: f64,
    pub head: MdnHead,
    pub loss: f64,
    /// The fused op's E on the same a, μ, s, y.
    pub fused_loss: f64,
    pub sections: Vec<MixtureSection>,
    pub trace: Trace,
    /// The gradient checker on h and the parameters.
    pub gradcheck: Report,
}

impl MixtureExplanation {
    /// The largest disagreement between the hand value and any other way, over all rows.
    pub fn max_disagreement(&self) -> f64 {
        self.sections
            .iter()
            .flat_map(|s| &s.rows)
            .flat_map(|r| [r.tape, r.fused, r.numeric].into_iter().flatten().map(move |v| (v - r.hand).abs()))
            .fold(0.0, f64::max)
    }
}

/// Subscript digits for component and dimension indices.
fn sub(i: usize) -> String {
    i.to_string()
        .chars()
        .map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c))
        .collect()
}

/// The head for `seed` on a fresh tape.
pub fn explain_mixture(seed: u64, lr: f64) -> Result<MixtureExplanation> {
    let tape = Tape::new(Cpu64::default()).retain_grads(true);
    explain_mixture_on(&tape, &MdnHead::new(seed), seed, lr)
}

/// [`explain_mixture`] on a tape of the caller's (which must retain gradients).
pub(crate) fn explain_mixture_on(tape: &Tape<Cpu64>, head: &MdnHead, seed: u64, lr: f64) -> Result<MixtureExplanation> {
    if !lr.is_finite() {
        return Err(Error::invalid("lesson", format!("the learning rate λ must be finite, got {lr}")));
    }
    let v = head.forward(tape)?;
    let mut trace = Trace::keeping_values(64);
    let grads = tape.backward_observed(v.e, Some(&mut trace))?;
    let b = tape.backend();
    let grad = |x: Var<'_, Cpu64>| -> Result<Vec<f64>> { grads.wrt(x)?.to_vec_f64(b) };
    let (a, mu, s, y) = (v.a.to_vec()?, v.means.to_vec()?, v.s.to_vec()?, &head.y);

    // By hand, from a, μ, s and y alone.
    let ea: Vec<f64> = a.iter().map(|x| x.exp()).collect();
    let alpha: Vec<f64> = ea.iter().map(|x| x / ea.iter().sum::<f64>()).collect();
    let sigma: Vec<f64> = s.iter().map(|x| x.exp().ln_1p()).collect();
    let dist2: Vec<f64> = (0..K).map(|m| (0..D).map(|d| (y[d] - mu[m * D + d]).powi(2)).sum()).collect();
    let two_pi = 2.0 * std::f64::consts::PI;
    let phi: Vec<f64> = (0..K)
        .map(|m| two_pi.powf(-(D as f64) / 2.0) * sigma[m].powi(-(D as i32)) * (-dist2[m] / (2.0 * sigma[m] * sigma[m])).exp())
        .collect();
    let p: f64 = (0..K).map(|m| alpha[m] * phi[m]).sum();
    let gamma: Vec<f64> = (0..K).map(|m| alpha[m] * phi[m] / p).collect();
    let logistic = |x: f64| 1.0 / (1.0 + (-x).exp());

    // The fused op on the same numbers; the finite differences in a, μ, s.
    let (fused_loss, fused) = fused(head, &a, &mu, &s)?;
    let fd = tail_gradcheck(head, &a, &mu, &s)?;
    let fd_of = |name: &str| fd.inputs.iter().find(|r| r.name == name).and_then(|r| r.numeric_flat());
    let (fd_a, fd_mu, fd_s) = (fd_of("a"), fd_of("μ"), fd_of("s"));
    let (tape_alpha, tape_sigma, tape_ln_phi) = (v.alpha.to_vec()?, v.sigma.to_vec()?, v.ln_phi.to_vec()?);
    let (ga, gmu, gs, gw) = (grad(v.a)?, grad(v.means)?, grad(v.s)?, grad(v.w)?);
    let loss = v.e.item()?;

    let row = |eq, symbol: String, formula: &str, hand, tape, fused, numeric, at| MixtureRow {
        eq,
        symbol,
        formula: formula.into(),
        hand,
        tape,
        fused,
        numeric,
        at,
    };
    let mut forward = Vec::new();
    let tape_phi: Vec<f64> = tape_ln_phi.iter().map(|x| x.exp()).collect();
    // (eq., symbol, formula, by hand, tape, where) for each per-component quantity.
    type PerComponent<'a> = (&'static str, &'static str, &'static str, &'a [f64], &'a [f64], &'static str);
    let per_component: [PerComponent<'_>; 3] = [
        ("56", "α", "e^{a_m} / Σ_j e^{a_j}", &alpha, &tape_alpha, "α"),
        ("57", "σ", "ln(1 + e^{s_m})", &sigma, &tape_sigma, "σ"),
        ("57", "φ", "(2π)^{−D/2} σ_m^{−D} e^{−|y − μ_m|²/(2σ_m²)}", &phi, &tape_phi, "ln φ"),
    ];
    for (eq, symbol, formula, hand, tape, at) in per_component {
        for m in 0..K {
            let name = format!("{symbol}{}", sub(m + 1));
            forward.push(row(eq, name, formula, hand[m], Some(tape[m]), None, None, Moment::Forward(at)));
        }
    }
    forward.push(row(
        "56",
        "p(y|x)".into(),
        "Σ_m α_m φ_m",
        p,
        Some(v.p.item()?),
        None,
        None,
        Moment::Forward("p(y|x)"),
    ));
    forward.push(row(
        "",
        "E".into(),
        "−ln p(y|x)",
        -p.ln(),
        Some(loss),
        Some(fused_loss),
        None,
        Moment::Forward("E"),
    ));

    let mut resp = Vec::new();
    for m in 0..K {
        let i = sub(m + 1);
        // The tape's −∂E/∂w_m is γ_m.
        resp.push(row(
            "",
            format!("γ{i}"),
            "α_m φ_m / Σ_j α_j φ_j",
            gamma[m],
            Some(-gw[m]),
            None,
            None,
            Moment::Backward("α φ"),
        ));
    }

    let mut gradients = Vec::new();
    for m in 0..K {
        let i = sub(m + 1);
        gradients.push(row(
            "",
            format!("∂E/∂a{i}"),
            "α_m − γ_m",
            alpha[m] - gamma[m],
            Some(ga[m]),
            Some(fused[0][m]),
            fd_a.as_ref().map(|v| v[m]),
            Moment::Backward("α"),
        ));
    }
    for m in 0..K {
        for (d, yd) in y.iter().enumerate() {
            let (i, j) = (sub(m + 1), sub(d + 1));
            let k = m * D + d;
            let hand = -gamma[m] * (yd - mu[k]) / (sigma[m] * sigma[m]);
            gradients.push(row(
                "",
                format!("∂E/∂μ{i}{j}"),
                "−γ_m (y_d − μ_md) / σ_m²",
                hand,
                Some(gmu[k]),
                Some(fused[1][k]),
                fd_mu.as_ref().map(|v| v[k]),
                Moment::Backward("μ − y"),
            ));
        }
    }
    for m in 0..K {
        let i = sub(m + 1);
        let dsigma = gamma[m] * (D as f64 / sigma[m] - dist2[m] / sigma[m].powi(3));
        let hand = dsigma * logistic(s[m]);
        let f = "γ_m (D/σ_m − |y − μ_m|²/σ_m³) · 1/(1 + e^{−s_m})";
        gradients.push(row(
            "",
            format!("∂E/∂s{i}"),
            f,
            hand,
            Some(gs[m]),
            Some(fused[2][m]),
            fd_s.as_ref().map(|v| v[m]),
            Moment::Backward("σ"),
        ));
    }

    let sections = vec![
        MixtureSection {
            title: "The mixture on one sample (eqs. 56–57)".into(),
            text: "Weights α (softmax of the logits a), widths σ (softplus of s; a standard deviation, not the variance eq. 57 names), the Gaussian kernels φ, the likelihood p(y|x) and the loss E = −ln p. Hand values from a, μ, s and y; the tape's; the fused gmm_nll op's.".into(),
            rows: forward,
        },
        MixtureSection {
            title: "Responsibilities γ".into(),
            text: "E = −ln Σ_m e^{w_m} with w_m = ln α_m + ln φ_m, so ∂E/∂w_m = −e^{w_m}/p = −γ_m: the backward pass sends −γ from e^w to w. γ_m is the posterior probability that y came from component m; the tape's number is −∂E/∂w_m.".into(),
            rows: resp,
        },
        MixtureSection {
            title: "Every gradient carries γ".into(),
            text: "Each parameter of component m reaches E only through w_m, so γ_m multiplies all of its gradients: the weights move α towards γ, the means move towards y in proportion to γ, and a component that could not have produced y (γ ≈ 0) learns nothing from it. Hand formula (notes/gmm_nll.md), tape, fused op, finite difference.".into(),
            rows: gradients,
        },
    ];
    Ok(MixtureExplanation {
        seed,
        lr,
        head: head.clone(),
        loss,
        fused_loss,
        sections,
        trace,
        gradcheck: head.gradcheck()?,
    })
}

/// E and ∂E/∂(a, μ, s) from the fused op (isotropic, σ = softplus(s) with no floor, as here).
fn fused(head: &MdnHead, a: &[f64], mu: &[f64], s: &[f64]) -> Result<(f64, [Vec<f64>; 3])> {
    let t = Tape::new(Cpu64::default());
    let b = t.backend();
    let la = t.leaf(Tensor::from_f64(b, a, &[1, K])?);
    let lm = t.leaf(Tensor::from_f64(b, mu, &[1, K, D])?);
    let ls = t.leaf(Tensor::from_f64(b, s, &[1, K])?);
    let y = t.input_f64(&head.y, &[1, D])?;
    let opts = GmmOptions {
        isotropic: true,
        sigma: SigmaParam::Softplus { floor: 0.0 },
    };
    let e = gmm_nll(la, lm, ls, y, opts)?.sum()?;
    let g = t.backward(e)?;
    let get = |x| -> Result<Vec<f64>> { g.wrt(x)?.to_vec_f64(b) };
    Ok((e.item()?, [get(la)?, get(lm)?, get(ls)?]))
}

/// Finite differences of E in a, μ (flat [1, K·D]) and s, from the gradient checker.
fn tail_gradcheck(head: &MdnHead, a: &[f64], mu: &[f64], s: &[f64]) -> Result<Report> {
    let inputs = [
        CheckInput::wrt("a", array(&[1, K], a)?),
        CheckInput::wrt("μ", array(&[1, K * D], mu)?),
        CheckInput::wrt("s", array(&[1, K], s)?),
    ];
    gradcheck(|t, v| Ok(head.tail(t, v[0], v[1], v[2])?.e), &inputs, fd_options())
}
