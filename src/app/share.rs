//! A scene as one line of text, inside the app: "Share…" opens a window that shows the scene on
//! screen as a `losscape1.…` line (the format of [`crate::share`], the same as `losscape share
//! SCENE` prints) in a selectable field, and takes a line someone else shared: paste it, press
//! "Open", and their scene is restored exactly (the same objective, data, runs and settings, so
//! the same trajectory). A bad line gives one line in the window and on the status line; the
//! scene on screen stays and nothing panics.
//!
//! The line is made in `Update` (a scene with CSV data reads the file to inline it, and UI
//! systems never do file IO, STYLE.md (c) 7), only while the window is open, and again only when
//! the scene was edited.

use std::path::Path;

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::settings::{SimSettings, StatusLine};
use super::sim::Simulation;
use super::{AppSystems, SceneSwap};
use crate::scene::Scene;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ShareState>().add_message::<OpenSharedLine>().add_systems(
        Update,
        (
            open_shared_line.after(super::lesson::open_lesson).in_set(AppSystems::SwitchScene),
            refresh_share_line.run_if(|state: Res<ShareState>| state.open).in_set(AppSystems::SyncVisuals),
        ),
    );
}

/// The egui side: the "Share" window.
pub(super) fn ui_plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        draw_share_window.after(super::lesson::draw_lesson_card).before(super::surface::draw_surface_labels),
    );
}

/// The share window's state: whether it is shown, the current scene's line, the pasted text.
#[derive(Resource, Default, Debug)]
pub struct ShareState {
    /// Whether the window is shown.
    pub open: bool,
    /// The scene on screen as a line (or why it cannot be made), kept up to date while open.
    pub line: Option<Result<String, String>>,
    /// The scene `line` was made from.
    encoded: Option<Scene>,
    /// What the user pasted.
    pub paste: String,
    /// The outcome of the last "Open": a one-line message, and whether it is an error.
    pub message: Option<(String, bool)>,
}

/// Restore the scene of a shared line (text as pasted; surrounding whitespace is ignored).
#[derive(Message, Clone, Debug)]
pub struct OpenSharedLine(pub String);

/// Makes the line of the scene on screen when the window is open and the scene changed.
fn refresh_share_line(settings: Res<SimSettings>, mut state: ResMut<ShareState>) {
    if state.encoded.as_ref() == Some(&settings.scene) {
        return;
    }
    let line = crate::share::encode(&settings.scene, &settings.scene_dir()).map_err(|e| e.to_string());
    state.line = Some(line);
    state.encoded = Some(settings.scene.clone());
}

/// Decodes a shared line and puts its scene on screen; a bad line leaves the scene as it was.
fn open_shared_line(
    mut requests: MessageReader<OpenSharedLine>,
    mut swap: SceneSwap,
    mut state: ResMut<ShareState>,
    mut status: ResMut<StatusLine>,
) {
    let Some(OpenSharedLine(text)) = requests.read().last() else { return };
    match restore(text) {
        Ok((settings, sim)) => {
            let message = format!("opened the shared scene \u{201c}{}\u{201d}", settings.scene.name);
            swap.replace(settings, sim);
            status.info(message.clone());
            state.message = Some((message, false));
        }
        Err(e) => {
            // One line, whatever the decoder said.
            let e = e.lines().next().unwrap_or_default().to_owned();
            status.error(e.clone());
            state.message = Some((e, true));
        }
    }
}

/// The settings and the simulation of a shared line's scene (its data is inline, so no folder
/// is needed).
pub fn restore(text: &str) -> Result<(SimSettings, Simulation), String> {
    let scene = crate::share::decode(text).map_err(|e| e.to_string())?;
    let objective = scene.build_in(Path::new(".")).map_err(|e| format!("shared scene: {e}"))?;
    let settings = SimSettings::new(scene, None);
    let sim = Simulation::new(objective, &settings).map_err(|e| format!("shared scene: {e}"))?;
    Ok((settings, sim))
}

/// The window: this scene's line to copy, a field to paste a line into, and "Open".
pub fn draw_share_window(mut contexts: EguiContexts, mut state: ResMut<ShareState>, mut open: MessageWriter<OpenSharedLine>) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut shown = state.open;
    // Over the middle of the 3D view, not over the side panel's controls.
    let at = ctx.content_rect().center() - egui::vec2(260.0, 220.0);
    egui::Window::new("Share").open(&mut shown).default_width(520.0).default_pos(at).collapsible(false).show(&ctx, |ui| {
        ui.label("This scene as one line (select it and copy it; `losscape open LINE` restores it too):");
        match &state.line {
            Some(Ok(line)) => {
                let mut text = line.as_str();
                ui.add(egui::TextEdit::multiline(&mut text).desired_rows(3).desired_width(f32::INFINITY).code_editor());
                if ui.button("Copy share line").clicked() {
                    ui.ctx().copy_text(line.clone());
                }
            }
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(255, 120, 100), e);
            }
            None => {
                ui.label("…");
            }
        }
        ui.separator();
        ui.label("Paste a line someone shared:");
        let field = ui.add(egui::TextEdit::singleline(&mut state.paste).hint_text("losscape1.…").desired_width(f32::INFINITY));
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Open").clicked() || enter) && !state.paste.trim().is_empty() {
            open.write(OpenSharedLine(state.paste.clone()));
        }
        if let Some((message, error)) = &state.message {
            let color = if *error { Color32::from_rgb(255, 120, 100) } else { Color32::from_rgb(150, 220, 150) };
            ui.colored_label(color, message);
        }
    });
    if shown != state.open {
        state.open = shown;
    }
    Ok(())
}
