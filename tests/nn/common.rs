//! Helpers shared by the nn tests.

use cosmograd::nn::ParamStore;
use cosmograd::prelude::*;

/// A store with `w` [2, 3] and `b` [3] holding the given values.
pub fn store_wb<B: Backend>(be: B, w: &[f64], b: &[f64]) -> ParamStore<B> {
    let mut s = ParamStore::new(be.clone());
    s.add("w", Tensor::from_f64(&be, w, &[2, 3]).unwrap()).unwrap();
    s.add("b", Tensor::from_f64(&be, b, &[3]).unwrap()).unwrap();
    s
}

/// Gradients of E = Σ_name Σ (p ⊙ g_name): exactly g_name for each listed parameter.
pub fn grads_equal_to<B: Backend>(store: &ParamStore<B>, given: &[(&str, &[f64])]) -> Grads<B> {
    let tape = Tape::new(store.backend().clone());
    let mut loss: Option<Var<'_, B>> = None;
    for (name, g) in given {
        let p = store.var(&tape, name).unwrap();
        let c = tape.input_f64(g, &p.shape()).unwrap();
        let term = p.mul(c).unwrap().sum().unwrap();
        loss = Some(match loss {
            None => term,
            Some(l) => l.add(term).unwrap(),
        });
    }
    tape.backward(loss.expect("at least one parameter")).unwrap()
}

/// Gradients of the quadratic E = Σ_p Σ_i c_i (p_i − t_i)² with c_i = 1 + i (ill-conditioned
/// on purpose), minimised at p = t.
pub fn quadratic_grads<B: Backend>(store: &ParamStore<B>, target: f64) -> (f64, Grads<B>) {
    let tape = Tape::new(store.backend().clone());
    let mut loss: Option<Var<'_, B>> = None;
    for (name, t) in store.params() {
        let p = store.var(&tape, name).unwrap();
        let n = t.numel();
        let c: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
        let c = tape.input_f64(&c, t.shape()).unwrap();
        let term = p.add_scalar(-target).unwrap().square().unwrap().mul(c).unwrap().sum().unwrap();
        loss = Some(match loss {
            None => term,
            Some(l) => l.add(term).unwrap(),
        });
    }
    let loss = loss.unwrap();
    let value = loss.item().unwrap();
    (value, tape.backward(loss).unwrap())
}

pub fn values<B: Backend>(store: &ParamStore<B>, name: &str) -> Vec<f64> {
    store.get(name).unwrap().to_vec_f64(store.backend()).unwrap()
}
