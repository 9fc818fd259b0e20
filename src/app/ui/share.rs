//! The Share window: the scene on screen as one `losscape1.…` line (the same as `losscape share
//! SCENE` prints) in a selectable field, and a field to paste a line someone else shared and
//! open it. A bad line gives one line in the window and on the status line; the scene on
//! screen stays and nothing panics. On the web page the window also gives the line as a link
//! (the page's address with the line as its fragment), or, for a scene too large for a link,
//! a button that downloads the scene file; a pasted link opens like a line.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::widgets::place;
use crate::app::files::{FileAction, FileKind};
use crate::app::scenes::{OpenSharedLine, ShareState};
use crate::app::sets::UiSystems;
use crate::app::settings::WidgetPlaces;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, draw_share_window.in_set(UiSystems::Windows));
}

/// The height of the line's and the link's fields: three rows, then they scroll (so the whole
/// window fits a 1280×720 page).
const LONG_FIELD: f32 = 62.0;

/// The window: this scene's line to copy, a field to paste a line into, and "Open".
fn draw_share_window(
    mut contexts: EguiContexts,
    mut state: ResMut<ShareState>,
    mut open: MessageWriter<OpenSharedLine>,
    mut files: MessageWriter<FileAction>,
    mut places: ResMut<WidgetPlaces>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut shown = state.open;
    // Over the middle of the 3D view, not over the side panel's controls.
    let screen = ctx.content_rect();
    let at = screen.center() - egui::vec2(260.0, (screen.height() / 2.0 - 60.0).clamp(0.0, 220.0));
    // A long line or link scrolls in its own field, and the window as a whole scrolls when the
    // screen is short (1280×720, a projector), so the paste field and Open stay reachable.
    let window = egui::Window::new("Share").open(&mut shown).default_width(520.0).default_pos(at).collapsible(false);
    window.vscroll(true).max_height(screen.height() - 80.0).show(&ctx, |ui| {
        ui.label("This scene as one line (select it and copy it; `losscape open LINE` restores it too):");
        match &state.line {
            Some(Ok(line)) => {
                let mut text = line.as_str();
                egui::ScrollArea::vertical().id_salt("share line").max_height(LONG_FIELD).show(ui, |ui| {
                    ui.add(egui::TextEdit::multiline(&mut text).desired_rows(3).desired_width(f32::INFINITY).code_editor());
                });
                if ui.button("Copy share line").clicked() {
                    ui.ctx().copy_text(line.clone());
                }
                match state.link() {
                    Ok(link) => {
                        ui.label("As a link that opens this scene in the browser:");
                        let mut text = link.as_str();
                        egui::ScrollArea::vertical().id_salt("share link").max_height(LONG_FIELD).show(ui, |ui| {
                            ui.add(egui::TextEdit::multiline(&mut text).desired_rows(2).desired_width(f32::INFINITY).code_editor());
                        });
                        if ui.button("Copy link").clicked() {
                            ui.ctx().copy_text(link.clone());
                        }
                    }
                    Err(0) => {}
                    Err(long) => {
                        ui.label(format!("This scene is too large for a link ({long} characters); send it as a file:"));
                        if ui.button("Download the scene file").clicked() {
                            files.write(FileAction { kind: FileKind::SaveScene, path: "shared-scene.ron".into() });
                        }
                    }
                }
            }
            Some(Err(e)) => {
                ui.colored_label(Color32::from_rgb(255, 120, 100), e.to_string());
            }
            None => {
                ui.label("…");
            }
        }
        ui.separator();
        ui.label("Paste a line someone shared:");
        let hint = if state.address.is_some() { "losscape1.… or a link" } else { "losscape1.…" };
        let field = ui.add(egui::TextEdit::singleline(&mut state.paste).hint_text(hint).desired_width(f32::INFINITY));
        places.note("share-paste", place(field.rect));
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let button = ui.button("Open");
        places.note("share-open", place(button.rect));
        if (button.clicked() || enter) && !state.paste.trim().is_empty() {
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
