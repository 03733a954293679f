//! The linear spectrum, σ_8 normalisation and slab projection against science.md's check
//! values and an independent numpy/scipy implementation (tests/golden/make_golden_spectrum.py).

use crate::golden_json::{assert_close_to, floats, load};
use cosmograd::data::spectrum::{slab_projection, tophat_window, Cosmology, LinearPower, LogTable};
use serde_json::Value;

fn cosmology(v: &Value) -> Cosmology {
    Cosmology {
        omega_m: v["omega_m"].as_f64().unwrap(),
        omega_b: v["omega_b"].as_f64().unwrap(),
        h: v["h"].as_f64().unwrap(),
        n_s: v["n_s"].as_f64().unwrap(),
        sigma_8: v["sigma_8"].as_f64().unwrap(),
    }
}

/// Relative differences, so that spectra spanning ten decades are compared fairly.
fn assert_rel(what: &str, got: &[f64], want: &[f64], tol: f64) {
    let g: Vec<f64> = got.iter().zip(want).map(|(g, w)| g / w).collect();
    assert_close_to(what, &g, &vec![1.0; want.len()], tol);
}

#[test]
fn eisenstein_hu_matches_the_check_values_of_science_md() {
    // science.md §4: Ω_m = 0.3, σ_8 = 0.8 → P(0.1, 1, 10 h/Mpc) ≈ 5.67e3, 60.9, 0.200 (3 figures).
    let p = LinearPower::new(Cosmology::camels(0.3, 0.8)).unwrap();
    // Each must round to the quoted figures: within half a unit of the last one.
    for (k, want, unit) in [(0.1, 5.67e3, 10.0), (1.0, 60.9, 0.1), (10.0, 0.200, 0.001)] {
        let got = p.power(k);
        assert!((got - want).abs() <= unit / 2.0, "P({k}) = {got}, science.md says {want}");
    }
}

#[test]
fn linear_spectrum_and_sigma_r_match_scipy() {
    for case in load("spectrum.json").iter().filter(|c| c["kind"] == "linear") {
        let name = case["name"].as_str().unwrap();
        let p = LinearPower::new(cosmology(&case["cosmology"])).unwrap();
        let k = floats(&case["k"]);
        let got: Vec<f64> = k.iter().map(|&k| p.power(k)).collect();
        assert_rel(&format!("{name} P(k)"), &got, &floats(&case["power"]), 1e-9);
        let radii = floats(&case["radii"]);
        let got: Vec<f64> = radii.iter().map(|&r| p.sigma_r(r)).collect();
        assert_rel(&format!("{name} σ_R"), &got, &floats(&case["sigma_r"]), 1e-9);
    }
}

/// σ_8 recomputed from the normalised spectrum by a different rule (trapezoid in k on 400 000
/// log-spaced points) equals the requested σ_8 to 1e-4, across the CMD prior box.
#[test]
fn sigma_8_normalisation_holds_to_1e_4() {
    for (om, s8) in [(0.1, 0.6), (0.3, 0.8), (0.5, 1.0), (0.5, 0.6), (0.1, 1.0)] {
        let p = LinearPower::new(Cosmology::camels(om, s8)).unwrap();
        let n = 400_000;
        let (a, b) = (1e-5f64.ln(), 1e3f64.ln());
        let mut prev = (0.0, 0.0);
        let mut sum = 0.0;
        for i in 0..=n {
            let k = (a + (b - a) * i as f64 / n as f64).exp();
            let f = k * k * p.power(k) * tophat_window(8.0 * k).powi(2) / (2.0 * std::f64::consts::PI.powi(2));
            if i > 0 {
                sum += 0.5 * (f + prev.1) * (k - prev.0);
            }
            prev = (k, f);
        }
        let got = sum.sqrt();
        assert!((got / s8 - 1.0).abs() < 1e-4, "Ω_m = {om}: σ_8 = {got}, asked for {s8}");
    }
}

#[test]
fn slab_projection_matches_scipy() {
    for case in load("spectrum.json").iter().filter(|c| c["kind"] == "slab") {
        let name = case["name"].as_str().unwrap();
        let p = LinearPower::new(cosmology(&case["cosmology"])).unwrap();
        let d = case["thickness"].as_f64().unwrap();
        let got: Vec<f64> = floats(&case["k"]).iter().map(|&k| slab_projection(|q| p.power(q), k, d)).collect();
        assert_rel(name, &got, &floats(&case["power"]), 1e-8);
    }
}

#[test]
fn slab_projection_limits() {
    // A flat spectrum projects to exactly P/Δ (∫ dk_z/2π sinc²(k_z Δ/2) = 1/Δ): tests the tail.
    for d in [1.0, 5.0, 15.625] {
        for k in [1e-3, 0.3, 10.0] {
            let got = slab_projection(|_| 2.0, k, d);
            assert!((got * d / 2.0 - 1.0).abs() < 1e-6, "flat P = 2, Δ = {d}, k = {k}: {got}");
        }
    }
    // kΔ ≫ 1: P_2D → P_3D(k)/Δ.
    let p = LinearPower::new(Cosmology::camels(0.3, 0.8)).unwrap();
    let (k, d) = (40.0, 5.0);
    let ratio = slab_projection(|q| p.power(q), k, d) / (p.power(k) / d);
    assert!((ratio - 1.0).abs() < 0.02, "P_2D Δ / P_3D at kΔ = 200: {ratio}");
}

#[test]
fn log_table_is_exact_for_power_laws_and_close_for_spectra() {
    let t = LogTable::new(|k| 3.0 * k.powf(-2.5), 0.1, 100.0, 20).unwrap();
    for k in [0.05, 0.1, 0.37, 9.9, 100.0, 300.0] {
        let want = 3.0 * f64::powf(k, -2.5);
        assert!((t.eval(k) / want - 1.0).abs() < 1e-12, "k = {k}");
    }
    let p = LinearPower::new(Cosmology::camels(0.3, 0.8)).unwrap();
    let t = LogTable::new(|k| p.power(k), 0.2, 50.0, 100).unwrap();
    for i in 0..200 {
        let k = 0.2 * (250f64).powf(i as f64 / 199.0);
        assert!((t.eval(k) / p.power(k) - 1.0).abs() < 1e-4, "k = {k}");
    }
}

#[test]
fn bad_cosmologies_are_errors() {
    for c in [
        Cosmology::camels(0.0, 0.8),
        Cosmology::camels(0.03, 0.8), // Ω_b = 0.049 > Ω_m
        Cosmology::camels(0.3, -1.0),
        Cosmology::camels(f64::NAN, 0.8),
    ] {
        let e = LinearPower::new(c).unwrap_err().to_string();
        assert!(e.contains("Ω_b < Ω_m"), "{e}");
    }
    assert!(LogTable::new(|k| k, 1.0, 0.5, 10).is_err());
    assert!(LogTable::new(|k| k - 1.0, 0.5, 2.0, 10).is_err());
}
