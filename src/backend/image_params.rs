//! Plain-data geometry of the image kernels (convolution, pooling, upsampling, batch norm),
//! shared by every backend. The ops compute every derived size once (output extent, padding
//! split) so that a kernel only reads fields.

/// One 2-D convolution, NCHW: input [n, c_in, h, w], weight [c_out, c_in, kh, kw], output
/// [n, c_out, h_out, w_out]. Output pixel (oy, ox) reads input row oy·stride − pad_top + ki
/// and column ox·stride − pad_left + kj; outside the image that is 0, or with `circular` the
/// index wrapped modulo h (w). `pad_bottom`/`pad_right` only enter through `h_out`/`w_out`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dGeom {
    pub n: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub pad_top: usize,
    pub pad_bottom: usize,
    pub pad_left: usize,
    pub pad_right: usize,
    pub circular: bool,
    pub h_out: usize,
    pub w_out: usize,
}

impl Conv2dGeom {
    /// Rows of the im2col matrix: one per weight of an output channel (c_in·kh·kw).
    pub fn patch(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// Output pixels per channel and sample.
    pub fn out_plane(&self) -> usize {
        self.h_out * self.w_out
    }
    pub fn in_len(&self) -> usize {
        self.n * self.c_in * self.h * self.w
    }
    pub fn out_len(&self) -> usize {
        self.n * self.c_out * self.out_plane()
    }
    pub fn weight_len(&self) -> usize {
        self.c_out * self.patch()
    }
    /// Multiply-adds of one forward pass (each backward pass costs as many).
    pub fn macs(&self) -> usize {
        self.out_len() * self.patch()
    }
}

/// A pooling window slid over each plane of [n, c, h, w] without padding; windows that do not
/// fit are dropped (h_out = (h − kh)/stride + 1, PyTorch's floor mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dGeom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub h_out: usize,
    pub w_out: usize,
}

impl Pool2dGeom {
    pub fn planes(&self) -> usize {
        self.n * self.c
    }
    pub fn in_len(&self) -> usize {
        self.planes() * self.h * self.w
    }
    pub fn out_len(&self) -> usize {
        self.planes() * self.h_out * self.w_out
    }
}

/// Nearest-neighbour upsampling of [n, c, h, w] by an integer factor: output pixel (oy, ox)
/// copies input (oy / factor, ox / factor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpsampleGeom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub factor: usize,
}

impl UpsampleGeom {
    pub fn planes(&self) -> usize {
        self.n * self.c
    }
    pub fn in_len(&self) -> usize {
        self.planes() * self.h * self.w
    }
    pub fn out_len(&self) -> usize {
        self.in_len() * self.factor * self.factor
    }
}

/// Batch normalisation of x viewed as [n, c, plane]: statistics per channel c over the
/// n·plane values (plane = h·w for [N, C, H, W], 1 for [N, F]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormDims {
    pub n: usize,
    pub c: usize,
    pub plane: usize,
    pub eps: f64,
}

impl BatchNormDims {
    /// How many values each channel's statistics average over (M in the notes).
    pub fn count(&self) -> usize {
        self.n * self.plane
    }
    pub fn len(&self) -> usize {
        self.n * self.c * self.plane
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Group normalisation of x viewed as [n, c, plane]: the c channels fall into `groups` groups
/// of c/groups consecutive channels, and the statistics are per (sample, group), over the
/// M = (c/groups)·plane values — contiguous in NCHW memory. γ and β stay per channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupNormDims {
    pub n: usize,
    pub c: usize,
    pub groups: usize,
    pub plane: usize,
    pub eps: f64,
}

impl GroupNormDims {
    pub fn channels_per_group(&self) -> usize {
        self.c / self.groups
    }
    /// How many values each (sample, group) statistic averages over (M in the notes).
    pub fn count(&self) -> usize {
        self.channels_per_group() * self.plane
    }
    /// Number of (sample, group) statistics: the length of the saved mean and inv_std.
    pub fn stats_len(&self) -> usize {
        self.n * self.groups
    }
    pub fn len(&self) -> usize {
        self.n * self.c * self.plane
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The (sample, group) statistic that plane p = sample·c + channel belongs to.
    #[inline]
    pub fn group_of_plane(&self, p: usize) -> usize {
        (p / self.c) * self.groups + (p % self.c) / self.channels_per_group()
    }
}
