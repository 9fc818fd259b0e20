//! `losscape check`: backprop against central finite differences for every parameter, at the
//! start and after a few steps of every run.

use std::path::PathBuf;
use std::process::ExitCode;

use super::out::outln;
use crate::core::network::Workspace;
use crate::core::{ObjectiveSpec, Session, check_gradient};
use crate::scene::SceneError;

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
    // A start where the loss or gradient is not finite is bad input, not a failed check: there
    // is nothing to compare, and the fix is in the scene.
    let mut grad = vec![0.0; objective.dim()];
    let loss = objective.loss_and_grad(objective.start(), &mut grad, &mut Workspace::default());
    let what = if !loss.is_finite() {
        Some(format!("the loss at the start is not finite ({loss})"))
    } else {
        grad.iter()
            .position(|g| !g.is_finite())
            .map(|i| format!("the gradient at the start is not finite (∂L/∂{} = {})", objective.param_name(i), grad[i]))
    };
    if let Some(what) = what {
        let field = match scene.objective {
            ObjectiveSpec::Function(_) => "objective.function.start",
            ObjectiveSpec::Network(_) => "objective.network.init",
        };
        let message = format!("{what}, so there is no gradient to check; choose a start where it is finite");
        return Err(SceneError { path: args.scene.clone(), position: None, field: Some(field.into()), message }.into());
    }
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
        // A diverged run's θ may still be finite where the loss is not: nothing to compare there.
        if run.is_running() && run.theta.iter().all(|p| p.is_finite()) {
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
