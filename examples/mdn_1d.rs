//! The classic mixture density network demo (Bishop 1994, "Mixture Density Networks", §5):
//! data t ~ U(0, 1), x = t + 0.3 sin(2π t) + U(−0.1, 0.1). Predicting t from x is the inverse
//! problem: for x in the middle, three values of t fit, so a least-squares network would
//! answer their average, which fits none. An MLP with a K-component Gaussian-mixture head,
//! trained on the negative log-likelihood (`ops::gmm_nll`), learns the whole multimodal
//! p(t|x).
//!
//! Writes the learned conditional density as a heat map with the component means (opacity =
//! mixing weight), the data beside samples drawn from the model, and the loss curve.
//!
//!   cargo run --release --example mdn_1d

mod common;

use common::{batches, gather, out_dir, progress, Act, Mlp};
use cosmograd::backend::SigmaParam;
use cosmograd::eval::plot::{palette, Heatmap, Plot, RGBColor, SeriesLabelPosition};
use cosmograd::nn::optim::WarmupCosine;
use cosmograd::nn::{Adam, Init, Linear, Optimizer, ParamStore};
use cosmograd::ops::gmm_nll::gmm_nll;
use cosmograd::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::f64::consts::PI;

type Be = Cpu<f32>;
const K: usize = 5;
const HIDDEN: usize = 32;
const OPTS: GmmOptions = GmmOptions {
    isotropic: false,
    sigma: SigmaParam::Softplus { floor: 1e-3 },
};

/// An MLP body and the three heads of the mixture: logits, means and raw widths, each [N, K].
struct Mdn {
    body: Mlp,
    heads: [Linear; 3],
}

/// The mixture's parameters for one x, on the host.
struct Mixture {
    alpha: [f64; K],
    mu: [f64; K],
    sigma: [f64; K],
}

impl Mixture {
    fn density(&self, t: f64) -> f64 {
        (0..K)
            .map(|m| {
                let z = (t - self.mu[m]) / self.sigma[m];
                self.alpha[m] * (-0.5 * z * z).exp() / (self.sigma[m] * (2.0 * PI).sqrt())
            })
            .sum()
    }
    fn sample(&self, rng: &mut StdRng) -> f64 {
        let mut u: f64 = rng.random();
        let m = (0..K)
            .find(|&m| {
                u -= self.alpha[m];
                u < 0.0
            })
            .unwrap_or(K - 1);
        Normal::new(self.mu[m], self.sigma[m]).expect("σ > 0").sample(rng)
    }
}

impl Mdn {
    fn new(store: &mut ParamStore<Be>, seed: u64) -> Result<Self> {
        let body = Mlp::new(store, "body", &[1, HIDDEN, HIDDEN], Act::Tanh, seed)?;
        let head = |store: &mut ParamStore<Be>, name| Linear::new(store, name, HIDDEN, K, true, Init::XavierUniform, seed);
        Ok(Mdn {
            body,
            heads: [head(store, "logits")?, head(store, "means")?, head(store, "raw_sigma")?],
        })
    }
    /// (logits [N, K], means [N, K, 1], raw σ [N, K, 1]).
    fn forward<'t>(&self, store: &ParamStore<Be>, x: Var<'t, Be>) -> Result<[Var<'t, Be>; 3]> {
        let n = x.shape()[0];
        let h = self.body.forward(store, x)?.tanh()?;
        let [a, m, s] = &self.heads;
        Ok([
            a.forward(store, h)?,
            m.forward(store, h)?.reshape(&[n, K, 1])?,
            s.forward(store, h)?.reshape(&[n, K, 1])?,
        ])
    }
    fn nll<'t>(&self, store: &ParamStore<Be>, tape: &'t Tape<Be>, x: &[f64], t: &[f64]) -> Result<Var<'t, Be>> {
        let n = x.len();
        let [a, m, s] = self.forward(store, tape.input_f64(x, &[n, 1])?)?;
        gmm_nll(a, m, s, tape.input_f64(t, &[n, 1])?, OPTS)?.mean()
    }
    /// The mixture at each x, computed from the network's outputs exactly as gmm_nll reads them.
    fn mixtures(&self, store: &ParamStore<Be>, x: &[f64]) -> Result<Vec<Mixture>> {
        let tape = Tape::new(*store.backend()).no_grad();
        let [a, m, s] = self.forward(store, tape.input_f64(x, &[x.len(), 1])?)?;
        let (a, m, s) = (a.softmax()?.to_vec()?, m.to_vec()?, s.to_vec()?);
        Ok((0..x.len())
            .map(|i| {
                let mut mix = Mixture {
                    alpha: [0.0; K],
                    mu: [0.0; K],
                    sigma: [0.0; K],
                };
                for k in 0..K {
                    mix.alpha[k] = a[i * K + k];
                    mix.mu[k] = m[i * K + k];
                    mix.sigma[k] = OPTS.sigma.eval(s[i * K + k]).0;
                }
                mix
            })
            .collect())
    }
}

fn main() -> Result<()> {
    let be = Be::default();
    let mut rng = StdRng::seed_from_u64(3);
    let n = 2500;
    let t: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let x: Vec<f64> = t
        .iter()
        .map(|&t| t + 0.3 * (2.0 * PI * t).sin() + rng.random_range(-0.1..0.1))
        .collect();

    let mut store = ParamStore::new(be);
    let mdn = Mdn::new(&mut store, 7)?;
    let (epochs, batch) = (600, 250);
    // Cosine decay: a constant rate keeps the NLL jumping by ±0.1 late in training.
    let mut opt = Adam::new(5e-3).with_schedule(WarmupCosine {
        lr: 5e-3,
        min_lr: 2e-4,
        warmup: 100,
        total: (epochs * n / batch) as u64,
    });
    println!("MDN: K = {K}, {} parameters, {} steps", store.num_params(), epochs * n / batch);

    let mut curve = vec![];
    let pb = progress(epochs as u64, "mdn");
    for epoch in 1..=epochs {
        let mut sum = 0.0;
        let bs = batches(n, batch, &mut rng);
        for idx in &bs {
            let tape = Tape::new(be).training(true);
            let loss = mdn.nll(&store, &tape, &gather(&x, 1, idx), &gather(&t, 1, idx))?;
            sum += loss.item()?;
            let grads = tape.backward(loss)?;
            // The tape holds the parameters; dropping it first lets the step update in place
            // (the aliasing rule of `Backend::adam_update`).
            drop(tape);
            opt.step(&mut store, &grads)?;
        }
        let nll = sum / bs.len() as f64;
        curve.push((epoch as f64, nll));
        pb.set_message(format!("nll {nll:.4}"));
        if epoch == 1 || epoch % 50 == 0 {
            pb.suspend(|| println!("epoch {epoch:4}  mean NLL {nll:+.4}"));
        }
        pb.inc(1);
    }
    pb.finish();

    let out = out_dir();
    let (nx, ny) = (240, 240);
    let (x_lo, x_hi, t_lo, t_hi) = (-0.15, 1.15, -0.1, 1.1);
    let gx: Vec<f64> = (0..nx).map(|i| x_lo + (i as f64 + 0.5) * (x_hi - x_lo) / nx as f64).collect();
    let mixes = mdn.mixtures(&store, &gx)?;
    let mut values = vec![0.0; nx * ny];
    for (i, mix) in mixes.iter().enumerate() {
        let column: Vec<f64> = (0..ny)
            .map(|j| mix.density(t_lo + (j as f64 + 0.5) * (t_hi - t_lo) / ny as f64))
            .collect();
        // Each column scaled to its own peak: p(t|x) is a density in t for each x, and the
        // three-branch middle would otherwise look faint beside the one-branch ends.
        let peak = column.iter().cloned().fold(0.0, f64::max);
        for (j, p) in column.iter().enumerate() {
            values[j * nx + i] = p / peak;
        }
    }
    let data: Vec<(f64, f64)> = x.iter().copied().zip(t.iter().copied()).collect();
    let mut plot = Plot::new("MDN: p(t | x) / max_t p(t | x), data (white), means (opacity = weight)")
        .labels("x", "t")
        .size(900, 750)
        .x_range(x_lo, x_hi)
        .y_range(t_lo, t_hi)
        .heatmap(Heatmap {
            x_range: (x_lo, x_hi),
            y_range: (t_lo, t_hi),
            nx,
            ny,
            values,
        })
        .legend_at(SeriesLabelPosition::UpperLeft)
        .weighted_points("data", &data.iter().step_by(2).map(|&(a, b)| (a, b, 0.25)).collect::<Vec<_>>(), 1)
        .color(RGBColor(255, 255, 255));
    for k in 0..K {
        let means: Vec<(f64, f64, f64)> = mixes.iter().zip(&gx).step_by(3).map(|(m, &xi)| (xi, m.mu[k], m.alpha[k])).collect();
        plot = plot.weighted_points(&format!("mean {}", k + 1), &means, 3).color(palette(k + 1));
    }
    plot.save(out.join("mdn_1d_density.png"))?;

    let fitted = mdn.mixtures(&store, &x)?;
    let samples: Vec<(f64, f64)> = fitted.iter().zip(&x).map(|(m, &xi)| (xi, m.sample(&mut rng))).collect();
    Plot::new("MDN: data and samples from the learned p(t | x) at the same x")
        .labels("x", "t")
        .points("data", &data, 2)
        .points("model samples", &samples, 2)
        .save(out.join("mdn_1d_samples.png"))?;
    Plot::new("MDN: mean negative log-likelihood")
        .labels("epoch", "NLL")
        .line("train", &curve)
        .save(out.join("mdn_1d_loss.png"))?;
    println!(
        "final mean NLL {:+.4}; wrote mdn_1d_{{density,samples,loss}}.png to {}",
        curve.last().unwrap().1,
        out.display()
    );
    Ok(())
}
