//! What egui paints over the 3D view: the axis names and end values at the box's edges, the
//! curve's captions and slopes, the colour legend and the runs' legend, and on a slice each
//! ball's true loss at the end of its stick.

use std::sync::Arc;

use bevy::prelude::*;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use crate::app::ball::{BALL_LIFT, Ball, CurveReadout, TrueLoss, off_range};
use crate::app::camera::ViewCamera;
use crate::app::record::Recorder;
use crate::app::sets::UiSystems;
use crate::app::settings::{SimSettings, UiLayout, ViewSwitches};
use crate::app::sim::Simulation;
use crate::app::surface::{SurfaceView, ViewMap};
use crate::app::view::{HALF, plain, run_colour};
use crate::core::format;

use super::legend;
use super::placement::{GAP, Placer, beside, lower_edge};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, (draw_surface_labels, draw_recording_caption).chain().in_set(UiSystems::Overlays));
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

/// Lines the legend may gain or lose before the scene is framed anew above it: a run's label
/// that wraps onto one more line (its numbers change every step) must not make the view jump.
const LEGEND_SLACK: f32 = 40.0;

/// Records the height the legend covers at the view's bottom for the camera
/// (`camera::fit_viewport` frames the scene above it). It follows at once when the legend
/// grows, and when it shrinks only by more than [`LEGEND_SLACK`].
fn note_legend_height(layout: &mut UiLayout, height: f32) {
    let height = height.max(0.0);
    if height > layout.legend || height < layout.legend - LEGEND_SLACK {
        layout.legend = height;
    }
}

/// Axis names and end values at the box's edges, the colour legend and the runs' legend, and
/// on a slice each ball's true loss, painted by egui over the 3D view. Every label goes through
/// one [`Placer`]: inside the view and clear of the legend and of each other.
fn draw_surface_labels(
    mut contexts: EguiContexts,
    view: Option<Res<SurfaceView>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    sim: Res<Simulation>,
    readout: Res<CurveReadout>,
    switches: Res<ViewSwitches>,
    balls: Query<(&Ball, &Transform, &TrueLoss)>,
    mut layout: ResMut<UiLayout>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    // Labels grow with the text style (larger in lesson mode, for a projector).
    let k = ctx.global_style().text_styles.get(&egui::TextStyle::Body).map_or(1.0, |f| f.size / 13.0);
    let (camera, transform) = *camera;
    let (Some(view), Some(rect)) = (view, camera.logical_viewport_rect()) else { return Ok(()) };
    let clip = egui::Rect::from_min_max(Pos2::new(rect.min.x, rect.min.y), Pos2::new(rect.max.x, rect.max.y));
    // Behind every window (Share, file dialogs): the labels belong to the 3D view, and the
    // panels they share the background with never cover the view they are clipped to.
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Background, "surface_labels".into())).with_clip_rect(clip);
    let map = &view.map;
    let mut placer = Placer::new(clip.shrink(4.0));
    let legend = legend::draw(&ctx, clip, map, &sim);
    placer.reserve(legend);
    note_legend_height(&mut layout, clip.max.y - legend.min.y);
    let on_screen = |at: Vec3| camera.world_to_viewport(transform, at).ok().map(|p| Pos2::new(p.x, p.y));
    if map.land.is_curve() {
        draw_curve_axis(&painter, &mut placer, map, &on_screen, k);
    } else {
        draw_box_axes(&painter, &mut placer, map, &on_screen, k);
    }
    let (h, top) = (HALF as f32, map.top() as f32);
    let front = if map.land.is_curve() { 0.0 } else { h };
    let loss_name = if map.height.log { "loss (log)" } else { "loss" };
    if let Some(p) = on_screen(Vec3::new(-h, top + 0.35, front)) {
        let galley = painter.layout_no_wrap(loss_name.to_string(), FontId::proportional(16.0 * k), GREY);
        let want = Align2::CENTER_BOTTOM.anchor_size(p, galley.size());
        put(&painter, &mut placer, galley, want, None);
    }
    if map.land.is_curve() {
        draw_curve_labels(&painter, &mut placer, clip, map, &readout, switches.secant_h, on_screen, 16.0 * k);
    } else {
        // The body text's size (k is its ratio to 13 points).
        label_true_losses(&painter, &mut placer, map, &sim, &balls, on_screen, 13.0 * k);
    }
    Ok(())
}

/// The colour of axis names and values.
const GREY: Color32 = Color32::from_gray(230);

/// Paints `galley` where the placer puts a label that wants `want`, on a dark backdrop if
/// given one (for labels that may land on the drawing).
fn put(painter: &egui::Painter, placer: &mut Placer, galley: Arc<egui::Galley>, want: egui::Rect, backdrop: Option<Color32>) {
    let at = placer.place(want);
    if let Some(fill) = backdrop {
        painter.rect_filled(at.expand(2.0), 3.0, fill);
    }
    painter.galley(at.min, galley, GREY);
}

/// A curve is drawn flat and seen straight on: its one axis, the front edge, named under its
/// middle with its end values under its ends.
fn draw_curve_axis(painter: &egui::Painter, placer: &mut Placer, map: &ViewMap, on_screen: &impl Fn(Vec3) -> Option<Pos2>, k: f32) {
    let h = HALF as f32;
    let [ra, _] = map.land.ranges();
    let origin = map.land.plane.info.origin;
    let texts = [
        (Vec3::new(0.0, 0.0, 0.7), map.land.labels[0].clone(), Align2::CENTER_CENTER, 20.0),
        (Vec3::new(-h, 0.0, 0.35), format::label(origin[0] + ra.0), Align2::CENTER_TOP, 13.0),
        (Vec3::new(h, 0.0, 0.35), format::label(origin[0] + ra.1), Align2::CENTER_TOP, 13.0),
    ];
    for (at, text, align, size) in texts {
        if let Some(p) = on_screen(at) {
            let galley = painter.layout_no_wrap(text, FontId::proportional(size * k), GREY);
            let want = align.anchor_size(p, galley.size());
            put(painter, placer, galley, want, None);
        }
    }
}

/// A surface's two axes, each along the one of its two floor edges whose outer side faces down
/// the screen (the surface rises up the screen from its floor, so nothing of it is drawn there):
/// the end values beside the edge's ends, the name beyond them at its middle. b's values are
/// named, because a corner can hold one value of each axis.
fn draw_box_axes(painter: &egui::Painter, placer: &mut Placer, map: &ViewMap, on_screen: &impl Fn(Vec3) -> Option<Pos2>, k: f32) {
    let h = HALF as f32;
    let corner = |x: f32, z: f32| on_screen(Vec3::new(x, 0.0, z));
    let (Some(c), Some(nl), Some(nr), Some(fl), Some(fr)) =
        (on_screen(Vec3::ZERO), corner(-h, h), corner(h, h), corner(-h, -h), corner(h, -h))
    else {
        return;
    };
    let [ra, rb] = map.land.ranges();
    let origin = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    // a grows along x (edges z = +h, z = −h); b grows towards −z (edges x = −h, x = +h). Each
    // edge runs from the axis's low end to its high end. The values sit a little in from the
    // corners (b's further), so the corner that holds a value of each axis does not read as one line
    // ("1 d2 = −1").
    let axes = [
        ([[nl, nr], [fl, fr]], 0.03, na.clone(), format::label(origin[0] + ra.0), format::label(origin[0] + ra.1)),
        (
            [[nl, fl], [nr, fr]],
            0.14,
            nb.clone(),
            format!("{nb} = {}", format::label(origin[1] + rb.0)),
            format!("{nb} = {}", format::label(origin[1] + rb.1)),
        ),
    ];
    for (edges, inset, name, low, high) in axes {
        let Some((i, out)) = lower_edge(edges, c) else { continue };
        let [p, q] = edges[i];
        let value_font = FontId::proportional(13.0 * k);
        let mut band: f32 = 0.0;
        for (at, text) in [(p + (q - p) * inset, low), (q + (p - q) * inset, high)] {
            let galley = painter.layout_no_wrap(text, value_font.clone(), GREY);
            band = band.max(out.x.abs() * galley.size().x.min(40.0 * k) + out.y.abs() * galley.size().y);
            let want = beside(at, out, galley.size(), GAP);
            put(painter, placer, galley, want, None);
        }
        // The name, at the edge's middle, sits out past most of the values' band (they are at
        // the ends, so it need not clear all of it).
        let galley = painter.layout_no_wrap(name, FontId::proportional(20.0 * k), GREY);
        let want = beside(p + (q - p) / 2.0, out, galley.size(), 2.0 * GAP + band * 0.6);
        put(painter, placer, galley, want, None);
    }
}

/// For a curve: what the yellow polygon and the grey curve are (top left), and the slopes of the
/// tangent and of the secant next to them, in their colours (lesson 0: as h shrinks the secant's
/// number walks to the tangent's), kept inside the view and apart.
fn draw_curve_labels(
    painter: &egui::Painter,
    placer: &mut Placer,
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
    let shown = painter.text(clip.min + egui::Vec2::new(12.0, 10.0), Align2::LEFT_TOP, caption, font.clone(), Color32::from_gray(220));
    placer.reserve(shown);
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
    let backdrop = Some(Color32::from_black_alpha(150));
    if let Some(p) = at(a + half, r.f + r.tangent * half) {
        let text = format!("tangent: slope f'(x) = {}", format::slope(r.tangent));
        let galley = painter.layout_no_wrap(text, font.clone(), Color32::from_rgb(77, 255, 128));
        let want = Align2::LEFT_BOTTOM.anchor_size(p + egui::Vec2::new(6.0, -4.0), galley.size());
        put(painter, placer, galley, want, backdrop);
    }
    if r.secant.is_finite()
        && let Some(p) = at(a + h, r.f_h)
    {
        let text = format!("secant, h = {}: slope = {}", format::label(h), format::slope(r.secant));
        let galley = painter.layout_no_wrap(text, font, Color32::from_rgb(255, 115, 77));
        let want = Align2::LEFT_TOP.anchor_size(p + egui::Vec2::new(8.0, 6.0), galley.size());
        put(painter, placer, galley, want, backdrop);
    }
}

/// On a slice, the true loss written at the end of each running ball's stick, in its colour:
/// right of the stick's end, or left of it where the right runs out of the view (a label cut
/// at the view's edge read "true loss 0.68 (below the bo"), moved clear of the other labels.
fn label_true_losses(
    painter: &egui::Painter,
    placer: &mut Placer,
    map: &ViewMap,
    sim: &Simulation,
    balls: &Query<(&Ball, &Transform, &TrueLoss)>,
    on_screen: impl Fn(Vec3) -> Option<Pos2>,
    size: f32,
) {
    let mut labels: Vec<(Pos2, String, Color32)> = Vec::new();
    for (ball, at, truth) in balls {
        let (Some(truth), Some(run)) = (truth.0, sim.session.runs.get(ball.run)) else { continue };
        if !run.is_running() || (truth.at.y - (at.translation.y - BALL_LIFT)).abs() < 0.02 {
            continue;
        }
        let Some(p) = on_screen(truth.at) else { continue };
        let loss = truth.loss;
        let [r, g, b] = run_colour(ball.run).map(|c| (c * 255.0) as u8);
        let text = match off_range(map, loss) {
            Some(side) => format!("true loss {} ({side} the box)", format::label(loss)),
            None => format!("true loss {}", format::label(loss)),
        };
        labels.push((p, text, Color32::from_rgb(r, g, b)));
    }
    // From the top down, so a label pushed aside by the one above moves down the screen.
    labels.sort_by(|a, b| a.0.y.total_cmp(&b.0.y));
    let bounds = placer.bounds();
    for (p, text, color) in labels {
        let galley = painter.layout_no_wrap(text, FontId::proportional(size), color);
        let right = Align2::LEFT_CENTER.anchor_size(p + egui::Vec2::new(9.0, 0.0), galley.size());
        let want =
            if right.max.x > bounds.max.x { Align2::RIGHT_CENTER.anchor_size(p - egui::Vec2::new(9.0, 0.0), galley.size()) } else { right };
        let at = placer.place(want);
        // A dark backdrop keeps the run's colour readable over any part of the colour map (a
        // shadow alone left red on purple hard to read from the back of a room).
        painter.rect_filled(at.expand2(egui::vec2(4.0, 2.0)), 3.0, Color32::from_black_alpha(190));
        painter.galley(at.min, galley, color);
    }
}
