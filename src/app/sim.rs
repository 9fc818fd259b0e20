//! The simulation: a [`Simulation`] resource wrapping `core::Session`, stepped
//! `steps_per_frame` times per frame while playing (never scaled by frame time, so the GUI
//! replays the CLI's exact trajectory), rebuilt when the objective changes and restarted on
//! Reset or a new start.
//!
//! A run that diverges (NaN/Inf, found by the core) or leaves the drawn surface far behind is
//! stopped; the status line says which and when. The other runs keep going.

use std::sync::Arc;

use bevy::prelude::*;

use super::AppSystems;
use super::grid::SurfaceGrid;
use super::settings::{RebuildObjective, RecomputeSurface, Reset, SetStart, SimSettings, StatusLine, StepOnce};
use crate::core::{Objective, RunStatus, Session};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (rebuild_objective, restart_simulation, sync_run_specs, step_simulation, stop_escaped_runs, report_stopped_runs)
            .chain()
            .in_set(AppSystems::Simulate),
    );
}

/// How far (in half-widths of the drawn surface) a ball may roll off it before it is stopped.
pub const ESCAPE_FACTOR: f64 = 4.0;

/// The live training session.
#[derive(Resource, Clone, Debug)]
pub struct Simulation {
    /// Every run, stepping the shared objective.
    pub session: Session,
    /// θ₀ every run starts from (the objective's, or a clicked point).
    pub start: Vec<f64>,
    /// Bumped whenever the runs restart, so visuals can drop their trails.
    pub generation: u64,
    /// Runs whose stop has been reported already.
    reported: Vec<bool>,
}

impl Simulation {
    /// A session over `objective` with the scene's runs, from the objective's θ₀.
    pub fn new(objective: Arc<Objective>, settings: &SimSettings) -> Result<Self, String> {
        let start = objective.start().to_vec();
        let session = Session::starting_at(objective, &settings.scene.runs, &start).map_err(|e| e.to_string())?;
        let reported = vec![false; session.runs.len()];
        Ok(Self { session, start, generation: 0, reported })
    }

    /// The objective.
    pub fn objective(&self) -> &Arc<Objective> {
        &self.session.objective
    }

    /// Steps taken by the furthest run.
    pub fn steps(&self) -> u64 {
        self.session.runs.iter().map(|r| r.steps()).max().unwrap_or(0)
    }

    /// Replaces this simulation by `new`, bumping the generation so visuals start afresh.
    pub fn replace(&mut self, new: Simulation) {
        let generation = self.generation + 1;
        *self = Simulation { generation, ..new };
    }

    fn restart(&mut self, settings: &SimSettings) -> Result<(), String> {
        let session = Session::starting_at(self.session.objective.clone(), &settings.scene.runs, &self.start).map_err(|e| e.to_string())?;
        self.reported = vec![false; session.runs.len()];
        self.session = session;
        self.generation += 1;
        Ok(())
    }
}

/// Builds the objective again from the edited spec; on failure the old one stays and the
/// status line names the field.
fn rebuild_objective(
    mut messages: MessageReader<RebuildObjective>,
    settings: Res<SimSettings>,
    mut sim: ResMut<Simulation>,
    mut status: ResMut<StatusLine>,
    mut surface: MessageWriter<RecomputeSurface>,
) {
    if messages.read().count() == 0 {
        return;
    }
    let objective = match settings.scene.build_in(&settings.scene_dir()) {
        Ok(o) => o,
        Err(e) => return status.error(format!("objective not changed: {e}")),
    };
    match Simulation::new(objective, &settings) {
        Ok(new) => {
            sim.replace(new);
            surface.write(RecomputeSurface);
            status.info(format!("{} parameters", sim.objective().dim()));
        }
        Err(e) => status.error(e),
    }
}

/// Reset restarts from the current start; `SetStart` moves the start first.
fn restart_simulation(
    mut resets: MessageReader<Reset>,
    mut starts: MessageReader<SetStart>,
    settings: Res<SimSettings>,
    mut sim: ResMut<Simulation>,
    mut status: ResMut<StatusLine>,
) {
    let new_start = starts.read().last().map(|s| s.0.clone());
    let reset = resets.read().count() > 0;
    if let Some(start) = new_start.filter(|s| s.len() == sim.start.len() && s.iter().all(|v| v.is_finite())) {
        sim.start = start;
    } else if !reset {
        return;
    }
    if let Err(e) = sim.restart(&settings) {
        status.error(e);
    }
}

/// Applies edited run settings live (θ and trajectory kept); adding or removing a run
/// restarts them all from the same start so they stay comparable.
fn sync_run_specs(settings: Res<SimSettings>, mut sim: ResMut<Simulation>, mut status: ResMut<StatusLine>) {
    if !settings.is_changed() {
        return;
    }
    let specs = &settings.scene.runs;
    if specs.len() != sim.session.runs.len() {
        if let Err(e) = sim.restart(&settings) {
            status.error(e);
        }
        return;
    }
    for (i, spec) in specs.iter().enumerate() {
        if sim.session.runs[i].spec != *spec {
            if let Err(e) = sim.session.set_run_spec(i, spec.clone()) {
                status.error(format!("run {}: {e}", i + 1));
            }
        }
    }
}

/// `steps_per_frame` updates while playing (one on `StepOnce`), up to the scene's steps.
fn step_simulation(mut once: MessageReader<StepOnce>, mut settings: ResMut<SimSettings>, mut sim: ResMut<Simulation>) {
    let single = once.read().count() > 0;
    let wanted = if settings.playing { u64::from(settings.scene.steps_per_frame) } else { u64::from(single) };
    let limit = settings.scene.steps;
    for _ in 0..wanted {
        if sim.steps() >= limit && !single {
            break;
        }
        sim.session.step();
    }
    if settings.playing && sim.steps() >= limit {
        settings.playing = false;
    }
}

/// Stops runs that rolled far off the drawn surface (the "left the view" case of divergence).
fn stop_escaped_runs(grid: Res<SurfaceGrid>, mut sim: ResMut<Simulation>) {
    let Some(land) = grid.current.as_ref() else { return };
    for run in sim.session.runs.iter_mut().filter(|r| r.is_running() && r.theta.len() == land.plane.dim()) {
        let p = land.plane.project(&run.theta);
        if !land.contains(p.a, p.b, ESCAPE_FACTOR) {
            run.status = RunStatus::Diverged { step: run.steps() };
        }
    }
}

/// Puts each newly stopped run on the status line.
fn report_stopped_runs(mut sim: ResMut<Simulation>, mut status: ResMut<StatusLine>) {
    let sim = &mut *sim;
    for (i, run) in sim.session.runs.iter().enumerate() {
        if let RunStatus::Diverged { step } = run.status {
            if !sim.reported[i] {
                sim.reported[i] = true;
                let finite = run.trajectory.last().is_some_and(|r| r.loss.is_finite() && r.grad_norm.is_finite());
                let why = if finite { "left the view" } else { "diverged (loss or gradient not finite)" };
                status.error(format!("run {} ({}) {why} at step {step}; the others keep going", i + 1, run.spec.label()));
            }
        }
    }
}
