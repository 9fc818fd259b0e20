//! The headless CLI as a user runs it: output files, exit codes, one-line errors, and no file
//! of the user's touched when something is wrong.

use std::path::{Path, PathBuf};

mod common;
use common::{losscape, scene, stderr};

/// DESIGN.md's scene example, exactly as written there.
const DESIGN_JSON: &str = include_str!("data/design_example.json");

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn train_writes_design_csv_for_every_run() {
    let dir = tempfile::tempdir().unwrap();
    // A tighter clip than the example's, so that the flag fires on some steps.
    let s = write(dir.path(), "xor.json", &DESIGN_JSON.replace(r#""norm": 1.0"#, r#""norm": 0.05"#));
    let out = dir.path().join("traj.csv");
    let o = losscape(&["train", s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(header, format!("run,step,loss,grad_norm,clipped,{}", (0..13).map(|i| format!("p{i}")).collect::<Vec<_>>().join(",")));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2 * 201);
    assert!(rows[0].starts_with("0,0,"));
    assert!(rows[201].starts_with("1,0,"));
    assert!(rows[201..].iter().any(|r| r.split(',').nth(4) == Some("true")), "clipping fires for the Adam run at some step");
    assert!(rows[201..].iter().any(|r| r.split(',').nth(4) == Some("false")), "and not at others");
    // Step 0 is the start: its parameters are init.params, printed exactly.
    assert!(rows[0].ends_with(",0.1,-0.2,0.3,0.05,-0.1,0.2,0.0,0.0,0.0,0.4,-0.3,0.2,0.0"), "{}", rows[0]);
    // --steps overrides the scene; JSON by extension.
    let json = dir.path().join("traj.json");
    let o = losscape(&["train", s.to_str().unwrap(), "--steps", "5", "--out", json.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["runs"][1]["steps"].as_array().unwrap().len(), 6);
    assert_eq!(v["param_names"][9], "layer 2 weight[0][0]");
}

#[test]
fn train_to_stdout_matches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let a = losscape(&["train", &scene("04_three_points.ron"), "--steps", "3"]);
    let b = losscape(&["train", &scene("04_three_points.ron"), "--steps", "3", "--out", out.to_str().unwrap()]);
    assert!(a.status.success() && b.status.success());
    let stdout = String::from_utf8(a.stdout).unwrap();
    assert_eq!(stdout, std::fs::read_to_string(&out).unwrap());
    let row1: Vec<f64> = stdout.lines().nth(2).unwrap().split(',').skip(5).map(|v| v.parse().unwrap()).collect();
    assert!((row1[0] - 0.26).abs() < 1e-15 && (row1[1] - 0.22).abs() < 1e-15, "{row1:?}");
}

#[test]
fn train_summary_counts_only_the_clipped_gradients_a_step_used() {
    // x² from 10 with ‖g‖ clipped to 1: every row's gradient is above 1, but 3 steps use only
    // rows 0, 1 and 2; row 3's gradient (at θ₃) is written to the CSV and used by no step.
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "clip.ron",
        "(objective: function(expr: \"x^2\", start: [10.0]), runs: [(optimizer: sgd(lr: 0.1), clip: norm(1.0))], steps: 3)",
    );
    let out = dir.path().join("t.csv");
    let o = losscape(&["train", s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().skip(1).filter(|r| r.split(',').nth(4) == Some("true")).count(), 4, "{csv}");
    let summary = String::from_utf8(o.stdout).unwrap();
    assert!(summary.contains("after 3 steps, clipping fired on 3 of them"), "{summary}");
}

#[test]
fn info_counts_parameters() {
    let o = losscape(&["info", &scene("06_dense_layer.ron")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("layer 1: 2 → 3 tanh: 9 parameters (6 weights + 3 biases)"), "{text}");
    assert!(text.contains("total: 13 parameters"), "{text}");
    assert!(text.contains("200 training samples"), "{text}");
    // The grid's cost: 2·(2·3 + 3·1) flops a sample × 200 samples a vertex, 64² vertices, and
    // a time measured here.
    let cost = text.lines().find(|l| l.starts_with("surface: ")).unwrap_or_else(|| panic!("no surface line: {text}"));
    assert!(cost.starts_with("surface: 64×64 grid, 4096 vertices × 3.60 kflop = 14.7 Mflop; "), "{cost}");
    assert!(cost.contains(" s on ") && cost.contains(" here (") && cost.ends_with("flop/s)"), "{cost}");
}

#[test]
fn check_passes_on_every_lesson() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes")).unwrap() {
        let p = entry.unwrap().path();
        let o = losscape(&["check", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}: {}{}", p.display(), String::from_utf8_lossy(&o.stdout), stderr(&o));
    }
}

#[test]
fn check_fails_with_exit_1_naming_the_parameter() {
    // A ReLU exactly at its kink: backprop uses ReLU'(0) = 0 (as torch does), while the
    // symmetric difference sees the average slope: they disagree, and check says where.
    let dir = tempfile::tempdir().unwrap();
    let s = write(
        dir.path(),
        "kink.ron",
        r#"(objective: network(inputs: 1, layers: [(units: 1, activation: relu)], data: inline(x: [[1.0]], y: [[1.0]]), init: params([0.0, 0.0])), runs: [(optimizer: sgd(lr: 0.0))])"#,
    );
    let o = losscape(&["check", s.to_str().unwrap(), "--steps", "0"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("check failed at start: layer 1 weight[0][0] backprop 0"), "{}", stderr(&o));
}

#[test]
fn bad_scenes_exit_2_with_one_line_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "units.json",
            DESIGN_JSON.replace(r#"{"units": 1, "activation": "sigmoid"}"#, r#"{"units": 0, "activation": "sigmoid"}"#),
            "units.json:5:53: objective.network.layers[1].units: must be ≥ 1",
        ),
        (
            "lr.json",
            DESIGN_JSON.replace(r#""lr": 0.05"#, r#""lr": -1"#),
            "lr.json:12:29: runs[1].optimizer.adam.lr: must be a finite number ≥ 0, got -1",
        ),
        (
            "ce.json",
            DESIGN_JSON.replace(r#""log_loss""#, r#""cross_entropy""#),
            "objective.network.layers[1].activation: cross_entropy needs a softmax output layer",
        ),
        ("syntax.json", DESIGN_JSON.replace(r#""steps": 200"#, r#""steps": 200,"#), "syntax.json:15:1"),
        (
            "unknown.json",
            DESIGN_JSON.replace(r#""loss": "log_loss""#, r#""loss": "log_los""#),
            "objective.network.loss: unknown variant `log_los`",
        ),
        (
            "init.json",
            DESIGN_JSON.replace("0.4, -0.3, 0.2, 0.0]", "0.4, -0.3, 0.2]"),
            "init.params: has 12 values but the network has 13 parameters",
        ),
        ("expr.ron", r#"(objective: function(expr: "3*x^", start: [1.0]))"#.to_string(), "expr.ron:1:22: objective.function.expr"),
        (
            "width.ron",
            r#"(objective: network(inputs: 3, layers: [(units: 1)], data: inline(x: [[1.0, 2.0]], y: [[1.0]])))"#.to_string(),
            "objective.network.inputs: is 3 but the data has 2 input columns",
        ),
        ("scene.txt", "{}".to_string(), "scene.txt: scene files end in .ron or .json"),
        (
            "huge.ron",
            r#"(objective: network(inputs: 2, layers: [(units: 1000), (units: 1000), (units: 1)], data: generator(kind: xor, n: 100000)))"#
                .to_string(),
            "objective.network.layers: 100000 samples × 2001 units would need",
        ),
        (
            "rows.ron",
            r#"(objective: network(inputs: 2, layers: [(units: 1)], data: generator(kind: xor, n: 100000000)))"#.to_string(),
            "objective.network.data.generator.n: must be between 1 and 10000000",
        ),
        (
            "deep.ron",
            format!(
                "(objective: network(inputs: 2, layers: [{}(units: 1)], data: generator(kind: xor, n: 10)))",
                "(units: 10000),".repeat(10000)
            ),
            "the network would exceed 50000000 parameters",
        ),
    ];
    for (name, text, want) in cases {
        let s = write(dir.path(), name, &text);
        for cmd in ["train", "info", "check"] {
            let o = losscape(&[cmd, s.to_str().unwrap()]);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} {name}: {err}");
            assert_eq!(err.lines().count(), 1, "{cmd} {name}: one line, got {err}");
            assert!(err.contains(want), "{cmd} {name}: want {want:?} in {err:?}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    let o = losscape(&["train", "/no/such/scene.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/no/such/scene.ron: cannot read"), "{}", stderr(&o));
    let o = losscape(&["train"]);
    assert_eq!(o.status.code(), Some(2));
    let o = losscape(&["train", &scene("01_x_squared.ron"), "--stepz", "3"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn a_failed_run_leaves_an_existing_out_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("precious.csv");
    std::fs::write(&out, "my old results").unwrap();
    let bad = write(dir.path(), "bad.json", &DESIGN_JSON.replace(r#""lr": 0.5"#, r#""lr": "fast""#));
    let o = losscape(&["train", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "my old results");
    let o = losscape(&["train", &scene("01_x_squared.ron"), "--out", dir.path().join("no/such/dir/t.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "nothing else written");
}

#[test]
fn csv_data_is_read_relative_to_the_scene_and_bad_cells_are_located() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "grades.csv", "hours,grade\n2,3\n4,5\n6,4\n8,6\n10,8\n");
    let s = write(
        dir.path(),
        "csv.ron",
        r#"(objective: network(inputs: 1, layers: [(units: 1)], data: csv("grades.csv"), init: params([0.0, 0.0])), runs: [(optimizer: sgd(lr: 0.02))], steps: 20000)"#,
    );
    let out = dir.path().join("t.csv");
    let o = losscape(&["train", s.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let last: Vec<f64> = text.lines().last().unwrap().split(',').skip(5).map(|v| v.parse().unwrap()).collect();
    assert!((last[0] - 0.55).abs() < 1e-9 && (last[1] - 1.9).abs() < 1e-9, "{last:?}");
    write(dir.path(), "grades.csv", "hours,grade\n2,3\n4,five\n");
    let o = losscape(&["train", s.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("grades.csv:3:2: column \"grade\": \"five\" is not a finite number"), "{}", stderr(&o));
}

#[test]
fn share_and_open_restore_a_scene_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let o = losscape(&["share", &scene("08_exploding.ron")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = String::from_utf8(o.stdout).unwrap();
    assert_eq!(line.lines().count(), 1);
    let out = dir.path().join("restored.json");
    let o = losscape(&["open", line.trim(), "--save", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let a = losscape(&["train", &scene("08_exploding.ron"), "--steps", "20"]);
    let b = losscape(&["train", out.to_str().unwrap(), "--steps", "20"]);
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout, "the restored scene trains to the same numbers");
    let o = losscape(&["open", "losscape1.garbage!", "--save", dir.path().join("x.ron").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(!dir.path().join("x.ron").exists());
}
