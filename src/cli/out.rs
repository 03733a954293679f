//! Output and argument parsing that never panic: what a user can do to a terminal (close the
//! pipe, fill the disk) or type on the command line becomes an error with a message.

use crate::error::{Error, Result};
use std::io::Write;

/// The context of errors writing standard output; `main` recognises a closed pipe by it.
pub const STDOUT: &str = "writing to standard output";

/// Writes `text` to standard output. A closed pipe (`cosmograd gradcheck | head -1`) or a
/// full disk (`> /dev/full`) is an error here, not the panic of `print!`.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::io(STDOUT, e))
}

/// A line on standard error; nothing to be done if that is closed too.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Whether an error is standard output's reader having gone away (a closed pipe), which ends
/// a command quietly, as for other Unix tools.
pub fn is_closed_pipe(e: &Error) -> bool {
    matches!(e, Error::Io { context, source } if context == STDOUT && source.kind() == std::io::ErrorKind::BrokenPipe)
}

/// A seed: a whole number from 0 to 2⁶⁴ − 1 (`--seed -1` gets this message, not clap's
/// "unexpected argument").
pub fn seed(s: &str) -> std::result::Result<u64, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a seed: give a whole number from 0 to {}", u64::MAX))
}

/// A count: a whole number ≥ 0.
pub fn count(s: &str) -> std::result::Result<usize, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a count: give a whole number ≥ 0"))
}

/// A finite number > 0 (a learning rate).
pub fn positive(s: &str) -> std::result::Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(x) => Err(format!("{x} is not allowed here: give a finite number > 0")),
        Err(_) => Err(format!("`{s}` is not a number: give a finite number > 0, e.g. 0.5")),
    }
}
