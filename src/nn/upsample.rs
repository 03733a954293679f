use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::Result;

/// Nearest-neighbour upsampling by an integer factor (see `ops/upsample.rs`). No parameters.
#[derive(Clone, Copy, Debug)]
pub struct Upsample {
    pub factor: usize,
}

impl Upsample {
    pub fn new(factor: usize) -> Self {
        Upsample { factor }
    }
    pub fn forward<'t, B: Backend>(&self, x: Var<'t, B>) -> Result<Var<'t, B>> {
        x.upsample_nearest(self.factor)
    }
}
