//! `losscape animate`: the GIF decoded frame by frame, its bytes the same on every run and
//! thread count, and bad arguments refused with one line and no file left behind.

mod common;

use std::path::Path;
use std::process::Command;

use common::{decode_gif as decode, losscape, scene, stderr};

fn animate(scene_name: &str, out: &Path, extra: &[&str], threads: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_losscape"));
    cmd.arg("animate").arg(scene(scene_name)).arg("--out").arg(out).args(extra);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.output().expect("run losscape")
}

#[test]
fn lesson_3_animates_with_every_step_and_the_balls_moving() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("race.gif");
    let o = animate(
        "03_hours_studied.ron",
        &gif,
        &["--res", "48", "--size", "480x270", "--steps", "40", "--steps-per-frame", "1", "--fps", "20"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("480×270, 41 frames at 20 a second"), "{out}");
    let d = decode(&std::fs::read(&gif).unwrap());
    assert_eq!(d.size, (480, 270));
    assert!(d.loops_forever);
    // The step in the title changes every frame: one GIF frame per step.
    assert_eq!(d.pictures.len(), 41, "steps 0…40");
    assert!(d.delays[..40].iter().all(|&c| c == 5), "{:?}", d.delays);
    assert_eq!(d.delays[40], 105, "the last frame is held a second longer");
    let (first, last) = (&d.pictures[0], d.pictures.last().unwrap());
    let differs = |x0: usize, y0: usize, x1: usize, y1: usize| {
        (y0..y1)
            .any(|y| (x0..x1).any(|x| first[(y * 480 + x) * 3..(y * 480 + x) * 3 + 3] != last[(y * 480 + x) * 3..(y * 480 + x) * 3 + 3]))
    };
    // The left panel (contours, paths, balls) and the loss panel change; the left edge of the
    // title band (the scene's name) does not.
    assert!(differs(0, 40, 260, 270), "the balls moved on the contours");
    assert!(differs(260, 40, 480, 270), "the loss curves grew");
    assert!(!differs(0, 0, 120, 25), "the title stays");
    // The picture is the app's colour map: viridis's dark purple and yellow ends both appear.
    let has = |c: [u8; 3]| first.chunks_exact(3).any(|p| p.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 40));
    assert!(has([68, 1, 84]) || has([72, 30, 110]), "the low end of viridis");
    assert!(has([253, 231, 37]) || has([220, 225, 50]), "the high end of viridis");
}

#[test]
fn ten_seconds_of_lesson_3_at_960x540_fit_on_a_slide() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("race.gif");
    let o = animate("03_hours_studied.ron", &gif, &["--steps", "398"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(&gif).unwrap();
    let d = decode(&bytes);
    assert_eq!((d.size, d.pictures.len()), ((960, 540), 200));
    assert_eq!(d.delays.iter().map(|&c| u32::from(c)).sum::<u32>(), 1100, "10 s and the held second");
    assert!(bytes.len() < 10_000_000, "{} bytes", bytes.len());
}

#[test]
fn the_same_scene_gives_the_same_bytes_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--res", "32", "--size", "400x240", "--steps", "30"];
    let bytes: Vec<Vec<u8>> = [None, Some("1"), Some("2")]
        .iter()
        .enumerate()
        .map(|(i, threads)| {
            let gif = dir.path().join(format!("r{i}.gif"));
            let o = animate("06_dense_layer.ron", &gif, &args, *threads);
            assert!(o.status.success(), "{}", stderr(&o));
            std::fs::read(&gif).unwrap()
        })
        .collect();
    assert_eq!(bytes[0], bytes[1]);
    assert_eq!(bytes[0], bytes[2]);
}

#[test]
fn frames_dir_writes_one_png_per_frame_and_refuses_a_folder_with_frames() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    let o =
        losscape(&["animate", &scene("01_x_squared.ron"), "--frames-dir", frames.to_str().unwrap(), "--size", "400x240", "--steps", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> =
        std::fs::read_dir(&frames).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, (0..6).map(|k| format!("frame_{k:04}.png")).collect::<Vec<_>>());
    let png = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(frames.join("frame_0005.png")).unwrap()));
    let info = png.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (400, 240));
    // A second run into the same folder would mix or overwrite frames: refused, nothing touched.
    let before = std::fs::read(frames.join("frame_0000.png")).unwrap();
    let again = losscape(&["animate", &scene("01_x_squared.ron"), "--frames-dir", frames.to_str().unwrap(), "--steps", "3"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already holds frame_"), "{}", stderr(&again));
    assert_eq!(std::fs::read(frames.join("frame_0000.png")).unwrap(), before);
}

#[test]
fn bad_arguments_exit_2_with_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gif = dir.path().join("race.gif");
    let gif_s = gif.to_str().unwrap();
    let lesson = scene("03_hours_studied.ron");
    let no_runs = dir.path().join("no_runs.ron");
    let text = std::fs::read_to_string(&lesson).unwrap();
    let runs_at = text.find("runs:").expect("the lesson has runs");
    let end = runs_at + text[runs_at..].find("],").unwrap() + 2;
    std::fs::write(&no_runs, format!("{}runs: [],{}", &text[..runs_at], &text[end..])).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--size", "0x0"], "--size must be from"),
        (vec!["--size", "20000x20000"], "--size must be from"),
        (vec!["--fps", "0"], "--fps must be between 1 and 50"),
        (vec!["--fps", "1000"], "--fps must be between 1 and 50"),
        (vec!["--res", "1"], "--res must be between"),
        (vec!["--steps-per-frame", "0"], "--steps-per-frame must be"),
        (vec!["--steps", "100000", "--steps-per-frame", "1"], "more than 3000"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["animate", lesson.as_str(), "--out", gif_s];
        args.extend(&extra);
        let o = losscape(&args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{extra:?}: {}", stderr(&o));
    }
    let o = losscape(&["animate", no_runs.to_str().unwrap(), "--out", gif_s]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no_runs.ron:11:5: runs: is empty"), "{}", stderr(&o));
    let o = losscape(&["animate", &lesson, "--out", "/nonexistent-folder/race.gif"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    let o = losscape(&["animate", &lesson, "--out", dir.path().join("race.png").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("must name a file ending in .gif"), "{}", stderr(&o));
    let o = losscape(&["animate", &lesson]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --out"), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("no_runs.ron")], "nothing written, no temporary left");
}
