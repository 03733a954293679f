//! 2-D convolution as matrix products (im2col + matrixmultiply), parallel over the batch.
//!
//! For one sample, the im2col matrix `col` [c_in·kh·kw, h_out·w_out] holds in column p the
//! input patch that output pixel p sees (zeros, or wrapped pixels with circular padding). Then
//!   forward:          y_n  = W · col                 [c_out, P]
//!   backward, input:  gcol = Wᵀ · g_n,  gx_n = col2im(gcol)   (col2im is im2col's adjoint)
//!   backward, weight: gW  += g_n · colᵀ
//! Each sample is processed in tiles of output rows so that its slice of `col` stays in the
//! L2 cache between being written and being multiplied. The batch is split into one block of
//! samples per rayon thread; each block reuses one tile buffer for all its samples.
//!
//! `conv2d_reference` and friends are the loop-per-formula definitions the tests hold these
//! to.

use super::Element;
use crate::backend::Conv2dGeom;
use rayon::prelude::*;

/// Target size of one im2col tile in elements (512 KiB of f32: a quarter of a core's L2).
const TILE_ELEMS: usize = 1 << 17;

/// The input row (or column) that output position `o` reads at kernel offset `k`, or `None`
/// where it falls in the zero padding. Circular padding wraps modulo the image size.
#[inline]
fn source(o: usize, k: usize, stride: usize, pad: usize, size: usize, circular: bool) -> Option<usize> {
    let i = (o * stride + k) as isize - pad as isize;
    if i >= 0 && (i as usize) < size {
        Some(i as usize)
    } else if circular {
        Some(i.rem_euclid(size as isize) as usize)
    } else {
        None
    }
}

/// The output columns `lo..hi` whose input column ox·stride + kj − pad lies inside the image
/// (the others are padding).
#[inline]
fn inside(kj: usize, stride: usize, pad: usize, w: usize, w_out: usize) -> (usize, usize) {
    let lo = if pad > kj { (pad - kj).div_ceil(stride) } else { 0 };
    let hi = if w + pad > kj {
        ((w - 1 + pad - kj) / stride + 1).min(w_out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Tiles of whole output rows, `[oy0, oy1)`, each at most about `TILE_ELEMS` im2col elements.
fn tiles(g: &Conv2dGeom) -> impl Iterator<Item = (usize, usize)> {
    let rows = (TILE_ELEMS / (g.patch() * g.w_out).max(1)).clamp(1, g.h_out.max(1));
    let h_out = g.h_out;
    (0..h_out).step_by(rows).map(move |r0| (r0, (r0 + rows).min(h_out)))
}

fn tile_len(g: &Conv2dGeom) -> usize {
    tiles(g).map(|(a, b)| (b - a) * g.w_out).max().unwrap_or(0) * g.patch()
}

/// The im2col rows of output rows `oy0..oy1` of one sample `x` [c_in, h, w] → `col`
/// [c_in·kh·kw, (oy1 − oy0)·w_out].
fn im2col<E: Element>(x: &[E], g: &Conv2dGeom, oy0: usize, oy1: usize, col: &mut [E]) {
    let (h, w, wo, s) = (g.h, g.w, g.w_out, g.stride);
    let pt = (oy1 - oy0) * wo;
    let mut rows = col[..g.patch() * pt].chunks_mut(pt);
    for ci in 0..g.c_in {
        let plane = &x[ci * h * w..(ci + 1) * h * w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let dst = rows.next().expect("one im2col row per (channel, ki, kj)");
                let (lo, hi) = inside(kj, s, g.pad_left, w, wo);
                for (d, oy) in dst.chunks_mut(wo).zip(oy0..oy1) {
                    let Some(iy) = source(oy, ki, s, g.pad_top, h, g.circular) else {
                        d.fill(E::zero());
                        continue;
                    };
                    let src = &plane[iy * w..(iy + 1) * w];
                    if s == 1 {
                        let start = lo + kj - g.pad_left;
                        d[lo..hi].copy_from_slice(&src[start..start + hi - lo]);
                    } else {
                        for ox in lo..hi {
                            d[ox] = src[ox * s + kj - g.pad_left];
                        }
                    }
                    for ox in (0..lo).chain(hi..wo) {
                        d[ox] = source(ox, kj, s, g.pad_left, w, g.circular).map_or(E::zero(), |ix| src[ix]);
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds each element of `col` back onto the input pixel it was
/// copied from (padding positions are dropped; wrapped ones land on their source).
fn col2im_add<E: Element>(col: &[E], g: &Conv2dGeom, oy0: usize, oy1: usize, gx: &mut [E]) {
    let (h, w, wo, s) = (g.h, g.w, g.w_out, g.stride);
    let pt = (oy1 - oy0) * wo;
    let mut rows = col[..g.patch() * pt].chunks(pt);
    for ci in 0..g.c_in {
        let plane = &mut gx[ci * h * w..(ci + 1) * h * w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let src = rows.next().expect("one im2col row per (channel, ki, kj)");
                let (lo, hi) = inside(kj, s, g.pad_left, w, wo);
                for (c, oy) in src.chunks(wo).zip(oy0..oy1) {
                    let Some(iy) = source(oy, ki, s, g.pad_top, h, g.circular) else {
                        continue;
                    };
                    let dst = &mut plane[iy * w..(iy + 1) * w];
                    if s == 1 {
                        // Slices of equal length: the add vectorises.
                        let start = lo + kj - g.pad_left;
                        for (d, &v) in dst[start..start + hi - lo].iter_mut().zip(&c[lo..hi]) {
                            *d = *d + v;
                        }
                    } else {
                        for (ox, &v) in c.iter().enumerate().take(hi).skip(lo) {
                            let ix = ox * s + kj - g.pad_left;
                            dst[ix] = dst[ix] + v;
                        }
                    }
                    if g.circular {
                        for ox in (0..lo).chain(hi..wo) {
                            let ix = source(ox, kj, s, g.pad_left, w, true).expect("circular always has a source");
                            dst[ix] = dst[ix] + c[ox];
                        }
                    }
                }
            }
        }
    }
}

/// Splits the batch into one block of consecutive samples per thread and runs `f(sample,
/// out_n, tile_buffer)` for each sample, where `out_n` is the sample's slice of `out`. Each
/// block allocates its tile buffer once.
fn per_sample<E: Element, T: Send>(out: &mut [T], per: usize, buf_len: usize, n: usize, f: impl Fn(usize, &mut [T], &mut [E]) + Sync) {
    if per == 0 || n == 0 {
        return;
    }
    let block = n.div_ceil(n.min(rayon::current_num_threads()).max(1));
    out.par_chunks_mut(block * per).enumerate().for_each(|(b, chunk)| {
        let mut buf = vec![E::zero(); buf_len];
        for (j, o) in chunk.chunks_mut(per).enumerate() {
            f(b * block + j, o, &mut buf);
        }
    });
}

/// y [n, c_out, h_out, w_out] = W ⋆ x (+ bias).
pub(crate) fn conv2d_forward<E: Element>(x: &[E], w: &[E], bias: Option<&[E]>, g: Conv2dGeom) -> Vec<E> {
    let (k, p) = (g.patch(), g.out_plane());
    let in_n = g.c_in * g.h * g.w;
    // Every output element is written by the gemm (β = 0 writes C without reading it), so
    // the output starts uninitialised: zeroing it first would cost another pass over memory.
    let mut y: Vec<E> = Vec::with_capacity(g.out_len());
    per_sample(
        &mut y.spare_capacity_mut()[..g.out_len()],
        g.c_out * p,
        tile_len(&g),
        g.n,
        |i, y_n, col| {
            let x_n = &x[i * in_n..(i + 1) * in_n];
            let y_ptr = y_n.as_mut_ptr() as *mut E;
            for (oy0, oy1) in tiles(&g) {
                let pt = (oy1 - oy0) * g.w_out;
                im2col(x_n, &g, oy0, oy1, col);
                // y_n[:, tile] (row stride P) = W [c_out, K] · col [K, pt]
                unsafe {
                    E::gemm(
                        g.c_out,
                        k,
                        pt,
                        E::one(),
                        w.as_ptr(),
                        k as isize,
                        1,
                        col.as_ptr(),
                        pt as isize,
                        1,
                        E::zero(),
                        y_ptr.add(oy0 * g.w_out),
                        p as isize,
                        1,
                    );
                }
                // The bias goes on while the tile is still in cache.
                if let Some(b) = bias {
                    for (c, &bc) in b.iter().enumerate() {
                        // SAFETY: the gemm above has just written these elements.
                        let row = unsafe { std::slice::from_raw_parts_mut(y_ptr.add(c * p + oy0 * g.w_out), pt) };
                        row.iter_mut().for_each(|v| *v = *v + bc);
                    }
                }
            }
        },
    );
    // SAFETY: the gemms wrote all n·c_out·P elements (each sample's tiles cover its P columns
    // for every output channel).
    unsafe { y.set_len(g.out_len()) };
    y
}

/// ∂E/∂x [n, c_in, h, w] from ∂E/∂y and W.
pub(crate) fn conv2d_backward_input<E: Element>(gy: &[E], w: &[E], g: Conv2dGeom) -> Vec<E> {
    let (k, p) = (g.patch(), g.out_plane());
    let in_n = g.c_in * g.h * g.w;
    let mut gx = vec![E::zero(); g.in_len()];
    per_sample(&mut gx, in_n, tile_len(&g), g.n, |i, gx_n, gcol| {
        let gy_n = &gy[i * g.c_out * p..(i + 1) * g.c_out * p];
        for (oy0, oy1) in tiles(&g) {
            let pt = (oy1 - oy0) * g.w_out;
            // gcol [K, pt] = Wᵀ [K, c_out] · g_n[:, tile] [c_out, pt]
            unsafe {
                E::gemm(
                    k,
                    g.c_out,
                    pt,
                    E::one(),
                    w.as_ptr(),
                    1,
                    k as isize,
                    gy_n.as_ptr().add(oy0 * g.w_out),
                    p as isize,
                    1,
                    E::zero(),
                    gcol.as_mut_ptr(),
                    pt as isize,
                    1,
                );
            }
            col2im_add(gcol, &g, oy0, oy1, gx_n);
        }
    });
    gx
}

/// ∂E/∂W [c_out, c_in, kh, kw] = Σ_n g_n · col_nᵀ. Each thread sums its block of samples into
/// its own partial; the partials are added in block order, so the result does not depend on
/// scheduling.
pub(crate) fn conv2d_backward_weight<E: Element>(x: &[E], gy: &[E], g: Conv2dGeom) -> Vec<E> {
    let (k, p) = (g.patch(), g.out_plane());
    let in_n = g.c_in * g.h * g.w;
    let wlen = g.weight_len();
    if g.n == 0 || p == 0 {
        return vec![E::zero(); wlen];
    }
    let blocks = g.n.min(rayon::current_num_threads()).max(1);
    let block = g.n.div_ceil(blocks);
    let partials: Vec<Vec<E>> = (0..g.n.div_ceil(block))
        .into_par_iter()
        .map(|b| {
            let mut gw = vec![E::zero(); wlen];
            let mut col = vec![E::zero(); tile_len(&g)];
            for i in b * block..((b + 1) * block).min(g.n) {
                let x_n = &x[i * in_n..(i + 1) * in_n];
                let gy_n = &gy[i * g.c_out * p..(i + 1) * g.c_out * p];
                for (oy0, oy1) in tiles(&g) {
                    let pt = (oy1 - oy0) * g.w_out;
                    im2col(x_n, &g, oy0, oy1, &mut col);
                    // gW [c_out, K] += g_n[:, tile] [c_out, pt] · colᵀ [pt, K]
                    unsafe {
                        E::gemm(
                            g.c_out,
                            pt,
                            k,
                            E::one(),
                            gy_n.as_ptr().add(oy0 * g.w_out),
                            p as isize,
                            1,
                            col.as_ptr(),
                            1,
                            pt as isize,
                            E::one(),
                            gw.as_mut_ptr(),
                            k as isize,
                            1,
                        );
                    }
                }
            }
            gw
        })
        .collect();
    let mut it = partials.into_iter();
    let mut gw = it.next().expect("at least one block");
    for part in it {
        gw.iter_mut().zip(part).for_each(|(a, b)| *a = *a + b);
    }
    gw
}

/// Index of x[n, c, iy, ix] read by output (oy, ox) at kernel offset (ki, kj), if any.
fn tap(g: &Conv2dGeom, n: usize, c: usize, oy: usize, ox: usize, ki: usize, kj: usize) -> Option<usize> {
    let iy = source(oy, ki, g.stride, g.pad_top, g.h, g.circular)?;
    let ix = source(ox, kj, g.stride, g.pad_left, g.w, g.circular)?;
    Some(((n * g.c_in + c) * g.h + iy) * g.w + ix)
}

/// Calls `f(y index, x index, w index)` for every (output pixel, weight) pair that meets an
/// input pixel: the seven loops of the convolution's definition.
fn for_each_tap(g: &Conv2dGeom, mut f: impl FnMut(usize, usize, usize)) {
    for n in 0..g.n {
        for co in 0..g.c_out {
            for oy in 0..g.h_out {
                for ox in 0..g.w_out {
                    let yi = ((n * g.c_out + co) * g.h_out + oy) * g.w_out + ox;
                    for ci in 0..g.c_in {
                        for ki in 0..g.kh {
                            for kj in 0..g.kw {
                                if let Some(xi) = tap(g, n, ci, oy, ox, ki, kj) {
                                    f(yi, xi, ((co * g.c_in + ci) * g.kh + ki) * g.kw + kj);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The definition: y[n, co, oy, ox] = b[co] + Σ_{ci, ki, kj} W[co, ci, ki, kj] x[n, ci, iy, ix].
pub fn conv2d_reference<E: Element>(x: &[E], w: &[E], bias: Option<&[E]>, g: Conv2dGeom) -> Vec<E> {
    let mut y = vec![E::zero(); g.out_len()];
    for_each_tap(&g, |yi, xi, wi| y[yi] = y[yi] + w[wi] * x[xi]);
    if let Some(b) = bias {
        for (i, v) in y.iter_mut().enumerate() {
            *v = *v + b[(i / g.out_plane()) % g.c_out];
        }
    }
    y
}

/// ∂E/∂x[n, ci, iy, ix] = Σ over the taps that read it of W · ∂E/∂y.
pub fn conv2d_backward_input_reference<E: Element>(gy: &[E], w: &[E], g: Conv2dGeom) -> Vec<E> {
    let mut gx = vec![E::zero(); g.in_len()];
    for_each_tap(&g, |yi, xi, wi| gx[xi] = gx[xi] + w[wi] * gy[yi]);
    gx
}

/// ∂E/∂W[co, ci, ki, kj] = Σ over the taps that use it of x · ∂E/∂y.
pub fn conv2d_backward_weight_reference<E: Element>(x: &[E], gy: &[E], g: Conv2dGeom) -> Vec<E> {
    let mut gw = vec![E::zero(); g.weight_len()];
    for_each_tap(&g, |yi, xi, wi| gw[wi] = gw[wi] + x[xi] * gy[yi]);
    gw
}
