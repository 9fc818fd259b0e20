//! Screenshots: `--screenshot PNG --frames N` renders N frames (and waits for the surface to be
//! on screen), saves the window and exits 0; the panel's "Screenshot" saves one and goes on.
//! Every PNG is encoded in memory and written atomically (temporary file, then rename).
//!
//! "On screen" means the surface's geometry is in *and* no render pipeline is still compiling:
//! Bevy compiles pipelines in the background and skips what has none yet, so under slow software
//! Vulkan the first frames can show neither the surface nor the panels.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use bevy::render::render_resource::PipelineCache;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::render::{ExtractSchedule, MainWorld, RenderApp};

use super::landscape::GridTask;
use super::sets::AppSystems;
use super::settings::StatusLine;
use super::surface::SurfaceView;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PipelinesReady>();
    if let Some(render) = app.get_sub_app_mut(RenderApp) {
        render.add_systems(ExtractSchedule, report_pipelines_ready);
    }
    app.add_message::<CaptureScreenshot>().add_systems(
        Update,
        (request_scripted_screenshot.run_if(resource_exists::<ScriptedScreenshot>), capture_screenshots)
            .chain()
            .in_set(AppSystems::SyncVisuals),
    );
}

/// Frames to wait at most for the surface before the scripted screenshot is taken anyway.
const MAX_EXTRA_FRAMES: u32 = 1_200;

/// `--screenshot PATH --frames N`: what to save and when.
#[derive(Resource, Clone, Debug)]
pub struct ScriptedScreenshot {
    /// The PNG to write.
    pub path: PathBuf,
    /// Frames to render first.
    pub frames: u32,
}

/// Save the window to a PNG; exit afterwards when `exit`.
#[derive(Message, Clone, Debug)]
pub struct CaptureScreenshot {
    /// The PNG to write.
    pub path: PathBuf,
    /// Exit the app once it is written (0 on success, 2 on failure).
    pub exit: bool,
}

/// Whether the render world has no pipeline waiting to be compiled (written each frame by the
/// render world; false until its first frame).
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct PipelinesReady(pub bool);

fn report_pipelines_ready(mut main: ResMut<MainWorld>, pipelines: Res<PipelineCache>) {
    let ready = pipelines.waiting_pipelines().next().is_none();
    if let Some(mut flag) = main.get_resource_mut::<PipelinesReady>() {
        flag.0 = ready;
    }
}

/// Counts frames; once N are rendered and the surface has been on screen, with every pipeline
/// compiled, for a few frames in a row, asks for the capture. A costly surface's coarse first
/// look does not count: the picture shows the full grid.
fn request_scripted_screenshot(
    script: Res<ScriptedScreenshot>,
    view: Option<Res<SurfaceView>>,
    pipelines: Res<PipelinesReady>,
    tasks: Res<GridTask>,
    mut frame: Local<u32>,
    mut shown_for: Local<u32>,
    mut sent: Local<bool>,
    mut capture: MessageWriter<CaptureScreenshot>,
) {
    *frame += 1;
    *shown_for = if view.is_some() && pipelines.0 && !tasks.refining() { *shown_for + 1 } else { 0 };
    let ready = *shown_for >= 3 || *frame >= script.frames + MAX_EXTRA_FRAMES;
    if !*sent && *frame >= script.frames && ready {
        *sent = true;
        capture.write(CaptureScreenshot { path: script.path.clone(), exit: true });
    }
}

fn capture_screenshots(mut commands: Commands, mut requests: MessageReader<CaptureScreenshot>) {
    for request in requests.read() {
        let CaptureScreenshot { path, exit } = request.clone();
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut status: ResMut<StatusLine>, mut exits: MessageWriter<AppExit>| {
                let result = save_png(&captured.image, &path);
                match &result {
                    Ok(()) => status.info(format!("screenshot saved to {}", path.display())),
                    Err(e) => status.error(e.to_string()),
                }
                if exit {
                    if let Err(e) = &result {
                        eprintln!("losscape: {e}");
                    }
                    exits.write(if result.is_ok() { AppExit::Success } else { AppExit::from_code(2) });
                }
            },
        );
    }
}

/// Why a screenshot was not saved: `PATH: cannot save the screenshot: why`.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot save the screenshot: {why}", path.display())]
pub struct ScreenshotError {
    /// The PNG that was to be written.
    pub path: PathBuf,
    /// What failed.
    #[source]
    pub why: ScreenshotFailure,
}

/// The step of saving a screenshot that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScreenshotFailure {
    /// The captured image has no pixels or an unknown format.
    #[error(transparent)]
    Convert(#[from] bevy::image::IntoDynamicImageError),
    /// PNG encoding failed.
    #[error(transparent)]
    Encode(#[from] image::ImageError),
    /// Writing the file failed.
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// Encodes the captured window as an RGB PNG and writes it atomically.
fn save_png(image: &Image, path: &Path) -> Result<(), ScreenshotError> {
    let encode = || -> Result<(), ScreenshotFailure> {
        let rgb = image.clone().try_into_dynamic()?.to_rgb8();
        let mut bytes = Vec::new();
        rgb.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
        crate::export::write_atomic(path, |w| w.write_all(&bytes))?;
        Ok(())
    };
    encode().map_err(|why| ScreenshotError { path: path.to_path_buf(), why })
}
