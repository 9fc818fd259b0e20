//! `losscape train`: run every run of a scene and write the trajectory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::core::{RunStatus, Session};

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
    if let Some(out) = &args.out {
        check_writable(out)?;
    }
    let mut session = Session::new(objective, &scene.runs).map_err(|e| crate::scene::located("", &args.scene, e))?;
    match &args.out {
        Some(out) => {
            crate::export::run_and_write_trajectory(out, &mut session, steps)
                .with_context(|| format!("{}: cannot write", out.display()))?;
            for (i, run) in session.runs.iter().enumerate() {
                let t = &run.trajectory;
                let (first, last) = (t.records[0], t.records[t.len() - 1]);
                let clipped = t.records.iter().filter(|r| r.clipped).count();
                let status = match run.status {
                    RunStatus::Running => String::new(),
                    RunStatus::Diverged { step } => format!(" — DIVERGED at step {step}"),
                };
                println!(
                    "run {i} {}: loss {:.6e} → {:.6e} after {} steps, clipping fired {clipped}×{status}",
                    run.spec.label(),
                    first.loss,
                    last.loss,
                    last.step
                );
            }
            println!("wrote {}", out.display());
        }
        None => {
            // `Stdout`, not its lock: the writer is used on rayon's pool, and a lock is not Send.
            let mut stdout = std::io::BufWriter::new(std::io::stdout());
            crate::export::run_and_write_csv(&mut session, steps, &mut stdout)?;
            std::io::Write::flush(&mut stdout)?;
            // Standard output is the CSV alone: what `--out` says in its summary goes to stderr.
            for (i, run) in session.runs.iter().enumerate() {
                if let RunStatus::Diverged { step } = run.status {
                    eprintln!(
                        "losscape: run {i} {}: DIVERGED at step {step} (the loss, gradient or parameters stopped being finite)",
                        run.spec.label()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses an output path whose folder does not exist, before any work is done.
pub(crate) fn check_writable(out: &std::path::Path) -> anyhow::Result<()> {
    let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return Err(super::UserError(format!("{}: the folder {} does not exist", out.display(), dir.display())).into());
    }
    if out.is_dir() {
        return Err(super::UserError(format!("{}: is a folder, give a file name", out.display())).into());
    }
    Ok(())
}
