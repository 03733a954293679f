//! The density-slice loader and the [−1, 1] transform: round trips in both units, and every
//! kind of bad file refused with a message that says what to do.

use cosmograd::data::slices::{load_slices, write_slices, LoadOptions, Units};
use cosmograd::data::transform::ContrastTransform;
use ndarray::{Array, Array3, Array4, ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cosmograd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn save<A: ndarray_npy::WritableElement, D: ndarray::Dimension>(path: &Path, a: &Array<A, D>) {
    a.write_npy(std::fs::File::create(path).unwrap()).unwrap();
}

fn err(path: &Path, opts: &LoadOptions) -> String {
    load_slices(path, opts).unwrap_err().to_string()
}

fn sample() -> Array3<f32> {
    Array3::from_shape_fn((3, 8, 8), |(i, y, x)| ((i * 64 + y * 8 + x) % 13) as f32 / 10.0 - 0.9)
}

#[test]
fn slices_round_trip_in_their_own_units() {
    let dir = temp_dir("slices-roundtrip");
    let delta = sample();
    for units in [Units::DensityContrast, Units::Overdensity] {
        let path = dir.join(format!("{units:?}.npy"));
        write_slices(&path, delta.view(), units, 250.0, serde_json::json!({"seed": 5})).unwrap();
        // On disk, in the units asked for.
        let raw: Array3<f32> = ndarray_npy::read_npy(&path).unwrap();
        let offset = if units == Units::Overdensity { 1.0 } else { 0.0 };
        assert!(raw.iter().zip(delta.iter()).all(|(r, d)| (r - d - offset).abs() < 1e-6));
        // Read back as δ, units and box from the sidecar, extra keys kept in it.
        let s = load_slices(&path, &LoadOptions::default()).unwrap();
        assert_eq!((s.units, s.box_size, s.len(), s.size()), (units, 250.0, 3, 8));
        assert!(s.delta.iter().zip(delta.iter()).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        let side = std::fs::read_to_string(path.with_extension("json")).unwrap();
        assert!(side.contains("\"seed\": 5"), "{side}");
    }
    // A directory stands for its slices.npy; `limit` reads the first maps.
    write_slices(
        &dir.join("slices.npy"),
        delta.view(),
        Units::DensityContrast,
        1000.0,
        serde_json::Value::Null,
    )
    .unwrap();
    let s = load_slices(
        &dir,
        &LoadOptions {
            limit: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_without_a_sidecar_take_the_flag_or_default_to_delta() {
    let dir = temp_dir("slices-nosidecar");
    let path = dir.join("x.npy");
    let over = sample().mapv(|d| d + 1.0);
    save(&path, &over);
    let s = load_slices(
        &path,
        &LoadOptions {
            units: Some(Units::Overdensity),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(s.delta.iter().zip(sample().iter()).all(|(a, b)| (a - b).abs() < 1e-6));
    assert_eq!(s.box_size, 1000.0);
    // Without the flag: δ assumed, with a warning that names the flag, and a second one
    // because a mean near 1 suggests 1 + δ.
    let s = load_slices(&path, &LoadOptions::default()).unwrap();
    assert_eq!(s.units, Units::DensityContrast);
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(s.warnings[1].contains("--overdensity"), "{:?}", s.warnings);
    // f64 files and (N, 1, H, W) files are read too.
    save(&path, &Array4::from_shape_fn((2, 1, 4, 4), |(i, _, y, x)| (i + y + x) as f64 * 0.1));
    let s = load_slices(&path, &LoadOptions::default()).unwrap();
    assert_eq!(s.delta.dim(), (2, 4, 4));
    assert!((s.delta[[1, 3, 2]] - 0.6).abs() < 1e-6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = temp_dir("slices-bad");
    let path = dir.join("bad.npy");
    let none = LoadOptions::default();

    std::fs::write(&path, b"").unwrap();
    assert!(err(&path, &none).contains("empty file"), "{}", err(&path, &none));
    std::fs::write(&path, b"not numpy at all").unwrap();
    assert!(err(&path, &none).contains("not a readable .npy"), "{}", err(&path, &none));
    assert!(err(&dir.join("missing.npy"), &none).contains("missing.npy"));

    save(&path, &ArrayD::<f32>::zeros(IxDyn(&[4, 4])));
    assert!(err(&path, &none).contains("(N, H, W)"), "{}", err(&path, &none));
    save(&path, &ArrayD::<f32>::zeros(IxDyn(&[2, 3, 4, 4])));
    assert!(err(&path, &none).contains("(N, H, W)"), "{}", err(&path, &none));
    save(&path, &Array3::<f32>::zeros((0, 8, 8)));
    assert!(err(&path, &none).contains("no maps"), "{}", err(&path, &none));
    save(&path, &Array3::<f32>::zeros((2, 8, 6)));
    assert!(err(&path, &none).contains("square"), "{}", err(&path, &none));
    save(&path, &Array3::<f32>::zeros((2, 8, 8)));
    let sized = LoadOptions {
        size: Some(64),
        ..Default::default()
    };
    assert!(err(&path, &sized).contains("8×8 but 64×64"), "{}", err(&path, &sized));
    save(&path, &Array3::<i32>::zeros((2, 8, 8)));
    assert!(err(&path, &none).contains("float32 or float64"), "{}", err(&path, &none));

    let mut nan = Array3::<f32>::zeros((2, 8, 8));
    nan[[1, 2, 3]] = f32::NAN;
    nan[[1, 4, 4]] = f32::INFINITY;
    save(&path, &nan);
    let e = err(&path, &none);
    assert!(e.contains("2 non-finite") && e.contains("map 1") && e.contains("y 2, x 3"), "{e}");

    // 1 + δ < 0 read as an overdensity, δ < −1 read as a density contrast.
    let mut neg = Array3::<f32>::ones((2, 8, 8));
    neg[[0, 5, 1]] = -0.25;
    save(&path, &neg);
    let over = LoadOptions {
        units: Some(Units::Overdensity),
        ..Default::default()
    };
    let e = err(&path, &over);
    assert!(
        e.contains("cannot be negative") && e.contains("--density-contrast") && e.contains("map 0"),
        "{e}"
    );
    neg[[0, 5, 1]] = -1.5;
    save(&path, &neg);
    let e = err(&path, &none);
    assert!(e.contains("< −1") && e.contains("y 5, x 1"), "{e}");

    // A sidecar's units win over the flag (which is for files without one); a sidecar that is
    // not JSON is an error.
    write_slices(
        &path,
        Array3::<f32>::zeros((2, 8, 8)).view(),
        Units::DensityContrast,
        1000.0,
        serde_json::Value::Null,
    )
    .unwrap();
    assert_eq!(load_slices(&path, &over).unwrap().units, Units::DensityContrast);
    std::fs::write(path.with_extension("json"), "{ nope").unwrap();
    assert!(err(&path, &none).contains("not a slices sidecar"), "{}", err(&path, &none));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// s(x) = 2x/(x + a) − 1 = tanh(½ ln(x/a)) on x = 1 + δ: its fixed points, its inverse,
/// the tanh form (an independent formula), and a = the median overdensity.
#[test]
fn the_contrast_transform_is_explicit_and_invertible() {
    let t = ContrastTransform::new(0.7).unwrap();
    assert_eq!(t.forward(-1.0), -1.0); // an empty cell
    assert!(t.forward(-0.3).abs() < 1e-15); // x = a
    for delta in [-0.99, -0.5, 0.0, 0.3, 2.0, 50.0, 235.2] {
        let s = t.forward(delta);
        let tanh = (0.5 * ((1.0 + delta) / 0.7).ln()).tanh();
        assert!((s - tanh).abs() < 1e-14, "δ = {delta}: {s} vs {tanh}");
        assert!(s > -1.0 && s < 1.0);
        assert!((t.inverse(s) - delta).abs() < 1e-10 * (1.0 + delta.abs()), "δ = {delta}");
    }
    // Out-of-range model outputs are clamped and counted, never infinite.
    let s = Array3::from_shape_vec((1, 1, 4), vec![-1.5f32, 0.0, 1.0, f32::NAN]).unwrap();
    let (delta, outside) = t.inverse_maps(s.view());
    assert_eq!(outside, 3);
    assert!(delta.iter().all(|v| v.is_finite() && *v >= -1.0));
    assert_eq!(delta[[0, 0, 0]], -1.0);
    // The fit centres the data: a = median(1 + δ).
    let d = Array3::from_shape_vec((1, 1, 5), vec![-0.5f32, 0.0, 0.5, 1.0, 9.0]).unwrap();
    let fitted = ContrastTransform::fit(d.view()).unwrap();
    assert!((fitted.a - 1.5).abs() < 1e-12);
    let maps = t.forward_maps(d.view());
    let (back, outside) = t.inverse_maps(maps.view());
    assert_eq!(outside, 0);
    assert!(back.iter().zip(d.iter()).all(|(a, b)| (a - b).abs() < 1e-5 * (1.0 + b.abs())));
    assert!(ContrastTransform::new(0.0).is_err() && ContrastTransform::new(f64::NAN).is_err());
    let empty = Array3::<f32>::from_elem((1, 1, 3), -1.0);
    assert!(ContrastTransform::fit(empty.view()).is_err());
}
