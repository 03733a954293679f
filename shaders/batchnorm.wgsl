// Batch normalisation in training mode, x viewed as [n, c, plane], statistics per channel over
// the M = n·plane values (src/backend/gpu/batchnorm.rs; CPU twin: src/backend/cpu/batchnorm.rs).
// The per-channel sums come from reduce.wgsl's two-level reduction (deterministic, no atomics);
// this file turns them into statistics and applies them elementwise. The variance is the
// two-pass one (Σ (x − mean)² after the mean), which does not cancel for data far from zero.

override WG: u32 = 256u;

struct Params {
    n: u32,
    c: u32,
    plane: u32,
    pad0: u32,
    // M = n · plane, and ε.
    count: f32,
    eps: f32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn channel(i: u32) -> u32 {
    return (i / p.plane) % p.c;
}

// ---- mean[c] = Σx / M ----
@group(0) @binding(1) var<storage, read> m_sum: array<f32>;
@group(0) @binding(2) var<storage, read_write> m_mean: array<f32>;

@compute @workgroup_size(WG)
fn mean(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = index(wid, nwg, lid);
    if (c >= p.c) { return; }
    m_mean[c] = m_sum[c] / p.count;
}

// ---- inv_std[c] = 1/√(Σ(x − mean)²/M + ε) ----
@group(0) @binding(1) var<storage, read> s_dev: array<f32>;
@group(0) @binding(2) var<storage, read_write> s_inv_std: array<f32>;

@compute @workgroup_size(WG)
fn inv_std(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = index(wid, nwg, lid);
    if (c >= p.c) { return; }
    s_inv_std[c] = 1.0 / sqrt(s_dev[c] / p.count + p.eps);
}

// ---- y = γ (x − mean) inv_std + β ----
@group(0) @binding(1) var<storage, read> f_x: array<f32>;
@group(0) @binding(2) var<storage, read> f_gamma: array<f32>;
@group(0) @binding(3) var<storage, read> f_beta: array<f32>;
@group(0) @binding(4) var<storage, read> f_mean: array<f32>;
@group(0) @binding(5) var<storage, read> f_inv_std: array<f32>;
@group(0) @binding(6) var<storage, read_write> f_y: array<f32>;

@compute @workgroup_size(WG)
fn normalize(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n * p.c * p.plane) { return; }
    let c = channel(i);
    f_y[i] = f_gamma[c] * (f_x[i] - f_mean[c]) * f_inv_std[c] + f_beta[c];
}

// ---- ∂E/∂x = (γ·inv_std / M) · (M g − Σg − x̂ Σ g x̂), x̂ = (x − mean) inv_std,
//      with Σ g x̂ = inv_std · Σ g (x − mean) ----
@group(0) @binding(1) var<storage, read> b_x: array<f32>;
@group(0) @binding(2) var<storage, read> b_g: array<f32>;
@group(0) @binding(3) var<storage, read> b_gamma: array<f32>;
@group(0) @binding(4) var<storage, read> b_mean: array<f32>;
@group(0) @binding(5) var<storage, read> b_inv_std: array<f32>;
@group(0) @binding(6) var<storage, read> b_sum_g: array<f32>;
@group(0) @binding(7) var<storage, read> b_sum_gxc: array<f32>;
@group(0) @binding(8) var<storage, read_write> b_gx: array<f32>;

@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n * p.c * p.plane) { return; }
    let c = channel(i);
    let is = b_inv_std[c];
    let xhat = (b_x[i] - b_mean[c]) * is;
    let sum_gxhat = b_sum_gxc[c] * is;
    b_gx[i] = b_gamma[c] * is / p.count * (p.count * b_g[i] - b_sum_g[c] - xhat * sum_gxhat);
}

// ---- ∂E/∂γ = Σ g x̂ = inv_std · Σ g (x − mean), ∂E/∂β = Σ g ----
@group(0) @binding(1) var<storage, read> q_sum_g: array<f32>;
@group(0) @binding(2) var<storage, read> q_sum_gxc: array<f32>;
@group(0) @binding(3) var<storage, read> q_inv_std: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_ggamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> q_gbeta: array<f32>;

@compute @workgroup_size(WG)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = index(wid, nwg, lid);
    if (c >= p.c) { return; }
    q_ggamma[c] = q_sum_gxc[c] * q_inv_std[c];
    q_gbeta[c] = q_sum_g[c];
}
