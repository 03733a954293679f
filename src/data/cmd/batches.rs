//! Mini-batches of normalised maps and scaled targets: `[B, C, S, S]` f32 inputs (NCHW, the
//! fields as channels) and `[B, D]` f32 targets. Only the batch's own maps are read (the files
//! are memory-mapped), in parallel over the batch; each map's values are checked as it is read.

use crate::data::cmd::augment::Dihedral;
use crate::data::cmd::dataset::CmdDataset;
use crate::data::cmd::normalise::Normaliser;
use crate::data::cmd::targets::Targets;
use crate::data::grf::substream;
use crate::error::{Error, Result};
use ndarray::{Array2, Array4};
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;

/// One batch.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[B, C, S, S]`, standardised.
    pub x: Array4<f32>,
    /// `[B, D]`, min–max scaled to [0, 1].
    pub y: Array2<f32>,
    /// The map index of each row (the simulation is `map / 15`).
    pub maps: Vec<usize>,
}

/// An iterator over the batches of a list of maps (the last batch may be smaller).
pub struct Batches<'a> {
    ds: &'a CmdDataset,
    norm: &'a Normaliser,
    targets: &'a Targets,
    order: Vec<usize>,
    batch: usize,
    next: usize,
    augment: Option<u64>,
}

impl<'a> Batches<'a> {
    /// `shuffle`: a seed to shuffle the maps with (pass a new one each epoch); `augment`: a seed
    /// from which each map draws one of the 8 dihedral transforms (likewise per epoch).
    pub fn new(
        ds: &'a CmdDataset,
        norm: &'a Normaliser,
        targets: &'a Targets,
        maps: &[usize],
        batch: usize,
        shuffle: Option<u64>,
        augment: Option<u64>,
    ) -> Result<Self> {
        if batch == 0 {
            return Err(Error::Other("the batch size must be at least 1".into()));
        }
        if let Some(&bad) = maps.iter().find(|&&m| m >= ds.n_maps()) {
            return Err(Error::Other(format!(
                "map {bad} does not exist: the data set has {} maps",
                ds.n_maps()
            )));
        }
        if norm.channels.len() != ds.n_channels() {
            return Err(Error::Other(format!(
                "the normalisation has {} channels, the data set {}",
                norm.channels.len(),
                ds.n_channels()
            )));
        }
        let mut order = maps.to_vec();
        if let Some(seed) = shuffle {
            order.shuffle(&mut Xoshiro256PlusPlus::seed_from_u64(seed));
        }
        Ok(Batches {
            ds,
            norm,
            targets,
            order,
            batch,
            next: 0,
            augment,
        })
    }

    /// How many batches the iterator yields in all.
    pub fn n_batches(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }

    fn read(&self, maps: &[usize]) -> Result<Batch> {
        let (c, s) = (self.ds.n_channels(), self.ds.size());
        let px = s * s;
        let mut x = Array4::<f32>::zeros((maps.len(), c, s, s));
        let flat = x.as_slice_mut().expect("a fresh array is contiguous");
        flat.par_chunks_mut(c * px).zip(maps.par_iter()).try_for_each_init(
            || (vec![0.0f64; px], vec![0.0f32; px]),
            |(scratch, tmp), (chunk, &m)| {
                let t = self
                    .augment
                    .map_or(Dihedral::IDENTITY, |seed| Dihedral::from_index(substream(seed, m as u64)));
                for ch in 0..c {
                    self.norm.apply(self.ds, ch, m, scratch, tmp)?;
                    t.apply_into(s, tmp, &mut chunk[ch * px..(ch + 1) * px]);
                }
                Ok::<(), Error>(())
            },
        )?;
        for ch in 0..c {
            self.ds.channel(ch).release();
        }
        let d = self.targets.len();
        let mut y = Array2::<f32>::zeros((maps.len(), d));
        for (row, &m) in y.outer_iter_mut().zip(maps) {
            for (v, t) in row.into_iter().zip(self.targets.scale(&self.ds.params_of_map(m))) {
                *v = t as f32;
            }
        }
        Ok(Batch { x, y, maps: maps.to_vec() })
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        if self.next >= self.order.len() {
            return None;
        }
        let end = (self.next + self.batch).min(self.order.len());
        let maps = self.order[self.next..end].to_vec();
        self.next = end;
        Some(self.read(&maps))
    }
}
