//! A `.npy` file of maps, memory-mapped: opening it reads only the header, and each map read
//! touches only its own pages, so a 3.9 GB CMD file costs what a batch costs.

use crate::error::{Error, Result};
use memmap2::Mmap;
#[cfg(unix)]
use memmap2::UncheckedAdvice;
use ndarray::{ArrayView2, ArrayView3, Axis};
use ndarray_npy::{ViewNpyError, ViewNpyExt};
use std::fs::File;
use std::path::{Path, PathBuf};

/// A (maps, S, S) array of little-endian f32 (`<f4`), C order.
pub struct MappedMaps {
    path: PathBuf,
    mmap: Mmap,
    shape: (usize, usize, usize),
}

fn explain(path: &Path, e: ViewNpyError) -> Error {
    let why = match &e {
        ViewNpyError::WrongDescriptor(d) => format!("holds {d}, expected little-endian float32 ('<f4', as CMD files)"),
        ViewNpyError::NonNativeEndian => "holds big-endian floats; expected '<f4' (numpy: a.astype('<f4'))".into(),
        ViewNpyError::WrongNdim(_, got) => format!("has {got} dimensions, expected 3 (maps, height, width)"),
        ViewNpyError::MissingBytes(n) => format!("is truncated: {n} bytes of map data are missing (an interrupted download?)"),
        ViewNpyError::ExtraBytes(n) => format!("has {n} bytes beyond the array its header describes"),
        _ => format!("is not a readable .npy array: {e}"),
    };
    Error::Other(format!("{}: {why}", path.display()))
}

impl MappedMaps {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        // SAFETY: the map is read-only; a file changed by another process while mapped could
        // show torn values, which the finite-value check of each batch would catch.
        let mmap = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(format!("memory-mapping {}", path.display()), e))?;
        let view = ArrayView3::<f32>::view_npy(&mmap).map_err(|e| explain(path, e))?;
        if !view.is_standard_layout() {
            return Err(Error::Other(format!(
                "{}: Fortran-ordered arrays are not supported; save it with numpy.ascontiguousarray",
                path.display()
            )));
        }
        let shape = view.dim();
        if shape.1 != shape.2 || shape.1 < 2 {
            return Err(Error::Other(format!(
                "{}: maps of {}×{} pixels; expected square maps",
                path.display(),
                shape.1,
                shape.2
            )));
        }
        Ok(MappedMaps {
            path: path.to_path_buf(),
            mmap,
            shape,
        })
    }

    /// All maps, without copying.
    pub fn view(&self) -> ArrayView3<'_, f32> {
        ArrayView3::<f32>::view_npy(&self.mmap).expect("checked when the file was opened")
    }

    /// Map i, without copying.
    pub fn map(&self, i: usize) -> ArrayView2<'_, f32> {
        self.view().index_axis_move(Axis(0), i)
    }

    /// Tells the kernel that the mapped pages are no longer needed by this process, once a
    /// batch has been copied out: file-backed pages would otherwise stay in the resident set
    /// until memory runs short, and an epoch over a 3.9 GB file would *look* like 3.9 GB of
    /// memory. The whole mapping is released (not map by map: the page cache maps large folios
    /// that straddle neighbouring maps). The data stay in the page cache; reading a map again
    /// faults its pages back in.
    pub fn release(&self) {
        #[cfg(unix)]
        {
            // SAFETY: a read-only, shared mapping of a file: MADV_DONTNEED only drops this
            // process's page-table entries, and later reads (also by other threads) see the
            // file's contents again. Advice failures change nothing and are ignored.
            let _ = unsafe { self.mmap.unchecked_advise(UncheckedAdvice::DontNeed) };
        }
    }

    pub fn len(&self) -> usize {
        self.shape.0
    }

    pub fn is_empty(&self) -> bool {
        self.shape.0 == 0
    }

    /// Pixels a side.
    pub fn size(&self) -> usize {
        self.shape.1
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
