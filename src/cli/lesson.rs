//! `cosmograd lesson [--net thesis|mdn-head] [--seed S] [--activation f] [--lr λ] --out FILE
//! [--force]`: the interactive backprop lesson as one self-contained HTML file.

use crate::error::{Error, Result};
use crate::teach::lesson::{lesson, LessonNet, LessonOptions};
use crate::teach::Activation;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// The network: the thesis's Figure 2 (eqs. 24–39) or the mixture-density head (eqs. 56–57).
    #[arg(long, value_enum, default_value_t = LessonNet::Thesis)]
    pub net: LessonNet,
    /// Seed of the weights and the sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The activation f of the thesis network's layer 3 (default sigmoid; thesis only).
    #[arg(long, value_enum)]
    pub activation: Option<Activation>,
    /// The learning rate λ of the update the page shows (eqs. 8, 29, 39).
    #[arg(long, default_value_t = 0.5)]
    pub lr: f64,
    /// The HTML file to write, exactly this path (e.g. lesson.html).
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<i32> {
    if a.out.as_os_str().is_empty() {
        return Err(Error::invalid("lesson", "--out needs a file name, e.g. --out lesson.html"));
    }
    if a.out.is_dir() {
        return Err(Error::invalid(
            "lesson",
            format!(
                "--out {} is a directory; give a file name, e.g. {}",
                a.out.display(),
                a.out.join("lesson.html").display()
            ),
        ));
    }
    if a.net == LessonNet::MdnHead && a.activation.is_some() {
        return Err(Error::invalid(
            "lesson",
            "--activation sets f of the thesis network's layer 3; the mdn-head lesson has none (drop --activation or use --net thesis)",
        ));
    }
    if a.out.exists() && !a.force {
        return Err(exists(&a.out));
    }
    let l = lesson(&LessonOptions {
        net: a.net,
        seed: a.seed,
        lr: a.lr,
        activation: a.activation.unwrap_or(Activation::Sigmoid),
    })?;
    let html = l.html()?;
    write(&a.out, html.as_bytes(), a.force)?;
    eprintln!(
        "wrote {} ({:.0} KB, {} steps); open it in a browser, or at a step: {}#step={}",
        a.out.display(),
        html.len() as f64 / 1024.0,
        l.data.steps.len(),
        a.out.display(),
        l.data.first_backward
    );
    Ok(0)
}

fn exists(path: &Path) -> Error {
    Error::invalid("lesson", format!("{} exists; pass --force to overwrite it", path.display()))
}

/// Writes exactly `path`; without `force` the file must not exist (checked by the create
/// itself, so a file appearing meanwhile is not overwritten either).
fn write(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    let mut f = opts.open(path).map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists => exists(path),
        ErrorKind::NotFound => Error::io(
            format!("cannot write {}: its directory does not exist (create it first)", path.display()),
            e,
        ),
        _ => Error::io(format!("cannot write {} (check that its directory is writable)", path.display()), e),
    })?;
    f.write_all(bytes)
        .and_then(|_| f.flush())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
