//! The kernels and nothing else.
//!
//! [`Backend`] lists every kernel the ops need as a forward/backward pair. Kernels take and
//! return opaque [`Backend::Storage`] (host vectors for [`Cpu`], device buffers for the GPU
//! backend) plus plain sizes; they never assume host memory. Moving data between the host and
//! a backend is explicit ([`Backend::from_f64`], [`Backend::to_f64`], …). Scalars cross the
//! trait as `f64` whatever the element type, so `ops/` and `nn/` are generic over the backend
//! alone.
//!
//! What every backend must reproduce lives here, beside the trait, not under one backend:
//! the counter-based random numbers ([`random`], bit for bit on every backend) and what
//! precision each kernel promises ([`precision`]).

mod choice;
pub mod cpu;
pub mod gpu;
mod image_params;
mod params;
pub mod precision;
pub mod random;

pub use choice::{choose, choose_with, gpu_or_skip, gpu_required_by_env, BackendChoice, Chosen};
pub use cpu::Cpu;
pub use gpu::Gpu;
pub use image_params::*;
pub use params::*;

use crate::error::Result;

/// A compute backend: storage plus every kernel as a forward/backward pair.
///
/// Shapes are checked by the ops before any kernel runs, so kernels may assume consistent sizes.
///
/// **Every kernel returns [`Result`]**: a device can refuse work that a CPU accepts (a buffer
/// larger than its maximum binding, more workgroups than a dispatch allows, a lost device, a
/// failed read-back). The CPU backend never fails.
///
/// **Aliasing.** Kernels read their inputs and return fresh storage, except the optimiser
/// updates ([`Backend::adam_update`], [`Backend::sgd_update`]), which write `p`, `m`, `v` and
/// the velocity in place. The rule for those: the caller holds the only handle to each
/// updated storage (no tape node, no clone in a `Vec` elsewhere), and `grad` is none of them.
/// A backend may then write the memory in place. When a handle is shared anyway, every
/// backend first gives the updated storage a private copy (copy-on-write: the CPU through
/// `Arc::make_mut`, the GPU by a device-side copy), so other holders never see the new values,
/// but the update then costs a copy of the parameter. Training loops therefore drop the tape
/// (which keeps every parameter it saw) before the optimiser step:
///
/// ```text
/// let grads = tape.backward(loss)?;
/// store.apply_updates(&tape)?;   // running statistics queued by the forward pass
/// drop(tape);                    // the tape's handles to the parameters go
/// opt.step(&mut store, &grads)?; // now in place on every backend
/// ```
pub trait Backend: Clone + Send + Sync + 'static {
    /// Where a tensor's elements live (a host vector, a device buffer). Cloning must be cheap
    /// (a reference count), because the tape keeps every value it saw.
    type Storage: Clone + Send + Sync + 'static;

    /// A short description, e.g. `cpu-f32` or the adapter name of a GPU.
    fn name(&self) -> String;
    /// Bytes per element (4 for f32, 8 for f64).
    fn elem_bytes(&self) -> usize;

    // ---- transfers (explicit; the only way data enters or leaves a backend) ----
    fn from_f64(&self, data: &[f64]) -> Result<Self::Storage>;
    fn from_f32(&self, data: &[f32]) -> Result<Self::Storage>;
    fn to_f64(&self, s: &Self::Storage) -> Result<Vec<f64>>;
    fn to_f32(&self, s: &Self::Storage) -> Result<Vec<f32>>;
    fn len(&self, s: &Self::Storage) -> usize;
    /// `len` copies of `value`.
    fn fill(&self, len: usize, value: f64) -> Result<Self::Storage>;

    // ---- elementwise (backend/cpu/elementwise.rs) ----
    /// y = f(x) for a pointwise function f.
    fn unary(&self, op: UnaryOp, x: &Self::Storage) -> Result<Self::Storage>;
    /// ∂E/∂x = ∂E/∂y · f'(x), given x, y = f(x) and ∂E/∂y (each f uses whichever is cheaper).
    fn unary_backward(&self, op: UnaryOp, x: &Self::Storage, y: &Self::Storage, grad: &Self::Storage) -> Result<Self::Storage>;
    /// out[i] = a[ia(i)] ∘ b[ib(i)] for i < len, where each operand is read through its
    /// [`Bcast`] index map.
    fn binary(&self, op: BinaryOp, a: &Self::Storage, a_map: Bcast, b: &Self::Storage, b_map: Bcast, len: usize) -> Result<Self::Storage>;
    /// The adjoint of reading through `map`: sums `grad` (length `len`) into an operand of
    /// length `map.mid` (out[j] = Σ_{i: map(i)=j} grad[i]).
    fn reduce_bcast(&self, grad: &Self::Storage, map: Bcast, len: usize) -> Result<Self::Storage>;

    // ---- reductions and layout (backend/cpu/reduce.rs, backend/cpu/layout.rs) ----
    /// x viewed as [outer, n, inner] → Σ over the middle axis → [outer, inner].
    fn sum_axis(&self, x: &Self::Storage, dims: AxisDims) -> Result<Self::Storage>;
    /// The adjoint of `sum_axis`: g [outer, inner] → copies along the middle axis → [outer, n, inner].
    fn expand_axis(&self, g: &Self::Storage, dims: AxisDims) -> Result<Self::Storage>;
    /// x [rows, cols] → xᵀ [cols, rows].
    fn transpose(&self, x: &Self::Storage, rows: usize, cols: usize) -> Result<Self::Storage>;
    /// Concatenate per-`outer` blocks: part p contributes `block_p` contiguous elements to each
    /// of the `outer` rows of the result.
    fn concat(&self, parts: &[(&Self::Storage, usize)], outer: usize) -> Result<Self::Storage>;
    /// The adjoint of `concat` for one part: from x viewed as [outer, block], the columns
    /// `start .. start + len` → [outer, len].
    fn slice_block(&self, x: &Self::Storage, outer: usize, block: usize, start: usize, len: usize) -> Result<Self::Storage>;

    // ---- linear algebra (backend/cpu/matmul.rs) ----
    /// C[m, n] = op(A) op(B), op = identity or transpose, A stored as [m, k] (or [k, m] when
    /// transposed) and B as [k, n] (or [n, k]).
    fn matmul(&self, a: &Self::Storage, b: &Self::Storage, dims: MatmulDims) -> Result<Self::Storage>;

    // ---- softmax (backend/cpu/softmax.rs) ----
    /// Row-wise softmax (or log-softmax) of x [rows, cols], max-subtracted for stability.
    fn softmax_rows(&self, x: &Self::Storage, rows: usize, cols: usize, log: bool) -> Result<Self::Storage>;
    /// Backward of `softmax_rows` from its saved output y:
    /// softmax: g_x = y ⊙ (g − Σ_j g_j y_j); log-softmax: g_x = g − eʸ Σ_j g_j.
    fn softmax_rows_backward(&self, y: &Self::Storage, grad: &Self::Storage, rows: usize, cols: usize, log: bool) -> Result<Self::Storage>;

    // ---- losses (backend/cpu/loss.rs, backend/cpu/gmm_nll.rs) ----
    /// Per-element loss ℓ(pred, target).
    fn pointwise_loss(&self, kind: LossKind, pred: &Self::Storage, target: &Self::Storage) -> Result<Self::Storage>;
    /// Per-element ∂ℓ/∂pred, times the upstream gradient `grad` read through `grad_map`.
    fn pointwise_loss_backward(
        &self,
        kind: LossKind,
        pred: &Self::Storage,
        target: &Self::Storage,
        grad: &Self::Storage,
        grad_map: Bcast,
    ) -> Result<Self::Storage>;
    /// Gaussian-mixture negative log-likelihood per sample (thesis eqs. 56–57). Returns
    /// (nll [n], responsibilities γ [n, k]); γ is saved for the backward.
    fn gmm_nll_forward(&self, inp: GmmInputs<'_, Self::Storage>, dims: GmmDims) -> Result<(Self::Storage, Self::Storage)>;
    /// Gradients (logits, means, raw sigmas) from γ and the upstream gradient per sample.
    fn gmm_nll_backward(
        &self,
        inp: GmmInputs<'_, Self::Storage>,
        gamma: &Self::Storage,
        grad_nll: &Self::Storage,
        dims: GmmDims,
    ) -> Result<(Self::Storage, Self::Storage, Self::Storage)>;

    // ---- randomness (the specification: backend/random.rs) ----
    /// Inverted-dropout mask: each element independently 0 with probability p, else 1/(1−p).
    /// Counter-based (a hash of seed and index), so every backend draws the same mask.
    fn dropout_mask(&self, len: usize, p: f64, seed: u64) -> Result<Self::Storage>;

    // ---- optimisers (backend/cpu/optim.rs) ----
    /// One Adam/AdamW step in place on p, m, v. Aliasing: see the trait's documentation
    /// (the caller holds the only handles to p, m and v; otherwise they are copied first).
    fn adam_update(
        &self,
        p: &mut Self::Storage,
        m: &mut Self::Storage,
        v: &mut Self::Storage,
        grad: &Self::Storage,
        h: AdamStep,
    ) -> Result<()>;
    /// One SGD step (momentum, weight decay) in place on p and the velocity; the same
    /// aliasing rule as `adam_update`.
    fn sgd_update(&self, p: &mut Self::Storage, velocity: &mut Self::Storage, grad: &Self::Storage, h: SgdStep) -> Result<()>;

    // ---- diagnostics (batched: one reduction over all the tensors, one read-back) ----
    /// Σ x² of each tensor (global-norm clipping sums them; traces show each norm).
    fn sum_squares(&self, xs: &[&Self::Storage]) -> Result<Vec<f64>>;
    /// How many elements of each tensor are NaN or ±∞ (the guard mode).
    fn count_nonfinite(&self, xs: &[&Self::Storage]) -> Result<Vec<usize>>;
    /// Waits until every kernel submitted so far has finished (timings, benchmarks). Kernels
    /// may run asynchronously on a device; a read-back (`to_f64`, …) waits by itself.
    fn sync(&self) -> Result<()>;

    // ---- image kernels (backend/cpu/conv2d.rs, pool2d.rs, upsample.rs, batchnorm.rs) ----
    /// y = conv(x, w) (+ bias per output channel): x [n, c_in, h, w], w [c_out, c_in, kh, kw],
    /// bias [c_out] → y [n, c_out, h_out, w_out].
    fn conv2d_forward(&self, x: &Self::Storage, w: &Self::Storage, bias: Option<&Self::Storage>, g: Conv2dGeom) -> Result<Self::Storage>;
    /// ∂E/∂x from ∂E/∂y and the weights (also the forward pass of a transposed convolution).
    fn conv2d_backward_input(&self, grad: &Self::Storage, w: &Self::Storage, g: Conv2dGeom) -> Result<Self::Storage>;
    /// ∂E/∂w [c_out, c_in, kh, kw] from the input x and ∂E/∂y.
    fn conv2d_backward_weight(&self, x: &Self::Storage, grad: &Self::Storage, g: Conv2dGeom) -> Result<Self::Storage>;
    /// Max over each window → (y, argmax). The argmax is saved for the backward: the
    /// within-plane offset iy·w + ix of the winning input, stored as an element (exact in f32
    /// for planes below 2²⁴ pixels; the op checks).
    fn maxpool2d_forward(&self, x: &Self::Storage, g: Pool2dGeom) -> Result<(Self::Storage, Self::Storage)>;
    /// Routes each output gradient to its window's argmax (summing where windows overlap).
    fn maxpool2d_backward(&self, grad: &Self::Storage, argmax: &Self::Storage, g: Pool2dGeom) -> Result<Self::Storage>;
    /// Mean over each window.
    fn avgpool2d_forward(&self, x: &Self::Storage, g: Pool2dGeom) -> Result<Self::Storage>;
    /// Spreads each output gradient evenly over its window.
    fn avgpool2d_backward(&self, grad: &Self::Storage, g: Pool2dGeom) -> Result<Self::Storage>;
    /// Nearest-neighbour upsampling by an integer factor.
    fn upsample_nearest_forward(&self, x: &Self::Storage, g: UpsampleGeom) -> Result<Self::Storage>;
    /// Sums each factor×factor block of the output gradient.
    fn upsample_nearest_backward(&self, grad: &Self::Storage, g: UpsampleGeom) -> Result<Self::Storage>;
    /// Training-mode batch norm with batch statistics: returns (y, mean [c], inv_std [c]) with
    /// y = γ (x − mean) · inv_std + β and inv_std = 1/√(var + eps), var the biased batch
    /// variance. Mean and inv_std are saved for the backward.
    fn batchnorm_forward(
        &self,
        x: &Self::Storage,
        gamma: &Self::Storage,
        beta: &Self::Storage,
        d: BatchNormDims,
    ) -> Result<(Self::Storage, Self::Storage, Self::Storage)>;
    /// The compact three-term backward: (∂E/∂x, ∂E/∂γ, ∂E/∂β) with
    /// ∂E/∂x = γ·inv_std/M · (M g − Σg − x̂ Σ g x̂), ∂E/∂γ = Σ g x̂, ∂E/∂β = Σ g.
    fn batchnorm_backward(
        &self,
        x: &Self::Storage,
        grad: &Self::Storage,
        gamma: &Self::Storage,
        mean: &Self::Storage,
        inv_std: &Self::Storage,
        d: BatchNormDims,
    ) -> Result<(Self::Storage, Self::Storage, Self::Storage)>;
}
