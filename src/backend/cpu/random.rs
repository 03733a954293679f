//! Counter-based random numbers: element i's draw is a hash of (seed, i), in 32-bit integer
//! arithmetic that a WGSL shader can repeat, so CPU and GPU draw the same masks bit for bit
//! and no state has to be carried between calls.

use super::Element;

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

/// A uniform number in [0, 1) with 24 random bits, for element `i` of the stream `seed`.
#[inline(always)]
pub fn uniform(seed: u64, i: u32) -> f32 {
    let key = hash32(seed as u32 ^ hash32((seed >> 32) as u32 ^ 0x9e37_79b9));
    let r = hash32(hash32(i ^ key).wrapping_add(key));
    (r >> 8) as f32 * (1.0 / 16_777_216.0)
}

pub(crate) fn dropout_mask<E: Element>(len: usize, p: f64, seed: u64) -> Vec<E> {
    let keep = E::of(1.0 / (1.0 - p));
    (0..len)
        .map(|i| if (uniform(seed, i as u32) as f64) < p { E::zero() } else { keep })
        .collect()
}
