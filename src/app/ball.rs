//! One ball per run, rolling on the surface: its transform (conversion boundary #2, f64 →
//! f32), its trail, its gradient arrow (−lr·g, where plain SGD would go) and its last step
//! (where momentum or Adam actually went), and a red cross where a run stopped.
//!
//! For a 1-parameter objective the ball rides the curve with its tangent and a secant through
//! x and x + h whose h the panel shrinks.
//!
//! For a slice of more parameters (random, PCA or Hessian directions) the surface is the loss
//! *on the plane*, but the runs leave the plane. Each ball, and its trail, therefore rests on
//! the surface at its projection θ(a, b) — where the plane comes closest to its parameters —
//! and a thin stick of its colour, drawn over everything, goes from the ball up or down to
//! its true loss, with a tick there (an arrow when the true loss is off the box's range). The
//! legend gives the true loss and the distance ‖θ − θ(a, b)‖ from the plane. A ball on the
//! plane has no stick: its true loss is the surface's.
//!
//! Trails stay inside the drawn box: a trail ends at the first point that leaves it (sideways
//! or more than 10 % above the highest drawn loss), and a stopped run's ball and cross sit at
//! that end, so a run that explodes leaves a mark where it left instead of a spike to the sky.

use bevy::prelude::*;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::AppSystems;
use super::camera::ViewCamera;
use super::settings::SimSettings;
use super::sim::Simulation;
use super::surface::{HALF, SurfaceView, ViewMap, fmt_num};
use crate::core::{RunStatus, Workspace};

pub(super) fn plugin(app: &mut App) {
    app.insert_gizmo_config(OnTopGizmos, GizmoConfig { depth_bias: -1.0, ..default() });
    app.init_resource::<CurveReadout>()
        .add_systems(
            Update,
            (respawn_balls, extend_trails, sync_ball_transforms, update_curve_readout, draw_ball_overlays)
                .chain()
                .in_set(AppSystems::SyncVisuals)
                .after(super::surface::SurfaceSystems),
        )
        .add_systems(EguiPrimaryContextPass, label_true_losses.after(super::surface::draw_surface_labels));
}

/// Ball radius in world units.
pub const BALL_RADIUS: f32 = 0.22;

/// How far above the highest drawn loss (as a fraction of the box's height) a point still
/// counts as in view.
const VIEW_HEADROOM: f64 = 0.1;

/// Gizmos drawn in front of everything (depth bias −1): the rings and stop marks that keep a
/// ball visible when the surface hides it.
#[derive(Default, Reflect, GizmoConfigGroup)]
pub struct OnTopGizmos;

/// A run's ball.
#[derive(Component, Debug)]
pub struct Ball {
    /// Index of the run in the session.
    pub run: usize,
}

/// Where a ball's true loss is drawn, on a slice (`None` for 1 or 2 parameters): the far end
/// of its stick, straight above or below the ball's point on the surface.
#[derive(Component, Clone, Copy, Debug, Default, PartialEq)]
pub struct TrueLoss(pub Option<Truth>);

/// A point's true loss on a slice and where it is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Truth {
    /// World position: over the ball's point on the surface, at the true loss's height
    /// (clamped to the box).
    pub at: Vec3,
    /// The loss at the run's parameters.
    pub loss: f64,
}

/// A ball's path in world space, extended as the run records steps.
#[derive(Component, Debug, Default)]
pub struct Trail {
    /// World positions of the recorded steps drawn so far (on a slice, on the surface).
    pub points: Vec<Vec3>,
    /// On a slice, where the true loss of the last point is drawn.
    pub true_end: Option<Truth>,
    /// Trajectory rows already converted.
    pub rows: usize,
    /// The drawing (landscape generation and height map) the points were made for.
    key: Option<(u64, [u64; 2], bool)>,
}

/// The numbers next to the curve: slope of the tangent and of the secant at the first ball.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct CurveReadout {
    /// Ball position a.
    pub a: f64,
    /// f(a).
    pub f: f64,
    /// f'(a) by backprop.
    pub tangent: f64,
    /// (f(a + h) − f(a)) / h.
    pub secant: f64,
    /// f(a + h).
    pub f_h: f64,
    /// Whether these numbers are for a curve being shown.
    pub shown: bool,
}

/// Distinct colours for the runs (and their legends and plots), sRGB.
pub fn run_color(i: usize) -> [f32; 3] {
    const PALETTE: [[f32; 3]; 8] = [
        [0.95, 0.30, 0.25],
        [0.25, 0.65, 1.00],
        [1.00, 0.75, 0.15],
        [0.85, 0.40, 0.95],
        [0.30, 0.90, 0.55],
        [1.00, 0.55, 0.75],
        [0.90, 0.90, 0.90],
        [0.60, 0.45, 0.25],
    ];
    PALETTE[i % PALETTE.len()]
}

fn color_of(i: usize) -> Color {
    let [r, g, b] = run_color(i);
    Color::srgb(r, g, b)
}

/// Spawns one ball per run whenever the runs restart or change in number.
fn respawn_balls(
    mut commands: Commands,
    sim: Res<Simulation>,
    balls: Query<Entity, With<Ball>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut seen: Local<Option<u64>>,
) {
    if *seen == Some(sim.generation) && balls.iter().count() == sim.session.runs.len() {
        return;
    }
    *seen = Some(sim.generation);
    for e in &balls {
        commands.entity(e).despawn();
    }
    let mesh = meshes.add(Sphere::new(BALL_RADIUS).mesh().uv(24, 16));
    for run in 0..sim.session.runs.len() {
        let material = materials.add(StandardMaterial {
            base_color: color_of(run),
            emissive: color_of(run).to_linear() * 0.25,
            perceptual_roughness: 0.35,
            ..default()
        });
        commands.spawn((
            Ball { run },
            Trail::default(),
            TrueLoss::default(),
            Mesh3d(mesh.clone()),
            MeshMaterial3d(material),
            Transform::from_xyz(0.0, -100.0, 0.0),
        ));
    }
}

/// The key of the drawing a trail's points belong to.
fn view_key(map: &ViewMap) -> (u64, [u64; 2], bool) {
    (map.land.generation, [map.height.lo.to_bits(), map.height.hi.to_bits()], map.height.log)
}

/// The last row of a run whose θ and loss are finite.
fn last_finite_row(run: &crate::core::Run) -> Option<usize> {
    if run.trajectory.dim() == 0 {
        return None;
    }
    let t = &run.trajectory;
    (0..t.len()).rev().find(|&k| t.records[k].loss.is_finite() && t.params(k).iter().all(|p| p.is_finite()))
}

/// World position of a run's row `k` at its true loss (f64 → f32: conversion boundary #2).
fn true_world_of(map: &ViewMap, run: &crate::core::Run, k: usize) -> Vec3 {
    let p = map.land.plane.project(run.trajectory.params(k));
    let w = map.world(p.a, p.b, run.trajectory.records[k].loss);
    // A ball that rolled off the surface is drawn at its edge (it is stopped soon after), and
    // one whose loss is off the drawn range at the box's floor or just above its top.
    let edge = 1.15 * HALF;
    let f = |v: f64, lo: f64, hi: f64| if v.is_finite() { v.clamp(lo, hi) as f32 } else { 0.0 };
    Vec3::new(f(w[0], -edge, edge), f(w[1], 0.0, (1.0 + VIEW_HEADROOM) * map.top()), f(w[2], -edge, edge))
}

/// Where a run's row `k` is drawn, and on a slice where its true loss is: for 1 or 2
/// parameters the point is exact (the true loss over its parameters); on a slice it is put on
/// the surface at its projection.
pub fn placement(view: &SurfaceView, run: &crate::core::Run, k: usize) -> (Vec3, Option<Truth>) {
    let truth = true_world_of(&view.map, run, k);
    if view.map.land.dim <= 2 {
        return (truth, None);
    }
    let on_surface = view.height_at(truth.x, truth.z).map_or(truth, |y| Vec3::new(truth.x, y, truth.z));
    (on_surface, Some(Truth { at: truth, loss: run.trajectory.records[k].loss }))
}

/// Whether row `k` of a run lies in the drawn box: finite, over the surface (with a 10 %
/// margin) and at most `VIEW_HEADROOM` above its highest loss.
fn in_view(map: &ViewMap, run: &crate::core::Run, k: usize) -> bool {
    let (theta, loss) = (run.trajectory.params(k), run.trajectory.records[k].loss);
    if !loss.is_finite() || !theta.iter().all(|v| v.is_finite()) {
        return false;
    }
    let p = map.land.plane.project(theta);
    map.land.contains(p.a, p.b, 1.1) && map.height.unit(loss) <= 1.0 + VIEW_HEADROOM
}

/// Converts the new trajectory rows of each run into trail points.
fn extend_trails(sim: Res<Simulation>, view: Option<Res<SurfaceView>>, mut trails: Query<(&Ball, &mut Trail)>) {
    let Some(view) = view else { return };
    let key = view_key(&view.map);
    for (ball, mut trail) in &mut trails {
        let Some(run) = sim.session.runs.get(ball.run).filter(|r| r.theta.len() == view.map.land.plane.dim()) else { continue };
        if trail.key != Some(key) {
            *trail = Trail { key: Some(key), ..default() };
        }
        let end = last_finite_row(run).map_or(0, |k| k + 1);
        for k in trail.rows..end {
            // The trail ends where the run leaves the drawn box.
            if !in_view(&view.map, run, k) {
                trail.rows = usize::MAX;
                break;
            }
            let (at, truth) = placement(&view, run, k);
            trail.points.push(at);
            trail.true_end = truth;
            trail.rows = k + 1;
        }
    }
}

/// Puts each ball at its run's current θ (see [`placement`]) and its stick's end at the true
/// loss; a stopped run's ball stays where its trail ends, the last point it had in view.
pub fn sync_ball_transforms(
    sim: Res<Simulation>,
    view: Option<Res<SurfaceView>>,
    mut balls: Query<(&Ball, &Trail, &mut Transform, &mut TrueLoss)>,
) {
    let Some(view) = view else { return };
    for (ball, trail, mut transform, mut true_loss) in &mut balls {
        let Some(run) = sim.session.runs.get(ball.run).filter(|r| r.theta.len() == view.map.land.plane.dim()) else { continue };
        let Some(k) = last_finite_row(run) else { continue };
        let (p, truth) = match trail.points.last() {
            Some(end) if !run.is_running() => (*end, trail.true_end),
            _ => placement(&view, run, k),
        };
        let lifted = p + Vec3::Y * BALL_LIFT;
        if transform.translation != lifted {
            transform.translation = lifted;
        }
        true_loss.set_if_neq(TrueLoss(truth));
    }
}

/// How far above its point a ball's centre is drawn, so that it rests on the surface.
pub const BALL_LIFT: f32 = BALL_RADIUS * 0.8;

/// Tangent and secant slopes at the first ball, for a 1-parameter objective.
fn update_curve_readout(
    sim: Res<Simulation>,
    settings: Res<SimSettings>,
    view: Option<Res<SurfaceView>>,
    mut readout: ResMut<CurveReadout>,
    mut ws: Local<Workspace>,
) {
    let shown = view.as_ref().is_some_and(|v| v.map.land.is_curve()) && sim.objective().dim() == 1;
    let Some(run) = sim.session.runs.first().filter(|_| shown) else {
        readout.shown = false;
        return;
    };
    let a = run.theta[0];
    let h = settings.secant_h;
    let f = run.trajectory.last().map_or(f64::NAN, |r| r.loss);
    let f_h = sim.objective().loss(&[a + h], &mut ws);
    *readout = CurveReadout { a, f, tangent: run.grad[0], secant: (f_h - f) / h, f_h, shown: true };
}

/// Trails, arrows, stop marks, and the curve's tangent and secant (immediate-mode gizmos).
fn draw_ball_overlays(
    sim: Res<Simulation>,
    settings: Res<SimSettings>,
    view: Option<Res<SurfaceView>>,
    readout: Res<CurveReadout>,
    trails: Query<(&Ball, &Trail, &Transform, &TrueLoss)>,
    camera: Option<Single<&GlobalTransform, With<ViewCamera>>>,
    mut gizmos: Gizmos,
    mut on_top: Gizmos<OnTopGizmos>,
) {
    let Some(view) = view else { return };
    let facing = camera.map_or(Quat::IDENTITY, |c| c.compute_transform().rotation);
    for (ball, trail, transform, true_loss) in &trails {
        let Some(run) = sim.session.runs.get(ball.run).filter(|r| r.theta.len() == view.map.land.plane.dim()) else { continue };
        let color = color_of(ball.run);
        if settings.show_trails && trail.points.len() > 1 {
            let stride = (trail.points.len() / 2000).max(1);
            let lifted = trail.points.iter().step_by(stride).chain(trail.points.last()).map(|p| *p + Vec3::Y * 0.03);
            gizmos.linestrip(lifted, color.with_alpha(0.9));
        }
        let at = transform.translation;
        if let Some(truth) = true_loss.0 {
            draw_stick(&mut on_top, &view.map, at - Vec3::Y * BALL_LIFT, truth, facing, color);
        }
        if let RunStatus::Diverged { .. } = run.status {
            let red = Color::srgb(1.0, 0.1, 0.1);
            on_top.cross(Isometry3d::new(at, facing), 0.4, red);
            on_top.circle(Isometry3d::new(at, facing), BALL_RADIUS * 1.9, red);
            continue;
        }
        draw_arrows(&mut gizmos, &view.map, run, at, &settings, color);
    }
    if readout.shown {
        draw_tangent_and_secant(&mut gizmos, &view.map, &readout, settings.secant_h);
    }
}

/// On a slice: a thin stick from the ball's point on the surface to its true loss, drawn over
/// everything (the true loss is often under the surface), with a tick across its end — or an
/// arrow head when the true loss is off the box's range and the end is clamped to its floor or
/// just above its top. Nothing when the ball is on the plane (the two points coincide).
fn draw_stick(on_top: &mut Gizmos<OnTopGizmos>, map: &ViewMap, from: Vec3, truth: Truth, facing: Quat, color: Color) {
    let to = truth.at;
    let gap = to.y - from.y;
    if gap.abs() < 0.02 {
        return;
    }
    // Leave from the top of the ball (true loss above) or from the surface under it (below).
    let start = if gap > 0.0 { from + Vec3::Y * (BALL_LIFT + BALL_RADIUS).min(gap) } else { from };
    let color = color.mix(&Color::WHITE, 0.2);
    if off_range(map, truth.loss).is_some() {
        on_top.arrow(start, to, color).with_tip_length(0.25);
    } else {
        on_top.line(start, to, color);
        let across = facing * Vec3::X * 0.16;
        on_top.line(to - across, to + across, color);
    }
}

/// Whether a loss is drawn clamped to the box: "below" its floor or "above" its top.
fn off_range(map: &ViewMap, loss: f64) -> Option<&'static str> {
    let t = map.height.unit(loss);
    if t < 0.0 {
        Some("below")
    } else if t > 1.0 + VIEW_HEADROOM {
        Some("above")
    } else {
        None
    }
}

/// −lr·g (white) and the last step (run colour), drawn from the ball with a common display gain
/// so that the longer one is clearly visible.
fn draw_arrows(gizmos: &mut Gizmos, map: &ViewMap, run: &crate::core::Run, at: Vec3, settings: &SimSettings, color: Color) {
    let t = &run.trajectory;
    let Some(k) = t.len().checked_sub(1) else { return };
    let lr = run.current_lr();
    let here = map.land.plane.project(&run.theta);
    let (sa, sb) = map.scale();
    let offset = |theta: &[f64]| {
        let p = map.land.plane.project(theta);
        Vec2::new(((p.a - here.a) * sa) as f32, (-(p.b - here.b) * sb) as f32)
    };
    let descent: Vec<f64> = run.theta.iter().zip(&run.grad).map(|(x, g)| x - lr * g).collect();
    let grad_xz = offset(&descent);
    let step_xz = if k > 0 { offset(t.params(k - 1)) * -1.0 } else { Vec2::ZERO };
    let longest = grad_xz.length().max(step_xz.length());
    if !longest.is_finite() || longest < 1e-9 {
        return;
    }
    let gain = (0.9 / longest).max(1.0).min(2.5 / longest.max(1e-9)).min(1e6);
    let lift = Vec3::Y * BALL_RADIUS;
    if settings.show_gradient {
        let v = grad_xz * gain;
        gizmos.arrow(at + lift, at + lift + Vec3::new(v.x, 0.0, v.y), Color::srgb(0.97, 0.97, 0.97));
    }
    if settings.show_step && step_xz != Vec2::ZERO && (step_xz - grad_xz).length() > 0.05 * longest {
        let v = step_xz * gain;
        gizmos.arrow(at + lift, at + lift + Vec3::new(v.x, 0.0, v.y), color.mix(&Color::WHITE, 0.3));
    }
}

fn draw_tangent_and_secant(gizmos: &mut Gizmos, map: &ViewMap, r: &CurveReadout, h: f64) {
    let point = |a: f64, f: f64| {
        let w = map.world(a, 0.0, f);
        Vec3::new(w[0] as f32, w[1] as f32, 0.0)
    };
    // The plane's coordinate of x (the curve is centred on its start): a = x − centre.
    let a = map.land.plane.project(&[r.a]).a;
    let half = (HALF * 0.35) / map.scale().0;
    let line = |slope: f64, color: Color, gizmos: &mut Gizmos| {
        let (p, q) = (point(a - half, r.f - slope * half), point(a + half, r.f + slope * half));
        gizmos.line(p, q, color);
    };
    line(r.tangent, Color::srgb(0.3, 1.0, 0.5), gizmos);
    if r.secant.is_finite() {
        let (p, q) = (point(a - 0.3 * h, r.f - 0.3 * h * r.secant), point(a + 1.3 * h, r.f + 1.3 * h * r.secant));
        gizmos.line(p, q, Color::srgb(1.0, 0.45, 0.3));
        gizmos.sphere(Isometry3d::from_translation(point(a + h, r.f_h)), 0.08, Color::srgb(1.0, 0.45, 0.3));
    }
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
        let [r, g, b] = run_color(ball.run).map(|c| (c * 255.0) as u8);
        let text = match off_range(&view.map, loss) {
            Some(side) => format!("true loss {} ({side} the box)", fmt_num(loss)),
            None => format!("true loss {}", fmt_num(loss)),
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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use bevy::ecs::system::RunSystemOnce;

    use super::*;
    use crate::app::grid::SurfaceGrid;
    use crate::app::surface::{ray_hit, surface_view};
    use crate::app::{headless_plugin, load_scene};

    /// A lesson run headless until its grid is in and it took `steps` steps, with one ball per
    /// run placed by the app's own systems on the surface view the app would draw.
    fn placed(lesson: &str, steps: u64) -> (World, SurfaceView) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(lesson);
        let (settings, sim) = load_scene(&path).expect("lessons load");
        let log = settings.scene.surface.log_height;
        let mut app = App::new();
        app.add_plugins(MinimalPlugins).insert_resource(settings).insert_resource(sim).add_plugins(headless_plugin);
        let start = Instant::now();
        while app.world().resource::<SurfaceGrid>().current.is_none() || app.world().resource::<Simulation>().steps() < steps {
            assert!(start.elapsed() < Duration::from_secs(30), "timed out");
            app.update();
        }
        let land = app.world().resource::<SurfaceGrid>().current.clone().expect("the grid is in");
        let view = surface_view(land, log);
        let world = app.world_mut();
        world.insert_resource(view.clone());
        for run in 0..world.resource::<Simulation>().session.runs.len() {
            world.spawn((Ball { run }, Trail::default(), TrueLoss::default(), Transform::default()));
        }
        world.run_system_once(extend_trails).expect("runs");
        world.run_system_once(sync_ball_transforms).expect("runs");
        (std::mem::take(world), view)
    }

    /// Height of the drawn mesh under (x, z), by a ray straight down onto its triangles.
    fn mesh_height(view: &SurfaceView, x: f32, z: f32) -> f32 {
        ray_hit(&view.positions, view.map.land.res(), Vec3::new(x, 100.0, z), Vec3::NEG_Y).expect("the point is over the surface").y
    }

    #[test]
    fn on_a_slice_each_ball_rests_on_the_surface_and_its_stick_ends_at_its_true_loss() {
        // Lesson 6: 13 parameters on a random slice; after 80 steps both runs are far off it.
        let (mut world, view) = placed("06_dense_layer.ron", 80);
        assert!(view.map.land.dim > 2);
        let top = view.map.top();
        let mut largest_gap = 0f32;
        let mut balls = world.query::<(&Ball, &Transform, &TrueLoss, &Trail)>();
        let sim = world.resource::<Simulation>();
        for (ball, transform, truth, trail) in balls.iter(&world) {
            let run = &sim.session.runs[ball.run];
            let off = view.map.land.plane.project(&run.theta).distance;
            assert!(off > 0.1, "run {} is {off} off the plane: not the case under test", ball.run);
            let at = transform.translation - Vec3::Y * BALL_LIFT;
            let surface = mesh_height(&view, at.x, at.z);
            assert!((at.y - surface).abs() < 1e-3, "run {}: ball drawn at {} but the surface is at {surface}", ball.run, at.y);
            // Its stick goes straight up or down to its true loss.
            let truth = truth.0.expect("a ball on a slice has a stick");
            let loss = run.trajectory.last().expect("steps were taken").loss;
            assert_eq!((truth.at.x, truth.at.z, truth.loss), (at.x, at.z, loss));
            let height = (view.map.height.unit(loss) * top).clamp(0.0, (1.0 + VIEW_HEADROOM) * top) as f32;
            assert!((truth.at.y - height).abs() < 1e-4, "run {}: stick ends at {} for loss {loss} (height {height})", ball.run, truth.at.y);
            largest_gap = largest_gap.max((truth.at.y - at.y).abs());
            // The trail lies on the surface too, and ends at the ball.
            assert_eq!(trail.points.last(), Some(&at));
            for p in trail.points.iter().step_by(5) {
                assert!((p.y - mesh_height(&view, p.x, p.z)).abs() < 1e-3, "trail point {p} is off the surface");
            }
        }
        // What used to look broken: the true loss is far from the slice's surface.
        assert!(largest_gap > 0.2, "largest surface-to-true-loss gap {largest_gap}");
    }

    #[test]
    fn with_two_parameters_the_ball_is_at_its_true_loss_and_has_no_stick() {
        let (mut world, view) = placed("03_hours_studied.ron", 10);
        let mut balls = world.query::<(&Ball, &Transform, &TrueLoss)>();
        let sim = world.resource::<Simulation>();
        for (ball, transform, truth) in balls.iter(&world) {
            let run = &sim.session.runs[ball.run];
            let loss = run.trajectory.last().expect("steps were taken").loss;
            // A loss a hair below the grid's lowest vertex (the floor lies between vertices;
            // after 400 steps the ball is there) is drawn on the box's floor, as
            // `true_world_of` says.
            let top = (1.0 + VIEW_HEADROOM) * view.map.top();
            let height = (view.map.height.unit(loss) * view.map.top()).clamp(0.0, top) as f32;
            assert!(
                (transform.translation.y - BALL_LIFT - height).abs() < 1e-4,
                "ball at {} (lift {BALL_LIFT}), loss {loss} at step {} should be drawn at {height}",
                transform.translation.y,
                run.trajectory.last().expect("steps").step
            );
            assert_eq!(*truth, TrueLoss(None));
        }
    }
}
