//! `losscape share SCENE` prints a scene as one line; `losscape open TEXT` restores it, into
//! the app or into a file.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `losscape share`.
#[derive(clap::Args, Debug)]
pub struct ShareArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
}

/// Arguments of `losscape open`.
#[derive(clap::Args, Debug)]
pub struct OpenArgs {
    /// A line printed by `losscape share` (or copied from the app).
    text: String,
    /// Write the scene to this .ron or .json file instead of opening the app.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

/// Prints the line.
pub fn share(args: &ShareArgs) -> anyhow::Result<ExitCode> {
    let scene = crate::scene::load(&args.scene)?;
    let dir = args.scene.parent().map(PathBuf::from).unwrap_or_default();
    println!("{}", crate::share::encode(&scene, &dir)?);
    Ok(ExitCode::SUCCESS)
}

/// Restores the scene into a file, or opens it in the app.
pub fn open(args: &OpenArgs) -> anyhow::Result<ExitCode> {
    let scene = crate::share::decode(&args.text)?;
    if let Some(out) = &args.save {
        crate::scene::Format::of(out)?;
        super::train::check_writable(out)?;
        crate::scene::save(out, &scene)?;
        println!("wrote {}", out.display());
        return Ok(ExitCode::SUCCESS);
    }
    // The app opens scene files: give it the shared scene as one, in the temporary folder.
    let name = scene.name.chars().filter(char::is_ascii_alphanumeric).take(40).collect::<String>();
    let path = std::env::temp_dir().join(format!("losscape-shared-{}.ron", if name.is_empty() { "scene".into() } else { name }));
    crate::scene::save(&path, &scene)?;
    super::open_app(Some(path), None, 1)
}
