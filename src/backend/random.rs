//! The counter-based random numbers every backend must reproduce bit for bit.
//!
//! Element i of the stream `seed` is a hash of (seed, i) in 32-bit integer arithmetic, so a
//! WGSL shader repeats it exactly, no generator state is carried between calls, and CPU and
//! GPU draw the same dropout masks. The specification:
//!
//! ```text
//! hash32(x)      = lowbias32: x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16
//!                  (multiplications wrap modulo 2³²)
//! key(seed)      = hash32(lo32(seed) ^ hash32(hi32(seed) ^ 0x9e3779b9))
//! bits24(seed,i) = hash32(hash32(i ^ key) + key) >> 8        (+ wraps; i is the element index as u32)
//! uniform(seed,i)= bits24(seed, i) / 2²⁴                     (exact in f32 and f64)
//! dropout: element i is dropped  ⇔  uniform(seed, i) < p  ⇔  bits24(seed, i) < ⌈p·2²⁴⌉
//!          kept elements are 1/(1 − p) rounded to the element type
//! ```
//!
//! Test vectors (computed independently in Python from the formulas above, and checked by the
//! unit test below and by every backend's test suite):
//!
//! | x | hash32(x) |
//! |---|---|
//! | 0 | 0x00000000 |
//! | 1 | 0x688990c0 |
//! | 0xdeadbeef | 0xe628c683 |
//! | 0xffffffff | 0x6768824a |
//!
//! | seed | key | bits24 at i = 0, 1, 2, 1000 |
//! |---|---|---|
//! | 0 | 0xae6f80f1 | 6703280, 14798212, 1579460, 4514132 |
//! | 42 | 0xb7d220dc | 14425943, 7271456, 8944579, 1780835 |
//! | 0x0123456789abcdef | 0xf380be2f | 11068283, 12808674, 4570084, 8881219 |
//!
//! Streams longer than 2³² elements would repeat; the ops check that no tensor is that long.

/// A 32-bit integer finaliser (the "lowbias32" mixer): every input bit affects every output bit.
#[inline(always)]
pub fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// The per-stream key: both halves of the 64-bit seed mixed into 32 bits.
#[inline(always)]
pub fn key(seed: u64) -> u32 {
    hash32(seed as u32 ^ hash32((seed >> 32) as u32 ^ 0x9e37_79b9))
}

/// 24 random bits for element `i` of the stream with key `key`.
#[inline(always)]
pub fn bits24(key: u32, i: u32) -> u32 {
    hash32(hash32(i ^ key).wrapping_add(key)) >> 8
}

/// A uniform number in [0, 1) with 24 random bits, for element `i` of the stream `seed`.
#[inline(always)]
pub fn uniform(seed: u64, i: u32) -> f32 {
    bits24(key(seed), i) as f32 * (1.0 / 16_777_216.0)
}

/// The integer form of "uniform < p": element i is dropped when `bits24 < threshold(p)`.
pub fn dropout_threshold(p: f64) -> u32 {
    // p·2²⁴ is exact in f64; its ceiling is the count of 24-bit values below p·2²⁴.
    (p * 16_777_216.0).ceil().clamp(0.0, 16_777_216.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_vectors() {
        for (x, h) in [(0u32, 0u32), (1, 0x688990c0), (0xdeadbeef, 0xe628c683), (0xffffffff, 0x6768824a)] {
            assert_eq!(hash32(x), h, "hash32({x:#x})");
        }
        for (seed, k, bits) in [
            (0u64, 0xae6f80f1u32, [6703280u32, 14798212, 1579460, 4514132]),
            (42, 0xb7d220dc, [14425943, 7271456, 8944579, 1780835]),
            (0x0123456789abcdef, 0xf380be2f, [11068283, 12808674, 4570084, 8881219]),
        ] {
            assert_eq!(key(seed), k, "key({seed:#x})");
            for (i, b) in [0u32, 1, 2, 1000].into_iter().zip(bits) {
                assert_eq!(bits24(k, i), b, "bits24(seed {seed:#x}, {i})");
            }
        }
    }

    #[test]
    fn threshold_matches_the_float_comparison() {
        for p in [0.0, 1e-9, 0.1, 0.3, 0.5, 0.999_999_99, 2.0f64.powi(-24), 3.0 * 2.0f64.powi(-24)] {
            let t = dropout_threshold(p);
            for r in [0u32, 1, 2, 3, t.saturating_sub(1), t, t + 1, (1 << 24) - 1] {
                let by_float = ((r as f32 * (1.0 / 16_777_216.0)) as f64) < p;
                assert_eq!(r < t, by_float, "p = {p}, bits = {r}");
            }
        }
    }
}
