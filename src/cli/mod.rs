//! The command line: `losscape [SCENE]` opens the app; `train`, `check`, `info`, `surface`,
//! `share`, `open --save` and `plot` run headless. A thin shell over the core: parse, load, call, write.
//!
//! Exit codes: 0 success, 1 a failed check, 2 bad input (one line on stderr, never a panic).
//! Files are read through [`crate::files`], outputs checked there before any work, standard
//! output written through [`out`].

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
        None => {
            let lesson = match cli.lesson.as_deref() {
                Some(id) => Some(crate::lessons::find(id).ok_or_else(|| {
                    UserError(format!("--lesson: there is no lesson {id:?} (the lessons: {})", crate::lessons::numbers()))
                })?),
                None => None,
            };
            open_app(cli.scene, lesson, cli.screenshot, cli.frames)
        }
    }
}

#[cfg(feature = "gui")]
fn open_app(scene: Option<PathBuf>, lesson: Option<usize>, screenshot: Option<PathBuf>, frames: u32) -> anyhow::Result<ExitCode> {
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
    display::check_display()?;
    Ok(crate::app::run(crate::app::AppOptions { scene, lesson, screenshot, frames }))
}

#[cfg(not(feature = "gui"))]
fn open_app(_scene: Option<PathBuf>, _lesson: Option<usize>, _screenshot: Option<PathBuf>, _frames: u32) -> anyhow::Result<ExitCode> {
    Err(UserError("this build has no app (built without the `gui` feature); use a subcommand: train, check, info, surface".into()).into())
}

/// Loads a scene and builds its objective; errors are one line with file:line:col.
pub(crate) fn load_scene(path: &std::path::Path) -> anyhow::Result<(crate::scene::Scene, std::sync::Arc<crate::core::Objective>)> {
    let scene = crate::scene::load(path)?;
    let objective = scene.build(path)?;
    Ok((scene, objective))
}
