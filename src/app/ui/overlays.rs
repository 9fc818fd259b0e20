//! What egui paints over the 3D view: the axis names and end values at the box's edges, the
//! curve's captions and slopes, the colour legend and the runs' legend, and on a slice each
//! ball's true loss at the end of its stick.

use bevy::prelude::*;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use crate::app::ball::{BALL_LIFT, Ball, CurveReadout, TrueLoss, off_range};
use crate::app::camera::ViewCamera;
use crate::app::record::Recorder;
use crate::app::sets::UiSystems;
use crate::app::settings::{SimSettings, ViewSwitches};
use crate::app::sim::Simulation;
use crate::app::surface::{SurfaceView, ViewMap};
use crate::app::view::{HALF, plain, run_colour, viridis};
use crate::core::format;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        (draw_surface_labels, label_true_losses, draw_recording_caption).chain().in_set(UiSystems::Overlays),
    );
}

/// While recording: the scene's title and the step at the top of the 3D view, so every frame
/// of the GIF says what it shows (the lesson card and panels are not in the recording).
fn draw_recording_caption(
    mut contexts: EguiContexts,
    recorder: Res<Recorder>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    camera: Single<&Camera, With<ViewCamera>>,
) -> Result {
    if !recorder.is_recording() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let Some(rect) = camera.logical_viewport_rect() else { return Ok(()) };
    let k = ctx.global_style().text_styles.get(&egui::TextStyle::Body).map_or(1.0, |f| f.size / 13.0);
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, "recording_caption".into()));
    let (title, step) = (plain(&settings.scene.name), format!("step {}", sim.steps()));
    let font = FontId::proportional(17.0 * k);
    // Inside the view, which is all a frame shows: the title over the step when one line is
    // too wide (a 490-pixel view on the web page cut "step 36" off).
    let room = (rect.width() - 24.0).max(1.0);
    let mut galley = painter.layout_no_wrap(format!("{title}   ·   {step}"), font.clone(), Color32::WHITE);
    if galley.size().x > room {
        galley = painter.layout(format!("{title}\n{step}"), font, Color32::WHITE, room);
    }
    let at = Pos2::new(rect.center().x - galley.size().x / 2.0, rect.min.y + 10.0);
    painter.rect_filled(egui::Rect::from_min_size(at, galley.size()).expand(6.0), 5.0, Color32::from_black_alpha(170));
    painter.galley(at, galley, Color32::WHITE);
    Ok(())
}

/// Axis names and end values at the box's edges, the colour legend and the runs' legend,
/// painted by egui over the 3D view.
fn draw_surface_labels(
    mut contexts: EguiContexts,
    view: Option<Res<SurfaceView>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    sim: Res<Simulation>,
    readout: Res<CurveReadout>,
    switches: Res<ViewSwitches>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    // Labels grow with the text style (larger in lesson mode, for a projector).
    let k = ctx.global_style().text_styles.get(&egui::TextStyle::Body).map_or(1.0, |f| f.size / 13.0);
    let (camera, transform) = *camera;
    let (Some(view), Some(rect)) = (view, camera.logical_viewport_rect()) else { return Ok(()) };
    let clip = egui::Rect::from_min_max(Pos2::new(rect.min.x, rect.min.y), Pos2::new(rect.max.x, rect.max.y));
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Middle, "surface_labels".into())).with_clip_rect(clip);
    let text = |at: Vec3, s: &str, align: Align2, size: f32| {
        let size = size * k;
        if let Ok(p) = camera.world_to_viewport(transform, at) {
            // Slide a label that would cross the view's edge back inside (the loss axis name
            // sits over the box's far corner, often right at the left edge).
            let galley = painter.layout_no_wrap(s.to_string(), FontId::proportional(size), Color32::from_gray(230));
            let rect = align.anchor_size(Pos2::new(p.x, p.y), galley.size());
            let dx = (clip.min.x - rect.min.x).max(0.0) - (rect.max.x - clip.max.x).max(0.0);
            painter.galley(rect.min + egui::Vec2::new(dx, 0.0), galley, Color32::from_gray(230));
        }
    };
    let map = &view.map;
    let [ra, rb] = map.land.ranges();
    let origin = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    let (h, top) = (HALF as f32, map.top() as f32);
    let curve = map.land.is_curve();
    let front = if curve { 0.0 } else { h };
    text(Vec3::new(0.0, 0.0, front + 0.7), na, Align2::CENTER_CENTER, 20.0);
    text(Vec3::new(-h, 0.0, front + 0.35), &format::label(origin[0] + ra.0), Align2::CENTER_TOP, 13.0);
    text(Vec3::new(h, 0.0, front + 0.35), &format::label(origin[0] + ra.1), Align2::CENTER_TOP, 13.0);
    if !curve {
        text(Vec3::new(-h - 0.7, 0.0, 0.0), nb, Align2::CENTER_CENTER, 20.0);
        // Named, because b's near end shares its corner with a's first value (two bare "−1.25"
        // stacked there read as one axis).
        text(Vec3::new(-h - 0.35, 0.0, h), &format!("{nb} = {}", format::label(origin[1] + rb.0)), Align2::RIGHT_CENTER, 13.0);
        text(Vec3::new(-h - 0.35, 0.0, -h), &format!("{nb} = {}", format::label(origin[1] + rb.1)), Align2::RIGHT_CENTER, 13.0);
    }
    let loss_name = if map.height.log { "loss (log)" } else { "loss" };
    text(Vec3::new(-h, top + 0.35, front), loss_name, Align2::CENTER_BOTTOM, 16.0);
    if curve {
        let on_screen = |at: Vec3| camera.world_to_viewport(transform, at).ok().map(|p| Pos2::new(p.x, p.y));
        draw_curve_labels(&painter, clip, map, &readout, switches.secant_h, on_screen, 16.0 * k);
    }
    draw_legends(&ctx, clip, map, &sim);
    Ok(())
}

/// For a curve: what the yellow polygon and the grey curve are (top left), and the slopes of the
/// tangent and of the secant next to them, in their colours (lesson 0: as h shrinks the secant's
/// number walks to the tangent's).
fn draw_curve_labels(
    painter: &egui::Painter,
    clip: egui::Rect,
    map: &ViewMap,
    r: &CurveReadout,
    h: f64,
    on_screen: impl Fn(Vec3) -> Option<Pos2>,
    size: f32,
) {
    let font = FontId::proportional(size);
    // Below 64 vertices the polygon visibly departs from the true curve drawn under it.
    let res = map.land.res();
    let caption = if res < 64 {
        format!("yellow: the curve drawn from {res} vertices    grey: the true curve")
    } else {
        format!("the curve drawn from {res} vertices")
    };
    painter.text(clip.min + egui::Vec2::new(12.0, 10.0), Align2::LEFT_TOP, caption, font.clone(), Color32::from_gray(220));
    if !r.shown {
        return;
    }
    let at = |a: f64, f: f64| {
        let w = map.world(a, 0.0, f);
        on_screen(Vec3::new(w[0] as f32, w[1] as f32, 0.0))
    };
    // The same geometry as the lines drawn in `ball.rs`.
    let a = map.land.plane.project(&[r.a]).a;
    let half = (HALF * 0.35) / map.scale().0;
    let green = Color32::from_rgb(77, 255, 128);
    let orange = Color32::from_rgb(255, 115, 77);
    if let Some(p) = at(a + half, r.f + r.tangent * half) {
        painter.text(
            p + egui::Vec2::new(6.0, -4.0),
            Align2::LEFT_BOTTOM,
            format!("tangent: slope f'(x) = {}", format::slope(r.tangent)),
            font.clone(),
            green,
        );
    }
    if r.secant.is_finite()
        && let Some(p) = at(a + h, r.f_h)
    {
        let text = format!("secant, h = {}: slope = {}", format::label(h), format::slope(r.secant));
        painter.text(p + egui::Vec2::new(8.0, 6.0), Align2::LEFT_TOP, text, font, orange);
    }
}

/// The colour bar (loss range) and one line per run, in the view's bottom-left corner.
fn draw_legends(ctx: &egui::Context, clip: egui::Rect, map: &ViewMap, sim: &Simulation) {
    egui::Area::new("legend".into())
        .fixed_pos(Pos2::new(clip.min.x + 12.0, clip.max.y - 12.0))
        .pivot(Align2::LEFT_BOTTOM)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let (bar, _) = ui.allocate_exact_size(egui::Vec2::new(14.0, 90.0), egui::Sense::hover());
                    let steps = 24;
                    for k in 0..steps {
                        let t = 1.0 - (k as f64 + 0.5) / steps as f64;
                        let [r, g, b] = viridis(t);
                        let y0 = bar.min.y + bar.height() * k as f32 / steps as f32;
                        let cell = egui::Rect::from_min_max(
                            Pos2::new(bar.min.x, y0),
                            Pos2::new(bar.max.x, y0 + bar.height() / steps as f32 + 0.5),
                        );
                        ui.painter().rect_filled(cell, 0.0, Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8));
                    }
                    ui.vertical(|ui| {
                        ui.small(format!("loss {}", format::label(map.height.loss_at(1.0))));
                        ui.add_space(50.0);
                        ui.small(format!("loss {}", format::label(map.height.loss_at(0.0))));
                    });
                    ui.separator();
                    ui.vertical(|ui| {
                        for (i, run) in sim.session.runs.iter().enumerate() {
                            let [r, g, b] = run_colour(i);
                            ui.horizontal(|ui| {
                                let (dot, _) = ui.allocate_exact_size(egui::Vec2::splat(12.0), egui::Sense::hover());
                                ui.painter().circle_filled(
                                    dot.center(),
                                    5.5,
                                    Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8),
                                );
                                let mut label = plain(&run.spec.label());
                                if let crate::core::RunStatus::Diverged { step } = run.status {
                                    label.push_str(&format!("  (stopped at step {step})"));
                                }
                                if map.land.dim > 2 {
                                    let d = map.land.plane.project(&run.theta).distance;
                                    let loss = run.trajectory.last().map_or(f64::NAN, |r| r.loss);
                                    label.push_str(&format!("  true loss {}, {} off the slice", format::label(loss), format::label(d)));
                                }
                                ui.small(label);
                            });
                        }
                        if map.land.dim > 2 {
                            ui.small("ball: on the slice where its parameters project   stick: to its true loss");
                        }
                        ui.small("white arrow: -lr*g   coloured arrow: last step");
                    });
                });
            });
        });
}

/// On a slice, the true loss written at the end of each running ball's stick, in its colour.
fn label_true_losses(
    mut contexts: EguiContexts,
    sim: Res<Simulation>,
    view: Option<Res<SurfaceView>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    balls: Query<(&Ball, &Transform, &TrueLoss)>,
) -> Result {
    let Some(view) = view else { return Ok(()) };
    let ctx = contexts.ctx_mut()?.clone();
    let (camera, transform) = *camera;
    let Some(rect) = camera.logical_viewport_rect() else { return Ok(()) };
    let clip = egui::Rect::from_min_max(Pos2::new(rect.min.x, rect.min.y), Pos2::new(rect.max.x, rect.max.y));
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Middle, "true_loss_labels".into())).with_clip_rect(clip);
    let size = ctx.global_style().text_styles.get(&egui::TextStyle::Body).map_or(13.0, |f| f.size);
    let mut labels: Vec<(Pos2, String, Color32)> = Vec::new();
    for (ball, at, truth) in &balls {
        let (Some(truth), Some(run)) = (truth.0, sim.session.runs.get(ball.run)) else { continue };
        if !run.is_running() || (truth.at.y - (at.translation.y - BALL_LIFT)).abs() < 0.02 {
            continue;
        }
        let Ok(p) = camera.world_to_viewport(transform, truth.at) else { continue };
        let loss = truth.loss;
        let [r, g, b] = run_colour(ball.run).map(|c| (c * 255.0) as u8);
        let text = match off_range(&view.map, loss) {
            Some(side) => format!("true loss {} ({side} the box)", format::label(loss)),
            None => format!("true loss {}", format::label(loss)),
        };
        labels.push((Pos2::new(p.x + 9.0, p.y), text, Color32::from_rgb(r, g, b)));
    }
    // Balls close together would write their labels over each other: from the top down, a
    // label that would overlap the one above it (same column, less than a line apart) moves
    // down by a line.
    labels.sort_by(|a, b| a.0.y.total_cmp(&b.0.y));
    let line = size * 1.25;
    for i in 1..labels.len() {
        let above = labels[i - 1].0;
        let at = &mut labels[i].0;
        if at.y - above.y < line && (at.x - above.x).abs() < 20.0 * size {
            at.y = above.y + line;
        }
    }
    for (at, text, color) in labels {
        // A dark shadow keeps the label readable over the bright parts of the colour map.
        for (dx, dy, color) in [(1.0, 1.0, Color32::from_black_alpha(220)), (0.0, 0.0, color)] {
            painter.text(Pos2::new(at.x + dx, at.y + dy), Align2::LEFT_CENTER, &text, FontId::proportional(size), color);
        }
    }
    Ok(())
}
