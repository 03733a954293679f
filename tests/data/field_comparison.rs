//! `compare_fields` as a judge: two independent simulated sets are consistent; the same set
//! with its amplitude scaled by 1.1, with a wrong mean (the source report's DDPM failure),
//! collapsed onto one map (its GAN failure), or made of training maps turned and flipped is not
//! — each caught by the statistic meant to catch it.

use cosmograd::data::quijote::{LognormalSlices, QuijoteSettings};
use cosmograd::eval::fields::diagnostics::{batch_diagnostics, mean_pairwise_distance};
use cosmograd::eval::fields::memorisation::dihedral;
use cosmograd::eval::fields::{compare_fields, CompareOptions, FieldComparison};
use ndarray::{Array3, Axis};
use std::sync::OnceLock;

const MAPS: usize = 200;

/// Real (held-out), generated-by-a-perfect-model and training sets: three seeds of one simulator.
fn sets() -> &'static [Array3<f32>; 3] {
    static SETS: OnceLock<[Array3<f32>; 3]> = OnceLock::new();
    SETS.get_or_init(|| {
        let sim = LognormalSlices::new(QuijoteSettings::default()).unwrap();
        [1, 2, 3].map(|seed| sim.simulate(MAPS, seed, || {}))
    })
}

fn judge(generated: &Array3<f32>) -> FieldComparison {
    let [real, _, train] = sets();
    compare_fields(
        generated.view(),
        real.view(),
        Some(train.view()),
        1000.0,
        &CompareOptions::default(),
        &|_| {},
    )
    .unwrap()
}

fn verdict(c: &FieldComparison, name: &str) -> bool {
    c.verdicts.iter().find(|v| v.statistic == name).unwrap().verdict.pass
}

fn table(c: &FieldComparison) -> String {
    c.verdicts
        .iter()
        .map(|v| {
            format!(
                "{} {:.3} {}",
                v.statistic,
                v.verdict.value,
                if v.verdict.pass { "pass" } else { "FAIL" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_independent_sets_are_consistent() {
    let c = judge(&sets()[1]);
    println!("{}", table(&c));
    assert!(c.pass, "{}", table(&c));
    assert!(c.power_ratio.max_ratio_deviation < 0.1, "{}", c.power_ratio.max_ratio_deviation);
    assert!(c.memorisation.copies == 0 && (c.memorisation.median_ratio - 1.0).abs() < 0.05);
    // The JSON names every statistic.
    let json = serde_json::to_value(&c).unwrap();
    for key in [
        "power_spectrum",
        "power_ratio",
        "pixel_pdf",
        "map_means",
        "map_variances",
        "peaks",
        "minkowski",
        "clusters",
        "memorisation",
        "verdicts",
        "pass",
    ] {
        assert!(json.get(key).is_some(), "no key {key}");
    }
}

/// δ → 1.1 δ: P(k) 21 % high everywhere, map variances 21 % high.
#[test]
fn an_amplitude_scaled_by_1_1_is_inconsistent() {
    let c = judge(&sets()[1].mapv(|v| 1.1 * v));
    println!("{}", table(&c));
    assert!(!c.pass);
    assert!(
        !verdict(&c, "power_ratio") && !verdict(&c, "map_variances") && !verdict(&c, "pixel_pdf"),
        "{}",
        table(&c)
    );
    assert!((c.power_ratio.max_ratio_deviation - 0.21).abs() < 0.1);
}

/// Every map's mean off by 0.03 (1.3 times the scatter of slab means): the map-mean KS test
/// fails, while P(k) (blind to the mean) passes.
#[test]
fn a_wrong_mean_is_caught_by_the_map_means() {
    let c = judge(&sets()[1].mapv(|v| v + 0.03));
    println!("{}", table(&c));
    assert!(!verdict(&c, "map_means") && verdict(&c, "power_ratio"), "{}", table(&c));
    assert!(c.map_means.ks.p < 1e-6);
}

/// Every output one map plus faint noise: the scatter ratio collapses; the batch diagnostics
/// of a training loop see it on 32 maps.
#[test]
fn a_collapsed_generator_is_caught_by_the_scatter_ratio() {
    let [real, other, _] = sets();
    let one = other.index_axis(Axis(0), 0);
    let collapsed = Array3::from_shape_fn((MAPS, 64, 64), |(i, y, x)| one[[y, x]] + 0.02 * other[[(i + 1) % MAPS, y, x]]);
    let c = judge(&collapsed);
    println!("{}", table(&c));
    assert!(
        !verdict(&c, "scatter_ratio") && c.power_ratio.scatter_ratio_range.1 < 0.2,
        "{}",
        table(&c)
    );
    let batch = |a: &Array3<f32>| a.slice(ndarray::s![..32, .., ..]).to_owned();
    let d = batch_diagnostics(batch(&collapsed).view(), batch(real).view(), 1000.0).unwrap();
    assert!(d.scatter_ratio_mean < 0.2 && d.pairwise_ratio < 0.1, "{d:?}");
    let healthy = batch_diagnostics(batch(other).view(), batch(real).view(), 1000.0).unwrap();
    assert!(
        (healthy.pairwise_ratio - 1.0).abs() < 0.05 && (healthy.scatter_ratio_mean - 1.0).abs() < 0.3,
        "{healthy:?}"
    );
    assert!((mean_pairwise_distance(batch(real).view()) - healthy.pairwise_distance_real).abs() < 1e-12);
}

/// Training maps, each turned or flipped: every one a copy to the memorisation test.
#[test]
fn copies_of_training_maps_are_caught() {
    let [_, _, train] = sets();
    let mut copies = Array3::<f32>::zeros(train.dim());
    for (i, mut m) in copies.outer_iter_mut().enumerate() {
        m.assign(&dihedral(train.index_axis(Axis(0), i), i % 8));
    }
    let c = judge(&copies);
    assert!(!verdict(&c, "memorisation") && c.memorisation.copies == MAPS, "{}", table(&c));
    assert!(c.memorisation.generated_nn.iter().all(|&d| d < 1e-3));
}

#[test]
fn mismatched_sets_are_errors() {
    let [real, _, _] = sets();
    let small = Array3::<f32>::zeros((5, 32, 32));
    let one = Array3::<f32>::zeros((1, 64, 64));
    let opts = CompareOptions::default();
    assert!(compare_fields(small.view(), real.view(), None, 1000.0, &opts, &|_| {}).is_err());
    assert!(compare_fields(one.view(), real.view(), None, 1000.0, &opts, &|_| {}).is_err());
    assert!(compare_fields(real.view(), real.view(), Some(small.view()), 1000.0, &opts, &|_| {}).is_err());
}
