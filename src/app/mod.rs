//! The losscape app: the loss surface in 3D with one ball per optimizer rolling down it, and an
//! egui panel to change the network, data, loss, optimizers, clipping and learning rates while
//! it runs.
//!
//! One plugin per feature file (STYLE.md (b), (c)): [`settings`] (the editable scene and the
//! actions), [`sim`] (the core `Session`, stepped per frame), [`grid`] (the loss grid on a
//! background task), [`surface`] (mesh, overlays, picking), [`ball`], [`camera`], [`panel`],
//! [`plots`], [`files`] (open / save / export) and [`screenshot`]. This module only composes
//! them and orders the sets: read input → simulate → landscape → sync visuals.
//!
//! The app owns no math: losses, gradients, steps and grids all come from [`crate::core`].
//!
//! Controls: left-drag rotates, right-drag pans, the wheel zooms; a click on the surface
//! starts every run there; Space plays or pauses, S steps once, R resets.

pub mod ball;
pub mod camera;
pub mod files;
pub mod grid;
pub mod panel;
pub mod plots;
pub mod screenshot;
pub mod settings;
pub mod sim;
pub mod surface;
pub mod timing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::EguiPlugin;

use crate::scene;
use settings::SimSettings;
use sim::Simulation;

/// What the front door asks the app to do.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Scene to open; the default lesson when absent.
    pub scene: Option<PathBuf>,
    /// Save the window to this PNG after `frames` frames, then exit.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    pub frames: u32,
}

/// The lesson opened when no scene is given.
pub const DEFAULT_SCENE: &str = "assets/scenes/03_hours_studied.ron";

/// The order of each frame's work, chained once.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Keyboard shortcuts, camera input, clicks.
    ReadInput,
    /// Rebuild, restart, step the session.
    Simulate,
    /// Start and collect background grids.
    Landscape,
    /// Meshes, balls, trails, screenshots.
    SyncVisuals,
}

/// Opens the app; returns the process exit code (2 with one line on stderr for a bad scene).
pub fn run(options: AppOptions) -> ExitCode {
    let path = options.scene.clone().unwrap_or_else(default_scene);
    let (settings, simulation) = match load_scene(&path) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("losscape: {e}");
            return ExitCode::from(2);
        }
    };
    let title = format!("losscape — {}", settings.scene.name);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window { title, resolution: WindowResolution::new(1600, 900), ..default() }),
        ..default()
    }))
    .add_plugins(EguiPlugin::default())
    .insert_resource(settings)
    .insert_resource(simulation)
    .add_plugins(plugin);
    if let Some(path) = options.screenshot {
        app.insert_resource(screenshot::ScriptedScreenshot { path, frames: options.frames.max(1) });
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// Reads a scene and builds its simulation; the error is the scene's one-line message.
pub fn load_scene(path: &Path) -> Result<(SimSettings, Simulation), String> {
    let scene = scene::load(path).map_err(|e| e.to_string())?;
    let objective = scene.build(path).map_err(|e| e.to_string())?;
    let settings = SimSettings::new(scene, Some(path.to_path_buf()));
    let simulation = Simulation::new(objective, &settings).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((settings, simulation))
}

/// The default lesson: relative to the working directory, else to the source tree.
pub fn default_scene() -> PathBuf {
    let local = PathBuf::from(DEFAULT_SCENE);
    if local.exists() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_SCENE) }
}

/// The folder holding the lesson scenes (for the presets menu).
pub fn scenes_dir() -> PathBuf {
    let local = PathBuf::from("assets/scenes");
    if local.is_dir() { local } else { Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes") }
}

/// Everything that runs without a window or a GPU: the scene, the simulation and the grid.
/// `SimSettings` and `Simulation` must be inserted by the caller. Used by the app and by the
/// headless tests (with `MinimalPlugins`).
pub fn headless_plugin(app: &mut App) {
    app.configure_sets(Update, (AppSystems::ReadInput, AppSystems::Simulate, AppSystems::Landscape, AppSystems::SyncVisuals).chain());
    app.add_plugins((settings::plugin, sim::plugin, grid::plugin));
}

/// The whole app on top of `DefaultPlugins` and `EguiPlugin`.
pub fn plugin(app: &mut App) {
    app.add_plugins(headless_plugin);
    app.add_plugins((
        surface::plugin,
        ball::plugin,
        camera::plugin,
        panel::plugin,
        plots::plugin,
        files::plugin,
        screenshot::plugin,
        timing::plugin,
    ));
}
