// Per-element losses and their derivatives with respect to the prediction
// (src/backend/gpu/loss.rs; CPU twin: src/backend/cpu/loss.rs, whose clamps these repeat).

override WG: u32 = 256u;

// PyTorch's clamps: ln p floored at −100, the BCE gradient's denominator p(1 − p) at 1e-12.
const LOG_FLOOR: f32 = -100.0;
const DENOM_FLOOR: f32 = 1e-12;

struct Params {
    n: u32,
    // 0: squared error; 1: BCE on probabilities; 2: BCE on logits.
    kind: u32,
    // The upstream gradient is read at (i / g_inner) % g_mid.
    g_mid: u32,
    g_inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn loss(x: f32, t: f32) -> f32 {
    switch p.kind {
        case 0u: { return (x - t) * (x - t); }
        case 1u: { return -(t * max(log(x), LOG_FLOOR) + (1.0 - t) * max(log(1.0 - x), LOG_FLOOR)); }
        // max(x, 0) − x t + ln(1 + e^{−|x|}).
        default: { return max(x, 0.0) - x * t + log(1.0 + exp(-abs(x))); }
    }
}

fn dloss(x: f32, t: f32) -> f32 {
    switch p.kind {
        case 0u: { return 2.0 * (x - t); }
        case 1u: { return (x - t) / max(x * (1.0 - x), DENOM_FLOOR); }
        default: { return 1.0 / (1.0 + exp(-x)) - t; }
    }
}

@group(0) @binding(1) var<storage, read> fp: array<f32>;
@group(0) @binding(2) var<storage, read> ft: array<f32>;
@group(0) @binding(3) var<storage, read_write> fl: array<f32>;

@compute @workgroup_size(WG)
fn pointwise_loss(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    fl[i] = loss(fp[i], ft[i]);
}

@group(0) @binding(1) var<storage, read> bp: array<f32>;
@group(0) @binding(2) var<storage, read> bt: array<f32>;
@group(0) @binding(3) var<storage, read> bg: array<f32>;
@group(0) @binding(4) var<storage, read_write> bgp: array<f32>;

@compute @workgroup_size(WG)
fn pointwise_loss_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    bgp[i] = bg[(i / p.g_inner) % p.g_mid] * dloss(bp[i], bt[i]);
}
