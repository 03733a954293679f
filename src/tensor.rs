//! A tensor: backend storage plus a shape (row-major, NCHW for images).

use crate::backend::Backend;
use crate::error::{Error, Result};
use ndarray::{ArrayD, IxDyn};

pub struct Tensor<B: Backend> {
    data: B::Storage,
    shape: Vec<usize>,
}

impl<B: Backend> Clone for Tensor<B> {
    fn clone(&self) -> Self {
        Tensor {
            data: self.data.clone(),
            shape: self.shape.clone(),
        }
    }
}

impl<B: Backend> std::fmt::Debug for Tensor<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tensor{:?}", self.shape)
    }
}

/// The number of elements of `shape`, or an error naming `op` when that number cannot exist:
/// the product overflows `usize` (a wrapping product would silently give a small count for a
/// huge shape) or exceeds `isize::MAX`, the most any allocation may hold. A zero dimension
/// makes the count 0 whatever the others are. Every shape a tensor is created with goes
/// through here, so [`Tensor::numel`] of an existing tensor cannot overflow.
pub fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    if shape.contains(&0) {
        return Ok(0);
    }
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| {
            Error::invalid(
                op,
                format!("shape {shape:?} has more elements than any memory can hold (the product of its dimensions overflows)"),
            )
        })
}

impl<B: Backend> Tensor<B> {
    /// Wraps storage that a kernel produced; the caller guarantees `len == Π shape`.
    pub fn from_storage(data: B::Storage, shape: Vec<usize>) -> Self {
        Tensor { data, shape }
    }
    pub fn from_f64(b: &B, data: &[f64], shape: &[usize]) -> Result<Self> {
        check_len("tensor", data.len(), shape)?;
        Ok(Tensor::from_storage(b.from_f64(data)?, shape.to_vec()))
    }
    pub fn from_f32(b: &B, data: &[f32], shape: &[usize]) -> Result<Self> {
        check_len("tensor", data.len(), shape)?;
        Ok(Tensor::from_storage(b.from_f32(data)?, shape.to_vec()))
    }
    pub fn from_array(b: &B, a: &ArrayD<f64>) -> Result<Self> {
        let data: Vec<f64> = a.iter().copied().collect();
        Ok(Tensor::from_storage(b.from_f64(&data)?, a.shape().to_vec()))
    }
    /// `value` everywhere; an error if the shape's element count cannot exist.
    pub fn full(b: &B, shape: &[usize], value: f64) -> Result<Self> {
        let n = checked_numel("full", shape)?;
        Ok(Tensor::from_storage(b.fill(n, value)?, shape.to_vec()))
    }
    pub fn zeros(b: &B, shape: &[usize]) -> Result<Self> {
        Tensor::full(b, shape, 0.0)
    }
    pub fn storage(&self) -> &B::Storage {
        &self.data
    }
    pub fn storage_mut(&mut self) -> &mut B::Storage {
        &mut self.data
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn numel(&self) -> usize {
        // Checked when the tensor was made (`checked_numel`), so this product cannot wrap.
        self.shape.iter().product()
    }
    /// The elements, read back to the host (on a device this waits for pending kernels).
    pub fn to_vec_f64(&self, b: &B) -> Result<Vec<f64>> {
        b.to_f64(&self.data)
    }
    pub fn to_vec_f32(&self, b: &B) -> Result<Vec<f32>> {
        b.to_f32(&self.data)
    }
    pub fn to_array(&self, b: &B) -> Result<ArrayD<f64>> {
        Ok(ArrayD::from_shape_vec(IxDyn(&self.shape), self.to_vec_f64(b)?).expect("tensor length matches its shape"))
    }
    /// The same storage under another shape with as many elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Self> {
        if checked_numel("reshape", shape)? != self.numel() {
            return Err(Error::shape("reshape", &self.shape, shape, "element counts differ"));
        }
        Ok(Tensor::from_storage(self.data.clone(), shape.to_vec()))
    }
    /// This tensor's values on another backend (through the host).
    pub fn to_backend<C: Backend>(&self, from: &B, to: &C) -> Result<Tensor<C>> {
        Ok(Tensor::from_storage(to.from_f64(&from.to_f64(&self.data)?)?, self.shape.clone()))
    }
}

fn check_len(op: &'static str, len: usize, shape: &[usize]) -> Result<()> {
    if len != checked_numel(op, shape)? {
        return Err(Error::shape(op, &[len], shape, "data length differs from the product of the shape"));
    }
    Ok(())
}
