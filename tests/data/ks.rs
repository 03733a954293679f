//! KS statistic, Wasserstein-1 and the Kolmogorov distribution against scipy (golden values
//! from tests/golden/make_golden_fields.py), and the KS p-value's calibration under the null.

use crate::golden_json::{assert_close, floats, load};
use cosmograd::eval::fields::ks::{kolmogorov_q, ks_statistic, ks_test, wasserstein1};
use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

#[test]
fn ks_and_wasserstein_match_scipy() {
    let cases = load("fields.json");
    let mut seen = 0;
    for c in cases.iter().filter(|c| c["kind"] == "two_sample") {
        let (a, b) = (floats(&c["a"]), floats(&c["b"]));
        assert_close("KS D", &[ks_statistic(&a, &b)], &[c["ks_d"].as_f64().unwrap()]);
        assert_close("KS D, swapped", &[ks_statistic(&b, &a)], &[c["ks_d"].as_f64().unwrap()]);
        assert_close("W1", &[wasserstein1(&a, &b)], &[c["wasserstein1"].as_f64().unwrap()]);
        seen += 1;
    }
    assert_eq!(seen, 4);
    let k = cases.iter().find(|c| c["kind"] == "kolmogorov").unwrap();
    let got: Vec<f64> = floats(&k["lambda"]).iter().map(|&l| kolmogorov_q(l)).collect();
    assert_close("Kolmogorov Q", &got, &floats(&k["q"]));
}

/// Two samples of one distribution: p < 0.05 in about 5 % of 400 trials (binomial sd 1.1 %).
#[test]
fn ks_p_values_are_calibrated_under_the_null() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let mut draw = |n: usize| -> Vec<f64> { (0..n).map(|_| StandardNormal.sample(&mut rng)).collect() };
    let trials = 400;
    let rejected = (0..trials).filter(|_| ks_test(&draw(120), &draw(80)).p < 0.05).count();
    let rate = rejected as f64 / trials as f64;
    assert!(
        (rate - 0.05).abs() < 4.0 * (0.05f64 * 0.95 / trials as f64).sqrt(),
        "rejection rate {rate}"
    );
    // And a shifted sample is rejected.
    let shifted: Vec<f64> = draw(200).iter().map(|v| v + 1.0).collect();
    assert!(ks_test(&shifted, &draw(200)).p < 1e-4);
}
