//! The Pk_plane estimator: binning against numpy, mode counting, a plane wave, and simulated
//! Gaussian fields against their input spectrum within the cosmic-variance band.

use crate::golden_json::{assert_close, floats, load};
use cosmograd::data::fourier::{Fft2, Grid};
use cosmograd::data::grf::GaussianField;
use cosmograd::data::spectrum::{slab_projection, Cosmology, LinearPower, LogTable};
use cosmograd::eval::fields::{power_spectrum, PlaneBins};
use ndarray::Array2;
use std::f64::consts::PI;

#[test]
fn binning_matches_a_numpy_pk_plane() {
    for case in load("spectrum.json").iter().filter(|c| c["kind"] == "pk_plane") {
        let n = case["n"].as_u64().unwrap() as usize;
        let field = Array2::from_shape_vec((n, n), floats(&case["field"])).unwrap();
        let ps = power_spectrum(field.view(), case["box"].as_f64().unwrap()).unwrap();
        assert_close(&format!("k, n = {n}"), &ps.k, &floats(&case["k"]));
        assert_close(&format!("P, n = {n}"), &ps.power, &floats(&case["power"]));
        let modes: Vec<f64> = ps.modes.iter().map(|&m| m as f64).collect();
        assert_eq!(modes, floats(&case["modes"]), "modes, n = {n}");
    }
}

/// Every independent mode but the DC counted once: N²/2 + 1 (N even), (N² − 1)/2 (N odd).
#[test]
fn each_independent_mode_is_counted_once() {
    for n in [2, 3, 8, 9, 64, 65] {
        let bins = PlaneBins::new(Grid::new(n, 1.0).unwrap());
        let total: usize = bins.modes().iter().sum();
        let want = if n % 2 == 0 { n * n / 2 + 1 } else { (n * n - 1) / 2 };
        assert_eq!(total, want, "n = {n}");
    }
}

/// δ = A cos(2π(3x + 4y)/N): all power in bin 5 (|k| = 5 k_F exactly), P = A² L²/4 / modes.
#[test]
fn a_plane_wave_lands_in_its_bin() {
    let (n, l, a) = (32, 25.0, 0.7);
    let field = Array2::from_shape_fn((n, n), |(y, x)| a * (2.0 * PI * (3 * x + 4 * y) as f64 / n as f64).cos());
    let ps = power_spectrum(field.view(), l).unwrap();
    let kf = 2.0 * PI / l;
    for (i, (&k, &p)) in ps.k.iter().zip(&ps.power).enumerate() {
        if i == 4 {
            let want = a * a * l * l / 4.0 / ps.modes[i] as f64;
            assert!((p / want - 1.0).abs() < 1e-12, "bin 5: {p} vs {want}");
            assert!(k >= 5.0 * kf && k < 6.0 * kf);
        } else {
            assert!(p < 1e-25, "bin {}: {p}", i + 1);
        }
    }
}

/// Maps drawn with the CMD slab spectrum (L = 25, Δ = 5) at N = 64: the mean measured P̂ of
/// 24 maps is within 4 σ of the input in every bin, σ² = ⟨P²⟩_bin / (modes · maps) (the
/// variance of a mean of exponential variables), and χ²/dof is compatible with 1.
#[test]
fn measured_spectra_of_gaussian_fields_match_the_input_within_cosmic_variance() {
    let grid = Grid::new(64, 25.0).unwrap();
    let lin = LinearPower::new(Cosmology::camels(0.3, 0.8)).unwrap();
    let p2d = LogTable::new(|k| slab_projection(|q| lin.power(q), k, 5.0), 0.2, 20.0, 50).unwrap();
    let field = GaussianField::new(grid, |k| p2d.eval(k)).unwrap();
    let bins = PlaneBins::new(grid);
    let fft = Fft2::new(&grid);
    let maps = 24;
    let mut mean = vec![0.0; bins.k().len()];
    for s in 0..maps {
        let m = field.sample(1000 + s);
        let ps = bins.estimate(&fft.forward(m.view()).unwrap()).unwrap();
        mean.iter_mut().zip(&ps.power).for_each(|(a, p)| *a += p / maps as f64);
    }
    let want = bins.bin_average(|k| p2d.eval(k));
    let want2 = bins.bin_average(|k| p2d.eval(k).powi(2));
    let mut chi2 = 0.0;
    for i in 0..mean.len() {
        let sd = (want2[i] / (bins.modes()[i] * maps as usize) as f64).sqrt();
        let z = (mean[i] - want[i]) / sd;
        assert!(
            z.abs() < 4.0,
            "bin {} (k = {:.3}): P̂ = {} vs {} (z = {z:.2})",
            i + 1,
            bins.k()[i],
            mean[i],
            want[i]
        );
        chi2 += z * z;
    }
    let dof = mean.len() as f64;
    // χ²/dof of `dof` standard normals has sd √(2/dof) ≈ 0.16 here; 4 sd either side.
    assert!((chi2 / dof - 1.0).abs() < 4.0 * (2.0 / dof).sqrt(), "χ²/dof = {}", chi2 / dof);
}

#[test]
fn non_square_maps_are_errors() {
    let e = power_spectrum(Array2::zeros((4, 5)).view(), 1.0).unwrap_err().to_string();
    assert!(e.contains("square"), "{e}");
}
