//! The GPU backend: every shader validated by naga (no GPU needed), every kernel against the
//! CPU on awkward sizes with NaN-poisoned outputs, every gradient-check case on the GPU, one
//! full MDN-CNN training step against the CPU, and the fault handling. Tests that need an
//! adapter print that they were skipped when there is none, and fail instead under
//! `COSMOGRAD_REQUIRE_GPU=1` (CI runs them on lavapipe, Mesa's software Vulkan).

#[path = "gpu/cases.rs"]
mod cases;
#[path = "gpu/faults.rs"]
mod faults;
#[path = "gpu/kernels.rs"]
mod kernels;
#[path = "gpu/shaders.rs"]
mod shaders;
#[path = "gpu/training.rs"]
mod training;
