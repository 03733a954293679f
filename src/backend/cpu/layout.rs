//! Moving elements without arithmetic: transpose, concatenation and its adjoint.

use super::Element;

/// Blocked so that both the reads and the writes stay within cache lines.
pub(crate) fn transpose<E: Element>(x: &[E], rows: usize, cols: usize) -> Vec<E> {
    const B: usize = 32;
    let mut out = vec![E::zero(); rows * cols];
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    out[c * rows + r] = x[r * cols + c];
                }
            }
        }
    }
    out
}

pub(crate) fn concat<E: Element>(parts: &[(&[E], usize)], outer: usize) -> Vec<E> {
    let total: usize = parts.iter().map(|p| p.1).sum();
    let mut out = Vec::with_capacity(outer * total);
    for o in 0..outer {
        for (data, block) in parts {
            out.extend_from_slice(&data[o * block..(o + 1) * block]);
        }
    }
    out
}

pub(crate) fn slice_block<E: Element>(x: &[E], outer: usize, block: usize, start: usize, len: usize) -> Vec<E> {
    let mut out = Vec::with_capacity(outer * len);
    for o in 0..outer {
        out.extend_from_slice(&x[o * block + start..o * block + start + len]);
    }
    out
}
