//! The app's systems without a window or a GPU: `MinimalPlugins` plus the app's headless
//! plugins (settings, simulation, background grid), stepped with `app.update()`; and the whole
//! app's schedules (every plugin, the egui pass) built without running, checked for systems of
//! ours that conflict in no set order.

#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::ecs::schedule::{LogLevel, ScheduleBuildSettings};
use bevy::prelude::*;
use losscape::app::{
    CaptureScreenshot, CoarseFirstAbove, FileAction, FileKind, GridTask, GridWork, HISTORY_ROWS, Play, RebuildObjective, RecomputeSurface,
    ResetView, SetStart, SimSettings, Simulation, StatusLine, SurfaceGrid, files_plugin, headless_plugin, load_scene,
};
use losscape::core::landscape::Directions;
use losscape::core::{CsvColumns, CsvSource, DataSpec, Feature, Holdout, NetworkSpec, ObjectiveSpec, Penalty, RunStatus};
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
    app.world_mut().resource_mut::<NextState<Play>>().set(Play::Paused);
    app.update();
    assert_eq!(app.world().resource::<Simulation>().steps(), 0);
    app.world_mut().write_message(losscape::app::StepOnce);
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
    app.world_mut().resource_mut::<NextState<Play>>().set(Play::Paused);
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

/// The whole app as `losscape::app::run` builds it (`DefaultPlugins`, `EguiPlugin`, every
/// plugin of ours), without a window or a GPU: no winit event loop (it needs a display), no
/// primary window, and a renderer with no backend, which Bevy then leaves out. Nothing runs;
/// the schedules are only built.
fn whole_app() -> App {
    use bevy::render::RenderPlugin;
    use bevy::render::settings::WgpuSettings;
    use bevy::window::ExitCondition;
    use bevy::winit::WinitPlugin;
    let (settings, sim) = load_scene(&lesson("03_hours_studied.ron")).expect("lesson scenes load");
    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin { primary_window: None, exit_condition: ExitCondition::DontExit, close_when_requested: false, ..default() })
            .set(RenderPlugin { render_creation: WgpuSettings { backends: None, ..default() }.into(), ..default() })
            .disable::<WinitPlugin>()
            // One global logger per process; the other tests' apps have none either.
            .disable::<bevy::log::LogPlugin>(),
    )
    .add_plugins(bevy_egui::EguiPlugin::default())
    .insert_resource(settings)
    .insert_resource(sim)
    .insert_resource(losscape::app::LessonMode::new(true))
    .add_plugins(losscape::app::plugin);
    app
}

/// Builds every schedule of `app`'s main world (Update, PostUpdate, the egui pass …) and
/// returns their labels and, per schedule, each pair of systems that conflict and are not
/// ordered, where one of the two has a name containing `ours`. Bevy's own plugins have
/// ambiguities among themselves (bevy issue 7386), which are not ours to fix.
fn ambiguities(app: &mut App, ours: &str) -> (Vec<String>, Vec<String>) {
    let world = app.world_mut();
    let labels: Vec<_> = world.resource::<Schedules>().iter().map(|(_, schedule)| schedule.label()).collect();
    let mut found = Vec::new();
    for &label in &labels {
        world.schedule_scope(label, |world, schedule| {
            schedule.set_build_settings(ScheduleBuildSettings {
                ambiguity_detection: LogLevel::Ignore,
                use_shortnames: false,
                ..default()
            });
            if let Err(e) = schedule.initialize(world) {
                found.push(format!("{label:?}: does not build: {e}"));
                return;
            }
            // Built, the systems live in the executable schedule, no longer in the graph.
            let names: std::collections::HashMap<_, String> =
                schedule.systems().expect("initialised").map(|(key, system)| (key, system.name().to_string())).collect();
            for (a, b, on) in schedule.graph().conflicting_systems().iter() {
                let (a, b) = (&names[a], &names[b]);
                if a.contains(ours) || b.contains(ours) {
                    let on: Vec<String> =
                        on.iter().map(|&id| world.components().get_name(id).map_or("the world".into(), |n| n.to_string())).collect();
                    found.push(format!("{label:?}: {a} and {b} (on {})", on.join(", ")));
                }
            }
        });
    }
    (labels.iter().map(|l| format!("{l:?}")).collect(), found)
}

#[test]
fn no_schedule_has_system_order_ambiguities() {
    let mut app = whole_app();
    let (schedules, found) = ambiguities(&mut app, "losscape::");
    for needed in ["Update", "PostUpdate", "EguiPrimaryContextPass"] {
        assert!(schedules.iter().any(|s| s == needed), "{needed} is checked: {schedules:?}");
    }
    assert!(found.is_empty(), "systems of ours that touch the same data in no set order:\n{}", found.join("\n"));
}

/// The check above finds an ambiguity when there is one: two systems writing one resource
/// with no order between them.
#[test]
fn the_ambiguity_check_finds_a_planted_one() {
    fn bump_one(mut s: ResMut<StatusLine>) {
        s.text.push('a');
    }
    fn bump_two(mut s: ResMut<StatusLine>) {
        s.text.push('b');
    }
    let mut app = whole_app();
    app.add_systems(bevy_egui::EguiPrimaryContextPass, (bump_one, bump_two));
    let (_, found) = ambiguities(&mut app, "bump_");
    assert!(found.iter().any(|f| f.contains("EguiPrimaryContextPass") && f.contains("bump_one") && f.contains("StatusLine")), "{found:?}");
}

/// The network spec being edited, as the panel would reach it.
fn network_spec(app: &mut App) -> Mut<'_, NetworkSpec> {
    app.world_mut().resource_mut::<SimSettings>().map_unchanged(|s| match &mut s.scene.objective {
        ObjectiveSpec::Network(n) => n,
        ObjectiveSpec::Function(_) => panic!("a network lesson"),
    })
}

/// Sends `RebuildObjective` (what every panel edit of the objective does) and runs one frame.
fn rebuild(app: &mut App) {
    app.world_mut().write_message(RebuildObjective::default());
    app.update();
}

/// The edit was refused: red status line and objective message naming `needle`, and the
/// previous objective still running (same spec, still stepping).
fn assert_refused(app: &mut App, needle: &str, before: &ObjectiveSpec) {
    let status = app.world().resource::<StatusLine>().clone();
    assert!(status.error && status.text.contains(needle), "status line: {}", status.text);
    let why = status.objective.expect("the panel shows why the objective was not applied");
    assert!(why.contains(needle) && !why.contains('\n'), "one line naming {needle:?}: {why}");
    let steps = app.world().resource::<Simulation>().steps();
    app.update();
    let sim = app.world().resource::<Simulation>();
    assert_eq!(&sim.applied, before, "the previous objective keeps running");
    assert!(sim.steps() > steps, "and keeps stepping");
}

#[test]
fn what_changed_the_objective_stays_on_the_status_line_with_the_new_count() {
    // A picked CSV (the web page) says what it brought; the rebuild adds the parameter count
    // instead of replacing the message in the same frame.
    let mut app = app_for_lesson("03_hours_studied.ron");
    app.update();
    app.world_mut().write_message(RebuildObjective(Some("hours.csv: 6 rows, 1 input column".into())));
    app.update();
    let status = app.world().resource::<StatusLine>();
    assert!(!status.error);
    assert_eq!(status.text, "hours.csv: 6 rows, 1 input column; 2 parameters");
    rebuild(&mut app);
    assert_eq!(app.world().resource::<StatusLine>().text, "2 parameters");
}

#[test]
fn an_expression_that_does_not_parse_keeps_the_previous_function() {
    let mut app = app_for_lesson("01_x_squared.ron");
    app.update();
    let before = app.world().resource::<Simulation>().applied.clone();
    if let ObjectiveSpec::Function(f) = &mut app.world_mut().resource_mut::<SimSettings>().scene.objective {
        f.expr = "3*x^^2 +".into();
    }
    rebuild(&mut app);
    assert_refused(&mut app, "cannot parse", &before);
    assert_eq!(app.world().resource::<Simulation>().objective().dim(), 1);
}

#[test]
fn a_missing_or_malformed_csv_is_reported_and_the_old_data_kept() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    app.update();
    let before = app.world().resource::<Simulation>().applied.clone();
    network_spec(&mut app).data = DataSpec::Csv(CsvSource::Path("no_such_file.csv".into()));
    rebuild(&mut app);
    assert_refused(&mut app, "no_such_file.csv", &before);

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("hours.csv");
    std::fs::write(&csv, "hours,grade\n2,3\n4,five\n").unwrap();
    let path = csv.display().to_string();
    network_spec(&mut app).data = DataSpec::Csv(CsvSource::Path(path.clone()));
    rebuild(&mut app);
    assert_refused(&mut app, "hours.csv:3", &before);

    std::fs::write(&csv, "hours,grade\n2,3\n4,5\n6,4\n").unwrap();
    network_spec(&mut app).data =
        DataSpec::Csv(CsvSource::Columns(CsvColumns { path: path.clone(), x: None, y: Some(vec!["mark".into()]) }));
    rebuild(&mut app);
    assert_refused(&mut app, "no column named \"mark\"", &before);

    // The same file with the right column applies, and the message goes away.
    network_spec(&mut app).data = DataSpec::Csv(CsvSource::Columns(CsvColumns { path, x: None, y: Some(vec!["grade".into()]) }));
    rebuild(&mut app);
    let status = app.world().resource::<StatusLine>();
    assert!(!status.error && status.objective.is_none(), "{}", status.text);
    assert_eq!(app.world().resource::<Simulation>().objective().network().unwrap().train.n, 3);
}

#[test]
fn values_the_core_refuses_leave_the_running_network() {
    let mut app = app_for_lesson("06_dense_layer.ron");
    app.update();
    let before = app.world().resource::<Simulation>().applied.clone();
    network_spec(&mut app).batch_size = Some(500);
    rebuild(&mut app);
    assert_refused(&mut app, "batch_size", &before);
    network_spec(&mut app).batch_size = None;

    network_spec(&mut app).inputs = 3;
    rebuild(&mut app);
    assert_refused(&mut app, "inputs", &before);
    network_spec(&mut app).inputs = 2;

    network_spec(&mut app).holdout = Some(Holdout { share: 0.999, seed: 0 });
    rebuild(&mut app);
    assert_refused(&mut app, "holdout", &before);
}

#[test]
fn features_penalty_holdout_and_batches_apply_live() {
    let mut app = app_for_lesson("06_dense_layer.ron");
    app.update();
    {
        let mut net = network_spec(&mut app);
        net.features = Some(vec![Feature::X1, Feature::X2, Feature::X1X2]);
        net.inputs = 3;
        net.penalty = Some(Penalty::L2(0.01));
        net.holdout = Some(Holdout { share: 0.25, seed: 1 });
        net.batch_size = Some(16);
        net.batch_seed = 4;
    }
    rebuild(&mut app);
    let status = app.world().resource::<StatusLine>();
    assert!(!status.error, "{}", status.text);
    for _ in 0..3 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    let net = sim.objective().network().expect("still a network");
    assert_eq!(net.net.inputs(), 3);
    // 3 inputs → 3 tanh units → 1: 12 + 4 parameters.
    assert_eq!(sim.objective().dim(), 16);
    assert_eq!((net.train.n, net.holdout.as_ref().map(|h| h.n)), (150, Some(50)));
    assert_eq!((net.penalty, net.batch_size, net.batch_seed), (Some(Penalty::L2(0.01)), Some(16), 4));
    let last = sim.session.runs[0].trajectory.last().unwrap();
    assert!(last.holdout_loss.is_some_and(f64::is_finite), "the held-out loss is recorded");
}

#[test]
fn a_click_on_the_surface_restarts_every_run_there() {
    let mut app = app_for_lesson("03_hours_studied.ron");
    for _ in 0..5 {
        app.update();
    }
    let generation = app.world().resource::<Simulation>().generation;
    app.world_mut().resource_mut::<NextState<Play>>().set(Play::Paused);
    app.world_mut().write_message(SetStart(vec![2.0, -1.0]));
    app.update();
    let sim = app.world().resource::<Simulation>();
    assert_eq!(sim.start, [2.0, -1.0]);
    assert_eq!(sim.generation, generation + 1, "visuals start afresh");
    for run in &sim.session.runs {
        assert_eq!((run.steps(), run.theta.as_slice()), (0, [2.0, -1.0].as_slice()));
    }
    // A point of the wrong size (a stale click after the objective changed) is ignored.
    app.world_mut().write_message(SetStart(vec![1.0, 2.0, 3.0]));
    app.update();
    assert_eq!(app.world().resource::<Simulation>().start, [2.0, -1.0]);
    assert_eq!(app.world().resource::<Simulation>().generation, generation + 1);
}

#[test]
fn every_slice_direction_draws_a_surface_for_a_nine_parameter_layer() {
    let mut app = app_for_lesson("06_dense_layer.ron");
    for directions in [Directions::Pca, Directions::Hessian, Directions::Random { seed: 5, include_bias: false }] {
        app.world_mut().resource_mut::<SimSettings>().scene.surface.directions = directions.clone();
        app.world_mut().resource_mut::<SimSettings>().scene.surface.res = 16;
        app.world_mut().write_message(RecomputeSurface);
        app.update();
        let wanted = app.world().resource::<GridTask>().requested;
        update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.as_ref().is_some_and(|l| l.generation == wanted));
        let land = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
        let status = app.world().resource::<StatusLine>();
        assert!(!status.error, "{directions:?}: {}", status.text);
        assert_eq!((land.dim, land.res()), (13, 16), "{directions:?}");
        assert!(land.grid.loss.iter().all(|l| l.is_finite()), "{directions:?}");
        let [ra, rb] = land.ranges();
        assert!(ra.1 > ra.0 && rb.1 > rb.0, "{directions:?}: a real plane");
    }
}

#[test]
fn each_layers_gradient_norm_is_recorded_at_every_step() {
    let mut app = app_for_lesson("07b_deep_sigmoid.ron");
    for _ in 0..20 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    let history = &sim.layer_norms[0];
    let steps = sim.session.runs[0].steps();
    assert_eq!(history.steps, (0..=steps).collect::<Vec<_>>());
    assert!(history.norms.iter().all(|n| n.len() == 7), "one norm per layer");
    // Vanishing gradients: six sigmoids shrink the first layer's gradient far below the last's.
    let last = history.norms.last().unwrap();
    assert!(last[0] < 0.1 * last[6], "first layer {} vs output {}", last[0], last[6]);
}

#[test]
fn a_long_gradient_history_thins_itself_and_still_spans_the_run() {
    let mut app = app_for_ron(
        "(objective: network(inputs: 1, layers: [(units: 1, activation: tanh)], loss: mse, data: inline(x: [[0.5]], y: [[0.8]])), runs: [(optimizer: sgd(lr: 0.01))], steps: 6000, steps_per_frame: 200)",
    );
    for _ in 0..30 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    let history = &sim.layer_norms[0];
    assert_eq!(sim.steps(), 6000);
    assert!(history.steps.len() < HISTORY_ROWS && history.steps.len() > HISTORY_ROWS / 4, "{} rows", history.steps.len());
    assert_eq!(history.steps[0], 0);
    assert!(*history.steps.last().unwrap() > 6000 - 8, "reaches the end: {:?}", history.steps.last());
    assert!(history.steps.windows(2).all(|w| w[1] - w[0] == history.steps[1] - history.steps[0]), "evenly spaced");
}

/// The headless app plus the files plugin (it needs no window: the camera is optional).
fn app_with_files(name: &str) -> App {
    let mut app = app_for_lesson(name);
    app.add_message::<CaptureScreenshot>().add_message::<ResetView>().add_plugins(files_plugin);
    app
}

fn file_action(app: &mut App, kind: FileKind, path: &Path) {
    app.world_mut().write_message(FileAction { kind, path: path.to_path_buf() });
    app.update();
}

#[test]
fn save_open_and_export_write_files_and_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with_files("06_dense_layer.ron");
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
    let said = |app: &App| app.world().resource::<StatusLine>().clone();

    let scene_path = dir.path().join("edited.json");
    app.world_mut().resource_mut::<SimSettings>().scene.steps = 123;
    file_action(&mut app, FileKind::SaveScene, &scene_path);
    let status = said(&app);
    assert!(!status.error && status.text.contains(&scene_path.display().to_string()), "{}", status.text);
    assert_eq!(scene::load(&scene_path).unwrap().steps, 123, "the edited scene was written");

    for (kind, name, header) in
        [(FileKind::Trajectory, "traj.csv", "run,step,loss,grad_norm,clipped,p0"), (FileKind::Grid, "grid.csv", "a,b,loss")]
    {
        let path = dir.path().join(name);
        file_action(&mut app, kind, &path);
        let status = said(&app);
        assert!(!status.error && status.text.contains(&path.display().to_string()), "{}", status.text);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(header), "{name}: {}", text.lines().next().unwrap_or(""));
    }
    let mesh = dir.path().join("surface.obj");
    file_action(&mut app, FileKind::Mesh, &mesh);
    assert!(std::fs::read_to_string(&mesh).unwrap().lines().any(|l| l.starts_with("v ")));
    let plot = dir.path().join("loss.png");
    file_action(&mut app, FileKind::LossPlot, &plot);
    assert!(!said(&app).error, "{}", said(&app).text);
    let png = std::fs::read(&plot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let info = decoder.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (1000, 600), "losscape plot's default size");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 5, "no temporary files left behind: {leftovers:?}");

    // With an edit the core refused, the scene saved is the one running.
    let running = app.world().resource::<Simulation>().applied.clone();
    network_spec(&mut app).batch_size = Some(10_000);
    rebuild(&mut app);
    let refused = dir.path().join("refused.ron");
    file_action(&mut app, FileKind::SaveScene, &refused);
    assert!(said(&app).text.contains("running objective"), "{}", said(&app).text);
    assert_eq!(scene::load(&refused).unwrap().objective, running);
    network_spec(&mut app).batch_size = None;

    // Opening a file that is not there changes nothing; opening the saved one restores it.
    app.world_mut().resource_mut::<SimSettings>().scene.steps = 7;
    file_action(&mut app, FileKind::OpenScene, &dir.path().join("missing.ron"));
    assert!(said(&app).error);
    assert_eq!(app.world().resource::<SimSettings>().scene.steps, 7);
    file_action(&mut app, FileKind::OpenScene, &scene_path);
    assert!(!said(&app).error, "{}", said(&app).text);
    assert_eq!(app.world().resource::<SimSettings>().scene.steps, 123);
}

/// One landscape (issue 13): the app's surface, built headless, and `losscape surface` on the
/// same scene are the same grid, value for value.
/// The loss column of `losscape surface SCENE --out g.csv`, vertex by vertex.
fn cli_grid_losses(scene: &Path) -> Vec<f64> {
    cli_grid_losses_with(scene, &[])
}

/// The same with more arguments.
fn cli_grid_losses_with(scene: &Path, more: &[&str]) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("g.csv");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_losscape"))
        .args(["surface", scene.to_str().unwrap(), "--out", csv.to_str().unwrap()])
        .args(more)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}: {}", scene.display(), String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    text.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect()
}

#[test]
fn the_app_and_the_command_line_draw_the_same_surface() {
    // On a background task (the desktop) and in slices per frame (the web page's one thread).
    for (name, work) in [
        ("03_hours_studied.ron", GridWork::Task),
        ("06_dense_layer.ron", GridWork::Task),
        ("08_exploding.ron", GridWork::Task),
        ("06_dense_layer.ron", GridWork::Sliced),
        ("08_exploding.ron", GridWork::Sliced),
    ] {
        let mut app = app_for_lesson(name);
        app.insert_resource(work);
        // The full grid (a costly one is drawn coarse first: the next test).
        update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.as_ref().is_some_and(|l| !l.coarse));
        let land = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
        let losses = cli_grid_losses(&lesson(name));
        assert_eq!(losses.len(), land.grid.loss.len(), "{name}: vertices");
        for (k, (cli, app)) in losses.iter().zip(&land.grid.loss).enumerate() {
            assert!(cli.to_bits() == app.to_bits() || (cli.is_nan() && app.is_nan()), "{name}: vertex {k}: {cli} vs {app}");
        }
        assert!(land.grid.loss.iter().all(|v| v.is_finite()), "{name}: a finite surface");
    }
}

/// A costly surface is drawn first from a coarse grid — the command line's grid at a quarter of
/// the resolution, value for value — and then refined to the full one of the same request, on
/// the web page's slices (lesson 8's 752 Mflop are above its threshold) and on the desktop's
/// thread (whose threshold, 10 Gflop, no lesson reaches: lowered here, and the grid made 11×
/// larger so that the full grid cannot land in the same frame as the coarse one).
#[test]
fn a_costly_surface_is_drawn_coarse_first_then_refined() {
    let name = "08_exploding.ron";
    for (work, threshold, res) in [(GridWork::Sliced, None, 48), (GridWork::Task, Some(1e6), 160)] {
        let coarse_cli = cli_grid_losses_with(&lesson(name), &["--res", &(res / 4).to_string()]);
        let mut app = app_for_lesson(name);
        app.insert_resource(work).insert_resource(CoarseFirstAbove(threshold));
        app.world_mut().resource_mut::<SimSettings>().scene.surface.res = res;
        update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
        let coarse = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
        assert!(coarse.coarse && app.world().resource::<GridTask>().refining(), "{work:?}: coarse first");
        assert_eq!(coarse.res(), res / 4);
        let bits = |v: &[f64]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&coarse.grid.loss), bits(&coarse_cli), "{work:?}");
        update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.as_ref().is_some_and(|l| !l.coarse));
        let full = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
        assert_eq!((full.res(), full.generation, full.plane.center == coarse.plane.center), (res, coarse.generation, true), "{work:?}");
        assert_eq!(full.ranges(), coarse.ranges(), "{work:?}: the same span");
        assert!(!app.world().resource::<GridTask>().refining());
    }
    // A cheap surface is drawn once, in full.
    let mut app = app_for_lesson("06_dense_layer.ron");
    app.insert_resource(GridWork::Sliced);
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
    assert!(!app.world().resource::<SurfaceGrid>().current.as_ref().unwrap().coarse);
}

/// "Recentre on ball" is saved with the scene: after Save, `losscape surface` on the saved file
/// gives the app's recentred grid, value for value.
#[test]
fn a_recentred_slice_saved_is_the_command_lines_slice() {
    let mut app = app_for_lesson("06_dense_layer.ron");
    app.add_message::<CaptureScreenshot>().add_message::<ResetView>().add_plugins(files_plugin);
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.is_some());
    for _ in 0..15 {
        app.update();
    }
    // What the button does: the slice through run 1's parameters, then a new grid.
    let theta = app.world().resource::<Simulation>().session.runs[0].theta.clone();
    app.world_mut().resource_mut::<SimSettings>().scene.surface.center = scene::Center::At(theta.clone());
    app.world_mut().write_message(RecomputeSurface);
    update_until(&mut app, |w| w.resource::<SurfaceGrid>().current.as_ref().is_some_and(|l| l.plane.center == theta));
    let land = app.world().resource::<SurfaceGrid>().current.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("recentred.ron");
    app.world_mut().write_message(FileAction { kind: FileKind::SaveScene, path: saved.clone() });
    update_until(&mut app, |_| saved.exists());
    let losses = cli_grid_losses(&saved);
    assert_eq!(losses.len(), land.grid.loss.len());
    for (k, (cli, app)) in losses.iter().zip(&land.grid.loss).enumerate() {
        assert_eq!(cli.to_bits(), app.to_bits(), "vertex {k}: {cli} vs {app}");
    }
}
