//! Every input the fuzzers (`fuzz/`, see README.md "Fuzzing") found to crash, panic or hang,
//! and hand-made hostile ones (a truncated share line, one that inflates past the limit, a CSV
//! of NaN, infinities and quote soup), replayed through the same harness code
//! (`fuzz/src/lib.rs`) in plain `cargo test`. Inputs live in `tests/data/fuzz/<target>/`, one
//! file each, named for what they try.
//!
//! No input is timed: the harness bounds the work itself (samples × parameters, steps and runs
//! per scene; the expression's operation count, see `src/core/function.rs`), so a hang would be
//! a harness or a limit that no longer holds, and is caught where those limits are tested.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, reason = "the harness is shared with the fuzz binaries, which use all of it")]
mod harness;

use std::path::Path;

/// Runs `target` on every file in `tests/data/fuzz/<dir>`; returns how many there were.
fn replay(dir: &str, target: fn(&[u8])) -> usize {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(dir);
    let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        target(&std::fs::read(&path).unwrap());
        n += 1;
    }
    n
}

#[test]
fn scene_ron_inputs() {
    assert!(replay("scene_ron", |d| harness::scene_text(d, losscape::scene::Format::Ron)) >= 1);
}

#[test]
fn scene_json_inputs() {
    assert!(replay("scene_json", |d| harness::scene_text(d, losscape::scene::Format::Json)) >= 1);
}

#[test]
fn data_csv_inputs() {
    assert!(replay("data_csv", harness::data_csv) >= 8);
}

#[test]
fn expr_inputs() {
    assert!(replay("expr", harness::expr) >= 4);
}

#[test]
fn share_line_inputs() {
    assert!(replay("share_line", harness::share_line) >= 8);
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
