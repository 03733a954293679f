//! Criterion benches of the image kernels at the MDN-CNN's shapes (batch 32, f32), with
//! matrixmultiply's sgemm on each conv's GEMM shape in the same run (throughput in FLOP/s).
//!
//!   cargo bench --bench image_kernels -- --quick
//!
//! Results and the PyTorch comparison: notes/benchmarks.md ("Image kernels").

#[path = "shared/image_shapes.rs"]
mod image_shapes;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use image_shapes::{conv_layers, MapKernels, SquareGemm};
use std::time::Duration;

fn convs(c: &mut Criterion) {
    // As `mdn_cnn_step --retain`: reuse freed memory, so that the 128 MiB outputs are not
    // page-faulted in afresh on every iteration (notes/benchmarks.md measures both).
    cosmograd::backend::cpu::memory::retain_freed_memory();
    for mut layer in conv_layers() {
        let mut group = c.benchmark_group(format!("image/{}", layer.tag));
        group.sample_size(10).measurement_time(Duration::from_secs(3));
        group.throughput(Throughput::Elements(layer.flops() as u64));
        group.bench_function("forward", |b| b.iter(|| layer.forward()));
        group.bench_function("backward_input", |b| b.iter(|| layer.backward_input()));
        group.bench_function("backward_weight", |b| b.iter(|| layer.backward_weight()));
        group.bench_function("sgemm_same_shape", |b| b.iter(|| layer.sgemm_same_shape()));
        group.finish();
    }
}

fn peak(c: &mut Criterion) {
    let mut sq = SquareGemm::new(2048);
    let mut group = c.benchmark_group("image/sgemm");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(sq.flops() as u64));
    group.bench_function("square_2048", |b| b.iter(|| sq.run()));
    group.finish();
}

fn maps(c: &mut Criterion) {
    let k = MapKernels::new();
    let mut group = c.benchmark_group("image/maps_32x16x256x256");
    group.sample_size(10).measurement_time(Duration::from_secs(3));
    group.bench_function("batchnorm_forward", |b| b.iter(|| k.batchnorm_forward()));
    group.bench_function("batchnorm_backward", |b| b.iter(|| k.batchnorm_backward()));
    group.bench_function("maxpool_forward", |b| b.iter(|| k.maxpool_forward()));
    group.bench_function("maxpool_backward", |b| b.iter(|| k.maxpool_backward()));
    group.finish();
}

criterion_group!(benches, convs, peak, maps);
criterion_main!(benches);
