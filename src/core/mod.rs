//! The math core: activations, losses, networks, typed functions, objectives, data, clipping,
//! optimizers and training sessions, all in f64.
//!
//! Rule: nothing here names Bevy, egui or the file system, so the core builds and is tested on
//! its own (`cargo test --no-default-features`). Data flows
//! objective → gradient → clip → optimizer → trajectory.

pub mod activation;
#[cfg(target_arch = "wasm32")]
mod activation_pairs;
pub mod aligned;
pub mod check;
pub mod clip;
pub mod data;
pub mod dual;
pub mod elementary;
pub mod error;
pub mod fma;
pub mod format;
pub mod function;
pub mod init;
pub mod kernels;
pub mod landscape;
pub mod loss;
pub mod network;
pub mod objective;
pub mod optimizer;
mod pool;
pub mod session;

pub use activation::Activation;
pub use check::{GradientCheck, check_gradient};
pub use clip::{Clip, norm2};
pub use data::{Dataset, Feature, GeneratorKind, GeneratorSpec, SeededRng, Table};
pub use error::CoreError;
pub use function::{Function, FunctionSpec};
pub use init::{InitScheme, InitSpec, SeededInit};
pub use loss::Loss;
pub use network::{HvpWorkspace, LayerSpec, Network, Workspace};
pub use objective::{CsvColumns, CsvSource, DataSpec, Holdout, NetworkObjective, NetworkSpec, Objective, ObjectiveSpec, Penalty};
pub use optimizer::{Adagrad, Adam, OptimizerConfig, OptimizerState, Rmsprop, Schedule, Sgd};
pub use session::{Record, Run, RunSpec, RunStatus, Session, Trajectory};
