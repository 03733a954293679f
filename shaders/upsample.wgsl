// Nearest-neighbour upsampling by an integer factor and its adjoint, a block sum
// (src/backend/gpu/upsample.rs; CPU twin: src/backend/cpu/upsample.rs).

override WG: u32 = 256u;

struct Params {
    planes: u32,
    h: u32,
    w: u32,
    factor: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// ---- y[oy, ox] = x[oy / f, ox / f] ----
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = index(wid, nwg, lid);
    let wo = p.w * p.factor;
    let ho = p.h * p.factor;
    if (o >= p.planes * ho * wo) { return; }
    let ox = o % wo;
    let oy = (o / wo) % ho;
    let plane = o / (wo * ho);
    fy[o] = fx[(plane * p.h + oy / p.factor) * p.w + ox / p.factor];
}

// ---- ∂E/∂x[iy, ix] = Σ of ∂E/∂y over its f × f block ----
@group(0) @binding(1) var<storage, read> bgy: array<f32>;
@group(0) @binding(2) var<storage, read_write> bgx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = index(wid, nwg, lid);
    if (i >= p.planes * p.h * p.w) { return; }
    let ix = i % p.w;
    let iy = (i / p.w) % p.h;
    let plane = i / (p.w * p.h);
    let wo = p.w * p.factor;
    var acc = 0.0;
    for (var a = 0u; a < p.factor; a++) {
        let row = (plane * p.h * p.factor + iy * p.factor + a) * wo + ix * p.factor;
        for (var b = 0u; b < p.factor; b++) {
            acc += bgy[row + b];
        }
    }
    bgx[i] = acc;
}
