//! Plain-data descriptions of kernel arguments, shared by every backend.

/// Pointwise functions with their derivatives (`Backend::unary`, `Backend::unary_backward`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    /// Natural log.
    Log,
    Sqrt,
    /// x^p for x > 0 (and any x where p is an integer).
    Powf(f64),
    Relu,
    /// max(x, αx).
    LeakyRelu(f64),
    Sigmoid,
    Tanh,
    /// ln(1 + eˣ), computed stably.
    Softplus,
    /// x + c.
    AddScalar(f64),
    /// c · x.
    MulScalar(f64),
    Square,
    Abs,
}

/// Binary pointwise operators (`Backend::binary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// How an operand of a broadcast binary op is read: element i of the output reads the operand
/// at `(i / inner) % mid`. A full operand is `{ mid: len, inner: 1 }`, a scalar `{ 1, 1 }`, a
/// per-channel vector of an NCHW tensor `{ mid: C, inner: H·W }`, a per-feature vector of an
/// [N, F] matrix `{ mid: F, inner: 1 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bcast {
    pub mid: usize,
    pub inner: usize,
}

impl Bcast {
    pub fn full(len: usize) -> Self {
        Bcast { mid: len, inner: 1 }
    }
    pub fn scalar() -> Self {
        Bcast { mid: 1, inner: 1 }
    }
    #[inline]
    pub fn index(&self, i: usize) -> usize {
        (i / self.inner) % self.mid
    }
    pub fn is_full(&self, len: usize) -> bool {
        self.inner == 1 && self.mid == len
    }
}

/// A tensor viewed as [outer, n, inner] for a reduction over the middle axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisDims {
    pub outer: usize,
    pub n: usize,
    pub inner: usize,
}

/// C[m, n] = op(A)[m, k] · op(B)[k, n].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulDims {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub trans_a: bool,
    pub trans_b: bool,
}

/// Per-element losses (`Backend::pointwise_loss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossKind {
    /// (p − t)².
    SquaredError,
    /// −[t ln p + (1 − t) ln(1 − p)] on probabilities p; as in PyTorch, each ln is floored at
    /// −100 and the gradient's denominator p(1 − p) at 1e-12.
    BceProb,
    /// The same on logits x, stably: max(x, 0) − x t + ln(1 + e^{−|x|}).
    BceLogits,
}

/// How the mixture's standard deviations are made positive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SigmaParam {
    /// σ = floor + softplus(s): smooth, never below `floor`, linear for large s.
    Softplus { floor: f64 },
    /// σ = floor + exp(s) (Bishop 1994).
    Exp { floor: f64 },
}

impl SigmaParam {
    /// σ(s) and dσ/ds.
    #[inline]
    pub fn eval(&self, s: f64) -> (f64, f64) {
        match *self {
            SigmaParam::Softplus { floor } => {
                let sp = if s > 0.0 { s + (-s).exp().ln_1p() } else { s.exp().ln_1p() };
                let sig = 1.0 / (1.0 + (-s).exp());
                (floor + sp, sig)
            }
            SigmaParam::Exp { floor } => {
                let e = s.exp();
                (floor + e, e)
            }
        }
    }
}

/// Sizes of a Gaussian-mixture NLL: n samples, k components, d target dimensions. With
/// `isotropic`, one σ per component (thesis eq. 57); otherwise one per component and dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GmmDims {
    pub n: usize,
    pub k: usize,
    pub d: usize,
    pub isotropic: bool,
    pub sigma: SigmaParam,
}

impl GmmDims {
    /// Number of raw σ values per sample.
    pub fn sigmas_per_sample(&self) -> usize {
        if self.isotropic {
            self.k
        } else {
            self.k * self.d
        }
    }
}

/// The four inputs of the mixture NLL: mixture logits [n, k], means [n, k, d], raw σ
/// [n, k] or [n, k, d], targets [n, d].
pub struct GmmInputs<'a, S> {
    pub logits: &'a S,
    pub means: &'a S,
    pub raw_sigma: &'a S,
    pub target: &'a S,
}

// References only, so copyable whatever S is (a derive would ask S: Copy).
impl<S> Clone for GmmInputs<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for GmmInputs<'_, S> {}

/// One Adam step's hyper-parameters. `step` counts from 1 (bias correction). With
/// `decoupled`, weight decay is AdamW's (p ← p − lr·wd·p); otherwise it is added to the gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub decoupled: bool,
    pub step: u64,
    /// Multiplies the gradient first (global-norm clipping folds in here).
    pub grad_scale: f64,
}

/// One SGD step: v ← μ v + (g + wd p); p ← p − lr v (plain SGD when μ = 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdStep {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub grad_scale: f64,
}
