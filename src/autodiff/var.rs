use super::Tape;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// A handle to one value on a tape. Cheap to copy; every op is a method or function that takes
/// `Var`s and records a new node on the same tape.
pub struct Var<'t, B: Backend> {
    pub(crate) tape: &'t Tape<B>,
    pub(crate) id: usize,
}

impl<B: Backend> Clone for Var<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: Backend> Copy for Var<'_, B> {}

impl<B: Backend> std::fmt::Debug for Var<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Var#{}{:?}", self.id, self.shape())
    }
}

impl<'t, B: Backend> Var<'t, B> {
    pub fn id(&self) -> usize {
        self.id
    }
    pub fn tape(&self) -> &'t Tape<B> {
        self.tape
    }
    pub fn backend(&self) -> &'t B {
        self.tape.backend()
    }
    pub fn shape(&self) -> Vec<usize> {
        self.tape.shape_of(self.id)
    }
    pub fn numel(&self) -> usize {
        self.shape().iter().product()
    }
    /// Whether a gradient flows to this value.
    pub fn requires_grad(&self) -> bool {
        self.tape.nodes()[self.id].requires_grad
    }
    /// The value (a cheap clone of the storage handle).
    pub fn value(&self) -> Tensor<B> {
        self.tape.value_of(self.id)
    }
    /// The elements, read back to the host.
    pub fn to_vec(&self) -> Result<Vec<f64>> {
        self.value().to_vec_f64(self.backend())
    }
    /// The single value of a one-element tensor (a loss).
    pub fn item(&self) -> Result<f64> {
        let v = self.to_vec()?;
        if v.len() != 1 {
            return Err(Error::shape("item", &self.shape(), &[1], "item() needs a tensor of one element"));
        }
        Ok(v[0])
    }
    /// Names the value in traces and graph pictures.
    pub fn named(self, label: &str) -> Self {
        self.tape.set_label(self.id, label);
        self
    }
}
