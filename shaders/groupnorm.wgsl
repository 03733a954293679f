// Group normalisation, x viewed as [n, c, plane]; statistics per (sample, group) over the
// M = (c/groups)·plane values of the group's channels, one contiguous run of x
// (src/backend/gpu/groupnorm.rs; CPU twin: src/backend/cpu/groupnorm.rs). The sums come from
// reduce.wgsl's two-level segmented reduction (deterministic, no atomics), the mean and
// inverse std from batchnorm.wgsl's `mean` and `inv_std` over the n·groups segments; this file
// applies them.

override WG: u32 = 256u;

struct Params {
    n: u32,
    c: u32,
    plane: u32,
    groups: u32,
    // M = (c/groups)·plane.
    count: f32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// The (sample, group) statistic of plane q = sample·c + channel.
fn group_of_plane(q: u32) -> u32 {
    return (q / p.c) * p.groups + (q % p.c) / (p.c / p.groups);
}

// ---- y = γ_c (x − mean_s) inv_std_s + β_c ----
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
    let q = i / p.plane;
    let s = group_of_plane(q);
    let c = q % p.c;
    f_y[i] = f_gamma[c] * (f_x[i] - f_mean[s]) * f_inv_std[s] + f_beta[c];
}

// ---- the group's mean copied to each of its planes (the centre of Σ g (x − mean) per plane) ----
@group(0) @binding(1) var<storage, read> e_mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> e_plane_mean: array<f32>;

@compute @workgroup_size(WG)
fn plane_means(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let q = index(wid, nwg, lid);
    if (q >= p.n * p.c) { return; }
    e_plane_mean[q] = e_mean[group_of_plane(q)];
}

// ---- per (sample, group): Σh = Σ_c γ_c Σg and Σh(x − mean) = Σ_c γ_c Σg(x − mean), h = γ g ----
@group(0) @binding(1) var<storage, read> s_gamma: array<f32>;
@group(0) @binding(2) var<storage, read> s_sum_g: array<f32>;
@group(0) @binding(3) var<storage, read> s_sum_gxc: array<f32>;
@group(0) @binding(4) var<storage, read_write> s_sum_h: array<f32>;
@group(0) @binding(5) var<storage, read_write> s_sum_hxc: array<f32>;

@compute @workgroup_size(WG)
fn group_sums(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let s = index(wid, nwg, lid);
    if (s >= p.n * p.groups) { return; }
    let cpg = p.c / p.groups;
    let first = (s / p.groups) * p.c + (s % p.groups) * cpg;
    var h = 0.0;
    var hx = 0.0;
    for (var k = 0u; k < cpg; k = k + 1u) {
        let q = first + k;
        let gm = s_gamma[q % p.c];
        h = h + gm * s_sum_g[q];
        hx = hx + gm * s_sum_gxc[q];
    }
    s_sum_h[s] = h;
    s_sum_hxc[s] = hx;
}

// ---- ∂E/∂x = (inv_std / M) · (M γ_c g − Σh − x̂ Σ h x̂), x̂ = (x − mean) inv_std,
//      Σ h x̂ = inv_std · Σ h (x − mean) ----
@group(0) @binding(1) var<storage, read> b_x: array<f32>;
@group(0) @binding(2) var<storage, read> b_g: array<f32>;
@group(0) @binding(3) var<storage, read> b_gamma: array<f32>;
@group(0) @binding(4) var<storage, read> b_mean: array<f32>;
@group(0) @binding(5) var<storage, read> b_inv_std: array<f32>;
@group(0) @binding(6) var<storage, read> b_sum_h: array<f32>;
@group(0) @binding(7) var<storage, read> b_sum_hxc: array<f32>;
@group(0) @binding(8) var<storage, read_write> b_gx: array<f32>;

@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n * p.c * p.plane) { return; }
    let q = i / p.plane;
    let s = group_of_plane(q);
    let is = b_inv_std[s];
    let xhat = (b_x[i] - b_mean[s]) * is;
    let sum_hxhat = b_sum_hxc[s] * is;
    b_gx[i] = is / p.count * (p.count * b_gamma[q % p.c] * b_g[i] - b_sum_h[s] - xhat * sum_hxhat);
}

// ---- ∂E/∂γ_c = Σ_n inv_std · Σ g (x − mean), ∂E/∂β_c = Σ_n Σ g ----
@group(0) @binding(1) var<storage, read> q_sum_g: array<f32>;
@group(0) @binding(2) var<storage, read> q_sum_gxc: array<f32>;
@group(0) @binding(3) var<storage, read> q_inv_std: array<f32>;
@group(0) @binding(4) var<storage, read_write> q_ggamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> q_gbeta: array<f32>;

@compute @workgroup_size(WG)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let c = index(wid, nwg, lid);
    if (c >= p.c) { return; }
    var gg = 0.0;
    var gb = 0.0;
    for (var n = 0u; n < p.n; n = n + 1u) {
        let q = n * p.c + c;
        gg = gg + q_sum_gxc[q] * q_inv_std[group_of_plane(q)];
        gb = gb + q_sum_g[q];
    }
    q_ggamma[c] = gg;
    q_gbeta[c] = gb;
}
