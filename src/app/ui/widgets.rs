//! Shared pieces of the side panel's sections (`panel`, `objective`, `runs`,
//! `surface_controls`): the colours and the swatch, and what every section reads
//! ([`PanelView`]), sends ([`PanelActions`]) and keeps between frames ([`PanelState`]).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32};

use crate::app::ball::CurveReadout;
use crate::app::files::FileAction;
use crate::app::landscape::{GridTask, SurfaceGrid};
use crate::app::record::{Recorder, ToggleRecording};
use crate::app::scenes::{GoToLesson, LessonMode};
use crate::app::settings::{Play, RebuildObjective, RecomputeSurface, Reset, ResetView, StatusLine, StepOnce};
use crate::app::sim::Simulation;
use crate::app::view::run_colour;
use crate::core::DataSpec;

/// A widget's rectangle as [`crate::app::settings::WidgetPlaces`] keeps it.
pub fn place(r: egui::Rect) -> [f32; 4] {
    [r.min.x, r.min.y, r.width(), r.height()]
}

/// Red for messages about input the app did not apply.
pub const ERROR_RED: Color32 = Color32::from_rgb(255, 120, 100);

/// Drafts of text fields, applied on Enter. The panel edits a copy and writes it back only when
/// a draft really changed, as it does the scene.
#[derive(Resource, Default, Clone, PartialEq)]
pub struct PanelState {
    /// The typed function's expression being edited (`None`: the applied one).
    pub expr: Option<String>,
    /// The CSV file's path being edited.
    pub csv: String,
    /// The CSV's target columns being edited.
    pub csv_target: String,
    /// "CSV file" was chosen as the data while the scene's data was this (generated or inline):
    /// the CSV's fields (or the page's file picker) stay shown while the data is unchanged, so
    /// until a file is loaded, a lesson opened or another source chosen. Without it the choice
    /// lasted one frame, as the data had not changed yet.
    pub csv_chosen: Option<DataSpec>,
    /// The path (on a page, the download's name) in the Files section, and the scene's own name
    /// it was filled with; `None` until the section is first drawn.
    pub file: Option<FileField>,
}

/// The Files section's path field.
#[derive(Clone, Debug, PartialEq)]
pub struct FileField {
    /// The scene's path or name when the field was filled: another scene opened refills it.
    pub filled_for: String,
    /// What the field holds (typed or filled).
    pub text: String,
}

impl FileField {
    /// The field's text: filled with `own` (the scene's path or name) when first drawn and when
    /// another scene is opened; otherwise what the user typed, even nothing (a field refilled
    /// whenever it was empty put the old name back mid-typing once the user had erased it).
    pub fn text_for(field: &mut Option<FileField>, own: String) -> &mut String {
        if field.as_ref().is_none_or(|f| f.filled_for != own) {
            *field = Some(FileField { text: own.clone(), filled_for: own });
        }
        &mut field.as_mut().expect("filled above").text
    }
}

/// The messages the panel can send, and the play state it can ask for.
#[derive(SystemParam)]
pub struct PanelActions<'w> {
    /// Restart the runs.
    pub reset: MessageWriter<'w, Reset>,
    /// One step.
    pub step: MessageWriter<'w, StepOnce>,
    /// Build the edited objective.
    pub rebuild: MessageWriter<'w, RebuildObjective>,
    /// Compute a new grid.
    pub recompute: MessageWriter<'w, RecomputeSurface>,
    /// Put the camera back.
    pub view: MessageWriter<'w, ResetView>,
    /// Read or write a file.
    pub files: MessageWriter<'w, FileAction>,
    /// Open a lesson (the presets menu).
    pub lesson: MessageWriter<'w, GoToLesson>,
    /// Start or stop recording a GIF.
    pub record: MessageWriter<'w, ToggleRecording>,
    /// Play or pause (from the next frame on).
    pub play: ResMut<'w, NextState<Play>>,
}

/// What the panel reads but does not edit.
#[derive(SystemParam)]
pub struct PanelView<'w> {
    /// Playing or paused.
    pub play: Res<'w, State<Play>>,
    /// The runs.
    pub sim: Res<'w, Simulation>,
    /// The status line.
    pub status: Res<'w, StatusLine>,
    /// The grid in flight, for its progress bar.
    pub tasks: Res<'w, GridTask>,
    /// The grid on screen.
    pub grid: Res<'w, SurfaceGrid>,
    /// The tangent and the secant of a curve.
    pub readout: Res<'w, CurveReadout>,
    /// Lesson mode hides the advanced controls.
    pub lesson: Res<'w, LessonMode>,
    /// The recording in progress, if any.
    pub recorder: Res<'w, Recorder>,
}

/// A side panel's first width: `share` of the window's, between `min` and `max` logical
/// pixels — on a 1280-wide projector the panels leave the 3D view more than half the width.
pub fn panel_width(window: f32, share: f32, min: f32, max: f32) -> f32 {
    (window * share).clamp(min, max)
}

/// A small filled circle (a run's colour, or a lit indicator).
pub fn swatch(ui: &mut egui::Ui, color: Color32, filled: bool) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::Vec2::splat(12.0), egui::Sense::hover());
    if filled {
        ui.painter().circle_filled(rect.center(), 5.0, color);
    } else {
        ui.painter().circle_stroke(rect.center(), 5.0, egui::Stroke::new(1.5, color));
    }
    response
}

/// Run `i`'s colour for egui.
pub fn color32(i: usize) -> Color32 {
    let [r, g, b] = run_colour(i);
    Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::FileField;

    #[test]
    fn the_file_name_follows_the_scene_opened_but_not_an_erased_field() {
        let mut field = None;
        assert_eq!(FileField::text_for(&mut field, "03_hours_studied.ron".into()), "03_hours_studied.ron");
        // Erased to type another name: it stays empty, then holds what was typed.
        FileField::text_for(&mut field, "03_hours_studied.ron".into()).clear();
        assert_eq!(FileField::text_for(&mut field, "03_hours_studied.ron".into()), "");
        FileField::text_for(&mut field, "03_hours_studied.ron".into()).push_str("grid.csv");
        assert_eq!(FileField::text_for(&mut field, "03_hours_studied.ron".into()), "grid.csv");
        // Another scene opened: its name.
        assert_eq!(FileField::text_for(&mut field, "bowl.ron".into()), "bowl.ron");
    }
}
