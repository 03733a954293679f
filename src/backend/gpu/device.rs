//! The device behind [`Gpu`](super::Gpu): adapter choice, the pipeline cache, the buffer pool,
//! recording kernels into command buffers, read-backs and error handling.
//!
//! - **Adapters.** The instance asks for Vulkan, Metal and DX12, or what `WGPU_BACKEND` names
//!   (`vulkan`, `gl`, …; the instance is built `with_env()`); the adapter chosen is the best by kind (discrete > integrated > virtual > CPU)
//!   and API (Vulkan, Metal, DX12 before GL, whose shader compiles are slow). The device asks
//!   for the adapter's own limits, not WebGPU's defaults, so large bindings and many storage
//!   buffers work where the hardware allows them.
//! - **Pipelines** are cached by (shader, entry point, override constants). Each is created
//!   inside validation and internal error scopes, so a bad shader fails that one call with the
//!   compiler's message instead of reaching wgpu's default handler, which panics.
//! - **Buffers** come from a pool keyed by size class (`COSMOGRAD_GPU_POOL=0` disables it, for
//!   debugging): a tensor's buffer goes back to the pool when its last handle drops. Reuse is
//!   safe because every command runs in recording order on one queue, and uploads never reuse
//!   a pooled buffer (they are written before the queue's next commands run).
//! - **Submission.** Kernels are recorded into one command encoder, one compute pass each, and
//!   submitted when a read-back needs the results, at `sync()`, or every
//!   [`MAX_PENDING`] dispatches.
//! - **Errors.** Errors that no scope catches (an invalid dispatch, a lost device) are kept and
//!   returned by the next submission or read-back as `Error::Device`; waits have a time limit,
//!   so a lost device ends in an error, never a hang.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Dispatches recorded before the encoder is submitted without being asked.
pub const MAX_PENDING: usize = 64;
/// Threads per workgroup of the one-dimensional kernels (the shaders' `WG` override).
pub const WG: u32 = 256;
/// How long a read-back may wait for the device (`COSMOGRAD_GPU_TIMEOUT_S` overrides it).
const DEFAULT_TIMEOUT_S: u64 = 600;

/// One WGSL file, loaded with `include_str!` by the Rust file of the same name.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
}

/// A device buffer of f32 elements, returned to the pool when dropped.
pub struct Buffer {
    pub(crate) raw: Option<wgpu::Buffer>,
    pool: Option<Arc<Mutex<Pool>>>,
}

impl Buffer {
    pub(crate) fn raw(&self) -> &wgpu::Buffer {
        self.raw.as_ref().expect("a live buffer")
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let (Some(raw), Some(pool)) = (self.raw.take(), &self.pool) {
            if let Ok(mut p) = pool.lock() {
                p.give_back(raw);
            }
        }
    }
}

/// Free buffers by size, up to a byte budget.
#[derive(Default)]
pub(crate) struct Pool {
    free: HashMap<u64, Vec<wgpu::Buffer>>,
    bytes: u64,
    budget: u64,
}

impl Pool {
    fn take(&mut self, size: u64) -> Option<wgpu::Buffer> {
        let b = self.free.get_mut(&size)?.pop()?;
        self.bytes -= size;
        Some(b)
    }
    fn give_back(&mut self, b: wgpu::Buffer) {
        let size = b.size();
        if self.bytes + size <= self.budget {
            self.bytes += size;
            self.free.entry(size).or_default().push(b);
        }
    }
}

/// The size class of a buffer of `bytes`: powers of two up to 1 MiB, then multiples of 1 MiB,
/// so the repeated shapes of a training loop reuse buffers exactly.
fn size_class(bytes: u64) -> u64 {
    let b = bytes.max(16);
    if b <= 1 << 20 {
        b.next_power_of_two()
    } else {
        b.div_ceil(1 << 20) << 20
    }
}

/// A compiled kernel and the layout its bind groups are made for.
type Pipeline = (Arc<wgpu::ComputePipeline>, Arc<wgpu::BindGroupLayout>);

#[derive(Clone, PartialEq, Eq, Hash)]
struct PipelineKey {
    shader: &'static str,
    entry: &'static str,
    /// Override constants as (name, value bits).
    constants: Vec<(&'static str, u64)>,
    inputs: usize,
    outputs: usize,
}

/// How many threads a kernel runs: a flat count (folded into a 2-D grid of WG-thread
/// workgroups) or an explicit grid of workgroups.
#[derive(Clone, Copy, Debug)]
pub enum Groups {
    /// n threads in workgroups of the kernel's `WG`.
    Threads(usize),
    /// n workgroups, folded into x and y as needed (the shader numbers them wid.y·nwg.x + wid.x).
    Workgroups(usize),
    /// An explicit grid of workgroups.
    Grid(u32, u32, u32),
}

/// What an adapter is, for `cosmograd info`.
#[derive(Clone, Debug)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_storage_binding_mib: u64,
    pub max_storage_buffers_per_stage: u32,
    pub max_workgroup_storage_kib: u32,
    pub max_workgroups_per_dimension: u32,
    pub shader_f16: bool,
    pub timestamps: bool,
}

pub struct Context {
    pub(crate) device: wgpu::Device,
    queue: wgpu::Queue,
    pub(crate) adapter: AdapterSummary,
    pub(crate) limits: wgpu::Limits,
    modules: Mutex<HashMap<&'static str, Arc<wgpu::ShaderModule>>>,
    pipelines: Mutex<HashMap<PipelineKey, Pipeline>>,
    pool: Option<Arc<Mutex<Pool>>>,
    pending: Mutex<Option<(wgpu::CommandEncoder, usize)>>,
    /// The first error no scope caught (validation, out of memory, device lost).
    error: Arc<Mutex<Option<String>>>,
    timeout: Duration,
}

/// Runs a future that wgpu's native backends complete without waiting (adapter and device
/// requests, popped error scopes), without an async runtime.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// Vulkan, Metal and DX12 by default; `WGPU_BACKEND` (e.g. `vulkan`, `gl`) overrides it. GL is
/// left out unless asked for: Mesa's GL compiles every shader cold in 20+ s.
fn instance() -> wgpu::Instance {
    let desc = wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    };
    wgpu::Instance::new(desc.with_env())
}

/// Preference order: kind of device first, then API (GL last: Mesa compiles its shaders slowly).
fn rank(info: &wgpu::AdapterInfo) -> (u32, u32) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, api)
}

fn summary(a: &wgpu::Adapter) -> AdapterSummary {
    let info = a.get_info();
    let l = a.limits();
    let f = a.features();
    AdapterSummary {
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        max_storage_binding_mib: l.max_storage_buffer_binding_size >> 20,
        max_storage_buffers_per_stage: l.max_storage_buffers_per_shader_stage,
        max_workgroup_storage_kib: l.max_compute_workgroup_storage_size >> 10,
        max_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
        shader_f16: f.contains(wgpu::Features::SHADER_F16),
        timestamps: f.contains(wgpu::Features::TIMESTAMP_QUERY),
    }
}

/// Every adapter the instance finds, best first (the first is the one [`Context::new`] picks).
pub fn adapters() -> Vec<AdapterSummary> {
    let mut all = block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    all.sort_by_key(|a| rank(&a.get_info()));
    all.iter().map(summary).collect()
}

fn device_error(what: impl std::fmt::Display) -> Error {
    Error::Device(what.to_string())
}

impl Context {
    pub fn new() -> Result<Context> {
        let mut all = block_on(instance().enumerate_adapters(wgpu::Backends::all()));
        all.sort_by_key(|a| rank(&a.get_info()));
        let adapter = all.into_iter().next().ok_or_else(|| {
            device_error(
                "no GPU adapter found. Install a Vulkan driver (on Debian: apt-get install mesa-vulkan-drivers \
                 libvulkan1 gives a software one), or use --backend cpu",
            )
        })?;
        let limits = adapter.limits();
        let desc = wgpu::DeviceDescriptor {
            label: Some("cosmograd"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        };
        let (device, queue) = block_on(adapter.request_device(&desc))
            .map_err(|e| device_error(format!("the adapter {} refused a device: {e}", adapter.get_info().name)))?;
        let error = Arc::new(Mutex::new(None::<String>));
        {
            let slot = error.clone();
            device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
                if let Ok(mut s) = slot.lock() {
                    s.get_or_insert_with(|| e.to_string());
                }
            }));
            let slot = error.clone();
            device.set_device_lost_callback(move |reason, msg| {
                if let Ok(mut s) = slot.lock() {
                    s.get_or_insert_with(|| format!("the GPU device was lost ({reason:?}): {msg}"));
                }
            });
        }
        let pool = match std::env::var("COSMOGRAD_GPU_POOL").as_deref() {
            Ok("0") => None,
            _ => Some(Arc::new(Mutex::new(Pool {
                // Keep at most a quarter of the largest buffer the device allows times 8,
                // capped at 4 GiB of free buffers.
                budget: (limits.max_buffer_size / 4 * 8).min(4 << 30),
                ..Pool::default()
            }))),
        };
        let timeout = std::env::var("COSMOGRAD_GPU_TIMEOUT_S")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_TIMEOUT_S);
        Ok(Context {
            adapter: summary(&adapter),
            device,
            queue,
            limits,
            modules: Mutex::new(HashMap::new()),
            pipelines: Mutex::new(HashMap::new()),
            pool,
            pending: Mutex::new(None),
            error,
            timeout: Duration::from_secs(timeout),
        })
    }

    /// The error an earlier command left, if any (taken: it is reported once).
    fn check(&self) -> Result<()> {
        match self.error.lock().map_err(|_| device_error("GPU error state poisoned"))?.take() {
            Some(e) => Err(device_error(format!("GPU error: {e}"))),
            None => Ok(()),
        }
    }

    /// The largest tensor one binding may hold, checked before any kernel sees it.
    pub fn check_binding(&self, what: &str, elements: usize) -> Result<()> {
        let bytes = elements as u64 * 4;
        let max = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > max {
            return Err(device_error(format!(
                "{what}: a tensor of {elements} elements ({} MiB) is larger than this adapter's maximum \
                 storage binding ({} MiB, {}). Use a smaller batch or input size, or --backend cpu",
                bytes >> 20,
                max >> 20,
                self.adapter.name
            )));
        }
        Ok(())
    }

    /// The byte size of the buffer for `len` elements: its size class, unless that would pass
    /// the largest binding (buffers are bound whole), then the exact size.
    fn buffer_size(&self, len: usize) -> u64 {
        let max = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        let class = size_class(len as u64 * 4);
        if class <= max {
            class
        } else {
            (len as u64 * 4).max(16)
        }
    }

    /// A buffer for `len` f32 elements, from the pool when one of its size class is free. Its
    /// contents are undefined: kernels write every element they own.
    pub fn alloc(&self, what: &str, len: usize) -> Result<Buffer> {
        self.check_binding(what, len)?;
        let size = self.buffer_size(len);
        if let Some(pool) = &self.pool {
            if let Some(raw) = pool.lock().map_err(|_| device_error("GPU buffer pool poisoned"))?.take(size) {
                return Ok(Buffer {
                    raw: Some(raw),
                    pool: Some(pool.clone()),
                });
            }
        }
        let raw = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Buffer {
            raw: Some(raw),
            pool: self.pool.clone(),
        })
    }

    /// A buffer created mapped and filled with `bytes` (a multiple of 4, at least 16). Unlike
    /// wgpu's `create_buffer_init`, a device that is gone gives an error instead of a panic.
    fn buffer_with(&self, bytes: &[u8], usage: wgpu::BufferUsages) -> Result<wgpu::Buffer> {
        self.check()?;
        let raw = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes.len() as u64,
            usage,
            mapped_at_creation: true,
        });
        raw.get_mapped_range_mut(..)
            .map_err(|e| device_error(format!("writing to a new GPU buffer failed (is the device lost?): {e}")))?
            .slice(..)
            .copy_from_slice(bytes);
        raw.unmap();
        Ok(raw)
    }

    /// A fresh buffer holding `data` (never a pooled one: see the module docs).
    pub fn upload(&self, what: &str, data: &[f32]) -> Result<Buffer> {
        self.check_binding(what, data.len())?;
        let size = self.buffer_size(data.len()) as usize;
        let mut bytes = vec![0u8; size];
        bytes[..data.len() * 4].copy_from_slice(bytemuck::cast_slice(data));
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let raw = self.buffer_with(&bytes, usage)?;
        Ok(Buffer {
            raw: Some(raw),
            pool: self.pool.clone(),
        })
    }

    fn module(&self, shader: &'static Shader) -> Result<Arc<wgpu::ShaderModule>> {
        let mut modules = self.modules.lock().map_err(|_| device_error("GPU module cache poisoned"))?;
        if let Some(m) = modules.get(shader.name) {
            return Ok(m.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let m = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(shader.name),
            source: wgpu::ShaderSource::Wgsl(shader.source.into()),
        });
        if let Some(e) = block_on(scope.pop()) {
            return Err(device_error(format!("shaders/{}.wgsl does not compile: {e}", shader.name)));
        }
        let m = Arc::new(m);
        modules.insert(shader.name, m.clone());
        Ok(m)
    }

    /// The bind group layout of a kernel with `inputs` read-only and `outputs` read-write
    /// storage buffers: binding 0 is the uniform parameters, then the inputs, then the outputs.
    fn layout(&self, inputs: usize, outputs: usize) -> wgpu::BindGroupLayout {
        let storage = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let mut entries = vec![wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        }];
        entries.extend((0..inputs).map(|i| storage(1 + i as u32, true)));
        entries.extend((0..outputs).map(|o| storage(1 + (inputs + o) as u32, false)));
        self.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: None,
            entries: &entries,
        })
    }

    fn pipeline(
        &self,
        shader: &'static Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
        inputs: usize,
        outputs: usize,
    ) -> Result<Pipeline> {
        let key = PipelineKey {
            shader: shader.name,
            entry,
            constants: constants.iter().map(|(n, v)| (*n, v.to_bits())).collect(),
            inputs,
            outputs,
        };
        if let Some(p) = self
            .pipelines
            .lock()
            .map_err(|_| device_error("GPU pipeline cache poisoned"))?
            .get(&key)
        {
            return Ok(p.clone());
        }
        // Only the overrides this shader declares (WebGPU rejects unknown names).
        let constants: Vec<(&str, f64)> = constants
            .iter()
            .filter(|(n, _)| shader.source.contains(&format!("override {n}:")))
            .copied()
            .collect();
        let module = self.module(shader)?;
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let bgl = self.layout(inputs, outputs);
        let layout = self.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: None,
            bind_group_layouts: &[Some(&bgl)],
            immediate_size: 0,
        });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: Some(&layout),
            module: &module,
            entry_point: Some(entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        let internal = block_on(internal.pop());
        let validation = block_on(validation.pop());
        if let Some(e) = validation.or(internal) {
            return Err(device_error(format!(
                "the GPU kernel {}::{entry} cannot be built: {e}",
                shader.name
            )));
        }
        let made = (Arc::new(pipeline), Arc::new(bgl));
        self.pipelines
            .lock()
            .map_err(|_| device_error("GPU pipeline cache poisoned"))?
            .insert(key, made.clone());
        Ok(made)
    }

    /// The workgroup grid for `groups`, checked against the adapter's limits.
    fn grid(&self, what: &str, groups: Groups, wg: u32) -> Result<(u32, u32, u32)> {
        let max = self.limits.max_compute_workgroups_per_dimension;
        let fold = |n_groups: u64| {
            let x = n_groups.min(max as u64);
            (x as u32, n_groups.div_ceil(x.max(1)), 1u64)
        };
        let (x, y, z) = match groups {
            Groups::Threads(n) => fold((n as u64).div_ceil(wg as u64)),
            Groups::Workgroups(n) => fold(n as u64),
            Groups::Grid(x, y, z) => (x, y as u64, z as u64),
        };
        if x > max || y > max as u64 || z > max as u64 {
            return Err(device_error(format!(
                "{what}: a grid of {x}×{y}×{z} workgroups exceeds this adapter's {max} per dimension; \
                 use a smaller batch or input size"
            )));
        }
        Ok((x, y as u32, z as u32))
    }

    /// Records one kernel: `params` (u32 words, f32 values as their bits) go to binding 0,
    /// `inputs` and `outputs` to the bindings after it. Submits when enough work is pending.
    #[allow(clippy::too_many_arguments)]
    pub fn dispatch(
        &self,
        shader: &'static Shader,
        entry: &'static str,
        constants: &[(&'static str, f64)],
        params: &[u32],
        inputs: &[&Buffer],
        outputs: &[&Buffer],
        groups: Groups,
    ) -> Result<()> {
        let wg = constants.iter().find(|(n, _)| *n == "WG").map_or(WG, |(_, v)| *v as u32);
        let (x, y, z) = self.grid(&format!("{}::{entry}", shader.name), groups, wg)?;
        if x == 0 || y == 0 || z == 0 {
            return Ok(());
        }
        let (pipeline, bgl) = self.pipeline(shader, entry, constants, inputs.len(), outputs.len())?;
        // Uniform blocks are sized in multiples of 16 bytes.
        let mut words = params.to_vec();
        words.resize(params.len().div_ceil(4).max(1) * 4, 0);
        let uniform = self.buffer_with(bytemuck::cast_slice(&words), wgpu::BufferUsages::UNIFORM)?;
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: uniform.as_entire_binding(),
        }];
        for (i, b) in inputs.iter().chain(outputs).enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: 1 + i as u32,
                resource: b.raw().as_entire_binding(),
            });
        }
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &bgl,
            entries: &entries,
        });
        let full = {
            let mut pending = self.pending.lock().map_err(|_| device_error("GPU encoder poisoned"))?;
            let (enc, count) = pending.get_or_insert_with(|| {
                (
                    self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None }),
                    0,
                )
            });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(entry),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &bind, &[]);
                pass.dispatch_workgroups(x, y, z);
            }
            *count += 1;
            *count >= MAX_PENDING
        };
        if full {
            self.flush()?;
        }
        Ok(())
    }

    /// Records a copy of `bytes` bytes from `src` to `dst`.
    pub fn copy(&self, src: &Buffer, dst: &Buffer, bytes: u64) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let mut pending = self.pending.lock().map_err(|_| device_error("GPU encoder poisoned"))?;
        let (enc, count) = pending.get_or_insert_with(|| {
            (
                self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None }),
                0,
            )
        });
        enc.copy_buffer_to_buffer(src.raw(), 0, dst.raw(), 0, bytes);
        *count += 1;
        Ok(())
    }

    /// Submits everything recorded so far. The encoder's lock is held through the submission:
    /// another thread's later commands (a read-back's copy) must not reach the queue first.
    pub fn flush(&self) -> Result<()> {
        {
            let mut pending = self.pending.lock().map_err(|_| device_error("GPU encoder poisoned"))?;
            if let Some((enc, _)) = pending.take() {
                self.queue.submit([enc.finish()]);
            }
        }
        self.check()
    }

    /// Waits until the device has finished everything submitted, within the time limit.
    pub fn wait(&self) -> Result<()> {
        self.flush()?;
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: Some(self.timeout),
            })
            .map_err(|e| device_error(format!("waiting for the GPU failed: {e}")))?;
        self.check()
    }

    /// Copies the first `len` elements of each buffer back to the host: one staging buffer,
    /// one submission and one map for all of them.
    pub fn read(&self, parts: &[(&Buffer, usize)]) -> Result<Vec<Vec<f32>>> {
        let total: u64 = parts.iter().map(|(_, n)| *n as u64 * 4).sum();
        if total == 0 {
            return Ok(parts.iter().map(|_| Vec::new()).collect());
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size: total,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        {
            let mut pending = self.pending.lock().map_err(|_| device_error("GPU encoder poisoned"))?;
            let (enc, _) = pending.get_or_insert_with(|| {
                (
                    self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None }),
                    0,
                )
            });
            let mut at = 0;
            for (b, n) in parts {
                let bytes = *n as u64 * 4;
                if bytes > 0 {
                    enc.copy_buffer_to_buffer(b.raw(), 0, &staging, at, bytes);
                }
                at += bytes;
            }
        }
        self.flush()?;
        let (tx, rx) = mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(device_error(format!("reading a tensor back from the GPU failed: {e}"))),
            Err(_) => {
                return Err(device_error(
                    "reading a tensor back from the GPU did not complete (the device may be lost)",
                ))
            }
        }
        let out = {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| device_error(format!("mapping the read-back buffer failed: {e}")))?;
            let all: &[f32] = bytemuck::cast_slice(&view);
            let mut at = 0;
            parts
                .iter()
                .map(|(_, n)| {
                    let v = all[at..at + n].to_vec();
                    at += n;
                    v
                })
                .collect()
        };
        staging.unmap();
        Ok(out)
    }
}
