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
    super::out::outln!("{}", crate::share::encode(&scene, &dir)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Restores the scene into a file, or opens it in the app.
pub fn open(args: &OpenArgs) -> anyhow::Result<ExitCode> {
    let scene = crate::share::decode(&args.text)?;
    if let Some(out) = &args.save {
        let outputs = [crate::files::Output { path: out, flag: "--save", formats: &["ron", "json"] }];
        let target = crate::files::check_outputs(&outputs, &[])?.remove(0);
        crate::scene::save(&target, &scene)?;
        super::out::outln!("wrote {}", out.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    // The app opens scene files: give it the shared scene as one, in a private temporary
    // folder (a fixed name in the shared temporary folder could be a planted link).
    let name = scene.name.chars().filter(char::is_ascii_alphanumeric).take(40).collect::<String>();
    let dir = tempfile::Builder::new().prefix("losscape-shared-").tempdir()?;
    let path = dir.path().join(format!("{}.ron", if name.is_empty() { "scene".into() } else { name }));
    crate::scene::save(&path, &scene)?;
    let code = super::open_app(Some(path), None, None, 1, None);
    drop(dir);
    code
}
