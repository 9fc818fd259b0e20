//! The key under a plot: one swatch and name per curve, wrapped to the panel's width. It
//! replaces egui_plot's legend, which is drawn inside the plot: with seven layers it ran past
//! the gradient-norm plot's bottom, and the loss plot's covered its curves and a tick label.

use bevy_egui::egui::{self, Color32, Stroke};

/// One entry: the curve's name, colour, and whether it is drawn dashed.
pub struct KeyEntry {
    /// What the curve is ("1 SGD lr 0.1", "L3").
    pub name: String,
    /// Its colour in the plot.
    pub colour: Color32,
    /// Drawn dashed (held-out loss).
    pub dashed: bool,
}

/// Swatch length, in points.
const SWATCH: f32 = 14.0;

/// Draws the entries in rows that wrap at the available width; each entry (swatch and name)
/// is one widget, so a name never starts a row without its swatch.
pub fn draw(ui: &mut egui::Ui, entries: &[KeyEntry]) {
    if entries.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 10.0;
        // Smaller than the body text, larger than egui's Small: a projector must show it.
        let body = egui::TextStyle::Body.resolve(ui.style());
        let font = egui::FontId::new(body.size * 0.85, body.family);
        for e in entries {
            let galley = ui.painter().layout_no_wrap(e.name.clone(), font.clone(), ui.visuals().text_color());
            let size = egui::Vec2::new(SWATCH + 4.0 + galley.size().x, galley.size().y.max(10.0));
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let y = rect.center().y;
            let stroke = Stroke::new(2.0, e.colour);
            if e.dashed {
                let dashes = egui::Shape::dashed_line(&[egui::pos2(rect.min.x, y), egui::pos2(rect.min.x + SWATCH, y)], stroke, 3.0, 2.0);
                ui.painter().extend(dashes);
            } else {
                ui.painter().line_segment([egui::pos2(rect.min.x, y), egui::pos2(rect.min.x + SWATCH, y)], stroke);
            }
            ui.painter().galley(egui::pos2(rect.min.x + SWATCH + 4.0, y - galley.size().y / 2.0), galley, Color32::PLACEHOLDER);
        }
    });
}
