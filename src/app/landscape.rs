//! The landscape behind the surface: the loss grid computed off the frame, and the runs stopped
//! when they roll far off it.
//!
//! On the desktop the grid is computed from a thread of its own, on a rayon pool of its own at
//! a lower priority than the frame's threads ([`super::background`]); the frame never waits,
//! `poll_grid_task` only looks whether the result has arrived. Not on Bevy's
//! `AsyncComputeTaskPool`: on a 2-core machine that pool has one thread, and a wide network's
//! grid held it for its whole 25 s while the render waited for it, so no frame was drawn until
//! the grid landed. A web page has one thread, where such
//! a task would run to its end inside one frame, so there the grid is computed in slices of
//! [`SLICE_BUDGET`] per frame ([`GridWork::Sliced`], the core's [`SurveyJob`]); the numbers
//! are the same. Each `RecomputeSurface` cancels the grid in flight (through the landscape's
//! `Progress` flag) and starts a new one; a result that is not the newest request is dropped.
//!
//! The task is the core's [`SurveyJob`]: the same scene → landscape as `losscape surface`. A
//! costly surface ([`preview_res`]) is first drawn from a coarse grid over the same plane, a
//! sixteenth of the work, and refined when the full grid lands: a deep lesson on the web page
//! shows its landscape in seconds instead of the full grid's ten or more.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bevy::platform::time::Instant;
use bevy::prelude::*;

use super::sets::AppSystems;
use super::settings::{RecomputeSurface, SimSettings, StatusLine};
use super::sim::Simulation;
use crate::core::landscape::cost::GridCost;
pub use crate::core::landscape::effective_directions;
use crate::core::landscape::{Directions, Grid, Plane, Preview, Progress, Survey, SurveyCenter, SurveyError, SurveyJob, SurveySpec};
use crate::core::{CoreError, Objective, RunSpec, RunStatus};
use crate::scene::Center;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<SurfaceGrid>()
        .init_resource::<GridTask>()
        .init_resource::<GridWork>()
        .init_resource::<CoarseFirstAbove>()
        .add_systems(Startup, request_first_grid)
        .add_systems(Update, (stop_escaped_runs, spawn_grid_task, poll_grid_task).chain().in_set(AppSystems::Landscape));
}

/// How far (in half-widths of the drawn surface) a ball may roll off it before it is stopped.
pub const ESCAPE_FACTOR: f64 = 4.0;

/// Smallest and largest vertices per side the app draws.
pub const RES_RANGE: std::ops::RangeInclusive<usize> = 8..=512;

/// Points of the faint reference curve drawn under a 1-parameter polygon.
pub const FINE_SAMPLES: usize = 512;

/// A computed landscape: the plane (or line) and the loss on its grid.
#[derive(Debug)]
pub struct Landscape {
    /// θ(a, b) = centre + a·d1 + b·d2.
    pub plane: Plane,
    /// Loss at the vertices.
    pub grid: Grid,
    /// Axis names: the parameters' names, or `a`, `b` for a slice.
    pub labels: [String; 2],
    /// Number of parameters of the objective.
    pub dim: usize,
    /// Which request produced it.
    pub generation: u64,
    /// Whether it is a costly surface's coarse first look, to be replaced by the full grid of
    /// the same request (so what is drawn from a landscape is keyed by both).
    pub coarse: bool,
    /// For a curve: the same function at [`FINE_SAMPLES`] points over the same range, (a, loss),
    /// drawn faintly under the polygon of `res` vertices so the polygon is seen to approximate
    /// the curve (lesson 0). Empty for a surface.
    pub fine: Vec<[f64; 2]>,
}

impl Landscape {
    /// Whether the objective has one parameter (a curve, not a surface).
    pub fn is_curve(&self) -> bool {
        self.grid.b.is_empty()
    }

    /// Vertices per side.
    pub fn res(&self) -> usize {
        self.grid.res
    }

    /// (min, max) of a and of b over the grid.
    pub fn ranges(&self) -> [(f64, f64); 2] {
        let ends = |v: &[f64]| (v.first().copied().unwrap_or(-1.0), v.last().copied().unwrap_or(1.0));
        let b = if self.is_curve() { (-1.0, 1.0) } else { ends(&self.grid.b) };
        [ends(&self.grid.a), b]
    }

    /// Whether (a, b) lies within `factor` half-widths of the grid's centre.
    pub fn contains(&self, a: f64, b: f64, factor: f64) -> bool {
        let [ra, rb] = self.ranges();
        let inside = |v: f64, (lo, hi): (f64, f64)| (v - 0.5 * (lo + hi)).abs() <= factor * 0.5 * (hi - lo).max(f64::MIN_POSITIVE);
        inside(a, ra) && (self.is_curve() || inside(b, rb))
    }
}

/// The landscape on screen (or about to be).
#[derive(Resource, Default, Debug)]
pub struct SurfaceGrid {
    /// The newest finished grid.
    pub current: Option<Arc<Landscape>>,
}

/// How long one frame spends on a sliced grid at least: a slice takes as long as the last frame
/// did (in real time: Bevy's virtual clock caps a frame at 250 ms), between this and
/// [`MAX_SLICE`], so the grid gets about half the time whatever the renderer's speed (measured
/// in headless Chromium's software WebGL, frames of about a second and a fixed 12 ms slice took
/// 39 s for lesson 6's grid; slices capped at the virtual clock's 250 ms took 2.5 s over 4
/// frames of 0.6 s, for 0.6 s of work).
pub const SLICE_BUDGET: std::time::Duration = std::time::Duration::from_millis(12);

/// The longest slice of one frame: only a renderer that already takes this long per frame
/// (software WebGL, about a second) gets slices this long, so the grid keeps half its time
/// there too; a page drawing at 60 frames a second gets 16 ms slices.
pub const MAX_SLICE: std::time::Duration = std::time::Duration::from_millis(1000);

/// A surface whose grid costs more flops than this is drawn first from a coarse grid: on the
/// web page (one thread, emulated fused multiply-adds: about 0.1 Gflop/s for a deep lesson's
/// grid in headless Chromium here) from 100 Mflop, about a second; on the desktop (every core,
/// natively: 4–40 Gflop/s here) from 10 Gflop.
pub fn preview_threshold(work: GridWork) -> f64 {
    match work {
        GridWork::Sliced => 1e8,
        GridWork::Task => 1e10,
    }
}

/// The flops above which a surface is drawn coarse first: [`preview_threshold`] of the
/// [`GridWork`] unless set (tests set it to see the desktop's coarse grids on cheap scenes).
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq)]
pub struct CoarseFirstAbove(pub Option<f64>);

/// The coarse grid's vertices per side for a surface of `res` whose grid costs `flops`: a
/// quarter of `res` (a sixteenth of the vertices), when the grid costs more than `threshold`
/// and that is still a surface (at least [`RES_RANGE`]'s start); `None` otherwise.
pub fn preview_res(flops: Option<f64>, res: usize, threshold: f64) -> Option<usize> {
    let coarse = res / 4;
    (flops.is_some_and(|f| f > threshold) && coarse >= *RES_RANGE.start()).then_some(coarse)
}

/// Frames the web page's slices pause after a coarse grid lands: it is built and drawn in the
/// first, reported in the second (in headless Chromium's software WebGL each slice would hold
/// its frame up to a second).
const COARSE_PAUSE: u8 = 2;

/// Where the grid is computed.
#[derive(Resource, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridWork {
    /// On a thread of its own, its rows on rayon's threads (the desktop).
    Task,
    /// A slice per frame on the main thread (one thread: the web page).
    Sliced,
}

impl Default for GridWork {
    fn default() -> Self {
        if cfg!(target_arch = "wasm32") { GridWork::Sliced } else { GridWork::Task }
    }
}

/// The grid being computed, if any.
#[derive(Resource, Default)]
pub struct GridTask {
    pending: Option<Pending>,
    /// Number of requests so far (the newest request's generation).
    pub requested: u64,
    /// Grids cancelled or dropped because a newer request came in.
    pub stale_dropped: u64,
}

struct Pending {
    generation: u64,
    /// Vertices per side.
    res: usize,
    /// Rows to compute in all (the coarse grid's too).
    rows: usize,
    /// Whether a coarse grid is on screen while this one computes.
    refining: bool,
    /// Frames left without a slice (only the web page's slices read it): the frames after a
    /// coarse grid lands draw it at once instead of spending a slice of up to a second on the
    /// full grid first.
    pause: u8,
    progress: Arc<Progress>,
    work: Work,
    /// When it was requested, and the frames that looked at it since: logged when it lands, so
    /// a slow surface shows whether the grid or the frames took the time (the web page).
    requested_at: Instant,
    frames: u32,
}

enum Work {
    /// On a thread of its own (the desktop): the thread leaves its coarse grid and its result
    /// here (a job that cannot start on the web page leaves its error here at once).
    Thread { preview: Slot<Landscape>, result: Slot<Result<Landscape, SurveyError>> },
    /// The job and what `finish` needs besides its survey.
    Sliced(Box<(SurveyJob, GridJob)>),
}

/// What a grid's thread leaves for the frame to pick up.
type Slot<T> = Arc<std::sync::Mutex<Option<T>>>;

impl GridTask {
    /// Fraction of the grid in flight that is done, when one is in flight.
    pub fn progress(&self) -> Option<f32> {
        self.pending.as_ref().map(|p| p.progress.rows_done.load(Ordering::Relaxed) as f32 / p.rows.max(1) as f32)
    }

    /// Whether the surface on screen is a coarse one whose full grid is being computed.
    pub fn refining(&self) -> bool {
        self.pending.as_ref().is_some_and(|p| p.refining)
    }
}

/// What the task needs, copied out of the world.
struct GridJob {
    objective: Arc<Objective>,
    runs: Vec<RunSpec>,
    start: Vec<f64>,
    steps: u64,
    center: SurveyCenter,
    directions: Directions,
    span: Option<f64>,
    res: usize,
    /// The coarse grid's vertices per side, for a costly surface.
    preview_res: Option<usize>,
    generation: u64,
}

/// Stops runs that rolled far off the drawn surface (the "left the view" case of divergence);
/// the simulation's report says so on the status line.
fn stop_escaped_runs(grid: Res<SurfaceGrid>, mut sim: ResMut<Simulation>) {
    let Some(land) = grid.current.as_ref() else { return };
    for run in sim.session.runs.iter_mut().filter(|r| r.is_running() && r.theta.len() == land.plane.dim()) {
        let p = land.plane.project(&run.theta);
        if !land.contains(p.a, p.b, ESCAPE_FACTOR) {
            run.status = RunStatus::Diverged { step: run.steps() };
        }
    }
}

fn request_first_grid(mut requests: MessageWriter<RecomputeSurface>) {
    requests.write(RecomputeSurface);
}

/// Cancels the grid in flight and starts one for the current settings.
fn spawn_grid_task(
    mut requests: MessageReader<RecomputeSurface>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    mut tasks: ResMut<GridTask>,
    mode: Res<GridWork>,
    coarse_first: Res<CoarseFirstAbove>,
    mut status: ResMut<StatusLine>,
) {
    if requests.read().count() == 0 {
        return;
    }
    if let Some(old) = tasks.pending.take() {
        old.progress.cancel.store(true, Ordering::Relaxed);
        tasks.stale_dropped += 1;
    }
    tasks.requested += 1;
    let surface = &settings.scene.surface;
    let dim = sim.objective().dim();
    let res = surface.res.clamp(*RES_RANGE.start(), *RES_RANGE.end());
    let job = GridJob {
        objective: sim.objective().clone(),
        runs: settings.scene.runs.clone(),
        start: sim.start.clone(),
        steps: settings.scene.steps,
        // A saved centre from before the network changed shape no longer fits: slice at θ₀.
        center: match &surface.center {
            Center::At(c) if c.len() != dim => SurveyCenter::Start,
            c => c.survey(),
        },
        directions: effective_directions(&surface.directions, dim),
        span: surface.span,
        res,
        preview_res: preview_res(
            GridCost::of(sim.objective(), res).flops(),
            res,
            coarse_first.0.unwrap_or_else(|| preview_threshold(*mode)),
        ),
        generation: tasks.requested,
    };
    let progress = Arc::new(Progress::default());
    let generation = tasks.requested;
    let rows = res + job.preview_res.unwrap_or(0);
    let work = match *mode {
        GridWork::Task => {
            let task_progress = progress.clone();
            let (preview, result) = (Slot::default(), Slot::default());
            let (preview_slot, result_slot) = (preview.clone(), result.clone());
            let spawned = std::thread::Builder::new().name("losscape grid".into()).spawn(move || {
                let landscape = super::background::behind_the_frame(|| {
                    compute_landscape(&job, &task_progress, |coarse| {
                        if let Ok(mut slot) = preview_slot.lock() {
                            *slot = Some(coarse);
                        }
                    })
                });
                if let Ok(mut slot) = result_slot.lock() {
                    *slot = Some(landscape);
                }
            });
            match spawned {
                Ok(_) => Work::Thread { preview, result },
                Err(e) => {
                    status.error(format!("surface: cannot start the grid's thread: {e}"));
                    return;
                }
            }
        }
        GridWork::Sliced => match job.survey_job(1) {
            Ok(survey) => Work::Sliced(Box::new((survey, job))),
            Err(e) => Work::Thread { preview: Slot::default(), result: Arc::new(std::sync::Mutex::new(Some(Err(e)))) },
        },
    };
    tasks.pending =
        Some(Pending { generation, res, rows, refining: false, pause: 0, progress, work, requested_at: Instant::now(), frames: 0 });
}

/// Swaps in a finished grid, or a costly one's coarse first look; never blocks (a sliced grid
/// gets its slice of this frame first).
fn poll_grid_task(time: Res<Time<Real>>, mut tasks: ResMut<GridTask>, mut grid: ResMut<SurfaceGrid>, mut status: ResMut<StatusLine>) {
    let newest = tasks.requested;
    let Some(pending) = tasks.pending.as_mut() else { return };
    pending.frames += 1;
    let (preview, result) = match &mut pending.work {
        // A poisoned slot (the thread panicked while leaving its result) ends as a failed grid.
        Work::Thread { preview, result } => (
            preview.lock().ok().and_then(|mut p| p.take()),
            result.lock().map_or_else(
                |_| Some(Err(SurveyError::Invalid(CoreError::invalid("surface", "the grid's computation stopped without a result")))),
                |mut result| result.take(),
            ),
        ),
        Work::Sliced(_) if pending.pause > 0 => {
            pending.pause -= 1;
            (None, None)
        }
        Work::Sliced(sliced) => {
            let began = Instant::now();
            let budget = time.delta().clamp(SLICE_BUDGET, MAX_SLICE);
            let (survey, job) = &mut **sliced;
            let result = match survey.advance(&pending.progress, &mut || began.elapsed() > budget) {
                Ok(None) => None,
                Ok(Some(done)) => Some(Ok(finish(job, done))),
                Err(e) => Some(Err(e)),
            };
            (survey.take_preview().map(|p| previewed(job, p)), result)
        }
    };
    // A coarse grid is not worth drawing when the full one arrived with it.
    if let Some(coarse) = preview.filter(|_| pending.generation == newest && result.is_none()) {
        info!(
            "coarse grid {}² drawn after {:.2} s over {} frames",
            coarse.res(),
            pending.requested_at.elapsed().as_secs_f64(),
            pending.frames
        );
        pending.refining = true;
        pending.pause = COARSE_PAUSE;
        grid.current = Some(Arc::new(coarse));
    }
    let Some(result) = result else { return };
    let generation = pending.generation;
    info!("grid {}² computed in {:.2} s over {} frames", pending.res, pending.requested_at.elapsed().as_secs_f64(), pending.frames);
    tasks.pending = None;
    if generation != newest {
        tasks.stale_dropped += 1;
        return;
    }
    match result {
        Ok(land) => grid.current = Some(Arc::new(land)),
        Err(e) => status.error(format!("surface: {e}")),
    }
}

impl GridJob {
    fn spec(&self) -> SurveySpec<'_> {
        SurveySpec {
            start: &self.start,
            runs: &self.runs,
            steps: self.steps,
            center: self.center.clone(),
            directions: self.directions.clone(),
            span: self.span,
            res: self.res,
        }
    }

    /// The core's job for this grid, `rows_per_batch` rows between looks at the clock, with the
    /// coarse grid first when there is one.
    fn survey_job(&self, rows_per_batch: usize) -> Result<SurveyJob, SurveyError> {
        let job = SurveyJob::new(&self.objective, &self.spec(), rows_per_batch)?;
        Ok(match self.preview_res {
            Some(res) => job.with_preview(res),
            None => job,
        })
    }
}

/// The task's body: the core's survey (the same as `losscape surface`), then [`finish`]; a
/// coarse grid goes to `coarse` as soon as it is filled.
fn compute_landscape(job: &GridJob, progress: &Progress, mut coarse: impl FnMut(Landscape) + Send) -> Result<Landscape, SurveyError> {
    let done = job.survey_job(usize::MAX)?.finish(progress, || {}, |p| coarse(previewed(job, p)))?;
    Ok(finish(job, done))
}

/// The landscape of a coarse grid.
fn previewed(job: &GridJob, preview: Preview) -> Landscape {
    let Preview { plane, grid, .. } = preview;
    let labels = plane.info.names.clone();
    Landscape { plane, grid, labels, dim: job.objective.dim(), generation: job.generation, coarse: true, fine: Vec::new() }
}

/// The landscape of a finished survey: its labels, and the fine reference curve for a
/// 1-parameter objective.
fn finish(job: &GridJob, survey: Survey) -> Landscape {
    let Survey { plane, grid, .. } = survey;
    let labels = plane.info.names.clone();
    let fine = if grid.b.is_empty() { fine_curve(&job.objective, &plane, &grid) } else { Vec::new() };
    Landscape { plane, grid, labels, dim: job.objective.dim(), generation: job.generation, coarse: false, fine }
}

/// The 1-parameter objective at [`FINE_SAMPLES`] evenly spaced points over the grid's range.
fn fine_curve(objective: &Objective, plane: &Plane, grid: &Grid) -> Vec<[f64; 2]> {
    let (Some(&lo), Some(&hi)) = (grid.a.first(), grid.a.last()) else { return Vec::new() };
    let mut ws = crate::core::Workspace::default();
    let mut theta = vec![0.0; objective.dim()];
    (0..FINE_SAMPLES)
        .map(|k| {
            let a = lo + (hi - lo) * k as f64 / (FINE_SAMPLES - 1) as f64;
            plane.point(a, 0.0, &mut theta);
            [a, objective.loss(&theta, &mut ws)]
        })
        .collect()
}
