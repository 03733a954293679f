//! Gaussian random fields: seeded and reproducible, zero mean, the pixel variance of the spectrum.

use cosmograd::data::fourier::Grid;
use cosmograd::data::grf::{gaussian_random_field, GaussianField};

#[test]
fn a_seed_gives_the_same_field_bit_for_bit() {
    let grid = Grid::new(32, 25.0).unwrap();
    let p = |k: f64| 1.0 / (1.0 + k * k);
    let a = gaussian_random_field(grid, p, 5).unwrap();
    let b = gaussian_random_field(grid, p, 5).unwrap();
    let c = gaussian_random_field(grid, p, 6).unwrap();
    assert!(a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits()));
    assert!(a.iter().zip(c.iter()).any(|(x, y)| x != y));
}

/// ⟨δ²⟩ = Σ_{k≠0} P(|k|)/L², with the DC mode (the map mean) exactly zero.
#[test]
fn pixel_variance_is_the_sum_of_the_spectrum() {
    for (n, l) in [(64, 25.0), (33, 1000.0)] {
        let grid = Grid::new(n, l).unwrap();
        let p = |k: f64| 1e-2 * l * l * (k * l / 20.0).powi(2) / (1.0 + (k * l / 20.0).powi(4));
        let field = GaussianField::new(grid, p).unwrap();
        let mut want = 0.0;
        for iy in 0..n {
            for ix in 0..n {
                let (fy, fx) = (grid.freq(iy) as f64, grid.freq(ix) as f64);
                if iy + ix > 0 {
                    want += p((fy * fy + fx * fx).sqrt() * grid.k_fundamental()) / (l * l);
                }
            }
        }
        let maps = 200;
        let mut var = vec![];
        for s in 0..maps {
            let m = field.sample(s);
            let mean = m.mean().unwrap();
            assert!(mean.abs() < 1e-12, "map mean {mean}");
            var.push(m.mapv(|v| v * v).mean().unwrap());
        }
        let avg = var.iter().sum::<f64>() / maps as f64;
        let sd = (var.iter().map(|v| (v - avg).powi(2)).sum::<f64>() / (maps - 1) as f64 / maps as f64).sqrt();
        assert!((avg - want).abs() < 4.0 * sd, "n {n}: variance {avg} ± {sd}, spectrum says {want}");
    }
}

#[test]
fn bad_spectra_are_errors() {
    let grid = Grid::new(8, 1.0).unwrap();
    assert!(GaussianField::new(grid, |_| -1.0).is_err());
    assert!(GaussianField::new(grid, |_| f64::NAN).is_err());
}
