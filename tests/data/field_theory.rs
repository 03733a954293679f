//! The statistics on Gaussian random fields, against the analytic truths of science.md §6:
//! P̂(k) and its map-to-map scatter (cosmic variance), the Minkowski functionals V0, V1, V2,
//! and cluster counts approaching the Euler-characteristic density at high thresholds.
//! Every expected value is computed here from the input spectrum, not by the code under test.

use cosmograd::data::fourier::Grid;
use cosmograd::data::grf::GaussianField;
use cosmograd::eval::fields::clusters::cluster_counts;
use cosmograd::eval::fields::ensemble::BinStats;
use cosmograd::eval::fields::minkowski::minkowski_functionals;
use cosmograd::eval::fields::spectra::set_spectrum;
use cosmograd::eval::fields::PlaneBins;
use ndarray::{Array2, Array3};
use std::f64::consts::PI;

/// Pixel units (L = N), P(k) = e^{−(kR)²} with R = 3 px: smooth on the pixel scale, with no
/// power left near the Nyquist frequency, so the grid field is the continuous band-limited one.
const N: usize = 128;
const R: f64 = 3.0;

fn spectrum(k: f64) -> f64 {
    (-(k * R).powi(2)).exp()
}

/// σ_0² = Σ_{k≠0} P/L² and σ_1² = Σ_{k≠0} |k|² P/L² over every mode of the grid.
fn sigmas(grid: Grid) -> (f64, f64) {
    let (mut s0, mut s1) = (0.0, 0.0);
    let l2 = grid.box_size * grid.box_size;
    for iy in 0..grid.n {
        for ix in 0..grid.n {
            let (fy, fx) = (grid.freq(iy) as f64, grid.freq(ix) as f64);
            let k = (fy * fy + fx * fx).sqrt() * grid.k_fundamental();
            if k > 0.0 {
                s0 += spectrum(k) / l2;
                s1 += k * k * spectrum(k) / l2;
            }
        }
    }
    (s0.sqrt(), s1.sqrt())
}

fn fields(count: u64, seed: u64) -> (Grid, Vec<Array2<f64>>) {
    let grid = Grid::new(N, N as f64).unwrap();
    let field = GaussianField::new(grid, spectrum).unwrap();
    (grid, (0..count).map(|s| field.sample(seed + s)).collect())
}

/// ½ erfc(ν/√2) = ∫_ν^∞ φ, by Simpson's rule (φ is negligible beyond 12).
fn v0_theory(nu: f64) -> f64 {
    let (a, b, n) = (nu, 12.0, 4000);
    let h = (b - a) / n as f64;
    let phi = |x: f64| (-x * x / 2.0).exp() / (2.0 * PI).sqrt();
    let mut s = phi(a) + phi(b);
    for i in 1..n {
        s += phi(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

fn v1_theory(nu: f64, s0: f64, s1: f64) -> f64 {
    s1 / (8.0 * 2f64.sqrt() * s0) * (-nu * nu / 2.0).exp()
}

fn v2_theory(nu: f64, s0: f64, s1: f64) -> f64 {
    (2.0 * PI).powf(-1.5) * s1 * s1 / (2.0 * s0 * s0) * nu * (-nu * nu / 2.0).exp()
}

/// MFs of Gaussian fields within 5 % of each functional's maximum for |ν| < 2 (science.md §6;
/// V2 crosses zero at ν = 0, so the tolerance is absolute, a fraction of its maximum).
#[test]
fn minkowski_functionals_of_gaussian_fields_match_the_formulas() {
    let (grid, maps) = fields(100, 500);
    let (s0, s1) = sigmas(grid);
    let nu: Vec<f64> = (-19..=19).map(|i| i as f64 / 10.0).collect();
    let thresholds: Vec<f64> = nu.iter().map(|v| v * s0).collect();
    let rows: Vec<Vec<f64>> = maps
        .iter()
        .map(|m| {
            let f = minkowski_functionals(m.view(), &thresholds);
            [f.v0, f.v1, f.v2].concat()
        })
        .collect();
    let got = BinStats::from_rows(&rows);
    let n = nu.len();
    let theory: [Box<dyn Fn(f64) -> f64>; 3] = [
        Box::new(v0_theory),
        Box::new(move |v| v1_theory(v, s0, s1)),
        Box::new(move |v| v2_theory(v, s0, s1)),
    ];
    let max = [1.0, v1_theory(0.0, s0, s1), v2_theory(1.0, s0, s1)];
    for f in 0..3 {
        let dev: Vec<f64> = nu
            .iter()
            .enumerate()
            .map(|(i, &v)| (got.mean[f * n + i] - theory[f](v)).abs() / max[f])
            .collect();
        let noise = (0..n).map(|i| got.se(f * n + i) / max[f]).fold(0.0, f64::max);
        let (worst, at) = dev
            .iter()
            .enumerate()
            .fold((0.0, 0), |(w, a), (i, &d)| if d > w { (d, i) } else { (w, a) });
        println!(
            "V{f}: largest deviation {:.2} % of its maximum (at ν = {}), standard error ≤ {:.2} %",
            worst * 100.0,
            nu[at],
            noise * 100.0
        );
        assert!(
            worst <= 0.05,
            "V{f}(ν = {}): measured {}, theory {}",
            nu[at],
            got.mean[f * n + at],
            theory[f](nu[at])
        );
        // The check has teeth: the statistical error is well below the tolerance.
        assert!(noise < 0.015, "V{f} too noisy to test");
    }
}

/// At high thresholds the excursion set is isolated blobs without holes: the number of
/// clusters per pixel approaches V2 (the Euler density). Measured/theory within 3 Poisson
/// standard deviations for ν ≥ 2, and above 1 by more than 5 of them at ν = ¼, where the
/// excursion set has holes (clusters − holes = χ).
#[test]
fn cluster_counts_approach_the_euler_density() {
    let (grid, maps) = fields(100, 9000);
    let (s0, s1) = sigmas(grid);
    let nu = [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0];
    let thresholds: Vec<f64> = nu.iter().map(|v| v * s0).collect();
    let mut total = vec![0.0; nu.len()];
    for m in &maps {
        let (c, _) = cluster_counts(m.view(), &thresholds);
        total.iter_mut().zip(&c).for_each(|(t, c)| *t += c);
    }
    let pixels = (maps.len() * N * N) as f64;
    let ratio: Vec<f64> = nu.iter().zip(&total).map(|(&v, &c)| c / pixels / v2_theory(v, s0, s1)).collect();
    println!("clusters / (V2 · area) at ν = {nu:?}: {ratio:.3?}");
    for (i, &v) in nu.iter().enumerate().filter(|(_, &v)| v >= 2.0) {
        let poisson = 1.0 / total[i].sqrt();
        assert!(
            (ratio[i] - 1.0).abs() < 3.0 * poisson,
            "ν = {v}: ratio {} (Poisson σ {poisson:.3})",
            ratio[i]
        );
    }
    assert!(ratio[0] - 1.0 > 5.0 / total[0].sqrt(), "{ratio:?}");
}

/// P̂(k) of Gaussian fields: the mean within 4 standard errors of the input in every bin, and
/// the map-to-map scatter equal to cosmic variance, σ² = ⟨P²⟩_bin / modes (each mode's |δ̂|²
/// is exponential), within 4 standard errors of the scatter.
#[test]
fn spectrum_scatter_is_cosmic_variance() {
    let grid = Grid::new(64, 500.0).unwrap();
    let p = |k: f64| 2e3 / (1.0 + (k / 0.05).powi(2));
    let field = GaussianField::new(grid, p).unwrap();
    let count = 300;
    let mut maps = Array3::<f32>::zeros((count, 64, 64));
    for (i, mut m) in maps.outer_iter_mut().enumerate() {
        let f = field.sample(77 + i as u64);
        m.zip_mut_with(&f, |d, &v| *d = v as f32);
    }
    let s = set_spectrum(maps.view(), 500.0).unwrap();
    let bins = PlaneBins::new(grid);
    let (want, want2) = (bins.bin_average(p), bins.bin_average(|k| p(k).powi(2)));
    for i in 0..want.len() {
        let z_mean = (s.power.mean[i] - want[i]) / s.power.se(i);
        assert!(z_mean.abs() < 4.0, "bin {}: mean z = {z_mean:.2}", i + 1);
        // Below k_Nyq every mode is complex (|δ̂|² exponential); the real modes on the Nyquist
        // lines have twice the relative variance, so the formula stops there.
        if s.k[i] < grid.k_nyquist() {
            let sd_theory = (want2[i] / bins.modes()[i] as f64).sqrt();
            let z_sd = (s.power.sd[i] - sd_theory) / s.power.sd_se[i];
            assert!(
                z_sd.abs() < 4.0,
                "bin {}: scatter {} vs cosmic variance {sd_theory} (z = {z_sd:.2})",
                i + 1,
                s.power.sd[i]
            );
        }
    }
}
