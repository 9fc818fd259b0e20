//! Lesson mode on screen, for the classroom: the lesson's title and its student text (the
//! scene's `description`) in a card above the 3D view, in type large enough for a projector,
//! with "Previous" / "Next" and a menu of every lesson (they send `GoToLesson`); "Explorer
//! mode" brings back every control at the normal type size, and "Lesson mode" (top right of
//! the view) returns. The side panel hides the advanced controls itself in lesson mode.
//!
//! The card is an egui top panel between the side panels; its height goes into
//! [`UiLayout::top`] so the 3D viewport starts below it and the card never covers the surface.
//! The proportional font gets Hack as a last fallback so the arrows and norms of the formulas
//! (←, →, ‖, ∇) are drawn instead of boxes.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, FontFamily, FontId, RichText, TextStyle};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use crate::app::record::Recorder;
use crate::app::scenes::{GoToLesson, LessonMode, ShareState};
use crate::app::sets::UiSystems;
use crate::app::settings::{SimSettings, UiLayout, WidgetPlaces};
use crate::app::sim::Simulation;

use super::widgets::place;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, apply_lesson_style.in_set(UiSystems::Style))
        .add_systems(EguiPrimaryContextPass, draw_lesson_card.in_set(UiSystems::LessonCard));
}

/// How much larger the text is in lesson mode than egui's defaults.
pub const LESSON_TEXT_SCALE: f32 = 1.35;

/// Large type in lesson mode, egui's defaults in explorer mode; Hack as the last fallback of the
/// proportional font (it has ←, →, ‖ and ∇, which Ubuntu Light lacks).
fn apply_lesson_style(mut contexts: EguiContexts, lesson: Res<LessonMode>, mut applied: Local<Option<bool>>) -> Result {
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
fn draw_lesson_card(
    mut contexts: EguiContexts,
    mut lesson: ResMut<LessonMode>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    mut layout: ResMut<UiLayout>,
    mut go: MessageWriter<GoToLesson>,
    mut share: ResMut<ShareState>,
    mut places: ResMut<WidgetPlaces>,
    recorder: Res<Recorder>,
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
        // A recording shows the view, its labels and its caption, not these buttons.
        if recorder.is_recording() {
            return Ok(());
        }
        egui::Area::new("mode_switch".into())
            .fixed_pos(egui::pos2(between.max.x - 10.0, between.min.y + 10.0))
            .pivot(egui::Align2::RIGHT_TOP)
            .show(&ctx, |ui| {
                ui.horizontal(|ui| {
                    let button = ui.button("Share…").on_hover_text("copy this scene as one line, or open a line someone shared");
                    places.note("share", place(button.rect));
                    if button.clicked() {
                        share.open = !share.open;
                    }
                    let button = ui.button("Lesson mode").on_hover_text("large type, the lesson's text, previous / next lesson");
                    places.note("lesson-mode", place(button.rect));
                    if button.clicked() {
                        lesson.active = true;
                    }
                });
            });
        return Ok(());
    }
    let mut root =
        egui::Ui::new(ctx.clone(), "root_lesson".into(), egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(between));
    let frame = egui::Frame::side_top_panel(&ctx.global_style()).inner_margin(egui::Margin::symmetric(18, 12));
    let response = egui::Panel::top("lesson")
        .resizable(false)
        .frame(frame)
        .show(&mut root, |ui| draw_card_contents(ui, &lesson, &settings, &sim, &mut go, &mut places));
    // Written only on a click, so the resources change only when something did.
    let clicks = response.inner;
    if clicks.explorer {
        lesson.active = false;
    }
    if clicks.share {
        share.open = !share.open;
    }
    let height = response.response.rect.height();
    if layout.top != height {
        layout.top = height;
    }
    Ok(())
}

/// What was clicked on the lesson card.
#[derive(Clone, Copy, Debug, Default)]
struct CardClicks {
    /// "Explorer mode".
    explorer: bool,
    /// "Share…".
    share: bool,
}

/// The lesson menu: the lesson on screen ("01 · 2 of 24"), and on a click every lesson as
/// "NN — title"; returns the one picked.
fn draw_lesson_picker(ui: &mut egui::Ui, current: Option<usize>) -> Option<usize> {
    let lessons = crate::lessons::LESSONS;
    let shown = match current.and_then(|i| lessons.get(i).map(|l| (i, l))) {
        // The file's number (lesson 0 comes first, so "lesson 1" is the second of the list).
        Some((i, l)) => format!("{} · {} of {}", l.number(), i + 1, lessons.len()),
        None => "not one of the lessons".to_owned(),
    };
    let mut picked = None;
    egui::ComboBox::from_id_salt("lesson_picker")
        .selected_text(shown)
        .height(ui.ctx().content_rect().height() * 0.7)
        .show_ui(ui, |ui| {
            for (i, l) in lessons.iter().enumerate() {
                let text = format!("{} — {}", l.number(), crate::lessons::title(i));
                if ui.selectable_label(current == Some(i), text).clicked() && current != Some(i) {
                    picked = Some(i);
                }
            }
        })
        .response
        .on_hover_text("go to any lesson");
    picked
}

fn draw_card_contents(
    ui: &mut egui::Ui,
    lesson: &LessonMode,
    settings: &SimSettings,
    sim: &Simulation,
    go: &mut MessageWriter<GoToLesson>,
    places: &mut WidgetPlaces,
) -> CardClicks {
    let mut clicks = CardClicks::default();
    let body = ui.style().text_styles.get(&TextStyle::Body).map_or(18.0, |f| f.size);
    ui.horizontal_wrapped(|ui| {
        for (name, step, text, keys) in [("previous", -1, "◀ Previous", "PageUp or ←"), ("next", 1, "Next ▶", "PageDown or →")] {
            let to = lesson.neighbour(step);
            let button = ui.add_enabled(to.is_some(), egui::Button::new(text)).on_hover_text(keys);
            if button.clicked() {
                go.write(GoToLesson(to.unwrap_or_default()));
            }
            places.note(name, place(button.rect));
        }
        if let Some(i) = draw_lesson_picker(ui, lesson.current) {
            go.write(GoToLesson(i));
        }
        let dim = sim.objective().dim();
        ui.label(RichText::new(format!("{dim} parameter{}", if dim == 1 { "" } else { "s" })).color(Color32::from_gray(170)));
        // Right-aligned when the row has room for both buttons; otherwise they follow on the
        // next row (right-aligned in a full row, they were drawn over the lesson's number).
        let font = TextStyle::Button.resolve(ui.style());
        let text = |s: &str| ui.painter().layout_no_wrap(s.to_owned(), font.clone(), Color32::WHITE).size().x;
        let pad = 2.0 * ui.spacing().button_padding.x + ui.spacing().item_spacing.x;
        let needed = text("Explorer mode") + text("Share…") + 2.0 * pad;
        // Share… then Explorer mode, read left to right either way.
        let mut buttons = |ui: &mut egui::Ui, right_to_left: bool| {
            let share = |ui: &mut egui::Ui| ui.button("Share…").on_hover_text("copy this scene as one line, or open a line someone shared");
            let first = (!right_to_left).then(|| share(ui));
            let explorer = ui.button("Explorer mode").on_hover_text("every control, normal type size");
            let share = first.unwrap_or_else(|| share(ui));
            clicks.explorer = explorer.clicked();
            clicks.share = share.clicked();
            places.note("explorer-mode", place(explorer.rect));
            places.note("share", place(share.rect));
        };
        // (In a wrapping row `available_width` is a whole row's; what is left of this one is
        // the rectangle before the wrap.)
        if ui.available_rect_before_wrap().width() >= needed {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| buttons(ui, true));
        } else {
            buttons(ui, false);
        }
    });
    ui.add_space(4.0);
    ui.label(RichText::new(&settings.scene.name).size(body * 1.55).strong().color(Color32::from_rgb(255, 214, 120)));
    if !settings.scene.description.is_empty() {
        ui.add_space(2.0);
        // On a short window (a 720-line projector) the text scrolls rather than squeeze the 3D
        // view below it.
        let room = (ui.ctx().content_rect().height() * 0.34).max(body * 5.0);
        // Asked for the text's own height (up to `room`): a scroll area takes no more than the
        // panel had the frame before, and the panel no more than its contents, so left alone
        // the text stayed at the scroll area's least height, three lines, and was cut
        // mid-sentence on a 1280 × 720 projector with room to spare.
        let wrap = ui.available_width() - ui.spacing().scroll.allocated_width();
        let font = egui::FontId::proportional(body * 1.08);
        let natural = ui.painter().layout(settings.scene.description.clone(), font.clone(), Color32::WHITE, wrap).size().y;
        egui::ScrollArea::vertical().max_height(room).min_scrolled_height(natural.min(room)).auto_shrink([false, true]).show(ui, |ui| {
            ui.label(RichText::new(&settings.scene.description).font(font).color(Color32::from_gray(235)));
        });
    }
    clicks
}
