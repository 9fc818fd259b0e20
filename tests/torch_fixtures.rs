//! Every committed PyTorch fixture (tests/fixtures/torch, written by scripts/torch_fixtures.py
//! from torch in float64) replayed through the core: each trajectory value must agree to
//! |a − b| ≤ 1e-9·max(|a|, |b|) + 1e-12, and every clipping flag exactly.

use std::path::{Path, PathBuf};

use losscape::core::Session;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-12
}

#[test]
fn every_torch_fixture_matches_to_1e_9() {
    let cases = fixtures();
    assert!(cases.len() >= 40, "expected the committed fixtures, found {}", cases.len());
    let mut failures = Vec::new();
    let mut values = 0usize;
    for scene_path in &cases {
        let name = scene_path.file_stem().unwrap().to_string_lossy().to_string();
        let scene = losscape::scene::load(scene_path).unwrap_or_else(|e| panic!("{e}"));
        let objective = scene.build(scene_path).unwrap();
        let mut session = Session::new(objective, &scene.runs).unwrap();
        session.run(scene.steps);
        let mut reader = csv::Reader::from_path(scene_path.with_extension("csv")).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(&header[..5], ["run", "step", "loss", "grad_norm", "clipped"], "{name}");
        let mut rows = 0;
        for record in reader.records() {
            let r = record.unwrap();
            let run: usize = r[0].parse().unwrap();
            let step: usize = r[1].parse().unwrap();
            rows += 1;
            let Some(t) = session.runs.get(run).map(|x| &x.trajectory).filter(|t| step < t.len()) else {
                failures.push(format!("{name}: run {run} has no step {step}"));
                continue;
            };
            let rec = t.records[step];
            let mut check = |col: &str, ours: f64, theirs: f64| {
                values += 1;
                if !close(ours, theirs) {
                    failures.push(format!("{name} run {run} step {step} {col}: ours {ours:e} torch {theirs:e}"));
                }
            };
            check("loss", rec.loss, r[2].parse().unwrap());
            check("grad_norm", rec.grad_norm, r[3].parse().unwrap());
            for (p, (ours, theirs)) in t.params(step).iter().zip(r.iter().skip(5)).enumerate() {
                check(&format!("p{p}"), *ours, theirs.parse().unwrap());
            }
            if rec.clipped.to_string() != r[4].to_lowercase() {
                failures.push(format!("{name} run {run} step {step}: clipped ours {} torch {}", rec.clipped, &r[4]));
            }
        }
        let expected_rows: usize = session.runs.iter().map(|r| r.trajectory.len()).sum();
        assert_eq!(rows, expected_rows, "{name}: row count");
    }
    assert!(
        failures.is_empty(),
        "{} of {values} values disagree with torch:\n{}",
        failures.len(),
        failures.iter().take(30).cloned().collect::<Vec<_>>().join("\n")
    );
}
