//! Evaluating a trained MDN on held-out maps: the network's mixture for every map, turned
//! into per-parameter marginals in physical units (`eval::mixture`), judged by
//! `eval::calibration`, and written as `eval.json`, `predictions.csv` and figures.
//!
//! `predictions.csv` has one row per map: `sim`, `map`, and per target `<name>_true`,
//! `<name>_mean`, `<name>_std` (of the mixture marginal), `<name>_q023`, `<name>_q159`,
//! `<name>_q841`, `<name>_q977` (its 2.275/15.866/84.134/97.725 % quantiles, the ±1σ and ±2σ
//! central intervals) and `<name>_pit` (its distribution function at the true value), in
//! physical units — enough to recompute every number and figure without cosmograd.

use super::mdn::MapSet;
use super::run_dir::{files, RunDir};
use crate::autodiff::Tape;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::eval::calibration::{coverage_curve, param_metrics, ParamMetrics, Point, P68, P95};
use crate::eval::mixture::{Marginal, Mixture1d};
use crate::eval::plot::{palette, save_grid, Plot, SeriesLabelPosition};
use crate::models::{Mdn, MdnArchitecture};
use crate::nn::ParamStore;
use crate::tensor::Tensor;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One map's prediction.
#[derive(Clone, Debug)]
pub struct MapPrediction {
    pub sim: usize,
    pub map: usize,
    /// The true value of each target, physical units.
    pub truth: Vec<f64>,
    /// Each target's marginal posterior.
    pub marginals: Vec<Marginal>,
    /// −ln p(y|x) of the full mixture in the scaled targets.
    pub nll: f64,
    /// All parameters of the map's simulation (for the Cramér–Rao bound), physical units.
    pub params: Vec<f64>,
}

/// The mixture the network predicts for every map of `data`, in evaluation mode.
pub fn predict<B: Backend>(
    be: &B,
    model: &Mdn,
    store: &ParamStore<B>,
    arch: &MdnArchitecture,
    data: &dyn MapSet,
    batch: usize,
) -> Result<Vec<MapPrediction>> {
    let (c, s, d) = (data.channels(), data.size(), arch.target_dim());
    let head = model.head();
    let k = head.components;
    let per = c * s * s;
    let mut out = Vec::with_capacity(data.len());
    let all: Vec<usize> = (0..data.len()).collect();
    for idx in all.chunks(batch.max(1)) {
        let n = idx.len();
        let mut x = vec![0f32; n * per];
        let mut y = vec![0f64; n * d];
        for (b, &i) in idx.iter().enumerate() {
            data.read_map(i, &mut x[b * per..(b + 1) * per])?;
            data.targets(i, &mut y[b * d..(b + 1) * d]);
        }
        let tape = Tape::new(be.clone()).no_grad();
        let xv = tape.input(Tensor::from_f32(be, &x, &[n, c, s, s])?);
        let yv = tape.input(Tensor::from_f64(be, &y, &[n, d])?);
        let m = model.forward(store, xv)?;
        let nll = head.nll(&m, yv)?.to_vec()?;
        let (logits, means, raw) = (m.logits.to_vec()?, m.means.to_vec()?, m.raw_sigma.to_vec()?);
        for (b, &i) in idx.iter().enumerate() {
            let l = &logits[b * k..(b + 1) * k];
            let top = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = l.iter().map(|v| (v - top).exp()).collect();
            let z: f64 = e.iter().sum();
            let w: Vec<f64> = e.iter().map(|v| v / z).collect();
            let (sim, map) = data.ids(i);
            let params = data.params(i);
            let mut marginals = Vec::with_capacity(d);
            let mut truth = Vec::with_capacity(d);
            for (t, target) in arch.targets.iter().enumerate() {
                let mu: Vec<f64> = (0..k).map(|m| means[(b * k + m) * d + t]).collect();
                let sig: Vec<f64> = (0..k)
                    .map(|m| {
                        let r = if head.isotropic { raw[b * k + m] } else { raw[(b * k + m) * d + t] };
                        head.sigma.eval(r).0
                    })
                    .collect();
                marginals.push(Marginal {
                    mixture: Mixture1d::new(w.clone(), mu, sig)?,
                    scale: target.scale,
                });
                truth.push(target.scale.to_physical(y[b * d + t]));
            }
            out.push(MapPrediction {
                sim,
                map,
                truth,
                marginals,
                nll: nll[b],
                params,
            });
        }
    }
    Ok(out)
}

/// The whole evaluation, as `eval.json` holds it.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Which split was evaluated.
    pub split: String,
    pub n_maps: usize,
    pub n_sims: usize,
    /// Mean −ln p(y|x) of the joint mixture, scaled targets (the training loss's units).
    pub nll: f64,
    pub params: Vec<ParamMetrics>,
    /// The central probabilities of the two coverage figures.
    pub nominal: [f64; 2],
    /// What else the caller wants on record (checkpoint epoch, data, …).
    pub info: BTreeMap<String, serde_json::Value>,
}

/// The per-map Cramér–Rao bound of each target (physical units) at a simulation's parameters.
pub type CrbFn = dyn Fn(&[f64]) -> Result<Vec<f64>>;

/// Metrics of every target. `crb(params)` gives, if known, each target's Cramér–Rao bound (in
/// physical units) for one map at the parameters `params` of its simulation.
pub fn evaluate(preds: &[MapPrediction], arch: &MdnArchitecture, split: &str, crb: Option<&CrbFn>, seed: u64) -> Result<EvalReport> {
    if preds.is_empty() {
        return Err(Error::invalid("eval", format!("the {split} split holds no maps")));
    }
    // One bound per simulation: its maps share the parameters.
    let mut bounds: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    if let Some(f) = crb {
        for p in preds {
            if let std::collections::btree_map::Entry::Vacant(e) = bounds.entry(p.sim) {
                e.insert(f(&p.params)?);
            }
        }
    }
    let params = arch
        .targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let points: Vec<Point> = preds
                .iter()
                .map(|p| Point {
                    sim: p.sim,
                    truth: p.truth[t],
                    marginal: p.marginals[t].clone(),
                    crb: bounds.get(&p.sim).map(|b| b[t]),
                })
                .collect();
            param_metrics(&target.name, &points, 200, seed)
        })
        .collect();
    let n_sims = preds.iter().map(|p| p.sim).collect::<std::collections::BTreeSet<_>>().len();
    Ok(EvalReport {
        split: split.to_string(),
        n_maps: preds.len(),
        n_sims,
        nll: preds.iter().map(|p| p.nll).sum::<f64>() / preds.len() as f64,
        params,
        nominal: [P68, P95],
        info: BTreeMap::new(),
    })
}

/// The quantiles written per target: the ±2σ and ±1σ central intervals.
pub const QUANTILES: [(&str, f64); 4] = [
    ("q023", (1.0 - P95) / 2.0),
    ("q159", (1.0 - P68) / 2.0),
    ("q841", (1.0 + P68) / 2.0),
    ("q977", (1.0 + P95) / 2.0),
];

/// `predictions.csv` as text.
pub fn predictions_csv(preds: &[MapPrediction], arch: &MdnArchitecture) -> String {
    let mut s = String::from("sim,map");
    for t in &arch.targets {
        for col in ["true", "mean", "std", "q023", "q159", "q841", "q977", "pit"] {
            let _ = write!(s, ",{}_{col}", t.name);
        }
    }
    s.push('\n');
    for p in preds {
        let _ = write!(s, "{},{}", p.sim, p.map);
        for (t, m) in p.marginals.iter().enumerate() {
            let (mean, std) = m.moments();
            let _ = write!(s, ",{},{mean},{std}", p.truth[t]);
            for (_, q) in QUANTILES {
                let _ = write!(s, ",{}", m.quantile(q));
            }
            let _ = write!(s, ",{}", m.cdf(p.truth[t]));
        }
        s.push('\n');
    }
    s
}

/// Writes `eval.json`, `predictions.csv` and the figures into the run directory; returns the
/// files written. The JSON and CSV come first, so a figure that fails (no font) loses nothing.
pub fn write_outputs(run: &RunDir, report: &EvalReport, preds: &[MapPrediction], arch: &MdnArchitecture) -> Result<Vec<String>> {
    run.write_json(files::EVAL_JSON, report)?;
    run.write_text(files::PREDICTIONS, &predictions_csv(preds, arch))?;
    let mut written = vec![files::EVAL_JSON.to_string(), files::PREDICTIONS.to_string()];
    for (name, result) in [
        (PRED_PNG, pred_vs_true_plot(run, report, preds, arch)),
        (PIT_PNG, pit_plot(run, report)),
        (COVERAGE_PNG, coverage_plot(run, report, preds)),
    ] {
        result?;
        written.push(name.to_string());
    }
    Ok(written)
}

pub const PRED_PNG: &str = "pred_vs_true.png";
pub const PIT_PNG: &str = "pit.png";
pub const COVERAGE_PNG: &str = "coverage.png";

/// Predicted against true value per parameter, with ±1σ bars of the marginal (thesis Fig. 24).
fn pred_vs_true_plot(run: &RunDir, report: &EvalReport, preds: &[MapPrediction], arch: &MdnArchitecture) -> Result<()> {
    let plots: Vec<Plot> = arch
        .targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let m = &report.params[t];
            let pts: Vec<(f64, f64, f64, f64)> = preds
                .iter()
                .map(|p| {
                    let (mean, std) = p.marginals[t].moments();
                    (p.truth[t], mean, mean - std, mean + std)
                })
                .collect();
            let (lo, hi) = target.scale.range();
            Plot::new(&format!(
                "{}: RMSE {:.3} (prior {:.3}), R² {:.2}",
                target.name, m.rmse, m.prior_rmse, m.r2
            ))
            .labels(&format!("true {}", target.name), "predicted (mean ± σ)")
            .x_range(lo, hi)
            .y_range(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
            .line("", &[(lo, lo), (hi, hi)])
            .color(crate::eval::plot::RGBColor(0, 0, 0))
            .error_bars("", &pts)
            .color(palette(0))
        })
        .collect();
    save_grid(&plots, plots.len().min(3), (520, 440), run.file(PRED_PNG))
}

/// PIT histograms per parameter (flat at 1 for calibrated posteriors).
fn pit_plot(run: &RunDir, report: &EvalReport) -> Result<()> {
    let plots: Vec<Plot> = report
        .params
        .iter()
        .map(|m| {
            let bars: Vec<(f64, f64, f64)> = m
                .pit_hist
                .iter()
                .enumerate()
                .map(|(i, f)| (i as f64 / 10.0, (i + 1) as f64 / 10.0, f * 10.0))
                .collect();
            Plot::new(&format!("{}: PIT (KS p = {:.2})", m.name, m.pit_ks_p))
                .labels("F(θ_true)", "density")
                .x_range(0.0, 1.0)
                .y_range(0.0, bars.iter().map(|b| b.2).fold(2.0, f64::max))
                .bars("", &bars)
                .line("uniform", &[(0.0, 1.0), (1.0, 1.0)])
                .color(crate::eval::plot::RGBColor(0, 0, 0))
        })
        .collect();
    save_grid(&plots, plots.len().min(3), (520, 400), run.file(PIT_PNG))
}

/// Empirical against nominal coverage of the central intervals, one line per parameter.
fn coverage_plot(run: &RunDir, report: &EvalReport, preds: &[MapPrediction]) -> Result<()> {
    let mut plot = Plot::new("coverage of the central intervals of the marginals")
        .labels("nominal probability", "fraction of test maps inside")
        .x_range(0.0, 1.0)
        .y_range(0.0, 1.0)
        .legend_at(SeriesLabelPosition::UpperLeft)
        .line("ideal", &[(0.0, 0.0), (1.0, 1.0)])
        .color(crate::eval::plot::RGBColor(0, 0, 0));
    for (t, m) in report.params.iter().enumerate() {
        let pit: Vec<f64> = preds.iter().map(|p| p.marginals[t].cdf(p.truth[t])).collect();
        plot = plot.line(&m.name, &coverage_curve(&pit)).color(palette(t));
    }
    plot.save(run.file(COVERAGE_PNG))
}
