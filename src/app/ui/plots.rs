//! The right panel: training and held-out loss against step for every run (log scale), the
//! data under the network's current output, each layer's gradient norm over the steps for one
//! run (vanishing and exploding gradients show as lines drifting apart), the same norms now for
//! every run, and the dead-ReLU count. The numbers come from the simulation's history and from
//! `Diagnostics`; this file only draws them.
//!
//! Every curve is cut at the loss plots' one ceiling ([`loss_ceiling`]: at most
//! [`DIVERGED_DECADES`](crate::cli::plot::DIVERGED_DECADES) above the healthy runs), and a run
//! that stopped ends in a cross there, so one exploding run does not squash the others into a
//! flat line at the bottom of the plot.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};
use egui_plot::{Line, LineStyle, MarkerShape, Plot, PlotImage, PlotPoint, PlotPoints, Points};

use super::log_axis;
use super::plot_key::{self, KeyEntry};
use super::widgets::color32;
use crate::app::diagnostics::Diagnostics;
use crate::app::sets::UiSystems;
use crate::app::settings::UiLayout;
use crate::app::sim::Simulation;
use crate::app::view::plain;
use crate::cli::plot::{Scale, loss_ceiling};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, draw_plots_panel.in_set(UiSystems::PlotsPanel));
}

/// Most points drawn per loss curve.
const MAX_POINTS: usize = 400;

/// The heat-map's two textures. A texture set in one frame reaches the GPU only for the next,
/// so updating the one on screen made the map flash blank at every refresh: the new image goes
/// into the other texture, which is shown from the next frame on.
#[derive(Default)]
pub struct HeatTextures {
    slots: [Option<(u64, egui::TextureHandle)>; 2],
    shown: Option<usize>,
    /// The slot written last and the frame it was written in.
    fresh: Option<(usize, u64)>,
}

impl HeatTextures {
    fn update(&mut self, ctx: &egui::Context, diag: &Diagnostics) {
        let frame = ctx.cumulative_frame_nr();
        if let Some((slot, written)) = self.fresh
            && written < frame
        {
            self.shown = Some(slot);
            self.fresh = None;
        }
        let newest = self.slots.iter().flatten().map(|(v, _)| *v).max();
        let Some(image) = diag.heat.clone().filter(|_| newest != Some(diag.version)) else { return };
        let target = match self.shown {
            Some(s) => 1 - s,
            None => 0,
        };
        match &mut self.slots[target] {
            Some((v, handle)) => {
                handle.set(image, egui::TextureOptions::LINEAR);
                *v = diag.version;
            }
            empty => *empty = Some((diag.version, ctx.load_texture(format!("heat{target}"), image, egui::TextureOptions::LINEAR))),
        }
        self.fresh = Some((target, frame));
    }

    fn shown(&self) -> Option<egui::TextureId> {
        self.shown.and_then(|s| self.slots[s].as_ref()).map(|(_, t)| t.id())
    }
}

/// Draws the plots panel and records its width for the 3D viewport.
fn draw_plots_panel(
    mut contexts: EguiContexts,
    sim: Res<Simulation>,
    diag: Res<Diagnostics>,
    mut layout: ResMut<UiLayout>,
    mut heat: Local<HeatTextures>,
    mut history_run: Local<usize>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    heat.update(&ctx, &diag);
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root_right".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.content_rect()),
    );
    let width = super::widgets::panel_width(ctx.content_rect().width(), 0.23, 240.0, 330.0);
    let response = egui::Panel::right("plots").default_size(width).resizable(true).show(&mut root, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            let scale = if loss_axis(&sim) { "log scale" } else { "linear scale" };
            ui.label(RichText::new(format!("Loss ({scale}; dashed: held out)")).strong());
            draw_loss_plot(ui, &sim);
            if sim.objective().network().is_some() {
                ui.label(RichText::new(format!("Data and the network's output (run {})", diag.preview_run + 1)).strong());
                draw_data_preview(ui, &diag, heat.shown());
                draw_norm_history(ui, &sim, &mut history_run);
                // With one layer the history above says it all.
                if diag.layer_norms.first().is_some_and(|n| n.len() > 1) {
                    ui.label(RichText::new("Gradient norm per layer now, every run").strong());
                    draw_layer_norms(ui, &diag);
                }
                draw_dead_units(ui, &diag);
            }
        });
    });
    let width = response.response.rect.width();
    if layout.right != width {
        layout.right = width;
    }
    Ok(())
}

fn decimated(n: usize) -> impl Iterator<Item = usize> {
    let stride = n.div_ceil(MAX_POINTS).max(1);
    (0..n).step_by(stride).chain((n > 0 && !(n - 1).is_multiple_of(stride)).then_some(n - 1))
}

/// Log10 of positive losses; the losses themselves when some are ≤ 0 (a typed function).
fn loss_axis(sim: &Simulation) -> bool {
    sim.session.runs.iter().all(|r| r.trajectory.records.iter().all(|x| x.loss > 0.0 || x.loss.is_nan()))
}

/// A plot whose y axis is log10 of its values: our ticks and labels, and room for the widest
/// label ("1e-10") from the first frame on (egui_plot sizes the axis from the labels it drew
/// the frame before, so a new, wider label was cut to "1e-" for a frame or more).
fn log_y<'a>(ui: &egui::Ui, plot: Plot<'a>) -> Plot<'a> {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let widest = ui.painter().layout_no_wrap("1e-10".to_owned(), font, Color32::WHITE).size().x;
    plot.y_grid_spacer(log_axis::spacer).y_axis_formatter(log_axis::label).y_axis_min_width(widest + 10.0)
}

fn draw_loss_plot(ui: &mut egui::Ui, sim: &Simulation) {
    let log = loss_axis(sim);
    let y = move |l: f64| if log { (l > 0.0 && l.is_finite()).then(|| l.log10()) } else { l.is_finite().then_some(l) };
    // Healthy: still running (a run that diverged or left the landscape counts by its start).
    let runs: Vec<_> = sim.session.runs.iter().map(|r| (r.is_running(), r.trajectory.records.iter().map(|x| x.loss))).collect();
    let ceiling = loss_ceiling(&runs, if log { Scale::Log } else { Scale::Linear });
    // (name, training curve, end mark of a stopped run, held-out curve) per run.
    let mut curves = Vec::new();
    for (i, run) in sim.session.runs.iter().enumerate() {
        let rec = &run.trajectory.records;
        // Drawn up to the last point under the ceiling (a healthy run lies wholly under it); a
        // stopped run is marked there.
        let end = rec.iter().position(|r| y(r.loss).is_none() || ceiling.is_some_and(|c| r.loss > c)).unwrap_or(rec.len());
        let rec = &rec[..end];
        let train: Vec<[f64; 2]> = decimated(rec.len()).filter_map(|k| y(rec[k].loss).map(|v| [rec[k].step as f64, v])).collect();
        let mark = (!run.is_running()).then(|| rec.last().and_then(|r| y(r.loss).map(|v| [r.step as f64, v]))).flatten();
        let held: Option<Vec<[f64; 2]>> = rec
            .first()
            .is_some_and(|r| r.holdout_loss.is_some())
            .then(|| decimated(rec.len()).filter_map(|k| rec[k].holdout_loss.and_then(y).map(|v| [rec[k].step as f64, v])).collect());
        curves.push((format!("{} {}", i + 1, plain(&run.spec.label())), train, mark, held));
    }
    // A flat curve (a dead ReLU, a converged run) would otherwise stretch to ±30 decades.
    let values = curves.iter().flat_map(|(_, t, _, h)| t.iter().chain(h.iter().flatten()).map(|p| p[1]));
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let mut plot = Plot::new("loss").height(190.0).x_axis_label("step").allow_scroll(false);
    if lo.is_finite() {
        let margin = if log { 0.25 } else { 0.05 * hi.abs().max(lo.abs()).max(1e-9) };
        plot = plot.include_y(lo - margin).include_y(hi + margin);
    }
    if log {
        plot = log_y(ui, plot);
    }
    let mut key = Vec::new();
    for (i, (name, _, _, held)) in curves.iter().enumerate() {
        key.push(KeyEntry { name: name.clone(), colour: color32(i), dashed: false });
        if held.is_some() {
            key.push(KeyEntry { name: format!("{} held out", i + 1), colour: color32(i), dashed: true });
        }
    }
    plot.show(ui, |plot| {
        for (i, (name, train, mark, held)) in curves.into_iter().enumerate() {
            plot.line(Line::new(name.clone(), PlotPoints::from(train)).color(color32(i)).width(2.0));
            if let Some(last) = mark {
                plot.points(Points::new(name, vec![last]).shape(MarkerShape::Cross).radius(6.0).color(color32(i)));
            }
            if let Some(held) = held {
                let line = Line::new(format!("{} held out", i + 1), PlotPoints::from(held));
                plot.line(line.color(color32(i)).style(LineStyle::dashed_loose()));
            }
        }
    });
    plot_key::draw(ui, &key);
}

/// Colour of layer `l` of `n`: dark blue (first) to yellow (output), so depth reads as colour.
fn layer_color(l: usize, n: usize) -> Color32 {
    let t = if n > 1 { l as f32 / (n - 1) as f32 } else { 1.0 };
    let (a, b) = ([70.0, 110.0, 250.0], [250.0, 220.0, 40.0]);
    let c = |k: usize| (a[k] + (b[k] - a[k]) * t) as u8;
    Color32::from_rgb(c(0), c(1), c(2))
}

/// ‖∂L/∂θ_l‖ of every layer against step for one run, log scale: with deep sigmoids the
/// first layers' lines sit decades below the last's (vanishing gradients); with a large init
/// they all climb (exploding gradients).
fn draw_norm_history(ui: &mut egui::Ui, sim: &Simulation, selected: &mut usize) {
    let runs = sim.session.runs.len();
    *selected = (*selected).min(runs.saturating_sub(1));
    ui.horizontal(|ui| {
        ui.label(RichText::new("Gradient norm per layer over steps").strong());
        if runs > 1 {
            egui::ComboBox::from_id_salt("history_run").selected_text(format!("run {}", *selected + 1)).width(60.0).show_ui(ui, |ui| {
                for i in 0..runs {
                    ui.selectable_value(selected, i, RichText::new(format!("run {}", i + 1)).color(color32(i)));
                }
            });
        }
    });
    let Some(history) = sim.layer_norms.get(*selected) else { return };
    let layers = history.norms.first().map_or(0, Vec::len);
    log_y(ui, Plot::new("norm_history").height(150.0).x_axis_label("step").allow_scroll(false)).show(ui, |plot| {
        for l in 0..layers {
            let pts: PlotPoints = decimated(history.steps.len())
                .filter_map(|k| {
                    let v = history.norms[k][l];
                    (v > 0.0 && v.is_finite()).then(|| [history.steps[k] as f64, v.log10()])
                })
                .collect();
            plot.line(Line::new(layer_name(l, layers), pts).color(layer_color(l, layers)).width(1.5));
        }
    });
    let key: Vec<KeyEntry> =
        (0..layers).map(|l| KeyEntry { name: layer_name(l, layers), colour: layer_color(l, layers), dashed: false }).collect();
    plot_key::draw(ui, &key);
    // A log axis cannot show 0, which is exactly what a dead ReLU passes back: say so.
    if let Some(last) = history.norms.last() {
        let zero: Vec<String> = (0..layers).filter(|&l| last[l] == 0.0).map(|l| layer_name(l, layers)).collect();
        if !zero.is_empty() {
            ui.colored_label(Color32::from_rgb(255, 120, 100), format!("gradient exactly 0 now (not drawn): {}", zero.join(", ")));
        }
    }
}

fn layer_name(l: usize, layers: usize) -> String {
    if l + 1 == layers { "out".to_string() } else { format!("L{}", l + 1) }
}

fn draw_data_preview(ui: &mut egui::Ui, diag: &Diagnostics, texture: Option<egui::TextureId>) {
    let [bx, by] = diag.bounds;
    let mut plot = Plot::new("data").height(230.0).data_aspect(if diag.heat.is_some() { 1.0 } else { 0.0 }).allow_scroll(false);
    if !diag.curves.is_empty() {
        plot = plot.x_axis_label("x").y_axis_label(diag.y_name).include_y(by.0).include_y(by.1);
    }
    plot.show(ui, |plot| {
        if let (Some(id), Some(_)) = (texture, diag.heat.as_ref()) {
            let center = PlotPoint::new(0.5 * (bx.0 + bx.1), 0.5 * (by.0 + by.1));
            plot.image(PlotImage::new("output", id, center, egui::Vec2::new((bx.1 - bx.0) as f32, (by.1 - by.0) as f32)));
        }
        for c in &diag.curves {
            plot.line(Line::new(plain(&c.name), PlotPoints::from(c.points.clone())).color(c.colour).width(2.0));
        }
        let mut groups: Vec<(Color32, Vec<[f64; 2]>)> = Vec::new();
        for (p, c) in &diag.samples {
            match groups.iter().position(|(g, _)| g == c) {
                Some(k) => groups[k].1.push(*p),
                None if groups.len() < 16 => groups.push((*c, vec![*p])),
                None => groups[0].1.push(*p),
            }
        }
        for (c, pts) in groups {
            // A dark ring keeps a point visible on a region of its own colour.
            plot.points(Points::new("data", PlotPoints::from(pts.clone())).color(Color32::from_black_alpha(200)).radius(3.6).filled(true));
            plot.points(Points::new("data", PlotPoints::from(pts)).color(c).radius(2.5).shape(MarkerShape::Circle).filled(true));
        }
    });
    if diag.curves.len() > 1 {
        let mut key: Vec<KeyEntry> =
            diag.curves.iter().map(|c| KeyEntry { name: plain(&c.name), colour: c.colour, dashed: false }).collect();
        key.push(KeyEntry { name: "dots: each point at 1 in its class's colour".into(), colour: Color32::TRANSPARENT, dashed: false });
        plot_key::draw(ui, &key);
    } else if let Some(c) = diag.curves.first() {
        plot_key::draw(ui, &[KeyEntry { name: plain(&c.name), colour: c.colour, dashed: false }]);
    }
}

fn draw_layer_norms(ui: &mut egui::Ui, diag: &Diagnostics) {
    log_y(ui, Plot::new("layer_norms").height(130.0).x_axis_label("layer").allow_scroll(false)).show(ui, |plot| {
        for (i, norms) in diag.layer_norms.iter().enumerate() {
            let pts: Vec<[f64; 2]> =
                norms.iter().enumerate().filter(|(_, n)| **n > 0.0 && n.is_finite()).map(|(l, n)| [(l + 1) as f64, n.log10()]).collect();
            plot.line(Line::new(format!("run {}", i + 1), PlotPoints::from(pts.clone())).color(color32(i)));
            plot.points(Points::new(format!("run {}", i + 1), PlotPoints::from(pts)).color(color32(i)).radius(3.0));
        }
    });
}

/// Dead ReLU units (input ≤ 0 on every sample: no gradient flows through them) per run, as
/// "dead of units" per ReLU layer.
fn draw_dead_units(ui: &mut egui::Ui, diag: &Diagnostics) {
    if diag.dead.is_empty() {
        ui.small("dead ReLU units: no ReLU layer");
        return;
    }
    ui.label(RichText::new("Dead ReLU units").strong())
        .on_hover_text("units whose input is ≤ 0 for every sample: no gradient flows through them");
    for (i, dead) in diag.dead.iter().enumerate() {
        let total: usize = dead.iter().sum();
        let per_layer = dead
            .iter()
            .zip(&diag.relu_units)
            .enumerate()
            .filter(|(_, (_, u))| **u > 0)
            .map(|(l, (d, u))| format!("{} {d}/{u}", layer_name(l, diag.relu_units.len())))
            .collect::<Vec<_>>()
            .join(", ");
        let color = if total > 0 { Color32::from_rgb(255, 120, 100) } else { color32(i) };
        ui.colored_label(color, format!("run {}: {total} dead ({per_layer})", i + 1));
    }
}
