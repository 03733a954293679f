// Max and average pooling over each plane of [n, c, h, w], no padding, floor mode, and their
// backward as gathers: each input pixel sums what the windows that contain it send back, so
// overlapping windows need no atomics (src/backend/gpu/pool2d.rs; CPU twin:
// src/backend/cpu/pool2d.rs).

override WG: u32 = 256u;

struct Params {
    planes: u32,
    h: u32,
    w: u32,
    kh: u32,
    kw: u32,
    stride: u32,
    h_out: u32,
    w_out: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn is_nan(v: f32) -> bool {
    return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The outputs whose windows contain input row (column) i: [lo, hi] (empty when lo > hi).
fn windows(i: u32, k: u32, out: u32) -> vec2<i32> {
    let lo = select(0, (i32(i) - i32(k) + i32(p.stride)) / i32(p.stride), i + 1u > k);
    let hi = min(i32(i / p.stride), i32(out) - 1);
    return vec2<i32>(lo, hi);
}

// ---- max pooling: (y, argmax); the argmax is the winner's offset iy·w + ix in its plane,
// the first on ties; a NaN wins, so NaNs propagate as in PyTorch ----
@group(0) @binding(1) var<storage, read> mx: array<f32>;
@group(0) @binding(2) var<storage, read_write> my: array<f32>;
@group(0) @binding(3) var<storage, read_write> marg: array<f32>;

@compute @workgroup_size(WG)
fn maxpool_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = index(wid, nwg, lid);
    if (o >= p.planes * p.h_out * p.w_out) { return; }
    let ox = o % p.w_out;
    let oy = (o / p.w_out) % p.h_out;
    let plane = o / (p.w_out * p.h_out);
    let base = plane * p.h * p.w;
    var at = oy * p.stride * p.w + ox * p.stride;
    var best = mx[base + at];
    for (var ki = 0u; ki < p.kh; ki++) {
        for (var kj = 0u; kj < p.kw; kj++) {
            let off = (oy * p.stride + ki) * p.w + ox * p.stride + kj;
            let v = mx[base + off];
            if (v > best || is_nan(v)) {
                best = v;
                at = off;
            }
        }
    }
    my[o] = best;
    marg[o] = f32(at);
}

@group(0) @binding(1) var<storage, read> bgy: array<f32>;
@group(0) @binding(2) var<storage, read> barg: array<f32>;
@group(0) @binding(3) var<storage, read_write> bgx: array<f32>;

@compute @workgroup_size(WG)
fn maxpool_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.planes * p.h * p.w) { return; }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let plane = i / (p.w * p.h);
    let me = f32(iy * p.w + ix);
    let ry = windows(iy, p.kh, p.h_out);
    let rx = windows(ix, p.kw, p.w_out);
    var acc = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        for (var ox = rx.x; ox <= rx.y; ox++) {
            let o = (plane * p.h_out + u32(oy)) * p.w_out + u32(ox);
            if (barg[o] == me) {
                acc += bgy[o];
            }
        }
    }
    bgx[i] = acc;
}

// ---- average pooling ----
@group(0) @binding(1) var<storage, read> ax: array<f32>;
@group(0) @binding(2) var<storage, read_write> ay: array<f32>;

@compute @workgroup_size(WG)
fn avgpool_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = index(wid, nwg, lid);
    if (o >= p.planes * p.h_out * p.w_out) { return; }
    let ox = o % p.w_out;
    let oy = (o / p.w_out) % p.h_out;
    let base = (o / (p.w_out * p.h_out)) * p.h * p.w;
    var s = 0.0;
    for (var ki = 0u; ki < p.kh; ki++) {
        for (var kj = 0u; kj < p.kw; kj++) {
            s += ax[base + (oy * p.stride + ki) * p.w + ox * p.stride + kj];
        }
    }
    ay[o] = s / f32(p.kh * p.kw);
}

@group(0) @binding(1) var<storage, read> agy: array<f32>;
@group(0) @binding(2) var<storage, read_write> agx: array<f32>;

@compute @workgroup_size(WG)
fn avgpool_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.planes * p.h * p.w) { return; }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let plane = i / (p.w * p.h);
    let ry = windows(iy, p.kh, p.h_out);
    let rx = windows(ix, p.kw, p.w_out);
    var acc = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy++) {
        for (var ox = rx.x; ox <= rx.y; ox++) {
            acc += agy[(plane * p.h_out + u32(oy)) * p.w_out + u32(ox)];
        }
    }
    agx[i] = acc / f32(p.kh * p.kw);
}
