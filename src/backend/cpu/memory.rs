//! Keeping freed memory for reuse.
//!
//! Every op returns a fresh tensor. glibc serves allocations above 32 MiB with a new `mmap`
//! and returns them to the kernel on free, so each large tensor of a training step (a batch
//! of 32 maps of 16×256×256 f32 is 128 MiB) is page-faulted in afresh: on a 2-core VM that was
//! about a third of an MDN-CNN step (notes/benchmarks.md). `retain_freed_memory` tells glibc
//! to serve every allocation from its heap and never trim it, so from the second step on the
//! same pages are reused. A process-wide setting, so binaries call it, never the library.

/// Makes glibc's malloc keep freed memory for reuse (no `mmap` per allocation, no trimming).
/// Returns whether the setting took effect (false on other C libraries and systems).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn retain_freed_memory() -> bool {
    extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    // <malloc.h>: M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4.
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_MAX: i32 = -4;
    // SAFETY: mallopt only changes allocator parameters; it is thread-safe in glibc.
    unsafe { mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, i32::MAX) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn retain_freed_memory() -> bool {
    false
}
