//! The MDN-CNN's image-kernel workloads at batch 32 (f32), shared by the criterion bench
//! `benches/image_kernels.rs` and `examples/mdn_cnn_step.rs --layers`: each conv layer's three
//! kernels, sgemm on the same GEMM shape (32 independent [c_out, K]·[K, P] products over the
//! same threads, into preallocated buffers), batch norm and 2×2 max pooling on (32, 16, 256²).

use cosmograd::backend::cpu::matmul::gemm;
use cosmograd::backend::cpu::Storage;
use cosmograd::backend::{Backend, BatchNormDims, Conv2dGeom, Cpu, MatmulDims, Pool2dGeom};
use cosmograd::ops::conv2d::conv2d_geom;
use cosmograd::ops::Conv2dOptions;
use rayon::prelude::*;

pub const BATCH: usize = 32;
pub type Be = Cpu<f32>;

pub fn random(n: usize, seed: u64) -> Vec<f32> {
    (0..n)
        .map(|i| cosmograd::backend::random::uniform(seed, i as u32) * 2.0 - 1.0)
        .collect()
}

pub struct ConvLayer {
    /// `conv1`, `conv2`, `conv3`.
    pub tag: &'static str,
    /// A heading for printed tables (the example prints it; criterion names groups by `tag`).
    #[allow(dead_code)]
    pub title: &'static str,
    pub g: Conv2dGeom,
    x: Storage<f32>,
    w: Storage<f32>,
    b: Storage<f32>,
    gy: Storage<f32>,
    a: Vec<f32>,
    bm: Vec<f32>,
    c: Vec<f32>,
}

impl ConvLayer {
    /// Floating-point operations of one pass (each of the three kernels does as many).
    pub fn flops(&self) -> f64 {
        2.0 * self.g.macs() as f64
    }
    pub fn forward(&self) {
        drop(Be::default().conv2d_forward(&self.x, &self.w, Some(&self.b), self.g).unwrap());
    }
    pub fn backward_input(&self) {
        drop(Be::default().conv2d_backward_input(&self.gy, &self.w, self.g).unwrap());
    }
    pub fn backward_weight(&self) {
        drop(Be::default().conv2d_backward_weight(&self.x, &self.gy, self.g).unwrap());
    }
    /// sgemm at the forward's GEMM shape, one product per sample, parallel over the batch.
    pub fn sgemm_same_shape(&mut self) {
        let (m, k, p) = (self.g.c_out, self.g.patch(), self.g.out_plane());
        let d = MatmulDims {
            m,
            k,
            n: p,
            trans_a: false,
            trans_b: false,
        };
        let (a, bm) = (&self.a, &self.bm);
        self.c.par_chunks_mut(m * p).for_each(|ci| gemm(a, bm, ci, d, 0.0, false));
    }
}

pub fn conv_layers() -> Vec<ConvLayer> {
    let be = Be::default();
    [
        ("conv1", "conv1 1→16 4×4 same 256²", [BATCH, 1, 256, 256], [16, 1, 4, 4]),
        ("conv2", "conv2 16→32 3×3 same 128²", [BATCH, 16, 128, 128], [32, 16, 3, 3]),
        ("conv3", "conv3 32→64 2×2 same 64²", [BATCH, 32, 64, 64], [64, 32, 2, 2]),
    ]
    .into_iter()
    .map(|(tag, title, xs, ws)| {
        let g = conv2d_geom("conv2d", &xs, &ws, Conv2dOptions::same()).expect("valid bench shapes");
        ConvLayer {
            tag,
            title,
            g,
            x: be.from_f32(&random(g.in_len(), 1)).unwrap(),
            w: be.from_f32(&random(g.weight_len(), 2)).unwrap(),
            b: be.from_f32(&random(g.c_out, 3)).unwrap(),
            gy: be.from_f32(&random(g.out_len(), 4)).unwrap(),
            a: random(g.c_out * g.patch(), 5),
            bm: random(g.patch() * g.out_plane(), 6),
            c: vec![0.0; BATCH * g.c_out * g.out_plane()],
        }
    })
    .collect()
}

/// Batch norm and 2×2/2 max pooling on (32, 16, 256, 256), with saved statistics and argmax.
pub struct MapKernels {
    d: BatchNormDims,
    pg: Pool2dGeom,
    x: Storage<f32>,
    gy: Storage<f32>,
    gamma: Storage<f32>,
    beta: Storage<f32>,
    mean: Storage<f32>,
    inv_std: Storage<f32>,
    argmax: Storage<f32>,
    gp: Storage<f32>,
}

impl MapKernels {
    pub fn new() -> Self {
        let be = Be::default();
        let d = BatchNormDims {
            n: BATCH,
            c: 16,
            plane: 256 * 256,
            eps: 1e-5,
        };
        let pg = Pool2dGeom {
            n: BATCH,
            c: 16,
            h: 256,
            w: 256,
            kh: 2,
            kw: 2,
            stride: 2,
            h_out: 128,
            w_out: 128,
        };
        let x = be.from_f32(&random(d.len(), 9)).unwrap();
        let (gamma, beta) = (be.fill(16, 1.0).unwrap(), be.fill(16, 0.0).unwrap());
        let (_, mean, inv_std) = be.batchnorm_forward(&x, &gamma, &beta, d).unwrap();
        let (_, argmax) = be.maxpool2d_forward(&x, pg).unwrap();
        MapKernels {
            d,
            pg,
            gy: be.from_f32(&random(d.len(), 10)).unwrap(),
            gp: be.from_f32(&random(pg.out_len(), 11)).unwrap(),
            x,
            gamma,
            beta,
            mean,
            inv_std,
            argmax,
        }
    }
    pub fn batchnorm_forward(&self) {
        drop(Be::default().batchnorm_forward(&self.x, &self.gamma, &self.beta, self.d).unwrap());
    }
    pub fn batchnorm_backward(&self) {
        drop(
            Be::default()
                .batchnorm_backward(&self.x, &self.gy, &self.gamma, &self.mean, &self.inv_std, self.d)
                .unwrap(),
        );
    }
    pub fn maxpool_forward(&self) {
        drop(Be::default().maxpool2d_forward(&self.x, self.pg).unwrap());
    }
    pub fn maxpool_backward(&self) {
        drop(Be::default().maxpool2d_backward(&self.gp, &self.argmax, self.pg).unwrap());
    }
}

/// A large square sgemm split over all threads: the machine's practical peak.
pub struct SquareGemm {
    n: usize,
    a: Vec<f32>,
    b: Vec<f32>,
    c: Vec<f32>,
}

impl SquareGemm {
    pub fn new(n: usize) -> Self {
        SquareGemm {
            n,
            a: random(n * n, 7),
            b: random(n * n, 8),
            c: vec![0.0; n * n],
        }
    }
    pub fn flops(&self) -> f64 {
        2.0 * (self.n as f64).powi(3)
    }
    pub fn run(&mut self) {
        let n = self.n;
        let d = MatmulDims {
            m: n,
            k: n,
            n,
            trans_a: false,
            trans_b: false,
        };
        gemm(&self.a, &self.b, &mut self.c, d, 0.0, true);
    }
}
