//! A real mouse click on the surface moves the start: the app binary runs in a real window, the
//! pointer is moved onto the surface with `xdotool` and clicked, and the app's log must report
//! the new start ("start set by a click: w = …, b = …", the same text as the panel's status
//! line) inside the drawn span; a click further right on screen must give a larger w.
//!
//! Where the surface is on screen is read from a screenshot of the same scene taken first
//! (`--screenshot`), so the test does not hard-code the layout of the panels or the camera.
//!
//! Needs X, Mesa's software Vulkan and `xdotool`, so it is `#[ignore]`d; `.ci/run` runs it
//! under `xvfb-run`. It starts its own 1600×900 `Xvfb` when one is installed (else it uses
//! `$DISPLAY`), so the window fits the screen whatever the outer server's size.

#![cfg(feature = "gui")]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The scene clicked on: lesson 3's one neuron, w and b drawn over [−3, 3]².
const SCENE: &str = "assets/scenes/03_hours_studied.ron";
/// How long the app may take to put the surface on screen under software rendering.
const READY: Duration = Duration::from_secs(60);
/// How long one click may take to show in the log before it is tried again.
const CLICK: Duration = Duration::from_secs(10);

/// A child process killed (and reaped) when the test ends, passes or panics.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X display for the app and for `xdotool`: our own Xvfb (its number read back through
/// `-displayfd`) or the one in `$DISPLAY`.
fn x_display() -> (Option<Killed>, String) {
    let xvfb = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", "1600x900x24", "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut child) = xvfb {
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        BufReader::new(stdout).read_line(&mut line).expect("Xvfb prints its display number");
        let n: u32 = line.trim().parse().unwrap_or_else(|_| panic!("Xvfb printed {line:?} instead of a display number"));
        return (Some(Killed(child)), format!(":{n}"));
    }
    let display = std::env::var("DISPLAY").expect("no Xvfb installed and no $DISPLAY: run under xvfb-run");
    (None, display)
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool").args(args).env("DISPLAY", display).output().expect("xdotool runs (apt-get install xdotool)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether a pixel looks like the lit colour map (saturated), not the grey background,
/// panels or white contour lines.
fn on_surface(p: [u8; 3]) -> bool {
    let [r, g, b] = p.map(f32::from);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    max >= 40.0 && max - min >= 0.25 * max
}

/// Two points on one row of the 3D view, well inside the surface: (left x, right x, y), in
/// window pixels. Taken from the longest run of colour-map pixels along the middle rows; `None`
/// when the screenshot shows no wide stretch of surface.
fn click_points(png: &Path) -> Option<(u32, u32, u32)> {
    let img = image::open(png).expect("the screenshot was written").to_rgb8();
    let (w, h) = img.dimensions();
    let mut best = (0, 0, 0);
    for y in (h * 40 / 100..h * 60 / 100).step_by(10) {
        let (mut start, mut gap) = (None, 0);
        for x in w * 20 / 100..w * 80 / 100 {
            if on_surface(img.get_pixel(x, y).0) {
                let s = *start.get_or_insert(x);
                gap = 0;
                if x - s > best.1 - best.0 {
                    best = (s, x, y);
                }
            } else {
                // Contour lines, trails and labels break the colour for a few pixels.
                gap += 1;
                if gap > 12 {
                    start = None;
                }
            }
        }
    }
    let (x0, x1, y) = best;
    let inset = (x1 - x0) / 6;
    (x1 - x0 > w / 8).then_some((x0 + inset, x1 - inset, y))
}

/// The numbers after `name = ` in a log line.
fn value(line: &str, name: &str) -> f64 {
    let key = format!("{name} = ");
    let at = line.find(&key).unwrap_or_else(|| panic!("no {key:?} in {line:?}")) + key.len();
    let text: String = line[at..].chars().take_while(|c| !matches!(c, ',' | ' ' | '(')).collect();
    text.parse().unwrap_or_else(|_| panic!("{text:?} is not a number in {line:?}"))
}

/// `name from LO to HI` in the surface's log line.
fn range(line: &str, name: &str) -> (f64, f64) {
    let key = format!("{name} from ");
    let at = line.find(&key).unwrap_or_else(|| panic!("no {key:?} in {line:?}")) + key.len();
    let mut parts = line[at..].split([' ', ',']).filter(|s| !s.is_empty());
    let lo = parts.next().and_then(|s| s.parse().ok()).expect("a lower end");
    assert_eq!(parts.next(), Some("to"), "{line}");
    let hi = parts.next().and_then(|s| s.parse().ok()).expect("an upper end");
    (lo, hi)
}

/// The next stderr line containing `marker`, within `timeout`; `None` when none came.
fn wait_for(lines: &Receiver<String>, marker: &str, timeout: Duration) -> Option<String> {
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(marker) => return Some(line),
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("the app exited while waiting for {marker:?}"),
        }
    }
}

/// Moves the pointer to (x, y) in the window and clicks until the app reports a new start.
fn click(display: &str, window: &str, lines: &Receiver<String>, (x, y): (u32, u32)) -> String {
    let (x, y) = (x.to_string(), y.to_string());
    for _ in 0..4 {
        xdotool(display, &["mousemove", "--window", window, &x, &y]);
        // Let a few (slow, software-rendered) frames see the pointer there before the click.
        std::thread::sleep(Duration::from_millis(1500));
        xdotool(display, &["click", "1"]);
        if let Some(line) = wait_for(lines, "start set by a click", CLICK) {
            return line;
        }
    }
    panic!("four clicks at ({x}, {y}) were not reported as a new start");
}

#[test]
#[ignore = "needs X, Vulkan and xdotool (run under xvfb-run)"]
fn clicking_on_the_surface_moves_the_start_under_the_pointer() {
    let (_xvfb, display) = x_display();
    let bin = env!("CARGO_BIN_EXE_losscape");
    let scene = Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENE);

    // Where the surface is: a screenshot of the same scene in the same window (again, later,
    // should a slow machine not show the surface yet).
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("layout.png");
    let found = [5, 60].iter().find_map(|frames| {
        let mut shot = Command::new(bin);
        shot.arg(&scene).arg("--screenshot").arg(&png).args(["--frames", &frames.to_string()]).env("DISPLAY", &display);
        let shot = shot.output().expect("the app starts");
        assert!(shot.status.success(), "screenshot run: {:?}\n{}", shot.status, String::from_utf8_lossy(&shot.stderr));
        click_points(&png)
    });
    let (left, right, y) = found.expect("no wide stretch of surface in the screenshots");
    eprintln!("app_click: clicking at x = {left} and x = {right} on row y = {y}");

    // The live app; its log lines arrive over a channel.
    let mut app = Command::new(bin)
        .arg(&scene)
        .env("DISPLAY", &display)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the app starts");
    let stderr = app.stderr.take().expect("piped");
    let _app = Killed(app);
    let (send, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let ready = wait_for(&lines, "surface on screen", READY).expect("the surface was on screen within 60 s");
    let (w_span, b_span) = (range(&ready, "w"), range(&ready, "b"));
    eprintln!("app_click: {}", ready.trim());

    let start = Instant::now();
    let window = loop {
        let found = xdotool(&display, &["search", "--onlyvisible", "--name", "losscape"]);
        if let Some(id) = found.lines().next() {
            break id.trim().to_string();
        }
        assert!(start.elapsed() < READY, "no visible losscape window");
        std::thread::sleep(Duration::from_millis(250));
    };

    let mut starts = Vec::new();
    for x in [left, right] {
        let line = click(&display, &window, &lines, (x, y));
        eprintln!("app_click: {}", line.trim());
        let (w, b) = (value(&line, "w"), value(&line, "b"));
        assert!(w >= w_span.0 && w <= w_span.1, "w = {w} outside the drawn {w_span:?}");
        assert!(b >= b_span.0 && b <= b_span.1, "b = {b} outside the drawn {b_span:?}");
        // The scene starts at (0, 0); a click well inside the surface lands elsewhere.
        assert!(w.abs() + b.abs() > 1e-3, "the start did not move: ({w}, {b})");
        starts.push((w, b));
    }
    // The camera looks from the front right (yaw 30°), so w grows to the right on screen.
    let ((w0, b0), (w1, b1)) = (starts[0], starts[1]);
    assert!(w1 > w0 + 0.1 * (w_span.1 - w_span.0), "clicking further right gave w {w0} → {w1} (b {b0} → {b1})");
}
