//! The 8 symmetries of a square (the dihedral group D4): rotations by 0°, 90°, 180°, 270°,
//! each with or without a mirror. The statistics of a periodic map are invariant under them,
//! so each is a free extra training sample.

use ndarray::{Array2, ArrayView2};

/// One of the 8 transforms: bit 0 transposes, bit 1 reverses the rows, bit 2 the columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dihedral(u8);

impl Dihedral {
    pub const IDENTITY: Dihedral = Dihedral(0);

    /// All eight.
    pub fn all() -> [Dihedral; 8] {
        std::array::from_fn(|i| Dihedral(i as u8))
    }

    /// The i-th transform, i mod 8.
    pub fn from_index(i: u64) -> Self {
        Dihedral((i % 8) as u8)
    }

    /// Where output pixel (y, x) of an n×n map is read from.
    #[inline]
    pub fn source(self, n: usize, y: usize, x: usize) -> (usize, usize) {
        let y = if self.0 & 2 != 0 { n - 1 - y } else { y };
        let x = if self.0 & 4 != 0 { n - 1 - x } else { x };
        if self.0 & 1 != 0 {
            (x, y)
        } else {
            (y, x)
        }
    }

    /// The transformed copy of a square map.
    pub fn apply<T: Copy>(self, src: ArrayView2<T>) -> Array2<T> {
        let n = src.nrows();
        Array2::from_shape_fn((n, n), |(y, x)| src[self.source(n, y, x)])
    }

    /// Transforms a square row-major map in place of a copy into `out`.
    pub fn apply_into<T: Copy>(self, n: usize, src: &[T], out: &mut [T]) {
        if self == Self::IDENTITY {
            out.copy_from_slice(src);
            return;
        }
        for y in 0..n {
            for x in 0..n {
                let (sy, sx) = self.source(n, y, x);
                out[y * n + x] = src[sy * n + sx];
            }
        }
    }
}
