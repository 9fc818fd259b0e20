//! Renders a lesson in a real window and checks the screenshot: `losscape SCENE --screenshot
//! PNG --frames N` must exit 0 and save a PNG that is not blank and whose 3D view shows the
//! surface's colour map.
//!
//! Needs a display and a Vulkan driver, so it is `#[ignore]`d; CI runs it under Xvfb with
//! Mesa's software Vulkan: `xvfb-run -a cargo test --test render -- --ignored`. When
//! `xvfb-run` is installed the app gets its own 1600×900×24 screen (xvfb-run's default screen
//! is 640×480 at 8 bits).

#![cfg(feature = "gui")]

use std::path::Path;
use std::process::Command;

fn render(scene: &str, png: &Path, frames: u32) {
    render_args(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(scene).as_os_str()], png, frames);
}

/// Runs the app with `args` (a scene, or nothing for the first lesson) and saves a screenshot.
fn render_args(args: &[&std::ffi::OsStr], png: &Path, frames: u32) {
    let bin = env!("CARGO_BIN_EXE_losscape");
    let have_xvfb = Command::new("xvfb-run").arg("--help").output().is_ok();
    let mut cmd = if have_xvfb {
        let mut c = Command::new("xvfb-run");
        c.args(["-a", "-s", "-screen 0 1600x900x24", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd.args(args).arg("--screenshot").arg(png).arg("--frames").arg(frames.to_string()).output().expect("the app starts");
    assert!(out.status.success(), "exit {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
}

/// Whether a pixel looks like the surface's colour map (viridis, lit): saturated purple,
/// blue, teal, green or yellow rather than the grey background or panels.
fn hue_class(p: [u8; 3]) -> Option<usize> {
    let [r, g, b] = p.map(f32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    if max < 40.0 || (max - min) < 0.25 * max {
        return None;
    }
    Some(if b > g && r > 0.6 * g {
        0
    } else if b >= g {
        1
    } else if r < 0.75 * g {
        2
    } else {
        3
    })
}

/// Pixels of a lesson title's warm yellow (255, 214, 120) in the band above the 3D view, where
/// lesson mode draws the lesson card (in explorer mode that band is the view's dark background).
fn lesson_title_pixels(img: &image::RgbImage) -> usize {
    let (w, h) = img.dimensions();
    let mut n = 0;
    for y in (0..h * 10 / 100).step_by(2) {
        for x in (w * 25 / 100..w * 70 / 100).step_by(2) {
            let [r, g, b] = img.get_pixel(x, y).0;
            n += usize::from(r > 200 && g > 160 && b < 160 && r > b + 60);
        }
    }
    n
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn the_screenshot_shows_the_coloured_surface() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("shot.png");
    render("03_hours_studied.ron", &png, 10);
    let img = image::open(&png).expect("a PNG was written").to_rgb8();
    let (w, h) = img.dimensions();
    assert!(w >= 800 && h >= 500, "{w}×{h}");

    // Not blank: many distinct colours over the whole window.
    let mut colours: Vec<[u8; 3]> = img.pixels().step_by(7).map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 500, "only {} colours: blank?", colours.len());

    // The 3D view (between the panels) shows the colour map: a good share of saturated
    // pixels, from at least three parts of the map.
    let (x0, x1) = (w * 30 / 100, w * 70 / 100);
    let (y0, y1) = (h * 15 / 100, h * 85 / 100);
    let mut classes = [0usize; 4];
    let mut total = 0usize;
    for y in (y0..y1).step_by(3) {
        for x in (x0..x1).step_by(3) {
            total += 1;
            if let Some(c) = hue_class(img.get_pixel(x, y).0) {
                classes[c] += 1;
            }
        }
    }
    let coloured: usize = classes.iter().sum();
    assert!(coloured * 5 > total, "only {coloured} of {total} pixels show the colour map");
    let parts = classes.iter().filter(|&&n| n * 100 > total).count();
    assert!(parts >= 3, "colour map parts seen: {classes:?}");
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn a_bad_scene_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let scene = dir.path().join("bad.ron");
    std::fs::write(&scene, "(objective: function(expr: \"x^2\", start: [1.0, 2.0]))").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_losscape")).arg(&scene).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad.ron"), "{err}");
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn with_no_scene_the_app_opens_lesson_one_in_lesson_mode() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("lesson.png");
    render_args(&[], &png, 10);
    let img = image::open(&png).expect("a PNG was written").to_rgb8();
    let title = lesson_title_pixels;
    assert!(title(&img) > 50, "no lesson title above the view: {} yellow pixels", title(&img));
    let explorer = dir.path().join("explorer.png");
    render("01_x_squared.ron", &explorer, 10);
    let img = image::open(&explorer).unwrap().to_rgb8();
    assert!(title(&img) < 10, "a scene opened by name starts in explorer mode: {} yellow pixels", title(&img));
}

#[test]
#[ignore = "needs a display and Vulkan (run under xvfb-run)"]
fn a_copied_binary_opens_its_lessons_from_any_folder() {
    // The binary copied into an empty folder and run from there, without cargo's
    // CARGO_MANIFEST_DIR (Bevy would read assets below it); where the system allows a mount
    // namespace (root, as in CI), the source folder is also hidden under an empty tmpfs for
    // the run, so a lesson read from it at run time would fail.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("losscape");
    std::fs::copy(env!("CARGO_BIN_EXE_losscape"), &copy).unwrap();
    let source = env!("CARGO_MANIFEST_DIR");
    let hide = Command::new("unshare")
        .args(["-m", "sh", "-c", &format!("mount -t tmpfs none '{source}' && test ! -e '{source}/assets'")])
        .status();
    let hidden = hide.is_ok_and(|s| s.success());
    let run = format!(
        "{}exec xvfb-run -a -s '-screen 0 1600x900x24' '{}' --lesson 08 --screenshot shot.png --frames 10",
        if hidden { format!("mount -t tmpfs none '{source}' && ") } else { String::new() },
        copy.display()
    );
    let mut cmd = Command::new(if hidden { "unshare" } else { "sh" });
    if hidden {
        cmd.args(["-m", "sh"]);
    } else {
        eprintln!("no mount namespace here: the source folder stays visible");
    }
    cmd.args(["-c", &run]);
    let out = cmd.current_dir(dir.path()).env_remove("CARGO_MANIFEST_DIR").env_remove("BEVY_ASSET_ROOT").output().expect("the copy starts");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{err}", out.status);
    let img = image::open(dir.path().join("shot.png")).expect("a PNG was written in the folder it ran from").to_rgb8();
    let title = lesson_title_pixels(&img);
    assert!(title > 50, "no lesson title above the view: {title} yellow pixels\n{err}");
    assert!(!err.contains("ERROR"), "{err}");
}
