// C[m, n] = op(A) op(B), op = identity or transpose, tiled (src/backend/gpu/matmul.rs; CPU
// twin: src/backend/cpu/matmul.rs).
//
// Each workgroup computes a BM × BN tile of C. It walks k in steps of BK, staging a BM × BK
// tile of op(A) and a BK × BN tile of op(B) in workgroup memory; each of its 16 × 16 threads
// then keeps a 4 × 4 block of C in registers (rows ty + 16i, columns tx + 16j), so every value
// read from workgroup memory feeds four multiply-adds. The transpose flags only change how
// the tiles are loaded (always along the stored matrix's contiguous dimension), so no
// transposed copy is ever made. Accumulation is in f32.

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;
// Threads per side of the 16 × 16 workgroup; each owns RB × RB outputs.
const TS: u32 = 16u;
const RB: u32 = 4u;

struct Params {
    m: u32,
    k: u32,
    n: u32,
    trans_a: u32,
    trans_b: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

var<workgroup> a_tile: array<f32, 1024>; // BK × BM, index kk · BM + mm
var<workgroup> b_tile: array<f32, 1024>; // BK × BN, index kk · BN + nn

// op(A)[i, l] and op(B)[l, j], 0 outside the matrices.
fn load_a(i: u32, l: u32) -> f32 {
    if (i >= p.m || l >= p.k) { return 0.0; }
    if (p.trans_a != 0u) { return a[l * p.m + i]; }
    return a[i * p.k + l];
}

fn load_b(l: u32, j: u32) -> f32 {
    if (l >= p.k || j >= p.n) { return 0.0; }
    if (p.trans_b != 0u) { return b[j * p.k + l]; }
    return b[l * p.n + j];
}

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m0 = wid.y * BM;
    let n0 = wid.x * BN;
    let t = lid.y * TS + lid.x;
    var acc: array<f32, 16>;
    for (var r = 0u; r < RB * RB; r++) {
        acc[r] = 0.0;
    }
    for (var k0 = 0u; k0 < p.k; k0 += BK) {
        // Each thread loads 4 elements of each tile; consecutive threads read consecutive
        // addresses of the stored matrix.
        for (var e = t; e < BM * BK; e += TS * TS) {
            var mm: u32;
            var kk: u32;
            if (p.trans_a != 0u) { kk = e / BM; mm = e % BM; } else { mm = e / BK; kk = e % BK; }
            a_tile[kk * BM + mm] = load_a(m0 + mm, k0 + kk);
        }
        for (var e = t; e < BK * BN; e += TS * TS) {
            var nn: u32;
            var kk: u32;
            if (p.trans_b != 0u) { nn = e / BK; kk = e % BK; } else { kk = e / BN; nn = e % BN; }
            b_tile[kk * BN + nn] = load_b(k0 + kk, n0 + nn);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            var ar: array<f32, 4>;
            var br: array<f32, 4>;
            for (var i = 0u; i < RB; i++) {
                ar[i] = a_tile[kk * BM + lid.y + TS * i];
                br[i] = b_tile[kk * BN + lid.x + TS * i];
            }
            for (var i = 0u; i < RB; i++) {
                for (var j = 0u; j < RB; j++) {
                    acc[i * RB + j] = fma(ar[i], br[j], acc[i * RB + j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < RB; i++) {
        let row = m0 + lid.y + TS * i;
        for (var j = 0u; j < RB; j++) {
            let col = n0 + lid.x + TS * j;
            if (row < p.m && col < p.n) {
                c[row * p.n + col] = acc[i * RB + j];
            }
        }
    }
}
