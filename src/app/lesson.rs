//! Lesson mode, for the classroom: the lesson's title and its student text (the scene's
//! `description`) in a card above the 3D view, in type large enough for a projector;
//! "Previous" / "Next" buttons (and PageUp / PageDown, or ← / → when no text field has the
//! keyboard) walk through the scenes of `assets/scenes` in file-name order (00, 01, 02, 03, 03b,
//! …, 07b, 07c, …, 12); the side panel hides the advanced controls (network builder details,
//! optimizer hyper-parameters beyond the learning rate, surface and export technicalities).
//! "Explorer mode" brings them back at the normal type size; "Lesson mode" (top right of the
//! view) returns.
//!
//! The app starts in lesson mode on the first lesson when no scene is given (`cargo run`); a
//! scene opened by name (`losscape SCENE`, `losscape open LINE`) starts in explorer mode.
//!
//! Implementation: the keyboard and the buttons send [`GoToLesson`]; `open_lesson` loads the
//! scene in `AppSystems::SwitchScene` (so the simulation steps the new scene in the same frame).
//! The card is an egui top panel between the side panels; its height goes into
//! [`UiLayout::top`](super::camera::UiLayout) so the 3D viewport starts below it and the card
//! never covers the surface. The proportional font gets Hack as a last fallback so the arrows
//! and norms of the formulas (←, →, ‖, ∇) are drawn instead of boxes.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, FontFamily, FontId, RichText, TextStyle};
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::camera::{ResetView, UiLayout};
use super::settings::{SimSettings, StatusLine};
use super::sim::Simulation;
use super::{AppSystems, SceneSwap};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<LessonMode>()
        .add_message::<GoToLesson>()
        .add_message::<ResetView>()
        .add_systems(
            Update,
            read_lesson_keys
                .in_set(AppSystems::ReadInput)
                .run_if(resource_exists::<ButtonInput<KeyCode>>)
                .run_if(|lesson: Res<LessonMode>| lesson.active),
        )
        .add_systems(Update, (track_current_lesson, open_lesson).chain().in_set(AppSystems::SwitchScene));
}

/// The egui side: the type size and the lesson card (needs a window).
pub(super) fn ui_plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        (
            apply_lesson_style.before(super::panel::draw_side_panel).before(super::plots::draw_plots_panel),
            draw_lesson_card
                .after(super::panel::draw_side_panel)
                .after(super::plots::draw_plots_panel)
                .before(super::surface::draw_surface_labels),
        ),
    );
}

/// How much larger the text is in lesson mode than egui's defaults.
pub const LESSON_TEXT_SCALE: f32 = 1.35;

/// Whether the classroom view is on, and the lessons it walks through.
#[derive(Resource, Clone, Debug)]
pub struct LessonMode {
    /// Lesson mode (large type, lesson card, advanced controls hidden) or explorer mode.
    pub active: bool,
    /// The lesson scenes, in file-name order.
    pub lessons: Vec<PathBuf>,
    /// Index in `lessons` of the scene on screen, when it is one of them.
    pub current: Option<usize>,
    /// The scene path `current` was worked out for.
    seen: Option<PathBuf>,
}

impl Default for LessonMode {
    fn default() -> Self {
        Self::new(false, &super::scenes_dir())
    }
}

impl LessonMode {
    /// Lesson mode on or off, over the `.ron` and `.json` scenes of `dir` sorted by file name
    /// (so 05 comes before 05b, and 07b before 07c).
    pub fn new(active: bool, dir: &Path) -> Self {
        let mut lessons: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ron" || e == "json"))
            .collect();
        lessons.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
        Self { active, lessons, current: None, seen: None }
    }

    /// The lesson `step` places after the current one (−1: previous, +1: next), if there is
    /// one. From a scene that is not a lesson, "next" goes to the first lesson.
    pub fn neighbour(&self, step: isize) -> Option<usize> {
        let target = match self.current {
            Some(i) => i.checked_add_signed(step)?,
            None if step > 0 => 0,
            None => return None,
        };
        (target < self.lessons.len()).then_some(target)
    }

    /// Index of the lesson at `path`: the same path, or the same file in the same folder.
    fn position(&self, path: &Path) -> Option<usize> {
        if let Some(i) = self.lessons.iter().position(|l| l == path) {
            return Some(i);
        }
        let real = std::fs::canonicalize(path).ok()?;
        self.lessons.iter().position(|l| std::fs::canonicalize(l).is_ok_and(|l| l == real))
    }
}

/// Open lesson number `.0` (an index into [`LessonMode::lessons`]).
#[derive(Message, Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoToLesson(pub usize);

/// PageDown or → for the next lesson, PageUp or ← for the previous one, unless a text field
/// has the keyboard.
fn read_lesson_keys(
    keys: Res<ButtonInput<KeyCode>>,
    wants: Option<Res<EguiWantsInput>>,
    lesson: Res<LessonMode>,
    mut go: MessageWriter<GoToLesson>,
) {
    if wants.is_some_and(|w| w.wants_any_keyboard_input()) {
        return;
    }
    let step = if keys.any_just_pressed([KeyCode::PageDown, KeyCode::ArrowRight]) {
        1
    } else if keys.any_just_pressed([KeyCode::PageUp, KeyCode::ArrowLeft]) {
        -1
    } else {
        return;
    };
    if let Some(i) = lesson.neighbour(step) {
        go.write(GoToLesson(i));
    }
}

/// Works out which lesson is on screen whenever the scene's file changes (the presets menu and
/// "Open scene" change it too).
fn track_current_lesson(settings: Res<SimSettings>, mut lesson: ResMut<LessonMode>) {
    if lesson.seen == settings.path {
        return;
    }
    let current = settings.path.as_deref().and_then(|p| lesson.position(p));
    lesson.current = current;
    lesson.seen = settings.path.clone();
}

/// Loads the requested lesson; a scene that fails to load leaves the current one and says why.
pub fn open_lesson(
    mut requests: MessageReader<GoToLesson>,
    mut lesson: ResMut<LessonMode>,
    mut swap: SceneSwap,
    mut status: ResMut<StatusLine>,
) {
    let Some(&GoToLesson(i)) = requests.read().last() else { return };
    let Some(path) = lesson.lessons.get(i).cloned() else { return };
    match super::load_scene(&path) {
        Ok((settings, sim)) => {
            swap.replace(settings, sim);
            lesson.current = Some(i);
            lesson.seen = Some(path);
            status.info(format!("lesson {} of {}", i + 1, lesson.lessons.len()));
        }
        Err(e) => status.error(e),
    }
}

/// Large type in lesson mode, egui's defaults in explorer mode; Hack as the last fallback of the
/// proportional font (it has ←, →, ‖ and ∇, which Ubuntu Light lacks).
pub fn apply_lesson_style(mut contexts: EguiContexts, lesson: Res<LessonMode>, mut applied: Local<Option<bool>>) -> Result {
    let ctx = contexts.ctx_mut()?;
    if applied.is_none() {
        let mut fonts = egui::FontDefinitions::default();
        if let Some(family) = fonts.families.get_mut(&FontFamily::Proportional) {
            family.push("Hack".to_owned());
        }
        ctx.set_fonts(fonts);
    }
    if *applied == Some(lesson.active) {
        return Ok(());
    }
    *applied = Some(lesson.active);
    let scale = if lesson.active { LESSON_TEXT_SCALE } else { 1.0 };
    ctx.all_styles_mut(|style| {
        let defaults = egui::Style::default();
        style.text_styles =
            egui::style::default_text_styles().into_iter().map(|(k, f)| (k, FontId::new(f.size * scale, f.family))).collect();
        style.spacing.interact_size = defaults.spacing.interact_size * scale;
        style.spacing.icon_width = defaults.spacing.icon_width * scale;
        style.spacing.icon_width_inner = defaults.spacing.icon_width_inner * scale;
    });
    Ok(())
}

/// The lesson card above the 3D view (lesson mode), or the "Lesson mode" switch in the view's
/// top-right corner (explorer mode).
pub fn draw_lesson_card(
    mut contexts: EguiContexts,
    mut lesson: ResMut<LessonMode>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    mut layout: ResMut<UiLayout>,
    mut go: MessageWriter<GoToLesson>,
    mut share: ResMut<super::share::ShareState>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let screen = ctx.content_rect();
    let between = egui::Rect::from_min_max(
        egui::pos2(screen.min.x + layout.left, screen.min.y),
        egui::pos2(screen.max.x - layout.right, screen.max.y),
    );
    if !lesson.active {
        if layout.top != 0.0 {
            layout.top = 0.0;
        }
        egui::Area::new("mode_switch".into())
            .fixed_pos(egui::pos2(between.max.x - 10.0, between.min.y + 10.0))
            .pivot(egui::Align2::RIGHT_TOP)
            .show(&ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Share…").on_hover_text("copy this scene as one line, or open a line someone shared").clicked() {
                        share.open = !share.open;
                    }
                    if ui.button("Lesson mode").on_hover_text("large type, the lesson's text, previous / next lesson").clicked() {
                        lesson.active = true;
                    }
                });
            });
        return Ok(());
    }
    let mut root =
        egui::Ui::new(ctx.clone(), "root_lesson".into(), egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(between));
    let frame = egui::Frame::side_top_panel(&ctx.global_style()).inner_margin(egui::Margin::symmetric(18, 12));
    let response = egui::Panel::top("lesson").resizable(false).frame(frame).show(&mut root, |ui| {
        draw_card_contents(ui, &mut lesson, &settings, &sim, &mut go, &mut share);
    });
    let height = response.response.rect.height();
    if layout.top != height {
        layout.top = height;
    }
    Ok(())
}

fn draw_card_contents(
    ui: &mut egui::Ui,
    lesson: &mut LessonMode,
    settings: &SimSettings,
    sim: &Simulation,
    go: &mut MessageWriter<GoToLesson>,
    share: &mut super::share::ShareState,
) {
    let body = ui.style().text_styles.get(&TextStyle::Body).map_or(18.0, |f| f.size);
    ui.horizontal(|ui| {
        let previous = lesson.neighbour(-1);
        if ui.add_enabled(previous.is_some(), egui::Button::new("◀ Previous")).on_hover_text("PageUp or ←").clicked() {
            go.write(GoToLesson(previous.unwrap_or_default()));
        }
        let place = match lesson.current {
            Some(i) => format!("lesson {} of {}", i + 1, lesson.lessons.len()),
            None => "not one of the lessons".to_owned(),
        };
        ui.label(RichText::new(place).color(Color32::from_gray(170)));
        let next = lesson.neighbour(1);
        if ui.add_enabled(next.is_some(), egui::Button::new("Next ▶")).on_hover_text("PageDown or →").clicked() {
            go.write(GoToLesson(next.unwrap_or_default()));
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Explorer mode").on_hover_text("every control, normal type size").clicked() {
                lesson.active = false;
            }
            if ui.button("Share…").on_hover_text("copy this scene as one line, or open a line someone shared").clicked() {
                share.open = !share.open;
            }
            let dim = sim.objective().dim();
            ui.label(RichText::new(format!("{dim} parameter{}", if dim == 1 { "" } else { "s" })).color(Color32::from_gray(170)));
        });
    });
    ui.add_space(4.0);
    ui.label(RichText::new(&settings.scene.name).size(body * 1.55).strong().color(Color32::from_rgb(255, 214, 120)));
    if !settings.scene.description.is_empty() {
        ui.add_space(2.0);
        ui.label(RichText::new(&settings.scene.description).size(body * 1.08).color(Color32::from_gray(235)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons() -> LessonMode {
        LessonMode::new(true, &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes"))
    }

    #[test]
    fn lessons_are_in_classroom_order() {
        let names: Vec<String> = lessons().lessons.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        let at = |n: &str| names.iter().position(|x| x.starts_with(n)).unwrap_or_else(|| panic!("{n} missing from {names:?}"));
        assert!(names[0].starts_with("00_"), "the derivative comes first: {names:?}");
        assert!(names[1].starts_with("01_"), "{names:?}");
        assert!(at("05_") < at("05b_") && at("05b_") < at("06_"));
        assert!(at("07_") < at("07b_") && at("07b_") < at("07c_") && at("07c_") < at("08_"));
        assert!(at("03_") < at("03b_") && at("03b_") < at("04_"));
        assert!(at("07c_") < at("07d_") && at("07d_") < at("07e_") && at("07e_") < at("08_"));
        assert!(at("08_") < at("08b_") && at("08b_") < at("10_"));
        assert!(at("10_") < at("10b_") && at("10b_") < at("10c_") && at("10c_") < at("11_"));
        assert!(at("11_") < at("12_"));
        assert!(names.last().unwrap().starts_with("12_"), "{names:?}");
    }

    #[test]
    fn neighbours_stop_at_both_ends() {
        let mut l = lessons();
        let n = l.lessons.len();
        assert_eq!(l.neighbour(1), Some(0), "from a scene that is no lesson, next is the first lesson");
        assert_eq!(l.neighbour(-1), None);
        l.current = Some(0);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (None, Some(1)));
        l.current = Some(n - 1);
        assert_eq!((l.neighbour(-1), l.neighbour(1)), (Some(n - 2), None));
    }

    #[test]
    fn a_lesson_is_found_by_another_spelling_of_its_path() {
        let l = lessons();
        let dotted = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/./scenes").join(l.lessons[2].file_name().unwrap());
        assert_eq!(l.position(&dotted), Some(2));
        assert_eq!(l.position(Path::new("/nonexistent/01_x_squared.ron")), None);
    }
}
