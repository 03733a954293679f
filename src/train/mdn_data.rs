//! The data of an MDN run: which CMD files (or which cached synthetic set) it reads, its split
//! and preprocessing, and the adapter from the CMD loader (`data::cmd`) to the [`MapSet`] the
//! training loop reads.
//!
//! Preprocessing, in this order (recorded in every checkpoint under [`PREPROCESSING_KEY`], so
//! the model can be used without cosmograd): the loader's log10 per field (log10(1 + x) for
//! Mstar), standardisation with the training split's mean and standard deviation per field,
//! then, if the model takes smaller maps than the files hold, an average over f×f blocks.

use super::mdn::MapSet;
use super::mdn_eval::CrbFn;
use super::run_dir::RunDir;
use crate::data::cmd::{CmdDataset, DatasetSpec, Normaliser, Part, Split, Targets, NORMALISATION_FILE, SPLIT_FILE};
use crate::data::params::{self, NAMES, N_PARAMS, RANGES};
use crate::data::synthetic::cmd::{simulate_cmd, CmdSetConfig, FIELD, SUITE};
use crate::data::synthetic::cmd_model::CmdModel;
use crate::error::{Error, Result};
use crate::eval::fisher::CmdFisher;
use crate::eval::mixture::Scale;
use crate::models::{MdnArchitecture, Target};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Checkpoint metadata key of the preprocessing record.
pub const PREPROCESSING_KEY: &str = "mdn.preprocessing";

/// A synthetic CMD-like set generated for the run and cached, keyed by these settings and the
/// simulator's constants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticSpec {
    pub sims: usize,
    pub size: usize,
    pub seed: u64,
}

/// Where a run's maps come from and how they are split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    /// The directory of the CMD files.
    pub dir: PathBuf,
    /// Fields, stacked as channels in this order.
    pub fields: Vec<String>,
    pub suite: Option<String>,
    pub set: String,
    /// The side of the maps the model sees.
    pub size: Option<usize>,
    /// Use only the first `sims` simulations.
    pub sims: Option<usize>,
    /// Fractions of simulations for training, validation and test.
    pub split: [f64; 3],
    pub split_seed: u64,
    /// Set when the directory is a generated synthetic set.
    pub synthetic: Option<SyntheticSpec>,
    /// Where synthetic sets are cached.
    pub cache: Option<PathBuf>,
}

/// A split's maps for the training loop.
pub type Maps = Box<dyn MapSet>;

/// An opened data set: the three splits and what the checkpoint must record about them.
pub struct OpenData {
    pub train: Maps,
    pub val: Maps,
    pub test: Maps,
    pub total_maps: usize,
    pub total_sims: usize,
    /// How a stored map becomes the network's input (JSON, see [`PREPROCESSING_KEY`]).
    pub preprocessing: serde_json::Value,
    /// Per-target Cramér–Rao bound (physical units) for one map at a simulation's parameters;
    /// known for synthetic sets made by the current simulator.
    pub crb: Option<Box<CrbFn>>,
    split: Split,
    normaliser: Normaliser,
}

impl OpenData {
    /// Writes the split and the normalisation into a new run's directory.
    pub fn save(&self, run: &RunDir) -> Result<()> {
        self.split.save(&run.file(SPLIT_FILE))?;
        self.normaliser.save(&run.file(NORMALISATION_FILE))
    }
}

/// `Omega_m,sigma_8,…` → the targets, each min–max scaled over its prior range (in ln A for
/// the log-uniform feedback amplitudes), through the loader's target parser.
pub fn parse_targets(s: &str) -> Result<Vec<Target>> {
    let t = Targets::parse(s, true)?;
    Ok(t.indices.iter().map(|&i| target_of(i)).collect())
}

fn target_of(i: usize) -> Target {
    let (lo, hi) = RANGES[i];
    Target {
        name: NAMES[i].to_string(),
        scale: if params::LOG_UNIFORM[i] {
            Scale::Log { lo, hi }
        } else {
            Scale::Linear { lo, hi }
        },
    }
}

/// The loader's targets for an architecture's (checking that the scalings agree).
fn loader_targets(arch: &MdnArchitecture) -> Result<Targets> {
    let names: Vec<&str> = arch.targets.iter().map(|t| t.name.as_str()).collect();
    let t = Targets::parse(&names.join(","), true)?;
    for (j, (&i, target)) in t.indices.iter().zip(&arch.targets).enumerate() {
        if target_of(i) != *target {
            return Err(Error::Other(format!(
                "target {j} ({}) is scaled as {:?}; this cosmograd scales it as {:?}",
                target.name,
                target.scale,
                target_of(i).scale
            )));
        }
    }
    Ok(t)
}

/// The synthetic-set cache: `$COSMOGRAD_CACHE`, else `$XDG_CACHE_HOME/cosmograd`, else
/// `~/.cache/cosmograd`.
pub fn cache_root(given: Option<&Path>) -> PathBuf {
    if let Some(p) = given {
        return p.to_path_buf();
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("COSMOGRAD_CACHE")
        .or_else(|| env("XDG_CACHE_HOME").map(|p| p.join("cosmograd")))
        .or_else(|| env("HOME").map(|p| p.join(".cache").join("cosmograd")))
        .unwrap_or_else(|| PathBuf::from(".cosmograd-cache"))
}

/// The cache directory of a synthetic set: its settings and a hash of the simulator's
/// constants (a changed simulator never reuses an old set).
fn synthetic_dir(root: &Path, s: &SyntheticSpec) -> PathBuf {
    let model = serde_json::to_string(&CmdModel::default()).expect("the model serialises");
    let hash = model
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    root.join("cmd-synthetic")
        .join(format!("LH_sims{}_size{}_seed{}_model{:08x}", s.sims, s.size, s.seed, hash as u32))
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} maps {per_sec} (eta {eta})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Generates the synthetic set into the cache unless it is there: into a temporary directory
/// first, renamed into place when complete, so an interrupted generation is never reused.
fn ensure_synthetic(dir: &Path, s: &SyntheticSpec) -> Result<()> {
    if dir.join("simulation.json").is_file() {
        eprintln!("synthetic set: {} (cached)", dir.display());
        return Ok(());
    }
    let tmp = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let pb = bar((s.sims * params::MAPS_PER_SIM) as u64, "simulating");
    let cfg = CmdSetConfig {
        out: tmp.clone(),
        set: params::SetKind::Lh,
        sims: s.sims,
        size: s.size,
        seed: s.seed,
        at: None,
        model: CmdModel::default(),
        force: true,
    };
    let made = simulate_cmd(&cfg, &|n| pb.inc(n));
    pb.finish_and_clear();
    made?;
    std::fs::rename(&tmp, dir).map_err(|e| Error::io(format!("moving the synthetic set into {}", dir.display()), e))?;
    eprintln!("synthetic set: {} (generated)", dir.display());
    Ok(())
}

/// Fills in what the command line left open — the synthetic set's directory (generated now if
/// it is not cached), the suite, the map size — and checks the data, before any run directory
/// exists.
pub fn resolve(mut spec: DataSpec) -> Result<DataSpec> {
    if let Some(s) = &spec.synthetic {
        if spec.fields != [FIELD] {
            return Err(Error::Other(format!(
                "the synthetic set has one field, {FIELD}; drop --field {} or give --data",
                spec.fields.join(",")
            )));
        }
        if !spec.set.eq_ignore_ascii_case("LH") {
            return Err(Error::Other(
                "the synthetic training set is an LH set; drop --set or give --data".into(),
            ));
        }
        spec.dir = synthetic_dir(&cache_root(spec.cache.as_deref()), s);
        spec.suite = Some(SUITE.into());
        spec.set = "LH".into();
        spec.size = Some(s.size);
        spec.sims = None;
        ensure_synthetic(&spec.dir, s)?;
    }
    if !spec.dir.is_dir() {
        return Err(Error::Other(format!(
            "the data directory {} does not exist; give the directory of the CMD files with --data, \
             or leave --data out to train on the built-in synthetic set",
            spec.dir.display()
        )));
    }
    if spec.suite.is_none() {
        spec.suite = Some(find_suite(&spec.dir, &spec.fields[0], &spec.set)?);
    }
    let ds = open_dataset(&spec, None)?;
    let stored = ds.size();
    let size = spec.size.unwrap_or(stored);
    if size == 0 || !stored.is_multiple_of(size) {
        return Err(Error::Other(format!(
            "--size {size}: the maps are {stored}×{stored}; the model can take them at {stored} or at a size that \
             divides it (block-averaged), e.g. {}",
            stored / 2
        )));
    }
    spec.size = Some(size);
    if let Some(n) = spec.sims {
        if n > ds.n_sims() || n < 3 {
            return Err(Error::Other(format!(
                "--sims {n}: the data set has {} simulations; use between 3 and {}",
                ds.n_sims(),
                ds.n_sims()
            )));
        }
    }
    Ok(spec)
}

/// The one suite of `Maps_<field>_<suite>_<set>_z=…` files in `dir`, or an error naming them.
fn find_suite(dir: &Path, field: &str, set: &str) -> Result<String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::io(
            format!(
                "reading the data directory {} (give the directory of the CMD files with --data)",
                dir.display()
            ),
            e,
        )
    })?;
    let prefix = format!("Maps_{field}_");
    let suffix = format!("_{set}_z=");
    let mut suites: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter_map(|n| {
            let rest = n.strip_prefix(&prefix)?;
            rest.find(&suffix).map(|i| rest[..i].to_string())
        })
        .collect();
    suites.sort();
    suites.dedup();
    match suites.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Other(format!(
            "no Maps_{field}_<suite>_{set}_z=0.00.npy file in {}; check --data, --field and --set",
            dir.display()
        ))),
        many => Err(Error::Other(format!(
            "{} holds {field} maps of several suites ({}); choose one with --suite",
            dir.display(),
            many.join(", ")
        ))),
    }
}

fn open_dataset(spec: &DataSpec, moved_to: Option<&Path>) -> Result<CmdDataset> {
    let suite = spec.suite.as_deref().unwrap_or(SUITE);
    let ds_spec = DatasetSpec::parse(&spec.fields.join(","), suite, &spec.set)?;
    CmdDataset::open(moved_to.unwrap_or(&spec.dir), &ds_spec)
}

/// One split of a CMD data set, preprocessed for the model.
struct CmdMaps {
    shared: Arc<Shared>,
    maps: Vec<usize>,
}

struct Shared {
    ds: CmdDataset,
    norm: Normaliser,
    targets: Targets,
    /// Block-average factor from the stored size to the model's.
    factor: usize,
}

impl MapSet for CmdMaps {
    fn len(&self) -> usize {
        self.maps.len()
    }
    fn channels(&self) -> usize {
        self.shared.ds.n_channels()
    }
    fn size(&self) -> usize {
        self.shared.ds.size() / self.shared.factor
    }
    fn target_dim(&self) -> usize {
        self.shared.targets.len()
    }
    fn read_map(&self, i: usize, out: &mut [f32]) -> Result<()> {
        let sh = &*self.shared;
        let (m, big, f) = (self.maps[i], sh.ds.size(), sh.factor);
        let small = big / f;
        let mut scratch = vec![0f64; big * big];
        let mut full = vec![0f32; big * big];
        for (c, plane) in out.chunks_exact_mut(small * small).enumerate() {
            if f == 1 {
                sh.norm.apply(&sh.ds, c, m, &mut scratch, plane)?;
                continue;
            }
            sh.norm.apply(&sh.ds, c, m, &mut scratch, &mut full)?;
            let inv = 1.0 / (f * f) as f64;
            for (r, row) in plane.chunks_exact_mut(small).enumerate() {
                for (col, o) in row.iter_mut().enumerate() {
                    let mut sum = 0.0f64;
                    for y in r * f..(r + 1) * f {
                        sum += full[y * big + col * f..y * big + (col + 1) * f]
                            .iter()
                            .map(|&v| v as f64)
                            .sum::<f64>();
                    }
                    *o = (sum * inv) as f32;
                }
            }
        }
        Ok(())
    }
    fn targets(&self, i: usize, out: &mut [f64]) {
        let sh = &*self.shared;
        out.copy_from_slice(&sh.targets.scale(&sh.ds.params_of_map(self.maps[i])));
    }
    fn ids(&self, i: usize) -> (usize, usize) {
        let m = self.maps[i];
        (CmdDataset::sim_of_map(m), m)
    }
    fn params(&self, i: usize) -> Vec<f64> {
        self.shared.ds.params_of_map(self.maps[i]).to_vec()
    }
}

/// Opens the splits of a run. For a new run (`run` is `None`) it draws the split, fits the
/// normalisation on the training maps and reads every validation and test map once, so that a
/// bad map is reported before any training (`OpenData::save` then writes the split and the
/// normalisation into the new run's directory); an existing run's are read from its directory
/// and checked against the data. `moved_to` replaces the data directory recorded in the spec
/// (the same files elsewhere).
pub fn open(spec: &DataSpec, arch: &MdnArchitecture, run: Option<&RunDir>, moved_to: Option<&Path>) -> Result<OpenData> {
    let ds = open_dataset(spec, moved_to)?;
    let n_sims = spec.sims.unwrap_or(ds.n_sims());
    if n_sims > ds.n_sims() {
        return Err(Error::Other(format!(
            "the run used {n_sims} simulations, but {} has {}; give the run's data with --data",
            ds.channel(0).path().display(),
            ds.n_sims()
        )));
    }
    let stored = ds.size();
    if stored % arch.input_size != 0 || ds.n_channels() != arch.in_channels {
        return Err(Error::Other(format!(
            "the model takes {} channel(s) of {}×{}, but the data holds {} channel(s) of {stored}×{stored} maps \
             (the model's size must divide the maps' size); give the data the run was trained on",
            arch.in_channels,
            arch.input_size,
            arch.input_size,
            ds.n_channels()
        )));
    }
    let fresh = run.is_none();
    let (split, norm) = match run {
        Some(run) => (
            Split::load(&run.file(SPLIT_FILE), n_sims)?,
            Normaliser::load(&run.file(NORMALISATION_FILE), &ds)?,
        ),
        None => {
            let split = Split::by_simulation(n_sims, spec.split, spec.split_seed)?;
            let train = split.maps(Part::Train);
            let pb = bar(train.len() as u64, "normalisation");
            let norm = Normaliser::fit(&ds, &train, &|n| pb.inc(n));
            pb.finish_and_clear();
            (split, norm?)
        }
    };
    let preprocessing = serde_json::json!({
        "files": (0..ds.n_channels()).map(|c| ds.channel(c).path().display().to_string()).collect::<Vec<_>>(),
        "fields": ds.spec.fields,
        "log10": norm.channels.iter().all(|c| c.transform == crate::data::cmd::normalise::Transform::Log10),
        "transforms": norm.channels.iter().map(|c| c.transform).collect::<Vec<_>>(),
        "mean": norm.channels.iter().map(|c| c.mean).collect::<Vec<_>>(),
        "std": norm.channels.iter().map(|c| c.std).collect::<Vec<_>>(),
        "stored_size": stored,
        "size": arch.input_size,
        "block_average": stored / arch.input_size,
        "order": "transform (log10), standardise per field, then average f×f blocks",
    });
    let crb = synthetic_crb(&moved_to.map(Path::to_path_buf).unwrap_or(spec.dir.clone()), &ds, arch)?;
    let shared = Arc::new(Shared {
        targets: loader_targets(arch)?,
        factor: stored / arch.input_size,
        ds,
        norm: norm.clone(),
    });
    let part = |p: Part| -> Maps {
        Box::new(CmdMaps {
            shared: shared.clone(),
            maps: split.maps(p),
        })
    };
    let (train, val, test) = (part(Part::Train), part(Part::Valid), part(Part::Test));
    if fresh {
        // The normalisation read every training map; the others are checked here, so that a
        // bad map cannot stop the run after its first epoch.
        let pb = bar((val.len() + test.len()) as u64, "checking");
        for maps in [&val, &test] {
            let mut buf = vec![0f32; maps.channels() * maps.size() * maps.size()];
            for i in 0..maps.len() {
                maps.read_map(i, &mut buf)?;
                pb.inc(1);
            }
        }
        pb.finish_and_clear();
    }
    Ok(OpenData {
        train,
        val,
        test,
        total_maps: n_sims * params::MAPS_PER_SIM,
        total_sims: n_sims,
        preprocessing,
        crb,
        split,
        normaliser: norm,
    })
}

/// For a synthetic set made by this simulator (its `simulation.json` records the same model
/// constants): the per-map Cramér–Rao bound of each target at the stored map size, in physical
/// units (the Fisher matrix is in ln A for the amplitudes; σ_A = A σ_lnA exactly, since the
/// bound transforms with the Jacobian).
fn synthetic_crb(dir: &Path, ds: &CmdDataset, arch: &MdnArchitecture) -> Result<Option<Box<CrbFn>>> {
    let Ok(text) = std::fs::read_to_string(dir.join("simulation.json")) else {
        return Ok(None);
    };
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let model = CmdModel::default();
    if ds.spec.suite != SUITE || manifest["model"] != serde_json::to_value(&model).expect("the model serialises") {
        return Ok(None);
    }
    let indices = loader_targets(arch)?.indices;
    let n = ds.size();
    Ok(Some(Box::new(move |p: &[f64]| {
        let at: [f64; N_PARAMS] = p
            .try_into()
            .map_err(|_| Error::Other(format!("a simulation has {} parameters, not {N_PARAMS}", p.len())))?;
        let f = CmdFisher::compute(&model, at, n)?;
        Ok(indices
            .iter()
            .map(|&i| if params::LOG_UNIFORM[i] { at[i] * f.crb[i] } else { f.crb[i] })
            .collect())
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_scaled_as_the_loader_scales_them() {
        let t = parse_targets("sigma_8,A_SN1,A_AGN2").unwrap();
        let loader = Targets::parse("sigma_8,A_SN1,A_AGN2", true).unwrap();
        let theta = [0.3, 0.77, 2.5, 1.0, 0.7, 1.3];
        for (j, (mine, theirs)) in t.iter().zip(loader.scale(&theta)).enumerate() {
            let i = loader.indices[j];
            assert!((mine.scale.to_scaled(theta[i]) - theirs).abs() < 1e-15, "{}", mine.name);
            assert!((mine.scale.to_physical(theirs) - loader.unscale(j, theirs)).abs() < 1e-14);
        }
        assert!(parse_targets("Omega_m,Omega_b").unwrap_err().to_string().contains("Omega_b"));
    }

    #[test]
    fn the_cache_key_names_the_settings() {
        let d = synthetic_dir(
            Path::new("/c"),
            &SyntheticSpec {
                sims: 200,
                size: 128,
                seed: 3,
            },
        );
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        assert!(name.starts_with("LH_sims200_size128_seed3_model"), "{name}");
        assert!(d.starts_with("/c/cmd-synthetic"));
    }
}
