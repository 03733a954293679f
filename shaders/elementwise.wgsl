// Pointwise maps, their derivatives, broadcast binary operators and fill
// (src/backend/gpu/elementwise.rs; the CPU twin is src/backend/cpu/elementwise.rs).
//
// Bindings: 0 = parameters (uniform), then the inputs (read-only), then the output.
// Threads are numbered across a 2-D grid of workgroups (a dispatch over 65,535 workgroups in
// x is folded into y): i = (wid.y · nwg.x + wid.x) · WG + lid.x.

override WG: u32 = 256u;

struct Params {
    n: u32,
    op: u32,
    // Scalars of the op (powf's p, leaky relu's α, add/mul's c, fill's value).
    s0: f32,
    s1: f32,
    // Broadcast maps of binary's operands: operand index = (i / inner) % mid.
    a_mid: u32,
    a_inner: u32,
    b_mid: u32,
    b_inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// tanh through exp of a clamped argument: tanh(±15) is ±1 in f32, and no exp overflows.
fn tanh_f(x: f32) -> f32 {
    let e = exp(2.0 * clamp(x, -15.0, 15.0));
    return (e - 1.0) / (e + 1.0);
}

fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

// x^q for any sign of x: |x|^q with the sign of an odd integer power; NaN for x < 0 and a
// non-integer q (as the CPU's powf).
fn powf(x: f32, q: f32) -> f32 {
    if (x == 0.0) {
        if (q > 0.0) { return 0.0; }
        if (q == 0.0) { return 1.0; }
        return bitcast<f32>(0x7f800000u); // +∞, as 0^q for q < 0

    }
    let r = exp2(q * log2(abs(x)));
    if (x > 0.0) { return r; }
    if (floor(q) != q) { return bitcast<f32>(0x7fc00000u); }
    if (abs(q % 2.0) == 1.0) { return -r; }
    return r;
}

// The op codes of UnaryOp, in the order of src/backend/gpu/elementwise.rs::code.
fn apply(op: u32, x: f32) -> f32 {
    switch op {
        case 0u: { return -x; }
        case 1u: { return exp(x); }
        case 2u: { return log(x); }
        case 3u: { return sqrt(x); }
        case 4u: { return powf(x, p.s0); }
        case 5u: { return max(x, 0.0); }
        case 6u: { return select(p.s0 * x, x, x > 0.0); }
        case 7u: { return sigmoid(x); }
        case 8u: { return tanh_f(x); }
        // ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}).
        case 9u: { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
        case 10u: { return x + p.s0; }
        case 11u: { return p.s0 * x; }
        case 12u: { return x * x; }
        default: { return abs(x); }
    }
}

// f'(x) from x and y = f(x), as the CPU's `derivative`.
fn derivative(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case 0u: { return -1.0; }
        case 1u: { return y; }
        case 2u: { return 1.0 / x; }
        case 3u: { return 0.5 / y; }
        case 4u: { return p.s0 * powf(x, p.s0 - 1.0); }
        case 5u: { return select(0.0, 1.0, x > 0.0); }
        case 6u: { return select(p.s0, 1.0, x > 0.0); }
        case 7u: { return y * (1.0 - y); }
        case 8u: { return 1.0 - y * y; }
        case 9u: { return sigmoid(x); }
        case 10u: { return 1.0; }
        case 11u: { return p.s0; }
        case 12u: { return 2.0 * x; }
        default: { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
    }
}

// ---- unary: y = f(x) ----
@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

@compute @workgroup_size(WG)
fn unary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    uy[i] = apply(p.op, ux[i]);
}

// ---- unary_backward: ∂E/∂x = ∂E/∂y · f'(x) ----
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> by: array<f32>;
@group(0) @binding(3) var<storage, read> bg: array<f32>;
@group(0) @binding(4) var<storage, read_write> bout: array<f32>;

@compute @workgroup_size(WG)
fn unary_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    bout[i] = bg[i] * derivative(p.op, bx[i], by[i]);
}

// ---- binary: out[i] = a[ia(i)] ∘ b[ib(i)] ----
@group(0) @binding(1) var<storage, read> ba: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> bo: array<f32>;

@compute @workgroup_size(WG)
fn binary(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    let a = ba[(i / p.a_inner) % p.a_mid];
    let b = bb[(i / p.b_inner) % p.b_mid];
    switch p.op {
        case 0u: { bo[i] = a + b; }
        case 1u: { bo[i] = a - b; }
        case 2u: { bo[i] = a * b; }
        default: { bo[i] = a / b; }
    }
}

// ---- fill: out[i] = s0 ----
@group(0) @binding(1) var<storage, read_write> fo: array<f32>;

@compute @workgroup_size(WG)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.n) { return; }
    fo[i] = p.s0;
}
