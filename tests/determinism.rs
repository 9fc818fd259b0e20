//! A research tool must replay exactly: the same scene gives byte-identical trajectory and grid
//! files across runs and across thread counts; a diverging run is marked and stopped.

use std::path::Path;
use std::process::Command;

fn losscape(args: &[&str], threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_losscape")).args(args).env("RAYON_NUM_THREADS", threads).output().expect("run losscape")
}

mod common;
use common::scene;

#[test]
fn files_are_byte_identical_across_runs_and_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (k, threads) in ["1", "2", "2"].iter().enumerate() {
        let traj = dir.path().join(format!("t{k}.csv"));
        let grid = dir.path().join(format!("g{k}.csv"));
        let o = losscape(&["train", &scene("06_dense_layer.ron"), "--steps", "50", "--out", traj.to_str().unwrap()], threads);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = losscape(
            &[
                "surface",
                &scene("06_dense_layer.ron"),
                "--res",
                "24",
                "--directions",
                "random",
                "--seed",
                "4",
                "--out",
                grid.to_str().unwrap(),
            ],
            threads,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs.push((std::fs::read(&traj).unwrap(), std::fs::read(&grid).unwrap()));
    }
    assert!(outputs[0].0.len() > 1000 && outputs[0].1.len() > 1000);
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "trajectories and grids must not depend on threads or runs");
}

#[test]
fn a_batch_cut_into_chunks_trains_identically_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chunked_spiral.ron");
    let runs: Vec<Vec<u8>> = ["1", "2", "2"]
        .iter()
        .enumerate()
        .map(|(k, threads)| {
            let traj = dir.path().join(format!("c{k}.csv"));
            let o = losscape(&["train", data.to_str().unwrap(), "--out", traj.to_str().unwrap()], threads);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            std::fs::read(&traj).unwrap()
        })
        .collect();
    assert_eq!(String::from_utf8_lossy(&runs[0]).lines().count(), 1 + 2 * 41);
    assert!(runs.windows(2).all(|w| w[0] == w[1]), "a chunked batch's trajectory must not depend on the thread count");
}

#[test]
fn a_diverging_run_is_marked_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("diverge.ron");
    std::fs::write(
        &s,
        r#"(objective: function(expr: "x^4", start: [3.0]), runs: [(optimizer: sgd(lr: 10.0)), (optimizer: sgd(lr: 0.001))], steps: 100)"#,
    )
    .unwrap();
    let out = dir.path().join("t.csv");
    let o = losscape(&["train", s.to_str().unwrap(), "--out", out.to_str().unwrap()], "2");
    assert!(o.status.success(), "a diverged run is a result, not an error: {}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("DIVERGED at step"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    let diverged: Vec<&str> = text.lines().filter(|l| l.starts_with("0,")).collect();
    assert!(diverged.len() < 101, "the diverged run stops");
    let last_loss = diverged.last().unwrap().split(',').nth(2).unwrap();
    assert!(["inf", "NaN"].contains(&last_loss), "its last row shows the blow-up: {last_loss}");
    assert_eq!(text.lines().filter(|l| l.starts_with("1,")).count(), 101, "the other run goes on");
}
