//! A training session: every run of a scene stepping the same objective, each with its own
//! optimizer, clipping and schedule, recording its trajectory.
//!
//! `Session::step` is the only thing that moves a run: loss and gradient at θ_k (recorded as
//! row k), clip, optimizer step to θ_{k+1}, and the loss and gradient there (row k+1). The GUI
//! and the CLI call the same function, so they produce the same numbers.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::clip::{Clip, norm2};
use super::data::Dataset;
use super::error::CoreError;
use super::network::Workspace;
use super::objective::{BatchOrder, Objective};
use super::optimizer::{OptimizerConfig, OptimizerState, Schedule};

/// One run as written in a scene: an optimizer with optional clipping and schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// A label for legends (default: the optimizer's description).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The optimizer and its hyper-parameters.
    pub optimizer: OptimizerConfig,
    /// Gradient clipping before the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<Clip>,
    /// Learning-rate schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl RunSpec {
    /// A run with this optimizer and nothing else.
    pub fn new(optimizer: OptimizerConfig) -> Self {
        Self { name: None, optimizer, clip: None, schedule: None }
    }

    /// The legend label.
    pub fn label(&self) -> String {
        let mut s = self.name.clone().unwrap_or_else(|| self.optimizer.describe());
        if self.name.is_none() {
            match self.clip {
                Some(Clip::Norm(c)) => s.push_str(&format!(" clip‖g‖≤{c}")),
                Some(Clip::Value(c)) => s.push_str(&format!(" clip|g|≤{c}")),
                None => {}
            }
        }
        s
    }

    /// Checks the optimizer, the clipping and the schedule.
    pub fn validate(&self) -> Result<(), CoreError> {
        self.optimizer.validate()?;
        if let Some(c) = &self.clip {
            c.validate()?;
        }
        if let Some(s) = &self.schedule {
            s.validate()?;
        }
        Ok(())
    }
}

/// One row of a trajectory: the state after `step` updates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    /// Number of updates so far.
    pub step: u64,
    /// Training loss at θ (full data, with any penalty).
    pub loss: f64,
    /// 2-norm of the raw gradient at θ (of the mini-batch, when batching).
    pub grad_norm: f64,
    /// Whether clipping fires on that gradient.
    pub clipped: bool,
    /// Held-out loss at θ, when the objective has a held-out set.
    pub holdout_loss: Option<f64>,
}

/// A run's recorded path: one [`Record`] and one θ per step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trajectory {
    dim: usize,
    /// The rows, step 0 first.
    pub records: Vec<Record>,
    params: Vec<f64>,
}

impl Trajectory {
    /// An empty trajectory for `dim` parameters.
    pub fn new(dim: usize) -> Self {
        Self { dim, records: Vec::new(), params: Vec::new() }
    }
    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.records.len()
    }
    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// θ at row `k`.
    pub fn params(&self, k: usize) -> &[f64] {
        &self.params[k * self.dim..(k + 1) * self.dim]
    }
    /// θ of rows `rows`, one after another.
    pub fn params_of_rows(&self, rows: std::ops::Range<usize>) -> &[f64] {
        &self.params[rows.start * self.dim..rows.end * self.dim]
    }
    /// Appends a row.
    pub fn push(&mut self, record: Record, theta: &[f64]) {
        self.records.push(record);
        self.params.extend_from_slice(theta);
    }
    /// The last row.
    pub fn last(&self) -> Option<&Record> {
        self.records.last()
    }
    /// Hands over the rows recorded so far and starts empty: a run streamed to a file keeps
    /// no more than one block of its path in memory.
    pub fn take(&mut self) -> Trajectory {
        std::mem::replace(self, Trajectory::new(self.dim))
    }
    /// Empties the trajectory but keeps its memory, for rows to come (a streamed CSV hands its
    /// written blocks back to be filled again rather than touching new pages for each).
    pub fn clear(&mut self) {
        self.records.clear();
        self.params.clear();
    }
    /// How many steps clipped their gradient: rows 0…N−1, whose gradients steps 1…N used. The
    /// last row's gradient (at θ_N) is recorded but no step has used it yet, so it is not counted.
    pub fn clipped_steps(&self) -> usize {
        let used = self.records.len().saturating_sub(1);
        self.records[..used].iter().filter(|r| r.clipped).count()
    }
}

/// How much memory paths kept whole may take (2 GiB): the app, `losscape surface`, `check` and
/// JSON trajectories keep every θ of every run; a CSV trajectory streams and needs none of it.
pub const PATH_MEMORY_BUDGET: u64 = 2 << 30;

/// Bytes one recorded row takes while a path is kept whole: its θ, its [`Record`] and the
/// JSON writer's view of it.
pub fn row_bytes(dim: usize) -> u128 {
    8 * dim as u128 + 128
}

/// Refuses, before anything is allocated, to keep `steps` steps of `runs` runs over `dim`
/// parameters when that needs more than [`PATH_MEMORY_BUDGET`]; the message gives the memory
/// it would need and the most steps that fit.
pub fn check_path_memory(dim: usize, runs: usize, steps: u64) -> Result<(), CoreError> {
    let per_step = runs.max(1) as u128 * row_bytes(dim);
    let need = (steps as u128 + 1) * per_step;
    if need <= PATH_MEMORY_BUDGET as u128 {
        return Ok(());
    }
    let fit = (PATH_MEMORY_BUDGET as u128 / per_step).saturating_sub(1);
    Err(CoreError::invalid(
        "steps",
        format!(
            "keeping {steps} steps of {runs} run{} over {dim} parameters needs {}, more than the {} kept paths may use; \
             at most {fit} steps fit (a CSV trajectory streams any number)",
            if runs == 1 { "" } else { "s" },
            super::format::human_bytes(need),
            super::format::human_bytes(PATH_MEMORY_BUDGET as u128),
        ),
    ))
}

/// Why a run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Still stepping.
    Running,
    /// The loss, gradient or θ became NaN or infinite at this step.
    Diverged {
        /// The first non-finite step.
        step: u64,
    },
}

/// One run's live state.
#[derive(Clone, Debug)]
pub struct Run {
    /// Its configuration (editable live: see [`Session::set_run_spec`]).
    pub spec: RunSpec,
    /// Current θ.
    pub theta: Vec<f64>,
    /// Raw gradient at the current θ.
    pub grad: Vec<f64>,
    /// Everything recorded so far.
    pub trajectory: Trajectory,
    /// Running or diverged.
    pub status: RunStatus,
    state: OptimizerState,
    scratch: Vec<f64>,
    ws: Workspace,
    batches: Option<BatchOrder>,
    batch: Dataset,
}

impl Run {
    /// The learning rate the next step will use (after the schedule).
    pub fn current_lr(&self) -> f64 {
        let lr = self.spec.optimizer.lr();
        self.spec.schedule.as_ref().map_or(lr, |s| s.lr_at(lr, self.state.t))
    }

    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.state.t
    }

    /// Whether the run is still moving.
    pub fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }
}

/// The runs of a scene over one objective.
#[derive(Clone, Debug)]
pub struct Session {
    /// The shared objective.
    pub objective: Arc<Objective>,
    /// The runs, in scene order.
    pub runs: Vec<Run>,
}

impl Session {
    /// Starts every run at the objective's θ₀ and records step 0.
    pub fn new(objective: Arc<Objective>, specs: &[RunSpec]) -> Result<Self, CoreError> {
        let start = objective.start().to_vec();
        Self::starting_at(objective, specs, &start)
    }

    /// Like [`Session::new`] but from a chosen θ₀ (the app's click-to-start).
    pub fn starting_at(objective: Arc<Objective>, specs: &[RunSpec], start: &[f64]) -> Result<Self, CoreError> {
        for (i, s) in specs.iter().enumerate() {
            s.validate().map_err(|e| e.within(&format!("runs[{i}]")))?;
        }
        let runs = specs.iter().map(|s| Self::start_run(&objective, s.clone(), start)).collect();
        Ok(Self { objective, runs })
    }

    fn start_run(objective: &Objective, spec: RunSpec, start: &[f64]) -> Run {
        let dim = objective.dim();
        let batches = objective.network().and_then(|n| n.batch_size.map(|b| BatchOrder::new(n.train.n, b, n.batch_seed)));
        let mut run = Run {
            state: OptimizerState::new(&spec.optimizer, dim),
            spec,
            theta: start.to_vec(),
            grad: vec![0.0; dim],
            trajectory: Trajectory::new(dim),
            status: RunStatus::Running,
            scratch: vec![0.0; dim],
            ws: Workspace::default(),
            batches,
            batch: Dataset::default(),
        };
        Self::record(objective, &mut run);
        run
    }

    /// Adds a run starting from θ₀ of the objective.
    pub fn add_run(&mut self, spec: RunSpec) -> Result<(), CoreError> {
        spec.validate()?;
        let start = self.objective.start().to_vec();
        self.runs.push(Self::start_run(&self.objective, spec, &start));
        Ok(())
    }

    /// Changes run `i`'s settings in place, keeping θ and the trajectory; the optimizer's
    /// moments restart when the optimizer kind changes.
    pub fn set_run_spec(&mut self, i: usize, spec: RunSpec) -> Result<(), CoreError> {
        spec.validate()?;
        let run = &mut self.runs[i];
        if std::mem::discriminant(&run.spec.optimizer) != std::mem::discriminant(&spec.optimizer) {
            run.state = OptimizerState::new(&spec.optimizer, run.theta.len());
        }
        run.spec = spec;
        Ok(())
    }

    /// One update of every running run.
    pub fn step(&mut self) {
        let objective = &self.objective;
        for run in self.runs.iter_mut().filter(|r| r.is_running()) {
            Self::advance(objective, run);
        }
    }

    /// One update of run `i` alone, if it is running (runs are independent: stepping them one
    /// after another gives the numbers of stepping them together).
    pub fn step_run(&mut self, i: usize) {
        let run = &mut self.runs[i];
        if run.is_running() {
            Self::advance(&self.objective, run);
        }
    }

    /// `n` updates of every running run.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            if !self.runs.iter().any(Run::is_running) {
                break;
            }
            self.step();
        }
    }

    /// Steps every running run until it has taken `n` steps in all: runs left at different
    /// steps (a survey stops replaying a run once its path has exploded) catch up, each with
    /// the numbers it would have had stepping beside the others.
    pub fn run_until(&mut self, n: u64) {
        for i in 0..self.runs.len() {
            while self.runs[i].is_running() && self.runs[i].steps() < n {
                self.step_run(i);
            }
        }
    }

    /// [`Session::run`] on rayon's pool, so that a full batch larger than
    /// [`crate::core::network::CHUNK`] samples has its chunks computed on several cores. The
    /// numbers are bit for bit those of `run`: only who computes each chunk changes. For
    /// batch jobs (the CLI); the app steps on its own thread and leaves the pool to its grids.
    pub fn run_on_pool(&mut self, n: u64) {
        rayon::scope(|_| self.run(n));
    }

    /// Clip → optimizer step → record the new point.
    fn advance(objective: &Objective, run: &mut Run) {
        let lr = run.current_lr();
        run.scratch.copy_from_slice(&run.grad);
        if let Some(clip) = &run.spec.clip {
            let n = norm2(&run.scratch);
            clip.apply(&mut run.scratch, n);
        }
        run.state.step(&run.spec.optimizer, lr, &mut run.theta, &mut run.scratch);
        Self::record(objective, run);
    }

    /// Evaluates loss and gradient at the run's θ and appends the row.
    fn record(objective: &Objective, run: &mut Run) {
        let loss = match (objective.network(), run.batches.as_mut()) {
            (Some(n), Some(batches)) => {
                n.train.select_into(batches.next_batch(), &mut run.batch);
                n.loss_on(&run.theta, &run.batch, &mut run.ws, Some(&mut run.grad));
                n.loss_on(&run.theta, &n.train, &mut run.ws, None)
            }
            _ => objective.loss_and_grad(&run.theta, &mut run.grad, &mut run.ws),
        };
        let grad_norm = norm2(&run.grad);
        let clipped = match run.spec.clip {
            Some(Clip::Norm(c)) => c / (grad_norm + 1e-6) < 1.0,
            Some(Clip::Value(v)) => run.grad.iter().any(|g| g.abs() > v),
            None => false,
        };
        let holdout_loss = objective.holdout_loss(&run.theta, &mut run.ws);
        let step = run.state.t;
        let finite = loss.is_finite() && grad_norm.is_finite() && run.theta.iter().all(|p| p.is_finite());
        if !finite {
            run.status = RunStatus::Diverged { step };
        }
        run.trajectory.push(Record { step, loss, grad_norm, clipped, holdout_loss }, &run.theta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{FunctionSpec, ObjectiveSpec, Sgd, Table};
    use approx::assert_relative_eq;

    fn function(expr: &str, start: &[f64]) -> Arc<Objective> {
        let spec = ObjectiveSpec::Function(FunctionSpec { expr: expr.into(), start: start.to_vec() });
        Arc::new(spec.build(&|_: &crate::core::CsvSource| -> Result<Table, CoreError> { unreachable!() }).unwrap())
    }

    fn sgd(lr: f64) -> RunSpec {
        RunSpec::new(OptimizerConfig::Sgd(Sgd { lr, ..Sgd::default() }))
    }

    #[test]
    fn lesson_one_x_squared_from_ten() {
        let mut s = Session::new(function("x^2", &[10.0]), &[sgd(0.1)]).unwrap();
        s.run(20);
        let t = &s.runs[0].trajectory;
        assert_eq!(t.len(), 21);
        assert_relative_eq!(t.params(5)[0], 3.2768, max_relative = 1e-13);
        assert_relative_eq!(t.params(20)[0], 0.115292150460685, max_relative = 1e-13);
        assert_relative_eq!(t.records[20].loss, 0.013292279957849, max_relative = 1e-12);
        assert_eq!(t.records[0].grad_norm, 20.0);
    }

    #[test]
    fn lesson_two_never_stops_in_y() {
        let mut s = Session::new(function("3*x^2 + 2*y", &[1.0, 0.0]), &[sgd(0.1)]).unwrap();
        s.run(10);
        for k in 0..=10 {
            assert_relative_eq!(s.runs[0].trajectory.params(k)[1], -0.2 * k as f64, epsilon = 1e-12);
        }
    }

    #[test]
    fn divergence_stops_the_run() {
        let mut s = Session::new(function("x^2", &[1.0]), &[sgd(1e200)]).unwrap();
        s.run(50);
        assert!(matches!(s.runs[0].status, RunStatus::Diverged { .. }));
        assert!(s.runs[0].trajectory.len() < 51);
    }

    #[test]
    fn memory_for_whole_paths_is_refused_up_front() {
        assert!(check_path_memory(1, 1, 10_000_000).is_ok());
        let e = check_path_memory(881, 2, 10_000_000).unwrap_err().to_string();
        assert!(e.starts_with("steps: keeping 10000000 steps of 2 runs over 881 parameters needs 134 GiB"), "{e}");
        let fit: u64 = e.split("at most ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!(check_path_memory(881, 2, fit).is_ok() && check_path_memory(881, 2, fit + 1).is_err(), "{fit}");
        assert!(check_path_memory(usize::MAX / 16, 1, u64::MAX).is_err(), "no overflow");
    }

    #[test]
    fn runs_stepped_one_after_another_match_runs_stepped_together() {
        let runs = [sgd(0.1), sgd(0.3)];
        let mut together = Session::new(function("x^2 + 3*y^2", &[1.0, 2.0]), &runs).unwrap();
        together.run(7);
        let mut apart = Session::new(function("x^2 + 3*y^2", &[1.0, 2.0]), &runs).unwrap();
        for i in 0..2 {
            let first = apart.runs[i].trajectory.take();
            for _ in 0..7 {
                apart.step_run(i);
            }
            assert_eq!(first.len(), 1);
            assert_eq!(apart.runs[i].trajectory.len(), 7);
            assert_eq!(apart.runs[i].theta, together.runs[i].theta);
        }
    }

    #[test]
    fn clipping_is_reported_when_it_fires() {
        let mut spec = sgd(0.1);
        spec.clip = Some(Clip::Norm(1.0));
        let mut s = Session::new(function("x^2", &[10.0]), &[spec]).unwrap();
        s.step();
        let t = &s.runs[0].trajectory;
        assert!(t.records[0].clipped);
        // Clipped gradient is 20·1/(20 + 1e-6): θ moves by 0.1 of that.
        assert_relative_eq!(t.params(1)[0], 10.0 - 0.1 * 20.0 / (20.0 + 1e-6), epsilon = 1e-15);
        // Row 1's gradient (‖g‖ ≈ 19.6) would be clipped too, but no step has used it yet.
        assert!(t.records[1].clipped);
        assert_eq!(t.clipped_steps(), 1);
    }

    #[test]
    fn clipped_steps_counts_only_gradients_a_step_used() {
        // From x = 0.3 on x² with clipping at 0.5: row 0's |2x| = 0.6 is clipped, and the step
        // lands at x = 0.175, after which |2x| < 0.5 on every row.
        let mut spec = sgd(0.25);
        spec.clip = Some(Clip::Norm(0.5));
        let mut s = Session::new(function("x^2", &[0.3]), &[spec.clone()]).unwrap();
        assert_eq!(s.runs[0].trajectory.clipped_steps(), 0, "no step yet");
        s.run(3);
        let t = &s.runs[0].trajectory;
        assert_eq!(t.records.iter().map(|r| r.clipped).collect::<Vec<_>>(), [true, false, false, false]);
        assert_eq!(t.clipped_steps(), 1);
        // From x = 10 every row clips, the last one included; three steps used three of them.
        let mut s = Session::new(function("x^2", &[10.0]), &[spec]).unwrap();
        s.run(3);
        let t = &s.runs[0].trajectory;
        assert!(t.records.iter().all(|r| r.clipped));
        assert_eq!(t.clipped_steps(), 3);
    }
}
