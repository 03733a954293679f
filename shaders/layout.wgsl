// Moving elements without arithmetic: transpose, and the block copies of concat and its
// adjoint slice_block (src/backend/gpu/layout.rs; CPU twin: src/backend/cpu/layout.rs).

override WG: u32 = 256u;
// Side of the square tile the transpose stages in workgroup memory (TILE × TILE threads).
const TILE: u32 = 16u;

struct Params {
    rows: u32,
    cols: u32,
    // Block copy: for each of `outer` rows, `len` elements from src[o · src_block + src_start]
    // to dst[o · dst_block + dst_start].
    outer: u32,
    len: u32,
    src_block: u32,
    src_start: u32,
    dst_block: u32,
    dst_start: u32,
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- transpose: out[c, r] = x[r, c], through a tile so reads and writes are both coalesced ----
@group(0) @binding(1) var<storage, read> tx: array<f32>;
@group(0) @binding(2) var<storage, read_write> tout: array<f32>;

// One padding column keeps the column reads free of bank conflicts.
var<workgroup> tile: array<f32, 272>; // TILE · (TILE + 1)

@compute @workgroup_size(16, 16)
fn transpose(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let r = wid.y * TILE + lid.y;
    let c = wid.x * TILE + lid.x;
    if (r < p.rows && c < p.cols) {
        tile[lid.y * (TILE + 1u) + lid.x] = tx[r * p.cols + c];
    }
    workgroupBarrier();
    // The tile's transpose: this thread writes out[c', r'] for r' = wid.y·T + lid.x, c' = wid.x·T + lid.y.
    let r2 = wid.y * TILE + lid.x;
    let c2 = wid.x * TILE + lid.y;
    if (r2 < p.rows && c2 < p.cols) {
        tout[c2 * p.rows + r2] = tile[lid.x * (TILE + 1u) + lid.y];
    }
}

// ---- block copy (concat writes each part with it; slice_block reads one with it) ----
@group(0) @binding(1) var<storage, read> bsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> bdst: array<f32>;

@compute @workgroup_size(WG)
fn copy_blocks(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
    if (i >= p.outer * p.len) { return; }
    let o = i / p.len;
    let k = i % p.len;
    bdst[o * p.dst_block + p.dst_start + k] = bsrc[o * p.src_block + p.src_start + k];
}
