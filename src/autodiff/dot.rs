//! Graphviz pictures of a tape. Each value is a record node `name | shape | value | gradient`;
//! each op sits as an ellipse between the values it reads and the value it writes.
//!
//! ```
//! use cosmograd::prelude::*;
//!
//! let tape = Tape::new(Cpu::<f64>::default()).retain_grads(true);
//! let x = tape.leaf(Tensor::from_f64(tape.backend(), &[1.0, 2.0], &[2]).unwrap()).named("x");
//! let e = x.exp().unwrap().sum().unwrap().named("E");
//! let grads = tape.backward(e).unwrap();
//! let dot = tape.to_dot(Some(&grads)).unwrap();
//! assert!(dot.starts_with("digraph tape {") && dot.contains("exp"));
//! ```
//!
//! [`Tape::write_dot_png`] renders the picture with Graphviz's `dot` when it is on the PATH
//! and writes the `.dot` text otherwise.

use super::trace::{node_name, num};
use super::{Grads, NodeKind, Tape};
use crate::backend::Backend;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What [`Tape::write_dot_png`] / [`write_dot_png`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum DotOutput {
    /// The PNG, rendered by Graphviz, at the path given.
    Png(PathBuf),
    /// The DOT text at the path given (it ended in `.dot` or `.gv`).
    Dot(PathBuf),
    /// No PNG could be made (`why`: Graphviz's `dot` is not on the PATH, or it failed), so
    /// the DOT text went to `path` instead: the path given with the extension `.dot`, a file
    /// that did not exist before (`dot -Tpng FILE.dot -o FILE.png` renders it later).
    DotInstead { path: PathBuf, why: String },
}

impl std::fmt::Display for DotOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DotOutput::Png(p) | DotOutput::Dot(p) => write!(f, "wrote {}", p.display()),
            DotOutput::DotInstead { path, why } => write!(
                f,
                "{why}, so no PNG was made; wrote the DOT text to {} instead (render it with `dot -Tpng {} -o {}`)",
                path.display(),
                path.display(),
                path.with_extension("png").display()
            ),
        }
    }
}

/// Characters that structure a record label, escaped so that names like `V^2` or shapes print.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// `= v` for one element, else the mean and range.
fn summary(v: &[f64]) -> String {
    match v.len() {
        0 => "empty".into(),
        1 => format!("= {}", num(v[0])),
        n => {
            let mean = v.iter().sum::<f64>() / n as f64;
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            format!("mean {} in [{}, {}]", num(mean), num(min), num(max))
        }
    }
}

impl<B: Backend> Tape<B> {
    /// The tape as a Graphviz digraph. Pass the gradients of a finished backward pass to show
    /// them; a tape built with [`Tape::retain_grads`] shows the intermediate ones too. A
    /// picture drawn before `backward` says so in its caption.
    pub fn to_dot(&self, grads: Option<&Grads<B>>) -> Result<String> {
        let b = self.backend();
        let nodes = self.nodes();
        let mut s = String::from("digraph tape {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
        if grads.is_none() || !self.backward_done() {
            s.push_str("  label=\"warning: drawn before backward — no gradients yet\";\n  labelloc=t;\n");
        }
        for (id, node) in nodes.iter().enumerate() {
            let name = node_name(self, id);
            let grad = match grads.and_then(|g| g.by_id(id)) {
                Some(g) => {
                    let v = g.to_vec_f64(b)?;
                    if v.len() == 1 {
                        format!("∂E/∂ {}", num(v[0]))
                    } else {
                        format!("‖∂E/∂‖ {}", num(v.iter().map(|x| x * x).sum::<f64>().sqrt()))
                    }
                }
                None if node.requires_grad => "∂E/∂ not kept".into(),
                None => "no gradient".into(),
            };
            let fill = match node.kind {
                NodeKind::Param(_) => "lightgoldenrod1",
                NodeKind::Input if node.requires_grad => "lightblue",
                NodeKind::Input => "white",
                NodeKind::Op => "gray95",
            };
            // Values and ops share one group, which Graphviz draws as a straight spine with
            // the parameters beside it instead of a staircase.
            let group = if matches!(node.kind, NodeKind::Param(_)) {
                ""
            } else {
                "group=spine, "
            };
            s.push_str(&format!(
                "  n{id} [{group}shape=record, style=filled, fillcolor={fill}, label=\"{{{} | {} | {} | {}}}\"];\n",
                esc(&name),
                esc(&format!("{:?}", node.value.shape())),
                esc(&summary(&node.value.to_vec_f64(b)?)),
                esc(&grad)
            ));
            if node.kind == NodeKind::Op {
                let detail = node.rule.as_ref().map(|r| r.detail()).unwrap_or_default();
                let label = if detail.is_empty() {
                    node.op_name.clone()
                } else {
                    format!("{}\\n{}", node.op_name, detail)
                };
                s.push_str(&format!(
                    "  op{id} [group=spine, shape=ellipse, style=filled, fillcolor=palegreen, label=\"{label}\"];\n"
                ));
                for &i in &node.inputs {
                    s.push_str(&format!("  n{i} -> op{id};\n"));
                }
                s.push_str(&format!("  op{id} -> n{id};\n"));
            }
        }
        s.push_str("}\n");
        Ok(s)
    }

    /// Writes the picture to `path`: a PNG rendered by Graphviz for a `.png` path, the DOT
    /// text for a `.dot` path (see [`write_dot_png`]). Warns on stderr when the tape has not
    /// run `backward` yet.
    pub fn write_dot_png(&self, path: &Path, grads: Option<&Grads<B>>) -> Result<DotOutput> {
        if grads.is_none() || !self.backward_done() {
            let _ = writeln!(
                std::io::stderr(),
                "warning: drawing the tape before backward: the picture shows no gradients"
            );
        }
        write_dot_png(&self.to_dot(grads)?, path)
    }
}

/// Writes a picture of DOT `text` to exactly `path`: for a name ending in `.png`, the PNG
/// rendered by Graphviz's `dot`; for `.dot` (or `.gv`), the text itself. Any other name is
/// an error, as is a directory.
///
/// When no PNG can be made (Graphviz is not installed, or it fails), the text goes to the
/// same name with `.dot` instead ([`DotOutput::DotInstead`] says why) — but only if that
/// file does not exist yet: a file other than the one named is never overwritten. The PNG is
/// written only once Graphviz has finished, so a failure leaves no half-written file.
pub fn write_dot_png(text: &str, path: &Path) -> Result<DotOutput> {
    let invalid = |msg: String| Error::invalid("dot", msg);
    if path.as_os_str().is_empty() {
        return Err(invalid("the picture needs a file name, e.g. tape.png or tape.dot".into()));
    }
    let named_dir = path.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR);
    if path.is_dir() || named_dir {
        return Err(invalid(format!(
            "{} is a directory; give a file name inside it, e.g. {}",
            path.display(),
            path.join("tape.png").display()
        )));
    }
    let io = |p: &Path, e: std::io::Error| Error::io(format!("writing {}", p.display()), e);
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    match ext.as_deref() {
        Some("dot" | "gv") => {
            std::fs::write(path, text).map_err(|e| io(path, e))?;
            return Ok(DotOutput::Dot(path.to_path_buf()));
        }
        Some("png") => {}
        _ => {
            return Err(invalid(format!(
                "{} must end in .png (a picture rendered by Graphviz) or .dot (the Graphviz text)",
                path.display()
            )))
        }
    }
    let why = match render_png(text) {
        Ok(png) => {
            std::fs::write(path, png).map_err(|e| io(path, e))?;
            return Ok(DotOutput::Png(path.to_path_buf()));
        }
        Err(why) => why,
    };
    let dot_path = path.with_extension("dot");
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&dot_path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    match created {
        Ok(()) => Ok(DotOutput::DotInstead { path: dot_path, why }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(invalid(format!(
            "{why}, so no PNG was made, and the DOT text was not written either: {} already exists and was left \
             alone; name a .dot file to write the text (e.g. {}), or install Graphviz",
            dot_path.display(),
            path.with_extension("new.dot").display()
        ))),
        Err(e) => Err(io(&dot_path, e)),
    }
}

/// Pipes DOT text through `dot -Tpng` and returns the PNG bytes; the error says why no PNG
/// was made.
fn render_png(text: &str) -> std::result::Result<Vec<u8>, String> {
    let mut child = Command::new("dot")
        .arg("-Tpng")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "Graphviz's `dot` is not on the PATH (install Graphviz, e.g. `apt-get install graphviz`)".to_string()
            }
            _ => format!("Graphviz's `dot` could not be started ({e})"),
        })?;
    // Written from a thread: dot may fill its output pipe before it has read all its input.
    let mut stdin = child.stdin.take().ok_or("no stdin for dot")?;
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| format!("running Graphviz's `dot`: {e}"))?;
    let written = writer.join().map_err(|_| "writing to Graphviz's `dot` failed".to_string())?;
    if !out.status.success() {
        return Err(format!("Graphviz's `dot` failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
    }
    written.map_err(|e| format!("writing to Graphviz's `dot`: {e}"))?;
    Ok(out.stdout)
}
