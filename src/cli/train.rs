//! `losscape train`: run every run of a scene and write the trajectory.
//!
//! A CSV (a file or standard output) streams: runs one after another, rows written as they
//! come, memory independent of the steps, so `--steps 10000000` on 881 parameters needs no
//! more memory than 10. A JSON document is one value and keeps every path: its memory is
//! checked against [`PATH_MEMORY_BUDGET`](crate::core::session::PATH_MEMORY_BUDGET) first.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::out::{self, outln};
use crate::core::session::check_path_memory;
use crate::core::{RunStatus, Session};
use crate::export::trajectory::RunSummary;
use crate::files::{Output, check_outputs, human_bytes};

/// Arguments of `losscape train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
    /// Number of updates (default: the scene's `steps`).
    #[arg(long)]
    steps: Option<u64>,
    /// Trajectory file: .csv or .json (CSV on standard output when absent).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs the scene and writes rows 0…N for every run.
pub fn run(args: &TrainArgs) -> anyhow::Result<ExitCode> {
    let (scene, objective) = super::load_scene(&args.scene)?;
    let steps = args.steps.unwrap_or(scene.steps);
    if steps > crate::scene::MAX_STEPS {
        return Err(super::UserError(format!("--steps must be ≤ {}, got {steps}", crate::scene::MAX_STEPS)).into());
    }
    let out = match &args.out {
        Some(out) => {
            let outputs = [Output { path: out, flag: "--out", formats: &["csv", "json"] }];
            Some(check_outputs(&outputs, &scene.input_files(&args.scene))?.remove(0))
        }
        None => None,
    };
    let json = out.as_deref().is_some_and(crate::export::is_json);
    if json {
        check_path_memory(objective.dim(), scene.runs.len(), steps)
            .map_err(|e| super::UserError(format!("{}: {e} (the JSON trajectory keeps them all)", args.scene.display())))?;
    }
    let mut session = Session::new(objective, &scene.runs).map_err(|e| crate::scene::located("", &args.scene, e))?;
    let Some(target) = out else {
        let summaries = out::stream(|w| crate::export::run_and_write_csv(&mut session, steps, w))?;
        // Standard output holds only the CSV; a run that diverged is said on standard error.
        for (i, s) in summaries.iter().enumerate() {
            if let RunStatus::Diverged { step } = s.status {
                super::say(&format!(
                    "losscape: run {i} {}: DIVERGED at step {step} (the loss, gradient or parameters stopped being finite)",
                    s.label
                ));
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let shown = args.out.as_ref().expect("an output was given").display();
    if !json {
        warn_if_the_disk_is_too_small(&target, &session, steps);
    }
    let summaries =
        crate::export::run_and_write_trajectory(&target, &mut session, steps).with_context(|| format!("{shown}: cannot write"))?;
    for (i, s) in summaries.iter().enumerate() {
        outln!("{}", summary_line(i, s))?;
    }
    outln!("wrote {shown}")?;
    Ok(ExitCode::SUCCESS)
}

/// `run 0 sgd(lr=0.1): loss 1.000000e2 → 1.329228e-2 after 20 steps, clipping fired on 0 of them`.
fn summary_line(i: usize, s: &RunSummary) -> String {
    let status = match s.status {
        RunStatus::Running => String::new(),
        RunStatus::Diverged { step } => format!(" — DIVERGED at step {step}"),
    };
    format!(
        "run {i} {}: loss {:.6e} → {:.6e} after {} steps, clipping fired on {} of them{status}",
        s.label, s.first_loss, s.last.loss, s.last.step, s.clipped_steps
    )
}

/// Says on standard error when the CSV will probably not fit on the disk (the run goes on: the
/// estimate is rough, and a full disk fails cleanly, leaving the old file as it was).
fn warn_if_the_disk_is_too_small(target: &std::path::Path, session: &Session, steps: u64) {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let Some(free) = crate::files::available_space(dir) else { return };
    // A row is the run and step, then loss, norm, clipped and every parameter: about 20
    // characters a number in shortest round-trip form.
    let per_row = 16 + 20 * (3 + session.objective.dim() as u128);
    let need = per_row * (steps as u128 + 1) * session.runs.len() as u128;
    if need > free as u128 {
        super::say(&format!(
            "losscape: warning: {} may need about {}, and its disk has {} free",
            target.display(),
            human_bytes(need),
            human_bytes(free as u128)
        ));
    }
}
