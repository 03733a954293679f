//! General matrix multiply through matrixmultiply's sgemm/dgemm, split across rayon threads.
//!
//! `matmul_reference` is the triple loop it replaces; the tests hold one to the other.

use super::Element;
use crate::backend::MatmulDims;
use rayon::prelude::*;

/// Below this many multiply-adds one thread does the whole product.
const PAR_FLOPS: usize = 1 << 18;

/// Row and column strides of a row-major [rows, cols] matrix, or of its transpose.
#[inline]
fn strides(cols_stored: usize, transposed: bool) -> (isize, isize) {
    if transposed {
        (1, cols_stored as isize)
    } else {
        (cols_stored as isize, 1)
    }
}

/// C = op(A) op(B) into a fresh [m, n] buffer.
pub(crate) fn matmul<E: Element>(a: &[E], b: &[E], d: MatmulDims) -> Vec<E> {
    let mut c = vec![E::zero(); d.m * d.n];
    gemm(a, b, &mut c, d, E::zero(), true);
    c
}

/// C ← op(A) op(B) + β C, C row-major [m, n]. With `parallel`, splits the larger of m and n
/// across rayon's threads (each thread runs a single-threaded gemm on its block of C).
pub fn gemm<E: Element>(a: &[E], b: &[E], c: &mut [E], d: MatmulDims, beta: E, parallel: bool) {
    let MatmulDims { m, k, n, trans_a, trans_b } = d;
    assert!(
        a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
        "gemm: buffers too small for {d:?}"
    );
    if m == 0 || n == 0 {
        return;
    }
    // A is stored [m, k] (or [k, m] when transposed); B is [k, n] (or [n, k]).
    let (rsa, csa) = strides(if trans_a { m } else { k }, trans_a);
    let (rsb, csb) = strides(if trans_b { k } else { n }, trans_b);
    let threads = rayon::current_num_threads();
    let chunks = if parallel && m * n * k >= PAR_FLOPS && threads > 1 {
        threads
    } else {
        1
    };
    let cp = c.as_mut_ptr() as usize;
    let run = |row0: usize, rows: usize, col0: usize, cols: usize| unsafe {
        let ap = a.as_ptr().offset(row0 as isize * rsa);
        let bp = b.as_ptr().offset(col0 as isize * csb);
        let cptr = (cp as *mut E).add(row0 * n + col0);
        E::gemm(rows, k, cols, E::one(), ap, rsa, csa, bp, rsb, csb, beta, cptr, n as isize, 1);
    };
    if chunks == 1 {
        run(0, m, 0, n);
    } else if m >= n {
        let step = m.div_ceil(chunks);
        (0..m)
            .step_by(step)
            .collect::<Vec<_>>()
            .into_par_iter()
            .for_each(|r0| run(r0, step.min(m - r0), 0, n));
    } else {
        // Column blocks that are multiples of 8 keep the gemm's micro-kernel on full tiles.
        let step = n.div_ceil(chunks).div_ceil(8) * 8;
        (0..n)
            .step_by(step)
            .collect::<Vec<_>>()
            .into_par_iter()
            .for_each(|c0| run(0, m, c0, step.min(n - c0)));
    }
}

/// The definition, C_ij = Σ_l op(A)_il op(B)_lj, as a triple loop.
pub fn matmul_reference<E: Element>(a: &[E], b: &[E], d: MatmulDims) -> Vec<E> {
    let MatmulDims { m, k, n, trans_a, trans_b } = d;
    let at = |i: usize, l: usize| if trans_a { a[l * m + i] } else { a[i * k + l] };
    let bt = |l: usize, j: usize| if trans_b { b[j * k + l] } else { b[l * n + j] };
    let mut c = vec![E::zero(); m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = E::zero();
            for l in 0..k {
                s = s + at(i, l) * bt(l, j);
            }
            c[i * n + j] = s;
        }
    }
    c
}
