//! Every input the fuzzers (`fuzz/`, see README.md "Fuzzing") found to crash, panic or hang,
//! replayed through the same harness code (`fuzz/src/lib.rs`) in plain `cargo test`. Inputs live
//! in `tests/data/fuzz/<target>/`, one file each, named for the bug they found.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, reason = "the harness is shared with the fuzz binaries, which use all of it")]
mod harness;

use std::path::Path;
use std::time::{Duration, Instant};

/// An input that took longer than this was a hang; the fuzzers run with `-timeout=5`.
const SLOW: Duration = Duration::from_secs(5);

/// Runs `target` on every file in `tests/data/fuzz/<dir>`; returns how many there were.
fn replay(dir: &str, target: fn(&[u8])) -> usize {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(dir);
    let mut n = 0;
    // A target with no crash found yet has no folder (git keeps no empty ones).
    let Ok(entries) = std::fs::read_dir(&folder) else { return 0 };
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let start = Instant::now();
        target(&data);
        assert!(start.elapsed() < SLOW, "{} took {:?}", path.display(), start.elapsed());
        n += 1;
    }
    n
}

#[test]
fn scene_ron_inputs() {
    assert!(replay("scene_ron", |d| harness::scene_text(d, losscape::scene::Format::Ron)) > 0);
}

#[test]
fn scene_json_inputs() {
    replay("scene_json", |d| harness::scene_text(d, losscape::scene::Format::Json));
}

#[test]
fn data_csv_inputs() {
    replay("data_csv", harness::data_csv);
}

#[test]
fn expr_inputs() {
    replay("expr", harness::expr);
}

#[test]
fn share_line_inputs() {
    replay("share_line", harness::share_line);
}

/// The seed corpora pass too: the harness accepts every lesson and fixture it was seeded with.
#[test]
fn lessons_pass_the_harness() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes");
    for entry in std::fs::read_dir(dir).unwrap() {
        harness::scene_text(&std::fs::read(entry.unwrap().path()).unwrap(), losscape::scene::Format::Ron);
    }
    harness::scene_text(include_bytes!("data/design_example.json"), losscape::scene::Format::Json);
}
