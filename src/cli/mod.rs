//! The command line: `losscape [SCENE]` opens the app; `train`, `check`, `info`, `surface`,
//! `share`, `open --save` and `plot` run headless. A thin shell over the core: parse, load, call, write.
//!
//! Exit codes: 0 success, 1 a failed check, 2 bad input (one line on stderr, never a panic).
//! Files are read through [`crate::files`], outputs checked there before any work, standard
//! output written through [`out`].

mod animate;
mod check;
#[cfg(feature = "gui")]
mod display;
mod info;
pub mod out;
pub mod plot;
mod share;
mod surface;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// losscape: see gradient descent.
#[derive(Parser, Debug)]
#[command(name = "losscape", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Scene file (.ron or .json) to open in the app; lesson mode on the first lesson when absent.
    scene: Option<PathBuf>,
    /// Open lesson mode on this lesson: its number (08, 03b) or file name.
    #[arg(long, value_name = "LESSON", conflicts_with = "scene")]
    lesson: Option<String>,
    /// Render `--frames` frames, save the window to this PNG and exit.
    #[arg(long, value_name = "PNG")]
    screenshot: Option<PathBuf>,
    /// Frames to render before the screenshot.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    frames: u32,
    /// Record the race as an animated GIF of the 3D view (labels and legends included), then exit.
    #[arg(long, value_name = "GIF", conflicts_with = "screenshot")]
    record: Option<PathBuf>,
    /// With --record: steps to record (default: up to the scene's last).
    #[arg(long, value_name = "N", requires = "record")]
    steps: Option<u64>,
    /// With --record: frames a second, 1–50 (default 20).
    #[arg(long, requires = "record", allow_negative_numbers = true)]
    fps: Option<i64>,
    /// With --record: the 3D view's size in physical pixels, WIDTHxHEIGHT (default: as the window lays it out).
    #[arg(long, value_name = "WxH", requires = "record")]
    size: Option<String>,
}

/// What `--record` asked for, checked.
#[derive(Clone, Debug)]
pub struct RecordRequest {
    /// The GIF (its folder exists and is writable; it is not an input).
    pub path: PathBuf,
    /// Steps to record.
    pub steps: Option<u64>,
    /// Frames a second.
    pub fps: u32,
    /// The 3D view's size in physical pixels.
    pub size: Option<(u32, u32)>,
}

/// Checks --steps, --fps and --size of `--record` (the path is checked with the scene's files).
fn record_request(cli: &Cli) -> Result<Option<RecordRequest>, UserError> {
    let Some(path) = cli.record.clone() else { return Ok(None) };
    let fps = animate::parse_fps(cli.fps.unwrap_or(i64::from(crate::export::gif::DEFAULT_FPS))).map_err(UserError)?;
    if let Some(steps) = cli.steps
        && !(1..=crate::scene::MAX_STEPS).contains(&steps)
    {
        return Err(UserError(format!("--steps must be between 1 and {}, got {steps}", crate::scene::MAX_STEPS)));
    }
    let size = cli.size.as_deref().map(animate::parse_size).transpose().map_err(UserError)?;
    Ok(Some(RecordRequest { path, steps: cli.steps, fps, size }))
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every run of a scene and write the trajectory (CSV, or JSON by extension).
    Train(train::TrainArgs),
    /// Compare backprop with central finite differences for every parameter.
    Check(check::CheckArgs),
    /// Show the network's shape, parameter counts, data and runs.
    Info(info::InfoArgs),
    /// Compute the loss over a plane of parameters: grid CSV/JSON and OBJ/PLY meshes.
    Surface(surface::SurfaceArgs),
    /// Print a scene as one compact, URL-safe line of text to share.
    Share(share::ShareArgs),
    /// Restore a shared line: open it in the app, or write it to a scene file with --save.
    Open(share::OpenArgs),
    /// Draw loss against step for every run of a trajectory CSV as a PNG.
    Plot(plot::PlotArgs),
    /// Write the optimizer race as an animated GIF: the slice's contours, the paths growing, the loss curves.
    Animate(animate::AnimateArgs),
}

/// Bad input: printed as one line, exit code 2.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Parses the arguments and runs; what `main` calls.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { ExitCode::from(2) } else { ExitCode::SUCCESS };
            }
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            say(&format!("losscape: {first} (see losscape --help)"));
            return ExitCode::from(2);
        }
    };
    if cli.command.is_some() {
        crate::files::remove_temporaries_on_signals();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => match e.chain().find_map(|c| c.downcast_ref::<out::StdoutError>()) {
            Some(stdout) if stdout.is_closed_pipe() => ExitCode::SUCCESS,
            Some(stdout) => {
                say(&format!("losscape: {stdout}"));
                ExitCode::from(2)
            }
            None => {
                say(&format!("losscape: {}", one_line(&format!("{e:#}"))));
                ExitCode::from(2)
            }
        },
    }
}

/// One line on standard error; a closed standard error is not worth a panic.
pub(crate) fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Train(a)) => train::run(&a),
        Some(Command::Check(a)) => check::run(&a),
        Some(Command::Info(a)) => info::run(&a),
        Some(Command::Surface(a)) => surface::run(&a),
        Some(Command::Share(a)) => share::share(&a),
        Some(Command::Open(a)) => share::open(&a),
        Some(Command::Plot(a)) => plot::run(&a),
        Some(Command::Animate(a)) => animate::run(&a),
        None => {
            let lesson = match cli.lesson.as_deref() {
                Some(id) => Some(crate::lessons::find(id).ok_or_else(|| {
                    UserError(format!("--lesson: there is no lesson {id:?} (the lessons: {})", crate::lessons::numbers()))
                })?),
                None => None,
            };
            let record = record_request(&cli)?;
            open_app(cli.scene, lesson, cli.screenshot, cli.frames, record)
        }
    }
}

#[cfg(feature = "gui")]
fn open_app(
    scene: Option<PathBuf>,
    lesson: Option<usize>,
    screenshot: Option<PathBuf>,
    frames: u32,
    record: Option<RecordRequest>,
) -> anyhow::Result<ExitCode> {
    let mut inputs = Vec::new();
    if let Some(s) = &scene {
        inputs = crate::scene::load(s)?.input_files(s);
    }
    let screenshot = match &screenshot {
        Some(png) => Some(
            crate::files::check_outputs(&[crate::files::Output { path: png, flag: "--screenshot", formats: &["png"] }], &inputs)?.remove(0),
        ),
        None => None,
    };
    let record = match record {
        Some(r) => {
            let path =
                crate::files::check_outputs(&[crate::files::Output { path: &r.path, flag: "--record", formats: &["gif"] }], &inputs)?
                    .remove(0);
            Some(crate::app::ScriptedRecording {
                path,
                steps: r.steps,
                fps: r.fps,
                size: r.size.map(|(w, h)| bevy::math::UVec2::new(w, h)),
            })
        }
        None => None,
    };
    display::check_display()?;
    Ok(crate::app::run(crate::app::AppOptions { scene, lesson, screenshot, frames, record }))
}

#[cfg(not(feature = "gui"))]
fn open_app(
    _scene: Option<PathBuf>,
    _lesson: Option<usize>,
    _screenshot: Option<PathBuf>,
    _frames: u32,
    _record: Option<RecordRequest>,
) -> anyhow::Result<ExitCode> {
    Err(UserError(
        "this build has no app (built without the `gui` feature); use a subcommand: train, check, info, surface, plot, animate".into(),
    )
    .into())
}

/// Loads a scene and builds its objective; errors are one line with file:line:col.
pub(crate) fn load_scene(path: &std::path::Path) -> anyhow::Result<(crate::scene::Scene, std::sync::Arc<crate::core::Objective>)> {
    let scene = crate::scene::load(path)?;
    let objective = scene.build(path)?;
    Ok((scene, objective))
}
