//! The GAN training loop: the report's nine steps per batch (chapter 3 of the DDPM/GAN report),
//! with what the report asked for and did not have — "a statistical tool to analyse the
//! images" — run while training, so that mode collapse is seen as it happens.
//!
//! Per step (`gan_step.rs`): G generates a batch from fresh latents, D learns on it and on a
//! real batch, G generates another batch and learns from D's verdict. After every epoch, and
//! every `diagnose_every` steps if asked:
//! - **diagnostics** of `diagnostic_maps` maps generated from one fixed latent batch against as
//!   many real maps, both in the data's δ: the scatter ratio σ_gen(k)/σ_real(k) of P̂(k) over
//!   the batch (→ 0 when every latent gives the same map), the power ratio ⟨P_gen⟩/⟨P_real⟩,
//!   the mean pairwise RMS distance of the generated maps against the real ones' (the report's
//!   "16 very similar images" as a number), and D's accuracy on both batches (evaluation mode);
//!   one line of `diagnostics.jsonl` each, plotted in `diagnostics.png`;
//! - after an epoch, its mean losses and D's accuracy during the steps in `metrics.jsonl`,
//!   `loss.png`, a grid of the first 16 maps of the fixed latent batch (the report's step 7)
//!   beside 16 real ones in `samples/epoch_NNNN.png`, and both networks with their optimisers in
//!   `generator.safetensors` and `discriminator.safetensors` (what `--resume` and
//!   `cosmograd sample gan` read).
//!
//! Determinism: the batch order is a function of (seed, epoch), each step's latents, dropout
//! masks and augmentations of (seed, step); so a resumed run repeats the losses of an
//! uninterrupted one bit for bit on the CPU.

use super::gan_step::{latents, AdamSettings, DiscriminatorStats, GanTrainer, GeneratorStats, Step};
use super::run_dir::{files, RunDir};
use super::shared::{
    augmentation, dihedral, epoch_order, load_resumable, metadata_json, progress_bar, read_lines, read_metrics, step_seed, write_lines,
    write_metrics,
};
use crate::backend::Backend;
use crate::data::transform::ContrastTransform;
use crate::error::{Error, Result};
use crate::eval::fields::diagnostics::batch_diagnostics;
use crate::eval::map_grid::{save_map_panels, ColourScale, MapPanel};
use crate::eval::plot::{save_grid, Plot};
use crate::models::GanArchitecture;
use crate::nn::{checkpoint, Optimizer};
use crate::tensor::Tensor;
use ndarray::{s, Array3, ArrayView3, Axis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

/// Files of a GAN run (besides `config.json`, `metrics.jsonl` and `loss.png`).
pub mod gan_files {
    /// The generator with its optimiser and the trainer state (what `sample gan` reads).
    pub const GENERATOR: &str = "generator.safetensors";
    /// The discriminator with its optimiser and the trainer state.
    pub const DISCRIMINATOR: &str = "discriminator.safetensors";
    /// One JSON object per diagnostic point.
    pub const DIAGNOSTICS: &str = "diagnostics.jsonl";
    pub const DIAGNOSTICS_PNG: &str = "diagnostics.png";
    /// Per-epoch sample grids, `samples/epoch_0001.png`, ….
    pub const SAMPLES_DIR: &str = "samples";
    pub fn sample_grid(epoch: usize) -> String {
        format!("{SAMPLES_DIR}/epoch_{epoch:04}.png")
    }
}

/// Checkpoint metadata keys.
pub mod meta {
    /// The [`GanArchitecture`] as JSON.
    pub const ARCH: &str = "gan.architecture";
    /// [`GanOptions`](super::GanOptions) as JSON.
    pub const OPTIONS: &str = super::super::shared::OPTIONS_KEY;
    /// [`GanState`](super::GanState) as JSON.
    pub const STATE: &str = super::super::shared::STATE_KEY;
    /// The [`ContrastTransform`] from δ to the model's [−1, 1], as JSON.
    pub const TRANSFORM: &str = "gan.transform";
    /// `generator` or `discriminator`.
    pub const NETWORK: &str = "gan.network";
}

/// The loop's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanOptions {
    pub epochs: usize,
    /// Real maps per step (and generated maps per step, for each network).
    pub batch: usize,
    pub adam: AdamSettings,
    /// The label of real maps in D's loss: 1, or 1 − s with one-sided label smoothing s.
    pub real_label: f64,
    /// Random dihedral rotations/flips of the real maps (the fields are statistically isotropic).
    pub augment: bool,
    /// Diagnostics every this many steps as well as after each epoch (0: after epochs only).
    pub diagnose_every: u64,
    /// Generated maps (from one fixed latent batch) and real maps per diagnostic.
    pub diagnostic_maps: usize,
    pub seed: u64,
}

impl GanOptions {
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::invalid("train gan", msg));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.batch < 2 {
            return bad(format!("--batch {} is too small: use at least 2 maps (the report: 32)", self.batch));
        }
        if self.diagnostic_maps < 16 {
            return bad(format!(
                "--diagnostic-maps {} is too few: the sample grid shows 16 and a scatter needs several",
                self.diagnostic_maps
            ));
        }
        self.adam.validate()
    }
    /// Steps per epoch over `n` training maps (an incomplete last batch is left out; another
    /// one each epoch, since the order is reshuffled).
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        (n / self.batch).max(1)
    }
}

/// Where a run stands (in both checkpoints' metadata).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanState {
    /// Completed epochs.
    pub epoch: usize,
    /// Completed steps (one D and one G update each).
    pub step: u64,
    /// Training time so far.
    pub seconds: f64,
}

/// One diagnostic point: `diagnostics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticPoint {
    pub step: u64,
    /// Epochs done, fractional between epoch ends.
    pub epoch: f64,
    /// Mean of σ_gen(k)/σ_real(k) over the bins with k ≤ k_Nyq/2 (1: healthy; → 0: collapse).
    pub scatter_ratio: f64,
    /// Mean of ⟨P_gen(k)⟩/⟨P_real(k)⟩ over the same bins.
    pub power_ratio: f64,
    /// Mean pairwise RMS distance (δ) between the generated maps, between the real ones, and
    /// their ratio.
    pub pairwise_generated: f64,
    pub pairwise_real: f64,
    pub pairwise_ratio: f64,
    /// D's accuracy in evaluation mode on the real and the generated maps of the diagnostic.
    pub d_accuracy_real: f64,
    pub d_accuracy_fake: f64,
    /// Mean D and G losses over the steps since the previous point.
    pub d_loss: f64,
    pub g_loss: f64,
    /// Fraction of generated pixels within 10⁻³ of ±1, where tanh has saturated.
    pub saturated: f64,
    /// Bin centres (h/Mpc) and the per-bin ratios.
    pub k: Vec<f64>,
    pub scatter_ratio_k: Vec<f64>,
    pub power_ratio_k: Vec<f64>,
}

/// One epoch: `metrics.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GanEpochMetrics {
    pub epoch: usize,
    pub step: u64,
    /// Means over the epoch's steps (training mode).
    pub d_loss: f64,
    pub g_loss: f64,
    /// D's accuracy on the real and generated maps of its training steps, and its mean outputs.
    pub d_accuracy_real: f64,
    pub d_accuracy_fake: f64,
    pub d_mean_real: f64,
    pub d_mean_fake: f64,
    /// The epoch-end diagnostic's summary (see [`DiagnosticPoint`]).
    pub scatter_ratio: f64,
    pub power_ratio: f64,
    pub pairwise_ratio: f64,
    pub d_eval_accuracy_real: f64,
    pub d_eval_accuracy_fake: f64,
    /// Real maps per second through the steps (each step also generates 2× as many).
    pub maps_per_s: f64,
    pub seconds: f64,
}

/// What the loop reads.
pub struct GanData<'a> {
    /// The training maps in the model's units, N × S × S.
    pub maps: ArrayView3<'a, f32>,
    /// δ ↔ model units.
    pub transform: ContrastTransform,
    /// Real maps in δ for the diagnostics (at least `diagnostic_maps`), M × S × S.
    pub reference: ArrayView3<'a, f32>,
    /// Side of the maps, h⁻¹Mpc (for k in h/Mpc).
    pub box_size: f64,
}

/// Everything [`train`] needs besides the data.
pub struct GanJob<'a> {
    pub arch: &'a GanArchitecture,
    pub options: &'a GanOptions,
    pub run: &'a RunDir,
    /// Continue from the run's checkpoints.
    pub resume: bool,
    pub progress: bool,
    /// Return as a crash would once this many steps are done in total (how tests interrupt).
    pub interrupt_at_step: Option<u64>,
}

/// What [`train`] returns.
pub struct GanOutcome {
    pub state: GanState,
    pub history: Vec<GanEpochMetrics>,
    pub diagnostics: Vec<DiagnosticPoint>,
}

/// The seed of one random stream of one step: `stream` 0 = D's latents, 1 = G's latents,
/// 2 = D's dropout, 3 = the dropout of D inside G's step.
fn stream_seed(seed: u64, step: u64, stream: u64) -> u64 {
    step_seed(step_seed(seed, step), stream)
}

/// The fixed latent batch of the diagnostics and the sample grids.
pub fn fixed_latents(seed: u64, n: usize, latent: usize) -> Vec<f32> {
    latents(step_seed(seed ^ 0xf1c5_ed1a, u64::MAX), n, latent)
}

/// The real batch of a step: maps `idx`, each with its dihedral augmentation.
fn real_batch(data: &GanData<'_>, idx: &[usize], augment: Option<(u64, usize, usize)>) -> Vec<f32> {
    let s = data.maps.len_of(Axis(1));
    let mut x = vec![0f32; idx.len() * s * s];
    for (b, &i) in idx.iter().enumerate() {
        let map = data.maps.index_axis(Axis(0), i);
        let src: Vec<f32> = map.iter().copied().collect();
        let out = &mut x[b * s * s..(b + 1) * s * s];
        match augment {
            Some((seed, epoch, first)) => dihedral(&src, s, augmentation(seed, epoch, first + b), out),
            None => out.copy_from_slice(&src),
        }
    }
    x
}

/// Checks that `n` maps of side `size` fit the networks and the options, before anything is
/// trained or written.
pub fn check_sizes(arch: &GanArchitecture, opts: &GanOptions, n: usize, size: usize) -> Result<()> {
    if size != arch.size {
        return Err(Error::invalid(
            "train gan",
            format!(
                "the maps are {size}×{size} but the generator makes and the discriminator takes {s}×{s} maps; \
                 give maps of {s}×{s} or build the networks for {size}×{size}",
                s = arch.size
            ),
        ));
    }
    if n < opts.batch {
        return Err(Error::invalid(
            "train gan",
            format!(
                "the data holds {n} maps, fewer than one batch of {}; use more maps or a smaller --batch",
                opts.batch
            ),
        ));
    }
    if n < opts.diagnostic_maps {
        return Err(Error::invalid(
            "train gan",
            format!(
                "the data holds {n} maps, fewer than the {} real maps each diagnostic compares with; \
                 use more maps or a smaller --diagnostic-maps",
                opts.diagnostic_maps
            ),
        ));
    }
    Ok(())
}

/// [`check_sizes`] on the loop's data, and its diagnostic reference.
pub fn check_data(arch: &GanArchitecture, opts: &GanOptions, data: &GanData<'_>) -> Result<()> {
    let (n, h, w) = data.maps.dim();
    if h != w {
        return Err(Error::invalid("train gan", format!("the maps must be square, got {h}×{w}")));
    }
    check_sizes(arch, opts, n, h)?;
    let (m, rh, rw) = data.reference.dim();
    if (rh, rw) != (h, w) || m < opts.diagnostic_maps {
        return Err(Error::invalid(
            "train gan",
            format!(
                "the diagnostics need {} real maps of {h}×{w}, got {m} of {rh}×{rw}",
                opts.diagnostic_maps
            ),
        ));
    }
    Ok(())
}

/// Running means of the step statistics between two reports.
#[derive(Default)]
struct Tally {
    n: usize,
    d: DiscriminatorStats,
    g: GeneratorStats,
}

impl Tally {
    fn add(&mut self, d: &DiscriminatorStats, g: &GeneratorStats) {
        self.n += 1;
        self.d.loss += d.loss;
        self.d.accuracy_real += d.accuracy_real;
        self.d.accuracy_fake += d.accuracy_fake;
        self.d.mean_real += d.mean_real;
        self.d.mean_fake += d.mean_fake;
        self.g.loss += g.loss;
        self.g.mean_fake += g.mean_fake;
    }
    fn mean(&self, v: f64) -> f64 {
        v / self.n.max(1) as f64
    }
}

/// Trains (or continues) a GAN; writes checkpoints, metrics, diagnostics and figures into the
/// run directory.
pub fn train<B: Backend>(be: B, job: &GanJob<'_>, data: &GanData<'_>) -> Result<GanOutcome> {
    let (arch, opts, run) = (job.arch, job.options, job.run);
    opts.validate()?;
    arch.validate()?;
    check_data(arch, opts, data)?;
    let mut t = GanTrainer::new(be.clone(), arch, &opts.adam, opts.real_label)?;
    let n = data.maps.len_of(Axis(0));
    let spe = opts.steps_per_epoch(n);
    let s = arch.size;

    let mut metadata = BTreeMap::new();
    metadata.insert(meta::ARCH.to_string(), arch.to_json());
    metadata.insert(meta::OPTIONS.to_string(), serde_json::to_string(opts).expect("options serialise"));
    metadata.insert(
        meta::TRANSFORM.to_string(),
        serde_json::to_string(&data.transform).expect("plain data"),
    );

    let (mut state, mut history, mut diagnostics) = if job.resume {
        resume(run, &mut t, arch, opts)?
    } else {
        (
            GanState {
                epoch: 0,
                step: 0,
                seconds: 0.0,
            },
            Vec::new(),
            Vec::new(),
        )
    };
    if state.epoch >= opts.epochs {
        return Ok(GanOutcome {
            state,
            history,
            diagnostics,
        });
    }
    std::fs::create_dir_all(run.file(gan_files::SAMPLES_DIR))
        .map_err(|e| Error::io(format!("cannot create {}", run.file(gan_files::SAMPLES_DIR).display()), e))?;
    let probe = Probe::new(&t, opts, data)?;

    let bar = progress_bar(job.progress, (opts.epochs * spe) as u64, state.step, "steps");
    for epoch in state.epoch..opts.epochs {
        let started = Instant::now();
        let order = epoch_order(opts.seed, epoch, n);
        let (mut epoch_tally, mut point_tally) = (Tally::default(), Tally::default());
        for b in 0..spe {
            let idx = &order[b * opts.batch..(b + 1) * opts.batch];
            let aug = opts.augment.then_some((opts.seed, epoch, b * opts.batch));
            let real = Tensor::from_f32(&be, &real_batch(data, idx, aug), &[opts.batch, 1, s, s])?;
            let step = state.step;
            let z_d = t.latent_tensor(&latents(stream_seed(opts.seed, step, 0), opts.batch, arch.latent))?;
            let z_g = t.latent_tensor(&latents(stream_seed(opts.seed, step, 1), opts.batch, arch.latent))?;
            // Steps 1–3: D on a real batch and a generated one.
            let fake = t.generate_for_training(&z_d)?;
            let d = match t.discriminator_step(&real, &fake, stream_seed(opts.seed, step, 2))? {
                Step::Done(d) => d,
                Step::NonFinite { network, why } => {
                    bar.abandon();
                    let culprit = t.diagnose(network, &real, &fake, &z_g, stream_seed(opts.seed, step, 2));
                    return Err(nan_error(&state, epoch, &why, &culprit, run));
                }
            };
            // Steps 4–6: G on fresh latents, through D.
            let g = match t.generator_step(&z_g, stream_seed(opts.seed, step, 3))? {
                Step::Done(g) => g,
                Step::NonFinite { network, why } => {
                    bar.abandon();
                    let culprit = t.diagnose(network, &real, &fake, &z_g, stream_seed(opts.seed, step, 3));
                    return Err(nan_error(&state, epoch, &why, &culprit, run));
                }
            };
            epoch_tally.add(&d, &g);
            point_tally.add(&d, &g);
            state.step += 1;
            if job.interrupt_at_step == Some(state.step) {
                bar.abandon();
                return Ok(GanOutcome {
                    state,
                    history,
                    diagnostics,
                });
            }
            bar.set_position(state.step);
            bar.set_message(format!(
                "epoch {}/{} D loss {:.3} G loss {:.3} D(x) {:.2} D(G(z)) {:.2}",
                epoch + 1,
                opts.epochs,
                d.loss,
                g.loss,
                d.mean_real,
                g.mean_fake
            ));
            let last = b + 1 == spe;
            if !last && opts.diagnose_every > 0 && state.step.is_multiple_of(opts.diagnose_every) {
                let epochs_done = epoch as f64 + (b + 1) as f64 / spe as f64;
                diagnostics.push(probe.point(&t, state.step, epochs_done, &point_tally)?);
                point_tally = Tally::default();
                write_lines(run, gan_files::DIAGNOSTICS, &diagnostics)?;
            }
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let point = probe.point(&t, state.step, (epoch + 1) as f64, &point_tally)?;
        let seconds = started.elapsed().as_secs_f64();
        state.epoch = epoch + 1;
        state.seconds += seconds;
        let e = &epoch_tally;
        let m = GanEpochMetrics {
            epoch: epoch + 1,
            step: state.step,
            d_loss: e.mean(e.d.loss),
            g_loss: e.mean(e.g.loss),
            d_accuracy_real: e.mean(e.d.accuracy_real),
            d_accuracy_fake: e.mean(e.d.accuracy_fake),
            d_mean_real: e.mean(e.d.mean_real),
            d_mean_fake: e.mean(e.d.mean_fake),
            scatter_ratio: point.scatter_ratio,
            power_ratio: point.power_ratio,
            pairwise_ratio: point.pairwise_ratio,
            d_eval_accuracy_real: point.d_accuracy_real,
            d_eval_accuracy_fake: point.d_accuracy_fake,
            maps_per_s: (spe * opts.batch) as f64 / train_seconds,
            seconds,
        };
        bar.println(format!(
            "epoch {:>3}: D loss {:.3}, G loss {:.3}, D accuracy real {:.2} fake {:.2}; scatter ratio {:.3}, \
             P(k) ratio {:.3}, pairwise ratio {:.3}; {:.1} maps/s",
            m.epoch,
            m.d_loss,
            m.g_loss,
            m.d_accuracy_real,
            m.d_accuracy_fake,
            m.scatter_ratio,
            m.power_ratio,
            m.pairwise_ratio,
            m.maps_per_s
        ));
        history.push(m);
        diagnostics.push(point);
        metadata.insert(meta::STATE.to_string(), serde_json::to_string(&state).expect("state serialises"));
        save_checkpoints(run, &t, &metadata)?;
        write_metrics(run, &history)?;
        write_lines(run, gan_files::DIAGNOSTICS, &diagnostics)?;
        let figures = [
            probe.sample_grid(&t, &run.file(&gan_files::sample_grid(epoch + 1)), epoch + 1),
            loss_plot(&history, &run.file(files::LOSS_PNG)),
            diagnostics_plot(&diagnostics, &run.file(gan_files::DIAGNOSTICS_PNG)),
        ];
        for f in figures {
            if let Err(e) = f {
                bar.println(format!("warning: {e}"));
            }
        }
    }
    bar.finish_and_clear();
    Ok(GanOutcome {
        state,
        history,
        diagnostics,
    })
}

/// The fixed inputs of the diagnostics: latents, real maps in δ and in model units.
struct Probe<'a, B: Backend> {
    z: Tensor<B>,
    real_model_units: Tensor<B>,
    reference: ArrayView3<'a, f32>,
    transform: ContrastTransform,
    box_size: f64,
    m: usize,
    size: usize,
}

impl<'a, B: Backend> Probe<'a, B> {
    fn new(t: &GanTrainer<B>, opts: &GanOptions, data: &GanData<'a>) -> Result<Self> {
        let m = opts.diagnostic_maps;
        let size = data.maps.len_of(Axis(1));
        let reference = data.reference.slice_move(s![..m, .., ..]);
        let real: Vec<f32> = reference.iter().map(|&d| data.transform.forward(d as f64) as f32).collect();
        Ok(Probe {
            z: t.latent_tensor(&fixed_latents(opts.seed, m, t.gan.arch.latent))?,
            real_model_units: Tensor::from_f32(&t.be, &real, &[m, 1, size, size])?,
            reference,
            transform: data.transform,
            box_size: data.box_size,
            m,
            size,
        })
    }

    /// The fixed latent batch through the generator (evaluation mode), in model units.
    fn generate(&self, t: &GanTrainer<B>) -> Result<(Tensor<B>, Array3<f32>)> {
        let x = t.sample(&self.z)?;
        let v = x.to_vec_f32(&t.be)?;
        let maps = Array3::from_shape_vec((self.m, self.size, self.size), v).expect("the generator's shape");
        Ok((x, maps))
    }

    fn point(&self, t: &GanTrainer<B>, step: u64, epoch: f64, tally: &Tally) -> Result<DiagnosticPoint> {
        let (x, maps) = self.generate(t)?;
        let saturated = maps.iter().filter(|v| v.abs() > 0.999).count() as f64 / maps.len() as f64;
        let (delta, _) = self.transform.inverse_maps(maps.view());
        let d = batch_diagnostics(delta.view(), self.reference, self.box_size)?;
        let accuracy = |p: Vec<f64>, real: bool| p.iter().filter(|&&p| (p > 0.5) == real).count() as f64 / p.len() as f64;
        Ok(DiagnosticPoint {
            step,
            epoch,
            scatter_ratio: d.scatter_ratio_mean,
            power_ratio: d.power_ratio_mean,
            pairwise_generated: d.pairwise_distance_generated,
            pairwise_real: d.pairwise_distance_real,
            pairwise_ratio: d.pairwise_ratio,
            d_accuracy_real: accuracy(t.judge(&self.real_model_units)?, true),
            d_accuracy_fake: accuracy(t.judge(&x)?, false),
            d_loss: tally.mean(tally.d.loss),
            g_loss: tally.mean(tally.g.loss),
            saturated,
            k: d.k,
            scatter_ratio_k: d.scatter_ratio,
            power_ratio_k: d.power_ratio,
        })
    }

    /// The first 16 maps of the fixed latent batch beside 16 real maps (model units).
    fn sample_grid(&self, t: &GanTrainer<B>, path: &std::path::Path, epoch: usize) -> Result<()> {
        let (_, maps) = self.generate(t)?;
        let real: Array3<f32> = self.reference.mapv(|d| self.transform.forward(d as f64) as f32);
        let shown = 16.min(self.m);
        fn panel(title: String, a: &Array3<f32>, shown: usize) -> MapPanel<'_> {
            MapPanel {
                title,
                maps: (0..shown).map(|i| a.index_axis(Axis(0), i)).collect(),
                cols: 4,
            }
        }
        let value = |v: f32| v as f64;
        save_map_panels(
            path,
            &[
                panel(format!("generated, epoch {epoch}"), &maps, shown),
                panel("training set".into(), &real, shown),
            ],
            &ColourScale {
                range: (-1.0, 1.0),
                value: &value,
            },
            2,
        )
    }
}

fn save_checkpoints<B: Backend>(run: &RunDir, t: &GanTrainer<B>, metadata: &BTreeMap<String, String>) -> Result<()> {
    // D first: a crash between the two leaves the generator (what sampling reads) at the
    // previous epoch, and resuming refuses the mismatch instead of mixing epochs.
    for (network, store, opt, file) in [
        ("discriminator", &t.d, &t.opt_d as &dyn Optimizer<B>, gan_files::DISCRIMINATOR),
        ("generator", &t.g, &t.opt_g as &dyn Optimizer<B>, gan_files::GENERATOR),
    ] {
        let mut m = metadata.clone();
        m.insert(meta::NETWORK.to_string(), network.to_string());
        checkpoint::save(run.file(file), store, Some(opt), &m)?;
    }
    Ok(())
}

/// Loads both checkpoints of a run into the trainer; returns the state and the histories up to
/// it.
fn resume<B: Backend>(
    run: &RunDir,
    t: &mut GanTrainer<B>,
    arch: &GanArchitecture,
    opts: &GanOptions,
) -> Result<(GanState, Vec<GanEpochMetrics>, Vec<DiagnosticPoint>)> {
    let incompatible = |why: String| {
        Error::Other(format!(
            "cannot resume {}: {why}; resume with the options the run was started with (they are in its {}), \
             or start a new run with --out",
            run.path.display(),
            files::CONFIG
        ))
    };
    let mut states = Vec::new();
    for (file, store, opt) in [
        (gan_files::GENERATOR, &mut t.g, &mut t.opt_g as &mut dyn Optimizer<B>),
        (gan_files::DISCRIMINATOR, &mut t.d, &mut t.opt_d as &mut dyn Optimizer<B>),
    ] {
        let path = run.file(file);
        if !path.is_file() {
            return Err(incompatible(format!("{} is missing (no epoch had finished?)", path.display())));
        }
        let info = checkpoint::inspect(&path)?;
        let saved: Option<GanArchitecture> = metadata_json(&info, meta::ARCH);
        if saved.as_ref() != Some(arch) {
            return Err(incompatible(format!(
                "{} holds the model {}, but this run asks for {}",
                path.display(),
                saved.map_or("(none)".into(), |a| a.to_json()),
                arch.to_json()
            )));
        }
        let state: GanState = load_resumable(&path, &info, opts, store, opt, |s: &GanState| s.step, &incompatible)?;
        states.push(state);
    }
    if states[0] != states[1] {
        return Err(incompatible(format!(
            "the generator is at step {} but the discriminator at step {} (the run stopped while saving)",
            states[0].step, states[1].step
        )));
    }
    let state = states.swap_remove(0);
    let history = read_metrics(run, |m: &GanEpochMetrics| m.epoch <= state.epoch)?;
    let diagnostics = read_lines(run, gan_files::DIAGNOSTICS, |d: &DiagnosticPoint| d.step <= state.step)?;
    Ok((state, history, diagnostics))
}

/// D's and G's mean losses per epoch.
pub fn loss_plot(history: &[GanEpochMetrics], path: &std::path::Path) -> Result<()> {
    let d: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.d_loss)).collect();
    let g: Vec<(f64, f64)> = history.iter().map(|m| (m.epoch as f64, m.g_loss)).collect();
    Plot::new("GAN training: mean BCE per epoch")
        .labels("epoch", "loss")
        .line("discriminator", &d)
        .line("generator −ln D(G(z))", &g)
        .save(path)
}

/// The mode-collapse diagnostics over steps: the ratios (1 = like the data), D's accuracies and
/// the losses.
pub fn diagnostics_plot(points: &[DiagnosticPoint], path: &std::path::Path) -> Result<()> {
    let series = |f: &dyn Fn(&DiagnosticPoint) -> f64| points.iter().map(|p| (p.step as f64, f(p))).collect::<Vec<_>>();
    let ratios = Plot::new("mode-collapse diagnostics (1 = like the data)")
        .labels("step", "ratio")
        .log_y()
        .line("scatter ratio σ_gen/σ_real (k ≤ k_Nyq/2)", &series(&|p| p.scatter_ratio.max(1e-4)))
        .line("pairwise distance gen/real", &series(&|p| p.pairwise_ratio.max(1e-4)))
        .line("P(k) ratio (k ≤ k_Nyq/2)", &series(&|p| p.power_ratio.max(1e-4)));
    let accuracy = Plot::new("discriminator accuracy (evaluation mode)")
        .labels("step", "accuracy")
        .y_range(0.0, 1.05)
        .line("on real maps", &series(&|p| p.d_accuracy_real))
        .line("on generated maps", &series(&|p| p.d_accuracy_fake));
    let losses = Plot::new("losses (mean since the previous point)")
        .labels("step", "BCE")
        .line("discriminator", &series(&|p| p.d_loss))
        .line("generator", &series(&|p| p.g_loss));
    save_grid(&[ratios, accuracy, losses], 3, (640, 420), path)
}

fn nan_error(state: &GanState, epoch: usize, why: &str, culprit: &str, run: &RunDir) -> Error {
    let kept = if state.epoch > 0 {
        format!("the checkpoints of epoch {} are kept in {}", state.epoch, run.path.display())
    } else {
        "no epoch had finished, so there is no checkpoint".into()
    };
    Error::Other(format!(
        "training stopped at step {} (epoch {}): {why}; {culprit}. The parameters were not updated; {kept}. \
         Lower --lr-g/--lr-d, or check the data for extreme values",
        state.step + 1,
        epoch + 1
    ))
}

/// Reads a run's generator for sampling: its architecture, transform and parameters.
pub fn load_generator<B: Backend>(be: &B, run: &RunDir) -> Result<(GanTrainer<B>, ContrastTransform)> {
    let path = run.file(gan_files::GENERATOR);
    if !path.is_file() {
        return Err(Error::Other(format!(
            "{} has no {} (training has not finished an epoch); train longer or give another --run",
            run.path.display(),
            gan_files::GENERATOR
        )));
    }
    let info = checkpoint::inspect(&path)?;
    let get = |key: &str| {
        info.metadata.get(key).ok_or_else(|| {
            Error::Other(format!(
                "{} has no `{key}` record; it was not written by `cosmograd train gan`",
                path.display()
            ))
        })
    };
    let arch = GanArchitecture::from_json(get(meta::ARCH)?)?;
    let transform: ContrastTransform = serde_json::from_str(get(meta::TRANSFORM)?)
        .map_err(|e| Error::Other(format!("{}: unreadable transform record ({e})", path.display())))?;
    let opts: GanOptions = serde_json::from_str(get(meta::OPTIONS)?)
        .map_err(|e| Error::Other(format!("{}: unreadable options record ({e})", path.display())))?;
    let mut t = GanTrainer::new(be.clone(), &arch, &opts.adam, opts.real_label)?;
    checkpoint::load(&path, &mut t.g, None)?;
    Ok((t, transform))
}
