//! `Gpu`: every kernel of [`Backend`] as a WGSL compute shader run through wgpu, in f32 (WGSL
//! has no f64). Tensors stay resident in device buffers; data comes back to the host only when
//! asked (`to_f64`, a loss for the progress bar, a checkpoint).
//!
//! One Rust file per kernel family, named like the CPU's (`gpu/conv2d.rs` ↔ `cpu/conv2d.rs`),
//! each dispatching the shader of the same name (`shaders/conv2d.wgsl`, loaded with
//! `include_str!`). `device.rs` holds what all of them share: the adapter, the pipeline cache,
//! the buffer pool, command recording, read-backs and errors.
//!
//! Precision: see `backend/precision.rs` (f32 arithmetic throughout, deterministic tree
//! reductions; the mixture NLL in f32 with max-subtracted log-sum-exps).

pub mod device;

mod batchnorm;
mod conv2d;
mod elementwise;
mod gmm_nll;
mod layout;
mod loss;
mod matmul;
mod optim;
mod pool2d;
mod random;
mod reduce;
mod softmax;
mod upsample;

use super::*;
use crate::error::{Error, Result};
pub use device::{adapters, AdapterSummary};
use device::{Buffer, Context, Groups, Shader};
use std::sync::{Arc, OnceLock};

/// The GPU backend: a handle to one device (cheap to clone).
#[derive(Clone)]
pub struct Gpu {
    ctx: Arc<Context>,
    /// Fill every fresh output with NaN before a kernel writes it (tests: an element a kernel
    /// forgets to write then fails the comparison instead of passing on stale memory).
    poison: bool,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gpu({})", self.ctx.adapter.name)
    }
}

/// A tensor's elements in a device buffer (f32). Cloning shares the buffer.
#[derive(Clone)]
pub struct GpuStorage {
    buf: Arc<Buffer>,
    len: usize,
}

/// Every shader, for validation (`tests/gpu/shaders.rs` parses and validates each with naga).
pub fn shaders() -> Vec<&'static Shader> {
    vec![
        &batchnorm::SHADER,
        &conv2d::SHADER,
        &elementwise::SHADER,
        &gmm_nll::SHADER,
        &layout::SHADER,
        &loss::SHADER,
        &matmul::SHADER,
        &optim::SHADER,
        &pool2d::SHADER,
        &random::SHADER,
        &reduce::SHADER,
        &softmax::SHADER,
        &upsample::SHADER,
    ]
}

impl Gpu {
    /// Opens the best adapter found (see `device.rs`); an error that says what to install when
    /// there is none.
    pub fn new() -> Result<Gpu> {
        Ok(Gpu {
            ctx: Arc::new(Context::new()?),
            poison: std::env::var("COSMOGRAD_GPU_POISON").is_ok_and(|v| v == "1"),
        })
    }

    /// One device per process, opened on first use (tests and benches share it).
    pub fn shared() -> Result<Gpu> {
        static SHARED: OnceLock<std::result::Result<Gpu, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Gpu::new().map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::Device)
    }

    /// The adapter this backend runs on.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.ctx.adapter
    }

    /// The same device with NaN-poisoned outputs (`COSMOGRAD_GPU_POISON=1` sets it too).
    pub fn poisoned(&self) -> Gpu {
        Gpu {
            ctx: self.ctx.clone(),
            poison: true,
        }
    }

    /// A fresh output buffer (NaN-filled when poisoning).
    fn alloc(&self, what: &str, len: usize) -> Result<GpuStorage> {
        let s = GpuStorage {
            buf: Arc::new(self.ctx.alloc(what, len)?),
            len,
        };
        if self.poison {
            elementwise::fill_into(self, &s, f64::NAN)?;
        }
        Ok(s)
    }

    /// Destroys the device, as a driver reset would: every later call must fail with an error
    /// (tests of the fault handling; never needed otherwise).
    #[doc(hidden)]
    pub fn destroy_device(&self) {
        self.ctx.device.destroy();
    }

    /// Builds a pipeline from WGSL source, as every kernel does on first use (tests: a bad
    /// shader must give an error, not a panic).
    #[doc(hidden)]
    pub fn build_pipeline(&self, source: &'static str, entry: &'static str) -> Result<()> {
        let shader: &'static Shader = Box::leak(Box::new(Shader { name: "test", source }));
        let out = self.alloc("test", 1)?;
        self.run(shader, entry, &[0], &[], &[&out], Groups::Threads(1))?;
        self.ctx.wait()
    }

    /// Records `entry` of `shader` with the default workgroup size.
    fn run(
        &self,
        shader: &'static Shader,
        entry: &'static str,
        params: &[u32],
        inputs: &[&GpuStorage],
        outputs: &[&GpuStorage],
        groups: Groups,
    ) -> Result<()> {
        self.run_with(shader, entry, &[("WG", device::WG as f64)], params, inputs, outputs, groups)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_with(
        &self,
        shader: &'static Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
        params: &[u32],
        inputs: &[&GpuStorage],
        outputs: &[&GpuStorage],
        groups: Groups,
    ) -> Result<()> {
        let ins: Vec<&Buffer> = inputs.iter().map(|s| s.buf.as_ref()).collect();
        let outs: Vec<&Buffer> = outputs.iter().map(|s| s.buf.as_ref()).collect();
        self.ctx.dispatch(shader, entry, constants, params, &ins, &outs, groups)
    }

    /// Makes `s` the only handle to its buffer, copying it on the device when it is shared
    /// (the aliasing rule of the in-place updates: other holders keep the old values).
    fn make_unique(&self, s: &mut GpuStorage) -> Result<()> {
        if Arc::get_mut(&mut s.buf).is_none() {
            let fresh = self.alloc("copy-on-write", s.len)?;
            self.ctx.copy(&s.buf, &fresh.buf, s.len as u64 * 4)?;
            *s = fresh;
        }
        Ok(())
    }
}

/// A size as a shader parameter (u32), or an error naming the kernel.
fn u(what: &str, n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        Error::Device(format!(
            "{what}: size {n} does not fit the GPU kernels' 32-bit indices; use a smaller batch or input size"
        ))
    })
}

/// An f32 parameter as its bits.
fn f(x: f64) -> u32 {
    (x as f32).to_bits()
}

impl Backend for Gpu {
    type Storage = GpuStorage;

    fn name(&self) -> String {
        format!("gpu-f32 ({}, {})", self.ctx.adapter.name, self.ctx.adapter.backend)
    }
    fn elem_bytes(&self) -> usize {
        4
    }
    fn from_f64(&self, data: &[f64]) -> Result<GpuStorage> {
        let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
        self.from_f32(&v)
    }
    fn from_f32(&self, data: &[f32]) -> Result<GpuStorage> {
        Ok(GpuStorage {
            buf: Arc::new(self.ctx.upload("upload", data)?),
            len: data.len(),
        })
    }
    fn to_f64(&self, s: &GpuStorage) -> Result<Vec<f64>> {
        Ok(self.to_f32(s)?.into_iter().map(f64::from).collect())
    }
    fn to_f32(&self, s: &GpuStorage) -> Result<Vec<f32>> {
        Ok(self.ctx.read(&[(&s.buf, s.len)])?.pop().expect("one part read"))
    }
    fn len(&self, s: &GpuStorage) -> usize {
        s.len
    }
    fn fill(&self, len: usize, value: f64) -> Result<GpuStorage> {
        elementwise::fill(self, len, value)
    }
    fn sync(&self) -> Result<()> {
        self.ctx.wait()
    }

    fn unary(&self, op: UnaryOp, x: &GpuStorage) -> Result<GpuStorage> {
        elementwise::unary(self, op, x)
    }
    fn unary_backward(&self, op: UnaryOp, x: &GpuStorage, y: &GpuStorage, g: &GpuStorage) -> Result<GpuStorage> {
        elementwise::unary_backward(self, op, x, y, g)
    }
    fn binary(&self, op: BinaryOp, a: &GpuStorage, am: Bcast, b: &GpuStorage, bm: Bcast, len: usize) -> Result<GpuStorage> {
        elementwise::binary(self, op, a, am, b, bm, len)
    }
    fn reduce_bcast(&self, g: &GpuStorage, map: Bcast, len: usize) -> Result<GpuStorage> {
        reduce::reduce_bcast(self, g, map, len)
    }
    fn sum_axis(&self, x: &GpuStorage, d: AxisDims) -> Result<GpuStorage> {
        reduce::sum_axis(self, x, d)
    }
    fn expand_axis(&self, g: &GpuStorage, d: AxisDims) -> Result<GpuStorage> {
        reduce::expand_axis(self, g, d)
    }
    fn transpose(&self, x: &GpuStorage, rows: usize, cols: usize) -> Result<GpuStorage> {
        layout::transpose(self, x, rows, cols)
    }
    fn concat(&self, parts: &[(&GpuStorage, usize)], outer: usize) -> Result<GpuStorage> {
        layout::concat(self, parts, outer)
    }
    fn slice_block(&self, x: &GpuStorage, outer: usize, block: usize, start: usize, len: usize) -> Result<GpuStorage> {
        layout::slice_block(self, x, outer, block, start, len)
    }
    fn matmul(&self, a: &GpuStorage, b: &GpuStorage, d: MatmulDims) -> Result<GpuStorage> {
        matmul::matmul(self, a, b, d)
    }
    fn softmax_rows(&self, x: &GpuStorage, rows: usize, cols: usize, log: bool) -> Result<GpuStorage> {
        softmax::softmax_rows(self, x, rows, cols, log)
    }
    fn softmax_rows_backward(&self, y: &GpuStorage, g: &GpuStorage, rows: usize, cols: usize, log: bool) -> Result<GpuStorage> {
        softmax::softmax_rows_backward(self, y, g, rows, cols, log)
    }
    fn pointwise_loss(&self, kind: LossKind, p: &GpuStorage, t: &GpuStorage) -> Result<GpuStorage> {
        loss::pointwise_loss(self, kind, p, t)
    }
    fn pointwise_loss_backward(&self, kind: LossKind, p: &GpuStorage, t: &GpuStorage, g: &GpuStorage, gm: Bcast) -> Result<GpuStorage> {
        loss::pointwise_loss_backward(self, kind, p, t, g, gm)
    }
    fn gmm_nll_forward(&self, inp: GmmInputs<'_, GpuStorage>, dims: GmmDims) -> Result<(GpuStorage, GpuStorage)> {
        gmm_nll::forward(self, inp, dims)
    }
    fn gmm_nll_backward(
        &self,
        inp: GmmInputs<'_, GpuStorage>,
        gamma: &GpuStorage,
        g: &GpuStorage,
        dims: GmmDims,
    ) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
        gmm_nll::backward(self, inp, gamma, g, dims)
    }
    fn dropout_mask(&self, len: usize, p: f64, seed: u64) -> Result<GpuStorage> {
        random::dropout_mask(self, len, p, seed)
    }
    fn adam_update(&self, p: &mut GpuStorage, m: &mut GpuStorage, v: &mut GpuStorage, g: &GpuStorage, h: AdamStep) -> Result<()> {
        optim::adam(self, p, m, v, g, h)
    }
    fn sgd_update(&self, p: &mut GpuStorage, vel: &mut GpuStorage, g: &GpuStorage, h: SgdStep) -> Result<()> {
        optim::sgd(self, p, vel, g, h)
    }
    fn sum_squares(&self, xs: &[&GpuStorage]) -> Result<Vec<f64>> {
        reduce::per_tensor(self, xs, reduce::Mode::Squares)
    }
    fn count_nonfinite(&self, xs: &[&GpuStorage]) -> Result<Vec<usize>> {
        Ok(reduce::per_tensor(self, xs, reduce::Mode::NonFinite)?
            .into_iter()
            .map(|c| c as usize)
            .collect())
    }

    fn conv2d_forward(&self, x: &GpuStorage, w: &GpuStorage, bias: Option<&GpuStorage>, g: Conv2dGeom) -> Result<GpuStorage> {
        conv2d::forward(self, x, w, bias, g)
    }
    fn conv2d_backward_input(&self, gy: &GpuStorage, w: &GpuStorage, g: Conv2dGeom) -> Result<GpuStorage> {
        conv2d::backward_input(self, gy, w, g)
    }
    fn conv2d_backward_weight(&self, x: &GpuStorage, gy: &GpuStorage, g: Conv2dGeom) -> Result<GpuStorage> {
        conv2d::backward_weight(self, x, gy, g)
    }
    fn maxpool2d_forward(&self, x: &GpuStorage, g: Pool2dGeom) -> Result<(GpuStorage, GpuStorage)> {
        pool2d::maxpool_forward(self, x, g)
    }
    fn maxpool2d_backward(&self, gy: &GpuStorage, argmax: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
        pool2d::maxpool_backward(self, gy, argmax, g)
    }
    fn avgpool2d_forward(&self, x: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
        pool2d::avgpool_forward(self, x, g)
    }
    fn avgpool2d_backward(&self, gy: &GpuStorage, g: Pool2dGeom) -> Result<GpuStorage> {
        pool2d::avgpool_backward(self, gy, g)
    }
    fn upsample_nearest_forward(&self, x: &GpuStorage, g: UpsampleGeom) -> Result<GpuStorage> {
        upsample::forward(self, x, g)
    }
    fn upsample_nearest_backward(&self, gy: &GpuStorage, g: UpsampleGeom) -> Result<GpuStorage> {
        upsample::backward(self, gy, g)
    }
    fn batchnorm_forward(
        &self,
        x: &GpuStorage,
        gamma: &GpuStorage,
        beta: &GpuStorage,
        d: BatchNormDims,
    ) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
        batchnorm::forward(self, x, gamma, beta, d)
    }
    fn batchnorm_backward(
        &self,
        x: &GpuStorage,
        gy: &GpuStorage,
        gamma: &GpuStorage,
        mean: &GpuStorage,
        inv_std: &GpuStorage,
        d: BatchNormDims,
    ) -> Result<(GpuStorage, GpuStorage, GpuStorage)> {
        batchnorm::backward(self, x, gy, gamma, mean, inv_std, d)
    }
}
