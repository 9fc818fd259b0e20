//! The simulation: a [`Simulation`] resource wrapping `core::Session`, stepped
//! `steps_per_frame` times per frame while playing (never scaled by frame time, so the GUI
//! replays the CLI's exact trajectory), rebuilt when the objective changes and restarted on
//! Reset or a new start. A new scene (a file, a lesson, a shared line) arrives as one
//! [`SwitchScene`] message, handled here and nowhere else.
//!
//! A run that diverges (NaN/Inf, found by the core) is stopped by the core, one that leaves the
//! drawn surface far behind by the landscape; `report_stopped_runs` says which and when on the
//! status line. The other runs keep going.

use std::path::Path;
use std::sync::Arc;

use bevy::platform::time::Instant;
use bevy::prelude::*;

use super::sets::AppSystems;
use super::settings::{
    FixedStepping, Play, RebuildObjective, RecomputeSurface, Reset, ResetView, SetStart, SimSettings, StatusLine, StepOnce, ViewSwitches,
};
use crate::core::{CoreError, Objective, ObjectiveSpec, Run, RunStatus, Session};
use crate::scene::{self, SceneError};

pub(super) fn plugin(app: &mut App) {
    app.add_message::<SwitchScene>()
        .add_systems(Update, switch_scene.in_set(AppSystems::SwitchScene))
        .add_systems(Update, (rebuild_objective, restart_simulation, sync_run_specs, step_simulation).chain().in_set(AppSystems::Simulate))
        .add_systems(Update, report_stopped_runs.in_set(AppSystems::Report));
}

/// Why a scene could not be put on screen: the one line the status bar (or stderr) shows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file does not read, parse or check, or its objective does not build.
    #[error(transparent)]
    Scene(#[from] SceneError),
    /// No lesson has this number.
    #[error("there is no lesson {}", .0 + 1)]
    NoLesson(usize),
    /// The paths of every run for every step would not fit in memory.
    #[error("{}: {source} (the app keeps every path to draw it)", path.display())]
    TooLong {
        /// The scene's file.
        path: std::path::PathBuf,
        /// What the core said.
        source: CoreError,
    },
    /// The runs cannot start (an optimizer's settings).
    #[error("{}: {source}", path.display())]
    Runs {
        /// The scene's file.
        path: std::path::PathBuf,
        /// What the core said.
        source: CoreError,
    },
}

/// Reads a scene and builds its simulation; the error is the scene's one-line message. A file
/// that is one of the lessons, unchanged, counts as that lesson (lesson mode's place in the
/// list).
pub fn load_scene(path: &Path) -> Result<(SimSettings, Simulation), LoadError> {
    let scene = scene::load(path)?;
    let objective = scene.build(path)?;
    let mut settings = SimSettings::new(scene, Some(path.to_path_buf()));
    settings.lesson = crate::lessons::identify(path, &settings.scene);
    simulate(settings, objective, path)
}

/// A scene file's text that came without a folder (the browser's file picker): `name` gives
/// the format and names it in messages; CSV data by path cannot be read (there is no folder).
pub fn load_scene_text(name: &Path, text: &str) -> Result<(SimSettings, Simulation), LoadError> {
    let scene = scene::parse(text, scene::Format::of(name)?, name)?;
    let objective = scene.build_in(Path::new("")).map_err(|e| scene::located(text, name, e))?;
    let mut settings = SimSettings::new(scene, Some(name.to_path_buf()));
    settings.lesson = crate::lessons::identify(name, &settings.scene);
    simulate(settings, objective, name)
}

/// Lesson `index` of [`crate::lessons::LESSONS`], compiled into the binary.
pub fn load_lesson(index: usize) -> Result<(SimSettings, Simulation), LoadError> {
    let lesson = crate::lessons::LESSONS.get(index).ok_or(LoadError::NoLesson(index))?;
    let (scene, objective) = lesson.load()?;
    simulate(SimSettings::lesson(scene, index), objective, &lesson.path())
}

/// The simulation of a loaded scene; `path` names it in messages.
fn simulate(settings: SimSettings, objective: Arc<Objective>, path: &Path) -> Result<(SimSettings, Simulation), LoadError> {
    let scene = &settings.scene;
    crate::core::session::check_path_memory(objective.dim(), scene.runs.len(), scene.steps)
        .map_err(|source| LoadError::TooLong { path: path.to_path_buf(), source })?;
    let simulation = Simulation::new(objective, &settings).map_err(|source| LoadError::Runs { path: path.to_path_buf(), source })?;
    Ok((settings, simulation))
}

/// Show this scene from now on: the settings and the simulation are replaced, the view
/// switches go back to their defaults, the runs play, the surface is recomputed and the camera
/// reset. Sent by whatever loaded the scene (a file, a lesson, a shared line).
#[derive(Message, Clone, Debug)]
pub struct SwitchScene {
    /// The new scene.
    pub settings: SimSettings,
    /// Its simulation, built from `settings`.
    pub sim: Simulation,
}

/// Puts the newest requested scene on screen (the old runs and trails are dropped).
fn switch_scene(
    mut requests: ResMut<Messages<SwitchScene>>,
    mut settings: ResMut<SimSettings>,
    mut sim: ResMut<Simulation>,
    mut switches: ResMut<ViewSwitches>,
    mut play: ResMut<NextState<Play>>,
    mut status: ResMut<StatusLine>,
    mut recompute: MessageWriter<RecomputeSurface>,
    mut view: MessageWriter<ResetView>,
) {
    let Some(SwitchScene { settings: new_settings, sim: new_sim }) = requests.drain().last() else { return };
    *settings = new_settings;
    sim.replace(new_sim);
    switches.set_if_neq(ViewSwitches::default());
    NextState::set_if_neq(&mut play, Play::Playing);
    // A refused edit of the old objective says nothing about the new one.
    status.objective = None;
    recompute.write(RecomputeSurface);
    view.write(ResetView);
}

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
    pub fn new(objective: Arc<Objective>, settings: &SimSettings) -> Result<Self, CoreError> {
        let start = objective.start().to_vec();
        let session = Session::starting_at(objective, &settings.scene.runs, &start)?;
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

    fn restart(&mut self, settings: &SimSettings) -> Result<(), CoreError> {
        let session = Session::starting_at(self.session.objective.clone(), &settings.scene.runs, &self.start)?;
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
    let (mut asked, mut because) = (false, None);
    for message in messages.read() {
        asked = true;
        because = message.0.clone().or(because);
    }
    if !asked {
        return;
    }
    let built = settings.scene.build_in(&settings.scene_dir()).and_then(|o| Simulation::new(o, &settings));
    match built {
        Ok(new) => {
            sim.replace(new);
            surface.write(RecomputeSurface);
            status.objective = None;
            let count = format!("{} parameters", sim.objective().dim());
            status.info(match because {
                Some(what) => format!("{what}; {count}"),
                None => count,
            });
        }
        Err(e) => {
            status.error(format!("objective not changed: {e}"));
            status.objective = Some(e.to_string());
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
        status.error(e.to_string());
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
            status.error(e.to_string());
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

/// `steps_per_frame` updates while playing, exactly one on `StepOnce` (which pauses), up to
/// the scene's steps; then it pauses.
/// The most time one frame spends stepping (at least one step is always taken), except while
/// recording ([`FixedStepping`]).
const STEP_BUDGET: std::time::Duration = std::time::Duration::from_millis(25);

fn step_simulation(
    mut once: MessageReader<StepOnce>,
    settings: Res<SimSettings>,
    play: Res<State<Play>>,
    mut next: ResMut<NextState<Play>>,
    mut sim: ResMut<Simulation>,
    fixed: Res<FixedStepping>,
) {
    let single = once.read().count() > 0;
    let playing = *play.get() == Play::Playing && !single;
    let wanted = if playing { u64::from(settings.scene.steps_per_frame) } else { u64::from(single) };
    let limit = settings.scene.steps;
    // A big network's batch of steps may not fit a frame: the rest waits for the next frame (the
    // path is the same, only slower), so the view and the panel stay responsive.
    let began = Instant::now();
    for _ in 0..wanted {
        if sim.steps() >= limit && !single || !fixed.0 && began.elapsed() > STEP_BUDGET {
            break;
        }
        sim.session.step();
        sim.record_layer_norms();
    }
    if playing && sim.steps() >= limit {
        next.set(Play::Paused);
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
