//! Nearest-neighbour upsampling by an integer factor and its adjoint (a block sum).

use super::pool2d::for_planes;
use super::Element;
use crate::backend::UpsampleGeom;

/// y[oy, ox] = x[oy / f, ox / f] in every plane.
pub(crate) fn upsample_nearest_forward<E: Element>(x: &[E], g: UpsampleGeom) -> Vec<E> {
    let f = g.factor;
    let (pi, wo) = (g.h * g.w, g.w * f);
    let mut y = vec![E::zero(); g.out_len()];
    for_planes(&mut y, pi * f * f, g.out_len(), |i, out| {
        let plane = &x[i * pi..(i + 1) * pi];
        for (oy, row) in out.chunks_mut(wo).enumerate() {
            let src = &plane[(oy / f) * g.w..(oy / f + 1) * g.w];
            for (ox, v) in row.iter_mut().enumerate() {
                *v = src[ox / f];
            }
        }
    });
    y
}

/// ∂E/∂x[iy, ix] = Σ of ∂E/∂y over the f×f block that copied x[iy, ix].
pub(crate) fn upsample_nearest_backward<E: Element>(gy: &[E], g: UpsampleGeom) -> Vec<E> {
    let f = g.factor;
    let (pi, wo) = (g.h * g.w, g.w * f);
    let mut gx = vec![E::zero(); g.in_len()];
    for_planes(&mut gx, pi, g.out_len(), |i, plane| {
        let gp = &gy[i * pi * f * f..(i + 1) * pi * f * f];
        for (oy, row) in gp.chunks(wo).enumerate() {
            let dst = &mut plane[(oy / f) * g.w..(oy / f + 1) * g.w];
            for (ox, &v) in row.iter().enumerate() {
                dst[ox / f] = dst[ox / f] + v;
            }
        }
    });
    gx
}
