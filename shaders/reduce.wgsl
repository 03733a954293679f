// Sums: along an axis, expand (its adjoint), and a deterministic two-level segmented
// reduction that serves reduce_bcast, sum_squares, count_nonfinite, the batch-norm statistics
// and the convolution's weight gradient (src/backend/gpu/reduce.rs; CPU twin:
// src/backend/cpu/reduce.rs).
//
// Portable WGSL has no float atomics, so no result is accumulated by racing threads: pass 1
// has each workgroup sum one chunk of one segment (each thread a strided run of the chunk,
// then a tree in workgroup memory) into partials[segment · chunks + chunk]; pass 2 has one
// workgroup per segment sum its partials the same way. For a fixed workgroup size the order
// of every addition is fixed, so results are the same on every run.

// Workgroup size of the tree reductions (the length of their workgroup arrays).
const RWG: u32 = 256u;
// Threads per workgroup of the elementwise kernels here.
override WG: u32 = 256u;

struct Params {
    // sum_axis / expand_axis: [outer, n, inner]; total = outer · inner (sum) or outer · n · inner.
    outer: u32,
    n: u32,
    inner: u32,
    total: u32,
    // Segmented sums: segment j holds `count` elements; element t of segment j is
    // x[(t / inner) · (mid · inner) + j · inner + t % inner] (the Bcast map's preimage).
    mid: u32,
    count: u32,
    chunks: u32,
    chunk_len: u32,
    // 0: x; 1: x²; 2: (x − mean_j)²; 3: y · (x − mean_j); 4: 1 where x is NaN or ±∞.
    mode: u32,
    // Where pass 2 writes segment 0 (several tensors' results share one output).
    out_offset: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn flat(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// ---- sum_axis: out[o, k] = Σ_j x[o, j, k] (compensated, one thread per output) ----
@group(0) @binding(1) var<storage, read> sx: array<f32>;
@group(0) @binding(2) var<storage, read_write> sout: array<f32>;

@compute @workgroup_size(WG)
fn sum_axis(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat(wid, nwg) * WG + lid.x;
    if (i >= p.total) { return; }
    let o = i / p.inner;
    let k = i % p.inner;
    // Kahan summation: the error stays near one rounding however long the axis is.
    var s = 0.0;
    var c = 0.0;
    for (var j = 0u; j < p.n; j++) {
        let y = sx[(o * p.n + j) * p.inner + k] - c;
        let t = s + y;
        c = (t - s) - y;
        s = t;
    }
    sout[i] = s;
}

// ---- expand_axis: out[o, j, k] = g[o, k] ----
@group(0) @binding(1) var<storage, read> eg: array<f32>;
@group(0) @binding(2) var<storage, read_write> eout: array<f32>;

@compute @workgroup_size(WG)
fn expand_axis(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = flat(wid, nwg) * WG + lid.x;
    if (i >= p.total) { return; }
    let k = i % p.inner;
    let o = i / (p.n * p.inner);
    eout[i] = eg[o * p.inner + k];
}

var<workgroup> tree: array<f32, RWG>;

// Sums tree[0..RWG) into tree[0]; every thread of the workgroup must call it.
fn tree_sum(l: u32) {
    workgroupBarrier();
    for (var s = RWG / 2u; s > 0u; s = s / 2u) {
        if (l < s) {
            tree[l] = tree[l] + tree[l + s];
        }
        workgroupBarrier();
    }
}

fn is_nonfinite(v: f32) -> bool {
    // Exponent bits all ones: ±∞ or NaN. A bit test, which fast-math cannot fold away.
    return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

// ---- pass 1: partials[j · chunks + c] = Σ over chunk c of segment j of f(x, y, mean) ----
@group(0) @binding(1) var<storage, read> rx: array<f32>;
@group(0) @binding(2) var<storage, read> ry: array<f32>;
@group(0) @binding(3) var<storage, read> rmean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rpart: array<f32>;

@compute @workgroup_size(RWG)
fn segment_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = flat(wid, nwg);
    let j = g / p.chunks;
    let c = g % p.chunks;
    let l = lid.x;
    var acc = 0.0;
    if (j < p.mid) {
        let start = c * p.chunk_len;
        let end = min(start + p.chunk_len, p.count);
        var m = 0.0;
        if (p.mode == 2u || p.mode == 3u) {
            m = rmean[j];
        }
        for (var t = start + l; t < end; t += RWG) {
            let i = (t / p.inner) * (p.mid * p.inner) + j * p.inner + t % p.inner;
            let v = rx[i];
            switch p.mode {
                case 0u: { acc += v; }
                case 1u: { acc += v * v; }
                case 2u: { acc += (v - m) * (v - m); }
                case 3u: { acc += ry[i] * (v - m); }
                default: { acc += select(0.0, 1.0, is_nonfinite(v)); }
            }
        }
    }
    tree[l] = acc;
    tree_sum(l);
    if (l == 0u && j < p.mid) {
        rpart[g] = tree[0];
    }
}

// ---- pass 2: out[out_offset + j] = Σ_c partials[j · chunks + c], one workgroup per segment ----
@group(0) @binding(1) var<storage, read> tpart: array<f32>;
@group(0) @binding(2) var<storage, read_write> tout: array<f32>;

@compute @workgroup_size(RWG)
fn segment_total(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let j = flat(wid, nwg);
    let l = lid.x;
    var acc = 0.0;
    if (j < p.mid) {
        for (var c = l; c < p.chunks; c += RWG) {
            acc += tpart[j * p.chunks + c];
        }
    }
    tree[l] = acc;
    tree_sum(l);
    if (l == 0u && j < p.mid) {
        tout[p.out_offset + j] = tree[0];
    }
}
