//! Trajectory files: one row per run and step (DESIGN.md's CSV), or one JSON document.
//!
//! CSV header `run,step,loss,grad_norm,clipped[,holdout_loss],p0,…,p{P-1}`; floats in
//! shortest round-trip form (`NaN` and `inf` for a diverged run's last row).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::core::{Objective, Run, RunStatus};

/// Writes runs to `path` as CSV or JSON by extension (anything but `.json` is CSV).
pub fn write_trajectory(path: &Path, objective: &Objective, runs: &[Run]) -> io::Result<()> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    super::write_atomic(path, |w| if json { write_trajectory_json(w, objective, runs) } else { write_trajectory_csv(w, runs) })
}

/// Writes DESIGN.md's trajectory CSV.
pub fn write_trajectory_csv(w: &mut dyn Write, runs: &[Run]) -> io::Result<()> {
    let dim = runs.first().map_or(0, |r| r.theta.len());
    let holdout = runs.iter().any(|r| r.trajectory.records.first().is_some_and(|x| x.holdout_loss.is_some()));
    let mut line = String::with_capacity(32 + dim * 24);
    line.push_str("run,step,loss,grad_norm,clipped");
    if holdout {
        line.push_str(",holdout_loss");
    }
    for p in 0..dim {
        line.push_str(&format!(",p{p}"));
    }
    line.push('\n');
    w.write_all(line.as_bytes())?;
    // ryu: the shortest text that reads back as the same f64 (`NaN`, `inf` when diverged).
    let mut fmt = ryu::Buffer::new();
    for (i, run) in runs.iter().enumerate() {
        let t = &run.trajectory;
        for (k, r) in t.records.iter().enumerate() {
            line.clear();
            use std::fmt::Write as _;
            let _ = write!(line, "{i},{},", r.step);
            line.push_str(fmt.format(r.loss));
            line.push(',');
            line.push_str(fmt.format(r.grad_norm));
            line.push_str(if r.clipped { ",true" } else { ",false" });
            if holdout {
                line.push(',');
                line.push_str(fmt.format(r.holdout_loss.unwrap_or(f64::NAN)));
            }
            for &p in t.params(k) {
                line.push(',');
                line.push_str(fmt.format(p));
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonTrajectory<'a> {
    param_names: Vec<String>,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    label: String,
    spec: &'a crate::core::RunSpec,
    diverged_at: Option<u64>,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    step: u64,
    loss: f64,
    grad_norm: f64,
    clipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdout_loss: Option<f64>,
    params: &'a [f64],
}

/// Writes the runs as one JSON document: parameter names, and per run its settings, where it
/// diverged (if it did) and every step (non-finite numbers become `null`).
pub fn write_trajectory_json(w: &mut dyn Write, objective: &Objective, runs: &[Run]) -> io::Result<()> {
    let doc = JsonTrajectory {
        param_names: (0..objective.dim()).map(|i| objective.param_name(i)).collect(),
        runs: runs
            .iter()
            .map(|run| JsonRun {
                label: run.spec.label(),
                spec: &run.spec,
                diverged_at: match run.status {
                    RunStatus::Diverged { step } => Some(step),
                    RunStatus::Running => None,
                },
                steps: run
                    .trajectory
                    .records
                    .iter()
                    .enumerate()
                    .map(|(k, r)| JsonStep {
                        step: r.step,
                        loss: r.loss,
                        grad_norm: r.grad_norm,
                        clipped: r.clipped,
                        holdout_loss: r.holdout_loss,
                        params: run.trajectory.params(k),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *w, &doc).map_err(io::Error::other)?;
    w.write_all(b"\n")
}
