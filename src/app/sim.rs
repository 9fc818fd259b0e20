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
use crate::core::{Objective, ObjectiveSpec, Run, RunStatus, Session};

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
    /// The spec the running objective was built from: what "Revert" puts back in the panel
    /// after an edit the core refused.
    pub applied: ObjectiveSpec,
    /// Per run, each layer's gradient norm over the steps (networks only; empty otherwise).
    pub layer_norms: Vec<LayerNormHistory>,
    /// Runs whose stop has been reported already.
    reported: Vec<bool>,
}

/// Most rows a [`LayerNormHistory`] keeps before it thins itself to every other row.
pub const HISTORY_ROWS: usize = 2048;

/// ‖∂L/∂θ_l‖ (weights, bias and batch-norm parameters of layer l) of one run over its steps,
/// so vanishing and exploding gradients show as lines drifting apart over time. Rows are
/// every `stride`-th step; when `HISTORY_ROWS` is reached the stride doubles and every other
/// row goes, so a long run costs bounded memory and still spans step 0 to now.
#[derive(Clone, Debug, Default)]
pub struct LayerNormHistory {
    /// Steps recorded, increasing.
    pub steps: Vec<u64>,
    /// `norms[k][l]`: layer l's gradient norm at `steps[k]` (may be non-finite after divergence).
    pub norms: Vec<Vec<f64>>,
    stride: u64,
    last: Option<u64>,
}

impl LayerNormHistory {
    /// Records the run's current gradient if its step is new and on the stride.
    fn record(&mut self, net: &crate::core::Network, run: &Run) {
        let step = run.steps();
        if self.last == Some(step) {
            return;
        }
        self.last = Some(step);
        let stride = self.stride.max(1);
        if !step.is_multiple_of(stride) {
            return;
        }
        self.steps.push(step);
        self.norms.push(net.layer_norms(&run.grad));
        if self.steps.len() >= HISTORY_ROWS {
            let stride = stride * 2;
            let rows = std::mem::take(&mut self.steps).into_iter().zip(std::mem::take(&mut self.norms));
            (self.steps, self.norms) = rows.filter(|(s, _)| s.is_multiple_of(stride)).unzip();
            self.stride = stride;
        }
    }
}

impl Simulation {
    /// A session over `objective` with the scene's runs, from the objective's θ₀.
    pub fn new(objective: Arc<Objective>, settings: &SimSettings) -> Result<Self, String> {
        let start = objective.start().to_vec();
        let session = Session::starting_at(objective, &settings.scene.runs, &start).map_err(|e| e.to_string())?;
        let reported = vec![false; session.runs.len()];
        let applied = settings.scene.objective.clone();
        let mut sim = Self { session, start, generation: 0, applied, layer_norms: Vec::new(), reported };
        sim.record_layer_norms();
        Ok(sim)
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

    /// Appends each run's per-layer gradient norms for the step it is at (networks only).
    pub fn record_layer_norms(&mut self) {
        let Some(net) = self.session.objective.network() else {
            self.layer_norms.clear();
            return;
        };
        self.layer_norms.resize_with(self.session.runs.len(), LayerNormHistory::default);
        for (history, run) in self.layer_norms.iter_mut().zip(&self.session.runs) {
            history.record(&net.net, run);
        }
    }

    fn restart(&mut self, settings: &SimSettings) -> Result<(), String> {
        let session = Session::starting_at(self.session.objective.clone(), &settings.scene.runs, &self.start).map_err(|e| e.to_string())?;
        self.reported = vec![false; session.runs.len()];
        self.session = session;
        self.generation += 1;
        self.layer_norms.clear();
        self.record_layer_norms();
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
    let built = settings.scene.build_in(&settings.scene_dir()).map_err(|e| e.to_string()).and_then(|o| Simulation::new(o, &settings));
    match built {
        Ok(new) => {
            sim.replace(new);
            surface.write(RecomputeSurface);
            status.objective = None;
            status.info(format!("{} parameters", sim.objective().dim()));
        }
        Err(e) => {
            status.error(format!("objective not changed: {e}"));
            status.objective = Some(e);
        }
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
        if sim.session.runs[i].spec != *spec
            && let Err(e) = sim.session.set_run_spec(i, spec.clone())
        {
            status.error(format!("run {}: {e}", i + 1));
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
        sim.record_layer_norms();
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
        if let RunStatus::Diverged { step } = run.status
            && !sim.reported[i]
        {
            sim.reported[i] = true;
            let finite = run.trajectory.last().is_some_and(|r| r.loss.is_finite() && r.grad_norm.is_finite());
            let why = if finite { "left the view" } else { "diverged (loss or gradient not finite)" };
            status.error(format!("run {} ({}) {why} at step {step}; the others keep going", i + 1, run.spec.label()));
        }
    }
}
