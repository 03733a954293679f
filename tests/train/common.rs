//! Tiny in-memory data sets whose maps carry their parameters, and tiny models.

use cosmograd::eval::mixture::Scale;
use cosmograd::models::{ArchKind, MdnArchitecture, Target};
use cosmograd::prelude::*;
use cosmograd::train::mdn::{MapSet, TrainOptions};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Maps of white noise whose standard deviation is set by θ₀ ∈ [0.5, 2] (log-uniform) and
/// whose mean is set by θ₁ ∈ [0, 1] with a scatter of 0.05: both learnable from one map.
pub struct ToyMaps {
    pub size: usize,
    pub maps: Vec<f32>,
    pub theta: Vec<[f64; 2]>,
    /// After this many reads, every map read has a NaN pixel.
    pub nan_after_reads: Option<usize>,
    reads: AtomicUsize,
}

pub fn scales() -> [Scale; 2] {
    [Scale::Log { lo: 0.5, hi: 2.0 }, Scale::Linear { lo: 0.0, hi: 1.0 }]
}

impl ToyMaps {
    pub fn new(n: usize, size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let unit = Normal::new(0.0, 1.0).unwrap();
        let mut maps = Vec::with_capacity(n * size * size);
        let mut theta = Vec::with_capacity(n);
        for _ in 0..n {
            let t = [scales()[0].to_physical(rng.random_range(0.0..1.0)), rng.random_range(0.0..1.0)];
            let mean = t[1] + 0.05 * unit.sample(&mut rng);
            maps.extend((0..size * size).map(|_| (mean + t[0] * unit.sample(&mut rng)) as f32));
            theta.push(t);
        }
        ToyMaps {
            size,
            maps,
            theta,
            nan_after_reads: None,
            reads: AtomicUsize::new(0),
        }
    }
}

impl MapSet for ToyMaps {
    fn len(&self) -> usize {
        self.theta.len()
    }
    fn channels(&self) -> usize {
        1
    }
    fn size(&self) -> usize {
        self.size
    }
    fn target_dim(&self) -> usize {
        2
    }
    fn read_map(&self, i: usize, out: &mut [f32]) -> Result<()> {
        let per = self.size * self.size;
        out.copy_from_slice(&self.maps[i * per..(i + 1) * per]);
        let reads = self.reads.fetch_add(1, Ordering::Relaxed);
        if self.nan_after_reads.is_some_and(|n| reads >= n) {
            out[0] = f32::NAN;
        }
        Ok(())
    }
    fn targets(&self, i: usize, out: &mut [f64]) {
        for (d, s) in scales().iter().enumerate() {
            out[d] = s.to_scaled(self.theta[i][d]);
        }
    }
    fn ids(&self, i: usize) -> (usize, usize) {
        (i / 3, i)
    }
    fn params(&self, i: usize) -> Vec<f64> {
        self.theta[i].to_vec()
    }
}

pub fn targets() -> Vec<Target> {
    ["amp", "mean"]
        .iter()
        .zip(scales())
        .map(|(n, scale)| Target {
            name: n.to_string(),
            scale,
        })
        .collect()
}

/// A periodic MDN small enough to train in a second.
pub fn tiny_arch(size: usize) -> MdnArchitecture {
    let mut a = MdnArchitecture::new(ArchKind::Periodic, size, 1, 2, targets(), 5);
    let p = a.periodic.as_mut().unwrap();
    p.widths = vec![4, 8];
    p.convs = vec![1, 1];
    p.stem = 0;
    p.hidden = 16;
    a
}

pub fn tiny_options(epochs: usize) -> TrainOptions {
    TrainOptions {
        epochs,
        batch: 16,
        lr: 3e-3,
        min_lr: 1e-4,
        warmup_steps: 4,
        weight_decay: 1e-4,
        clip: Some(10.0),
        patience: 0,
        augment: true,
        seed: 11,
    }
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}
