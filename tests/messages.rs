//! Messages that must point at the right place and give the right hint (issue 12, item 8): each
//! case runs the built binary on a scene written to a temporary folder and checks the one line
//! on stderr — file, line:column, field path, the words that matter — and the exit code.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{losscape, stderr};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The 1-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} is not in the scene"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

/// Runs `losscape ARGS` and returns its single stderr line, after checking the exit code.
fn one_line(o: &Output, code: i32) -> String {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    e.trim_end().to_string()
}

/// `losscape info` on a scene with this text; its one stderr line (exit 2).
fn info_error(name: &str, text: &str) -> (String, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let s = write(dir.path(), name, text);
    let e = one_line(&losscape(&["info", s.to_str().unwrap()]), 2);
    (e, s)
}

/// Checks that `losscape info` says exactly `file:line:col: field: message`, with the position
/// of `at` in the text.
fn assert_info_error(name: &str, text: &str, at: &str, field: &str, message: &str) {
    let (e, s) = info_error(name, text);
    let (line, col) = position(text, at);
    assert_eq!(e, format!("losscape: {}:{line}:{col}: {field}: {message}", s.display()));
}

const NETWORK_RON: &str = "(
    objective: network(
        inputs: 2,
        layers: [(units: 1, activation: linear)],
        data: generator(kind: xor, n: 40, noise: 0.1, seed: 3),
        holdout: (share: 0.25),
    ),
    runs: [(optimizer: sgd(lr: 0.1))],
    steps: 5,
)
";

#[test]
fn a_holdout_share_is_named_once_with_its_position() {
    for share in ["1.5", "0.001"] {
        let text = NETWORK_RON.replace("share: 0.25", &format!("share: {share}"));
        let message = if share == "1.5" {
            "must be between 0 and 1 (exclusive), got 1.5"
        } else {
            "leaves an empty set with 40 samples; change the share"
        };
        assert_info_error("s.ron", &text, "share:", "objective.network.holdout.share", message);
    }
}

#[test]
fn a_schedule_field_names_its_variant() {
    let text = "(\n    objective: function(expr: \"x^2\", start: [1.0]),\n    runs: [(optimizer: sgd(lr: 0.1), schedule: exponential(gamma: inf))],\n)\n";
    assert_info_error("s.ron", text, "gamma", "runs[0].schedule.exponential.gamma", "must be a finite number > 0, got inf");
    let text = text.replace("exponential(gamma: inf)", "step(step_size: 5, gamma: NaN)");
    assert_info_error("s.ron", &text, "gamma", "runs[0].schedule.step.gamma", "must be a finite number > 0, got NaN");
    let json = r#"{"objective": {"function": {"expr": "x^2", "start": [1.0]}},
 "runs": [{"optimizer": {"sgd": {"lr": 0.1}}, "schedule": {"cosine": {"t_max": 5, "eta_min": -1}}}]}"#;
    assert_info_error("s.json", json, "\"eta_min\"", "runs[0].schedule.cosine.eta_min", "must be a finite number ≥ 0, got -1");
    let json = json.replace(r#"{"cosine": {"t_max": 5, "eta_min": -1}}"#, r#"{"exponential": {"gamma": 0}}"#);
    assert_info_error("s.json", &json, "\"gamma\"", "runs[0].schedule.exponential.gamma", "must be a finite number > 0, got 0");
}

#[test]
fn a_penalty_names_its_variant() {
    let text = NETWORK_RON.replace("holdout: (share: 0.25),", "penalty: l2(inf),");
    assert_info_error("s.ron", &text, "l2(", "objective.network.penalty.l2", "must be a finite number ≥ 0, got inf");
}

#[test]
fn a_data_csv_with_a_header_and_no_rows_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "hours,grade\n");
    let text = NETWORK_RON.replace("inputs: 2", "inputs: 1").replace("generator(kind: xor, n: 40, noise: 0.1, seed: 3)", "csv(\"d.csv\")");
    let s = write(dir.path(), "s.ron", &text);
    let e = one_line(&losscape(&["train", s.to_str().unwrap()]), 2);
    let (line, col) = position(&text, "csv(");
    assert_eq!(
        e,
        format!(
            "losscape: {}:{line}:{col}: objective.network.data.csv: {}:2: the file has a header but no rows; add at least one sample",
            s.display(),
            csv.display()
        )
    );
}

#[test]
fn check_on_a_start_where_the_loss_is_not_finite_is_bad_input() {
    // (10¹⁵⁵)² overflows: the loss at the start is +inf.
    let (e, s) = {
        let dir = tempfile::tempdir().unwrap();
        let s = write(dir.path(), "s.ron", "(objective: function(expr: \"x^2\", start: [1e155]))");
        (one_line(&losscape(&["check", s.to_str().unwrap()]), 2), s)
    };
    assert_eq!(
        e,
        format!(
            "losscape: {}: objective.function.start: the loss at the start is not finite (inf), so there is no gradient to check; \
             choose a start where it is finite",
            s.display()
        )
    );
}

#[test]
fn pca_after_run_0_diverged_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // Step 1 lands at −∞: 10¹⁰ − 10³⁰⁰·2·10¹⁰.
    let text = "(objective: function(expr: \"x^2 + y^2\", start: [1e10, 1e10]), runs: [(optimizer: sgd(lr: 1e300))], steps: 5)";
    let s = write(dir.path(), "s.ron", text);
    let out = dir.path().join("g.csv");
    let e = one_line(&losscape(&["surface", s.to_str().unwrap(), "--directions", "pca", "--res", "4", "--out", out.to_str().unwrap()]), 2);
    assert!(e.starts_with(&format!("losscape: {}: ", s.display())), "{e}");
    assert!(e.contains("run 0 diverged at step 1, so its path has fewer than 2 finite points"), "{e}");
    assert!(e.contains("smaller lr or gradient clipping") && e.contains("random, hessian"), "{e}");
    assert!(!e.contains("steps > 0"), "{e}");
    assert!(!out.exists());
}

#[test]
fn plot_log_names_the_row_of_the_first_loss_it_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "t.csv", "run,step,loss\n0,0,4\n0,1,2\n1,0,3\n1,1,-0.5\n0,2,-1\n");
    let png = dir.path().join("p.png");
    let e = one_line(&losscape(&["plot", t.to_str().unwrap(), "--log", "--out", png.to_str().unwrap()]), 2);
    assert_eq!(
        e,
        format!("losscape: {}:5: loss: --log needs positive losses, this row's is -0.5 (the smallest is -1); use --linear", t.display())
    );
    assert!(!png.exists());
}

#[test]
fn float_hyper_parameters_must_be_finite_and_say_so() {
    let function = |runs: &str| format!("(\n    objective: function(expr: \"x^2\", start: [1.0]),\n    runs: [{runs}],\n)\n");
    let cases = [
        ("(optimizer: sgd(lr: inf))", "lr", "runs[0].optimizer.sgd.lr", "must be a finite number ≥ 0, got inf"),
        ("(optimizer: sgd(lr: NaN))", "lr", "runs[0].optimizer.sgd.lr", "must be a finite number ≥ 0, got NaN"),
        ("(optimizer: sgd(momentum: inf))", "momentum", "runs[0].optimizer.sgd.momentum", "must be a finite number ≥ 0, got inf"),
        (
            "(optimizer: sgd(weight_decay: inf))",
            "weight_decay",
            "runs[0].optimizer.sgd.weight_decay",
            "must be a finite number ≥ 0, got inf",
        ),
        ("(optimizer: adam(betas: (0.9, NaN)))", "NaN", "runs[0].optimizer.adam.betas[1]", "must be in [0, 1), got NaN"),
        ("(optimizer: adam(eps: inf))", "eps", "runs[0].optimizer.adam.eps", "must be a finite number ≥ 0, got inf"),
        (
            "(optimizer: adamw(weight_decay: inf))",
            "weight_decay",
            "runs[0].optimizer.adamw.weight_decay",
            "must be a finite number ≥ 0, got inf",
        ),
        ("(optimizer: rmsprop(alpha: inf))", "alpha", "runs[0].optimizer.rmsprop.alpha", "must be a finite number ≥ 0, got inf"),
        ("(optimizer: adagrad(lr_decay: inf))", "lr_decay", "runs[0].optimizer.adagrad.lr_decay", "must be a finite number ≥ 0, got inf"),
        (
            "(optimizer: adagrad(initial_accumulator_value: inf))",
            "initial_accumulator_value",
            "runs[0].optimizer.adagrad.initial_accumulator_value",
            "must be a finite number ≥ 0, got inf",
        ),
        ("(optimizer: sgd(lr: 0.1), clip: norm(inf))", "norm(", "runs[0].clip.norm", "must be a finite number > 0, got inf"),
        ("(optimizer: sgd(lr: 0.1), clip: value(NaN))", "value(", "runs[0].clip.value", "must be a finite number > 0, got NaN"),
    ];
    for (runs, at, field, message) in cases {
        let text = function(runs);
        // The position is that of the field inside the run.
        let (line, col) = position(&text, &format!("{runs}]"));
        let col = col + runs.find(at).unwrap();
        let (e, s) = info_error("s.ron", &text);
        assert_eq!(e, format!("losscape: {}:{line}:{col}: {field}: {message}", s.display()), "{runs}");
    }
    let text = NETWORK_RON.replace("noise: 0.1", "noise: inf");
    assert_info_error("s.ron", &text, "noise", "objective.network.data.generator.noise", "must be a finite number ≥ 0, got inf");
    let text = NETWORK_RON.replace("steps: 5,", "surface: (span: inf),");
    assert_info_error("s.ron", &text, "span", "surface.span", "must be a finite number > 0, got inf");
    let text = NETWORK_RON.replace("steps: 5,", "camera: (yaw: 30, pitch: 20, distance: inf),");
    assert_info_error("s.ron", &text, "distance", "camera.distance", "must be a finite number > 0, got inf");
}

#[test]
fn a_share_line_that_inflates_past_the_limit_is_too_large() {
    use data_encoding::BASE64URL_NOPAD;
    // 64 MB + 1 byte of spaces packs into a line short enough for one argument (about 90 kB).
    let packed = miniz_oxide::deflate::compress_to_vec(&vec![b' '; (64 << 20) + 1], 9);
    let line = format!("losscape1.{}", BASE64URL_NOPAD.encode(&packed));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.ron");
    let e = one_line(&losscape(&["open", &line, "--save", out.to_str().unwrap()]), 2);
    assert_eq!(e, "losscape: shared scene: too large: it inflates past 64 MB, the most a shared scene may hold");
    assert!(!out.exists());
}

#[test]
fn whole_numbers_out_of_range_say_what_fits() {
    const MAX: &str = "must be a whole number between 0 and 18446744073709551615";
    let big = "18446744073709551616";
    let ron = NETWORK_RON.replace("seed: 3", &format!("seed: {big}"));
    assert_info_error("s.ron", &ron, big, "objective.network.data.generator.seed", MAX);
    // RON has read the sign when it finds the number too small: it points at the digits.
    let ron = NETWORK_RON.replace("steps: 5", "steps: -1");
    assert_info_error("s.ron", &ron, "1,\n)", "steps", MAX);
    let ron = NETWORK_RON.replace("steps: 5,", "steps_per_frame: 4294967296,");
    assert_info_error("s.ron", &ron, "4294967296", "steps_per_frame", "must be a whole number between 0 and 4294967295");
    // JSON reads 2⁶⁴ as a float; the column is where serde stopped, just past the number.
    let json = format!(
        r#"{{"objective": {{"network": {{"inputs": 2, "layers": [{{"units": 1, "activation": "linear"}}],
 "data": {{"generator": {{"kind": "xor", "n": 40, "seed": {big}}}}}, "holdout": {{"share": 0.25, "seed": 7}}}}}}}}"#
    );
    let (e, s) = info_error("s.json", &json);
    assert!(e.starts_with(&format!("losscape: {}:2:", s.display())), "{e}");
    assert!(e.ends_with(&format!(": objective.network.data.generator.seed: {MAX}")), "{e}");
    for (value, field) in
        [("-1", "objective.network.holdout.seed"), ("2.5", "objective.network.holdout.seed"), ("\"7\"", "objective.network.holdout.seed")]
    {
        let json = json.replace(big, "3").replace(r#""seed": 7"#, &format!(r#""seed": {value}"#));
        let (e, _) = info_error("s.json", &json);
        assert!(e.ends_with(&format!(": {field}: {MAX}")), "{value}: {e}");
    }
    let json = json.replace(big, "3").replace(r#""units": 1"#, r#""units": 1.5"#);
    let (e, _) = info_error("s.json", &json);
    assert!(e.ends_with(": objective.network.layers[0].units: must be a whole number between 0 and 18446744073709551615"), "{e}");
}

#[test]
fn train_to_stdout_reports_a_diverged_run_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    // lr 2 on x²: x ← −3x, so the loss 9ᵏ overflows after a few hundred steps.
    let text = "(objective: function(expr: \"x^2\", start: [1.0]), runs: [(optimizer: sgd(lr: 0.1)), (optimizer: sgd(lr: 2))], steps: 400)";
    let s = write(dir.path(), "s.ron", text);
    let o = losscape(&["train", s.to_str().unwrap()]);
    let e = one_line(&o, 0);
    let csv = String::from_utf8(o.stdout).unwrap();
    assert!(csv.starts_with("run,step,loss,"), "stdout is the CSV alone");
    assert!(csv.lines().all(|l| l.split(',').count() == 6), "every stdout line is a CSV row");
    // A diverged run's rows stop at the first step where something is not finite.
    let last = csv.lines().rfind(|l| l.starts_with("1,")).unwrap().split(',').collect::<Vec<_>>();
    let values: Vec<f64> = [2, 3, 5].iter().map(|&i| last[i].parse().unwrap()).collect();
    assert!(values.iter().any(|v| !v.is_finite()), "run 1 diverges: {last:?}");
    let first_bad = last[1];
    assert_eq!(
        e,
        format!("losscape: run 1 SGD lr=2: DIVERGED at step {first_bad} (the loss, gradient or parameters stopped being finite)")
    );
    // Run 0 converges: it is not reported.
    assert!(!e.contains("run 0"));
}

#[test]
fn info_writes_a_schedule_as_a_scene_does_not_as_rust_debug() {
    let dir = tempfile::tempdir().unwrap();
    let text = "(objective: function(expr: \"x^2\", start: [1.0]), runs: [(optimizer: sgd(lr: 0.1), schedule: exponential(gamma: 0.99))])";
    let o = losscape(&["info", write(dir.path(), "s.ron", text).to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("  0: SGD lr=0.1, schedule exponential(gamma=0.99)\n"), "{out}");
}

#[test]
fn an_unknown_lesson_names_the_lessons_there_are() {
    let e = one_line(&losscape(&["--lesson", "99"]), 2);
    assert!(e.starts_with("losscape: --lesson: there is no lesson \"99\""), "{e}");
    assert!(e.contains("00, 01, 02") && e.contains("13c"), "{e}");
    let e = one_line(&losscape(&["--lesson", "08", "assets/scenes/03_hours_studied.ron"]), 2);
    assert!(e.contains("--lesson") && e.contains("cannot be used with"), "{e}");
}
