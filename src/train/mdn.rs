//! The MDN training loop: epochs of shuffled, augmented mini-batches, validation after every
//! epoch, the best model by validation NLL kept, early stopping, and a state complete enough
//! that `--resume` continues an interrupted run with the same losses, bit for bit on the CPU.
//!
//! Determinism. Everything random is a pure function of (seed, epoch, position) or
//! (seed, step) — the order of the training maps in an epoch, each map's dihedral
//! augmentation, each step's dropout masks — so no generator state has to be saved. What does
//! change from step to step is saved at the end of every epoch in `last.safetensors`: the
//! parameters, the batch-norm running statistics, the optimiser's moments and step counter
//! (which the learning-rate schedule reads), and the trainer's state (epoch, best validation
//! NLL, epochs without improvement) in the metadata.
//!
//! A step: forward on a training tape, backward, the running statistics written into the
//! store, the tape dropped, then the optimiser's in-place update (which must not run while a
//! tape still holds the parameters). A non-finite loss or gradient stops training; the step is
//! run again under the tape's guard to name the first op that produced the value, and the
//! best checkpoint stays as it was.

use super::run_dir::{files, RunDir};
use super::shared::{guard_culprit, load_resumable, progress_bar, read_metrics, write_metrics};
use crate::autodiff::Tape;
use crate::backend::Backend;
use crate::data::cmd::Dihedral;
use crate::data::grf::substream;
use crate::error::{Error, Result};
use crate::eval::plot::Plot;
use crate::models::{Mdn, MdnArchitecture};
use crate::nn::optim::{Optimizer, WarmupCosine};
use crate::nn::{checkpoint, Adam, ParamStore};
use crate::tensor::Tensor;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// What training reads: one split's preprocessed maps and scaled targets, by index.
pub trait MapSet: Sync {
    /// Number of maps.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Channels (fields) per map.
    fn channels(&self) -> usize;
    /// Side of the square maps.
    fn size(&self) -> usize;
    /// Targets per map.
    fn target_dim(&self) -> usize;
    /// Writes map i, preprocessed (C × S × S values, row-major), into `out`.
    fn read_map(&self, i: usize, out: &mut [f32]) -> Result<()>;
    /// The scaled targets of map i.
    fn targets(&self, i: usize, out: &mut [f64]);
    /// (simulation, map number in the data file) of map i.
    fn ids(&self, i: usize) -> (usize, usize);
    /// Every parameter of map i's simulation in physical units (the columns of the parameter
    /// file), for the Cramér–Rao bound at that point.
    fn params(&self, i: usize) -> Vec<f64>;
}

/// The optimiser, schedule and loop settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub epochs: usize,
    pub batch: usize,
    /// Peak learning rate (AdamW).
    pub lr: f64,
    /// The learning rate at the end of the cosine decay.
    pub min_lr: f64,
    /// Linear warm-up steps before the cosine decay.
    pub warmup_steps: u64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Global gradient-norm clipping.
    pub clip: Option<f64>,
    /// Stop after this many epochs without a better validation NLL.
    pub patience: usize,
    /// Random dihedral rotations/flips of the training maps.
    pub augment: bool,
    pub seed: u64,
}

impl TrainOptions {
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("train", msg));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.batch < 2 {
            return bad(format!(
                "--batch {} is too small: batch normalisation needs at least 2 maps",
                self.batch
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.min_lr.is_finite() && self.min_lr >= 0.0) {
            return bad(format!(
                "learning rates must be positive numbers, got --lr {} (min {})",
                self.lr, self.min_lr
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!("--weight-decay must be ≥ 0, got {}", self.weight_decay));
        }
        if self.clip.is_some_and(|c| !(c.is_finite() && c > 0.0)) {
            return bad(format!("--clip must be a positive number, got {:?}", self.clip));
        }
        Ok(())
    }
    /// Optimisation steps per epoch over `n` training maps (the last incomplete batch is left
    /// out; a different one each epoch, since the order is reshuffled).
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        (n / self.batch).max(1)
    }
    /// The optimiser these options describe, as JSON (for checkpoints and logs).
    pub fn optimizer_json(&self, steps_per_epoch: usize) -> serde_json::Value {
        serde_json::json!({
            "kind": "adamw",
            "lr": self.lr,
            "betas": [0.9, 0.999],
            "eps": 1e-8,
            "weight_decay": self.weight_decay,
            "clip_grad_norm": self.clip,
            "schedule": {
                "kind": "warmup_cosine",
                "lr": self.lr,
                "min_lr": self.min_lr,
                "warmup_steps": self.warmup_steps,
                "total_steps": self.epochs * steps_per_epoch,
            },
        })
    }
}

/// Where a run stands (saved with every `last.safetensors`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Completed epochs.
    pub epoch: usize,
    /// Completed optimisation steps.
    pub step: u64,
    pub best_val_nll: f64,
    /// The epoch (counting from 1) of `best.safetensors`.
    pub best_epoch: usize,
    pub epochs_without_improvement: usize,
    /// Training time so far (not counting the time before an interruption's last epoch end).
    pub seconds: f64,
    /// Why training ended before `epochs`, if it did.
    pub stopped: Option<String>,
}

/// One line of `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub step: u64,
    /// Mean −ln p(y|x) of the epoch's training batches (training mode: augmented, dropout on).
    pub train_nll: f64,
    /// Mean −ln p(y|x) over the validation maps (evaluation mode).
    pub val_nll: f64,
    /// The learning rate of the epoch's last step.
    pub lr: f64,
    pub maps_per_s: f64,
    pub seconds: f64,
    pub best: bool,
}

/// Metadata keys of MDN checkpoints.
pub mod meta {
    /// The [`MdnArchitecture`](crate::models::MdnArchitecture) as JSON.
    pub const ARCH: &str = "mdn.architecture";
    /// The optimiser and schedule as JSON.
    pub const OPTIMIZER: &str = "train.optimizer";
    /// [`TrainOptions`](super::TrainOptions) as JSON.
    pub const OPTIONS: &str = super::super::shared::OPTIONS_KEY;
    /// [`TrainerState`](super::TrainerState) as JSON.
    pub const STATE: &str = super::super::shared::STATE_KEY;
}

/// The result of [`train`].
pub struct Outcome {
    pub state: TrainerState,
    pub history: Vec<EpochMetrics>,
}

/// One batch on the host: maps [n, C, S, S] and targets [n, D].
struct Batch {
    x: Vec<f32>,
    y: Vec<f64>,
    n: usize,
}

fn assemble(data: &dyn MapSet, idx: &[usize], augment: Option<(u64, usize, usize)>) -> Result<Batch> {
    let (c, s, d) = (data.channels(), data.size(), data.target_dim());
    let per = c * s * s;
    let mut x = vec![0f32; idx.len() * per];
    // The maps of a batch are read (and preprocessed) in parallel.
    x.par_chunks_mut(per)
        .zip(idx.par_iter().enumerate())
        .try_for_each(|(out, (b, &i))| match augment {
            Some((seed, epoch, first)) => {
                let mut tmp = vec![0f32; per];
                data.read_map(i, &mut tmp)?;
                let t = augmentation(seed, epoch, first + b);
                for (src, dst) in tmp.chunks_exact(s * s).zip(out.chunks_exact_mut(s * s)) {
                    t.apply_into(s, src, dst);
                }
                Ok(())
            }
            None => data.read_map(i, out),
        })?;
    let mut y = vec![0f64; idx.len() * d];
    for (b, &i) in idx.iter().enumerate() {
        data.targets(i, &mut y[b * d..(b + 1) * d]);
    }
    Ok(Batch { x, y, n: idx.len() })
}

impl Batch {
    fn tensors<B: Backend>(&self, be: &B, c: usize, s: usize) -> Result<(Tensor<B>, Tensor<B>)> {
        let d = self.y.len() / self.n;
        Ok((
            Tensor::from_f32(be, &self.x, &[self.n, c, s, s])?,
            Tensor::from_f64(be, &self.y, &[self.n, d])?,
        ))
    }
}

/// Mean −ln p(y|x) over a whole split in evaluation mode.
pub fn mean_nll<B: Backend>(be: &B, model: &Mdn, store: &ParamStore<B>, data: &dyn MapSet, batch: usize) -> Result<f64> {
    let (mut sum, n) = (0.0, data.len());
    let all: Vec<usize> = (0..n).collect();
    for idx in all.chunks(batch.max(1)) {
        let b = assemble(data, idx, None)?;
        let tape = Tape::new(be.clone()).no_grad();
        let (x, y) = b.tensors(be, data.channels(), data.size())?;
        let nll = model.nll(store, tape.input(x), tape.input(y))?;
        sum += nll.to_vec()?.iter().sum::<f64>();
    }
    Ok(sum / n as f64)
}

/// Everything [`train`] needs besides the data.
pub struct TrainJob<'a> {
    pub arch: &'a MdnArchitecture,
    pub options: &'a TrainOptions,
    pub run: &'a RunDir,
    /// Continue from `run`'s `last.safetensors`.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// More metadata for the checkpoints (e.g. the preprocessing, as JSON).
    pub metadata: BTreeMap<String, String>,
    /// Return as a crash would, without writing anything more, once this many steps are done
    /// in total (how the tests interrupt a run).
    pub interrupt_at_step: Option<u64>,
}

/// Trains (or, with `job.resume`, continues training) an MDN; writes checkpoints, metrics and
/// the loss curve into the run directory.
pub fn train<B: Backend>(be: B, job: &TrainJob<'_>, train: &dyn MapSet, val: &dyn MapSet) -> Result<Outcome> {
    let (arch, opts, run) = (job.arch, job.options, job.run);
    opts.validate()?;
    check_data(arch, train, "training")?;
    check_data(arch, val, "validation")?;
    let mut store = ParamStore::new(be.clone());
    let model = Mdn::new(&mut store, arch)?;
    let spe = opts.steps_per_epoch(train.len());
    let schedule = WarmupCosine {
        lr: opts.lr,
        min_lr: opts.min_lr,
        warmup: opts.warmup_steps,
        total: (opts.epochs * spe) as u64,
    };
    let mut opt = Adam::adamw(opts.lr, opts.weight_decay).with_schedule(schedule);
    if let Some(c) = opts.clip {
        opt = opt.with_clip(c);
    }
    let mut metadata = job.metadata.clone();
    metadata.insert(meta::ARCH.into(), arch.to_json());
    metadata.insert(meta::OPTIONS.into(), serde_json::to_string(opts).expect("options serialise"));
    metadata.insert(meta::OPTIMIZER.into(), opts.optimizer_json(spe).to_string());

    let (mut state, mut history) = if job.resume {
        resume_state(run, &mut store, &mut opt, arch, opts)?
    } else {
        let fresh = TrainerState {
            epoch: 0,
            step: 0,
            best_val_nll: f64::INFINITY,
            best_epoch: 0,
            epochs_without_improvement: 0,
            seconds: 0.0,
            stopped: None,
        };
        (fresh, Vec::new())
    };
    if state.stopped.is_some() || state.epoch >= opts.epochs {
        return Ok(Outcome { state, history });
    }

    let bar = progress_bar(job.progress, (opts.epochs * spe) as u64, state.step, "steps");
    let (c, s) = (arch.in_channels, arch.input_size);
    for epoch in state.epoch..opts.epochs {
        let started = Instant::now();
        let order = epoch_order(opts.seed, epoch, train.len());
        let mut loss_sum = 0.0;
        let mut lr = opt.current_lr();
        for b in 0..spe {
            let idx = &order[b * opts.batch..((b + 1) * opts.batch).min(order.len())];
            let aug = opts.augment.then_some((opts.seed, epoch, b * opts.batch));
            let batch = assemble(train, idx, aug)?;
            let (x, y) = batch.tensors(&be, c, s)?;
            let seed = step_seed(opts.seed, state.step);
            let tape = Tape::new(be.clone()).training(true).seed(seed);
            let loss = model.nll(&store, tape.input(x.clone()), tape.input(y.clone()))?.mean()?;
            let value = loss.item()?;
            let grads = if value.is_finite() { Some(tape.backward(loss)?) } else { None };
            store.apply_updates(&tape)?;
            drop(tape);
            let Some(grads) = grads else {
                bar.abandon();
                let why = format!("the loss was {value}");
                return Err(nan_error(&be, &model, &store, (x, y), seed, &state, epoch, &why, run));
            };
            // The optimiser checks the global gradient norm before it changes anything.
            let norm = crate::nn::optim::global_grad_norm(&be, store.params().filter_map(|(n, _)| store.grad(&grads, n)))?;
            if !norm.is_finite() {
                bar.abandon();
                let why = format!("the loss was {value:.4} but the gradient norm was {norm}");
                return Err(nan_error(&be, &model, &store, (x, y), seed, &state, epoch, &why, run));
            }
            lr = opt.step(&mut store, &grads)?.lr;
            loss_sum += value;
            state.step += 1;
            if job.interrupt_at_step == Some(state.step) {
                bar.abandon();
                return Ok(Outcome { state, history });
            }
            let rate = ((b + 1) * opts.batch) as f64 / started.elapsed().as_secs_f64();
            bar.set_position(state.step);
            bar.set_message(format!("epoch {}/{} loss {value:.4} {rate:.1} maps/s", epoch + 1, opts.epochs));
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let val_nll = mean_nll(&be, &model, &store, val, opts.batch)?;
        let seconds = started.elapsed().as_secs_f64();
        state.epoch = epoch + 1;
        state.seconds += seconds;
        let best = val_nll < state.best_val_nll;
        if best {
            state.best_val_nll = val_nll;
            state.best_epoch = epoch + 1;
            state.epochs_without_improvement = 0;
        } else {
            state.epochs_without_improvement += 1;
        }
        let m = EpochMetrics {
            epoch: epoch + 1,
            step: state.step,
            train_nll: loss_sum / spe as f64,
            val_nll,
            lr,
            maps_per_s: (spe * opts.batch) as f64 / train_seconds,
            seconds,
            best,
        };
        say(
            &bar,
            format!(
                "epoch {:>3}: train NLL {:.4}, validation NLL {:.4}{}, {:.1} maps/s",
                m.epoch,
                m.train_nll,
                m.val_nll,
                if best { " (best)" } else { "" },
                m.maps_per_s
            ),
        );
        history.push(m);
        if opts.patience > 0 && state.epochs_without_improvement >= opts.patience && state.epoch < opts.epochs {
            state.stopped = Some(format!(
                "early stopping after epoch {}: no better validation NLL for {} epochs (best {:.4} at epoch {})",
                state.epoch, opts.patience, state.best_val_nll, state.best_epoch
            ));
        }
        // The best model first: if the process dies between the two writes, `last` (the
        // resume point) is the older one, and resuming redoes this epoch identically.
        metadata.insert(meta::STATE.into(), serde_json::to_string(&state).expect("state serialises"));
        if best {
            checkpoint::save(run.file(files::BEST), &store, None, &metadata)?;
        }
        checkpoint::save(run.file(files::LAST), &store, Some(&opt), &metadata)?;
        write_metrics(run, &history)?;
        if let Err(e) = loss_plot(&history, &run.file(files::LOSS_PNG)) {
            say(&bar, format!("warning: {e}"));
        }
        if let Some(why) = &state.stopped {
            say(&bar, why.clone());
            break;
        }
    }
    bar.finish_and_clear();
    Ok(Outcome { state, history })
}

fn check_data(arch: &MdnArchitecture, data: &dyn MapSet, what: &str) -> Result<()> {
    let want = (arch.in_channels, arch.input_size, arch.target_dim());
    let got = (data.channels(), data.size(), data.target_dim());
    if want != got {
        return Err(Error::invalid(
            "train",
            format!(
                "the {what} maps have {} channels of {}×{} with {} targets, but the model takes {} channels of \
                 {}×{} with {} targets",
                got.0, got.1, got.1, got.2, want.0, want.1, want.1, want.2
            ),
        ));
    }
    if data.is_empty() {
        return Err(Error::invalid(
            "train",
            format!("the {what} split holds no maps; use more simulations"),
        ));
    }
    Ok(())
}

/// Loads `last.safetensors` of the run into the model and optimiser and returns the trainer
/// state and the metrics history up to it.
fn resume_state<B: Backend>(
    run: &RunDir,
    store: &mut ParamStore<B>,
    opt: &mut dyn Optimizer<B>,
    arch: &MdnArchitecture,
    opts: &TrainOptions,
) -> Result<(TrainerState, Vec<EpochMetrics>)> {
    let path = run.file(files::LAST);
    let incompatible = |why: String| {
        Error::Other(format!(
            "cannot resume {}: {why}; resume with the options the run was started with (they are in its {}), \
             or start a new run with --out",
            run.path.display(),
            files::CONFIG
        ))
    };
    let info = checkpoint::inspect(&path)?;
    let saved_arch = info
        .metadata
        .get(meta::ARCH)
        .map(|s| MdnArchitecture::from_json(s))
        .transpose()?
        .ok_or_else(|| incompatible(format!("{} has no architecture record", path.display())))?;
    if &saved_arch != arch {
        return Err(incompatible(format!(
            "its model is {} but this run asks for {}",
            saved_arch.to_json(),
            arch.to_json()
        )));
    }
    let state: TrainerState = load_resumable(&path, &info, opts, store, opt, |s: &TrainerState| s.step, &incompatible)?;
    // The metrics of the epochs the checkpoint holds.
    let history: Vec<EpochMetrics> =
        read_metrics(run, |m: &EpochMetrics| m.epoch <= state.epoch).map_err(|e| incompatible(e.to_string()))?;
    Ok((state, history))
}

/// The training and validation NLL per epoch.
pub fn loss_plot(history: &[EpochMetrics], path: &std::path::Path) -> Result<()> {
    let train: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.train_nll)).collect();
    let val: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.val_nll)).collect();
    Plot::new("MDN training: −ln p(θ|map), scaled targets")
        .labels("epoch", "mean NLL")
        .line("training (augmented, dropout)", &train)
        .line("validation", &val)
        .save(path)
}

// The MDN draws its orders and augmentations with the CMD loader's `Dihedral` and `substream`
// seeds, as its published runs did; the generative loops draw theirs in train/shared.rs. Making
// them one is left for a change that also reruns notes/results-mdn.md.
/// The order of the training maps in `epoch` (0-based): a shuffle seeded by (seed, epoch)
/// alone.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(substream(seed ^ 0x0de5, epoch as u64)));
    order
}

/// The dihedral transform of the map at `position` of `epoch`'s order.
pub fn augmentation(seed: u64, epoch: usize, position: usize) -> Dihedral {
    Dihedral::from_index(substream(substream(seed ^ 0xa06, epoch as u64), position as u64))
}

/// The dropout seed of step `step` (counting from 0).
fn step_seed(seed: u64, step: u64) -> u64 {
    substream(seed ^ 0xd0, step)
}

/// A line above the progress bar, or on stderr when there is no bar (not a terminal).
fn say(bar: &indicatif::ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

/// The error for a non-finite loss or gradient: the step run again under the guard names the
/// first op that produced a non-finite value.
#[allow(clippy::too_many_arguments)]
fn nan_error<B: Backend>(
    be: &B,
    model: &Mdn,
    store: &ParamStore<B>,
    (x, y): (Tensor<B>, Tensor<B>),
    seed: u64,
    state: &TrainerState,
    epoch: usize,
    why: &str,
    run: &RunDir,
) -> Error {
    let tape = Tape::new(be.clone()).training(true).seed(seed).guard(true);
    let rerun = model
        .nll(store, tape.input(x).named("maps"), tape.input(y).named("targets"))
        .and_then(|l| l.mean())
        .and_then(|l| tape.backward(l));
    let culprit = guard_culprit(rerun);
    let kept = if state.best_epoch > 0 {
        format!(
            "the best checkpoint (epoch {}, validation NLL {:.4}) is kept in {}",
            state.best_epoch,
            state.best_val_nll,
            run.file(files::BEST).display()
        )
    } else {
        "no epoch had finished, so there is no checkpoint".into()
    };
    Error::Other(format!(
        "training stopped at step {} (epoch {}): {why}; {culprit}. The parameters were not updated; {kept}. \
         Lower --lr, or check the data for extreme values",
        state.step + 1,
        epoch + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(3, 0, 100);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(3, 0, 100));
        assert_ne!(a, epoch_order(3, 1, 100));
        assert_ne!(a, epoch_order(4, 0, 100));
    }

    #[test]
    fn augmentations_cover_all_eight_transforms() {
        let all = Dihedral::all();
        let mut seen = [0; 8];
        for p in 0..800 {
            let t = augmentation(1, 2, p);
            seen[all.iter().position(|a| *a == t).unwrap()] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
        assert_eq!(augmentation(1, 2, 5), augmentation(1, 2, 5));
    }
}
