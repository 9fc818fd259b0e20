//! Compiles the lesson scenes of `assets/scenes` into the binary (`src/lessons.rs`), so an
//! installed or copied `losscape`, and the web page, have every lesson without the source tree.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("assets/scenes");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("assets/scenes is readable")
        .map(|e| e.expect("a readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron" || e == "json"))
        .collect();
    // File-name order is the classroom order: 05 before 05b, 07b before 07c.
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let name = path.file_name().and_then(|n| n.to_str()).expect("a lesson file name is UTF-8");
        writeln!(out, "    Lesson {{ file: {name:?}, text: include_str!({:?}) }},", path.display().to_string()).unwrap();
    }
    out.push(']');
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets it")).join("lessons.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
