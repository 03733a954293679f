//! What every training loop shares: seeded batch orders and augmentations (pure functions of
//! the seed and a counter, so a resumed run needs no generator state), the progress bar,
//! metrics as JSON lines, checkpoint metadata, and the guard's diagnosis of a non-finite step.

use super::run_dir::{files, RunDir};
use crate::backend::random::splitmix64 as mix;
use crate::error::{Error, Result};
use crate::nn::checkpoint::CheckpointInfo;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The order of the training maps in `epoch` (0-based): a Fisher–Yates shuffle seeded by
/// (seed, epoch) alone.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = mix(seed ^ mix(epoch as u64 + 1));
    for i in (1..n).rev() {
        state = mix(state);
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

/// The dihedral transform (0–7) of the map at `position` of `epoch`'s order.
pub fn augmentation(seed: u64, epoch: usize, position: usize) -> u8 {
    (mix(mix(seed ^ 0xa5a5_5a5a) ^ mix((epoch as u64) << 32 | position as u64)) % 8) as u8
}

/// The seed of step `step` (counting from 0): dropout masks, diffusion times and noise.
pub fn step_seed(seed: u64, step: u64) -> u64 {
    mix(seed ^ mix(step ^ 0x5eed))
}

/// Applies dihedral transform `k` (rotation by k mod 4 quarter turns, then a transpose-flip
/// for k ≥ 4) to each S×S plane of `map`.
pub fn dihedral(map: &[f32], size: usize, k: u8, out: &mut [f32]) {
    let s = size;
    for (src, dst) in map.chunks_exact(s * s).zip(out.chunks_exact_mut(s * s)) {
        for i in 0..s {
            for j in 0..s {
                // (i, j) of the output reads (r, c) of the input.
                let (r, c) = match k % 4 {
                    0 => (i, j),
                    1 => (j, s - 1 - i),
                    2 => (s - 1 - i, s - 1 - j),
                    _ => (s - 1 - j, i),
                };
                let (r, c) = if k >= 4 { (c, r) } else { (r, c) };
                dst[i * s + j] = src[r * s + c];
            }
        }
    }
}

/// A progress bar over `total` units (steps, reverse steps), starting at `at`; hidden unless
/// `show`.
pub fn progress_bar(show: bool, total: u64, at: u64, unit: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    let template = format!("{{bar:30}} {{pos}}/{{len}} {unit} [{{elapsed_precise}}<{{eta_precise}}] {{msg}}");
    bar.set_style(indicatif::ProgressStyle::with_template(&template).expect("a valid template"));
    bar.set_position(at);
    bar
}

/// Writes one JSON object per line to `files::METRICS` (atomically: the whole history).
pub fn write_metrics<T: Serialize>(run: &RunDir, history: &[T]) -> Result<()> {
    write_lines(run, files::METRICS, history)
}

/// Writes one JSON object per line to the run's file `name` (atomically: all lines).
pub fn write_lines<T: Serialize>(run: &RunDir, name: &str, lines: &[T]) -> Result<()> {
    let mut text = String::new();
    for m in lines {
        text.push_str(&serde_json::to_string(m).expect("metrics serialise"));
        text.push('\n');
    }
    run.write_text(name, &text)
}

/// The metrics lines of the epochs a checkpoint holds (`keep`): an interrupted epoch's line
/// never reached the file, but a crash between the two writes could leave one extra. A
/// missing file is an empty history.
pub fn read_metrics<T: DeserializeOwned>(run: &RunDir, keep: impl Fn(&T) -> bool) -> Result<Vec<T>> {
    read_lines(run, files::METRICS, keep)
}

/// The lines of the run's JSON-lines file `name` that `keep` accepts (none if it is missing).
pub fn read_lines<T: DeserializeOwned>(run: &RunDir, name: &str, keep: impl Fn(&T) -> bool) -> Result<Vec<T>> {
    let Ok(text) = run.read_text(name) else {
        return Ok(Vec::new());
    };
    let all = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|e| Error::Other(format!("{} is damaged: {e}", run.file(name).display())))?;
    Ok(all.into_iter().filter(|m| keep(m)).collect())
}

/// A JSON value stored under `key` in a checkpoint's metadata, if it is there and readable.
pub fn metadata_json<T: DeserializeOwned>(info: &CheckpointInfo, key: &str) -> Option<T> {
    info.metadata.get(key).and_then(|s| serde_json::from_str(s).ok())
}

/// The checkpoint metadata keys of a loop's training options and trainer state (JSON), the same
/// in every loop so `load_resumable` reads them all.
pub const OPTIONS_KEY: &str = "train.options";
pub const STATE_KEY: &str = "train.state";

/// The `--resume` checks every loop makes after checking its model: the checkpoint at `path`
/// (already read into `info`) must have been trained with `opts` and hold a readable trainer
/// state; its parameters and optimiser moments are then loaded, and the optimiser's step count
/// must equal the state's (`step_of`). `incompatible` words the error for the run.
pub fn load_resumable<B, O, S>(
    path: &std::path::Path,
    info: &CheckpointInfo,
    opts: &O,
    store: &mut crate::nn::ParamStore<B>,
    opt: &mut dyn crate::nn::optim::Optimizer<B>,
    step_of: impl Fn(&S) -> u64,
    incompatible: &dyn Fn(String) -> Error,
) -> Result<S>
where
    B: crate::backend::Backend,
    O: PartialEq + std::fmt::Debug + DeserializeOwned,
    S: DeserializeOwned,
{
    let saved: Option<O> = metadata_json(info, OPTIONS_KEY);
    if saved.as_ref() != Some(opts) {
        return Err(incompatible(format!("its training options were {saved:?}, now {opts:?}")));
    }
    let state: S =
        metadata_json(info, STATE_KEY).ok_or_else(|| incompatible(format!("{} has no readable trainer state", path.display())))?;
    crate::nn::checkpoint::load(path, store, Some(opt))?;
    if opt.steps() != step_of(&state) {
        return Err(incompatible(format!(
            "{}: the optimiser has taken {} steps but the trainer state says {}",
            path.display(),
            opt.steps(),
            step_of(&state)
        )));
    }
    Ok(state)
}

/// What running a failed step again under the tape's guard found: the first op that produced
/// a non-finite value, or why it could not say.
pub fn guard_culprit<T>(rerun: Result<T>) -> String {
    match rerun {
        Err(Error::NonFinite { op, node, pass, .. }) => {
            format!("the first non-finite value came from op `{op}` (node {node}) in the {pass} pass")
        }
        Err(e) => format!("running the step again under the guard failed: {e}"),
        Ok(_) => "running the step again under the guard found no non-finite value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(3, 0, 100);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, epoch_order(3, 0, 100));
        assert_ne!(a, epoch_order(3, 1, 100));
        assert_ne!(a, epoch_order(4, 0, 100));
    }

    #[test]
    fn augmentations_cover_all_eight_transforms() {
        let mut seen = [0; 8];
        for p in 0..800 {
            seen[augmentation(1, 2, p) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
    }

    #[test]
    fn the_dihedral_transforms_are_the_eight_symmetries_of_the_square() {
        // A 3×3 map with distinct values: the 8 transforms give 8 distinct maps, each a
        // permutation, and k = 1 is a quarter turn (applied four times: the identity).
        let m: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let mut outs = Vec::new();
        for k in 0..8 {
            let mut o = vec![0.0; 9];
            dihedral(&m, 3, k, &mut o);
            let mut s = o.clone();
            s.sort_by(f32::total_cmp);
            assert_eq!(s, m);
            outs.push(o);
        }
        for i in 0..8 {
            for j in 0..i {
                assert_ne!(outs[i], outs[j], "{i} {j}");
            }
        }
        let mut r = m.clone();
        for _ in 0..4 {
            let mut o = vec![0.0; 9];
            dihedral(&r, 3, 1, &mut o);
            r = o;
        }
        assert_eq!(r, m);
        // Quarter turn: the top row becomes the right column… in one direction or the other;
        // here (i, j) ← (j, S−1−i): out row 0 = input column 2 read downwards.
        assert_eq!(&outs[1][0..3], &[2.0, 5.0, 8.0]);
    }
}
