//! The loss landscape: a plane through parameter space, $\theta(a, b) = \theta_c + a\,d_1 +
//! b\,d_2$, and the training loss on a grid over it.
//!
//! - [`plane`]: [`Directions`], [`Plane`], [`build_plane`], projections and [`auto_span`].
//! - [`directions`]: random filter-normalised, PCA and Hessian directions.
//! - [`eigen`]: Lanczos and Jacobi for the symmetric eigenproblems behind PCA and the Hessian.
//! - [`grid`]: [`compute_grid`], parallel over rows, with progress and cancellation.
//! - [`kernel`]: the fast evaluation of a network over a plane used by the grid.
//!
//! A 1-parameter objective gives a curve (`d2 = None`), a 2-parameter one with `axes` the exact
//! surface over the two parameters. Like the rest of the core: no IO, no Bevy.

pub mod directions;
pub mod eigen;
pub mod grid;
pub mod kernel;
pub mod plane;

pub use grid::{Grid, GridSpec, MAX_RES, MIN_RES, Progress, compute_grid};
pub use plane::{DEFAULT_SPAN, Directions, MIN_SPAN, PathPoint, Plane, PlaneInfo, Projection, auto_span, build_plane};
