use crate::autodiff::{Grads, Tape, Var};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::tensor::Tensor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Named tensors: trainable parameters and non-trainable buffers (running statistics).
/// Ordered by name, so iteration (checkpoints, optimiser state) is deterministic.
pub struct ParamStore<B: Backend> {
    backend: B,
    /// Unique per store, so that two models on one tape keep their parameters apart.
    id: u64,
    params: BTreeMap<String, Tensor<B>>,
    buffers: BTreeMap<String, Tensor<B>>,
    /// The checkpoint each value was loaded from, until the value changes: the guard names
    /// the file when a loaded parameter holds NaN or ∞.
    origins: BTreeMap<String, PathBuf>,
}

impl<B: Backend> ParamStore<B> {
    pub fn new(backend: B) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        ParamStore {
            backend,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            params: BTreeMap::new(),
            buffers: BTreeMap::new(),
            origins: BTreeMap::new(),
        }
    }
    pub fn backend(&self) -> &B {
        &self.backend
    }
    /// This store's number on tapes (see `Tape::param_of`).
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The gradient a backward pass produced for this store's parameter `name`.
    pub fn grad<'g>(&self, grads: &'g Grads<B>, name: &str) -> Option<&'g Tensor<B>> {
        grads.param_of(self.id, name)
    }
    /// Adds a trainable parameter; a name may be used once.
    pub fn add(&mut self, name: &str, value: Tensor<B>) -> Result<()> {
        if self.params.contains_key(name) || self.buffers.contains_key(name) {
            return Err(Error::invalid("param_store", format!("parameter `{name}` already exists")));
        }
        self.params.insert(name.to_string(), value);
        Ok(())
    }
    /// Adds a non-trainable buffer (saved in checkpoints, never touched by optimisers).
    pub fn add_buffer(&mut self, name: &str, value: Tensor<B>) -> Result<()> {
        if self.params.contains_key(name) || self.buffers.contains_key(name) {
            return Err(Error::invalid("param_store", format!("buffer `{name}` already exists")));
        }
        self.buffers.insert(name.to_string(), value);
        Ok(())
    }
    pub fn get(&self, name: &str) -> Result<&Tensor<B>> {
        self.params
            .get(name)
            .or_else(|| self.buffers.get(name))
            .ok_or_else(|| Error::invalid("param_store", format!("no parameter or buffer named `{name}`")))
    }
    /// Mutable access (the value may change, so it no longer counts as loaded from a file).
    pub fn get_mut(&mut self, name: &str) -> Result<&mut Tensor<B>> {
        self.origins.remove(name);
        match self.params.get_mut(name) {
            Some(t) => Ok(t),
            None => self
                .buffers
                .get_mut(name)
                .ok_or_else(|| Error::invalid("param_store", format!("no parameter or buffer named `{name}`"))),
        }
    }
    /// Replaces a value, keeping its shape.
    pub fn set(&mut self, name: &str, value: Tensor<B>) -> Result<()> {
        let slot = self.get_mut(name)?;
        if slot.shape() != value.shape() {
            return Err(Error::shape(
                "param_store",
                slot.shape(),
                value.shape(),
                format!("new value for `{name}` has another shape"),
            ));
        }
        *slot = value;
        self.origins.remove(name);
        Ok(())
    }
    /// Records that the value of `name` was loaded from the checkpoint `path` (until it
    /// changes); `checkpoint::load` calls it.
    pub fn set_origin(&mut self, name: &str, path: &Path) {
        self.origins.insert(name.to_string(), path.to_path_buf());
    }
    /// The checkpoint the current value of `name` was loaded from, if it was.
    pub fn origin(&self, name: &str) -> Option<&Path> {
        self.origins.get(name).map(PathBuf::as_path)
    }
    /// The parameter as a tape variable (registered once per tape, so reuse shares it).
    pub fn var<'t>(&self, tape: &'t Tape<B>, name: &str) -> Result<Var<'t, B>> {
        let value = self
            .params
            .get(name)
            .ok_or_else(|| Error::invalid("param_store", format!("no parameter named `{name}`")))?;
        tape.param_from(self.id, name, value, self.origin(name))
    }
    /// A buffer as a tape input (no gradient).
    pub fn buffer_var<'t>(&self, tape: &'t Tape<B>, name: &str) -> Result<Var<'t, B>> {
        let value = self
            .buffers
            .get(name)
            .ok_or_else(|| Error::invalid("param_store", format!("no buffer named `{name}`")))?;
        tape.buffer_from(name, value.clone(), self.origin(name))
    }
    /// The value of buffer `name` as this tape's forward passes left it: the update queued on
    /// the tape if there is one, else the stored value.
    pub fn current(&self, tape: &Tape<B>, name: &str) -> Result<Tensor<B>> {
        match tape.pending_update(self.id, name) {
            Some(t) => Ok(t),
            None => self.get(name).cloned(),
        }
    }
    /// Queues a new value for buffer `name` on the tape (see [`ParamStore::apply_updates`]).
    pub fn queue_update(&self, tape: &Tape<B>, name: &str, value: Tensor<B>) -> Result<()> {
        let old = self.get(name)?;
        if old.shape() != value.shape() {
            return Err(Error::shape(
                "param_store",
                old.shape(),
                value.shape(),
                format!("update of `{name}` has another shape"),
            ));
        }
        tape.push_update(self.id, name, value);
        Ok(())
    }
    /// Writes the running statistics that a training tape's forward passes computed for this
    /// store (other stores' updates stay on the tape for them).
    pub fn apply_updates(&mut self, tape: &Tape<B>) -> Result<()> {
        for (name, value) in tape.take_updates(self.id) {
            self.set(&name, value)?;
        }
        Ok(())
    }
    pub fn params(&self) -> impl Iterator<Item = (&String, &Tensor<B>)> {
        self.params.iter()
    }
    pub fn params_mut(&mut self) -> impl Iterator<Item = (&String, &mut Tensor<B>)> {
        self.origins.retain(|n, _| !self.params.contains_key(n));
        self.params.iter_mut()
    }
    pub fn buffers(&self) -> impl Iterator<Item = (&String, &Tensor<B>)> {
        self.buffers.iter()
    }
    pub fn is_param(&self, name: &str) -> bool {
        self.params.contains_key(name)
    }
    /// Total number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.params.values().map(|t| t.numel()).sum()
    }
}
