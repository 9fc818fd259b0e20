//! Files: opening and saving scenes (RON or JSON by extension), and
//! exporting the trajectory, the grid, the mesh, the loss plot and a screenshot. Every write
//! goes through [`crate::files::write_atomic`] (a temporary file renamed over the target; in
//! the browser, a download); the status line says where the file went or why it failed. In the
//! browser a file to open (a scene, a data CSV) comes from the file picker (`page.rs`).

use std::path::{Path, PathBuf};

use bevy::prelude::*;

use super::camera::{Orbit, ViewCamera};
use super::landscape::SurfaceGrid;
use super::screenshot::CaptureScreenshot;
use super::sets::AppSystems;
use super::settings::{SimSettings, StatusLine};
#[cfg(not(target_arch = "wasm32"))]
use super::sim::load_scene;
use super::sim::{Simulation, SwitchScene};
use super::view::HALF;
use crate::scene::{self, CameraSettings};

pub(super) fn plugin(app: &mut App) {
    app.add_message::<FileAction>().add_systems(Update, handle_file_actions.in_set(AppSystems::FileActions));
}

/// Why an export did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The grid is not computed yet.
    #[error("the surface is still being computed")]
    NoSurface,
    /// Writing the file failed.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// What to read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Replace the scene with a file.
    OpenScene,
    /// Save the edited scene (with the current camera).
    SaveScene,
    /// Every run's trajectory (CSV or JSON).
    Trajectory,
    /// The loss grid on screen.
    Grid,
    /// The surface mesh on screen (OBJ or PLY).
    Mesh,
    /// The window as a PNG.
    Screenshot,
    /// Loss against step for every run, as a PNG (the picture `losscape plot` draws).
    LossPlot,
    /// In the browser: choose a data CSV for the network with the file picker.
    DataCsv,
}

/// Read or write `path`.
#[derive(Message, Clone, Debug)]
pub struct FileAction {
    /// What.
    pub kind: FileKind,
    /// Where.
    pub path: PathBuf,
}

/// Reads or writes each requested file; a scene that opens is sent on as [`SwitchScene`].
fn handle_file_actions(
    mut actions: MessageReader<FileAction>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    grid: Res<SurfaceGrid>,
    orbit: Option<Single<&Orbit, With<ViewCamera>>>,
    mut status: ResMut<StatusLine>,
    // On the web page a scene comes from the file picker (`page.rs`), not from here.
    #[cfg_attr(target_arch = "wasm32", allow(unused_variables, unused_mut))] mut switch: MessageWriter<SwitchScene>,
    mut capture: MessageWriter<CaptureScreenshot>,
) {
    for action in actions.read() {
        let path = &action.path;
        let result = match action.kind {
            #[cfg(target_arch = "wasm32")]
            FileKind::OpenScene => {
                crate::browser::pick(".ron,.json", crate::browser::Purpose::Scene);
                Ok("choose a scene file (.ron or .json)".to_owned())
            }
            #[cfg(target_arch = "wasm32")]
            FileKind::DataCsv => {
                crate::browser::pick(".csv,text/csv", crate::browser::Purpose::DataCsv);
                Ok("choose a CSV file with a header row".to_owned())
            }
            #[cfg(not(target_arch = "wasm32"))]
            FileKind::DataCsv => Err("a data CSV is chosen by its path in the Objective section".to_owned()),
            #[cfg(not(target_arch = "wasm32"))]
            FileKind::OpenScene => load_scene(path)
                .map(|(settings, sim)| {
                    switch.write(SwitchScene { settings, sim });
                    format!("opened {}", shown(path))
                })
                .map_err(|e| e.to_string()),
            FileKind::SaveScene => {
                let mut scene = settings.scene.clone();
                let base = 2.0 * HALF as f32;
                if let Some(orbit) = &orbit {
                    scene.camera = Some(CameraSettings {
                        yaw: f64::from(orbit.yaw.to_degrees()),
                        pitch: f64::from(orbit.pitch.to_degrees()),
                        distance: f64::from(orbit.distance / base),
                    });
                }
                // An edit the core refused is not what is on screen: save the running objective.
                let refused = status.objective.is_some();
                if refused {
                    scene.objective = sim.applied.clone();
                }
                let note = if refused { " (with the running objective, not the refused edit)" } else { "" };
                // A recentred slice saved from an objective of another size would not load.
                if let scene::Center::At(c) = &scene.surface.center
                    && c.len() != sim.objective().dim()
                {
                    scene.surface.center = scene::Center::Start;
                }
                scene::save(path, &scene).map(|()| format!("scene saved to {}{note}", shown(path))).map_err(|e| e.to_string())
            }
            FileKind::Trajectory => crate::export::write_trajectory(path, sim.objective(), &sim.session.runs)
                .map(|()| format!("trajectory saved to {}", shown(path)))
                .map_err(|e| format!("{}: {e}", path.display())),
            FileKind::Grid | FileKind::Mesh => {
                export_landscape(action.kind, path, &grid, &sim, settings.scene.surface.log_height).map_err(|e| e.to_string())
            }
            FileKind::LossPlot => write_loss_plot(path, &settings.scene, &sim)
                .map(|()| format!("loss plot saved to {}", shown(path)))
                .map_err(|e| format!("{}: {e}", path.display())),
            FileKind::Screenshot => {
                capture.write(CaptureScreenshot { path: path.clone(), exit: false });
                Ok(format!("saving a screenshot to {}", shown(path)))
            }
        };
        match result {
            Ok(m) => status.info(m),
            Err(e) => status.error(e),
        }
    }
}

/// The runs' losses as `losscape plot` draws them (1000×600, its axis rule), written to `path`.
fn write_loss_plot(path: &Path, scene: &scene::Scene, sim: &Simulation) -> Result<(), String> {
    let series: Vec<_> =
        sim.session.runs.iter().enumerate().map(|(i, r)| crate::cli::plot::Series::of(i, &r.trajectory, u64::MAX)).collect();
    let (png, _) = crate::cli::plot::draw_png(&series, "trajectory", Some(scene), None, None, (1000, 600)).map_err(|e| e.0)?;
    crate::files::write_atomic(path, |w| w.write_all(&png)).map_err(|e| e.to_string())
}

/// The absolute path, so the status line says exactly where a file went.
fn shown(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

/// Writes the grid or the mesh on screen; says what went where.
fn export_landscape(kind: FileKind, path: &Path, grid: &SurfaceGrid, sim: &Simulation, log: bool) -> Result<String, ExportError> {
    let Some(land) = grid.current.as_ref() else { return Err(ExportError::NoSurface) };
    let runs = crate::export::grid::project_runs(&land.plane, &sim.session.runs);
    let (what, written) = match kind {
        FileKind::Mesh => ("mesh", crate::export::mesh::write_mesh(path, &land.grid, &land.plane, &runs, log)),
        _ => ("grid", crate::export::grid::write_grid(path, &land.grid, &land.plane, sim.objective(), &runs)),
    };
    written.map(|()| format!("{what} saved to {}", shown(path))).map_err(|source| ExportError::Write { path: path.to_path_buf(), source })
}
