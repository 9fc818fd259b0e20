//! A shared line comes from someone else: `losscape open LINE` must never read a file the line
//! names (issue 12, item 2). `losscape share` always inlines CSV data, so a line that names a
//! file was made by hand, and is refused before anything is read or written.

use std::path::Path;

use data_encoding::BASE64URL_NOPAD;

mod common;
use common::{losscape, scene, stderr};

/// Packs scene JSON exactly as `losscape share` does, so only the scene's content differs.
fn pack(json: &str) -> String {
    format!("losscape1.{}", BASE64URL_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9)))
}

/// Lesson 3 as JSON, its data replaced by `data`.
fn lesson_3_with_data(data: serde_json::Value) -> String {
    let lesson = losscape::scene::load(Path::new(&scene("03_hours_studied.ron"))).unwrap();
    let mut v = serde_json::to_value(&lesson).unwrap();
    v["objective"]["network"]["data"] = data;
    v.to_string()
}

#[test]
fn open_refuses_a_line_that_names_a_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.csv");
    // A valid data file for the lesson: opening it would succeed if the line were trusted.
    std::fs::write(&secret, "hours,passed\n1,0\n5,1\n").unwrap();
    let before = std::fs::metadata(&secret).unwrap().modified().unwrap();
    let shown = secret.to_str().unwrap();
    for data in [serde_json::json!({ "csv": shown }), serde_json::json!({ "csv": { "path": shown, "x": ["hours"] } })] {
        let out = dir.path().join("x.ron");
        let o = losscape(&["open", &pack(&lesson_3_with_data(data)), "--save", out.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert_eq!(
            e.trim_end(),
            format!(
                "losscape: shared scene: objective.network.data: a shared scene carries its data inline; it may not name a file ({shown:?})"
            )
        );
        assert!(o.stdout.is_empty());
        assert!(!out.exists(), "nothing is written");
    }
    assert_eq!(std::fs::metadata(&secret).unwrap().modified().unwrap(), before);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "hours,passed\n1,0\n5,1\n");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, vec![std::ffi::OsString::from("secret.csv")]);
}

#[test]
fn open_still_restores_inline_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.json");
    let line = pack(&lesson_3_with_data(serde_json::json!({ "inline": { "x": [[1.0], [5.0]], "y": [[0.0], [1.0]] } })));
    let o = losscape(&["open", &line, "--save", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(std::fs::read_to_string(&out).unwrap().contains("\"inline\""));
}
