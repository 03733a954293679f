//! Input normalisation: log10 of each map (Mstar: log10(1 + x), it has empty pixels), then
//! one mean and standard deviation per channel, computed on the **training split only**, in
//! f64, streaming over maps (per-map moments merged with Chan et al.'s pairwise formula, which
//! neither overflows nor cancels).

use crate::data::atomic::write_atomic;
use crate::data::cmd::dataset::CmdDataset;
use crate::error::{Error, Result};
use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The pointwise transform of a field before standardisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transform {
    /// log10 x, x > 0.
    Log10,
    /// log10(1 + x), x > −1 (stellar mass maps, which are mostly 0).
    Log10OnePlus,
}

impl Transform {
    pub fn of_field(field: &str) -> Self {
        if field == "Mstar" {
            Transform::Log10OnePlus
        } else {
            Transform::Log10
        }
    }

    #[inline]
    fn apply(self, x: f64) -> f64 {
        match self {
            Transform::Log10 => x.log10(),
            Transform::Log10OnePlus => x.ln_1p() / std::f64::consts::LN_10,
        }
    }

    fn domain(self) -> &'static str {
        match self {
            Transform::Log10 => "positive values (log10 is taken)",
            Transform::Log10OnePlus => "values above −1 (log10(1 + x) is taken)",
        }
    }
}

/// Maps read between two releases of the mapped pages.
const RELEASE_EVERY: usize = 64;

/// The statistics of one channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelNorm {
    pub field: String,
    pub transform: Transform,
    pub mean: f64,
    pub std: f64,
}

/// Per-channel normalisation, fitted on the training maps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normaliser {
    pub channels: Vec<ChannelNorm>,
    /// How many maps the statistics were computed on.
    pub maps: usize,
}

/// (count, mean, M2) of a set of values, merged pairwise.
#[derive(Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn merge(self, o: Moments) -> Moments {
        if self.n == 0.0 {
            return o;
        }
        if o.n == 0.0 {
            return self;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        Moments {
            n,
            mean: self.mean + d * o.n / n,
            m2: self.m2 + o.m2 + d * d * self.n * o.n / n,
        }
    }
}

/// The transformed values of one map, checked: a non-finite input or one outside the
/// transform's domain is an error naming the map and the pixel.
fn transformed(ds: &CmdDataset, c: usize, map: usize, raw: ArrayView2<f32>, t: Transform, out: &mut [f64]) -> Result<()> {
    let s = raw.ncols();
    for (j, (o, &v)) in out.iter_mut().zip(raw.iter()).enumerate() {
        let y = t.apply(v as f64);
        if !y.is_finite() {
            return Err(Error::Other(format!(
                "{}: map {map} (simulation {}), pixel ({}, {}) is {v}; the {} field needs finite {}",
                ds.channel(c).path().display(),
                CmdDataset::sim_of_map(map),
                j / s,
                j % s,
                ds.spec.fields[c],
                t.domain()
            )));
        }
        *o = y;
    }
    Ok(())
}

impl Normaliser {
    /// Fits the statistics on `maps` (the training maps), reading each once, in parallel;
    /// `progress` is called with the number of maps done.
    pub fn fit(ds: &CmdDataset, maps: &[usize], progress: &(dyn Fn(u64) + Sync)) -> Result<Self> {
        if maps.is_empty() {
            return Err(Error::Other("no training maps to compute the normalisation on".into()));
        }
        let mut channels = Vec::new();
        for (c, field) in ds.spec.fields.iter().enumerate() {
            let t = Transform::of_field(field);
            let px = ds.size() * ds.size();
            let mut m = Moments::default();
            // In chunks, releasing the mapped pages after each, so that resident memory stays
            // at a chunk's worth whatever the file size.
            for chunk in maps.chunks(RELEASE_EVERY) {
                let part = chunk
                    .par_iter()
                    .map_init(
                        || vec![0.0; px],
                        |buf, &i| {
                            transformed(ds, c, i, ds.channel(c).map(i), t, buf)?;
                            let mean = buf.iter().sum::<f64>() / px as f64;
                            let m2 = buf.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
                            progress(1);
                            Ok(Moments { n: px as f64, mean, m2 })
                        },
                    )
                    .try_reduce(Moments::default, |a, b| Ok(a.merge(b)))?;
                m = m.merge(part);
                ds.channel(c).release();
            }
            let std = (m.m2 / m.n).sqrt();
            if std.is_nan() || std <= 0.0 {
                return Err(Error::Other(format!(
                    "field {field}: every training pixel has the same value; nothing to standardise"
                )));
            }
            channels.push(ChannelNorm {
                field: field.clone(),
                transform: t,
                mean: m.mean,
                std,
            });
        }
        Ok(Normaliser {
            channels,
            maps: maps.len(),
        })
    }

    /// Writes channel c of map i, transformed and standardised, into `out` (S² values);
    /// `scratch` holds S² f64.
    pub fn apply(&self, ds: &CmdDataset, c: usize, map: usize, scratch: &mut [f64], out: &mut [f32]) -> Result<()> {
        let ch = &self.channels[c];
        transformed(ds, c, map, ds.channel(c).map(map), ch.transform, scratch)?;
        let inv = 1.0 / ch.std;
        for (o, v) in out.iter_mut().zip(scratch.iter()) {
            *o = ((v - ch.mean) * inv) as f32;
        }
        Ok(())
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        write_atomic(path, text.as_bytes())
    }

    /// Reads saved statistics and checks they are for the data set's fields, in order.
    pub fn load(path: &Path, ds: &CmdDataset) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let n: Normaliser =
            serde_json::from_str(&text).map_err(|e| Error::Other(format!("{}: not a normalisation file: {e}", path.display())))?;
        let fields: Vec<&str> = n.channels.iter().map(|c| c.field.as_str()).collect();
        if fields != ds.spec.fields.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(Error::Other(format!(
                "{}: normalisation of fields {:?}, but the data has {:?}",
                path.display(),
                fields,
                ds.spec.fields
            )));
        }
        Ok(n)
    }
}
