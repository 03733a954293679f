// Optimiser updates in place: Adam/AdamW and SGD with momentum, PyTorch's formulas
// (src/backend/gpu/optim.rs; CPU twin: src/backend/cpu/optim.rs). The parameter and its
// state are read-write bindings: the caller holds the only handles to them (the trait's
// aliasing rule; a shared handle is copied before the kernel runs).

override WG: u32 = 256u;

struct Params {
    n: u32,
    decoupled: u32,
    nesterov: u32,
    pad0: u32,
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    grad_scale: f32,
    // Bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, computed on the host in f64.
    bc1: f32,
    bc2: f32,
    momentum: f32,
    pad1: u32,
    pad2: u32,
    pad3: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// ---- Adam / AdamW ----
@group(0) @binding(1) var<storage, read> a_grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> a_p: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_v: array<f32>;

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    let w = a_p[i];
    var g = a_grad[i] * p.grad_scale;
    if (p.decoupled == 0u) {
        g += p.weight_decay * w;
    }
    let m = p.beta1 * a_m[i] + (1.0 - p.beta1) * g;
    let v = p.beta2 * a_v[i] + (1.0 - p.beta2) * g * g;
    let step = (m / p.bc1) / (sqrt(v / p.bc2) + p.eps);
    let decay = select(0.0, p.weight_decay * w, p.decoupled != 0u);
    a_p[i] = w - p.lr * (step + decay);
    a_m[i] = m;
    a_v[i] = v;
}

// ---- SGD: v ← μ v + (g + wd p); p ← p − lr (Nesterov: g + μ v, else v) ----
@group(0) @binding(1) var<storage, read> s_grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> s_p: array<f32>;
@group(0) @binding(3) var<storage, read_write> s_vel: array<f32>;

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    let w = s_p[i];
    let g = s_grad[i] * p.grad_scale + p.weight_decay * w;
    let v = p.momentum * s_vel[i] + g;
    let d = select(v, g + p.momentum * v, p.nesterov != 0u);
    s_p[i] = w - p.lr * d;
    s_vel[i] = v;
}
