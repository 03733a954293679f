use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;

/// Max pooling with a square window (see `ops/pool2d.rs`). No parameters.
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d {
    pub kernel: usize,
    pub stride: usize,
}

impl MaxPool2d {
    /// Window k×k, stride k (non-overlapping, the thesis's "MaxPool 2").
    pub fn new(k: usize) -> Self {
        MaxPool2d { kernel: k, stride: k }
    }
    pub fn forward<'t, B: Backend>(&self, x: Var<'t, B>) -> Result<Var<'t, B>> {
        x.maxpool2d(self.kernel, self.stride)
    }
}

/// Average pooling with a square window. No parameters.
#[derive(Clone, Copy, Debug)]
pub struct AvgPool2d {
    pub kernel: usize,
    pub stride: usize,
}

impl AvgPool2d {
    /// Window k×k, stride k.
    pub fn new(k: usize) -> Self {
        AvgPool2d { kernel: k, stride: k }
    }
    pub fn forward<'t, B: Backend>(&self, x: Var<'t, B>) -> Result<Var<'t, B>> {
        x.avgpool2d(self.kernel, self.stride)
    }
}

/// [N, C, H, W] → [N, C]: the mean of each channel's plane.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlobalAvgPool2d;

impl GlobalAvgPool2d {
    pub fn forward<'t, B: Backend>(&self, x: Var<'t, B>) -> Result<Var<'t, B>> {
        x.global_avg_pool2d()
    }
}
