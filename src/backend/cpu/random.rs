//! The dropout mask of the counter-based generator specified in `backend/random.rs`.

use super::Element;
use crate::backend::random::{bits24, dropout_threshold, key};

pub(crate) fn dropout_mask<E: Element>(len: usize, p: f64, seed: u64) -> Vec<E> {
    let keep = E::of(1.0 / (1.0 - p));
    let (k, t) = (key(seed), dropout_threshold(p));
    (0..len).map(|i| if bits24(k, i as u32) < t { E::zero() } else { keep }).collect()
}
