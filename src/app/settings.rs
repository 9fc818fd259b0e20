//! The editable scene ([`SimSettings`]), the one-off actions the panel and the keyboard send
//! (reset, step, rebuild, recompute the surface, a new start), and the status line.
//!
//! The panel edits `SimSettings` in place; systems react to its change detection (run specs)
//! or to the messages (everything that restarts or recomputes something).

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy_egui::input::EguiWantsInput;

use super::AppSystems;
use crate::scene::Scene;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<Reset>()
        .add_message::<StepOnce>()
        .add_message::<RebuildObjective>()
        .add_message::<RecomputeSurface>()
        .add_message::<SetStart>()
        .init_resource::<StatusLine>()
        .add_systems(
            Update,
            read_shortcuts.in_set(AppSystems::ReadInput).run_if(resource_exists::<ButtonInput<KeyCode>>).run_if(keyboard_is_free),
        );
}

/// The scene being shown, as the panel edits it, plus view-only switches.
#[derive(Resource, Clone, Debug)]
pub struct SimSettings {
    /// The scene (objective, runs, steps, surface, camera), saved as is by "Save scene".
    pub scene: Scene,
    /// The scene's file, when it came from one (CSV data and "Save" resolve from it).
    pub path: Option<PathBuf>,
    /// Whether the balls roll.
    pub playing: bool,
    /// Draw each ball's gradient arrow.
    pub show_gradient: bool,
    /// Draw each ball's last step (differs from −lr·g with momentum or Adam).
    pub show_step: bool,
    /// Draw trails.
    pub show_trails: bool,
    /// Secant width h for 1-parameter objectives, in parameter units.
    pub secant_h: f64,
    /// Centre of the slice for more than 2 parameters, when the user recentred it.
    pub slice_center: Option<Vec<f64>>,
}

impl SimSettings {
    /// Settings for a scene loaded from `path` (or built in memory when `None`).
    pub fn new(scene: Scene, path: Option<PathBuf>) -> Self {
        Self { scene, path, playing: true, show_gradient: true, show_step: true, show_trails: true, secant_h: 0.5, slice_center: None }
    }

    /// The folder CSV data paths are relative to.
    pub fn scene_dir(&self) -> PathBuf {
        self.path.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()
    }
}

/// Restart every run from the current start.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct Reset;

/// Take one step (also while paused).
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct StepOnce;

/// The objective's spec changed: build it again, restart the runs and recompute the surface.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct RebuildObjective;

/// The surface's settings changed (resolution, span, directions, centre): compute a new grid.
#[derive(Message, Clone, Copy, Debug, Default)]
pub struct RecomputeSurface;

/// Restart every run from this θ (click on the surface).
#[derive(Message, Clone, Debug)]
pub struct SetStart(pub Vec<f64>);

/// The last thing worth telling the user (saved files, errors, divergence).
#[derive(Resource, Clone, Debug, Default)]
pub struct StatusLine {
    /// The message.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
    /// Why the edited objective was not applied, while it is not: shown in red under the
    /// objective's fields, because the status line is soon overwritten by other news.
    pub objective: Option<String>,
}

impl StatusLine {
    /// Shows an informative message.
    pub fn info(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.error = false;
    }

    /// Shows an error.
    pub fn error(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.error = true;
    }
}

/// Space plays or pauses, S steps once, R resets.
pub(super) fn read_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    mut settings: ResMut<SimSettings>,
    mut step: MessageWriter<StepOnce>,
    mut reset: MessageWriter<Reset>,
) {
    if keys.just_pressed(KeyCode::Space) {
        settings.playing = !settings.playing;
    }
    if keys.just_pressed(KeyCode::KeyS) {
        settings.playing = false;
        step.write(StepOnce);
    }
    if keys.just_pressed(KeyCode::KeyR) {
        reset.write(Reset);
    }
}

/// True unless egui is typing into a field (true without egui, as in headless tests).
fn keyboard_is_free(wants: Option<Res<EguiWantsInput>>) -> bool {
    wants.is_none_or(|w| !w.wants_any_keyboard_input())
}
