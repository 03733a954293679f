//! A CMD data set: one memory-mapped maps file per field (the channels) and the parameters of
//! each simulation; map i belongs to simulation i / 15.

use crate::data::cmd::files;
use crate::data::cmd::maps::MappedMaps;
use crate::data::params::{MAPS_PER_SIM, N_PARAMS};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Which files to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetSpec {
    /// Fields stacked as channels, e.g. `["T"]` or `["T", "Mgas"]`.
    pub fields: Vec<String>,
    pub suite: String,
    /// LH, CV, 1P, …
    pub set: String,
}

impl DatasetSpec {
    /// From a comma-separated field list (`T,Mgas`), a suite and a set; names are checked and
    /// put in their canonical spelling.
    pub fn parse(fields: &str, suite: &str, set: &str) -> Result<Self> {
        let fields = fields
            .split(',')
            .filter(|f| !f.trim().is_empty())
            .map(|f| files::field_name(f).map(str::to_string))
            .collect::<Result<Vec<_>>>()?;
        if fields.is_empty() {
            return Err(Error::Other("no field given; e.g. --field T or --field T,Mgas".into()));
        }
        if let Some(dup) = fields.iter().enumerate().find(|(i, f)| fields[..*i].contains(f)) {
            return Err(Error::Other(format!("field `{}` is listed twice", dup.1)));
        }
        if set.trim().is_empty() || set.contains(['/', '\\']) {
            return Err(Error::Other(format!("`{set}` is not a set name; e.g. LH, CV, 1P")));
        }
        Ok(DatasetSpec {
            fields,
            suite: files::suite_name(suite)?,
            set: set.trim().to_string(),
        })
    }
}

/// The maps of every field and the parameters of every simulation, checked against each
/// other when opened.
pub struct CmdDataset {
    pub spec: DatasetSpec,
    channels: Vec<MappedMaps>,
    params: Vec<[f64; N_PARAMS]>,
    params_path: PathBuf,
}

impl CmdDataset {
    pub fn open(dir: &Path, spec: &DatasetSpec) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Other(format!("data directory {} does not exist", dir.display())));
        }
        let channels = spec
            .fields
            .iter()
            .map(|f| MappedMaps::open(&files::maps_path(dir, f, &spec.suite, &spec.set)?))
            .collect::<Result<Vec<_>>>()?;
        let first = &channels[0];
        for c in &channels[1..] {
            if (c.len(), c.size()) != (first.len(), first.size()) {
                return Err(Error::Other(format!(
                    "{} holds {} maps of {}², but {} holds {} maps of {}²: fields stacked as channels must match",
                    c.path().display(),
                    c.len(),
                    c.size(),
                    first.path().display(),
                    first.len(),
                    first.size()
                )));
            }
        }
        let params_path = files::params_path(dir, &spec.suite, &spec.set)?;
        let params = files::read_params(&params_path)?;
        let n = first.len();
        if n % MAPS_PER_SIM != 0 || n / MAPS_PER_SIM != params.len() {
            return Err(Error::Other(format!(
                "{} holds {n} maps, but {} has {} rows: CMD sets have {MAPS_PER_SIM} maps per simulation, so {} rows are needed",
                first.path().display(),
                params_path.display(),
                params.len(),
                n as f64 / MAPS_PER_SIM as f64
            )));
        }
        Ok(CmdDataset {
            spec: spec.clone(),
            channels,
            params,
            params_path,
        })
    }

    pub fn n_maps(&self) -> usize {
        self.channels[0].len()
    }

    pub fn n_sims(&self) -> usize {
        self.params.len()
    }

    /// Pixels a side.
    pub fn size(&self) -> usize {
        self.channels[0].size()
    }

    pub fn n_channels(&self) -> usize {
        self.channels.len()
    }

    /// The maps file of channel c.
    pub fn channel(&self, c: usize) -> &MappedMaps {
        &self.channels[c]
    }

    /// The simulation map i belongs to.
    pub fn sim_of_map(i: usize) -> usize {
        i / MAPS_PER_SIM
    }

    /// The maps of simulation s.
    pub fn maps_of_sim(s: usize) -> std::ops::Range<usize> {
        s * MAPS_PER_SIM..(s + 1) * MAPS_PER_SIM
    }

    /// The parameters of map i (row i / 15 of the parameter file).
    pub fn params_of_map(&self, i: usize) -> [f64; N_PARAMS] {
        self.params[Self::sim_of_map(i)]
    }

    /// The parameters of every simulation.
    pub fn params(&self) -> &[[f64; N_PARAMS]] {
        &self.params
    }

    pub fn params_path(&self) -> &Path {
        &self.params_path
    }
}
