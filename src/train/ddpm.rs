//! The DDPM training loop: epochs of shuffled, augmented mini-batches of clean fields, each
//! field noised to a random time t, the ε-prediction MSE, global-norm gradient clipping, Adam
//! with a warm-up and cosine decay, and an exponential moving average (EMA) of the weights,
//! which is what the samplers use (Ho et al. 2020).
//!
//! Determinism. Everything random is a pure function of (seed, epoch, position) or (seed,
//! step): the order of the fields, each field's dihedral augmentation, each step's times t and
//! noise ε. What changes from step to step is saved at the end of every epoch in
//! `last.safetensors`: the parameters, their EMA (buffers `ema.<name>`), the optimiser's
//! moments and step counter, and the trainer's state in the metadata. `--resume` therefore
//! continues an interrupted run with the same losses, bit for bit on the CPU.
//!
//! A step: forward and backward on a training tape, the tape dropped, the gradient norm
//! checked (a non-finite loss or norm stops training: the step is run again under the tape's
//! guard to name the first op that produced the value, and the last checkpoint stays as it
//! was), the optimiser's in-place update, then the EMA update.

use super::run_dir::RunDir;
use super::shared::{
    augmentation, dihedral, epoch_order, guard_culprit, load_resumable, metadata_json, progress_bar, read_metrics, step_seed, write_metrics,
};
use crate::autodiff::Tape;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::eval::plot::Plot;
use crate::models::ddpm::{normals, random_times, sample_with, Sampler};
use crate::models::{Ddpm, DdpmConfig};
use crate::nn::optim::{global_grad_norm, Optimizer, WarmupCosine};
use crate::nn::{checkpoint, Adam, ParamStore};
use crate::ops::batchnorm::running_update;
use ndarray::{ArrayView3, Axis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Files of a DDPM run directory (besides `config.json`, `last.safetensors`, `metrics.jsonl`
/// and `loss.png` of [`super::run_dir::files`]).
pub mod files {
    /// Sample grids drawn during training, `samples/epoch_0005.png`.
    pub const SAMPLES_DIR: &str = "samples";
    pub fn sample_grid(epoch: usize) -> String {
        format!("{SAMPLES_DIR}/epoch_{epoch:04}.png")
    }
}

/// Metadata keys of DDPM checkpoints.
pub mod meta {
    /// The [`DdpmConfig`](crate::models::DdpmConfig) as JSON.
    pub const MODEL: &str = "ddpm.config";
    /// [`DdpmOptions`](super::DdpmOptions) as JSON.
    pub const OPTIONS: &str = super::super::shared::OPTIONS_KEY;
    /// [`DdpmState`](super::DdpmState) as JSON.
    pub const STATE: &str = super::super::shared::STATE_KEY;
}

/// The prefix of the EMA buffers: `ema.<parameter name>`.
pub const EMA_PREFIX: &str = "ema.";

/// The optimiser, schedule and loop settings of a DDPM run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpmOptions {
    pub epochs: usize,
    pub batch: usize,
    /// Peak learning rate of Adam.
    pub lr: f64,
    /// The learning rate at the end of the cosine decay.
    pub min_lr: f64,
    /// Linear warm-up steps.
    pub warmup_steps: u64,
    /// Global gradient-norm clipping (Ho et al.: 1).
    pub clip: f64,
    /// EMA decay of the weights; the effective decay is min(decay, (1 + s)/(10 + s)) at step s,
    /// so that the average forgets the random initialisation early on.
    pub ema_decay: f64,
    /// Random dihedral rotations/flips of the training fields (they are statistically isotropic).
    pub augment: bool,
    /// Draw a sample grid every this many epochs (0: never), with DDIM in `grid_steps` steps.
    pub sample_every: usize,
    pub grid_steps: usize,
    pub seed: u64,
}

impl Default for DdpmOptions {
    fn default() -> Self {
        DdpmOptions {
            epochs: 20,
            batch: 16,
            lr: 1e-3,
            min_lr: 1e-4,
            warmup_steps: 200,
            clip: 1.0,
            ema_decay: 0.999,
            augment: true,
            sample_every: 2,
            grid_steps: 25,
            seed: 1,
        }
    }
}

impl DdpmOptions {
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("train ddpm", msg));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.batch == 0 {
            return bad("--batch must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.min_lr.is_finite() && self.min_lr >= 0.0) {
            return bad(format!(
                "learning rates must be positive numbers, got --lr {} (min {})",
                self.lr, self.min_lr
            ));
        }
        if !(self.clip.is_finite() && self.clip > 0.0) {
            return bad(format!("--clip must be a positive number, got {}", self.clip));
        }
        if !(self.ema_decay.is_finite() && (0.0..1.0).contains(&self.ema_decay)) {
            return bad(format!("--ema must lie in [0, 1), got {}", self.ema_decay));
        }
        if self.sample_every > 0 && self.grid_steps == 0 {
            return bad("the sample grid needs at least one DDIM step".into());
        }
        Ok(())
    }
    /// Steps per epoch over `n` training fields (an incomplete last batch is left out; a
    /// different one each epoch, since the order is reshuffled).
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        (n / self.batch).max(1)
    }
}

/// Where a run stands (saved with every `last.safetensors`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpmState {
    /// Completed epochs.
    pub epoch: usize,
    /// Completed optimisation steps.
    pub step: u64,
    /// Training time so far, in seconds (epochs that reached a checkpoint).
    pub seconds: f64,
}

/// One line of `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpmMetrics {
    pub epoch: usize,
    pub step: u64,
    /// Mean ε-MSE of the epoch's training batches (raw weights, augmented, random t).
    pub train_loss: f64,
    /// ε-MSE of the validation fields with the EMA weights, at times and noise fixed for the
    /// whole run (comparable from epoch to epoch).
    pub val_loss: f64,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    /// The largest gradient norm of the epoch, before clipping.
    pub max_grad_norm: f64,
    pub fields_per_s: f64,
    pub seconds: f64,
}

/// Writes a sample grid: (fields in the network's units [n, S, S], path).
pub type GridWriter<'a> = dyn Fn(ArrayView3<f32>, &Path) -> Result<()> + 'a;

/// Everything [`train`] needs besides the data.
pub struct DdpmJob<'a> {
    pub model: &'a DdpmConfig,
    pub options: &'a DdpmOptions,
    pub run: &'a RunDir,
    /// Continue from `run`'s `last.safetensors`.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// More metadata for the checkpoints (e.g. the data transform, as JSON).
    pub metadata: BTreeMap<String, String>,
    /// Draws a sample grid: (fields in the network's units [n, S, S], path). The CLI maps
    /// them back to density first; `None` skips the grids.
    pub grid: Option<&'a GridWriter<'a>>,
    /// Return as a crash would, without writing anything more, once this many steps are done
    /// in total (how the tests interrupt a run).
    pub interrupt_at_step: Option<u64>,
}

/// The result of [`train`].
pub struct Outcome {
    pub state: DdpmState,
    pub history: Vec<DdpmMetrics>,
}

/// Adds an EMA buffer `ema.<name>` for every parameter, starting at its value.
pub fn add_ema<B: Backend>(store: &mut ParamStore<B>) -> Result<()> {
    let params: Vec<(String, _)> = store.params().map(|(n, t)| (n.clone(), t.clone())).collect();
    for (name, t) in params {
        store.add_buffer(&format!("{EMA_PREFIX}{name}"), t)?;
    }
    Ok(())
}

/// ema ← d·ema + (1 − d)·θ for every parameter.
pub fn update_ema<B: Backend>(store: &mut ParamStore<B>, decay: f64) -> Result<()> {
    let be = store.backend().clone();
    let names: Vec<String> = store.params().map(|(n, _)| n.clone()).collect();
    for name in names {
        let key = format!("{EMA_PREFIX}{name}");
        let new = running_update(&be, store.get(&key)?, store.get(&name)?, 1.0 - decay)?;
        store.set(&key, new)?;
    }
    Ok(())
}

/// A store whose parameters are the EMA of `store`'s (for validation and sampling).
pub fn ema_store<B: Backend>(store: &ParamStore<B>) -> Result<ParamStore<B>> {
    let mut out = ParamStore::new(store.backend().clone());
    for (name, _) in store.params() {
        out.add(name, store.get(&format!("{EMA_PREFIX}{name}"))?.clone())?;
    }
    Ok(out)
}

/// The ε-MSE of `fields` (network units) at times and noise drawn from `seed`, in batches,
/// without gradients.
pub fn mean_loss<B: Backend>(model: &Ddpm, store: &ParamStore<B>, fields: ArrayView3<f32>, batch: usize, seed: u64) -> Result<f64> {
    let n = fields.len_of(Axis(0));
    let per = model.sample_len();
    let t = random_times(seed, n, model.schedule.steps());
    let eps = normals(seed ^ 1, n * per);
    let x: Vec<f64> = fields.iter().map(|&v| v as f64).collect();
    let mut sum = 0.0;
    for start in (0..n).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(n);
        let tape = Tape::new(store.backend().clone()).no_grad();
        let r = start * per..end * per;
        let l = model.loss(store, &tape, &x[r.clone()], &t[start..end], &eps[r])?;
        sum += l.item()? * (end - start) as f64;
    }
    Ok(sum / n as f64)
}

fn check_fields(model: &DdpmConfig, fields: ArrayView3<f32>, what: &str) -> Result<()> {
    let (n, h, w) = fields.dim();
    let s = model.unet.size;
    if model.unet.in_channels != 1 || h != s || w != s {
        return Err(Error::invalid(
            "train ddpm",
            format!(
                "the {what} fields are {h}×{w}, but the model takes {}×{s}×{s}",
                model.unet.in_channels
            ),
        ));
    }
    if n == 0 {
        return Err(Error::invalid("train ddpm", format!("the {what} set holds no fields")));
    }
    if let Some(v) = fields.iter().find(|v| !v.is_finite()) {
        return Err(Error::invalid(
            "train ddpm",
            format!("the {what} fields hold a non-finite value ({v})"),
        ));
    }
    Ok(())
}

/// The clean fields of one batch, as f64, augmented when `aug` is given.
fn assemble(fields: ArrayView3<f32>, idx: &[usize], aug: Option<(u64, usize, usize)>) -> Vec<f64> {
    let s = fields.dim().1;
    let mut out = Vec::with_capacity(idx.len() * s * s);
    let mut tmp = vec![0f32; s * s];
    for (b, &i) in idx.iter().enumerate() {
        let map = fields.index_axis(Axis(0), i);
        let src: Vec<f32> = map.iter().copied().collect();
        match aug {
            Some((seed, epoch, first)) => {
                dihedral(&src, s, augmentation(seed, epoch, first + b), &mut tmp);
                out.extend(tmp.iter().map(|&v| v as f64));
            }
            None => out.extend(src.iter().map(|&v| v as f64)),
        }
    }
    out
}

/// The seed of the validation loss's times and noise (fixed for the run).
const VAL_SEED: u64 = 0x7a1d;

/// Trains (or, with `job.resume`, continues training) a DDPM on `train` fields in the
/// network's units ([n, S, S], values about [−1, 1]); `val` fields give the validation loss.
/// Writes checkpoints, metrics, the loss curve and sample grids into the run directory.
pub fn train<B: Backend>(be: B, job: &DdpmJob<'_>, train: ArrayView3<f32>, val: ArrayView3<f32>) -> Result<Outcome> {
    let (cfg, opts, run) = (job.model, job.options, job.run);
    opts.validate()?;
    check_fields(cfg, train, "training")?;
    check_fields(cfg, val, "validation")?;
    let mut store = ParamStore::new(be.clone());
    let model = Ddpm::new(&mut store, cfg.clone())?;
    add_ema(&mut store)?;
    let n = train.len_of(Axis(0));
    let spe = opts.steps_per_epoch(n);
    let schedule = WarmupCosine {
        lr: opts.lr,
        min_lr: opts.min_lr,
        warmup: opts.warmup_steps,
        total: (opts.epochs * spe) as u64,
    };
    let mut opt = Adam::new(opts.lr).with_schedule(schedule).with_clip(opts.clip);
    let mut metadata = job.metadata.clone();
    metadata.insert(meta::MODEL.into(), serde_json::to_string(cfg).expect("config serialises"));
    metadata.insert(meta::OPTIONS.into(), serde_json::to_string(opts).expect("options serialise"));

    let (mut state, mut history) = if job.resume {
        resume_state(run, &mut store, &mut opt, cfg, opts)?
    } else {
        (
            DdpmState {
                epoch: 0,
                step: 0,
                seconds: 0.0,
            },
            Vec::new(),
        )
    };
    if state.epoch >= opts.epochs {
        return Ok(Outcome { state, history });
    }
    if job.grid.is_some() && opts.sample_every > 0 {
        std::fs::create_dir_all(run.file(files::SAMPLES_DIR))
            .map_err(|e| Error::io(format!("cannot create {}", run.file(files::SAMPLES_DIR).display()), e))?;
    }
    let bar = progress_bar(job.progress, (opts.epochs * spe) as u64, state.step, "steps");
    let per = model.sample_len();
    let size = cfg.unet.size;
    for epoch in state.epoch..opts.epochs {
        let started = Instant::now();
        let order = epoch_order(opts.seed, epoch, n);
        let (mut loss_sum, mut max_norm) = (0.0, 0.0f64);
        let mut lr = opt.current_lr();
        for b in 0..spe {
            let idx = &order[b * opts.batch..((b + 1) * opts.batch).min(n)];
            let aug = opts.augment.then_some((opts.seed, epoch, b * opts.batch));
            let x0 = assemble(train, idx, aug);
            let seed = step_seed(opts.seed, state.step);
            let t = random_times(seed, idx.len(), model.schedule.steps());
            let eps = normals(seed ^ 1, idx.len() * per);
            let tape = Tape::new(be.clone()).training(true);
            let loss = model.loss(&store, &tape, &x0, &t, &eps)?;
            let value = loss.item()?;
            let grads = if value.is_finite() { Some(tape.backward(loss)?) } else { None };
            drop(tape);
            let norm = match &grads {
                Some(g) => global_grad_norm(&be, store.params().filter_map(|(name, _)| store.grad(g, name)))?,
                None => f64::NAN,
            };
            let Some(grads) = grads.filter(|_| norm.is_finite()) else {
                bar.abandon();
                let why = if value.is_finite() {
                    format!("the loss was {value:.4} but the gradient norm was {norm}")
                } else {
                    format!("the loss was {value}")
                };
                let tape = Tape::new(be.clone()).training(true).guard(true);
                let rerun = model.loss(&store, &tape, &x0, &t, &eps).and_then(|l| tape.backward(l));
                return Err(Error::Other(format!(
                    "training stopped at step {} (epoch {}): {why}; {}. The parameters were not updated; {}. \
                     Lower --lr, or check the data for extreme values",
                    state.step + 1,
                    epoch + 1,
                    guard_culprit(rerun),
                    if state.epoch > 0 {
                        format!("{} holds epoch {}", run.file(super::run_dir::files::LAST).display(), state.epoch)
                    } else {
                        "no epoch had finished, so there is no checkpoint".into()
                    }
                )));
            };
            lr = opt.step(&mut store, &grads)?.lr;
            drop(grads);
            let s = state.step as f64;
            update_ema(&mut store, opts.ema_decay.min((1.0 + s) / (10.0 + s)))?;
            loss_sum += value;
            max_norm = max_norm.max(norm);
            state.step += 1;
            if job.interrupt_at_step == Some(state.step) {
                bar.abandon();
                return Ok(Outcome { state, history });
            }
            let rate = ((b + 1) * opts.batch) as f64 / started.elapsed().as_secs_f64();
            bar.set_position(state.step);
            bar.set_message(format!("epoch {}/{} loss {value:.4} {rate:.1} fields/s", epoch + 1, opts.epochs));
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let ema = ema_store(&store)?;
        let val_loss = mean_loss(&model, &ema, val, opts.batch, VAL_SEED)?;
        state.epoch = epoch + 1;
        if let (Some(grid), true) = (job.grid, opts.sample_every > 0 && state.epoch % opts.sample_every == 0) {
            let sampler = Sampler::Ddim {
                steps: opts.grid_steps,
                eta: 0.0,
            };
            let mut eps_model = model.predictor(&ema, opts.batch);
            let count = 8;
            // x̂_0 clipped to the data's [−1, 1], as `cosmograd sample ddpm` does by default.
            let x = sample_with(
                &model.schedule,
                &mut eps_model,
                sampler,
                count,
                per,
                opts.seed,
                Some(1.0),
                &mut |_, _| {},
            )?;
            let maps = ndarray::Array3::from_shape_vec((count, size, size), x.iter().map(|&v| v as f32).collect())
                .expect("sampler returns count fields");
            if let Err(e) = grid(maps.view(), &run.file(&files::sample_grid(state.epoch))) {
                bar.println(format!("warning: sample grid: {e}"));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        state.seconds += seconds;
        let m = DdpmMetrics {
            epoch: epoch + 1,
            step: state.step,
            train_loss: loss_sum / spe as f64,
            val_loss,
            lr,
            max_grad_norm: max_norm,
            fields_per_s: (spe * opts.batch) as f64 / train_seconds,
            seconds,
        };
        bar.println(format!(
            "epoch {:>3}: training loss {:.4}, validation loss (EMA) {:.4}, {:.1} fields/s",
            m.epoch, m.train_loss, m.val_loss, m.fields_per_s
        ));
        history.push(m);
        metadata.insert(meta::STATE.into(), serde_json::to_string(&state).expect("state serialises"));
        checkpoint::save(run.file(super::run_dir::files::LAST), &store, Some(&opt), &metadata)?;
        write_metrics(run, &history)?;
        if let Err(e) = loss_plot(&history, &run.file(super::run_dir::files::LOSS_PNG)) {
            bar.println(format!("warning: {e}"));
        }
    }
    bar.finish_and_clear();
    Ok(Outcome { state, history })
}

/// Loads `last.safetensors` of the run into the store and optimiser; returns the trainer state
/// and the metrics history up to it.
fn resume_state<B: Backend>(
    run: &RunDir,
    store: &mut ParamStore<B>,
    opt: &mut dyn Optimizer<B>,
    cfg: &DdpmConfig,
    opts: &DdpmOptions,
) -> Result<(DdpmState, Vec<DdpmMetrics>)> {
    let path = run.file(super::run_dir::files::LAST);
    let incompatible = |why: String| {
        Error::Other(format!(
            "cannot resume {}: {why}; resume with the options the run was started with (they are in its {}), \
             or start a new run with --out",
            run.path.display(),
            super::run_dir::files::CONFIG
        ))
    };
    if !path.is_file() {
        return Err(incompatible(format!("{} does not exist (no epoch had finished)", path.display())));
    }
    let info = checkpoint::inspect(&path)?;
    let saved: Option<DdpmConfig> = metadata_json(&info, meta::MODEL);
    if saved.as_ref() != Some(cfg) {
        return Err(incompatible(format!("its model was {saved:?}, now {cfg:?}")));
    }
    let state: DdpmState = load_resumable(&path, &info, opts, store, opt, |s: &DdpmState| s.step, &incompatible)?;
    let history = read_metrics(run, |m: &DdpmMetrics| m.epoch <= state.epoch).map_err(|e| incompatible(e.to_string()))?;
    Ok((state, history))
}

/// The training and validation ε-MSE per epoch.
pub fn loss_plot(history: &[DdpmMetrics], path: &Path) -> Result<()> {
    let train: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.train_loss)).collect();
    let val: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.val_loss)).collect();
    Plot::new("DDPM training: ε-prediction MSE")
        .labels("epoch", "mean (ε_θ − ε)²")
        .log_y()
        .line("training (raw weights)", &train)
        .line("validation (EMA weights, fixed t and ε)", &val)
        .save(path)
}

/// A trained model from a run directory: the configuration, and a store holding the EMA
/// weights (or the raw ones) as parameters. A missing or damaged checkpoint is a clear error.
pub fn load_model<B: Backend>(be: B, run: &RunDir, use_ema: bool) -> Result<(Ddpm, ParamStore<B>, DdpmState)> {
    let path = run.file(super::run_dir::files::LAST);
    if !path.is_file() {
        return Err(Error::Other(format!(
            "{} has no checkpoint ({} is missing): no training epoch has finished there; train first, or \
             give the --out directory of a finished `cosmograd train ddpm`",
            run.path.display(),
            super::run_dir::files::LAST
        )));
    }
    let info = checkpoint::inspect(&path)?;
    let cfg: DdpmConfig = metadata_json(&info, meta::MODEL).ok_or_else(|| {
        Error::Other(format!(
            "{} has no DDPM configuration in its metadata; it was not written by `cosmograd train ddpm`",
            path.display()
        ))
    })?;
    let state: DdpmState =
        metadata_json(&info, meta::STATE).ok_or_else(|| Error::Other(format!("{} has no readable trainer state", path.display())))?;
    let mut store = ParamStore::new(be);
    let model = Ddpm::new(&mut store, cfg)?;
    add_ema(&mut store)?;
    checkpoint::load(&path, &mut store, None)?;
    let store = if use_ema { ema_store(&store)? } else { without_ema(&store)? };
    Ok((model, store, state))
}

/// The raw parameters of a training store, without its EMA buffers.
fn without_ema<B: Backend>(store: &ParamStore<B>) -> Result<ParamStore<B>> {
    let mut out = ParamStore::new(store.backend().clone());
    for (name, t) in store.params() {
        out.add(name, t.clone())?;
    }
    Ok(out)
}
