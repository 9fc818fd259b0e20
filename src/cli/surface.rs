//! `losscape surface`: the loss over a plane of parameters, written as a grid (CSV/JSON) and/or
//! a mesh (OBJ/PLY).
//!
//! Every flag is checked before any work and nothing is written unless everything succeeded
//! (files are replaced atomically). Flags left out take the scene's `surface` settings.
//!
//! The surface is the core's [`survey`](crate::core::landscape::survey), the function the app's surface comes from, so
//! `losscape surface SCENE` writes the surface the app shows: the runs replayed for at most
//! [`SIZING_STEPS`](crate::core::landscape::SIZING_STEPS) steps centre and size it (from the tame part of each path), run 0's path
//! gives `pca` and `--center end`. The rest of the steps are then run for the paths written
//! into the JSON and the meshes. An explicit `--directions` or `--span` wins over the scene.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::UserError;
use super::out::{StdoutError, outln};
use crate::core::Objective;
use crate::core::landscape::{
    Directions, MAX_RES, MIN_RES, Plane, Progress, Survey, SurveyError, SurveyJob, SurveySpec, effective_directions,
};
use crate::core::session::check_path_memory;
use crate::export::grid::{RunPath, project_runs, write_grid_as, write_grid_csv};
use crate::export::mesh::write_mesh_as;
use crate::files::{Output, check_outputs, stage};
use crate::scene::{Center, MAX_STEPS};

/// Arguments of `losscape surface`.
#[derive(clap::Args, Debug)]
pub struct SurfaceArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
    /// Vertices per side, 2–4096 (default: the scene's `surface.res`).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    res: Option<i64>,
    /// Half-width of the grid around the centre, > 0 (default: the scene's, else covering every path).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    span: Option<f64>,
    /// Centre of the slice: `start` (θ₀) or `end` (run 0's last finite θ after the steps).
    #[arg(long, value_name = "start|end")]
    center: Option<String>,
    /// Plane: `axes` (two parameters), `random` (filter-normalised), `pca` (of run 0's path; needs
    /// steps > 0) or `hessian` (the two dominant eigenvectors at the centre). A 1-parameter
    /// objective always gives its exact curve.
    #[arg(long, value_name = "axes|random|pca|hessian")]
    directions: Option<String>,
    /// Seed of the random directions.
    #[arg(long, value_name = "K")]
    seed: Option<u64>,
    /// Also move biases and batch-norm parameters along random directions.
    #[arg(long)]
    include_bias: bool,
    /// The two parameters of `axes`, by index (default 0,1).
    #[arg(long, value_name = "I,J")]
    axes: Option<String>,
    /// Number of updates to run before slicing (default: the scene's `steps`).
    #[arg(long, value_name = "N")]
    steps: Option<u64>,
    /// Grid file: .csv (`a,b,loss`) or .json (grid, plane and projected paths). CSV on standard
    /// output when neither --out nor --mesh is given.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Mesh file: .obj or .ply.
    #[arg(long, value_name = "FILE")]
    mesh: Option<PathBuf>,
}

fn user(msg: impl Into<String>) -> anyhow::Error {
    UserError(msg.into()).into()
}

/// `--axes I,J`, if given.
fn parse_axes(args: &SurfaceArgs) -> anyhow::Result<Option<(usize, usize)>> {
    let Some(text) = &args.axes else { return Ok(None) };
    let parsed: Option<Vec<usize>> = text.split(',').map(|p| p.trim().parse().ok()).collect();
    match parsed.as_deref() {
        Some([i, j]) => Ok(Some((*i, *j))),
        _ => Err(user(format!("--axes must be two parameter indices like 0,1, got {text:?}"))),
    }
}

/// The directions asked for on the command line, before the scene is read (`None`: the scene's).
fn parse_directions(args: &SurfaceArgs) -> anyhow::Result<Option<Directions>> {
    let axes = parse_axes(args)?;
    let name = args.directions.as_deref().map(str::to_ascii_lowercase);
    let dirs = match name.as_deref() {
        None => None,
        Some("axes") => Some(Directions::Axes { i: 0, j: 1 }),
        Some("random") => Some(Directions::Random { seed: 0, include_bias: false }),
        Some("pca") => Some(Directions::Pca),
        Some("hessian") => Some(Directions::Hessian),
        Some(other) => return Err(user(format!("--directions must be one of {}, got {other:?}", Directions::NAMES.join(", ")))),
    };
    let is = |want: &str| name.as_deref().is_none_or(|n| n == want);
    if axes.is_some() && !is("axes") {
        return Err(user("--axes applies to --directions axes"));
    }
    if (args.seed.is_some() || args.include_bias) && !is("random") {
        return Err(user("--seed and --include-bias apply to --directions random"));
    }
    Ok(dirs.map(|d| match d {
        Directions::Axes { .. } => {
            let (i, j) = axes.unwrap_or((0, 1));
            Directions::Axes { i, j }
        }
        Directions::Random { .. } => Directions::Random { seed: args.seed.unwrap_or(0), include_bias: args.include_bias },
        other => other,
    }))
}

/// Applies --axes / --seed / --include-bias to the scene's directions when --directions is absent.
fn refine_scene_directions(args: &SurfaceArgs, scene_dirs: &Directions) -> anyhow::Result<Directions> {
    let random_flags = args.seed.is_some() || args.include_bias;
    match scene_dirs {
        Directions::Axes { .. } if random_flags => {
            Err(user("--seed and --include-bias apply to --directions random (the scene's directions are axes)"))
        }
        Directions::Axes { i, j } => Ok(match parse_axes(args)? {
            Some((i, j)) => Directions::Axes { i, j },
            None => Directions::Axes { i: *i, j: *j },
        }),
        Directions::Random { .. } if args.axes.is_some() => {
            Err(user("--axes applies to --directions axes (the scene's directions are random)"))
        }
        Directions::Random { seed, include_bias } => {
            Ok(Directions::Random { seed: args.seed.unwrap_or(*seed), include_bias: args.include_bias || *include_bias })
        }
        other if args.axes.is_some() || random_flags => {
            Err(user(format!("--axes, --seed and --include-bias do not apply to the scene's directions ({})", other.name())))
        }
        other => Ok(other.clone()),
    }
}

/// Checks everything, runs the scene, computes the grid, then writes the files.
pub fn run(args: &SurfaceArgs) -> anyhow::Result<ExitCode> {
    // 1. Flags that need no scene.
    if let Some(res) = args.res
        && !(MIN_RES as i64..=MAX_RES as i64).contains(&res)
    {
        return Err(user(format!("--res must be between {MIN_RES} and {MAX_RES}, got {res}")));
    }
    if let Some(span) = args.span
        && !(span > 0.0 && span.is_finite())
    {
        return Err(user(format!("--span must be a finite number > 0, got {span}")));
    }
    let center = match args.center.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("start") => Some(Center::Start),
        Some("end") => Some(Center::End),
        Some(other) => return Err(user(format!("--center must be start or end, got {other:?}"))),
    };
    let cli_dirs = parse_directions(args)?;
    if let Some(steps) = args.steps
        && steps > MAX_STEPS
    {
        return Err(user(format!("--steps must be ≤ {MAX_STEPS}, got {steps}")));
    }

    // 2. The scene and the settings it provides; the outputs checked against its files.
    let (scene, objective) = super::load_scene(&args.scene)?;
    let mut outputs = Vec::new();
    if let Some(out) = &args.out {
        outputs.push(Output { path: out, flag: "--out", formats: &["csv", "json"] });
    }
    if let Some(mesh) = &args.mesh {
        outputs.push(Output { path: mesh, flag: "--mesh", formats: &["obj", "ply"] });
    }
    let targets = check_outputs(&outputs, &scene.input_files(&args.scene))?;
    let settings = &scene.surface;
    // The command line's directions are used as given; the scene's as the app uses them.
    let dirs = match cli_dirs {
        Some(d) => d,
        None => effective_directions(&refine_scene_directions(args, &settings.directions)?, objective.dim()),
    };
    let res = args.res.map_or(settings.res, |r| r as usize);
    let center = center.unwrap_or_else(|| settings.center.clone());
    let steps = args.steps.unwrap_or(scene.steps);
    let dim = objective.dim();
    check_path_memory(dim, scene.runs.len(), steps)
        .map_err(|e| user(format!("{}: {e} (the surface keeps every path to size and project it)", args.scene.display())))?;
    if dirs == Directions::Pca && dim > 1 && steps == 0 {
        return Err(user(format!(
            "--directions pca needs a recorded path, but {} runs 0 steps: pass --steps N (N > 0)",
            args.scene.display()
        )));
    }
    if let Directions::Axes { i, j } = dirs
        && dim > 1
        && (i >= dim || j >= dim || i == j)
    {
        return Err(user(format!("--axes {i},{j}: need two different indices below {dim} (the objective has {dim} parameters)")));
    }

    // 3. The core's survey (the app's surface for this scene), then the rest of the steps for
    // the paths written with it.
    let spec = SurveySpec {
        steps,
        center: center.survey(),
        directions: dirs,
        span: args.span.or(settings.span),
        res,
        ..scene.survey_spec(&objective)
    };
    let (Survey { plane, grid, span, preview: mut session }, timing) = match timed_survey(&objective, &spec) {
        Ok(s) => s,
        Err(SurveyError::Invalid(e)) => return Err(user(format!("{}: {e}", args.scene.display()))),
        Err(SurveyError::Cancelled) => unreachable!("nothing cancels the command line's survey"),
    };
    session.run_until(steps);
    let runs = project_runs(&plane, &session.runs);

    // 4. Write: every file staged first, then all renamed, so a failure leaves every old file.
    if outputs.is_empty() {
        super::out::stream(|w| write_grid_csv(w, &grid, &plane))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut staged = Vec::new();
    for (output, target) in outputs.iter().zip(&targets) {
        let file = if output.flag == "--out" {
            stage(target, |w| write_grid_as(w, target, &grid, &plane, &objective, &runs))
        } else {
            stage(target, |w| write_mesh_as(w, target, &grid, &plane, &runs, scene.surface.log_height))
        };
        staged.push(file.with_context(|| format!("{}: cannot write", output.path.display()))?);
    }
    for (file, output) in staged.into_iter().zip(&outputs) {
        file.commit().with_context(|| format!("{}: cannot write", output.path.display()))?;
    }
    report(&objective, &plane, &grid, span, &runs, &timing)?;
    for output in &outputs {
        outln!("wrote {}", output.path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// How long the survey's two parts took: replaying the runs' sizing steps and building the
/// plane, then the grid.
struct SurveyTiming {
    steps: u64,
    sizing: Duration,
    grid: Duration,
}

/// The core's [`crate::core::landscape::survey`] (the same job, run to its end), timed in its
/// two parts: the report gives the grid's own time apart from the replayed steps, which for a
/// wide network on thousands of points are a good part of the whole (the width sweep compares
/// the grid alone with PyTorch's).
fn timed_survey(objective: &Arc<Objective>, spec: &SurveySpec) -> Result<(Survey, SurveyTiming), SurveyError> {
    let mut job = SurveyJob::new(objective, spec, usize::MAX)?;
    let started = Instant::now();
    let mut sized = None;
    let done = job.finish(&Progress::default(), || sized = Some(started.elapsed()), |_| {})?;
    let whole = started.elapsed();
    let sizing = sized.unwrap_or(whole);
    let steps = done.preview.runs.iter().map(|r| r.steps()).max().unwrap_or(0);
    Ok((done, SurveyTiming { steps, sizing, grid: whole - sizing }))
}

/// A short summary on standard output.
fn report(
    objective: &Objective,
    plane: &Plane,
    grid: &crate::core::landscape::Grid,
    span: f64,
    runs: &[RunPath],
    timing: &SurveyTiming,
) -> Result<(), StdoutError> {
    let info = &plane.info;
    let shape = if grid.is_curve() { format!("{} points", grid.res) } else { format!("{0}×{0}", grid.res) };
    let what = match &info.directions {
        Directions::Axes { .. } if objective.dim() <= 2 => format!(
            "the exact {} over {}",
            if grid.is_curve() { "curve" } else { "surface" },
            info.names.iter().filter(|n| !n.is_empty()).cloned().collect::<Vec<_>>().join(", ")
        ),
        Directions::Axes { .. } => format!("axes {} × {}", info.names[0], info.names[1]),
        Directions::Random { seed, include_bias } => {
            format!("random filter-normalised directions (seed {seed}{})", if *include_bias { ", biases included" } else { "" })
        }
        Directions::Pca => "the top two principal directions of run 0's path".into(),
        Directions::Hessian => "the Hessian's two dominant eigenvectors".into(),
    };
    let non_finite = grid.loss.iter().filter(|v| !v.is_finite()).count();
    let range = grid.finite_range().map_or("no finite loss".into(), |(lo, hi)| format!("loss {lo:.6e} … {hi:.6e}"));
    let (sizing, grid_s) = (timing.sizing.as_secs_f64(), timing.grid.as_secs_f64());
    outln!(
        "surface: {shape} on {what}, span {}; {range}{} ({:.3} s: {sizing:.3} s replaying {} steps and building the plane, {grid_s:.3} s the grid)",
        crate::core::format::number(span),
        if non_finite > 0 { format!(", {non_finite} non-finite") } else { String::new() },
        sizing + grid_s,
        timing.steps,
    )?;
    if let Some([v1, v2]) = info.explained_variance {
        outln!("pca: PC1 explains {:.2}% of the path, PC2 {:.2}%", 100.0 * v1, 100.0 * v2)?;
    }
    if let Some(l) = info.eigenvalues {
        let lr = info.max_stable_lr();
        for k in 0..2 {
            let bound = lr[k].map_or("no bound (λ ≤ 0)".into(), |v| format!("2/λ = {v:.6e}"));
            outln!("hessian: λ{} = {:.6e} ({bound})", k + 1, l[k])?;
        }
    }
    for (r, run) in runs.iter().enumerate() {
        if let Some(p) = run.points.last() {
            outln!(
                "run {r} {}: step {} at a = {:.6}, b = {:.6}, loss {:.6e}, {:.3e} from the plane",
                run.label,
                p.step,
                p.a + info.origin[0],
                p.b + info.origin[1],
                p.loss,
                p.distance
            )?;
        }
    }
    Ok(())
}
