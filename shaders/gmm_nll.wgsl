// The Gaussian-mixture negative log-likelihood of thesis eqs. 56–57 and its gradient, one
// thread per sample (src/backend/gpu/gmm_nll.rs; CPU twin and the formulas:
// src/backend/cpu/gmm_nll.rs):
//
//   E = −ln Σ_m α_m φ_m(y),  α = softmax(a),  ln φ_m = −Σ_d [½ ln 2π + ln σ_md + (y_d − μ_md)²/(2σ_md²)]
//
// evaluated as a max-subtracted log-sum-exp over ln α_m + ln φ_m. WGSL has no f64, so unlike
// the CPU (f64 per sample) this is f32 throughout: each term carries ~1e-7 relative error and
// the log-sum-exps never overflow; backend/precision.rs states the promise. Quantities that
// both passes need are recomputed rather than stored: K and D are small.

override WG: u32 = 64u;

const HALF_LN_2PI: f32 = 0.9189385332046728;

struct Params {
    n: u32,
    k: u32,
    d: u32,
    isotropic: u32,
    // σ = floor + softplus(s) (0) or floor + exp(s) (1).
    sigma_kind: u32,
    floor: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// σ(s) and dσ/ds.
fn sigma(s: f32) -> vec2<f32> {
    if (p.sigma_kind == 0u) {
        let sp = select(log(1.0 + exp(s)), s + log(1.0 + exp(-s)), s > 0.0);
        return vec2<f32>(p.floor + sp, 1.0 / (1.0 + exp(-s)));
    }
    let e = exp(s);
    return vec2<f32>(p.floor + e, e);
}

fn sigma_index(i: u32, m: u32, dd: u32) -> u32 {
    if (p.isotropic != 0u) { return i * p.k + m; }
    return (i * p.k + m) * p.d + dd;
}

fn sample(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// ---- forward: (nll [n], γ [n, k]) ----
@group(0) @binding(1) var<storage, read> f_logits: array<f32>;
@group(0) @binding(2) var<storage, read> f_means: array<f32>;
@group(0) @binding(3) var<storage, read> f_sigma: array<f32>;
@group(0) @binding(4) var<storage, read> f_target: array<f32>;
@group(0) @binding(5) var<storage, read_write> f_nll: array<f32>;
@group(0) @binding(6) var<storage, read_write> f_gamma: array<f32>;

// ln Σ_m e^{a_m} of sample i's logits.
fn logit_lse(i: u32) -> f32 {
    var mx = f_logits[i * p.k];
    for (var m = 1u; m < p.k; m++) {
        mx = max(mx, f_logits[i * p.k + m]);
    }
    var s = 0.0;
    for (var m = 0u; m < p.k; m++) {
        s += exp(f_logits[i * p.k + m] - mx);
    }
    return mx + log(s);
}

// ln α_m + ln φ_m for sample i.
fn log_w(i: u32, m: u32, lse_a: f32) -> f32 {
    var lphi = 0.0;
    for (var dd = 0u; dd < p.d; dd++) {
        let s = sigma(f_sigma[sigma_index(i, m, dd)]).x;
        let z = (f_target[i * p.d + dd] - f_means[(i * p.k + m) * p.d + dd]) / s;
        lphi -= HALF_LN_2PI + log(s) + 0.5 * z * z;
    }
    return f_logits[i * p.k + m] - lse_a + lphi;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = sample(wid, nwg, lid);
    if (i >= p.n) { return; }
    let lse_a = logit_lse(i);
    var mw = log_w(i, 0u, lse_a);
    for (var m = 1u; m < p.k; m++) {
        mw = max(mw, log_w(i, m, lse_a));
    }
    var s = 0.0;
    for (var m = 0u; m < p.k; m++) {
        s += exp(log_w(i, m, lse_a) - mw);
    }
    let lse = mw + log(s);
    f_nll[i] = -lse;
    for (var m = 0u; m < p.k; m++) {
        f_gamma[i * p.k + m] = exp(log_w(i, m, lse_a) - lse);
    }
}

// ---- backward, logits: ∂E/∂a_m = g (α_m − γ_m) ----
@group(0) @binding(1) var<storage, read> l_logits: array<f32>;
@group(0) @binding(2) var<storage, read> l_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> l_grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> l_out: array<f32>;

@compute @workgroup_size(WG)
fn backward_logits(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = sample(wid, nwg, lid);
    if (i >= p.n) { return; }
    var mx = l_logits[i * p.k];
    for (var m = 1u; m < p.k; m++) {
        mx = max(mx, l_logits[i * p.k + m]);
    }
    var s = 0.0;
    for (var m = 0u; m < p.k; m++) {
        s += exp(l_logits[i * p.k + m] - mx);
    }
    let g = l_grad[i];
    for (var m = 0u; m < p.k; m++) {
        let alpha = exp(l_logits[i * p.k + m] - mx) / s;
        l_out[i * p.k + m] = g * (alpha - l_gamma[i * p.k + m]);
    }
}

// ---- backward, means and raw σ ----
//   ∂E/∂μ_md = −g γ_m r / σ²,  ∂E/∂σ = g γ_m (1/σ − r²/σ³) (summed over d when isotropic),
//   ∂E/∂s = ∂E/∂σ · dσ/ds, with r = y_d − μ_md.
@group(0) @binding(1) var<storage, read> q_means: array<f32>;
@group(0) @binding(2) var<storage, read> q_sigma: array<f32>;
@group(0) @binding(3) var<storage, read> q_target: array<f32>;
@group(0) @binding(4) var<storage, read> q_gamma: array<f32>;
@group(0) @binding(5) var<storage, read> q_grad: array<f32>;
@group(0) @binding(6) var<storage, read_write> q_gmu: array<f32>;
@group(0) @binding(7) var<storage, read_write> q_gs: array<f32>;

@compute @workgroup_size(WG)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = sample(wid, nwg, lid);
    if (i >= p.n) { return; }
    let g = q_grad[i];
    for (var m = 0u; m < p.k; m++) {
        let gam = g * q_gamma[i * p.k + m];
        var acc = 0.0;
        for (var dd = 0u; dd < p.d; dd++) {
            let j = sigma_index(i, m, dd);
            let sd = sigma(q_sigma[j]);
            let s = sd.x;
            let r = q_target[i * p.d + dd] - q_means[(i * p.k + m) * p.d + dd];
            q_gmu[(i * p.k + m) * p.d + dd] = -gam * r / (s * s);
            let gs = gam * (1.0 / s - r * r / (s * s * s));
            if (p.isotropic != 0u) {
                acc += gs;
            } else {
                q_gs[j] = gs * sd.y;
            }
        }
        if (p.isotropic != 0u) {
            q_gs[i * p.k + m] = acc * sigma(q_sigma[i * p.k + m]).y;
        }
    }
}
