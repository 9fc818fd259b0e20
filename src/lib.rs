//! losscape: see gradient descent.
//!
//! This crate provides the math and the tools behind the losscape app: a network's (or a typed
//! function's) loss, its exact gradient by backpropagation, clipping and the `torch.optim`
//! optimizers ([`core`]); scene files ([`scene`]); trajectory, grid and mesh files
//! ([`export`]), whose meshes share heights and colours with the app's ([`mesh`]); the one guarded way to read and write the user's files ([`files`]); the lessons, compiled in ([`lessons`]); and the
//! command line ([`cli`]). The Bevy app lives in `app` behind the default
//! `gui` feature.
//!
//! ```
//! use std::sync::Arc;
//! use losscape::core::{FunctionSpec, ObjectiveSpec, OptimizerConfig, RunSpec, Session, Sgd};
//!
//! // Lesson 1: f(x) = x² from x = 10 with SGD, lr 0.1: x_k = 10·0.8^k.
//! let spec = ObjectiveSpec::Function(FunctionSpec { expr: "x^2".into(), start: vec![10.0] });
//! let objective = Arc::new(spec.build(&|_| unreachable!()).unwrap());
//! let run = RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }));
//! let mut session = Session::new(objective, &[run]).unwrap();
//! session.run(5);
//! assert!((session.runs[0].theta[0] - 3.2768).abs() < 1e-12);
//! ```

pub mod cli;
pub mod core;
pub mod export;
pub mod files;
pub mod lessons;
pub mod mesh;
pub mod priority;
pub mod scene;
pub mod share;

#[cfg(feature = "gui")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod browser;
