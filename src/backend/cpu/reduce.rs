//! Sums: along an axis, into a broadcast operand, of squares; and the non-finite count.

use super::{Element, PAR_MIN};
use crate::backend::{AxisDims, Bcast};
use rayon::prelude::*;

/// x [outer, n, inner] → Σ_middle → [outer, inner]. Accumulates in f64 so that f32 sums of
/// long rows do not lose digits.
pub(crate) fn sum_axis<E: Element>(x: &[E], d: AxisDims) -> Vec<E> {
    let AxisDims { outer, n, inner } = d;
    let row = |o: usize, out: &mut [E]| {
        let mut acc = vec![0.0f64; inner];
        for j in 0..n {
            let base = (o * n + j) * inner;
            for (a, v) in acc.iter_mut().zip(&x[base..base + inner]) {
                *a += v.f64();
            }
        }
        for (o, a) in out.iter_mut().zip(acc) {
            *o = E::of(a);
        }
    };
    let mut out = vec![E::zero(); outer * inner];
    if inner == 0 {
        return out;
    }
    if x.len() >= PAR_MIN && outer > 1 {
        out.par_chunks_mut(inner).enumerate().for_each(|(o, c)| row(o, c));
    } else {
        out.chunks_mut(inner).enumerate().for_each(|(o, c)| row(o, c));
    }
    out
}

/// x [outer, n, inner] → m + ln Σ_j exp(x_j − m) with m = max_j x_j → [outer, inner], in f64.
/// m = ±∞ is returned as is (all −∞: ln 0; any +∞: +∞), where x − m would be NaN; a NaN
/// anywhere in the row makes the result NaN (the comparison skips it, the sum does not).
pub(crate) fn logsumexp_axis<E: Element>(x: &[E], d: AxisDims) -> Vec<E> {
    let AxisDims { outer, n, inner } = d;
    let one = |i: usize| -> E {
        let (o, k) = (i / inner, i % inner);
        let at = |j: usize| x[(o * n + j) * inner + k].f64();
        let m = (0..n).map(at).fold(f64::NEG_INFINITY, f64::max);
        if m.is_infinite() {
            return E::of(if (0..n).any(|j| at(j).is_nan()) { f64::NAN } else { m });
        }
        E::of(m + (0..n).map(|j| (at(j) - m).exp()).sum::<f64>().ln())
    };
    let total = outer * inner;
    if x.len() >= PAR_MIN {
        (0..total).into_par_iter().map(one).collect()
    } else {
        (0..total).map(one).collect()
    }
}

/// g [outer, inner] → [outer, n, inner], copying along the middle axis.
pub(crate) fn expand_axis<E: Element>(g: &[E], d: AxisDims) -> Vec<E> {
    let AxisDims { outer, n, inner } = d;
    let mut out = Vec::with_capacity(outer * n * inner);
    for o in 0..outer {
        for _ in 0..n {
            out.extend_from_slice(&g[o * inner..(o + 1) * inner]);
        }
    }
    out
}

/// out[j] = Σ_{i < len, map(i) = j} g[i]: the gradient of an operand read through `map`.
pub(crate) fn reduce_bcast<E: Element>(g: &[E], map: Bcast, len: usize) -> Vec<E> {
    if map.is_full(len) {
        return g.to_vec();
    }
    let Bcast { mid, inner } = map;
    let period = mid * inner;
    // Each output j sums the blocks [rep·period + j·inner, … + inner) over the repetitions.
    let one = |j: usize| -> E {
        let mut acc = 0.0f64;
        let mut start = j * inner;
        while start < len {
            let end = (start + inner).min(len);
            acc += g[start..end].iter().map(|v| v.f64()).sum::<f64>();
            start += period;
        }
        E::of(acc)
    };
    if len >= PAR_MIN && mid > 1 {
        (0..mid).into_par_iter().map(one).collect()
    } else if len >= PAR_MIN {
        // A scalar operand: a parallel sum over all of g.
        vec![E::of(ordered_sum(g, |v| v))]
    } else {
        (0..mid).map(one).collect()
    }
}

pub(crate) fn sum_squares<E: Element>(x: &[E]) -> f64 {
    ordered_sum(x, |v| v * v)
}

/// Σ f(x_i) in f64, in parallel, with an order of additions that does not depend on the
/// scheduling: fixed chunks, each summed in order, the chunk sums added in order. (Rayon's own
/// `sum` splits where work is stolen, so its last bits change from run to run, and a resumed
/// training run would drift from the uninterrupted one through the clipping norm.)
fn ordered_sum<E: Element>(x: &[E], f: impl Fn(f64) -> f64 + Sync) -> f64 {
    const CHUNK: usize = 1 << 14;
    let partial: Vec<f64> = x.par_chunks(CHUNK).map(|c| c.iter().map(|v| f(v.f64())).sum::<f64>()).collect();
    partial.iter().sum()
}

pub(crate) fn count_nonfinite<E: Element>(x: &[E]) -> usize {
    x.par_iter().filter(|v| !v.is_finite()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_sums_are_the_same_on_any_number_of_threads() {
        let x: Vec<f32> = (0..300_001).map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1e-3).collect();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| (sum_squares(&x).to_bits(), ordered_sum(&x, |v| v).to_bits()))
        };
        let one = on(1);
        for threads in [2, 3, 4] {
            assert_eq!(on(threads), one, "{threads} threads");
        }
        let seq: f64 = x.chunks(1 << 14).map(|c| c.iter().map(|v| (*v as f64).powi(2)).sum::<f64>()).sum();
        assert_eq!(f64::from_bits(one.0), seq);
    }
}
