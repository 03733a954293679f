//! Gradient checks of the image ops, on tiny awkward shapes: stride 2, even kernels with
//! 'same' padding, circular padding, batch 1, one channel, non-square images, pool windows that
//! do not tile the image. Each padding mode of conv2d is its own op name, so it is its own row
//! of `cosmograd gradcheck` and its own test.

use super::cases::{Case, Gen};
use super::conv2d::{Conv2dOptions, PadMode, Padding};
use super::conv_transpose2d::ConvTranspose2dOptions;
use crate::autodiff::gradcheck::CheckInput;
use crate::body;
use ndarray::ArrayD;

fn w(name: &str, v: ArrayD<f64>) -> CheckInput {
    CheckInput::wrt(name, v)
}

/// (op name, variant, x shape, w shape, options, with bias).
type ConvCase = (&'static str, &'static str, [usize; 4], [usize; 4], Conv2dOptions, bool);

fn conv_cases() -> Vec<ConvCase> {
    use PadMode::{Circular, Zeros};
    use Padding::{Explicit, Same, Symmetric, Valid};
    let o = Conv2dOptions::new;
    let asym = Explicit {
        top: 2,
        bottom: 0,
        left: 1,
        right: 2,
    };
    vec![
        ("conv2d", "valid 3×3", [2, 2, 5, 6], [3, 2, 3, 3], o(1, Valid, Zeros), true),
        (
            "conv2d",
            "zero pad 1, stride 2",
            [2, 3, 7, 6],
            [2, 3, 3, 3],
            o(2, Symmetric(1), Zeros),
            true,
        ),
        ("conv2d", "explicit asymmetric", [1, 2, 4, 5], [2, 2, 3, 2], o(1, asym, Zeros), true),
        (
            "conv2d",
            "batch 1, 1 channel",
            [1, 1, 5, 4],
            [1, 1, 2, 2],
            o(1, Valid, Zeros),
            false,
        ),
        (
            "conv2d_same",
            "4×4 even kernel",
            [2, 1, 6, 6],
            [2, 1, 4, 4],
            o(1, Same, Zeros),
            true,
        ),
        ("conv2d_same", "2×2 non-square", [1, 2, 5, 3], [3, 2, 2, 2], o(1, Same, Zeros), true),
        ("conv2d_same", "3×3 stride 2", [2, 2, 5, 6], [2, 2, 3, 3], o(2, Same, Zeros), false),
        (
            "conv2d_circular",
            "3×3 same",
            [2, 2, 4, 5],
            [2, 2, 3, 3],
            o(1, Same, Circular),
            true,
        ),
        (
            "conv2d_circular",
            "4×4 same (even)",
            [1, 1, 5, 6],
            [2, 1, 4, 4],
            o(1, Same, Circular),
            false,
        ),
        (
            "conv2d_circular",
            "asymmetric, stride 2",
            [1, 2, 5, 4],
            [1, 2, 3, 3],
            o(2, asym, Circular),
            true,
        ),
    ]
}

pub fn image_cases() -> Vec<Case> {
    let mut g = Gen::new(4242);
    let mut c = Vec::new();

    for (op, variant, xs, ws, opts, bias) in conv_cases() {
        let mut inputs = vec![w("x", g.uniform(&xs, -1.0, 1.0)), w("V", g.uniform(&ws, -1.0, 1.0))];
        let body = if bias {
            inputs.push(w("T", g.uniform(&[ws[0]], -1.0, 1.0)));
            body!(move |_t, x| x[0].conv2d(x[1], Some(x[2]), opts))
        } else {
            body!(move |_t, x| x[0].conv2d(x[1], None, opts))
        };
        c.push(Case::new(op, variant, inputs, body));
    }

    for (variant, xs, ws, stride, padding, output_padding, bias) in [
        ("k3 s1", [2, 2, 3, 4], [2, 3, 3, 3], 1, 0, 0, true),
        ("k4 s2 p1 (DCGAN)", [1, 2, 3, 3], [2, 1, 4, 4], 2, 1, 0, true),
        ("k3 s2 p1 out-pad 1", [2, 1, 3, 2], [1, 2, 3, 3], 2, 1, 1, false),
    ] {
        let o = ConvTranspose2dOptions {
            stride,
            padding,
            output_padding,
        };
        let mut inputs = vec![w("x", g.uniform(&xs, -1.0, 1.0)), w("V", g.uniform(&ws, -1.0, 1.0))];
        let body = if bias {
            inputs.push(w("T", g.uniform(&[ws[1]], -1.0, 1.0)));
            body!(move |_t, x| x[0].conv_transpose2d(x[1], Some(x[2]), o))
        } else {
            body!(move |_t, x| x[0].conv_transpose2d(x[1], None, o))
        };
        c.push(Case::new("conv_transpose2d", variant, inputs, body));
    }

    for (variant, xs, k, s) in [
        ("2×2 s2", [2, 2, 4, 6], 2, 2),
        ("3×3 s2 not tiling 7×5", [1, 2, 7, 5], 3, 2),
        ("overlapping 3×3 s1", [1, 1, 4, 5], 3, 1),
        ("2×2 s2 odd 5×5, 1 ch", [1, 1, 5, 5], 2, 2),
    ] {
        // Random values: at this fixed seed no window has two values within ε of its maximum, so
        // the finite differences never straddle the kink where the argmax switches.
        let x = g.away_from_zero(&xs);
        c.push(Case::new(
            "maxpool2d",
            variant,
            vec![w("x", x.clone())],
            body!(move |_t, x| x[0].maxpool2d(k, s)),
        ));
        c.push(Case::new(
            "avgpool2d",
            variant,
            vec![w("x", x)],
            body!(move |_t, x| x[0].avgpool2d(k, s)),
        ));
    }
    c.push(Case::new(
        "global_avg_pool2d",
        "2×3×4×5",
        vec![w("x", g.uniform(&[2, 3, 4, 5], -1.0, 1.0))],
        body!(|_t, x| x[0].global_avg_pool2d()),
    ));
    c.push(Case::new(
        "upsample_nearest",
        "×2",
        vec![w("x", g.uniform(&[2, 2, 3, 3], -1.0, 1.0))],
        body!(|_t, x| x[0].upsample_nearest(2)),
    ));
    c.push(Case::new(
        "upsample_nearest",
        "×3 non-square, batch 1",
        vec![w("x", g.uniform(&[1, 1, 2, 3], -1.0, 1.0))],
        body!(|_t, x| x[0].upsample_nearest(3)),
    ));

    use super::pad::PadFill::{Circular as PadCircular, Reflect, Zeros as PadZeros};
    for (variant, fill) in [("zeros", PadZeros), ("reflect", Reflect), ("circular", PadCircular)] {
        c.push(Case::new(
            "pad",
            format!("{variant}, H and W"),
            vec![w("x", g.uniform(&[2, 2, 3, 4], -1.0, 1.0))],
            body!(move |_t, x| x[0].pad(&[(2, 1), (1, 3)], fill)),
        ));
        c.push(Case::new(
            "pad",
            format!("{variant}, last axis"),
            vec![w("x", g.uniform(&[2, 5], -1.0, 1.0))],
            body!(move |_t, x| x[0].pad(&[(0, 2)], fill)),
        ));
    }
    // Circular padding by a whole axis copies it twice.
    c.push(Case::new(
        "pad",
        "circular, whole axis",
        vec![w("x", g.uniform(&[1, 1, 2, 3], -1.0, 1.0))],
        body!(|_t, x| x[0].pad(&[(2, 2), (3, 0)], PadCircular)),
    ));

    use super::batchnorm::{batchnorm_eval, batchnorm_train};
    for (variant, xs) in [
        ("train 4-D", vec![3, 2, 3, 2]),
        ("train 2-D", vec![5, 3]),
        ("train batch 1", vec![1, 2, 2, 3]),
    ] {
        let ch = xs[1];
        c.push(Case::new(
            "batchnorm",
            variant,
            vec![
                w("x", g.uniform(&xs, -2.0, 2.0)),
                w("gamma", g.uniform(&[ch], 0.5, 1.5)),
                w("beta", g.uniform(&[ch], -0.5, 0.5)),
            ],
            body!(|_t, x| Ok(batchnorm_train(x[0], x[1], x[2], 1e-5)?.0)),
        ));
    }
    let mut eval = Case::new(
        "batchnorm",
        "eval 4-D running stats",
        vec![
            w("x", g.uniform(&[2, 3, 2, 2], -2.0, 2.0)),
            w("gamma", g.uniform(&[3], 0.5, 1.5)),
            w("beta", g.uniform(&[3], -0.5, 0.5)),
            CheckInput::data("running_mean", g.uniform(&[3], -0.5, 0.5)),
            CheckInput::data("running_var", g.uniform(&[3], 0.5, 2.0)),
        ],
        body!(|_t, x| batchnorm_eval(x[0], x[1], x[2], x[3], x[4], 1e-5)),
    );
    eval.opts.training = false;
    c.push(eval);

    // Group norm: several channels per group, one per group (instance norm), one group (layer
    // norm), batch 1, and the [N, C] form.
    for (variant, xs, groups) in [
        ("4-D, 2 groups of 3", vec![2, 6, 3, 2], 2),
        ("instance (G = C)", vec![2, 3, 2, 3], 3),
        ("layer (G = 1), batch 1", vec![1, 4, 2, 2], 1),
        ("2-D [N, C], 2 groups", vec![3, 4], 2),
    ] {
        let ch = xs[1];
        c.push(Case::new(
            "groupnorm",
            variant,
            vec![
                w("x", g.uniform(&xs, -2.0, 2.0)),
                w("gamma", g.uniform(&[ch], 0.5, 1.5)),
                w("beta", g.uniform(&[ch], -0.5, 0.5)),
            ],
            body!(move |_t, x| x[0].groupnorm(x[1], x[2], groups, 1e-5)),
        ));
    }
    c
}
