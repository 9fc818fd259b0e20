//! The side panel's Surface section: vertices per side, span, slice directions and recentring
//! (explorer mode), log height, wireframe and contours, the view switches (trails, arrows), the
//! secant's h for a curve, and the grid's progress. Changes that need a new grid send
//! `RecomputeSurface`.

use bevy_egui::egui;

use super::widgets::{PanelActions, PanelView};
use crate::app::landscape::RES_RANGE;
use crate::app::settings::{RecomputeSurface, SimSettings, ViewSwitches};
use crate::core::landscape::Directions;

pub(super) fn draw_surface(
    ui: &mut egui::Ui,
    settings: &mut SimSettings,
    switches: &mut ViewSwitches,
    view: &PanelView,
    actions: &mut PanelActions,
) {
    let dim = view.sim.objective().dim();
    let mut recompute = false;
    let surface = &mut settings.scene.surface;
    let resp = ui.add(egui::Slider::new(&mut surface.res, RES_RANGE).logarithmic(true).text("vertices per side"));
    recompute |= resp.changed();
    // Lesson mode keeps the vertex count, heights, trails, arrows and the secant; the span,
    // slice directions and line overlays are explorer details.
    if !view.lesson.active {
        ui.horizontal(|ui| {
            let mut auto = surface.span.is_none();
            if ui.checkbox(&mut auto, "auto span").changed() {
                surface.span =
                    if auto { None } else { Some(view.grid.current.as_ref().map_or(1.0, |l| 0.5 * (l.ranges()[0].1 - l.ranges()[0].0))) };
                recompute = true;
            }
            if let Some(span) = &mut surface.span {
                recompute |= ui.add(egui::DragValue::new(span).range(1e-3..=1e4).speed(0.02).prefix("± ")).changed();
            }
        });
    }
    if dim > 2 && !view.lesson.active {
        recompute |= draw_directions(ui, &mut surface.directions);
        if ui.button("Recentre on ball 1").on_hover_text("slice through run 1's current parameters").clicked() {
            // Saved with the scene, so `losscape surface` slices here too.
            if let Some(run) = view.sim.session.runs.first() {
                settings.scene.surface.center = crate::scene::Center::At(run.theta.clone());
                recompute = true;
            }
        }
    }
    let surface = &mut settings.scene.surface;
    ui.horizontal(|ui| {
        ui.checkbox(&mut surface.log_height, "log height");
        if !view.lesson.active {
            ui.checkbox(&mut surface.wireframe, "wireframe");
            ui.checkbox(&mut surface.contours, "contours");
        }
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut switches.show_trails, "trails");
        ui.checkbox(&mut switches.show_gradient, "−lr·g arrow");
        ui.checkbox(&mut switches.show_step, "step arrow");
    });
    if view.readout.shown {
        ui.add(egui::Slider::new(&mut switches.secant_h, 1e-4..=2.0).logarithmic(true).text("secant h"));
        let r = *view.readout;
        ui.monospace(format!(
            "x = {:.5}  f(x) = {:.5}\ntangent f'(x)        = {:.6}\nsecant (f(x+h)-f(x))/h = {:.6}",
            r.a, r.f, r.tangent, r.secant
        ));
    }
    if let Some(p) = view.tasks.progress() {
        let what = if view.tasks.refining() { "refining the coarse surface shown…" } else { "computing the surface…" };
        ui.add(egui::ProgressBar::new(p).text(what));
    }
    if recompute {
        actions.recompute.write(RecomputeSurface);
    }
}

fn draw_directions(ui: &mut egui::Ui, directions: &mut Directions) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label("slice");
        let is = |d: &Directions| std::mem::discriminant(d);
        let choices =
            [Directions::Axes { i: 0, j: 1 }, Directions::Random { seed: 0, include_bias: false }, Directions::Pca, Directions::Hessian];
        for choice in choices {
            let name = match choice {
                Directions::Random { .. } => "random",
                Directions::Pca => "PCA of path",
                Directions::Hessian => "Hessian",
                Directions::Axes { .. } => "θ0, θ1",
            };
            if ui.selectable_label(is(&choice) == is(directions), name).clicked() && is(&choice) != is(directions) {
                *directions = choice;
                changed = true;
            }
        }
        if let Directions::Random { seed, .. } = directions {
            changed |= ui.add(egui::DragValue::new(seed).prefix("seed ")).changed();
        }
    });
    changed
}
