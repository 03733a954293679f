//! `cosmograd eval <what>`: judging trained models and what they produced. `eval fields`
//! judges generated density maps against real ones (`cli/eval_fields.rs`). `eval mdn --run RUN` evaluates an MDN
//! run's best checkpoint on its held-out test simulations: accuracy, calibration, and on
//! synthetic data the distance to the Cramér–Rao bound (notes/results-mdn.md explains each
//! number); it writes `eval.json`, `predictions.csv` and figures into the run directory.

use super::train::RunConfig;
use crate::backend::Cpu;
use crate::error::{Error, Result};
use crate::models::Mdn;
use crate::nn::{checkpoint, ParamStore};
use crate::train::mdn::meta;
use crate::train::mdn_data::{self, OpenData};
use crate::train::mdn_eval::{evaluate, predict, write_outputs, EvalReport};
use crate::train::run_dir::{files, RunDir};
use clap::Subcommand;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Subcommand, Debug)]
pub enum What {
    /// Evaluate an MDN run on its test simulations (per-parameter accuracy and calibration).
    Mdn(MdnArgs),
    /// Judge generated density maps against real ones with the field-statistics suite.
    Fields(super::eval_fields::Args),
}

#[derive(clap::Args, Debug)]
pub struct MdnArgs {
    /// The run directory of `cosmograd train mdn`.
    #[arg(long)]
    pub run: PathBuf,
    /// The data directory, if it moved since training (it must hold the same maps).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Replace an earlier evaluation's files in the run directory.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<i32> {
    match a.what {
        What::Mdn(m) => run_mdn(m),
        What::Fields(f) => super::eval_fields::run(f),
    }
}

fn run_mdn(a: MdnArgs) -> Result<i32> {
    let run = RunDir::open(&a.run)?;
    for f in [files::EVAL_JSON, files::PREDICTIONS] {
        run.check_writable(f, a.force)?;
    }
    let config: RunConfig = serde_json::from_str(&run.read_text(files::CONFIG)?)
        .map_err(|e| Error::Other(format!("{} is damaged: {e}", run.file(files::CONFIG).display())))?;
    let data = mdn_data::open(&config.data, &config.arch, Some(&run), a.data.as_deref())?;
    let report = evaluate_run(&run, &config, &data, !a.json)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Other(e.to_string()))?
        );
    } else {
        print!("{}", summary_table(&report));
    }
    Ok(0)
}

/// Evaluates the run's best checkpoint on the test split and writes the files.
pub fn evaluate_run(run: &RunDir, config: &RunConfig, data: &OpenData, progress: bool) -> Result<EvalReport> {
    let be = Cpu::<f32>::default();
    let mut store = ParamStore::new(be);
    let model = Mdn::new(&mut store, &config.arch)?;
    let best = run.file(files::BEST);
    if !best.is_file() {
        return Err(Error::Other(format!(
            "{} has no best checkpoint yet (no epoch finished); train it first",
            run.path.display()
        )));
    }
    let info = checkpoint::load(&best, &mut store, None)?;
    if progress {
        eprintln!("evaluating {} on {} test maps…", best.display(), data.test.len());
    }
    let preds = predict(&be, &model, &store, &config.arch, data.test.as_ref(), config.train.batch)?;
    let crb = data.crb.as_deref();
    let mut report = evaluate(&preds, &config.arch, "test", crb, config.train.seed)?;
    if let Some(state) = info.metadata.get(meta::STATE) {
        let state: serde_json::Value = serde_json::from_str(state).unwrap_or_default();
        report.info.insert("checkpoint".into(), state);
    }
    report
        .info
        .insert("arch".into(), serde_json::to_value(&config.arch).unwrap_or_default());
    report
        .info
        .insert("data".into(), serde_json::to_value(&config.data).unwrap_or_default());
    write_outputs(run, &report, &preds, &config.arch)?;
    Ok(report)
}

/// The report as an aligned text table.
pub fn summary_table(r: &EvalReport) -> String {
    let mut s = format!(
        "test split: {} maps of {} simulations, mean NLL {:.3} (scaled targets)\n",
        r.n_maps, r.n_sims, r.nll
    );
    let _ = writeln!(
        s,
        "{:<9} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6} {:>7} {:>7} {:>7}",
        "param", "RMSE", "prior", "R²", "χ²/N", "68%", "95%", "PIT p", "CRB²/MSE", "σ/CRB"
    );
    for p in &r.params {
        let (eff, sig) = p.crb.as_ref().map_or(("–".into(), "–".into()), |c| {
            (format!("{:.2}", c.efficiency), format!("{:.2}", c.sigma_over_crb))
        });
        let _ = writeln!(
            s,
            "{:<9} {:>9.4} {:>9.4} {:>6.3} {:>6.2} {:>6.3} {:>6.3} {:>7.3} {:>8} {:>7}",
            p.name, p.rmse, p.prior_rmse, p.r2, p.chi2_reduced, p.coverage_68, p.coverage_95, p.pit_ks_p, eff, sig
        );
    }
    s
}
