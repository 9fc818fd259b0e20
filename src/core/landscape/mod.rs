//! The loss landscape: a plane through parameter space, $\theta(a, b) = \theta_c + a\,d_1 +
//! b\,d_2$, and the training loss on a grid over it.
//!
//! - [`plane`]: [`Directions`], [`Plane`], [`build_plane`], projections and [`auto_span`].
//! - [`directions`]: random filter-normalised, PCA and Hessian directions.
//! - [`eigen`]: Lanczos (matrix-free) and nalgebra's dense solver for the symmetric eigenproblems
//!   behind PCA and the Hessian.
//! - [`grid`]: [`compute_grid`], parallel over rows, with progress and cancellation.
//! - [`cost`]: what a grid costs (vertices, flops, a timed row), for `losscape info`.
//! - [`kernel`]: the fast evaluation of a network over a plane used by the grid.
//! - [`survey`]: scene → landscape (replay, centre, plane, span, grid), the one function the
//!   app and `losscape surface` both call.
//!
//! A 1-parameter objective gives a curve (`d2 = None`), a 2-parameter one with `axes` the exact
//! surface over the two parameters. Like the rest of the core: no IO, no Bevy.

pub mod cost;
pub mod directions;
pub mod eigen;
pub mod grid;
pub mod kernel;
pub mod plane;
pub mod survey;

pub use directions::DirectionsError;
pub use grid::{Grid, GridSpec, MAX_RES, MIN_RES, Progress, compute_grid, empty_grid, fill_rows};
pub use plane::{DEFAULT_SPAN, Directions, MIN_SPAN, PathPoint, Plane, PlaneInfo, Projection, auto_span, build_plane};
pub use survey::{Preview, SIZING_STEPS, Survey, SurveyCenter, SurveyError, SurveyJob, SurveySpec, effective_directions, survey};

/// Objectives shared by the landscape's tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::core::{
        Activation, CoreError, CsvSource, DataSpec, FunctionSpec, GeneratorKind, GeneratorSpec, InitScheme, InitSpec, LayerSpec, Loss,
        NetworkSpec, Objective, ObjectiveSpec, Penalty, SeededInit, Table,
    };

    fn no_csv(_: &CsvSource) -> Result<Table, CoreError> {
        Err(CoreError::invalid("data.csv", "no files in tests"))
    }

    /// A network objective with seeded Xavier weights and biases drawn too (so none is zero).
    pub fn network(inputs: usize, layers: Vec<LayerSpec>, loss: Loss, data: DataSpec, penalty: Option<Penalty>) -> Objective {
        let spec = NetworkSpec {
            inputs,
            layers,
            loss,
            data,
            init: InitSpec::Seeded(SeededInit { seed: 3, scheme: InitScheme::Xavier, scale: 1.0, bias: 0.3 }),
            features: None,
            penalty,
            holdout: None,
            batch_size: None,
            batch_seed: 0,
        };
        ObjectiveSpec::Network(spec).build(&no_csv).expect("valid test network")
    }

    /// DESIGN.md's reference network (2-8-8-1 tanh, MSE) on `n` spiral points.
    pub fn reference(n: usize) -> Objective {
        let layers = vec![LayerSpec::new(8, Activation::Tanh), LayerSpec::new(8, Activation::Tanh), LayerSpec::new(1, Activation::Linear)];
        network(2, layers, Loss::Mse, spiral(n), None)
    }

    /// `n` points of the spiral generator.
    pub fn spiral(n: usize) -> DataSpec {
        DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Spiral, n, 0.1, 1))
    }

    /// Lesson 3: one neuron ŷ = w·x + b on the hours-studied data, MSE, from θ₀.
    pub fn hours_studied(start: [f64; 2]) -> Objective {
        let spec = NetworkSpec {
            inputs: 1,
            layers: vec![LayerSpec::new(1, Activation::Linear)],
            loss: Loss::Mse,
            data: DataSpec::Inline(Table {
                x: HOURS.iter().map(|&(x, _)| vec![x]).collect(),
                y: HOURS.iter().map(|&(_, y)| vec![y]).collect(),
            }),
            init: InitSpec::Params(start.to_vec()),
            features: None,
            penalty: None,
            holdout: None,
            batch_size: None,
            batch_seed: 0,
        };
        ObjectiveSpec::Network(spec).build(&no_csv).expect("valid lesson network")
    }

    /// Lesson 3's (hours studied, grade) pairs.
    pub const HOURS: [(f64, f64); 5] = [(2.0, 3.0), (4.0, 5.0), (6.0, 4.0), (8.0, 6.0), (10.0, 8.0)];

    /// A typed function.
    pub fn function(expr: &str, start: &[f64]) -> Objective {
        ObjectiveSpec::Function(FunctionSpec { expr: expr.into(), start: start.to_vec() }).build(&no_csv).expect("valid test function")
    }
}
