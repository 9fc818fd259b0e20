//! What the command-line tests share: running the built binary and naming a lesson scene.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::{Command, Output};

/// Runs `losscape ARGS` and waits for it.
pub fn losscape(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_losscape")).args(args).output().expect("run losscape")
}

/// The path of a lesson in assets/scenes.
pub fn scene(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(name).to_string_lossy().into_owned()
}

/// A finished command's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
