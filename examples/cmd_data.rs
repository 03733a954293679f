//! Throughput of the data path: `simulate cmd` and one epoch of training batches read back
//! through the CMD loader, with the process's peak memory. Numbers for notes/benchmarks.md.
//!
//! ```sh
//! cargo run --release --example cmd_data -- [SIMS] [SIZE] [DIR]   # defaults: 200 sims, 256², a temp dir
//! ```

use cosmograd::data::cmd::{CmdData, DatasetSpec, Part, Targets};
use cosmograd::data::params::SetKind;
use cosmograd::data::synthetic::cmd::{simulate_cmd, CmdSetConfig};
use cosmograd::data::synthetic::cmd_model::CmdModel;
use std::time::Instant;

/// A memory figure of /proc/self/status (VmHWM: peak resident; RssAnon: heap now), in MiB.
fn status_mib(key: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

fn main() -> cosmograd::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let sims: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(256);
    let dir = args
        .get(3)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("cosmograd-cmd-data-{}", std::process::id())));
    let cfg = CmdSetConfig {
        out: dir.clone(),
        set: SetKind::Lh,
        sims,
        size,
        seed: 1,
        at: None,
        model: CmdModel::default(),
        force: true,
    };
    let threads = rayon::current_num_threads();
    let t = Instant::now();
    simulate_cmd(&cfg, &|_| {})?;
    let dt = t.elapsed().as_secs_f64();
    let maps = sims * 15;
    println!(
        "simulate: {maps} maps of {size}² in {dt:.2} s = {:.0} maps/s ({threads} threads)",
        maps as f64 / dt
    );
    println!("  peak resident memory so far {:.0} MiB", status_mib("VmHWM:").unwrap_or(f64::NAN));

    let spec = DatasetSpec::parse("T", "Synthetic", "LH")?;
    let run = dir.join("run");
    let _ = std::fs::remove_dir_all(&run);
    let t = Instant::now();
    let data = CmdData::prepare(&dir, &spec, &run, 0, Targets::parse("all", true)?, &|_| {})?;
    let train = data.split.maps(Part::Train).len();
    println!("normalisation over {train} training maps: {:.2} s", t.elapsed().as_secs_f64());
    println!("  peak resident memory so far {:.0} MiB", status_mib("VmHWM:").unwrap_or(f64::NAN));
    let t = Instant::now();
    let mut n = 0;
    for b in data.batches(Part::Train, 32, Some(1), Some(2))? {
        n += b?.maps.len();
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "one epoch of augmented batches of 32: {n} maps in {dt:.2} s = {:.0} maps/s",
        n as f64 / dt
    );
    if let (Some(p), Some(a)) = (status_mib("VmHWM:"), status_mib("RssAnon:")) {
        let file = (maps * size * size * 4) as f64 / 1048576.0;
        println!("peak resident memory {p:.0} MiB, heap now {a:.0} MiB (the maps file is {file:.0} MiB)");
    }
    if args.get(3).is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}
