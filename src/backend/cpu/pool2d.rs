//! Max and average pooling over each plane of [n, c, h, w], no padding, floor mode. Planes are
//! independent, so every kernel is a parallel loop over planes; each is already the plain
//! loop of its formula.

use super::{Element, PAR_MIN};
use crate::backend::Pool2dGeom;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Runs `f(plane index, out plane)` over `out` split into planes of `per`, in parallel when
/// the work is large enough to pay for it.
pub(crate) fn for_planes<E: Element>(out: &mut [E], per: usize, work: usize, f: impl Fn(usize, &mut [E]) + Sync) {
    if per == 0 {
        return;
    }
    if work >= PAR_MIN {
        out.par_chunks_mut(per).enumerate().for_each(|(i, o)| f(i, o));
    } else {
        out.chunks_mut(per).enumerate().for_each(|(i, o)| f(i, o));
    }
}

/// A fresh vector of `len` elements built plane by plane (planes of `per`) by `f`, without
/// zeroing it first: for outputs that a kernel writes completely, the zeroing would be one more
/// pass over memory.
///
/// # Safety
/// `f` must write every element of the plane it is given.
pub(crate) unsafe fn build_planes<E: Element>(
    len: usize,
    per: usize,
    work: usize,
    f: impl Fn(usize, &mut [MaybeUninit<E>]) + Sync,
) -> Vec<E> {
    let mut out = Vec::with_capacity(len);
    if per > 0 {
        let spare = &mut out.spare_capacity_mut()[..len];
        if work >= PAR_MIN {
            spare.par_chunks_mut(per).enumerate().for_each(|(i, o)| f(i, o));
        } else {
            spare.chunks_mut(per).enumerate().for_each(|(i, o)| f(i, o));
        }
    }
    // SAFETY: the caller's `f` wrote every element of every plane.
    unsafe { out.set_len(len) };
    out
}

/// Like `for_planes`, over two outputs split alike (max pooling's values and argmax).
fn for_plane_pairs<E: Element>(a: &mut [E], b: &mut [E], per: usize, work: usize, f: impl Fn(usize, (&mut [E], &mut [E])) + Sync) {
    if work >= PAR_MIN {
        a.par_chunks_mut(per)
            .zip(b.par_chunks_mut(per))
            .enumerate()
            .for_each(|(i, p)| f(i, p));
    } else {
        a.chunks_mut(per).zip(b.chunks_mut(per)).enumerate().for_each(|(i, p)| f(i, p));
    }
}

/// (y, argmax): y = max over each window; argmax = the winner's offset iy·w + ix in its plane
/// (the first one on ties), saved for the backward.
pub(crate) fn maxpool2d_forward<E: Element>(x: &[E], g: Pool2dGeom) -> (Vec<E>, Vec<E>) {
    let (po, pi) = (g.h_out * g.w_out, g.h * g.w);
    let (mut y, mut arg) = (vec![E::zero(); g.out_len()], vec![E::zero(); g.out_len()]);
    // The running maximum and its index stay in registers, updated by selects rather than
    // branches: on noisy data "is this larger?" is a coin flip that a branch predictor loses.
    let run = |i: usize, (vals, idx): (&mut [E], &mut [E])| {
        let plane = &x[i * pi..(i + 1) * pi];
        for oy in 0..g.h_out {
            for ox in 0..g.w_out {
                let base = oy * g.stride * g.w + ox * g.stride;
                let (mut best, mut at) = (plane[base], base);
                for ki in 0..g.kh {
                    let r = base + ki * g.w;
                    for (j, &v) in plane[r..r + g.kw].iter().enumerate() {
                        // `v != v` is a NaN: it wins, so NaNs propagate as in PyTorch.
                        #[allow(clippy::eq_op)]
                        let wins = (v > best) | (v != v);
                        at = if wins { r + j } else { at };
                        best = if wins { v } else { best };
                    }
                }
                vals[oy * g.w_out + ox] = best;
                idx[oy * g.w_out + ox] = E::of(at as f64);
            }
        }
    };
    if po == 0 {
        return (y, arg);
    }
    if (g.kh, g.kw, g.stride) == (2, 2, 2) {
        // The models' pooling: the same selects unrolled over the four pixels.
        let run2 = |i: usize, (vals, idx): (&mut [E], &mut [E])| {
            let plane = &x[i * pi..(i + 1) * pi];
            for (oy, (vrow, irow)) in vals.chunks_mut(g.w_out).zip(idx.chunks_mut(g.w_out)).enumerate() {
                let (t, b) = (2 * oy * g.w, (2 * oy + 1) * g.w);
                let (top, bottom) = (&plane[t..t + 2 * g.w_out], &plane[b..b + 2 * g.w_out]);
                let cells = top.chunks_exact(2).zip(bottom.chunks_exact(2));
                for (ox, ((v, o), (p, q))) in vrow.iter_mut().zip(irow.iter_mut()).zip(cells).enumerate() {
                    let (mut best, mut at) = (p[0], t + 2 * ox);
                    for (cand, off) in [(p[1], t + 2 * ox + 1), (q[0], b + 2 * ox), (q[1], b + 2 * ox + 1)] {
                        #[allow(clippy::eq_op)]
                        let wins = (cand > best) | (cand != cand);
                        at = if wins { off } else { at };
                        best = if wins { cand } else { best };
                    }
                    *v = best;
                    *o = E::of(at as f64);
                }
            }
        };
        for_plane_pairs(&mut y, &mut arg, po, g.in_len(), run2);
        return (y, arg);
    }
    for_plane_pairs(&mut y, &mut arg, po, g.in_len(), run);
    (y, arg)
}

/// ∂E/∂x: each output's gradient added at its argmax.
pub(crate) fn maxpool2d_backward<E: Element>(gy: &[E], argmax: &[E], g: Pool2dGeom) -> Vec<E> {
    let (po, pi) = (g.h_out * g.w_out, g.h * g.w);
    let mut gx = vec![E::zero(); g.in_len()];
    for_planes(&mut gx, pi, g.in_len(), |i, plane| {
        for (&gv, &a) in gy[i * po..(i + 1) * po].iter().zip(&argmax[i * po..(i + 1) * po]) {
            let at = a.f64() as usize;
            plane[at] = plane[at] + gv;
        }
    });
    gx
}

/// y = mean over each kh×kw window.
pub(crate) fn avgpool2d_forward<E: Element>(x: &[E], g: Pool2dGeom) -> Vec<E> {
    let (po, pi) = (g.h_out * g.w_out, g.h * g.w);
    let scale = E::of(1.0 / (g.kh * g.kw) as f64);
    let mut y = vec![E::zero(); g.out_len()];
    for_planes(&mut y, po, g.in_len(), |i, out| {
        let plane = &x[i * pi..(i + 1) * pi];
        for oy in 0..g.h_out {
            for ox in 0..g.w_out {
                let mut s = E::zero();
                for ki in 0..g.kh {
                    let row = (oy * g.stride + ki) * g.w + ox * g.stride;
                    s = s + plane[row..row + g.kw].iter().fold(E::zero(), |a, &v| a + v);
                }
                out[oy * g.w_out + ox] = s * scale;
            }
        }
    });
    y
}

/// ∂E/∂x: each output's gradient / (kh·kw) added to every pixel of its window.
pub(crate) fn avgpool2d_backward<E: Element>(gy: &[E], g: Pool2dGeom) -> Vec<E> {
    let (po, pi) = (g.h_out * g.w_out, g.h * g.w);
    let scale = E::of(1.0 / (g.kh * g.kw) as f64);
    let mut gx = vec![E::zero(); g.in_len()];
    for_planes(&mut gx, pi, g.in_len(), |i, plane| {
        let gp = &gy[i * po..(i + 1) * po];
        for oy in 0..g.h_out {
            for ox in 0..g.w_out {
                let v = gp[oy * g.w_out + ox] * scale;
                for ki in 0..g.kh {
                    let row = (oy * g.stride + ki) * g.w + ox * g.stride;
                    plane[row..row + g.kw].iter_mut().for_each(|p| *p = *p + v);
                }
            }
        }
    });
    gx
}
