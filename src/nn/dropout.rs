use crate::autodiff::Var;
use crate::backend::Backend;
use crate::error::{Error, Result};

/// Inverted dropout (see `ops/dropout.rs`): drops each element with probability `p` on a
/// training tape and scales the survivors by 1/(1 − p); the identity on an evaluation tape.
/// It owns no parameters; the masks come from the tape's seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    pub p: f64,
}

impl Dropout {
    pub fn new(p: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::invalid("dropout", format!("drop probability must be in [0, 1), got {p}")));
        }
        Ok(Dropout { p })
    }
    pub fn forward<'t, B: Backend>(&self, x: Var<'t, B>) -> Result<Var<'t, B>> {
        x.dropout(self.p)
    }
}
