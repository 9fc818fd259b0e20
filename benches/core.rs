//! Criterion benches of the core: forward+backward by network size, and training steps of
//! DESIGN.md's reference network (2-8-8-1 tanh, MSE, 500 spiral points) while recording every
//! step's parameters — the workload `scripts/bench_train_vs_torch.py` compares with PyTorch.

use losscape::core::aligned::AlignedVec;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use losscape::core::{
    Activation, CoreError, CsvSource, DataSpec, GeneratorKind, GeneratorSpec, LayerSpec, Loss, NetworkSpec, Objective, ObjectiveSpec,
    OptimizerConfig, RunSpec, Session, Sgd, Table, Workspace,
};

fn network(widths: &[usize], n: usize) -> Objective {
    let layers = widths[1..]
        .iter()
        .enumerate()
        .map(|(i, &u)| LayerSpec::new(u, if i + 2 == widths.len() { Activation::Linear } else { Activation::Tanh }))
        .collect();
    let spec = NetworkSpec::new(widths[0], layers, Loss::Mse, DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Spiral, n, 0.1, 1)));
    let no_csv = |_: &CsvSource| -> Result<Table, CoreError> { unreachable!() };
    ObjectiveSpec::Network(spec).build(&no_csv).expect("valid bench network")
}

fn forward_backward(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward_backward_500");
    for widths in [&[2usize, 8, 1][..], &[2, 8, 8, 1], &[2, 32, 32, 1]] {
        let o = network(widths, 500);
        let theta = o.start().to_vec();
        let mut g = vec![0.0; o.dim()];
        let mut ws = Workspace::default();
        let name = widths.iter().map(usize::to_string).collect::<Vec<_>>().join("-");
        group.bench_function(name, |b| b.iter(|| black_box(o.loss_and_grad(black_box(&theta), &mut g, &mut ws))));
    }
    group.finish();
}

/// Forward+backward of 2-W-W-1 tanh nets on 5000 spiral points, one thread (the batch's
/// chunks one after another): the wide layers' register tiles (issue "wide networks"), beside
/// `scripts/bench_width_sweep.py`, which compares the same sizes with PyTorch.
fn forward_backward_by_width(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward_backward_5000_by_width");
    group.sample_size(10);
    for width in [8usize, 16, 32, 64, 128] {
        let o = network(&[2, width, width, 1], 5000);
        let theta = o.start().to_vec();
        let mut g = vec![0.0; o.dim()];
        let mut ws = Workspace::default();
        group.bench_function(format!("2-{width}-{width}-1"), |b| b.iter(|| black_box(o.loss_and_grad(black_box(&theta), &mut g, &mut ws))));
    }
    group.finish();
}

fn training(c: &mut Criterion) {
    let o = Arc::new(network(&[2, 8, 8, 1], 500));
    let run = RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, momentum: 0.9, ..Sgd::default() }));
    let mut group = c.benchmark_group("train_reference_2-8-8-1_500");
    group.sample_size(20);
    group.bench_function("1000 steps, every θ recorded", |b| {
        b.iter(|| {
            let mut s = Session::new(o.clone(), std::slice::from_ref(&run)).expect("valid run");
            s.run(1000);
            black_box(s.runs[0].trajectory.len())
        });
    });
    // What `losscape train` does: the batch's two chunks (network::CHUNK) on rayon's threads.
    group.bench_function("1000 steps, every θ recorded, on rayon's pool", |b| {
        b.iter(|| {
            let mut s = Session::new(o.clone(), std::slice::from_ref(&run)).expect("valid run");
            s.run_on_pool(1000);
            black_box(s.runs[0].trajectory.len())
        });
    });
    group.finish();
}

fn kernels(c: &mut Criterion) {
    use losscape::core::kernels::{axpy, linear};
    let (fan_in, units, n) = (8, 8, 500);
    let input: Vec<f64> = (0..fan_in * n).map(|k| (k % 17) as f64 * 0.1).collect();
    let w: Vec<f64> = (0..fan_in * units).map(|k| (k % 5) as f64 * 0.2 - 0.4).collect();
    let b = vec![0.1; units];
    let mut out = vec![0.0; units * n];
    let mut group = c.benchmark_group("dense_8x8_500");
    group.bench_function("blocked linear", |bch| bch.iter(|| linear(black_box(&w), &b, black_box(&input), fan_in, units, n, &mut out)));
    group.bench_function("axpy sequence", |bch| {
        bch.iter(|| {
            for u in 0..units {
                let row = &mut out[u * n..(u + 1) * n];
                row.fill(b[u]);
                for i in 0..fan_in {
                    axpy(black_box(w[u * fan_in + i]), &input[i * n..(i + 1) * n], row);
                }
            }
        });
    });
    let mut v: Vec<f64> = (0..4000).map(|k| (k as f64 - 2000.0) * 1e-3).collect();
    group.bench_function("tanh 4000", |bch| bch.iter(|| losscape::core::kernels::tanh_in_place(black_box(&mut v))));
    group.finish();
}

/// `len` values in [−0.5, 0.5): `(k · stride mod modulus) / 1000 − 0.5`, a fixed spread of
/// inputs and weights for the kernels' benches, starting on a 64-byte boundary as training's and
/// the grid's buffers do (in a plain `Vec`, three in four AVX-512 loads straddle two cache lines
/// and the weight gradients measured 35 instead of 48 Gflop/s).
fn spread(len: usize, stride: usize, modulus: usize) -> AlignedVec {
    let mut v = AlignedVec::from_elem(0.0, len);
    for (k, v) in v.iter_mut().enumerate() {
        *v = ((k * stride) % modulus) as f64 * 1e-3 - 0.5;
    }
    v
}

/// The dense layer alone in the grid's shape (one block of 128 samples, `W` units from `W`
/// inputs), in flops per second: 2·W²·128 per call. Measures the register tiles against the
/// machine's peak (`examples/fma_peak.rs`) without the activations around them.
fn dense_by_width(c: &mut Criterion) {
    use losscape::core::kernels::linear;
    let mut group = c.benchmark_group("dense_block128_by_width");
    for width in [32usize, 64, 128] {
        let n = 128;
        let input = spread(width * n, 7919, 1000);
        let w = spread(width * width, 104_729, 997);
        let b = vec![0.1; width];
        let mut out = AlignedVec::from_elem(0.0, width * n);
        group.throughput(criterion::Throughput::Elements((2 * width * width * n) as u64));
        group.bench_function(format!("{width}x{width}"), |bch| {
            bch.iter(|| linear(black_box(&w), &b, black_box(&input), width, width, n, &mut out));
        });
    }
    group.finish();
}

/// Training's three products on one chunk of 256 samples (`W` units from `W` inputs), in
/// flops per second (2·W²·256 each): the forward layer, the backward `Wᵀ·dz` and the weight
/// gradients `dz·xᵀ`, which a step of a wide network spends most of its time in.
fn training_products_by_width(c: &mut Criterion) {
    use losscape::core::kernels::{linear, linear_gradients, linear_transposed};
    let mut group = c.benchmark_group("training_products_chunk256_by_width");
    for width in [32usize, 64, 128] {
        let n = 256;
        let input = spread(width * n, 7919, 1000);
        let dz = spread(width * n, 3571, 1000);
        let w = spread(width * width, 104_729, 997);
        let b = vec![0.1; width];
        let (mut out, mut gw, mut gb) = (AlignedVec::from_elem(0.0, width * n), vec![0.0; width * width], vec![0.0; width]);
        group.throughput(criterion::Throughput::Elements((2 * width * width * n) as u64));
        group.bench_function(format!("forward {width}x{width}"), |bch| {
            bch.iter(|| linear(black_box(&w), &b, black_box(&input), width, width, n, &mut out));
        });
        group.bench_function(format!("backward {width}x{width}"), |bch| {
            bch.iter(|| linear_transposed(black_box(&w), black_box(&dz), width, n, &mut out));
        });
        group.bench_function(format!("weight gradients {width}x{width}"), |bch| {
            bch.iter(|| linear_gradients(black_box(&dz), black_box(&input), width, width, n, &mut gw, &mut gb));
        });
    }
    group.finish();
}

criterion_group!(benches, forward_backward, forward_backward_by_width, training, kernels, dense_by_width, training_products_by_width);
criterion_main!(benches);
