//! The losscape app: the loss surface in 3D with one ball per optimizer rolling down it, and an
//! egui panel to change the network, data, loss, optimizers, clipping and learning rates while
//! it runs.
//!
//! # Layers
//!
//! Every file is a private module with one job and a `pub(super) fn plugin(app: &mut App)`
//! (bevy_new_2d style). A file imports only files below it, so there are no import circles:
//!
//! 1. `sets.rs` (the `AppSystems` and `UiSystems` sets) and `view.rs` (world units, the height
//!    map, colours, number formatting, f64 → f32) — they import no other app file;
//! 2. `settings.rs`: the shared state (the scene, view switches, the `Play` state, status line,
//!    panel sizes) and the one-off messages;
//! 3. `sim.rs` (the core `Session`, stepped per frame; the one `SwitchScene` handler);
//! 4. `landscape.rs` (the loss grid on a background task), `scenes.rs` (lessons and shared lines),
//!    `camera.rs`, `diagnostics.rs`;
//! 5. `surface.rs` (mesh, wireframe, contours);
//! 6. `picking.rs`, `ball.rs`, `screenshot.rs`, `timing.rs`, `window_size.rs` (the window fits
//!    the screen);
//! 7. `files.rs` (open / save / export), `record.rs` (the GIF of the 3D view), and on the web
//!    page `page.rs` (the URL fragment, the file picker);
//! 8. `ui/` (the egui pass: panels, plots, lesson card, Share window, overlays);
//! 9. this module, which composes the plugins and orders the sets once: `Update` runs read input
//!    → file actions → start or stop a recording → pick → move camera → load scene → switch
//!    scene → simulate → landscape → report → sync surface → sync visuals; the egui pass runs
//!    style → side panel → plots panel → lesson card → windows → overlays.
//!
//! With no scene given the app opens in lesson mode on the first lesson; with a scene it opens
//! in explorer mode.
//!
//! The app owns no math: losses, gradients, steps and grids all come from [`crate::core`].
//!
//! Controls: left-drag rotates, right-drag pans, the wheel zooms; a click on the surface
//! starts every run there (the new start is shown on the status line and logged); Space plays
//! or pauses, S steps once, R resets.

mod antialiasing;
mod background;
mod ball;
mod camera;
mod diagnostics;
mod files;
mod landscape;
#[cfg(target_arch = "wasm32")]
mod page;
mod picking;
mod record;
mod scenes;
mod screenshot;
mod sets;
mod settings;
mod sim;
mod surface;
#[cfg(test)]
mod tests;
mod timing;
mod ui;
mod view;
mod window_size;

use std::path::PathBuf;
use std::process::ExitCode;

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::window::WindowResolution;
use bevy_egui::{EguiPlugin, EguiPrimaryContextPass};

pub use files::{ExportError, FileAction, FileKind};
pub use landscape::{CoarseFirstAbove, ESCAPE_FACTOR, FINE_SAMPLES, GridTask, GridWork, Landscape, RES_RANGE, SLICE_BUDGET, SurfaceGrid};
pub use record::{Recorder, ScriptedRecording, ToggleRecording};
pub use scenes::{GoToLesson, LessonMode, OpenSharedLine, ShareError, ShareState, restore};
pub use screenshot::{CaptureScreenshot, ScreenshotError, ScreenshotFailure, ScriptedScreenshot};
pub use sets::{AppSystems, UiSystems};
pub use settings::{
    FixedStepping, FixedViewSize, Play, RebuildObjective, RecomputeSurface, Reset, ResetView, SetStart, SimSettings, StatusLine, StepOnce,
    UiLayout, ViewSwitches,
};
pub use sim::{HISTORY_ROWS, LayerNormHistory, LoadError, Simulation, SwitchScene, load_lesson, load_scene, load_scene_text};
pub use surface::{SurfaceView, ViewMap, surface_view};

/// Physical pixels beside a recorded view for the two side panels at their widest.
const ROOM_FOR_PANELS: u32 = 720;
/// Physical pixels above a recorded view for the lesson card.
const ROOM_FOR_CARD: u32 = 480;

/// What the front door asks the app to do.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Scene to open (in explorer mode); a lesson, in lesson mode, when absent.
    pub scene: Option<PathBuf>,
    /// The lesson to open ([`crate::lessons::LESSONS`] index) when there is no scene; the
    /// first lesson when absent too.
    pub lesson: Option<usize>,
    /// Save the window to this PNG after `frames` frames, then exit.
    pub screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    pub frames: u32,
    /// Record a GIF once the surface is on screen, then exit.
    pub record: Option<ScriptedRecording>,
}

/// Opens the app; returns the process exit code (2 with one line on stderr for a bad scene).
pub fn run(options: AppOptions) -> ExitCode {
    let lesson_mode = options.scene.is_none();
    let loaded = match &options.scene {
        Some(path) => load_scene(path),
        None => load_lesson(options.lesson.unwrap_or_else(crate::lessons::first)),
    };
    let (settings, simulation) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            crate::cli::say(&format!("losscape: {e}"));
            return ExitCode::from(2);
        }
    };
    let title = format!("losscape — {}", settings.scene.name);
    // `--record --size WxH`: a window with room for that view beside the widest panels (and
    // above it the lesson card); the view is then held at exactly that size.
    let fixed = options.record.as_ref().and_then(|r| r.size);
    // (Physical pixels are logical ones there: --size is in pixels of the GIF.)
    let resolution = match fixed {
        Some(size) => WindowResolution::new(size.x + ROOM_FOR_PANELS, size.y + if lesson_mode { ROOM_FOR_CARD } else { 0 })
            .with_scale_factor_override(1.0),
        None => WindowResolution::new(1600, 900),
    };
    let window = Window { title, resolution, ..default() };
    let mut app = whole_app(window, settings, simulation, lesson_mode);
    if let Some(size) = fixed {
        app.insert_resource(FixedViewSize(size));
    }
    if let Some(path) = options.screenshot {
        app.insert_resource(ScriptedScreenshot { path, frames: options.frames.max(1) });
    }
    if let Some(record) = options.record {
        app.insert_resource(record);
    }
    match app.run() {
        AppExit::Success => ExitCode::SUCCESS,
        AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

/// The web page's app: lesson mode on the first lesson (or the scene of the page's
/// `#losscape1.…` fragment), drawn into the page's `<canvas id="losscape">`, which it fills.
#[cfg(target_arch = "wasm32")]
pub fn run_web() {
    let Ok((settings, simulation)) = load_lesson(crate::lessons::first()) else {
        // The lessons are compiled in and tested; the page's console says what went wrong.
        error!("losscape: the first lesson does not load");
        return;
    };
    let window = Window { title: "losscape".into(), canvas: Some("#losscape".into()), fit_canvas_to_parent: true, ..default() };
    let mut app = whole_app(window, settings, simulation, true);
    app.add_plugins(page::plugin);
    app.run();
}

/// The app in `window` on Bevy's default plugins and egui, showing `settings`.
fn whole_app(window: Window, settings: SimSettings, simulation: Simulation, lesson_mode: bool) -> App {
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin { primary_window: Some(window), ..default() }))
        .add_plugins(EguiPlugin::default())
        .insert_resource(settings)
        .insert_resource(simulation)
        .insert_resource(LessonMode::new(lesson_mode))
        .add_plugins(plugin);
    app
}

/// Everything that runs without a window or a GPU: the scene, the simulation, the grid, lesson
/// navigation and shared lines, with `AppSystems` ordered. `SimSettings` and `Simulation` must
/// be inserted by the caller. Used by the app and by the headless tests (with `MinimalPlugins`,
/// to which it adds Bevy's `StatesPlugin` for the `Play` state).
pub fn headless_plugin(app: &mut App) {
    if !app.is_plugin_added::<StatesPlugin>() {
        app.add_plugins(StatesPlugin);
    }
    app.configure_sets(
        Update,
        (
            AppSystems::ReadInput,
            AppSystems::FileActions,
            AppSystems::Record,
            AppSystems::Pick,
            AppSystems::MoveCamera,
            AppSystems::LoadScene,
            AppSystems::SwitchScene,
            AppSystems::Simulate,
            AppSystems::Landscape,
            AppSystems::Report,
            AppSystems::SyncSurface,
            AppSystems::SyncVisuals,
        )
            .chain(),
    );
    app.add_plugins((settings::plugin, sim::plugin, landscape::plugin, scenes::plugin));
}

/// Open, save and export alone, for headless tests: it needs no window (the camera is optional),
/// only `CaptureScreenshot` registered besides `headless_plugin`.
pub fn files_plugin(app: &mut App) {
    files::plugin(app);
}

/// The whole app on top of `DefaultPlugins` and `EguiPlugin`.
pub fn plugin(app: &mut App) {
    app.add_plugins(headless_plugin);
    app.configure_sets(
        EguiPrimaryContextPass,
        (UiSystems::Style, UiSystems::SidePanel, UiSystems::PlotsPanel, UiSystems::LessonCard, UiSystems::Windows, UiSystems::Overlays)
            .chain(),
    );
    app.add_plugins((
        antialiasing::plugin,
        surface::plugin,
        picking::plugin,
        ball::plugin,
        camera::plugin,
        diagnostics::plugin,
        files::plugin,
        record::plugin,
        screenshot::plugin,
        timing::plugin,
        ui::plugin,
        window_size::plugin,
    ));
}
