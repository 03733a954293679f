//! The Fisher matrix: closed forms, the Monte-Carlo variance of a maximum-likelihood estimate,
//! and the design requirement of the synthetic CMD maps.

use cosmograd::data::fourier::{Fft2, Grid};
use cosmograd::data::grf::GaussianField;
use cosmograd::data::params::FIDUCIAL;
use cosmograd::data::synthetic::cmd_model::CmdModel;
use cosmograd::eval::fisher::{fisher_matrix, spd_inverse, CmdFisher, FieldModel, REQUIREMENT};
use ndarray::array;

fn p0(k: f64) -> f64 {
    3.0 / (1.0 + (k / 2.0).powi(2)).powf(1.5)
}

/// P = A k^{−n}: ∂lnP/∂A = 1/A, ∂lnP/∂n = −ln k, so F_AA = M/(2A²), F_An = −Σ ln k/(2A),
/// F_nn = Σ ln² k/2 over all M = N² − 1 modes, summed here directly over the full plane.
#[test]
fn matches_the_closed_form_for_a_power_law() {
    let grid = Grid::new(12, 7.0).unwrap();
    let (a, n) = (2.0, 1.5);
    let f = fisher_matrix(grid, &[a, n], &[1e-4, 1e-4], |u| {
        let (a, n) = (u[0], u[1]);
        Ok(FieldModel {
            power: move |k: f64| a * k.powf(-n),
            mean: None,
        })
    })
    .unwrap();
    let (mut m, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for iy in 0..12 {
        for ix in 0..12 {
            if iy + ix > 0 {
                let (fy, fx) = (grid.freq(iy) as f64, grid.freq(ix) as f64);
                let lk = ((fy * fy + fx * fx).sqrt() * grid.k_fundamental()).ln();
                m += 1.0;
                s1 += lk;
                s2 += lk * lk;
            }
        }
    }
    let want = array![[m / (2.0 * a * a), -s1 / (2.0 * a)], [-s1 / (2.0 * a), s2 / 2.0]];
    for (g, w) in f.iter().zip(want.iter()) {
        assert!((g / w - 1.0).abs() < 1e-7, "{f} vs {want}");
    }
}

/// A mean m = aθ with scatter V and no spectral dependence: F = a²/V; with V = bθ² the
/// ½ (∂ ln V)² term adds 2/θ².
#[test]
fn mean_terms() {
    let grid = Grid::new(8, 1.0).unwrap();
    let (a, v) = (0.7, 0.01);
    let f = fisher_matrix(grid, &[1.3], &[1e-4], |u| {
        Ok(FieldModel {
            power: |_: f64| 1.0,
            mean: Some((a * u[0], v)),
        })
    })
    .unwrap();
    assert!((f[[0, 0]] / (a * a / v) - 1.0).abs() < 1e-9, "{f}");
    let th = 1.3;
    let f = fisher_matrix(grid, &[th], &[1e-4], |u| {
        Ok(FieldModel {
            power: |_: f64| 1.0,
            mean: Some((a * u[0], v * u[0] * u[0])),
        })
    })
    .unwrap();
    let want = a * a / (v * th * th) + 2.0 / (th * th);
    assert!((f[[0, 0]] / want - 1.0).abs() < 1e-7, "{f} vs {want}");
}

/// P = A·P_0: the maximum-likelihood Â of one map is the mean over its N² − 1 real degrees of
/// freedom of |δ̂_k|²/(P_0 N⁴/L²); over 10 000 simulated 32² maps its variance equals the
/// Fisher prediction 1/F_AA = 2/(N² − 1) within 5 % (the Monte-Carlo variance itself is
/// uncertain by √(2/10⁴) = 1.4 %).
#[test]
fn monte_carlo_variance_of_the_ml_amplitude_equals_the_fisher_bound() {
    let grid = Grid::new(32, 25.0).unwrap();
    let f = fisher_matrix(grid, &[1.0], &[1e-4], |u| {
        let a = u[0];
        Ok(FieldModel {
            power: move |k: f64| a * p0(k),
            mean: None,
        })
    })
    .unwrap();
    let predicted = 1.0 / f[[0, 0]];
    assert!((predicted * (32.0 * 32.0 - 1.0) / 2.0 - 1.0).abs() < 1e-6, "1/F = {predicted}");

    let field = GaussianField::new(grid, p0).unwrap();
    let fft = Fft2::new(&grid);
    let n4 = (32.0f64).powi(4);
    let l2 = 25.0 * 25.0;
    let maps = 10_000;
    let estimates: Vec<f64> = (0..maps)
        .map(|s| {
            let modes = fft.forward(field.sample(77 + s).view()).unwrap();
            let mut sum = 0.0;
            for ((iy, ix), m) in modes.indexed_iter() {
                if iy + ix > 0 {
                    let v = p0(grid.k_mag(iy, ix)) * n4 / l2;
                    sum += grid.multiplicity(ix) as f64 * m.norm_sqr() / v;
                }
            }
            sum / (32.0 * 32.0 - 1.0)
        })
        .collect();
    let mean = estimates.iter().sum::<f64>() / maps as f64;
    let var = estimates.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (maps - 1) as f64;
    println!("var(Â) = {var:.6e}, 1/F = {predicted:.6e}, ratio {:.4}", var / predicted);
    assert!((mean - 1.0).abs() < 4.0 * predicted.sqrt() / (maps as f64).sqrt(), "⟨Â⟩ = {mean}");
    assert!(
        (var / predicted - 1.0).abs() < 0.05,
        "Monte-Carlo var(Â) = {var}, Fisher 1/F = {predicted}"
    );
}

/// The design requirement of science.md §4 at the fiducial point on 256² maps.
#[test]
fn synthetic_cmd_maps_meet_the_design_requirement() {
    let f = CmdFisher::compute(&CmdModel::default(), FIDUCIAL, 256).unwrap();
    for ((name, crb), req) in f.coordinates.iter().zip(f.crb).zip(REQUIREMENT) {
        assert!(crb <= req, "{name}: CRB {crb} > {req}");
    }
    assert!(f.meets_requirement());
    // Not trivial either: Ω_m and σ_8 are correlated through the A's, and knowing the A's helps.
    assert!(f.crb_astro_fixed[0] < f.crb[0] && f.crb_astro_fixed[1] < f.crb[1]);
    let json = f.to_json();
    for name in ["Omega_m", "sigma_8", "A_SN1", "A_AGN1", "A_SN2", "A_AGN2"] {
        assert!(json["crb"][name].as_f64().unwrap() > 0.0, "{name} in {json}");
    }
}

/// The bound does not depend on the finite-difference step (the model is smooth in θ).
#[test]
fn bound_is_stable_under_the_step() {
    let model = CmdModel::default();
    let grid = Grid::new(64, model.box_size).unwrap();
    let natural = [0.3f64, 0.8, 0.0, 0.0, 0.0, 0.0];
    let run = |h: f64| {
        fisher_matrix(grid, &natural, &[h; 6], |u| {
            let theta = [u[0], u[1], u[2].exp(), u[3].exp(), u[4].exp(), u[5].exp()];
            let s = model.spectrum(&theta, 64)?;
            let mean = Some((s.mean, s.mean_variance));
            Ok(FieldModel {
                power: move |k| s.total(k),
                mean,
            })
        })
        .unwrap()
    };
    let (a, b) = (run(1e-3), run(4e-3));
    for i in 0..6 {
        assert!(
            (a[[i, i]] / b[[i, i]] - 1.0).abs() < 1e-3,
            "F_{i}{i}: {} vs {}",
            a[[i, i]],
            b[[i, i]]
        );
    }
}

#[test]
fn inverse_and_singular_matrices() {
    let a = array![[4.0, 2.0, 0.6], [2.0, 2.0, 0.5], [0.6, 0.5, 3.0]];
    let inv = spd_inverse(&a, &["a", "b", "c"]).unwrap();
    let eye = a.dot(&inv);
    for ((i, j), v) in eye.indexed_iter() {
        assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12, "{eye}");
    }
    let e = spd_inverse(&array![[1.0, 1.0], [1.0, 1.0]], &["x", "y"]).unwrap_err().to_string();
    assert!(e.contains("`y` is degenerate"), "{e}");
}
