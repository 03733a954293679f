//! Row-wise softmax and log-softmax, max-subtracted so that no exponential overflows.

use super::{Element, PAR_MIN};
use rayon::prelude::*;

fn rows_map<E: Element>(x: &[E], cols: usize, f: impl Fn(&[E], &mut [E]) + Sync + Send) -> Vec<E> {
    let mut out = vec![E::zero(); x.len()];
    if cols == 0 {
        return out;
    }
    if x.len() >= PAR_MIN {
        out.par_chunks_mut(cols).zip(x.par_chunks(cols)).for_each(|(o, r)| f(r, o));
    } else {
        out.chunks_mut(cols).zip(x.chunks(cols)).for_each(|(o, r)| f(r, o));
    }
    out
}

/// softmax(x)_j = e^{x_j − m} / Σ_i e^{x_i − m}, m = max_i x_i (thesis eq. 47);
/// log-softmax(x)_j = x_j − m − ln Σ_i e^{x_i − m}.
pub(crate) fn softmax_rows<E: Element>(x: &[E], _rows: usize, cols: usize, log: bool) -> Vec<E> {
    rows_map(x, cols, |r, o| {
        let m = r.iter().fold(E::neg_infinity(), |a, &b| a.max(b));
        let sum: E = r.iter().map(|&v| (v - m).exp()).sum();
        if log {
            let lse = m + sum.ln();
            o.iter_mut().zip(r).for_each(|(o, &v)| *o = v - lse);
        } else {
            o.iter_mut().zip(r).for_each(|(o, &v)| *o = (v - m).exp() / sum);
        }
    })
}

/// From the saved output y: softmax g_x = y ⊙ (g − ⟨g, y⟩); log-softmax g_x = g − eʸ Σ g.
pub(crate) fn softmax_rows_backward<E: Element>(y: &[E], g: &[E], _rows: usize, cols: usize, log: bool) -> Vec<E> {
    let mut out = vec![E::zero(); y.len()];
    if cols == 0 {
        return out;
    }
    let row = |(o, (yr, gr)): (&mut [E], (&[E], &[E]))| {
        if log {
            let s: E = gr.iter().copied().sum();
            for j in 0..cols {
                o[j] = gr[j] - yr[j].exp() * s;
            }
        } else {
            let dot: E = gr.iter().zip(yr).map(|(&a, &b)| a * b).sum();
            for j in 0..cols {
                o[j] = yr[j] * (gr[j] - dot);
            }
        }
    };
    if y.len() >= PAR_MIN {
        out.par_chunks_mut(cols)
            .zip(y.par_chunks(cols).zip(g.par_chunks(cols)))
            .for_each(row);
    } else {
        out.chunks_mut(cols).zip(y.chunks(cols).zip(g.chunks(cols))).for_each(row);
    }
    out
}
