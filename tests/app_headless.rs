//! The app's systems without a window or a GPU: `MinimalPlugins` plus the app's headless
//! plugins (settings, simulation, background grid), stepped with `app.update()`.

#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings};
use bevy::prelude::*;
use losscape::app::grid::{GridTask, SurfaceGrid};
use losscape::app::settings::{RecomputeSurface, SimSettings, StatusLine};
use losscape::app::sim::Simulation;
use losscape::app::{headless_plugin, load_scene};
use losscape::core::RunStatus;
use losscape::scene::{self, Format};

fn lesson(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(name)
}

fn app_with(settings: SimSettings, sim: Simulation) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).insert_resource(settings).insert_resource(sim).add_plugins(headless_plugin);
    app
}

fn app_for_lesson(name: &str) -> App {
    let (settings, sim) = load_scene(&lesson(name)).expect("lesson scenes load");
    app_with(settings, sim)
}

fn app_for_ron(text: &str) -> App {
    let scene = scene::parse(text, Format::Ron, Path::new("test.ron")).expect("test scene parses");
    let objective = scene.build_in(Path::new(".")).expect("test scene builds");
    let settings = SimSettings::new(scene, None);
    let sim = Simulation::new(objective, &settings).expect("runs are valid");
    app_with(settings, sim)
}

/// Updates until `done` holds (grids are computed on other threads), at most 20 s.
fn update_until(app: &mut App, done: impl Fn(&World) -> bool) {
    let start = Instant::now();
    while !done(app.world()) {
        assert!(start.elapsed() < Duration::from_secs(20), "timed out");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_ball_moves_downhill() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    for _ in 0..30 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    let per_frame = app.world().resource::<SimSettings>().scene.steps_per_frame as u64;
    for run in &sim.session.runs {
        let rec = &run.trajectory.records;
        assert_eq!(run.steps(), 30 * per_frame, "{} steps per frame while playing", per_frame);
        assert!(rec.last().unwrap().loss < 0.5 * rec[0].loss, "{}: {} → {}", run.spec.label(), rec[0].loss, rec.last().unwrap().loss);
        assert_eq!(run.status, RunStatus::Running);
    }
}

#[test]
fn pausing_stops_and_step_once_takes_one_step() {
    let mut app = app_for_lesson("01_x_squared.ron");
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    app.update();
    assert_eq!(app.world().resource::<Simulation>().steps(), 0);
    app.world_mut().write_message(losscape::app::settings::StepOnce);
    app.update();
    let sim = app.world().resource::<Simulation>();
    assert_eq!(sim.steps(), 1);
    assert_eq!(sim.session.runs[0].theta[0], 8.0);
}

#[test]
fn the_clipping_indicator_lights_when_clipping_fires() {
    let mut app = app_for_ron(
        "(objective: function(expr: \"x^2\", start: [10.0]), runs: [(optimizer: sgd(lr: 0.1), clip: norm(1.0)), (optimizer: sgd(lr: 0.1))])",
    );
    app.update();
    let sim = app.world().resource::<Simulation>();
    let clipped = |i: usize| sim.session.runs[i].trajectory.last().unwrap().clipped;
    assert!(clipped(0), "|f'(x)| ≈ 20 > 1: the norm clip fires");
    assert!(!clipped(1), "no clipping configured");
    // Clipping to norm 1 moves x by lr·1 per step.
    assert!((sim.session.runs[0].theta[0] - (10.0 - 0.1 * 20.0 / (20.0 + 1e-6))).abs() < 1e-12);
}

#[test]
fn a_diverging_ball_stops_and_the_others_keep_going() {
    let mut app = app_for_ron(
        "(objective: function(expr: \"x^2\", start: [1.0]), runs: [(optimizer: sgd(lr: 1e200)), (optimizer: sgd(lr: 0.1))], steps: 1000, steps_per_frame: 5)",
    );
    for _ in 0..10 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    assert!(matches!(sim.session.runs[0].status, RunStatus::Diverged { .. }));
    assert_eq!(sim.session.runs[1].status, RunStatus::Running);
    assert_eq!(sim.session.runs[1].steps(), 50);
    let status = app.world().resource::<StatusLine>();
    assert!(status.error && status.text.contains("run 1"), "{}", status.text);
}

#[test]
fn a_ball_that_leaves_the_view_stops() {
    // lr 1.5 on x²: x ← −2x, a growing zig-zag that leaves any fixed view.
    let mut app = app_for_ron(
        "(objective: function(expr: \"x^2\", start: [1.0]), runs: [(optimizer: sgd(lr: 1.5))], steps: 10000, surface: (res: 16, span: 4.0))",
    );
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
    update_until(&mut app, |w| !w.resource::<Simulation>().session.runs[0].is_running());
    let sim = app.world().resource::<Simulation>();
    let x = sim.session.runs[0].theta[0];
    assert!(x.is_finite() && x.abs() > 4.0 && x.abs() < 1e6, "stopped soon after leaving the ±4 view: x = {x}");
    assert!(app.world().resource::<StatusLine>().text.contains("left the view"));
}

#[test]
fn a_stale_grid_is_dropped() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    app.world_mut().resource_mut::<SimSettings>().playing = false;
    // The startup request (res 96) is superseded by res 24, then by res 12; a grid other than
    // the newest never shows.
    app.update();
    for res in [24, 12] {
        app.world_mut().resource_mut::<SimSettings>().scene.surface.res = res;
        app.world_mut().write_message(RecomputeSurface);
        app.update();
        assert!(app.world().resource::<SurfaceGrid>().current.as_ref().is_none_or(|l| l.res() != 24));
    }
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.as_ref().is_some_and(|l| l.res() == 12));
    let land = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
    let tasks = app.world().resource::<GridTask>();
    assert_eq!(land.res(), 12, "only the newest request lands");
    assert_eq!(land.generation, tasks.requested);
    assert_eq!(tasks.requested, 3);
    assert!(tasks.stale_dropped >= 1, "the res-24 grid was superseded: {}", tasks.stale_dropped);
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(app.world().resource::<SurfaceGrid>().current.as_ref().unwrap().res(), 12, "no stale grid lands later");
}

#[test]
fn the_exact_surface_of_lesson_three_has_its_floor_at_the_least_squares_fit() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
    let land = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
    assert_eq!(land.labels, ["w".to_string(), "b".to_string()]);
    let k = (0..land.grid.loss.len()).min_by(|&a, &b| land.grid.loss[a].total_cmp(&land.grid.loss[b])).unwrap();
    let (i, j) = (k % land.res(), k / land.res());
    // The valley is long and narrow along b: allow two cells.
    let cell = 2.0 * 2.0 * 3.0 / (land.res() - 1) as f64;
    assert!(
        (land.grid.a[i] - 0.55).abs() <= cell && (land.grid.b[j] - 1.90).abs() <= cell,
        "minimum at ({}, {})",
        land.grid.a[i],
        land.grid.b[j]
    );
}

#[test]
fn update_has_no_system_order_ambiguities() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    app.edit_schedule(Update, |schedule| {
        schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..default() });
    });
    app.update();
}
