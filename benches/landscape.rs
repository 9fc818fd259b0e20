//! Criterion benches of the landscape: DESIGN.md's reference workload (a 2-8-8-1 tanh MLP,
//! MSE, 500 spiral points, a random filter-normalised slice) at 64², 128² and 256², the same
//! 64² grid through the generic per-vertex path (`Objective::loss` at every vertex) to show
//! what the kernel buys, 16² grids of 2-W-W-1 nets on 5000 points by width W, and the Hessian
//! and PCA directions.
//!
//! `cargo bench --no-default-features --bench landscape`; `scripts/bench_grid_vs_numpy.py`
//! times the 256² grid against NumPy in one run.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use losscape::core::landscape::{Directions, GridSpec, Plane, Progress, build_plane, compute_grid};
use losscape::core::{
    Activation, CoreError, CsvSource, DataSpec, GeneratorKind, GeneratorSpec, LayerSpec, Loss, NetworkSpec, Objective, ObjectiveSpec,
    OptimizerConfig, RunSpec, Session, Sgd, Table, Workspace,
};

/// The reference network on `n` spiral points.
fn reference(n: usize) -> Objective {
    two_hidden(8, n)
}

/// A 2-W-W-1 tanh MLP (MSE) on `n` spiral points.
fn two_hidden(width: usize, n: usize) -> Objective {
    let layers =
        vec![LayerSpec::new(width, Activation::Tanh), LayerSpec::new(width, Activation::Tanh), LayerSpec::new(1, Activation::Linear)];
    let spec = NetworkSpec::new(2, layers, Loss::Mse, DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Spiral, n, 0.1, 1)));
    let no_csv = |_: &CsvSource| -> Result<Table, CoreError> { unreachable!() };
    ObjectiveSpec::Network(spec).build(&no_csv).expect("valid bench network")
}

fn random_plane(o: &Objective) -> Plane {
    build_plane(o, o.start(), &Directions::Random { seed: 0, include_bias: false }, None).expect("random plane")
}

fn grids(c: &mut Criterion) {
    let o = reference(500);
    let plane = random_plane(&o);
    let mut group = c.benchmark_group("grid_reference_2-8-8-1_500_random");
    group.sample_size(10);
    for res in [64, 128, 256] {
        let spec = GridSpec { res, span: 1.0 };
        group.bench_function(format!("{res}x{res}"), |b| b.iter(|| black_box(compute_grid(&o, &plane, &spec, &Progress::default()))));
    }
    // The same 64² grid vertex by vertex through Objective::loss, on one thread per row.
    group.bench_function("64x64 generic Objective::loss", |b| {
        b.iter(|| {
            use rayon::prelude::*;
            let axis = GridSpec { res: 64, span: 1.0 }.axis();
            let loss: Vec<f64> = axis
                .par_iter()
                .flat_map_iter(|&bv| {
                    let mut theta = vec![0.0; o.dim()];
                    let mut ws = Workspace::default();
                    axis.iter()
                        .map(|&av| {
                            plane.point(av, bv, &mut theta);
                            o.loss(&theta, &mut ws)
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            black_box(loss)
        });
    });
    group.finish();
}

/// 16² grids of 2-W-W-1 tanh nets on 5000 spiral points (a random slice), by width: the wide
/// layers' register tiles (issue "wide networks"); `scripts/bench_width_sweep.py` compares the
/// same sizes with PyTorch at 64².
fn grids_by_width(c: &mut Criterion) {
    let mut group = c.benchmark_group("grid_16x16_5000_by_width");
    group.sample_size(10);
    let spec = GridSpec { res: 16, span: 1.0 };
    for width in [8usize, 16, 32, 64, 128] {
        let o = two_hidden(width, 5000);
        let plane = random_plane(&o);
        group.bench_function(format!("2-{width}-{width}-1"), |b| {
            b.iter(|| black_box(compute_grid(&o, &plane, &spec, &Progress::default())));
        });
    }
    group.finish();
}

fn directions(c: &mut Criterion) {
    let o = Arc::new(reference(500));
    let run = RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, momentum: 0.9, ..Sgd::default() }));
    let mut s = Session::new(o.clone(), std::slice::from_ref(&run)).expect("valid run");
    s.run(500);
    let path = &s.runs[0].trajectory;
    let end = s.runs[0].theta.clone();
    let mut group = c.benchmark_group("directions_reference_2-8-8-1_500");
    group.sample_size(10);
    group.bench_function("random", |b| b.iter(|| black_box(random_plane(&o))));
    group.bench_function("pca of 501 steps", |b| b.iter(|| black_box(build_plane(&o, &end, &Directions::Pca, Some(path)))));
    group.bench_function("hessian at the end", |b| b.iter(|| black_box(build_plane(&o, &end, &Directions::Hessian, None))));
    group.finish();
}

criterion_group!(benches, grids, grids_by_width, directions);
criterion_main!(benches);
