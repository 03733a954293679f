//! One error type for the whole crate. Every variant says what was wrong and, where a user can
//! act on it, what to do.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// Two shapes that an op cannot combine. Names the op and both shapes.
    #[error("{op}: shape mismatch: {lhs:?} vs {rhs:?} ({why})")]
    Shape {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        why: String,
    },
    /// An argument that is out of range for the op (zero stride, kernel larger than the image, …).
    #[error("{op}: invalid argument: {msg}")]
    Invalid { op: &'static str, msg: String },
    /// `backward` was called a second time on one tape; gradients would be counted twice.
    #[error("backward was already run on this tape; build a new tape for a new forward pass (gradients would otherwise be summed twice)")]
    BackwardTwice,
    /// A non-finite value caught by the guard mode, naming the first op that produced it.
    #[error("non-finite value ({count} of {len} elements) produced by op `{op}` (node {node}) in the {pass} pass")]
    NonFinite {
        op: String,
        node: usize,
        pass: &'static str,
        count: usize,
        len: usize,
    },
    /// A variable from another tape, or a gradient asked of a value that is not on the tape.
    #[error("{0}")]
    Tape(String),
    /// A checkpoint that cannot be read or does not match the model.
    #[error("checkpoint {path}: {msg}")]
    Checkpoint { path: String, msg: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A GPU that refused or lost work: no adapter, a tensor over a binding limit, a shader that
    /// does not build, a lost device, a failed read-back. Says what to do where a user can act.
    #[error("{0}")]
    Device(String),
    #[error("{0}")]
    Other(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize], why: impl Into<String>) -> Self {
        Error::Shape {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            why: why.into(),
        }
    }
    pub fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Invalid { op, msg: msg.into() }
    }
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
