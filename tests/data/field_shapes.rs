//! Peaks, Minkowski functionals and clusters on small maps whose answers are known by hand:
//! periodic wrapping, diagonal contacts, a hole, a band around the torus.

use cosmograd::eval::fields::clusters::cluster_counts;
use cosmograd::eval::fields::minkowski::minkowski_functionals;
use cosmograd::eval::fields::peaks::peak_heights;
use ndarray::Array2;

/// An n×n map of zeros with ones at the given (y, x).
fn map(n: usize, ones: &[(usize, usize)]) -> Array2<f64> {
    let mut m = Array2::zeros((n, n));
    for &(y, x) in ones {
        m[[y, x]] = 1.0;
    }
    m
}

#[test]
fn peaks_are_strict_maxima_of_the_periodic_neighbourhood() {
    let mut m = map(6, &[(0, 0), (3, 3)]);
    m[[5, 5]] = 0.5; // a corner neighbour of (0, 0) across both edges: not a peak
    m[[2, 3]] = 1.0; // ties with (3, 3): neither is strictly above the other
    let mut p = peak_heights(m.view());
    p.sort_by(f64::total_cmp);
    assert_eq!(p, vec![1.0]);
    // A constant map has no peaks; a single bump wrapped across the corner has one.
    assert!(peak_heights(Array2::<f64>::ones((4, 4)).view()).is_empty());
    let mut c = Array2::<f64>::zeros((5, 5));
    c[[4, 4]] = 3.0;
    c[[0, 0]] = 2.0;
    assert_eq!(peak_heights(c.view()), vec![3.0]);
}

/// One pixel above t = ½ among zeros: area 1, one component, and the marching-squares contour
/// a diamond through the four mid-points between it and its neighbours, perimeter 4·√½.
#[test]
fn minkowski_functionals_of_one_pixel() {
    let n = 8;
    let f = minkowski_functionals(map(n, &[(2, 5)]).view(), &[0.5]);
    let area = (n * n) as f64;
    assert!((f.v0[0] - 1.0 / area).abs() < 1e-15);
    assert!((f.v1[0] - 4.0 * 0.5f64.sqrt() / (4.0 * area)).abs() < 1e-15, "{}", f.v1[0]);
    assert!((f.v2[0] - 1.0 / area).abs() < 1e-15);
    // Above the maximum nothing; below the minimum everything, with no boundary and the Euler
    // characteristic of the torus, 0.
    let f = minkowski_functionals(map(n, &[(2, 5)]).view(), &[1.5, -0.5]);
    assert_eq!((f.v0[0], f.v1[0], f.v2[0]), (0.0, 0.0, 0.0));
    assert_eq!((f.v0[1], f.v1[1], f.v2[1]), (1.0, 0.0, 0.0));
}

/// A ring (one component, one hole) has χ = 0; a band around the torus too; two pixels that
/// touch at a corner with their shared block's centre below t are two components.
#[test]
fn euler_characteristic_counts_components_minus_holes() {
    let n = 9;
    let ring: Vec<(usize, usize)> = (2..7).flat_map(|i| [(2, i), (6, i), (i, 2), (i, 6)]).collect();
    let f = minkowski_functionals(map(n, &ring).view(), &[0.5]);
    assert!(f.v2[0].abs() < 1e-15, "ring: χ/A = {}", f.v2[0]);
    let band: Vec<(usize, usize)> = (0..n).map(|x| (4, x)).collect();
    let f = minkowski_functionals(map(n, &band).view(), &[0.5]);
    assert!(f.v2[0].abs() < 1e-15);
    // The band's two edges are straight lines of length n.
    assert!((f.v1[0] - 2.0 * n as f64 / (4.0 * (n * n) as f64)).abs() < 1e-12, "{}", f.v1[0]);
    let diagonal = map(n, &[(3, 3), (4, 4)]);
    let f = minkowski_functionals(diagonal.view(), &[0.4, 0.6]);
    let area = (n * n) as f64;
    // Block centre = ½: above t = 0.4 (joined, χ = 1), below t = 0.6 (apart, χ = 2).
    assert!(
        (f.v2[0] * area - 1.0).abs() < 1e-12 && (f.v2[1] * area - 2.0).abs() < 1e-12,
        "{:?}",
        f.v2
    );
}

#[test]
fn clusters_use_periodic_8_connectivity() {
    let n = 7;
    // Diagonal neighbours join; edges wrap; a far pixel stays alone.
    let m = map(n, &[(0, 0), (1, 1), (6, 6), (0, 6), (3, 3), (3, 4), (4, 3)]);
    let (counts, sizes) = cluster_counts(m.view(), &[0.5, 2.0]);
    assert_eq!(counts, vec![2.0, 0.0]);
    assert_eq!(sizes, vec![3.5, 0.0]);
    let band: Vec<(usize, usize)> = (0..n).map(|x| (2, x)).collect();
    assert_eq!(cluster_counts(map(n, &band).view(), &[0.5]).0, vec![1.0]);
    // Everything above: one cluster of every pixel.
    assert_eq!(cluster_counts(Array2::<f64>::ones((4, 4)).view(), &[0.0]), (vec![1.0], vec![16.0]));
}
