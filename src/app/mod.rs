//! The losscape app: the loss surface in 3D with one ball per optimizer rolling down it, and an
//! egui panel to change the network, data, loss, optimizers, clipping and learning rates while
//! it runs.
//!
//! One plugin per feature file (STYLE.md (b), (c)): [`settings`] (the editable scene and the
//! actions), [`sim`] (the core `Session`, stepped per frame), [`grid`] (the loss grid on a
//! background task), [`surface`] (mesh, overlays, picking), [`ball`], [`camera`], [`panel`],
//! [`plots`], [`files`] (open / save / export), [`lesson`] (the classroom's lesson mode),
//! [`share`] (a scene as one line of text) and [`screenshot`]. This module composes them and
//! orders the sets: read input → switch scene → simulate → landscape → sync visuals.
//!
//! With no scene given the app opens in lesson mode on the first lesson; with a scene it opens
//! in explorer mode.
//!
//! The app owns no math: losses, gradients, steps and grids all come from [`crate::core`].
//!
//! Controls: left-drag rotates, right-drag pans, the wheel zooms; a click on the surface
//! starts every run there (the new start is shown on the status line and logged); Space plays
//! or pauses, S steps once, R resets.

pub mod ball;
pub mod camera;
pub mod files;
pub mod grid;
pub mod lesson;
pub mod panel;
pub mod plots;
pub mod screenshot;
pub mod settings;
pub mod share;
pub mod sim;
pub mod surface;
pub mod timing;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::EguiPlugin;

use crate::scene;
use settings::{RecomputeSurface, SimSettings};
use sim::Simulation;

/// What the front door asks the app to do.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Scene to open (in explorer mode); the first lesson, in lesson mode, when absent.
    pub scene: Option<PathBuf>,
    /// Save the window to this PNG after `frames` frames, then exit.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    pub frames: u32,
}

/// The lesson opened when no scene is given: the first one.
pub const DEFAULT_SCENE: &str = "assets/scenes/01_x_squared.ron";

/// The order of each frame's work, chained once.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppSystems {
    /// Keyboard shortcuts, camera input, clicks.
    ReadInput,
    /// Replace the whole scene (the next lesson, a shared line).
    SwitchScene,
    /// Rebuild, restart, step the session.
    Simulate,
    /// Start and collect background grids.
    Landscape,
    /// Meshes, balls, trails, screenshots.
    SyncVisuals,
}

/// Opens the app; returns the process exit code (2 with one line on stderr for a bad scene).
pub fn run(options: AppOptions) -> ExitCode {
    let lesson_mode = options.scene.is_none();
    let path = options.scene.clone().unwrap_or_else(default_scene);
    let (settings, simulation) = match load_scene(&path) {
        Ok(loaded) => loaded,
        Err(e) => {
            crate::cli::say(&format!("losscape: {e}"));
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
    .insert_resource(lesson::LessonMode::new(lesson_mode, &scenes_dir()))
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
    crate::core::session::check_path_memory(objective.dim(), scene.runs.len(), scene.steps)
        .map_err(|e| format!("{}: {e} (the app keeps every path to draw it)", path.display()))?;
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

/// Everything that runs without a window or a GPU: the scene, the simulation, the grid, lesson
/// navigation and shared lines. `SimSettings` and `Simulation` must be inserted by the caller.
/// Used by the app and by the headless tests (with `MinimalPlugins`).
pub fn headless_plugin(app: &mut App) {
    app.configure_sets(
        Update,
        (AppSystems::ReadInput, AppSystems::SwitchScene, AppSystems::Simulate, AppSystems::Landscape, AppSystems::SyncVisuals).chain(),
    );
    app.add_plugins((settings::plugin, sim::plugin, grid::plugin, lesson::plugin, share::plugin));
}

/// What a system needs to put a whole new scene on screen (a lesson, a shared line): the
/// settings and the simulation are replaced, the surface recomputed and the camera reset.
#[derive(SystemParam)]
pub struct SceneSwap<'w> {
    settings: ResMut<'w, SimSettings>,
    sim: ResMut<'w, Simulation>,
    recompute: MessageWriter<'w, RecomputeSurface>,
    view: MessageWriter<'w, camera::ResetView>,
}

impl SceneSwap<'_> {
    /// Shows `settings` with `sim` from now on (the old runs and trails are dropped).
    pub fn replace(&mut self, settings: SimSettings, sim: Simulation) {
        *self.settings = settings;
        self.sim.replace(sim);
        self.recompute.write(RecomputeSurface);
        self.view.write(camera::ResetView);
    }
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
        lesson::ui_plugin,
        share::ui_plugin,
    ));
}
