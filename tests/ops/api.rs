//! The surface a newcomer writes against: methods and their free aliases agree, builders equal
//! the positional constructors, lookups that miss are errors, and the new ops (pad,
//! logsumexp) and target gradients give values worked out by hand.

use cosmograd::ops::batchnorm::batchnorm_train;
use cosmograd::ops::loss::{bce, cross_entropy, mse, squared_error};
use cosmograd::ops::pool2d::maxpool2d;
use cosmograd::prelude::*;

fn tape() -> Tape<Cpu<f64>> {
    Tape::new(Cpu::<f64>::default())
}

fn vals(v: Var<'_, Cpu<f64>>) -> Vec<f64> {
    v.to_vec().unwrap()
}

#[test]
fn loss_methods_and_their_free_aliases_agree() {
    let t = tape();
    let p = t.input_f64(&[0.2, 0.7, 0.4, 0.9], &[2, 2]).unwrap();
    let y = t.input_f64(&[0.0, 1.0, 1.0, 0.0], &[2, 2]).unwrap();
    assert_eq!(vals(p.mse(y, Reduction::Mean).unwrap()), vals(mse(p, y).unwrap()));
    assert_eq!(
        vals(p.mse(y, Reduction::Sum).unwrap()),
        vals(squared_error(p, y, Reduction::Sum).unwrap())
    );
    // (0.04 + 0.09 + 0.36 + 0.81) / 4, by hand.
    assert!((p.mse(y, Reduction::Mean).unwrap().item().unwrap() - 0.325).abs() < 1e-15);
    assert_eq!(p.mse(y, Reduction::None).unwrap().shape(), vec![2, 2]);
    assert_eq!(vals(p.bce(y, Reduction::None).unwrap()), vals(bce(p, y, Reduction::None).unwrap()));
    assert_eq!(vals(p.cross_entropy(&[1, 0]).unwrap()), vals(cross_entropy(p, &[1, 0]).unwrap()));
    let x = t.input_f64(&[1.0, 2.0, 4.0, 3.0, 0.0, -1.0], &[3, 2]).unwrap();
    let (g, b) = (t.input_f64(&[1.5, 0.5], &[2]).unwrap(), t.input_f64(&[0.1, -0.1], &[2]).unwrap());
    let (m, _) = x.batchnorm_train(g, b, 1e-5).unwrap();
    let (f, _) = batchnorm_train(x, g, b, 1e-5).unwrap();
    assert_eq!(vals(m), vals(f));
}

#[test]
fn builders_equal_the_positional_constructors() {
    assert_eq!(
        Conv2dOptions::default().stride(2).padding(Padding::Same).mode(PadMode::Circular),
        Conv2dOptions::new(2, Padding::Same, PadMode::Circular)
    );
    assert_eq!(
        ConvTranspose2dOptions::default().stride(2).padding(1).output_padding(1),
        ConvTranspose2dOptions::new(2, 1, 1)
    );
    let o = GmmOptions::default().isotropic(true).sigma(SigmaParam::Exp { floor: 0.0 });
    assert!(o.isotropic && o.sigma == SigmaParam::Exp { floor: 0.0 });
}

#[test]
fn pooling_methods_take_square_or_rectangular_windows() {
    let t = tape();
    let x = t
        .input_f64(&(0..16).map(|i| ((i * 7) % 5) as f64).collect::<Vec<_>>(), &[1, 1, 4, 4])
        .unwrap();
    assert_eq!(vals(x.maxpool2d(2, 2).unwrap()), vals(maxpool2d(x, (2, 2), 2).unwrap()));
    assert_eq!(vals(x.maxpool2d_window((2, 2), 2).unwrap()), vals(x.maxpool2d(2, 2).unwrap()));
    // A 1×4 window: the max of each row (rows 0 2 4 1 | 3 0 2 4 | 1 3 0 2 | 4 1 3 0), [1, 1, 4, 1].
    let rows = x.maxpool2d_window((1, 4), 1).unwrap();
    assert_eq!(rows.shape(), vec![1, 1, 4, 1]);
    assert_eq!(vals(rows), vec![4.0, 4.0, 3.0, 4.0]);
}

#[test]
fn seeded_backward_and_lookups_that_miss() {
    let t = tape();
    let a = t.leaf(Tensor::from_f64(t.backend(), &[1.0, 2.0, 3.0], &[3]).unwrap());
    let seed = Tensor::from_f64(t.backend(), &[1.0, 0.5, -1.0], &[3]).unwrap();
    let g = t.backward_seeded(a.square().unwrap(), seed).unwrap();
    assert_eq!(g.wrt(a).unwrap().to_vec_f64(t.backend()).unwrap(), vec![2.0, 2.0, -6.0]);
    let e = g.try_param("fc.weight").unwrap_err().to_string();
    assert!(e.contains("`fc.weight`"), "{e}");
}

#[test]
fn pad_by_hand() {
    let t = tape();
    let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0, 2.0, 3.0], &[1, 3]).unwrap());
    let p = |fill| vals(x.pad(&[(2, 2)], fill).unwrap());
    assert_eq!(p(PadFill::Zeros), vec![0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0]);
    assert_eq!(p(PadFill::Reflect), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
    assert_eq!(p(PadFill::Circular), vec![2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]);
    // ∂(Σ out)/∂x counts how often each element is copied.
    for (fill, counts) in [
        (PadFill::Zeros, [1.0, 1.0, 1.0]),
        (PadFill::Reflect, [2.0, 3.0, 2.0]),
        (PadFill::Circular, [2.0, 3.0, 2.0]),
    ] {
        let t = tape();
        let x = t.leaf(Tensor::from_f64(t.backend(), &[1.0, 2.0, 3.0], &[1, 3]).unwrap());
        let g = t.backward(x.pad(&[(2, 2)], fill).unwrap().sum().unwrap()).unwrap();
        assert_eq!(g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap(), counts, "{fill:?}");
    }
    // Two axes: a 2×2 image padded by one on every side, circularly, is the 4×4 torus tile.
    let x = t.input_f64(&[1.0, 2.0, 3.0, 4.0], &[1, 1, 2, 2]).unwrap();
    let y = vals(x.pad(&[(1, 1), (1, 1)], PadFill::Circular).unwrap());
    let want = [4.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 1.0, 4.0, 3.0, 4.0, 3.0, 2.0, 1.0, 2.0, 1.0];
    assert_eq!(y, want);
}

#[test]
fn pad_refuses_what_it_cannot_do() {
    let t = tape();
    let x = t.input_f64(&[1.0, 2.0, 3.0], &[3]).unwrap();
    let msg = |r: Result<Var<'_, Cpu<f64>>>| r.map(|_| ()).unwrap_err().to_string();
    assert!(msg(x.pad(&[(3, 0)], PadFill::Reflect)).contains("smaller than"));
    assert!(msg(x.pad(&[(0, 4)], PadFill::Circular)).contains("at most"));
    assert!(msg(x.pad(&[(1, 1), (1, 1)], PadFill::Zeros)).contains("2 axes of padding"));
    assert!(msg(x.pad(&[(usize::MAX, 1)], PadFill::Zeros)).contains("overflow"));
    assert_eq!(x.pad(&[(0, 0)], PadFill::Reflect).unwrap().shape(), vec![3]);
}

#[test]
fn logsumexp_by_hand() {
    let t = tape();
    let x = t.input_f64(&[-1000.0, -1000.0, 1000.0, 1000.0], &[2, 2]).unwrap();
    let y = vals(x.logsumexp(1, false).unwrap());
    let ln2 = std::f64::consts::LN_2;
    assert_eq!(y, vec![-1000.0 + ln2, 1000.0 + ln2]);
    let inf = t.input_f64(&[f64::NEG_INFINITY, f64::NEG_INFINITY], &[2]).unwrap();
    assert_eq!(vals(inf.logsumexp(0, true).unwrap()), vec![f64::NEG_INFINITY]);
    let empty = t.input_f64(&[], &[2, 0]).unwrap();
    assert!(empty.logsumexp(1, false).is_err());
    // The gradient is the softmax along the axis.
    let t = tape();
    let x = t.leaf(Tensor::from_f64(t.backend(), &[0.0, 2f64.ln()], &[2]).unwrap());
    let g = t.backward(x.logsumexp(0, false).unwrap()).unwrap();
    let g = g.wrt(x).unwrap().to_vec_f64(t.backend()).unwrap();
    assert!((g[0] - 1.0 / 3.0).abs() < 1e-15 && (g[1] - 2.0 / 3.0).abs() < 1e-15, "{g:?}");
}

#[test]
fn targets_take_gradients_worked_out_by_hand() {
    // BCE: ∂ℓ/∂t = ln((1 − p)/p); at p = 1/4 that is ln 3. On logits: −x.
    let t = tape();
    let p = t.input_f64(&[0.25, 0.25], &[2]).unwrap();
    let y = t.leaf(Tensor::from_f64(t.backend(), &[0.0, 1.0], &[2]).unwrap());
    let g = t.backward(p.bce(y, Reduction::Sum).unwrap()).unwrap();
    for v in g.wrt(y).unwrap().to_vec_f64(t.backend()).unwrap() {
        assert!((v - 3f64.ln()).abs() < 1e-14, "{v}");
    }
    let t = tape();
    let x = t.input_f64(&[-2.0, 0.5, 30.0], &[3]).unwrap();
    let y = t.leaf(Tensor::from_f64(t.backend(), &[0.3, 0.0, 1.0], &[3]).unwrap());
    let g = t.backward(x.bce_with_logits(y, Reduction::Sum).unwrap()).unwrap();
    let gy = g.wrt(y).unwrap().to_vec_f64(t.backend()).unwrap();
    for (a, b) in gy.iter().zip([2.0, -0.5, -30.0]) {
        assert!((a - b).abs() < 1e-12, "{gy:?}");
    }
    // The mixture NLL with one component of σ = 1 (Exp, raw 0): E = ½(y − μ)² + const, so
    // ∂E/∂y = y − μ.
    let t = tape();
    let logits = t.input_f64(&[0.0], &[1, 1]).unwrap();
    let mu = t.input_f64(&[0.25], &[1, 1, 1]).unwrap();
    let raw = t.input_f64(&[0.0], &[1, 1, 1]).unwrap();
    let y = t.leaf(Tensor::from_f64(t.backend(), &[1.0], &[1, 1]).unwrap());
    let opts = GmmOptions::default().sigma(SigmaParam::Exp { floor: 0.0 });
    let g = t.backward(logits.gmm_nll(mu, raw, y, opts).unwrap().sum().unwrap()).unwrap();
    assert!((g.wrt(y).unwrap().to_vec_f64(t.backend()).unwrap()[0] - 0.75).abs() < 1e-14);
}
