// Row-wise softmax and log-softmax, max-subtracted, and their backward from the saved output
// (src/backend/gpu/softmax.rs; CPU twin: src/backend/cpu/softmax.rs). One thread per row:
// the models' rows are short (mixture components, classes).

override WG: u32 = 64u;

struct Params {
    rows: u32,
    cols: u32,
    log: u32,
    pad0: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

fn row_index(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

// ---- forward: softmax(x)_j = e^{x_j − m} / Σ e^{x_i − m}; log-softmax = x_j − m − ln Σ ----
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(WG)
fn softmax_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = row_index(wid, nwg, lid);
    if (r >= p.rows) { return; }
    let base = r * p.cols;
    var m = fx[base];
    for (var j = 1u; j < p.cols; j++) {
        m = max(m, fx[base + j]);
    }
    var s = 0.0;
    for (var j = 0u; j < p.cols; j++) {
        s += exp(fx[base + j] - m);
    }
    if (p.log != 0u) {
        let lse = m + log(s);
        for (var j = 0u; j < p.cols; j++) {
            fy[base + j] = fx[base + j] - lse;
        }
    } else {
        for (var j = 0u; j < p.cols; j++) {
            fy[base + j] = exp(fx[base + j] - m) / s;
        }
    }
}

// ---- backward: softmax g_x = y ⊙ (g − ⟨g, y⟩); log-softmax g_x = g − eʸ Σ g ----
@group(0) @binding(1) var<storage, read> by: array<f32>;
@group(0) @binding(2) var<storage, read> bg: array<f32>;
@group(0) @binding(3) var<storage, read_write> bgx: array<f32>;

@compute @workgroup_size(WG)
fn softmax_rows_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = row_index(wid, nwg, lid);
    if (r >= p.rows) { return; }
    let base = r * p.cols;
    var s = 0.0;
    if (p.log != 0u) {
        for (var j = 0u; j < p.cols; j++) {
            s += bg[base + j];
        }
        for (var j = 0u; j < p.cols; j++) {
            bgx[base + j] = bg[base + j] - exp(by[base + j]) * s;
        }
    } else {
        for (var j = 0u; j < p.cols; j++) {
            s += bg[base + j] * by[base + j];
        }
        for (var j = 0u; j < p.cols; j++) {
            bgx[base + j] = by[base + j] * (bg[base + j] - s);
        }
    }
}
