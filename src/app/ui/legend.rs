//! The legend in the 3D view's bottom-left corner: the colour bar (the loss range of the
//! surface) and one line per run in its colour, with what the arrows, balls and sticks mean.
//! It is held to the view's width and its lines wrap: in lesson mode at 1280×720 the view is
//! about 490 points wide, and one line per run used to run past its right edge.

use bevy_egui::egui::{self, Color32, Pos2, RichText};

use crate::app::sim::Simulation;
use crate::app::surface::ViewMap;
use crate::app::view::{plain, run_colour, viridis};
use crate::core::format;

/// Space between the legend and the view's edges, in points.
const MARGIN: f32 = 12.0;

/// The widest the legend's contents may be in a view `view_width` points wide: the view less
/// the margin on both sides and the frame's own margins (`frame_margin` a side), and never so
/// narrow that a word has no room.
pub fn content_width(view_width: f32, frame_margin: f32) -> f32 {
    (view_width - 2.0 * MARGIN - 2.0 * frame_margin).max(120.0)
}

fn colour(rgb: [f32; 3]) -> Color32 {
    let [r, g, b] = rgb.map(|c| (c.clamp(0.0, 1.0) * 255.0) as u8);
    Color32::from_rgb(r, g, b)
}

/// Draws the legend inside the view `clip` and returns the rectangle it covers (the labels
/// placed after it keep clear of it).
pub fn draw(ctx: &egui::Context, clip: egui::Rect, map: &ViewMap, sim: &Simulation) -> egui::Rect {
    let response = egui::Area::new("legend".into())
        .fixed_pos(Pos2::new(clip.min.x + MARGIN, clip.max.y - MARGIN))
        .pivot(egui::Align2::LEFT_BOTTOM)
        .interactable(false)
        .show(ctx, |ui| {
            let frame = egui::Frame::popup(ui.style());
            let width = content_width(clip.width(), frame.total_margin().sum().x / 2.0);
            frame.show(ui, |ui| {
                ui.set_max_width(width);
                ui.horizontal_top(|ui| {
                    draw_colour_bar(ui, map);
                    ui.separator();
                    ui.vertical(|ui| draw_runs(ui, map, sim));
                });
            });
        });
    response.response.rect
}

fn draw_colour_bar(ui: &mut egui::Ui, map: &ViewMap) {
    let (bar, _) = ui.allocate_exact_size(egui::Vec2::new(14.0, 90.0), egui::Sense::hover());
    let steps = 24;
    for k in 0..steps {
        let t = 1.0 - (k as f64 + 0.5) / steps as f64;
        let y0 = bar.min.y + bar.height() * k as f32 / steps as f32;
        let cell = egui::Rect::from_min_max(Pos2::new(bar.min.x, y0), Pos2::new(bar.max.x, y0 + bar.height() / steps as f32 + 0.5));
        ui.painter().rect_filled(cell, 0.0, colour(viridis(t)));
    }
    let (top, bottom) = format::range_labels(map.height.loss_at(1.0), map.height.loss_at(0.0));
    ui.vertical(|ui| {
        ui.small(format!("loss {top}"));
        ui.add_space(50.0);
        ui.small(format!("loss {bottom}"));
    });
}

/// One line per run (its dot, its label, and on a slice its true loss and distance), then
/// what the drawing means; every line wraps at the legend's width.
fn draw_runs(ui: &mut egui::Ui, map: &ViewMap, sim: &Simulation) {
    for (i, run) in sim.session.runs.iter().enumerate() {
        ui.horizontal_top(|ui| {
            let (dot, _) = ui.allocate_exact_size(egui::Vec2::splat(12.0), egui::Sense::hover());
            ui.painter().circle_filled(dot.center(), 5.5, colour(run_colour(i)));
            let mut label = plain(&run.spec.label());
            if let crate::core::RunStatus::Diverged { step } = run.status {
                label.push_str(&format!("  (stopped at step {step})"));
            }
            if map.land.dim > 2 {
                let d = map.land.plane.project(&run.theta).distance;
                let loss = run.trajectory.last().map_or(f64::NAN, |r| r.loss);
                label.push_str(&format!("  true loss {}, {} off the slice", format::label(loss), format::label(d)));
            }
            ui.add(egui::Label::new(RichText::new(label).small()).wrap());
        });
    }
    if map.land.dim > 2 {
        ui.small("ball: on the slice where its parameters project   stick: to its true loss");
    }
    ui.small("white arrow: -lr*g   coloured arrow: last step");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_fits_the_view_it_is_drawn_in() {
        // Issue 16: lesson mode at 1280×720, a 3D view of 490 points.
        let w = content_width(490.0, 8.0);
        assert!(w + 2.0 * MARGIN + 2.0 * 8.0 <= 490.0, "{w}");
        assert!(w > 400.0);
        // A tiny view still leaves room for a word (the view clips the rest).
        assert_eq!(content_width(60.0, 8.0), 120.0);
    }
}
