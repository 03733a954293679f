// The dropout mask of the counter-based generator specified in src/backend/random.rs, in the
// same 32-bit integer arithmetic, so CPU and GPU draw the same mask bit for bit
// (src/backend/gpu/random.rs; CPU twin: src/backend/cpu/random.rs).

override WG: u32 = 256u;

struct Params {
    n: u32,
    // key(seed): both halves of the 64-bit seed mixed on the host.
    key: u32,
    // Element i is dropped when bits24(key, i) < threshold = ⌈p·2²⁴⌉.
    threshold: u32,
    // 1/(1 − p), rounded to f32.
    keep: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> mask: array<f32>;

// lowbias32 (multiplications wrap modulo 2³², as u32 arithmetic in WGSL does).
fn hash32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

@compute @workgroup_size(WG)
fn dropout_mask(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
    if (i >= p.n) { return; }
    let bits = hash32(hash32(i ^ p.key) + p.key) >> 8u;
    mask[i] = select(p.keep, 0.0, bits < p.threshold);
}
