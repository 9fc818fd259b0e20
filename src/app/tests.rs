//! Tests that need the whole composition (`headless_plugin`, several features at once): they
//! sit above `mod.rs` in the layers, as the integration tests in `tests/` do.

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy_egui::egui;

use super::ball::{BALL_LIFT, Ball, CurveReadout, Trail, TrueLoss, VIEW_HEADROOM, extend_trails, sync_ball_transforms};
use super::files::FileAction;
use super::headless_plugin;
use super::landscape::SurfaceGrid;
use super::picking::ray_hit;
use super::settings::{SimSettings, UiLayout, ViewSwitches};
use super::sim::{Simulation, load_scene};
use super::surface::{SurfaceView, surface_view};
use super::ui::{PanelState, SidePanel};

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

/// What a system after the panel saw of the scene's, the switches' and the text drafts' change
/// detection, one entry per frame.
#[derive(Resource, Default)]
struct Seen(Vec<(bool, bool, bool)>);

/// The real side panel, drawn into a plain egui context with no input at all (no pointer, no
/// keys), as a frame in which the user does nothing.
fn draw_panel_without_input(ctx: Local<egui::Context>, mut panel: SidePanel) {
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 900.0));
    let input = egui::RawInput { screen_rect: Some(screen), ..default() };
    ctx.run_ui(input, |ui| panel.show(ui.ctx())).drop_without_applying_deltas();
}

fn record_changes(settings: Res<SimSettings>, switches: Res<ViewSwitches>, drafts: Res<PanelState>, mut seen: ResMut<Seen>) {
    seen.0.push((settings.is_changed(), switches.is_changed(), drafts.is_changed()));
}

#[test]
fn a_frame_without_input_leaves_the_scene_unchanged() {
    // A network in explorer mode: every section of the panel is drawn.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes/06_dense_layer.ron");
    let (settings, sim) = load_scene(&path).expect("lessons load");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(settings)
        .insert_resource(sim)
        .add_plugins(headless_plugin)
        .init_resource::<super::record::Recorder>()
        .add_message::<super::record::ToggleRecording>()
        .init_resource::<PanelState>()
        .init_resource::<CurveReadout>()
        .init_resource::<Seen>()
        .add_message::<FileAction>()
        .add_systems(PostUpdate, (draw_panel_without_input, record_changes).chain());
    for _ in 0..6 {
        app.update();
    }
    assert!(app.world().resource::<UiLayout>().left > 100.0, "the panel was drawn");
    let seen = &app.world().resource::<Seen>().0;
    assert_eq!(seen[0], (true, true, true), "new in the first frame");
    assert!(
        seen[1..].iter().all(|&(scene, switches, drafts)| !scene && !switches && !drafts),
        "changed in a frame without input: {seen:?}"
    );
}
