//! The CMD loader on files written in the exact CMD layout: names, the map → row rule, splits
//! by simulation, normalisation from the training split only, augmentations, batches, and
//! every kind of bad input as an error.

use crate::scratch_dir;
use cosmograd::data::cmd::{CmdData, CmdDataset, DatasetSpec, Dihedral, Normaliser, Part, Split, Targets, CMD_FRACTIONS};
use ndarray::{Array2, Array3};
use ndarray_npy::write_npy;
use std::collections::HashSet;
use std::path::Path;

/// Map i holds 10^(i/100 + small pattern): positive, distinct per map and per pixel.
fn maps(n_maps: usize, s: usize) -> Array3<f32> {
    Array3::from_shape_fn((n_maps, s, s), |(i, y, x)| {
        10f32.powf(1.0 + i as f32 / 100.0 + ((y * s + x) % 7) as f32 / 50.0)
    })
}

/// Row r of the parameter file: Ω_m = 0.1 + r/1000, the rest fixed inside the ranges.
fn write_params(path: &Path, rows: usize) {
    let text: String = (0..rows)
        .map(|r| format!("{} 0.8 1.0 1.0 1.0 1.0\n", 0.1 + r as f64 / 1000.0))
        .collect();
    std::fs::write(path, text).unwrap();
}

fn spec(fields: &str) -> DatasetSpec {
    DatasetSpec::parse(fields, "IllustrisTNG", "LH").unwrap()
}

#[test]
fn round_trip_and_the_map_to_row_rule_for_both_namings() {
    let dir = scratch_dir("cmd_round_trip");
    let m = maps(45, 8);
    // Current names for T, the older z=0.0 name and params_<suite>.txt in a second directory.
    write_npy(dir.join("Maps_T_IllustrisTNG_LH_z=0.00.npy"), &m).unwrap();
    write_params(&dir.join("params_LH_IllustrisTNG.txt"), 3);
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    write_npy(old.join("Maps_T_IllustrisTNG_LH_z=0.0.npy"), &m).unwrap();
    write_params(&old.join("params_IllustrisTNG.txt"), 3);
    for d in [&dir, &old] {
        let ds = CmdDataset::open(d, &spec("T")).unwrap();
        assert_eq!((ds.n_maps(), ds.n_sims(), ds.size(), ds.n_channels()), (45, 3, 8, 1));
        for i in 0..45 {
            assert_eq!(ds.channel(0).map(i), m.index_axis(ndarray::Axis(0), i));
            let row = ds.params_of_map(i);
            assert!(
                (row[0] - (0.1 + (i / 15) as f64 / 1000.0)).abs() < 1e-15,
                "map {i} ↔ row {}",
                i / 15
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn splits_are_by_simulation_seeded_and_saved() {
    let s = Split::by_simulation(100, CMD_FRACTIONS, 3).unwrap();
    assert_eq!((s.train.len(), s.valid.len(), s.test.len()), (90, 5, 5));
    let sets: Vec<HashSet<usize>> = [Part::Train, Part::Valid, Part::Test]
        .iter()
        .map(|&p| s.maps(p).iter().map(|m| CmdDataset::sim_of_map(*m)).collect())
        .collect();
    assert!(sets[0].is_disjoint(&sets[1]) && sets[0].is_disjoint(&sets[2]) && sets[1].is_disjoint(&sets[2]));
    assert_eq!(sets.iter().map(|s| s.len()).sum::<usize>(), 100);
    // Every map of a simulation goes with it.
    assert_eq!(s.maps(Part::Test).len(), 5 * 15);
    assert_eq!(Split::by_simulation(100, CMD_FRACTIONS, 3).unwrap(), s);
    assert_ne!(Split::by_simulation(100, CMD_FRACTIONS, 4).unwrap().test, s.test);
    let small = Split::by_simulation(3, CMD_FRACTIONS, 0).unwrap();
    assert_eq!((small.train.len(), small.valid.len(), small.test.len()), (1, 1, 1));
    assert!(Split::by_simulation(2, CMD_FRACTIONS, 0).is_err());

    let dir = scratch_dir("cmd_split");
    let p = dir.join("split.json");
    s.save(&p).unwrap();
    assert_eq!(Split::load(&p, 100).unwrap(), s);
    let e = Split::load(&p, 99).unwrap_err().to_string();
    assert!(e.contains("split is of 100 simulations"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The mean and std come from the training maps alone (recomputed here in f64 by hand), and
/// differ from those of all maps.
#[test]
fn normalisation_uses_the_training_split_only() {
    let dir = scratch_dir("cmd_norm");
    let m = maps(20 * 15, 6);
    write_npy(dir.join("Maps_T_IllustrisTNG_LH_z=0.00.npy"), &m).unwrap();
    write_params(&dir.join("params_LH_IllustrisTNG.txt"), 20);
    let run = dir.join("run");
    let data = CmdData::prepare(&dir, &spec("T"), &run, 9, Targets::parse("all", true).unwrap(), &|_| {}).unwrap();
    let stats = |idx: &[usize]| {
        let v: Vec<f64> = idx
            .iter()
            .flat_map(|&i| {
                m.index_axis(ndarray::Axis(0), i)
                    .iter()
                    .map(|x| (*x as f64).log10())
                    .collect::<Vec<_>>()
            })
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (mean, (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt())
    };
    let (mean, std) = stats(&data.split.maps(Part::Train));
    let ch = &data.normaliser.channels[0];
    assert!(
        (ch.mean - mean).abs() < 1e-12 && (ch.std / std - 1.0).abs() < 1e-12,
        "{ch:?} vs {mean} {std}"
    );
    let (all_mean, _) = stats(&(0..300).collect::<Vec<_>>());
    assert!((ch.mean - all_mean).abs() > 1e-4, "the test split must shift the all-maps mean");
    assert_eq!(data.normaliser.maps, 18 * 15);
    // The run directory now holds both files, and a second prepare reads them back.
    let again = CmdData::prepare(&dir, &spec("T"), &run, 9, Targets::parse("all", true).unwrap(), &|_| {}).unwrap();
    assert_eq!(again.split, data.split);
    assert_eq!(again.normaliser, data.normaliser);
    let e = CmdData::prepare(&dir, &spec("T"), &run, 10, Targets::parse("all", true).unwrap(), &|_| {})
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("split seed 9"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_eight_augmentations_are_the_distinct_dihedral_transforms() {
    let n = 5;
    let map = Array2::from_shape_fn((n, n), |(y, x)| (y * n + x) as u32);
    let outs: Vec<Array2<u32>> = Dihedral::all().iter().map(|t| t.apply(map.view())).collect();
    let distinct: HashSet<Vec<u32>> = outs.iter().map(|o| o.iter().copied().collect()).collect();
    assert_eq!(distinct.len(), 8, "8 distinct images of an asymmetric map");
    assert!(outs.contains(&map), "the identity is one of them");
    // Each is a permutation of the pixels, and the set is closed under composition (a group).
    for o in &outs {
        let mut v: Vec<u32> = o.iter().copied().collect();
        v.sort_unstable();
        assert_eq!(v, (0..(n * n) as u32).collect::<Vec<_>>());
    }
    for a in Dihedral::all() {
        for b in Dihedral::all() {
            assert!(outs.contains(&b.apply(a.apply(map.view()).view())));
        }
    }
    // Rotations by 90° are among them: the transpose followed by a column flip.
    let rot90 = Array2::from_shape_fn((n, n), |(y, x)| map[[n - 1 - x, y]]);
    assert!(outs.contains(&rot90));
    // apply_into agrees with apply.
    for t in Dihedral::all() {
        let mut out = vec![0u32; n * n];
        t.apply_into(n, map.as_slice().unwrap(), &mut out);
        assert_eq!(out, t.apply(map.view()).iter().copied().collect::<Vec<_>>());
    }
}

#[test]
fn batches_stack_fields_as_channels_and_cover_each_map_once() {
    let dir = scratch_dir("cmd_batches");
    let t = maps(6 * 15, 4);
    let mgas = t.mapv(|v| v * 3.0);
    write_npy(dir.join("Maps_T_IllustrisTNG_LH_z=0.00.npy"), &t).unwrap();
    write_npy(dir.join("Maps_Mgas_IllustrisTNG_LH_z=0.00.npy"), &mgas).unwrap();
    write_params(&dir.join("params_LH_IllustrisTNG.txt"), 6);
    let data = CmdData::prepare(
        &dir,
        &spec("T,Mgas"),
        &dir.join("run"),
        1,
        Targets::parse("Omega_m,A_SN1", true).unwrap(),
        &|_| {},
    )
    .unwrap();
    let train = data.split.maps(Part::Train);
    let batches: Vec<_> = data.batches(Part::Train, 7, Some(5), None).unwrap().map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), train.len().div_ceil(7));
    let mut seen = vec![];
    for b in &batches {
        assert_eq!(b.x.shape()[1..], [2, 4, 4]);
        assert_eq!(b.y.shape()[1], 2);
        for (r, &m) in b.maps.iter().enumerate() {
            for (c, raw) in [&t, &mgas].iter().enumerate() {
                let ch = &data.normaliser.channels[c];
                for y in 0..4 {
                    for x in 0..4 {
                        let want = (((raw[[m, y, x]] as f64).log10() - ch.mean) / ch.std) as f32;
                        assert_eq!(b.x[[r, c, y, x]], want);
                    }
                }
            }
            // Ω_m = 0.1 + sim/1000 scaled on [0.1, 0.5]; ln A_SN1 = 0 on [ln 0.25, ln 4] → ½.
            let om = 0.1 + (m / 15) as f64 / 1000.0;
            assert!((b.y[[r, 0]] as f64 - (om - 0.1) / 0.4).abs() < 1e-6);
            assert!((b.y[[r, 1]] - 0.5).abs() < 1e-6);
            seen.push(m);
        }
    }
    seen.sort_unstable();
    assert_eq!(seen, train);
    // Augmented batches hold, per map, one of the 8 transforms of the plain one.
    let plain: Vec<_> = data.batches(Part::Valid, 4, None, None).unwrap().map(|b| b.unwrap()).collect();
    let aug: Vec<_> = data.batches(Part::Valid, 4, None, Some(11)).unwrap().map(|b| b.unwrap()).collect();
    let mut changed = 0;
    for (p, a) in plain.iter().zip(&aug) {
        for r in 0..p.maps.len() {
            let img = p.x.slice(ndarray::s![r, 0, .., ..]);
            let got = a.x.slice(ndarray::s![r, 0, .., ..]).to_owned();
            assert!(Dihedral::all().iter().any(|t| t.apply(img) == got));
            changed += (got != img) as usize;
        }
    }
    assert!(changed > 0, "some maps are transformed");
    std::fs::remove_dir_all(&dir).ok();
}

/// Every kind of bad input gives an error that says what was wrong, never a panic.
#[test]
fn bad_input_is_a_clear_error() {
    let dir = scratch_dir("cmd_bad");
    let err = |d: &Path, fields: &str| CmdDataset::open(d, &spec(fields)).err().expect("an error").to_string();
    // Missing maps file: both names and what is there.
    write_params(&dir.join("params_LH_IllustrisTNG.txt"), 2);
    let e = err(&dir, "T");
    assert!(
        e.contains("Maps_T_IllustrisTNG_LH_z=0.00.npy or Maps_T_IllustrisTNG_LH_z=0.0.npy") && e.contains("no Maps_* files"),
        "{e}"
    );
    // Wrong dtype.
    write_npy(dir.join("Maps_T_IllustrisTNG_LH_z=0.00.npy"), &Array3::<f64>::zeros((30, 4, 4))).unwrap();
    let e = err(&dir, "T");
    assert!(e.contains("float32") && e.contains("<f8"), "{e}");
    // Truncated.
    let p = dir.join("Maps_T_IllustrisTNG_LH_z=0.00.npy");
    write_npy(&p, &maps(30, 4)).unwrap();
    let len = std::fs::metadata(&p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len - 100)
        .unwrap();
    assert!(err(&dir, "T").contains("truncated: 100 bytes"));
    // Two-dimensional, and non-square maps.
    write_npy(&p, &Array2::<f32>::zeros((4, 4))).unwrap();
    assert!(err(&dir, "T").contains("has 2 dimensions"));
    write_npy(&p, &Array3::<f32>::zeros((30, 4, 5))).unwrap();
    assert!(err(&dir, "T").contains("4×5"));
    // Rows ≠ maps / 15.
    write_npy(&p, &maps(45, 4)).unwrap();
    let e = err(&dir, "T");
    assert!(
        e.contains("45 maps") && e.contains("2 rows") && e.contains("3 rows are needed"),
        "{e}"
    );
    // A malformed parameter row.
    std::fs::write(
        dir.join("params_LH_IllustrisTNG.txt"),
        "0.3 0.8 1 1 1 1\n0.3 0.8 1 1 x 1\n0.3 0.8 1 1 1 1\n",
    )
    .unwrap();
    assert!(err(&dir, "T").contains("line 2"));
    // Channels that do not match.
    write_params(&dir.join("params_LH_IllustrisTNG.txt"), 3);
    write_npy(dir.join("Maps_Mgas_IllustrisTNG_LH_z=0.00.npy"), &maps(30, 4)).unwrap();
    assert!(err(&dir, "T,Mgas").contains("must match"));
    // Unknown names.
    assert!(DatasetSpec::parse("Tx", "IllustrisTNG", "LH")
        .unwrap_err()
        .to_string()
        .contains("the CMD fields are"));
    assert!(DatasetSpec::parse("T", "Illustris", "LH")
        .unwrap_err()
        .to_string()
        .contains("the CMD suites are"));
    assert!(DatasetSpec::parse("T,T", "SIMBA", "LH").is_err());
    assert_eq!(DatasetSpec::parse("t", "nbody_simba", "CV").unwrap().suite, "Nbody_SIMBA");
    assert!(Targets::parse("Omega_m,w0", false)
        .unwrap_err()
        .to_string()
        .contains("unknown parameter `w0`"));
    // Non-finite and non-positive values: found when read, naming the map.
    let mut bad = maps(45, 4);
    bad[[37, 1, 2]] = f32::NAN;
    bad[[40, 0, 0]] = 0.0;
    write_npy(&p, &bad).unwrap();
    let ds = CmdDataset::open(&dir, &spec("T")).unwrap();
    let e = Normaliser::fit(&ds, &(0..45).collect::<Vec<_>>(), &|_| {}).unwrap_err().to_string();
    assert!(
        e.contains("map 37 (simulation 2), pixel (1, 2) is NaN") || e.contains("map 40 (simulation 2), pixel (0, 0) is 0"),
        "{e}"
    );
    let norm = Normaliser::fit(&ds, &(0..30).collect::<Vec<_>>(), &|_| {}).unwrap();
    let targets = Targets::parse("all", false).unwrap();
    let e = cosmograd::data::cmd::Batches::new(&ds, &norm, &targets, &[36, 37, 38], 3, None, None)
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("map 37"), "{e}");
    let e = cosmograd::data::cmd::Batches::new(&ds, &norm, &targets, &[40], 1, None, None)
        .unwrap()
        .next()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(e.contains("map 40") && e.contains("positive values"), "{e}");
    assert!(cosmograd::data::cmd::Batches::new(&ds, &norm, &targets, &[45], 1, None, None).is_err());
    assert!(CmdDataset::open(&dir.join("nope"), &spec("T")).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

/// Targets: min–max on the CMD ranges, ln A when asked, and back.
#[test]
fn targets_scale_and_unscale() {
    let theta = [0.3, 0.8, 1.0, 4.0, 0.5, 2.0];
    let lin = Targets::parse("Omega_m,sigma_8,A_SN1,A_AGN1,A_SN2,A_AGN2", false).unwrap();
    let s = lin.scale(&theta);
    let want = [0.5, 0.5, 0.75 / 3.75, 1.0, 0.0, 1.0];
    for (g, w) in s.iter().zip(want) {
        assert!((g - w).abs() < 1e-12, "{s:?}");
    }
    let ln = Targets::parse("all", true).unwrap();
    let s = ln.scale(&theta);
    assert!(
        (s[2] - 0.5).abs() < 1e-12 && (s[3] - 1.0).abs() < 1e-12,
        "A = 1 is the middle of [1/4, 4] in ln A: {s:?}"
    );
    for t in [&lin, &ln] {
        let s = t.scale(&theta);
        for (j, &v) in s.iter().enumerate() {
            assert!((t.unscale(j, v) - theta[j]).abs() < 1e-12);
            // The slope is d(physical)/d(scaled).
            let h = 1e-6;
            let fd = (t.unscale(j, v + h) - t.unscale(j, v - h)) / (2.0 * h);
            assert!((t.unscale_slope(j, v) / fd - 1.0).abs() < 1e-6);
        }
    }
    assert_eq!(Targets::parse("s8, Om", false).unwrap().names(), ["sigma_8", "Omega_m"]);
    assert!(Targets::parse("Omega_m,Omega_m", false).is_err());
}
