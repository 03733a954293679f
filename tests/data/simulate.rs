//! The synthetic CMD simulator: its files are CMD files, it is seeded, its set designs, and its
//! maps have the model's spectrum and mean (read back through the CMD loader).

use crate::scratch_dir;
use cosmograd::data::cmd::{CmdDataset, DatasetSpec};
use cosmograd::data::fourier::{Fft2, Grid};
use cosmograd::data::params::{design, SetKind, FIDUCIAL, LOG_UNIFORM, RANGES};
use cosmograd::data::synthetic::cmd::{simulate_cmd, CmdSetConfig};
use cosmograd::data::synthetic::cmd_model::CmdModel;
use cosmograd::eval::fields::PlaneBins;

fn config(out: &std::path::Path, set: SetKind, sims: usize, size: usize, seed: u64) -> CmdSetConfig {
    CmdSetConfig {
        out: out.to_path_buf(),
        set,
        sims,
        size,
        seed,
        at: None,
        model: CmdModel::default(),
        force: false,
    }
}

#[test]
fn writes_cmd_files_that_the_loader_reads_and_is_seeded() {
    let dir = scratch_dir("sim_files");
    let set = simulate_cmd(&config(&dir, SetKind::Lh, 4, 16, 7), &|_| {}).unwrap();
    assert_eq!(set.maps.file_name().unwrap(), "Maps_T_Synthetic_LH_z=0.00.npy");
    assert_eq!(set.params_file.file_name().unwrap(), "params_LH_Synthetic.txt");
    let ds = CmdDataset::open(&dir, &DatasetSpec::parse("T", "Synthetic", "LH").unwrap()).unwrap();
    assert_eq!((ds.n_maps(), ds.n_sims(), ds.size()), (60, 4, 16));
    for (row, want) in ds.params().iter().zip(&set.params) {
        assert_eq!(row, want, "the parameter file holds the exact values");
    }
    // Same seed, same bytes; another seed, other maps; no overwrite without force.
    let bytes = std::fs::read(&set.maps).unwrap();
    let again = dir.join("again");
    simulate_cmd(&config(&again, SetKind::Lh, 4, 16, 7), &|_| {}).unwrap();
    assert!(std::fs::read(again.join("Maps_T_Synthetic_LH_z=0.00.npy")).unwrap() == bytes);
    let e = simulate_cmd(&config(&again, SetKind::Lh, 4, 16, 8), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("exists already") && e.contains("--force"), "{e}");
    let mut cfg = config(&again, SetKind::Lh, 4, 16, 8);
    cfg.force = true;
    simulate_cmd(&cfg, &|_| {}).unwrap();
    assert!(std::fs::read(again.join("Maps_T_Synthetic_LH_z=0.00.npy")).unwrap() != bytes);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn set_designs() {
    // LH: each parameter's range is cut into n strata (in ln for the A's), one point in each.
    let n = 50;
    let lh = design(SetKind::Lh, n, None, 3).unwrap();
    for i in 0..6 {
        let (lo, hi) = RANGES[i];
        let f = |v: f64| if LOG_UNIFORM[i] { v.ln() } else { v };
        let mut strata: Vec<usize> = lh
            .iter()
            .map(|r| (((f(r[i]) - f(lo)) / (f(hi) - f(lo))) * n as f64) as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..n).collect::<Vec<_>>(), "parameter {i}");
    }
    assert_ne!(design(SetKind::Lh, n, None, 4).unwrap(), lh);
    // CV: all at the fiducial point, or at --at.
    assert!(design(SetKind::Cv, 5, None, 0).unwrap().iter().all(|r| *r == FIDUCIAL));
    let at = [0.2, 0.9, 2.0, 0.5, 1.5, 0.7];
    assert!(design(SetKind::Lh, 5, Some(at), 0).unwrap().iter().all(|r| *r == at));
    // 1P: one parameter at a time, ends of the range included.
    let one = design(SetKind::OneP, 18, Some(at), 0).unwrap();
    for (k, row) in one.iter().enumerate() {
        let i = k / 3;
        for j in 0..6 {
            if j != i {
                assert_eq!(row[j], at[j]);
            }
        }
        let (lo, hi) = RANGES[i];
        let mid = if LOG_UNIFORM[i] { (lo * hi).sqrt() } else { (lo + hi) / 2.0 };
        let want = [lo, mid, hi][k % 3];
        assert!((row[i] - want).abs() < 1e-12, "1P row {k}: {} vs {want}", row[i]);
    }
    assert!(design(SetKind::OneP, 7, None, 0).unwrap_err().to_string().contains("multiple of 6"));
    assert!(design(SetKind::Cv, 3, Some([0.05, 0.8, 1.0, 1.0, 1.0, 1.0]), 0)
        .unwrap_err()
        .to_string()
        .contains("outside"));
}

/// A CV set at the fiducial point, 64², 10 simulations: log10 of the maps read back through
/// the loader has the model's power spectrum within the cosmic-variance band in every bin
/// (4 σ, σ² = ⟨P²⟩_bin/(modes · maps)), and map means of the model's mean and scatter.
#[test]
fn maps_have_the_model_spectrum_and_mean() {
    let dir = scratch_dir("sim_spectrum");
    let n = 64;
    simulate_cmd(&config(&dir, SetKind::Cv, 10, n, 21), &|_| {}).unwrap();
    let ds = CmdDataset::open(&dir, &DatasetSpec::parse("T", "Synthetic", "CV").unwrap()).unwrap();
    let model = CmdModel::default();
    let spec = model.spectrum(&FIDUCIAL, n).unwrap();
    let grid = Grid::new(n, model.box_size).unwrap();
    let (bins, fft) = (PlaneBins::new(grid), Fft2::new(&grid));
    let maps = ds.n_maps();
    let mut mean_p = vec![0.0; bins.k().len()];
    let mut means = vec![];
    for i in 0..maps {
        let y = ds.channel(0).map(i).mapv(|t| (t as f64).log10());
        means.push(y.mean().unwrap());
        let ps = bins.estimate(&fft.forward(y.view()).unwrap()).unwrap();
        mean_p.iter_mut().zip(&ps.power).for_each(|(a, p)| *a += p / maps as f64);
    }
    let want = bins.bin_average(|k| spec.total(k));
    let want2 = bins.bin_average(|k| spec.total(k).powi(2));
    for i in 0..want.len() {
        let sd = (want2[i] / (bins.modes()[i] * maps) as f64).sqrt();
        assert!(
            (mean_p[i] - want[i]).abs() < 4.0 * sd,
            "bin {i}: {} vs {} ± {sd}",
            mean_p[i],
            want[i]
        );
    }
    let m = means.iter().sum::<f64>() / maps as f64;
    let sd = (means.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (maps - 1) as f64).sqrt();
    assert!(
        (m - spec.mean).abs() < 4.0 * spec.mean_variance.sqrt() / (maps as f64).sqrt(),
        "mean {m} vs {}",
        spec.mean
    );
    // The sample sd of 150 normals is within ±4 · sd/√(2·149) of the truth.
    let truth = spec.mean_variance.sqrt();
    assert!((sd / truth - 1.0).abs() < 4.0 / (2.0 * 149.0f64).sqrt(), "scatter {sd} vs {truth}");
    std::fs::remove_dir_all(&dir).ok();
}
