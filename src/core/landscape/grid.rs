//! The loss on a res × res grid over a plane (or res points along a curve), computed in
//! parallel over rows with progress and cancellation, so a caller can run it off the frame and
//! drop a stale one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::super::error::CoreError;
use super::super::objective::Objective;
use super::super::pool::Pool;
use super::kernel::PlaneLoss;
use super::plane::{DEFAULT_SPAN, Plane};

/// Fewest vertices per side.
pub const MIN_RES: usize = 2;
/// Most vertices per side (a 4096² grid is 16.8 M losses and 134 MB).
pub const MAX_RES: usize = 4096;

/// The grid's size: `res` vertices per side, $a, b \in [-\text{span}, \text{span}]$ around the
/// centre.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridSpec {
    /// Vertices per side, [`MIN_RES`]..=[`MAX_RES`].
    pub res: usize,
    /// Half-width, > 0, in units of the directions (parameter units for `axes`).
    pub span: f64,
}

impl GridSpec {
    /// Checks the ranges, with messages that name the CLI flags.
    pub fn validate(&self) -> Result<(), CoreError> {
        if !(MIN_RES..=MAX_RES).contains(&self.res) {
            return Err(CoreError::invalid("surface.res", format!("must be between {MIN_RES} and {MAX_RES}, got {}", self.res)));
        }
        if !(self.span > 0.0 && self.span.is_finite()) {
            return Err(CoreError::invalid("surface.span", format!("must be a finite number > 0, got {}", self.span)));
        }
        Ok(())
    }

    /// The coordinates along one side: $v_i = \text{span}\,(2i - (res - 1))/(res - 1)$, from
    /// −span to +span, symmetric, with an exact 0 in the middle when res is odd.
    pub fn axis(&self) -> Vec<f64> {
        let m = (self.res.max(2) - 1) as f64;
        (0..self.res).map(|i| self.span * (2.0 * i as f64 - m) / m).collect()
    }
}

/// The loss at the vertices of a grid.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Grid {
    /// Vertices per side.
    pub res: usize,
    /// Offsets along $d_1$ from the centre (length res).
    pub a: Vec<f64>,
    /// Offsets along $d_2$ (length res); empty for a curve.
    pub b: Vec<f64>,
    /// `loss[j * res + i]` at $\theta(a_i, b_j)$ (res² values); a curve has res values,
    /// `loss[i]` at $\theta(a_i)$. Non-finite where the loss diverges.
    pub loss: Vec<f64>,
}

impl Grid {
    /// Whether this is a curve (1-parameter objective).
    pub fn is_curve(&self) -> bool {
        self.b.is_empty()
    }

    /// The loss at (a_i, b_j) (j ignored for a curve).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        if self.is_curve() { self.loss[i] } else { self.loss[j * self.res + i] }
    }

    /// (min, max) of the finite losses, `None` if there are none.
    pub fn finite_range(&self) -> Option<(f64, f64)> {
        self.loss.iter().filter(|v| v.is_finite()).fold(None, |r, &v| match r {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
    }
}

/// Progress of a grid in flight, shared with whoever waits for it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows finished so far (out of res; a curve counts its points).
    pub rows_done: AtomicUsize,
    /// Set to stop the computation: checked before each row, so a cancelled grid stops within
    /// one row per thread.
    pub cancel: AtomicBool,
}

impl Progress {
    /// Asks the computation to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Rows finished so far.
    pub fn rows_done(&self) -> usize {
        self.rows_done.load(Ordering::Relaxed)
    }
}

/// The training loss ([`Objective::loss`]: full training set, penalty included) at every vertex
/// of the grid, rows spread over rayon's threads; `None` if `progress.cancel` was set.
///
/// Blocks the calling thread: call it from a worker to keep a frame free. A spec out of range
/// is clamped (res into [`MIN_RES`]..=[`MAX_RES`], a span that is not a finite positive number
/// becomes [`DEFAULT_SPAN`]); validate user input with [`GridSpec::validate`] first. For a
/// network the values come from the fast kernel ([`PlaneLoss`]), which agrees with
/// `Objective::loss` to ~1e-13 relative.
pub fn compute_grid(objective: &Objective, plane: &Plane, spec: &GridSpec, progress: &Progress) -> Option<Grid> {
    let mut grid = empty_grid(plane, spec);
    let rows = grid.rows();
    fill_rows(objective, plane, &mut grid, 0..rows, progress);
    (!progress.is_cancelled()).then_some(grid)
}

/// The grid of `spec` over `plane` with its axes set and every loss still 0, to be filled by
/// [`fill_rows`] (all at once, or a few rows per frame where there is one thread: the web page).
pub fn empty_grid(plane: &Plane, spec: &GridSpec) -> Grid {
    let res = spec.res.clamp(MIN_RES, MAX_RES);
    let span = if spec.span > 0.0 && spec.span.is_finite() { spec.span } else { DEFAULT_SPAN };
    let axis = GridSpec { res, span }.axis();
    if plane.is_curve() {
        Grid { res, a: axis, b: Vec::new(), loss: vec![0.0; res] }
    } else {
        Grid { res, a: axis.clone(), b: axis, loss: vec![0.0; res * res] }
    }
}

impl Grid {
    /// Rows to compute: res for a surface; a curve's res points count as rows.
    pub fn rows(&self) -> usize {
        self.res
    }
}

/// Computes the losses of `rows` (row j is b = b_j; for a curve, point j), spread over rayon's
/// threads, each row checking `progress.cancel` first and counting itself in
/// `progress.rows_done`. Each vertex's value does not depend on how rows are batched.
pub fn fill_rows(objective: &Objective, plane: &Plane, grid: &mut Grid, rows: std::ops::Range<usize>, progress: &Progress) {
    let eval = PlaneLoss::new(objective, plane);
    // Per-thread buffers, lent row by row: rayon's `for_each_init` made new ones (5 MB for
    // 2-64-64-1 on 5000 points) for every piece it split the rows into.
    let scratches = Pool::default();
    let one_row = |b: f64, a: &[f64], out: &mut [f64]| {
        if !progress.cancel.load(Ordering::Relaxed) {
            scratches.lend_with(|| eval.scratch(), |s| eval.row(b, a, s, out));
            progress.rows_done.fetch_add(1, Ordering::Relaxed);
        }
    };
    let res = grid.res;
    if grid.is_curve() {
        let (a, loss) = (&grid.a, &mut grid.loss);
        loss[rows.clone()].par_iter_mut().zip(&a[rows]).for_each(|(out, &a)| one_row(0.0, &[a], std::slice::from_mut(out)));
        return;
    }
    let (a, b, loss) = (&grid.a, &grid.b, &mut grid.loss);
    loss[rows.start * res..rows.end * res].par_chunks_mut(res).zip(&b[rows]).for_each(|(row, &b)| one_row(b, a, row));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::landscape::testing::{HOURS, function, hours_studied, network, reference, spiral};
    use crate::core::landscape::{Directions, build_plane};
    use crate::core::{Activation, DataSpec, GeneratorKind, GeneratorSpec, LayerSpec, Loss, Penalty, Table, Workspace};
    use approx::assert_relative_eq;

    /// Every vertex of the kernel's grid against `Objective::loss` at the same θ.
    fn assert_grid_matches_loss(objective: &Objective, dirs: &Directions, spec: GridSpec, max_relative: f64) {
        let plane = build_plane(objective, objective.start(), dirs, None).unwrap();
        let grid = compute_grid(objective, &plane, &spec, &Progress::default()).unwrap();
        let mut theta = vec![0.0; objective.dim()];
        let mut ws = Workspace::default();
        for (j, &b) in grid.b.iter().enumerate() {
            for (i, &a) in grid.a.iter().enumerate() {
                plane.point(a, b, &mut theta);
                let want = objective.loss(&theta, &mut ws);
                assert_relative_eq!(grid.at(i, j), want, max_relative = max_relative, epsilon = 1e-300);
            }
        }
    }

    fn random() -> Directions {
        Directions::Random { seed: 4, include_bias: true }
    }

    #[test]
    fn the_kernel_agrees_with_the_training_loss() {
        // The reference workload, with a sample count that leaves a partial block.
        assert_grid_matches_loss(&reference(300), &random(), GridSpec { res: 41, span: 1.5 }, 1e-9);
        // Large span: the first layer saturates, the chain falls back where |z| is too big.
        assert_grid_matches_loss(&reference(150), &random(), GridSpec { res: 40, span: 400.0 }, 1e-9);
        let xor = || DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 90, 0.1, 2));
        let cases: Vec<(Vec<LayerSpec>, Loss, DataSpec, Option<Penalty>)> = vec![
            (vec![LayerSpec::new(5, Activation::Sigmoid), LayerSpec::new(1, Activation::Sigmoid)], Loss::LogLoss, xor(), None),
            (
                vec![LayerSpec::new(6, Activation::Relu), LayerSpec::new(3, Activation::LeakyRelu), LayerSpec::new(2, Activation::Softmax)],
                Loss::CrossEntropy,
                xor(),
                Some(Penalty::L2(0.01)),
            ),
            (vec![LayerSpec::new(3, Activation::Tanh), LayerSpec::new(1, Activation::Tanh)], Loss::Hinge, xor(), Some(Penalty::L1(0.02))),
            (vec![LayerSpec::new(12, Activation::Sigmoid), LayerSpec::new(1, Activation::Linear)], Loss::Mae, spiral(200), None),
            (vec![LayerSpec::new(1, Activation::Tanh)], Loss::Huber, spiral(64), None),
            (
                vec![LayerSpec::new(16, Activation::Tanh), LayerSpec::new(10, Activation::Relu), LayerSpec::new(1, Activation::Linear)],
                Loss::Mse,
                spiral(257),
                None,
            ),
        ];
        for (layers, loss, data, penalty) in cases {
            let o = network(2, layers, loss, data, penalty);
            assert_grid_matches_loss(&o, &random(), GridSpec { res: 17, span: 2.0 }, 1e-9);
            assert_grid_matches_loss(&o, &Directions::Axes { i: 0, j: o.dim() - 1 }, GridSpec { res: 9, span: 3.0 }, 1e-9);
        }
        // Batch norm: one block holds the whole batch.
        let mut bn = LayerSpec::new(4, Activation::Tanh);
        bn.batch_norm = true;
        let o = network(2, vec![bn, LayerSpec::new(1, Activation::Linear)], Loss::Mse, spiral(150), Some(Penalty::L2(0.1)));
        assert_grid_matches_loss(&o, &random(), GridSpec { res: 13, span: 1.0 }, 1e-9);
        // Multi-column one-hot targets.
        let onehot = DataSpec::Inline(Table {
            x: (0..40).map(|i| vec![(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()]).collect(),
            y: (0..40).map(|i| (0..3).map(|c| if i % 3 == c { 1.0 } else { 0.0 }).collect()).collect(),
        });
        let o = network(
            2,
            vec![LayerSpec::new(4, Activation::Sigmoid), LayerSpec::new(3, Activation::Softmax)],
            Loss::CrossEntropy,
            onehot,
            None,
        );
        assert_grid_matches_loss(&o, &random(), GridSpec { res: 11, span: 1.0 }, 1e-9);
    }

    #[test]
    fn the_exact_two_parameter_surface_is_hand_computed_mse() {
        // Centred on the floor of lesson 3's bowl: w = 0.55, b = 1.90, an odd res puts it on
        // the middle vertex.
        let o = hours_studied([0.55, 1.90]);
        let plane = build_plane(&o, o.start(), &Directions::default(), None).unwrap();
        assert_eq!(plane.info.origin, [0.55, 1.90]);
        let grid = compute_grid(&o, &plane, &GridSpec { res: 21, span: 1.0 }, &Progress::default()).unwrap();
        let mse = |w: f64, b: f64| HOURS.iter().map(|&(x, y)| (w * x + b - y).powi(2)).sum::<f64>() / 5.0;
        for (j, &db) in grid.b.iter().enumerate() {
            for (i, &da) in grid.a.iter().enumerate() {
                let (w, b) = (0.55 + da, 1.90 + db);
                assert_relative_eq!(grid.at(i, j), mse(w, b), max_relative = 1e-13);
            }
        }
        let floor = grid.at(10, 10);
        assert_relative_eq!(floor, 0.54, max_relative = 1e-13);
        assert!(grid.loss.iter().all(|&l| l >= floor));
        // 7 hours studied → 0.55·7 + 1.90 = 5.75.
        assert_relative_eq!(0.55 * 7.0 + 1.90, 5.75, epsilon = 1e-15);
    }

    #[test]
    fn the_middle_vertex_is_the_loss_at_the_centre() {
        let o = reference(100);
        let plane = build_plane(&o, o.start(), &random(), None).unwrap();
        let grid = compute_grid(&o, &plane, &GridSpec { res: 33, span: 0.7 }, &Progress::default()).unwrap();
        assert_eq!(grid.a[16], 0.0);
        assert_relative_eq!(grid.at(16, 16), o.loss(o.start(), &mut Workspace::default()), max_relative = 1e-13);
    }

    #[test]
    fn a_one_parameter_objective_gives_the_curve() {
        let o = function("x^2", &[10.0]);
        let plane = build_plane(&o, o.start(), &Directions::Pca, None).unwrap();
        assert!(plane.is_curve());
        let grid = compute_grid(&o, &plane, &GridSpec { res: 5, span: 12.0 }, &Progress::default()).unwrap();
        assert!(grid.b.is_empty() && grid.is_curve());
        assert_eq!(grid.loss.len(), 5);
        assert_eq!(grid.a, vec![-12.0, -6.0, 0.0, 6.0, 12.0]);
        for (l, a) in grid.loss.iter().zip(&grid.a) {
            assert_relative_eq!(*l, (10.0 + a) * (10.0 + a), max_relative = 1e-15);
        }
    }

    #[test]
    fn diverging_regions_stay_non_finite_without_breaking_the_grid() {
        // ln(x) is NaN for x < 0 and −∞ at 0.
        let o = function("ln(x) + y^2", &[0.5, 0.0]);
        let plane = build_plane(&o, o.start(), &Directions::default(), None).unwrap();
        let grid = compute_grid(&o, &plane, &GridSpec { res: 5, span: 1.0 }, &Progress::default()).unwrap();
        assert_eq!(grid.loss.len(), 25);
        assert!(grid.at(0, 2).is_nan());
        assert!(grid.at(4, 2).is_finite());
        assert!(grid.finite_range().is_some());
    }

    #[test]
    fn progress_counts_rows_and_cancel_stops() {
        let o = reference(50);
        let plane = build_plane(&o, o.start(), &random(), None).unwrap();
        let p = Progress::default();
        assert!(compute_grid(&o, &plane, &GridSpec { res: 12, span: 1.0 }, &p).is_some());
        assert_eq!(p.rows_done(), 12);
        let p = Progress::default();
        p.cancel();
        assert!(p.is_cancelled());
        assert!(compute_grid(&o, &plane, &GridSpec { res: 64, span: 1.0 }, &p).is_none());
        assert_eq!(p.rows_done(), 0);
    }

    #[test]
    fn specs_are_checked_and_axes_symmetric() {
        for (res, span) in [(1, 1.0), (4097, 1.0), (100_000, 1.0), (2, 0.0), (2, -1.0), (2, f64::NAN), (2, f64::INFINITY)] {
            assert!(GridSpec { res, span }.validate().is_err(), "res {res}, span {span}");
        }
        assert!(GridSpec { res: 2, span: 1e-9 }.validate().is_ok());
        assert!(GridSpec { res: 4096, span: 1.0 }.validate().is_ok());
        let axis = GridSpec { res: 7, span: 3.0 }.axis();
        assert_eq!(axis, vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
        let even = GridSpec { res: 4, span: 1.0 }.axis();
        assert_eq!(even.first().copied(), Some(-1.0));
        assert_eq!(even.last().copied(), Some(1.0));
        // Out-of-range specs are clamped by compute_grid.
        let o = function("x^2 + y^2", &[0.0, 0.0]);
        let plane = build_plane(&o, o.start(), &Directions::default(), None).unwrap();
        let g = compute_grid(&o, &plane, &GridSpec { res: 0, span: -1.0 }, &Progress::default()).unwrap();
        assert_eq!((g.res, g.a.clone()), (2, vec![-1.0, 1.0]));
    }
}
