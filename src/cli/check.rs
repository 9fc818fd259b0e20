//! `losscape check`: backprop against central finite differences for every parameter, at the
//! start and after a few steps of every run.

use std::path::PathBuf;
use std::process::ExitCode;

use super::out::outln;
use crate::core::{Session, check_gradient};

/// Arguments of `losscape check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
    /// Steps of each run after which the gradient is checked again.
    #[arg(long, default_value_t = 3)]
    steps: u64,
}

/// Exit 0 when every check agrees, 1 naming the worst parameter when one does not.
pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    if args.steps > crate::scene::MAX_STEPS {
        return Err(super::UserError(format!("--steps must be ≤ {}, got {}", crate::scene::MAX_STEPS, args.steps)).into());
    }
    let (scene, objective) = super::load_scene(&args.scene)?;
    let mut points = vec![("start".to_string(), objective.start().to_vec())];
    let mut session = Session::new(objective.clone(), &scene.runs).map_err(|e| crate::scene::located("", &args.scene, e))?;
    // Only the last θ matters: the paths are dropped as they grow, so memory does not grow
    // with --steps.
    for i in 0..session.runs.len() {
        for k in 0..args.steps {
            if !session.runs[i].is_running() {
                break;
            }
            session.step_run(i);
            if k % 1024 == 1023 {
                session.runs[i].trajectory.take();
            }
        }
    }
    for (i, run) in session.runs.iter().enumerate() {
        if run.theta.iter().all(|p| p.is_finite()) {
            points.push((format!("run {i} after {} steps", run.steps()), run.theta.clone()));
        }
    }
    let mut worst: Option<(String, crate::core::GradientCheck)> = None;
    for (label, theta) in &points {
        let c = check_gradient(&objective, theta);
        outln!(
            "{label}: worst relative error {:.2e} at {} (backprop {:.12e}, finite difference {:.12e})",
            c.rel_error,
            objective.param_name(c.worst),
            c.backprop,
            c.finite_difference
        )?;
        if worst.as_ref().is_none_or(|(_, w)| c.rel_error > w.rel_error) {
            worst = Some((label.clone(), c));
        }
    }
    let Some((label, c)) = worst else { return Ok(ExitCode::SUCCESS) };
    if c.passed() {
        outln!("ok: backprop agrees with finite differences for all {} parameters", objective.dim())?;
        Ok(ExitCode::SUCCESS)
    } else {
        super::say(&format!(
            "losscape: check failed at {label}: {} backprop {:.6e} vs finite difference {:.6e} (relative error {:.2e} > {:.0e})",
            objective.param_name(c.worst),
            c.backprop,
            c.finite_difference,
            c.rel_error,
            crate::core::check::TOLERANCE
        ));
        Ok(ExitCode::from(1))
    }
}
