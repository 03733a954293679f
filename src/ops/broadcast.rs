//! Which broadcasts the binary ops accept, and the [`Bcast`] index map each operand is read by.
//!
//! Supported: equal shapes; a one-element operand (scalar); and an operand whose dimensions
//! other than 1 form one contiguous block of the output's dimensions — per-feature vectors
//! `[F]` or `[1, F]` against `[N, F]`, per-channel vectors `[C, 1, 1]` or `[1, C, 1, 1]`
//! against `[N, C, H, W]`. These cover every model here and map to one GPU-friendly index
//! formula, `(i / inner) % mid`.

use crate::backend::Bcast;
use crate::error::{Error, Result};

/// (output shape, map of a, map of b).
pub fn broadcast_maps(op: &'static str, a: &[usize], b: &[usize]) -> Result<(Vec<usize>, Bcast, Bcast)> {
    let rank = a.len().max(b.len());
    let pad = |s: &[usize]| -> Vec<usize> { std::iter::repeat_n(1, rank - s.len()).chain(s.iter().copied()).collect() };
    let (pa, pb) = (pad(a), pad(b));
    let mut out = Vec::with_capacity(rank);
    for (&x, &y) in pa.iter().zip(&pb) {
        out.push(match (x, y) {
            _ if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(Error::shape(op, a, b, "dimensions differ and neither is 1")),
        });
    }
    let len = crate::tensor::checked_numel(op, &out)?;
    let map = |p: &[usize]| -> Result<Bcast> {
        if p.iter().product::<usize>() == len {
            return Ok(Bcast::full(len));
        }
        // The operand's dimensions that are not 1 (ignoring those where the output is 1 too).
        let live: Vec<usize> = (0..rank).filter(|&j| p[j] != 1).collect();
        let (Some(&lo), Some(&hi)) = (live.first(), live.last()) else {
            return Ok(Bcast::scalar());
        };
        if (lo..=hi).any(|j| p[j] != out[j] && out[j] != 1) {
            return Err(Error::shape(
                op,
                a,
                b,
                "unsupported broadcast: the smaller operand must be a scalar or match one contiguous block of dimensions (per-feature, per-channel)",
            ));
        }
        Ok(Bcast {
            mid: out[lo..=hi].iter().product(),
            inner: out[hi + 1..].iter().product(),
        })
    };
    Ok((out.clone(), map(&pa)?, map(&pb)?))
}
