// 2-D convolution, NCHW, every padding mode (zero, TF-same — both as explicit pads — and
// circular) and stride (src/backend/gpu/conv2d.rs; CPU twin: src/backend/cpu/conv2d.rs).
//
// Output pixel (oy, ox) reads input row oy·stride − pad_top + ki and column
// ox·stride − pad_left + kj: outside the image that is 0, or, with circular padding, the
// index wrapped modulo h (w).
//   forward          one thread per output:  y = b + Σ_{ci, ki, kj} W x
//   backward_input   one thread per input pixel, gathering every (output, tap) that read it
//                    (no scatter, so no atomics): ∂E/∂x = Σ W ∂E/∂y
//   backward_weight  per weight, Σ over (n, oy, ox) of x ∂E/∂y in two levels: this file's
//                    pass 1 writes per-chunk partials, reduce.wgsl's segment_total adds them.

override WG: u32 = 256u;
const RWG: u32 = 256u;

struct Params {
    n: u32,
    c_in: u32,
    h: u32,
    w: u32,
    c_out: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    pad_top: u32,
    pad_left: u32,
    circular: u32,
    h_out: u32,
    w_out: u32,
    has_bias: u32,
    // backward_weight: chunks per weight and elements per chunk of the n·h_out·w_out sum.
    chunks: u32,
    chunk_len: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn flat(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// The input index that output position o reads at kernel offset k, or −1 in the zero padding.
fn source(o: u32, k: u32, pad: u32, size: u32) -> i32 {
    let i = i32(o * p.stride + k) - i32(pad);
    if (i >= 0 && i < i32(size)) { return i; }
    if (p.circular != 0u) { return ((i % i32(size)) + i32(size)) % i32(size); }
    return -1;
}

// ---- forward ----
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fw: array<f32>;
@group(0) @binding(3) var<storage, read> fb: array<f32>;
@group(0) @binding(4) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let yi = flat(wid, nwg) * WG + lid.x;
    if (yi >= p.n * p.c_out * p.h_out * p.w_out) { return; }
    let ox = yi % p.w_out;
    let oy = (yi / p.w_out) % p.h_out;
    let co = (yi / (p.w_out * p.h_out)) % p.c_out;
    let nn = yi / (p.w_out * p.h_out * p.c_out);
    var acc = 0.0;
    for (var ci = 0u; ci < p.c_in; ci++) {
        let plane = (nn * p.c_in + ci) * p.h;
        for (var ki = 0u; ki < p.kh; ki++) {
            let iy = source(oy, ki, p.pad_top, p.h);
            if (iy < 0) { continue; }
            let wrow = ((co * p.c_in + ci) * p.kh + ki) * p.kw;
            let xrow = (plane + u32(iy)) * p.w;
            for (var kj = 0u; kj < p.kw; kj++) {
                let ix = source(ox, kj, p.pad_left, p.w);
                if (ix < 0) { continue; }
                acc = fma(fw[wrow + kj], fx[xrow + u32(ix)], acc);
            }
        }
    }
    if (p.has_bias != 0u) {
        acc += fb[co];
    }
    fy[yi] = acc;
}

// ---- backward, input ----
@group(0) @binding(1) var<storage, read> igy: array<f32>;
@group(0) @binding(2) var<storage, read> iw: array<f32>;
@group(0) @binding(3) var<storage, read_write> igx: array<f32>;

// The lowest raw position ≥ lo that is congruent to i modulo size (circular), or i itself.
fn first_raw(i: i32, lo: i32, size: i32) -> i32 {
    if (p.circular == 0u) { return i; }
    var r = i;
    while (r - size >= lo) { r -= size; }
    return r;
}

@compute @workgroup_size(WG)
fn backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let xi = flat(wid, nwg) * WG + lid.x;
    if (xi >= p.n * p.c_in * p.h * p.w) { return; }
    let ix = i32(xi % p.w);
    let iy = i32((xi / p.w) % p.h);
    let ci = (xi / (p.w * p.h)) % p.c_in;
    let nn = xi / (p.w * p.h * p.c_in);
    let s = i32(p.stride);
    let h = i32(p.h);
    let w = i32(p.w);
    let pt = i32(p.pad_top);
    let pl = i32(p.pad_left);
    // Raw (unwrapped) rows and columns that outputs read: [−pad, (out − 1)·s + k − 1 − pad].
    let row_hi = i32(p.h_out - 1u) * s + i32(p.kh) - 1 - pt;
    let col_hi = i32(p.w_out - 1u) * s + i32(p.kw) - 1 - pl;
    let step_y = select(h + row_hi + pt + 1, h, p.circular != 0u);
    let step_x = select(w + col_hi + pl + 1, w, p.circular != 0u);
    var acc = 0.0;
    for (var co = 0u; co < p.c_out; co++) {
        let gplane = (nn * p.c_out + co) * p.h_out;
        for (var ki = 0; ki < i32(p.kh); ki++) {
            // Each raw row r ≡ iy is read by output oy = (r + pt − ki)/s at tap ki.
            for (var r = first_raw(iy, -pt, h); r <= row_hi; r += step_y) {
                let ty = r + pt - ki;
                if (ty < 0 || ty % s != 0 || ty / s >= i32(p.h_out)) { continue; }
                let oy = u32(ty / s);
                let wrow = ((co * p.c_in + ci) * p.kh + u32(ki)) * p.kw;
                for (var kj = 0; kj < i32(p.kw); kj++) {
                    for (var c = first_raw(ix, -pl, w); c <= col_hi; c += step_x) {
                        let tx = c + pl - kj;
                        if (tx < 0 || tx % s != 0 || tx / s >= i32(p.w_out)) { continue; }
                        let ox = u32(tx / s);
                        acc = fma(iw[wrow + u32(kj)], igy[(gplane + oy) * p.w_out + ox], acc);
                    }
                }
            }
        }
    }
    igx[xi] = acc;
}

// ---- backward, weight: pass 1 ----
@group(0) @binding(1) var<storage, read> wx: array<f32>;
@group(0) @binding(2) var<storage, read> wgy: array<f32>;
@group(0) @binding(3) var<storage, read_write> wpart: array<f32>;

var<workgroup> tree: array<f32, RWG>;

@compute @workgroup_size(RWG)
fn backward_weight_partials(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = flat(wid, nwg);
    let wi = g / p.chunks;
    let chunk = g % p.chunks;
    let l = lid.x;
    let n_weights = p.c_out * p.c_in * p.kh * p.kw;
    var acc = 0.0;
    if (wi < n_weights) {
        let kj = wi % p.kw;
        let ki = (wi / p.kw) % p.kh;
        let ci = (wi / (p.kw * p.kh)) % p.c_in;
        let co = wi / (p.kw * p.kh * p.c_in);
        let count = p.n * p.h_out * p.w_out;
        let start = chunk * p.chunk_len;
        let end = min(start + p.chunk_len, count);
        for (var t = start + l; t < end; t += RWG) {
            let ox = t % p.w_out;
            let oy = (t / p.w_out) % p.h_out;
            let nn = t / (p.w_out * p.h_out);
            let iy = source(oy, ki, p.pad_top, p.h);
            let ix = source(ox, kj, p.pad_left, p.w);
            if (iy < 0 || ix < 0) { continue; }
            let xv = wx[((nn * p.c_in + ci) * p.h + u32(iy)) * p.w + u32(ix)];
            acc = fma(xv, wgy[((nn * p.c_out + co) * p.h_out + oy) * p.w_out + ox], acc);
        }
    }
    tree[l] = acc;
    workgroupBarrier();
    for (var s = RWG / 2u; s > 0u; s = s / 2u) {
        if (l < s) {
            tree[l] = tree[l] + tree[l + s];
        }
        workgroupBarrier();
    }
    if (l == 0u && wi < n_weights) {
        wpart[g] = tree[0];
    }
}
