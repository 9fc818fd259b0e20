//! Hostile input against the command line (issue 12): files that are not files, outputs that
//! would destroy inputs, a closed or full standard output, step counts that would exhaust
//! memory, signals mid-run, no display. Each class is defended at one root (`src/files.rs`,
//! `src/cli/out.rs`, the streamed CSV, the path memory budget); these tests hold them there.
//! Hostile files are made in a temporary folder; a real `/dev` node is only ever read, or
//! given to a child as its standard output.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{losscape, scene, stderr};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit 2 with exactly one line on standard error that contains `want`; returns the line.
#[track_caller]
fn refused(o: &std::process::Output, want: &str) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit code, stderr: {e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.contains(want), "{e:?} should contain {want:?}");
    assert!(!e.contains("panicked") && !e.contains("RUST_BACKTRACE"), "{e}");
    e
}

/// A scene reading `data.csv` beside it.
fn csv_scene(dir: &Path) -> PathBuf {
    write(dir, "data.csv", "x,y\n1,2\n2,4\n3,5\n");
    write(
        dir,
        "s.json",
        r#"{"objective": {"network": {"inputs": 1, "layers": [{"units": 1, "activation": "identity"}], "loss": "mse",
             "data": {"csv": "data.csv"}, "init": {"params": [0.5, 0.0]}}}, "steps": 5}"#,
    )
}

// 1. Unbounded reads.

#[test]
fn devices_are_refused_as_scenes_data_and_trajectories() {
    let dir = tempfile::tempdir().unwrap();
    for dev in ["/dev/zero", "/dev/urandom"] {
        if !Path::new(dev).exists() {
            continue;
        }
        // A scene must end in .ron or .json: reach the device through a link with that name.
        let link = dir.path().join(format!("{}.ron", &dev[5..]));
        #[cfg(unix)]
        std::os::unix::fs::symlink(dev, &link).unwrap();
        refused(&losscape(&["info", s(&link)]), "is a device, not a regular file");
        refused(&losscape(&["plot", dev, "--out", s(&dir.path().join("p.png"))]), "is a device");
        let scene = write(
            dir.path(),
            "dev.json",
            &format!(
                r#"{{"objective": {{"network": {{"inputs": 1, "layers": [{{"units": 1, "activation": "identity"}}], "loss": "mse", "data": {{"csv": "{dev}"}}}}}}}}"#
            ),
        );
        refused(&losscape(&["train", s(&scene)]), "is a device");
    }
    assert!(!dir.path().join("p.png").exists());
}

#[cfg(unix)]
#[test]
fn a_fifo_with_no_writer_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.ron");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // If the FIFO were opened, the child would block forever: kill it after a while and fail.
    let child = Command::new(env!("CARGO_BIN_EXE_losscape")).args(["info", s(&fifo)]).stderr(Stdio::piped()).spawn().unwrap();
    let id = child.id();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
    });
    let o = child.wait_with_output().unwrap();
    drop(watchdog);
    refused(&o, "pipe.ron: is a pipe (FIFO), not a regular file");
}

#[test]
fn a_file_past_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    // Sparse: takes no disk, and nothing is read.
    std::fs::File::create(&big).unwrap().set_len(losscape::files::MAX_INPUT_BYTES + 1).unwrap();
    refused(&losscape(&["info", s(&big)]), "larger than the largest file losscape reads (256 MiB)");
}

#[test]
fn a_scene_saved_with_a_byte_order_mark_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scene("01_x_squared.ron")).unwrap();
    let bom = write(dir.path(), "bom.ron", &format!("\u{feff}{text}"));
    let o = losscape(&["info", s(&bom)]);
    assert!(o.status.success(), "{}", stderr(&o));
}

// 3. A closed or full standard output.

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let lesson8 = scene("08_exploding.ron");
    let line = String::from_utf8(losscape(&["share", &scene("01_x_squared.ron")]).stdout).unwrap();
    let save = dir.path().join("saved.ron");
    let cases: Vec<Vec<&str>> = vec![
        vec!["info", &lesson8],
        vec!["share", &lesson8],
        vec!["check", &lesson8, "--steps", "1"],
        vec!["train", &lesson8, "--steps", "3000"],
        vec!["surface", &lesson8, "--res", "64", "--span", "1"],
        vec!["open", line.trim(), "--save", s(&save)],
    ];
    for args in cases {
        let mut child =
            Command::new(env!("CARGO_BIN_EXE_losscape")).args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // Read one byte, then close the pipe (what `| head -c1` does).
        use std::io::Read;
        let mut one = [0u8; 1];
        let _ = child.stdout.take().unwrap().read(&mut one);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn a_full_stdout_is_one_line_and_exit_2() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let lesson = scene("03_hours_studied.ron");
    for args in [vec!["info", lesson.as_str()], vec!["train", lesson.as_str()], vec!["share", lesson.as_str()]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_losscape")).args(&args).stdout(full).output().unwrap();
        refused(&o, "standard output: cannot write: No space left on device");
    }
}

// 4. Memory that grows with steps.

/// Peak resident memory (VmHWM, kB) of a running child, polled until it exits.
#[cfg(target_os = "linux")]
fn peak_memory_kb(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            peak = peak.max(line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_csv_trajectory_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_losscape"))
        .args(["train", &scene("01_x_squared.ron"), "--steps", "10000000", "--out", s(&out)])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak_kb) = peak_memory_kb(child);
    assert!(status.success());
    assert!(peak_kb > 0 && peak_kb < 64 * 1024, "peak resident memory {peak_kb} kB");
    // 10⁷ + 1 rows and a header; the last row is x after 10⁷ steps (0 after underflow).
    let len = std::fs::metadata(&out).unwrap().len();
    assert!(len > 100_000_000, "{len} bytes");
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(&out).unwrap();
    f.seek(SeekFrom::End(-64)).unwrap();
    let mut tail = String::new();
    f.read_to_string(&mut tail).unwrap();
    assert!(tail.lines().last().unwrap().starts_with("0,10000000,"), "{tail}");
}

#[test]
fn whole_paths_past_the_memory_budget_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let lesson8 = scene("08_exploding.ron");
    let json = dir.path().join("t.json");
    let e = refused(&losscape(&["train", &lesson8, "--steps", "10000000", "--out", s(&json)]), "needs 1");
    assert!(e.contains("GiB, more than the 2.0 GiB kept paths may use; at most 1") && e.contains("steps fit"), "{e}");
    assert!(!json.exists());
    refused(&losscape(&["surface", &lesson8, "--steps", "10000000", "--res", "8"]), "more than the 2.0 GiB kept paths may use");
    refused(&losscape(&["check", &lesson8, "--steps", "100000000"]), "--steps must be ≤ 10000000");
}

#[cfg(target_os = "linux")]
#[test]
fn check_keeps_no_path() {
    // Kept whole, 2·10⁶ steps of lesson 1 would take over 100 MB; check needs only the last θ.
    let child = Command::new(env!("CARGO_BIN_EXE_losscape"))
        .args(["check", &scene("01_x_squared.ron"), "--steps", "2000000"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (status, peak_kb) = peak_memory_kb(child);
    assert_eq!(status.code(), Some(0));
    assert!(peak_kb < 64 * 1024, "peak resident memory {peak_kb} kB");
}

// 6. Outputs that would destroy inputs.

#[test]
fn an_output_that_is_an_input_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let scene = csv_scene(dir.path());
    let data = dir.path().join("data.csv");
    let before = (std::fs::read(&scene).unwrap(), std::fs::read(&data).unwrap());
    refused(&losscape(&["train", s(&scene), "--out", s(&scene)]), "is the same file as the input");
    refused(&losscape(&["train", s(&scene), "--out", s(&data)]), "is the same file as the input");
    refused(&losscape(&["surface", s(&scene), "--out", s(&data)]), "is the same file as the input");
    // Through another spelling of the same path, and through a hard link.
    let other = format!("{}/./data.csv", s(dir.path()));
    refused(&losscape(&["surface", s(&scene), "--out", &other]), "is the same file");
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&data, &hard).unwrap();
    refused(&losscape(&["train", s(&scene), "--out", s(&hard)]), "is the same file");
    // plot: the trajectory it reads.
    let t = dir.path().join("t.csv");
    assert!(losscape(&["train", s(&scene), "--out", s(&t)]).status.success());
    let png = dir.path().join("t.png");
    std::fs::rename(&t, &png).unwrap();
    refused(&losscape(&["plot", s(&png), "--out", s(&png)]), "is the same file as the input");
    assert!(std::fs::read_to_string(&png).unwrap().starts_with("run,step"));
    assert_eq!((std::fs::read(&scene).unwrap(), std::fs::read(&data).unwrap()), before);
}

#[test]
fn an_extension_that_names_no_format_is_refused_with_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = scene("01_x_squared.ron");
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    refused(&losscape(&["train", &lesson, "--out", &p("x.txt")]), "--out must name a file ending in .csv or .json");
    refused(&losscape(&["surface", &lesson, "--out", &p("x.obj")]), "--out must name a file ending in .csv or .json");
    refused(&losscape(&["surface", &lesson, "--mesh", &p("x.csv")]), "--mesh must name a file ending in .obj or .ply");
    let t = dir.path().join("t.csv");
    assert!(losscape(&["train", &lesson, "--out", s(&t)]).status.success());
    refused(&losscape(&["plot", s(&t), "--out", &p("x.jpg")]), "--out must name a file ending in .png");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing but t.csv was written");
}

#[cfg(unix)]
#[test]
fn a_fifo_as_output_is_refused_never_renamed_over() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    refused(&losscape(&["train", &scene("01_x_squared.ron"), "--out", s(&fifo)]), "--out is a pipe (FIFO)");
    refused(&losscape(&["surface", &scene("01_x_squared.ron"), "--out", s(&fifo)]), "pipe");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "still a FIFO");
}

#[test]
fn a_surface_whose_mesh_cannot_be_written_changes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let keep = write(dir.path(), "keep.csv", "precious\n");
    let far = dir.path().join("no/such/folder/far.obj");
    refused(&losscape(&["surface", &scene("03_hours_studied.ron"), "--res", "8", "--out", s(&keep), "--mesh", s(&far)]), "does not exist");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    #[cfg(unix)]
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        let o = losscape(&["surface", &scene("03_hours_studied.ron"), "--res", "8", "--out", s(&keep), "--mesh", s(&locked.join("m.obj"))]);
        refused(&o, "cannot write in the folder");
        assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_output_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = write(dir.path(), "real.csv", "old\n");
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert!(losscape(&["train", &scene("01_x_squared.ron"), "--out", s(&link)]).status.success());
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(&real).unwrap().starts_with("run,step"));
}

#[cfg(unix)]
#[test]
fn a_run_stopped_by_a_signal_leaves_no_temporary_file() {
    for signal in ["INT", "TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let out = write(dir.path(), "t.csv", "old\n");
        let child = Command::new(env!("CARGO_BIN_EXE_losscape"))
            .args(["train", &scene("01_x_squared.ron"), "--steps", "10000000", "--out", s(&out)])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Any `.losscape-*` file left in the folder, and whether one holds data: the output check
        // first makes and drops an empty probe file, so only a non-empty one is the export being
        // written (waiting for any file raced with the probe's removal on a busy machine).
        let temporaries = || {
            let entries = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok);
            let ours: Vec<_> = entries.filter(|e| e.file_name().to_string_lossy().starts_with(".losscape-")).collect();
            let writing = ours.iter().any(|e| e.metadata().is_ok_and(|m| m.len() > 0));
            (!ours.is_empty(), writing)
        };
        for _ in 0..6000 {
            if temporaries().1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(temporaries().1, "the run started writing");
        let temporary = || temporaries().0;
        assert!(Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap().success());
        let o = child.wait_with_output().unwrap();
        assert!(!o.status.success(), "SIG{signal}");
        assert!(!temporary(), "SIG{signal} left a temporary file");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n", "SIG{signal}: the old file is intact");
    }
}

// 7. The app without a display.

#[cfg(feature = "gui")]
#[test]
fn the_app_without_a_display_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("s.png");
    let run = |display: Option<&str>, shot: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_losscape"));
        c.args([scene("01_x_squared.ron").as_str(), "--screenshot", shot, "--frames", "1"]).env_remove("WAYLAND_DISPLAY");
        match display {
            Some(d) => c.env("DISPLAY", d),
            None => c.env_remove("DISPLAY"),
        };
        c.output().unwrap()
    };
    refused(&run(None, s(&shot)), "cannot open a window: DISPLAY is not set");
    refused(&run(Some(":919"), s(&shot)), "no X server answers at DISPLAY=:919");
    refused(&run(None, s(&dir.path().join("nodir/s.png"))), "--screenshot: the folder");
    refused(&run(None, s(&dir.path().join("s.jpg"))), "--screenshot must name a file ending in .png");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
