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

use super::camera::ViewCamera;
use super::sets::AppSystems;
use super::settings::ViewSwitches;
use super::sim::Simulation;
use super::surface::{SurfaceView, ViewMap};
use super::view::{HALF, run_colour};
use crate::core::{RunStatus, Workspace};

pub(super) fn plugin(app: &mut App) {
    app.insert_gizmo_config(OnTopGizmos, GizmoConfig { depth_bias: -1.0, ..default() });
    app.init_resource::<CurveReadout>().add_systems(
        Update,
        (respawn_balls, extend_trails, sync_ball_transforms, update_curve_readout, draw_ball_overlays)
            .chain()
            .in_set(AppSystems::SyncVisuals),
    );
}

/// Ball radius in world units.
pub const BALL_RADIUS: f32 = 0.22;

/// How far above the highest drawn loss (as a fraction of the box's height) a point still
/// counts as in view.
pub(super) const VIEW_HEADROOM: f64 = 0.1;

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
    key: Option<(u64, bool, [u64; 2], bool)>,
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

fn color_of(i: usize) -> Color {
    let [r, g, b] = run_colour(i);
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
fn view_key(map: &ViewMap) -> (u64, bool, [u64; 2], bool) {
    (map.land.generation, map.land.coarse, [map.height.lo.to_bits(), map.height.hi.to_bits()], map.height.log)
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
pub(super) fn extend_trails(sim: Res<Simulation>, view: Option<Res<SurfaceView>>, mut trails: Query<(&Ball, &mut Trail)>) {
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
    switches: Res<ViewSwitches>,
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
    let h = switches.secant_h;
    let f = run.trajectory.last().map_or(f64::NAN, |r| r.loss);
    let f_h = sim.objective().loss(&[a + h], &mut ws);
    *readout = CurveReadout { a, f, tangent: run.grad[0], secant: (f_h - f) / h, f_h, shown: true };
}

/// Trails, arrows, stop marks, and the curve's tangent and secant (immediate-mode gizmos).
fn draw_ball_overlays(
    sim: Res<Simulation>,
    switches: Res<ViewSwitches>,
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
        if switches.show_trails && trail.points.len() > 1 {
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
        draw_arrows(&mut gizmos, &view.map, run, at, &switches, color);
    }
    if readout.shown {
        draw_tangent_and_secant(&mut gizmos, &view.map, &readout, switches.secant_h);
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
pub fn off_range(map: &ViewMap, loss: f64) -> Option<&'static str> {
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
fn draw_arrows(gizmos: &mut Gizmos, map: &ViewMap, run: &crate::core::Run, at: Vec3, switches: &ViewSwitches, color: Color) {
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
    if switches.show_gradient {
        let v = grad_xz * gain;
        gizmos.arrow(at + lift, at + lift + Vec3::new(v.x, 0.0, v.y), Color::srgb(0.97, 0.97, 0.97));
    }
    if switches.show_step && step_xz != Vec2::ZERO && (step_xz - grad_xz).length() > 0.05 * longest {
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
