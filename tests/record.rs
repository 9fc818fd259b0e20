//! `losscape SCENE --record race.gif`: the app records its 3D view as a GIF and exits. The GIF is
//! decoded: its size is the `--size` asked for, one frame per frame drawn from the first step at
//! the scene's fixed steps per frame, 20 frames a second, the balls moved between the first frame and the last while the
//! corners of the view (surface and background, the camera being still) did not, and ten
//! seconds of lesson 3 at 960×540 fit in 10 MB.
//!
//! Needs a display and Vulkan, so it is `#[ignore]`d; CI runs it under Xvfb with Mesa's
//! software Vulkan. The app gets a 2560×1440 screen, room for a 960×540 view beside the panels.

#![cfg(feature = "gui")]

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn record(scene: &str, gif: &Path, extra: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_losscape");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(scene);
    let have_xvfb = Command::new("xvfb-run").arg("--help").output().is_ok();
    let mut cmd = if have_xvfb {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 2560x1440x24", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg(scene).arg("--record").arg(gif).args(extra).output().expect("the app starts")
}

/// Size, delays, and the whole picture (RGB) after each frame.
fn decode(bytes: &[u8]) -> ((usize, usize), Vec<u16>, Vec<Vec<u8>>) {
    let g = common::decode_gif(bytes);
    (g.size, g.delays, g.pictures)
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn the_race_is_recorded_at_the_size_and_rate_asked() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("race.gif");
    let out = record("03_hours_studied.ron", &gif, &["--steps", "30", "--size", "640x360", "--fps", "20"]);
    assert!(out.status.success(), "exit {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let ((w, h), delays, pictures) = decode(&std::fs::read(&gif).unwrap());
    assert_eq!((w, h), (640, 360));
    // Lesson 3 plays 2 steps a frame: steps 0, 2, …, 30 (a frame that changed nothing on screen
    // would lengthen the one before; the caption's step changes on every one).
    assert_eq!(pictures.len(), 16, "{delays:?}");
    assert!(delays[..delays.len() - 1].iter().all(|&d| d % 5 == 0 && d > 0), "{delays:?}");
    assert!(*delays.last().unwrap() >= 100, "the last frame is held");
    let (first, last) = (&pictures[0], pictures.last().unwrap());
    let changed = first.chunks_exact(3).zip(last.chunks_exact(3)).filter(|(a, b)| a != b).count();
    assert!(changed > 200, "the balls and their trails moved: {changed} pixels changed");
    assert!(changed < w * h / 3, "the surface and the camera stayed: {changed} of {} pixels changed", w * h);
    // Every frame carries the title and the step: the caption at the top changes with the step.
    let band = |p: &Vec<u8>| p[..w * 40 * 3].to_vec();
    assert_ne!(band(first), band(last), "the caption's step changed");
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn ten_seconds_of_lesson_3_at_960x540_fit_on_a_slide() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("race.gif");
    // 2 steps a frame: 200 frames, 10 s at 20 a second.
    let out = record("03_hours_studied.ron", &gif, &["--steps", "398", "--size", "960x540"]);
    assert!(out.status.success(), "exit {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&gif).unwrap();
    let ((w, h), delays, _) = decode(&bytes);
    assert_eq!((w, h), (960, 540));
    let seconds = delays.iter().map(|&d| f64::from(d)).sum::<f64>() / 100.0;
    assert_eq!(seconds, 11.0, "10 s and the last frame held 1 s");
    assert!(bytes.len() < 10_000_000, "{} bytes", bytes.len());
}

#[test]
fn bad_record_arguments_exit_2_before_any_window() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_losscape");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes/03_hours_studied.ron");
    let gif = dir.path().join("r.gif");
    for (extra, expected) in [
        (vec!["--size", "0x0"], "--size must be from"),
        (vec!["--size", "20000x20000"], "--size must be from"),
        (vec!["--fps", "0"], "--fps must be between 1 and 50"),
        (vec!["--fps", "1000"], "--fps must be between 1 and 50"),
    ] {
        let out = Command::new(bin).arg(&scene).arg("--record").arg(&gif).args(&extra).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(expected) && err.lines().count() == 1, "{extra:?}: {err}");
    }
    let out = Command::new(bin).arg(&scene).arg("--record").arg("/nonexistent-folder/r.gif").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    let out = Command::new(bin).arg(&scene).arg("--fps").arg("10").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--fps without --record");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing written");
}
