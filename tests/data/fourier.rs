//! The 2-D real FFT against a direct DFT, its round trip, and the grid's wavenumbers.

use cosmograd::data::fourier::{Fft2, Grid};
use cosmograd::data::grf::white_noise;
use std::f64::consts::PI;

#[test]
fn forward_is_the_unnormalised_dft_and_inverse_undoes_it() {
    for n in [6, 7, 8] {
        let grid = Grid::new(n, 3.0).unwrap();
        let fft = Fft2::new(&grid);
        let x = white_noise(n, 11);
        let got = fft.forward(x.view()).unwrap();
        assert_eq!(got.dim(), (n, n / 2 + 1));
        for ((ky, kx), g) in got.indexed_iter() {
            let (mut re, mut im) = (0.0, 0.0);
            for ((y, xx), v) in x.indexed_iter() {
                let phase = -2.0 * PI * ((ky * y) as f64 + (kx * xx) as f64) / n as f64;
                re += v * phase.cos();
                im += v * phase.sin();
            }
            assert!(
                (g.re - re).abs() < 1e-10 && (g.im - im).abs() < 1e-10,
                "n {n} ({ky},{kx}): {g} vs {re}+{im}i"
            );
        }
        let back = fft.inverse(got).unwrap();
        let err = back.iter().zip(x.iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err < 1e-12, "n {n}: round trip error {err}");
    }
}

#[test]
fn wrong_sizes_are_errors_and_frequencies_follow_numpy() {
    let grid = Grid::new(8, 25.0).unwrap();
    let fft = Fft2::new(&grid);
    assert!(fft.forward(ndarray::Array2::zeros((8, 7)).view()).is_err());
    assert!(fft.inverse(ndarray::Array2::zeros((8, 4))).is_err());
    let f: Vec<i64> = (0..8).map(|i| grid.freq(i)).collect();
    assert_eq!(f, [0, 1, 2, 3, 4, -3, -2, -1]);
    assert!((grid.k_mag(5, 4) - 5.0 * 2.0 * PI / 25.0).abs() < 1e-14);
    assert!(Grid::new(1, 1.0).is_err() && Grid::new(8, 0.0).is_err() && Grid::new(8, f64::INFINITY).is_err());
}
