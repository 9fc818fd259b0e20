//! The loss on a res × res grid over a plane (or res points along a curve), computed in
//! parallel over rows with progress and cancellation, so a caller can run it off the frame and
//! drop a stale one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::super::error::CoreError;
use super::super::objective::Objective;
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
    let res = spec.res.clamp(MIN_RES, MAX_RES);
    let span = if spec.span > 0.0 && spec.span.is_finite() { spec.span } else { DEFAULT_SPAN };
    let axis = GridSpec { res, span }.axis();
    let eval = PlaneLoss::new(objective, plane);
    let cancelled = || progress.cancel.load(Ordering::Relaxed);
    if plane.is_curve() {
        let mut loss = vec![0.0; res];
        loss.par_iter_mut().zip(&axis).for_each_init(
            || eval.scratch(),
            |s, (out, &a)| {
                if !cancelled() {
                    eval.row(0.0, &[a], s, std::slice::from_mut(out));
                    progress.rows_done.fetch_add(1, Ordering::Relaxed);
                }
            },
        );
        return (!cancelled()).then(|| Grid { res, a: axis, b: Vec::new(), loss });
    }
    let mut loss = vec![0.0; res * res];
    loss.par_chunks_mut(res).zip(&axis).for_each_init(
        || eval.scratch(),
        |s, (row, &b)| {
            if !cancelled() {
                eval.row(b, &axis, s, row);
                progress.rows_done.fetch_add(1, Ordering::Relaxed);
            }
        },
    );
    (!cancelled()).then(|| Grid { res, a: axis.clone(), b: axis, loss })
}
