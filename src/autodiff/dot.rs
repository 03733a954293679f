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

/// Where [`Tape::write_dot_png`] put the picture.
#[derive(Debug, Clone, PartialEq)]
pub enum DotOutput {
    /// Rendered by Graphviz.
    Png(PathBuf),
    /// Graphviz was not found; the DOT text is here (`dot -Tpng FILE.dot -o FILE.png`).
    Dot(PathBuf),
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

    /// Writes the picture to `path` (a `.png`) with Graphviz, or the DOT text beside it (the
    /// same name with `.dot`) when `dot` is not installed. Warns on stderr when the tape has
    /// not run `backward` yet.
    pub fn write_dot_png(&self, path: &Path, grads: Option<&Grads<B>>) -> Result<DotOutput> {
        if grads.is_none() || !self.backward_done() {
            eprintln!("warning: drawing the tape before backward: the picture shows no gradients");
        }
        write_dot_png(&self.to_dot(grads)?, path)
    }
}

/// Renders DOT text to `path` (a `.png`) with Graphviz, or writes the text beside it (the same
/// name with `.dot`) when `dot` is not installed; a `path` ending in `.dot` gets the text.
pub fn write_dot_png(text: &str, path: &Path) -> Result<DotOutput> {
    let write = |p: &Path| std::fs::write(p, text).map_err(|e| Error::io(format!("writing {}", p.display()), e));
    if path.extension().is_some_and(|e| e == "dot") {
        write(path)?;
        return Ok(DotOutput::Dot(path.to_path_buf()));
    }
    match render_png(text, path) {
        Ok(()) => Ok(DotOutput::Png(path.to_path_buf())),
        Err(why) => {
            let dot_path = path.with_extension("dot");
            write(&dot_path)?;
            eprintln!(
                "note: {why}; wrote the DOT text to {} (render it with `dot -Tpng {} -o {}`)",
                dot_path.display(),
                dot_path.display(),
                path.display()
            );
            Ok(DotOutput::Dot(dot_path))
        }
    }
}

/// Pipes DOT text through `dot -Tpng`; the error says why no PNG was made.
fn render_png(text: &str, path: &Path) -> std::result::Result<(), String> {
    let mut child = Command::new("dot")
        .arg("-Tpng")
        .arg("-o")
        .arg(path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|_| "Graphviz `dot` is not on the PATH".to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin for dot")?
        .write_all(text.as_bytes())
        .map_err(|e| format!("writing to dot: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("running dot: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("dot failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}
