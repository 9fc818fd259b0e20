//! The left panel: play / pause / step / reset, live numbers per run, then the sections —
//! the objective (`objective.rs`), the runs (`runs.rs`), the surface (`surface_controls.rs`)
//! and files (open, save, export).
//!
//! UI only edits data (STYLE.md (c) 7): widgets edit a copy of `SimSettings` and
//! `ViewSwitches`, which goes back only when a value really changed (so change detection fires
//! on real edits, not on every frame the panel is drawn), and send messages; the systems in
//! `Update` rebuild, step and write files. Under egui's multi-pass this system may run twice in
//! a frame, which is harmless for that reason.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::objective::draw_objective;
use super::runs::draw_runs;
use super::surface_controls::draw_surface;
use super::widgets::{ERROR_RED, FileField, PanelActions, PanelState, PanelView, color32, place, swatch};
use crate::app::files::{FileAction, FileKind};
use crate::app::sets::UiSystems;
use crate::app::settings::{Play, Reset, ResetView, SimSettings, StepOnce, UiLayout, ViewSwitches, WidgetPlaces};
use crate::app::view::plain;
use crate::core::RunStatus;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PanelState>().add_systems(EguiPrimaryContextPass, draw_side_panel.in_set(UiSystems::SidePanel));
}

/// Everything the side panel reads and edits.
#[derive(SystemParam)]
pub struct SidePanel<'w> {
    settings: ResMut<'w, SimSettings>,
    switches: ResMut<'w, ViewSwitches>,
    state: ResMut<'w, PanelState>,
    layout: ResMut<'w, UiLayout>,
    places: ResMut<'w, WidgetPlaces>,
    view: PanelView<'w>,
    actions: PanelActions<'w>,
}

/// Draws the panel and records its width for the 3D viewport.
fn draw_side_panel(mut contexts: EguiContexts, mut panel: SidePanel) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    panel.show(&ctx);
    Ok(())
}

impl SidePanel<'_> {
    /// Draws the panel in `ctx`. The scene and the switches are edited as copies and written
    /// back only when they differ, so a frame without an edit leaves them unchanged.
    pub(crate) fn show(&mut self, ctx: &egui::Context) {
        let mut settings = self.settings.clone();
        let mut switches = *self.switches;
        let mut drafts = self.state.clone();
        let (state, view, actions) = (&mut drafts, &self.view, &mut self.actions);
        let places = &mut *self.places;
        let mut root = egui::Ui::new(
            ctx.clone(),
            "root_left".into(),
            egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.content_rect()),
        );
        let width = super::widgets::panel_width(ctx.content_rect().width(), 0.25, 270.0, 370.0);
        let response = egui::Panel::left("controls").default_size(width).resizable(true).show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                places.note("record", place(draw_header(ui, &mut settings, view, actions)));
                draw_live_numbers(ui, view);
                // Lesson mode hides the network builder and the files (the lesson card shows the parameter count).
                if !view.lesson.active {
                    egui::CollapsingHeader::new(RichText::new("Objective").strong())
                        .default_open(true)
                        .show(ui, |ui| draw_objective(ui, &mut settings, state, view, actions, places));
                }
                egui::CollapsingHeader::new(RichText::new("Runs").strong())
                    .default_open(true)
                    .show(ui, |ui| draw_runs(ui, &mut settings, view));
                egui::CollapsingHeader::new(RichText::new("Surface").strong())
                    .default_open(true)
                    .show(ui, |ui| draw_surface(ui, &mut settings, &mut switches, view, actions));
                if !view.lesson.active {
                    let files = egui::CollapsingHeader::new(RichText::new("Files").strong())
                        .default_open(false)
                        .show(ui, |ui| draw_files(ui, &settings, state, actions, places));
                    places.note("files", place(files.header_response.rect));
                }
            });
        });
        self.settings.set_if_neq(settings);
        self.switches.set_if_neq(switches);
        self.state.set_if_neq(drafts);
        let width = response.response.rect.width();
        if self.layout.left != width {
            self.layout.left = width;
        }
    }
}

/// The header's buttons and step counter; returns where the Record button is.
fn draw_header(ui: &mut egui::Ui, settings: &mut SimSettings, view: &PanelView, actions: &mut PanelActions) -> egui::Rect {
    // In lesson mode the lesson card above the view shows the title and the text.
    if !view.lesson.active {
        ui.heading(plain(&settings.scene.name));
    }
    if !settings.scene.description.is_empty() && !view.lesson.active {
        egui::CollapsingHeader::new("About this lesson").default_open(false).show(ui, |ui| ui.label(plain(&settings.scene.description)));
    }
    let record_button = ui.horizontal(|ui| draw_buttons(ui, settings, view, actions)).inner;
    if let Some(n) = view.recorder.frames() {
        ui.colored_label(ERROR_RED, format!("● recording: {n} frames"));
    }
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut settings.scene.steps_per_frame, 1..=200).logarithmic(true).text("steps/frame"));
    });
    ui.horizontal(|ui| {
        ui.label(format!("step {} of", view.sim.steps()));
        ui.add(egui::DragValue::new(&mut settings.scene.steps).range(1..=crate::scene::MAX_STEPS).speed(10.0));
    });
    if !view.status.text.is_empty() {
        let color = if view.status.error { ERROR_RED } else { Color32::from_rgb(150, 220, 150) };
        ui.colored_label(color, &view.status.text);
    }
    ui.separator();
    record_button
}

/// Play / pause, step, reset, reset view and record; returns where the Record button is.
fn draw_buttons(ui: &mut egui::Ui, settings: &SimSettings, view: &PanelView, actions: &mut PanelActions) -> egui::Rect {
    let play = *view.play.get();
    let label = if play == Play::Playing { "⏸ Pause" } else { "▶ Play" };
    if ui.button(label).on_hover_text("Space").clicked() {
        actions.play.set(play.toggled());
    }
    if ui.button("Step").on_hover_text("S").clicked() {
        actions.play.set(Play::Paused);
        actions.step.write(StepOnce);
    }
    if ui.button("⟲ Reset").on_hover_text("R").clicked() {
        actions.reset.write(Reset);
    }
    if ui.button("Reset view").clicked() {
        actions.view.write(ResetView);
    }
    // No wider than "● Record" (the count goes on its own line below): a wider button
    // would widen the panel mid-recording and move the 3D view the frames are cut from.
    let record = if view.recorder.is_recording() { "■ Stop" } else { "● Record" };
    let hint = if cfg!(target_arch = "wasm32") { "downloads" } else { "is written to the current folder" };
    let button = ui.button(record).on_hover_text(format!(
        "a GIF of the 3D view from this step to the last, {} frames a second (it {hint}); click again to stop and keep what was recorded",
        crate::app::record::DEFAULT_FPS
    ));
    if button.clicked() {
        let stem = settings.file_name().and_then(|n| n.rsplit_once('.').map(|(s, _)| s.to_owned())).unwrap_or_else(|| "losscape".into());
        actions.record.write(crate::app::record::ToggleRecording { path: format!("{stem}.gif").into() });
    }
    button.rect
}

fn draw_live_numbers(ui: &mut egui::Ui, view: &PanelView) {
    egui::Grid::new("live").striped(true).num_columns(5).show(ui, |ui| {
        ui.label("run");
        ui.label("step");
        ui.label("loss");
        ui.label("|g|");
        ui.label("clip");
        ui.end_row();
        for (i, run) in view.sim.session.runs.iter().enumerate() {
            let last = run.trajectory.last();
            ui.horizontal(|ui| {
                swatch(ui, color32(i), true);
                ui.label(format!("{}", i + 1));
            })
            .response
            .on_hover_text(plain(&run.spec.label()));
            ui.label(run.steps().to_string());
            match run.status {
                RunStatus::Diverged { step } => ui.colored_label(Color32::from_rgb(255, 90, 80), format!("✖ stopped @{step}")),
                // Right-aligned to a fixed width, so the column keeps its size whatever the
                // value: egui sizes a grid's columns from the last frame, and a wider number
                // after a lesson switch ran into the next column for a frame.
                RunStatus::Running => ui.monospace(last.map_or("–".into(), |r| format!("{:>10.5e}", r.loss))),
            };
            ui.monospace(last.map_or("–".into(), |r| format!("{:>8.3e}", r.grad_norm)));
            let fired = last.is_some_and(|r| r.clipped);
            if run.spec.clip.is_some() {
                let color = if fired { Color32::from_rgb(255, 200, 40) } else { Color32::from_gray(70) };
                swatch(ui, color, true).on_hover_text("lit on the steps where clipping fires");
            } else {
                ui.label("off");
            }
            ui.end_row();
        }
    });
}

fn draw_files(ui: &mut egui::Ui, settings: &SimSettings, state: &mut PanelState, actions: &mut PanelActions, places: &mut WidgetPlaces) {
    let own = match &settings.path {
        Some(p) => p.display().to_string(),
        None => settings.file_name().unwrap_or_else(|| "scene.ron".into()),
    };
    let file = FileField::text_for(&mut state.file, own);
    // In the browser every written file is a download with this name, and "Open scene" asks
    // the file picker.
    let web = cfg!(target_arch = "wasm32");
    ui.horizontal(|ui| {
        ui.label(if web { "name" } else { "path" });
        places.note("file-name", place(ui.text_edit_singleline(file).rect));
    });
    let path = std::path::PathBuf::from(file.as_str());
    let mut send = |kind| {
        actions.files.write(FileAction { kind, path: path.clone() });
    };
    // Each button's place is noted for the page's scripts and the browser test.
    let buttons = [
        ("Open scene", "", "open-scene", FileKind::OpenScene),
        ("Save scene", ".ron or .json", "save-scene", FileKind::SaveScene),
        ("Trajectory", ".csv or .json", "trajectory", FileKind::Trajectory),
        ("Grid", ".csv or .json", "grid", FileKind::Grid),
        ("Mesh", ".obj or .ply", "mesh", FileKind::Mesh),
        ("Loss plot", ".png: loss against step for every run", "loss-plot", FileKind::LossPlot),
        ("Screenshot", ".png", "screenshot", FileKind::Screenshot),
    ];
    ui.horizontal_wrapped(|ui| {
        for (label, hover, name, kind) in buttons {
            let mut button = ui.button(label);
            if !hover.is_empty() {
                button = button.on_hover_text(hover);
            }
            places.note(name, place(button.rect));
            if button.clicked() {
                send(kind);
            }
        }
    });
    ui.small(if web {
        "Type a file name (its extension picks the format), then press a button: the file downloads. Open scene asks for a file."
    } else {
        "Type a path (its extension picks the format), then press a button. Files are written atomically."
    });
}
