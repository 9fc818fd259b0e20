//! Files losscape writes: trajectories (CSV, JSON), grids, meshes and animations (GIF). Every file is written to
//! a temporary file in the same folder and renamed over the target, so a failed write never
//! leaves a half-written file or destroys the old one.

pub mod gif;
pub mod grid;
pub mod mesh;
pub mod trajectory;

use std::path::Path;

pub use trajectory::{run_and_write_csv, run_and_write_trajectory, write_trajectory, write_trajectory_csv, write_trajectory_json};

/// Whether an export path asks for JSON (`.json`, any case); anything else is CSV.
pub(crate) fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

pub use crate::files::write_atomic;
