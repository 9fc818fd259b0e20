//! Scene → landscape, once for every front end: the app's background task and `losscape
//! surface` both call [`survey`], so one scene gives one surface everywhere.
//!
//! The steps: replay the runs for at most [`SIZING_STEPS`] steps (a preview of their paths),
//! choose the centre, build the plane, size it from the tame part of every path (an exploding
//! run would otherwise stretch the view over astronomically large parameters: lesson 8), and
//! fill the grid. An explicit span or directions win over all of that.
//!
//! [`SurveyJob`] does the same a piece at a time, for a page with one thread that must draw
//! between pieces; [`survey`] is a job run to its end. A job may first fill a coarse grid over
//! the same plane and span ([`SurveyJob::with_preview`]) and hand it out ([`Preview`]) before
//! the full one: a costly surface is seen in a fraction of its time, then refined.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::grid::{Grid, GridSpec, Progress, empty_grid, fill_rows};
use super::plane::{Directions, Plane, PlaneJob, auto_span};
use crate::core::{CoreError, Objective, RunSpec, Session, Trajectory};

/// At most this many steps of each run are replayed to centre and size the view: enough for
/// every lesson, and a bound on the work a settings change in the app costs.
pub const SIZING_STEPS: u64 = 1_000;

/// Where the plane is centred.
#[derive(Clone, Debug, PartialEq)]
pub enum SurveyCenter {
    /// At the runs' start.
    Start,
    /// At run 0's θ after the sizing steps; at the start when run 0 diverged before.
    End,
    /// At a chosen θ (the app's "Recentre on ball").
    At(Vec<f64>),
}

/// What to survey.
#[derive(Clone, Debug)]
pub struct SurveySpec<'a> {
    /// θ₀ of every run.
    pub start: &'a [f64],
    /// The runs whose paths size the view (run 0's is the PCA path and the `End` centre).
    pub runs: &'a [RunSpec],
    /// The scene's steps; at most [`SIZING_STEPS`] of them are replayed.
    pub steps: u64,
    /// The centre.
    pub center: SurveyCenter,
    /// The plane's directions, as they will be used (see [`effective_directions`]).
    pub directions: Directions,
    /// Half-width of the grid; from the paths when `None`.
    pub span: Option<f64>,
    /// Vertices per side.
    pub res: usize,
}

/// A computed landscape.
#[derive(Debug)]
pub struct Survey {
    /// θ(a, b) = centre + a·d1 + b·d2.
    pub plane: Plane,
    /// The loss at the vertices.
    pub grid: Grid,
    /// The half-width used.
    pub span: f64,
    /// The runs after the sizing steps, with their paths: a run whose path left the tame range
    /// stops there (see `still_sizing`), so continue them with [`Session::run_until`].
    pub preview: Session,
}

/// A coarse first look at a costly landscape: the same plane and span as the [`Survey`] that
/// follows, fewer vertices per side. Its values are the loss at its own vertices, exactly as a
/// survey at that resolution would give them.
#[derive(Debug)]
pub struct Preview {
    /// The plane (a copy of the survey's).
    pub plane: Plane,
    /// The loss at the coarse grid's vertices.
    pub grid: Grid,
    /// The half-width used.
    pub span: f64,
}

/// Why there is no landscape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SurveyError {
    /// A newer request cancelled it (through [`Progress::cancel`]).
    #[error("cancelled")]
    Cancelled,
    /// The runs, the plane or the grid cannot be built.
    #[error(transparent)]
    Invalid(#[from] CoreError),
}

/// The directions a scene's choice becomes for its objective: a 1-parameter objective is
/// always its exact curve, a 2-parameter one its exact surface over its two parameters (a
/// slice of a plane is the plane itself), larger ones the scene's choice.
pub fn effective_directions(chosen: &Directions, dim: usize) -> Directions {
    match (dim, chosen) {
        (1, _) => Directions::Axes { i: 0, j: 0 },
        (2, Directions::Axes { .. }) => chosen.clone(),
        (2, _) => Directions::Axes { i: 0, j: 1 },
        _ => chosen.clone(),
    }
}

/// The rows of a path before it blows up (loss above 100× its start, or not finite), so an
/// exploding run does not stretch the automatic span.
pub fn tame_prefix(path: &Trajectory) -> Trajectory {
    let mut out = Trajectory::new(path.dim());
    let limit = tame_limit(path);
    for (k, r) in path.records.iter().enumerate() {
        if !is_tame(r, limit) {
            break;
        }
        out.push(*r, path.params(k));
    }
    out
}

/// The largest loss a tame path reaches: 100× its start.
fn tame_limit(path: &Trajectory) -> f64 {
    path.records.first().map_or(f64::INFINITY, |r| 100.0 * r.loss.abs().max(1e-12))
}

fn is_tame(record: &crate::core::Record, limit: f64) -> bool {
    record.loss.is_finite() && record.loss.abs() <= limit
}

/// Whether the sizing steps still need run `run`: it is running, and either its whole path is
/// read (`whole`: run 0's, for the `End` centre or PCA directions) or it is still tame. Once a
/// run has left the tame range nothing reads its later steps (the span stops at its
/// [`tame_prefix`]), so replaying them would be wasted: lesson 8's unclipped run explodes at
/// step 4 and would otherwise cost 196 steps, half of the page's time before its first surface.
/// Stepping stops at the first untame record, so a tame last record means a tame path.
fn still_sizing(run: &crate::core::Run, whole: bool) -> bool {
    run.is_running() && (whole || run.trajectory.last().is_none_or(|r| is_tame(r, tame_limit(&run.trajectory))))
}

/// Replays, centres, builds the plane, sizes and fills the grid (rows in parallel).
/// Cancellable between steps and between grid rows through `progress`.
pub fn survey(objective: &Arc<Objective>, spec: &SurveySpec, progress: &Progress) -> Result<Survey, SurveyError> {
    SurveyJob::new(objective, spec, usize::MAX)?.finish(progress, || {}, |_| {})
}

/// A [`survey`] in pieces: each [`SurveyJob::advance`] works until its clock says stop (checked
/// after every sizing step, every Lanczos product of the PCA or Hessian directions and every
/// batch of grid rows), so a page with one thread can draw
/// between pieces. The numbers are those of [`survey`], whatever the pieces.
pub struct SurveyJob {
    objective: Arc<Objective>,
    center: SurveyCenter,
    start: Vec<f64>,
    directions: Directions,
    span: Option<f64>,
    res: usize,
    sizing_steps: u64,
    rows_per_batch: usize,
    preview_res: Option<usize>,
    preview: Option<Preview>,
    stage: Stage,
}

#[allow(clippy::large_enum_variant)] // one per survey, never moved in a loop: boxing buys nothing
enum Stage {
    /// Replaying the runs; `done` steps so far.
    Sizing { preview: Session, done: u64 },
    /// Building the plane (PCA and Hessian directions: a Lanczos product a piece).
    Plane { preview: Session, job: PlaneJob },
    /// Filling the grid; rows before `next` are done. The coarse grid, when one was asked for,
    /// is filled first (its rows done beside it); `coarse_rows` stay counted after it is handed out.
    Filling { preview: Session, plane: Plane, span: f64, grid: Grid, next: usize, coarse: Option<(Grid, usize)>, coarse_rows: usize },
    /// Handed out (or failed).
    Done,
}

impl SurveyJob {
    /// Starts the runs; `rows_per_batch` grid rows are computed (in parallel) between looks at
    /// the clock.
    pub fn new(objective: &Arc<Objective>, spec: &SurveySpec, rows_per_batch: usize) -> Result<Self, SurveyError> {
        let preview = Session::starting_at(objective.clone(), spec.runs, spec.start)?;
        Ok(Self {
            objective: objective.clone(),
            center: spec.center.clone(),
            start: spec.start.to_vec(),
            directions: spec.directions.clone(),
            span: spec.span,
            res: spec.res,
            sizing_steps: spec.steps.min(SIZING_STEPS),
            rows_per_batch: rows_per_batch.max(1),
            preview_res: None,
            preview: None,
            stage: Stage::Sizing { preview, done: 0 },
        })
    }

    /// Fills a coarse grid of `res` per side first, handed out by [`SurveyJob::take_preview`]
    /// (a surface only, and only when `res` is below the survey's; a curve is cheap).
    pub fn with_preview(mut self, res: usize) -> Self {
        self.preview_res = Some(res);
        self
    }

    /// Grid rows done and in all, the coarse grid's included (0 of 0 while the runs are
    /// replayed).
    pub fn rows(&self) -> (usize, usize) {
        match &self.stage {
            Stage::Filling { grid, next, coarse, coarse_rows, .. } => {
                let done = coarse.as_ref().map_or(coarse_rows + next, |(_, done)| *done);
                (done, coarse_rows + grid.rows())
            }
            _ => (0, 0),
        }
    }

    /// The coarse grid, once, when it is filled ([`SurveyJob::advance`] pauses there).
    pub fn take_preview(&mut self) -> Option<Preview> {
        self.preview.take()
    }

    /// Works until `out_of_time()` says stop (asked after each piece), the coarse grid is
    /// filled (see [`SurveyJob::take_preview`]) or the survey is finished; `Some` once, at the
    /// end.
    pub fn advance(&mut self, progress: &Progress, out_of_time: &mut dyn FnMut() -> bool) -> Result<Option<Survey>, SurveyError> {
        loop {
            if progress.cancel.load(Ordering::Relaxed) {
                self.stage = Stage::Done;
                return Err(SurveyError::Cancelled);
            }
            // Run 0's whole path is read after sizing, not only its tame part, when its last θ
            // is the centre or its path the PCA directions' data.
            let whole0 = self.center == SurveyCenter::End || self.directions == Directions::Pca;
            match &mut self.stage {
                Stage::Sizing { preview, done }
                    if *done < self.sizing_steps && (0..preview.runs.len()).any(|i| still_sizing(&preview.runs[i], i == 0 && whole0)) =>
                {
                    for i in 0..preview.runs.len() {
                        if still_sizing(&preview.runs[i], i == 0 && whole0) {
                            preview.step_run(i);
                        }
                    }
                    *done += 1;
                }
                Stage::Sizing { .. } => {
                    let Stage::Sizing { preview, .. } = std::mem::replace(&mut self.stage, Stage::Done) else { unreachable!() };
                    self.stage = self.plane(preview)?;
                }
                Stage::Plane { preview, job } => {
                    if let Some(plane) = job.step(&self.objective, Some(&preview.runs[0].trajectory))? {
                        let Stage::Plane { preview, .. } = std::mem::replace(&mut self.stage, Stage::Done) else { unreachable!() };
                        self.stage = self.fill(preview, plane)?;
                    }
                }
                Stage::Filling { plane, span, coarse: coarse @ Some(_), .. } => {
                    let (grid, next) = coarse.as_mut().expect("matched Some");
                    let end = next.saturating_add(self.rows_per_batch).min(grid.rows());
                    fill_rows(&self.objective, plane, grid, *next..end, progress);
                    *next = end;
                    if end == grid.rows() && !progress.is_cancelled() {
                        let (grid, _) = coarse.take().expect("matched Some");
                        self.preview = Some(Preview { plane: plane.clone(), grid, span: *span });
                        return Ok(None);
                    }
                }
                Stage::Filling { plane, grid, next, .. } if *next < grid.rows() => {
                    let end = next.saturating_add(self.rows_per_batch).min(grid.rows());
                    fill_rows(&self.objective, plane, grid, *next..end, progress);
                    *next = end;
                }
                Stage::Filling { .. } => {
                    let Stage::Filling { preview, plane, span, grid, .. } = std::mem::replace(&mut self.stage, Stage::Done) else {
                        unreachable!()
                    };
                    return Ok(Some(Survey { plane, grid, span, preview }));
                }
                Stage::Done => return Err(SurveyError::Cancelled),
            }
            if out_of_time() {
                return Ok(None);
            }
        }
    }

    /// Runs the job to its end, calling `sized` once, when the sizing steps are done and the
    /// plane is built, before the grid (`losscape surface` times the two apart), and `previewed`
    /// with the coarse grid when one was asked for.
    ///
    /// On one of rayon's threads, so that the sizing steps of a full batch of more than
    /// [`crate::core::network::CHUNK`] samples compute their chunks' gradients on every core, as
    /// `losscape train` does ([`Session::run_on_pool`]), with the same numbers. Called from
    /// outside the pool (the app's grid thread, the command line), the steps ran on one core:
    /// for 2-64-64-1 on 5000 points, 1.9 s of sizing steps on 2 cores where training takes 1.2 s.
    pub fn finish(
        &mut self,
        progress: &Progress,
        mut sized: impl FnMut() + Send,
        mut previewed: impl FnMut(Preview) + Send,
    ) -> Result<Survey, SurveyError> {
        rayon::scope(|_| {
            let mut told = false;
            loop {
                // Back here after every sizing step until the grid is reached, then to the end.
                if !told && self.rows().1 > 0 {
                    sized();
                    told = true;
                }
                if let Some(done) = self.advance(progress, &mut || !told)? {
                    return Ok(done);
                }
                if let Some(preview) = self.take_preview() {
                    previewed(preview);
                }
            }
        })
    }

    /// After sizing: the centre, and the plane to build.
    fn plane(&self, preview: Session) -> Result<Stage, SurveyError> {
        let run0 = &preview.runs[0];
        let center = match &self.center {
            SurveyCenter::At(c) => c.clone(),
            SurveyCenter::End if run0.is_running() => run0.theta.clone(),
            SurveyCenter::End | SurveyCenter::Start => self.start.clone(),
        };
        let job = PlaneJob::new(&self.objective, &center, &self.directions, Some(&run0.trajectory))?;
        Ok(Stage::Plane { preview, job })
    }

    /// After the plane: the span and an empty grid.
    fn fill(&self, preview: Session, plane: Plane) -> Result<Stage, SurveyError> {
        let span = match self.span {
            Some(s) => s,
            None => {
                let tame: Vec<Trajectory> = preview.runs.iter().map(|r| tame_prefix(&r.trajectory)).collect();
                auto_span(&plane, &tame.iter().collect::<Vec<_>>())
            }
        };
        let grid_spec = GridSpec { res: self.res, span };
        grid_spec.validate()?;
        let grid = empty_grid(&plane, &grid_spec);
        let coarse = match self.preview_res {
            Some(res) if !plane.is_curve() && res < grid.res => Some((empty_grid(&plane, &GridSpec { res, span }), 0)),
            _ => None,
        };
        let coarse_rows = coarse.as_ref().map_or(0, |(c, _)| c.rows());
        Ok(Stage::Filling { preview, plane, span, grid, next: 0, coarse, coarse_rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::landscape::testing;
    use crate::core::{Activation, LayerSpec, Loss, OptimizerConfig, Sgd};

    fn sgd(lr: f64) -> RunSpec {
        RunSpec::new(OptimizerConfig::Sgd(Sgd { lr, ..Sgd::default() }))
    }

    #[test]
    fn an_exploding_run_does_not_stretch_the_view() {
        let objective = Arc::new(testing::function("x^2 + y^2", &[1.0, 1.0]));
        let runs = [sgd(0.1), sgd(5.0)];
        let spec = SurveySpec {
            start: objective.start(),
            runs: &runs,
            steps: 300,
            center: SurveyCenter::Start,
            directions: Directions::Axes { i: 0, j: 1 },
            span: None,
            res: 5,
        };
        let s = survey(&objective, &spec, &Progress::default()).unwrap();
        // Run 1 multiplies θ by −9 each step and leaves the tame range after two steps.
        assert!(s.span < 100.0, "span {}", s.span);
        assert!(s.grid.loss.iter().all(|v| v.is_finite()));
        assert_eq!(s.preview.runs[0].trajectory.len(), 301);
        assert_eq!(s.preview.runs[1].trajectory.len(), 3, "run 1 is not replayed past its first untame step");
        // The span is the one of a full replay's tame parts.
        let mut full = Session::new(objective.clone(), &runs).unwrap();
        full.run(300);
        let tame: Vec<Trajectory> = full.runs.iter().map(|r| tame_prefix(&r.trajectory)).collect();
        assert_eq!(s.span.to_bits(), auto_span(&s.plane, &tame.iter().collect::<Vec<_>>()).to_bits());
    }

    /// The centre of a surface centred at the end of one SGD run on x² + y² from (1, 1).
    fn end_centre(lr: f64) -> Vec<f64> {
        let objective = Arc::new(testing::function("x^2 + y^2", &[1.0, 1.0]));
        let runs = [sgd(lr)];
        let spec = SurveySpec {
            start: objective.start(),
            runs: &runs,
            steps: 10,
            center: SurveyCenter::End,
            directions: Directions::Axes { i: 0, j: 1 },
            span: Some(1.0),
            res: 3,
        };
        survey(&objective, &spec, &Progress::default()).unwrap().plane.center
    }

    #[test]
    fn an_exploding_run_0_is_replayed_whole_when_its_end_is_the_centre() {
        // θ ← θ − 5·2θ = −9θ, ten times: finite, far outside the tame range, and the centre.
        assert_eq!(end_centre(5.0), vec![9f64.powi(10); 2]);
    }

    #[test]
    fn the_end_centre_falls_back_to_the_start_when_run_0_diverged() {
        assert_eq!(end_centre(1e300), vec![1.0, 1.0]);
    }

    #[test]
    fn a_cancelled_survey_says_so() {
        let objective = Arc::new(testing::function("x^2 + y^2", &[1.0, 1.0]));
        let progress = Progress::default();
        progress.cancel.store(true, Ordering::Relaxed);
        let runs = [sgd(0.1)];
        let spec = SurveySpec {
            start: objective.start(),
            runs: &runs,
            steps: 10,
            center: SurveyCenter::Start,
            directions: Directions::Axes { i: 0, j: 1 },
            span: None,
            res: 3,
        };
        assert_eq!(survey(&objective, &spec, &progress).unwrap_err(), SurveyError::Cancelled);
    }

    #[test]
    fn a_survey_in_pieces_is_the_same_survey() {
        let objective = Arc::new(testing::network(
            2,
            vec![LayerSpec::new(6, Activation::Tanh), LayerSpec::new(1, Activation::Linear)],
            Loss::Mse,
            testing::spiral(40),
            None,
        ));
        let runs = [sgd(0.1), sgd(0.5)];
        for directions in [Directions::Random { seed: 3, include_bias: false }, Directions::Pca, Directions::Hessian] {
            let spec = SurveySpec {
                start: objective.start(),
                runs: &runs,
                steps: 40,
                center: SurveyCenter::End,
                directions: directions.clone(),
                span: None,
                res: 9,
            };
            let whole = survey(&objective, &spec, &Progress::default()).unwrap();
            let mut job = SurveyJob::new(&objective, &spec, 1).unwrap();
            let mut pieces = 0;
            let progress = Progress::default();
            let piecewise = loop {
                pieces += 1;
                // Out of time after every piece: one step, one Lanczos product or one row.
                if let Some(s) = job.advance(&progress, &mut || true).unwrap() {
                    break s;
                }
                assert!(job.rows().0 <= 9);
            };
            // 40 steps, the centre, the plane, 9 rows, the hand-over; the PCA and Hessian
            // planes take a piece per product (25 parameters: several products).
            let others = 40 + 1 + 9 + 1;
            if directions == Directions::Pca || directions == Directions::Hessian {
                assert!(pieces >= others + 3, "{directions:?}: {pieces} pieces");
            } else {
                assert_eq!(pieces, others + 1, "{directions:?}");
            }
            assert_eq!(piecewise.grid, whole.grid);
            assert_eq!(piecewise.plane.center, whole.plane.center);
            assert_eq!(piecewise.plane.d1, whole.plane.d1);
            assert_eq!(piecewise.plane.d2, whole.plane.d2);
            assert_eq!(piecewise.plane.info, whole.plane.info);
            assert_eq!(piecewise.span.to_bits(), whole.span.to_bits());
            assert_eq!(progress.rows_done(), 9);
            assert_eq!(job.advance(&progress, &mut || false).unwrap_err(), SurveyError::Cancelled, "handed out once");
        }
    }

    #[test]
    fn a_preview_is_the_coarse_survey_and_changes_nothing_after_it() {
        let objective = Arc::new(testing::network(
            2,
            vec![LayerSpec::new(6, Activation::Tanh), LayerSpec::new(1, Activation::Linear)],
            Loss::Mse,
            testing::spiral(40),
            None,
        ));
        let runs = [sgd(0.1)];
        let spec = |res| SurveySpec {
            start: objective.start(),
            runs: &runs,
            steps: 20,
            center: SurveyCenter::End,
            directions: Directions::Random { seed: 5, include_bias: false },
            span: None,
            res,
        };
        let (coarse, whole) =
            (survey(&objective, &spec(4), &Progress::default()).unwrap(), survey(&objective, &spec(11), &Progress::default()).unwrap());
        // In pieces, a row at a time: the job pauses once the 4 coarse rows are done.
        let progress = Progress::default();
        let mut job = SurveyJob::new(&objective, &spec(11), 1).unwrap().with_preview(4);
        let mut previews = Vec::new();
        let piecewise = loop {
            if let Some(s) = job.advance(&progress, &mut || false).unwrap() {
                break s;
            }
            previews.push((job.take_preview().expect("paused for the preview"), job.rows()));
        };
        assert_eq!(previews.len(), 1);
        let (preview, rows) = previews.pop().unwrap();
        assert_eq!(rows, (4, 4 + 11));
        assert_eq!(preview.grid, coarse.grid);
        assert_eq!(preview.span.to_bits(), whole.span.to_bits());
        assert_eq!(preview.plane.center, whole.plane.center);
        assert_eq!(piecewise.grid, whole.grid);
        assert_eq!(progress.rows_done(), 4 + 11);
        // Run to its end: the preview arrives through `previewed`, before the survey.
        let mut handed = Vec::new();
        let done = SurveyJob::new(&objective, &spec(11), usize::MAX)
            .unwrap()
            .with_preview(4)
            .finish(&Progress::default(), || {}, |p| handed.push(p))
            .unwrap();
        assert_eq!((handed.len(), &handed[0].grid), (1, &coarse.grid));
        assert_eq!(done.grid, whole.grid);
        // No preview of a curve, nor at the survey's own resolution.
        let mut same = SurveyJob::new(&objective, &spec(4), usize::MAX).unwrap().with_preview(4);
        assert_eq!(same.finish(&Progress::default(), || {}, |_| panic!("no preview")).unwrap().grid, coarse.grid);
    }

    #[test]
    fn two_parameters_are_always_the_exact_surface() {
        assert_eq!(effective_directions(&Directions::Pca, 2), Directions::Axes { i: 0, j: 1 });
        assert_eq!(effective_directions(&Directions::Hessian, 1), Directions::Axes { i: 0, j: 0 });
        assert_eq!(effective_directions(&Directions::Pca, 3), Directions::Pca);
    }
}
