//! Tiny lognormal maps (a Gaussian random field exponentiated, as the Quijote-like simulator
//! does at 64²) and tiny GAN configurations.

use cosmograd::data::fourier::Grid;
use cosmograd::data::grf::GaussianField;
use cosmograd::models::GanArchitecture;
use cosmograd::train::gan::GanOptions;
use cosmograd::train::gan_step::AdamSettings;
use ndarray::Array3;

pub const BOX: f64 = 1000.0;

/// n maps of δ = e^{g − σ²/2} − 1 on a size² grid, g a Gaussian field with a red spectrum.
pub fn lognormal_maps(n: usize, size: usize, seed: u64) -> Array3<f32> {
    let field = GaussianField::new(Grid::new(size, BOX).unwrap(), |k| 4e4 / (1.0 + (k / 0.02).powi(2))).unwrap();
    let maps: Vec<_> = (0..n).map(|i| field.sample(seed * 1000 + i as u64)).collect();
    let var = maps.iter().flat_map(|m| m.iter()).map(|g| g * g).sum::<f64>() / (n * size * size) as f64;
    Array3::from_shape_fn((n, size, size), |(i, y, x)| ((maps[i][[y, x]] - var / 2.0).exp() - 1.0) as f32)
}

/// A DCGAN for 16² maps small enough for a test.
pub fn tiny_dcgan() -> GanArchitecture {
    GanArchitecture::dcgan(16, 4, 2, true, 7)
}

/// The report's MLP structure (ReLU, dropout 0.3, sigmoid) with small widths.
pub fn tiny_report() -> GanArchitecture {
    let mut a = GanArchitecture::report(16, 7);
    a.latent = 6;
    a.generator_widths = vec![16, 32];
    a.discriminator_widths = vec![32, 8];
    a
}

pub fn options(epochs: usize) -> GanOptions {
    GanOptions {
        epochs,
        batch: 8,
        adam: AdamSettings {
            lr_generator: 2e-4,
            lr_discriminator: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
        },
        real_label: 0.9,
        augment: true,
        diagnose_every: 3,
        diagnostic_maps: 16,
        seed: 5,
    }
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-gan-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}
