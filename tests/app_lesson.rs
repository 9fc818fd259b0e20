//! Lesson mode's navigation and the app's shared lines, without a window: `MinimalPlugins` plus
//! the app's headless plugins, driven by the same messages the buttons and keys send.

#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use losscape::app::{GoToLesson, LessonMode, OpenSharedLine, ShareState, SimSettings, Simulation, StatusLine, headless_plugin, load_scene};
use losscape::lessons::LESSONS;

fn scenes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes")
}

fn app_on(name: &str, lesson_mode: bool) -> App {
    let (settings, sim) = load_scene(&scenes().join(name)).expect("lesson scenes load");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .insert_resource(settings)
        .insert_resource(sim)
        .insert_resource(LessonMode::new(lesson_mode))
        .add_plugins(headless_plugin);
    app.update();
    app
}

fn scene_name(app: &App) -> String {
    app.world().resource::<SimSettings>().scene.name.clone()
}

#[test]
fn next_and_previous_walk_through_the_lessons_in_order() {
    let mut app = app_on("00_derivative_limit.ron", true);
    assert_eq!(app.world().resource::<LessonMode>().current, Some(0));
    let names: Vec<&str> = LESSONS.iter().map(|l| l.file).collect();
    for (i, file) in names.iter().enumerate().skip(1) {
        let next = app.world().resource::<LessonMode>().neighbour(1).expect("a next lesson");
        app.world_mut().write_message(GoToLesson(next));
        app.update();
        let lesson = app.world().resource::<LessonMode>();
        assert_eq!(lesson.current, Some(i), "after {file}");
        let settings = app.world().resource::<SimSettings>();
        assert_eq!((settings.lesson, settings.file_name().as_deref()), (Some(i), Some(*file)));
        // The new lesson runs: its objective is the one stepped.
        let expected = losscape::scene::load(&scenes().join(file)).unwrap();
        assert_eq!(settings.scene, expected);
        assert_eq!(app.world().resource::<Simulation>().session.runs.len(), expected.runs.len());
    }
    assert_eq!(app.world().resource::<LessonMode>().neighbour(1), None, "the last lesson has no next");
    let previous = app.world().resource::<LessonMode>().neighbour(-1).unwrap();
    app.world_mut().write_message(GoToLesson(previous));
    app.update();
    assert_eq!(app.world().resource::<LessonMode>().current, Some(names.len() - 2));
}

#[test]
fn the_arrow_keys_change_lessons_only_in_lesson_mode() {
    for active in [true, false] {
        let mut app = app_on("03b_momentum_adam.ron", active);
        app.init_resource::<ButtonInput<KeyCode>>();
        app.world_mut().resource_mut::<ButtonInput<KeyCode>>().press(KeyCode::PageDown);
        app.update();
        let expected = if active { "Lesson 4:" } else { "Lesson 3b:" };
        assert!(scene_name(&app).starts_with(expected), "lesson mode {active}: {}", scene_name(&app));
        let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
        keys.release(KeyCode::PageDown);
        keys.clear();
        keys.press(KeyCode::ArrowLeft);
        app.update();
        assert!(scene_name(&app).starts_with("Lesson 3b:"), "lesson mode {active}: {}", scene_name(&app));
    }
}

#[test]
fn a_shared_line_restores_the_scene_exactly() {
    let mut app = app_on("01_x_squared.ron", false);
    let source = scenes().join("07b_deep_sigmoid.ron");
    let scene = losscape::scene::load(&source).unwrap();
    let line = losscape::share::encode(&scene, &scenes()).unwrap();
    app.world_mut().write_message(OpenSharedLine(format!("  {line}\n")));
    app.update();
    let settings = app.world().resource::<SimSettings>();
    assert_eq!(settings.scene, scene, "the very same scene");
    assert_eq!(settings.path, None, "a shared scene has no file");
    assert!(!app.world().resource::<StatusLine>().error);
    // The same trajectory as the file's scene: compare the first steps with a fresh session.
    for _ in 0..5 {
        app.update();
    }
    let sim = app.world().resource::<Simulation>();
    let steps = sim.steps();
    assert!(steps > 0);
    let mut reference = losscape::core::Session::new(scene.build(&source).unwrap(), &scene.runs).unwrap();
    reference.run(steps);
    assert_eq!(sim.session.runs[0].theta, reference.runs[0].theta, "bit for bit after {steps} steps");
}

#[test]
fn a_bad_shared_line_leaves_the_scene_and_says_why_in_one_line() {
    let mut app = app_on("03_hours_studied.ron", false);
    let before = app.world().resource::<SimSettings>().scene.clone();
    let good = losscape::share::encode(&before, &scenes()).unwrap();
    for bad in ["hello", "losscape1.", "losscape1.***", &good[..good.len() / 2]] {
        app.world_mut().write_message(OpenSharedLine(bad.to_string()));
        app.update();
        let status = app.world().resource::<StatusLine>();
        assert!(status.error && !status.text.is_empty() && !status.text.contains('\n'), "{bad:?}: {:?}", status.text);
        let (message, error) = app.world().resource::<ShareState>().message.clone().unwrap();
        assert!(error && message == status.text);
        assert_eq!(app.world().resource::<SimSettings>().scene, before, "{bad:?} must not change the scene");
    }
}

#[test]
fn the_share_window_shows_the_line_of_the_scene_on_screen() {
    let mut app = app_on("05_dying_relu.ron", true);
    app.update();
    assert!(app.world().resource::<ShareState>().line.is_none(), "made only while the window is open");
    app.world_mut().resource_mut::<ShareState>().open = true;
    app.update();
    let line = app.world().resource::<ShareState>().line.clone().unwrap().unwrap();
    let scene = app.world().resource::<SimSettings>().scene.clone();
    assert_eq!(losscape::share::decode(&line).unwrap(), scene);
    // An edit (a new learning rate) gives a new line.
    *app.world_mut().resource_mut::<SimSettings>().scene.runs[0].optimizer.lr_mut() = 0.5;
    app.update();
    let edited = app.world().resource::<ShareState>().line.clone().unwrap().unwrap();
    assert_ne!(edited, line);
    assert_eq!(losscape::share::decode(&edited).unwrap().runs[0].optimizer.lr(), 0.5);
}
