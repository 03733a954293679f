//! Optimiser updates, in place. Same formulas as PyTorch's `Adam`, `AdamW` and `SGD`.

use super::Element;
use crate::backend::{AdamStep, SgdStep};
use rayon::prelude::*;

pub(crate) fn adam<E: Element>(p: &mut [E], m: &mut [E], v: &mut [E], g: &[E], h: AdamStep) {
    let bc1 = 1.0 - h.beta1.powi(h.step as i32);
    let bc2 = 1.0 - h.beta2.powi(h.step as i32);
    p.par_iter_mut()
        .zip(m.par_iter_mut())
        .zip(v.par_iter_mut())
        .zip(g.par_iter())
        .for_each(|(((p, m), v), g)| {
            let pf = p.f64();
            let mut gf = g.f64() * h.grad_scale;
            if !h.decoupled {
                gf += h.weight_decay * pf;
            }
            let mf = h.beta1 * m.f64() + (1.0 - h.beta1) * gf;
            let vf = h.beta2 * v.f64() + (1.0 - h.beta2) * gf * gf;
            let step = (mf / bc1) / ((vf / bc2).sqrt() + h.eps);
            let decay = if h.decoupled { h.weight_decay * pf } else { 0.0 };
            *p = E::of(pf - h.lr * (step + decay));
            *m = E::of(mf);
            *v = E::of(vf);
        });
}

pub(crate) fn sgd<E: Element>(p: &mut [E], vel: &mut [E], g: &[E], h: SgdStep) {
    p.par_iter_mut().zip(vel.par_iter_mut()).zip(g.par_iter()).for_each(|((p, v), g)| {
        let pf = p.f64();
        let gf = g.f64() * h.grad_scale + h.weight_decay * pf;
        let vf = h.momentum * v.f64() + gf;
        let d = if h.nesterov { gf + h.momentum * vf } else { vf };
        *p = E::of(pf - h.lr * d);
        *v = E::of(vf);
    });
}
