//! Recording the race as an animated GIF: the Record button (panel, lesson card) and
//! `losscape SCENE --record race.gif`.
//!
//! While it records, every frame takes exactly the scene's `steps_per_frame` steps
//! ([`FixedStepping`]: the animation does not depend on how fast the machine draws) and a
//! screenshot of the window is cut to the 3D view — surface, balls, trails and the labels
//! and legends egui paints over it, plus a caption with the scene's title and the step — and
//! added to the GIF by the one writer ([`crate::export::gif`]) at the chosen frames a second.
//! It ends when the scene's last step is drawn, when every run has stopped, or on a second
//! click (what was recorded is kept); the file is then written atomically (a download on the
//! web page). A failure writes nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use super::camera::ViewCamera;
use super::screenshot::PipelinesReady;
use super::sets::AppSystems;
use super::settings::{FixedStepping, Play, Reset, SimSettings, StatusLine};
use super::sim::Simulation;
use super::surface::SurfaceView;
use crate::export::gif::{GifWriter, HOLD, delay};

pub(super) fn plugin(app: &mut App) {
    // Started or stopped with the file actions (before this frame's steps); each frame taken
    // once the frame's steps are drawn.
    app.init_resource::<Recorder>()
        .add_message::<ToggleRecording>()
        .add_systems(
            Update,
            (prepare_scripted_recording.run_if(resource_exists::<ScriptedRecording>), start_or_stop).chain().in_set(AppSystems::Record),
        )
        .add_systems(Update, (capture_frame, finish_recording).chain().in_set(AppSystems::SyncVisuals));
}

pub use crate::export::gif::DEFAULT_FPS;

/// Frames to wait for the view to take the size `--size` asks for.
const RESIZE_FRAMES: u32 = 120;

/// Start recording into `path` (a `.gif`), or stop the recording in progress.
#[derive(Message, Clone, Debug)]
pub struct ToggleRecording {
    /// The GIF to write.
    pub path: PathBuf,
}

/// `--record PATH [--steps N] [--fps F] [--size WxH]`: record once the surface is on screen,
/// then exit (0 when the file was written, 2 when not).
#[derive(Resource, Clone, Debug)]
pub struct ScriptedRecording {
    /// The GIF to write (checked by the command line before the app opened).
    pub path: PathBuf,
    /// Steps to record (default: up to the scene's last).
    pub steps: Option<u64>,
    /// Frames a second.
    pub fps: u32,
    /// The 3D view's size in physical pixels (default: as the window lays it out).
    pub size: Option<UVec2>,
}

/// The recording in progress, if any.
#[derive(Resource, Default)]
pub struct Recorder {
    active: Option<Active>,
}

struct Active {
    path: PathBuf,
    fps: u32,
    /// The step after which no frame is asked for.
    end_step: u64,
    /// The 3D view's size when recording began (physical pixels): every frame is cut to it.
    size: UVec2,
    /// Screenshots asked for so far.
    requested: u64,
    /// Screenshots received but not yet in the GIF (they may arrive out of order).
    waiting: BTreeMap<u64, Vec<u8>>,
    gif: GifWriter<Vec<u8>>,
    written: u64,
    /// No more frames are asked for; the file is written once every one asked for is in.
    stopping: bool,
    /// Exit the app afterwards (`--record`).
    exit: bool,
    failed: Option<String>,
    /// How far the recording is from its first frame.
    opening: Opening,
}

/// A recording waits a frame before its first: for the pause it asks for to take effect, and
/// for its caption to have been drawn once (text laid out for the first time reaches the
/// screen a frame late on the web page, whose first frame had an empty caption). A recording
/// from the first step then resets the runs, and that frame is step 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opening {
    /// The pause takes effect next frame: no frame is taken in this one; `reset`: restart the
    /// runs then.
    Pausing { reset: bool },
    /// Paused: the runs are reset at the start of this frame, which is the first taken.
    Reset,
    /// Every frame is taken.
    Recording,
}

impl Recorder {
    /// Frames recorded so far, while recording.
    pub fn frames(&self) -> Option<u64> {
        self.active.as_ref().map(|a| a.written)
    }

    /// Whether a recording is in progress.
    pub fn is_recording(&self) -> bool {
        self.active.is_some()
    }

    /// Adds a screenshot (the whole window, RGBA) as frame `k`, cut to the view, whose top left
    /// corner was at `origin` when the frame was drawn (a side panel may change its width).
    fn receive(&mut self, k: u64, origin: UVec2, image: &Image) {
        let Some(active) = self.active.as_mut() else { return };
        let rgb = match image.clone().try_into_dynamic() {
            Ok(dynamic) => dynamic.to_rgb8(),
            Err(e) => {
                active.failed.get_or_insert(format!("frame {k}: {e}"));
                return;
            }
        };
        let (w, h) = (active.size.x as usize, active.size.y as usize);
        let mut cut = vec![0u8; w * h * 3];
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = (origin.x + x as u32, origin.y + y as u32);
                if let Some(p) = rgb.get_pixel_checked(sx, sy) {
                    cut[(y * w + x) * 3..(y * w + x) * 3 + 3].copy_from_slice(&p.0);
                }
            }
        }
        active.waiting.insert(k, cut);
        while let Some(frame) = active.waiting.remove(&active.written) {
            if let Err(e) = active.gif.push(&frame, delay(active.written, active.fps)) {
                active.failed.get_or_insert(e.to_string());
            }
            active.written += 1;
        }
    }
}

/// Frames a second and steps of a recording, and the scripted run's size check, settled before
/// it starts.
#[derive(Clone)]
struct Plan {
    path: PathBuf,
    fps: u32,
    steps: Option<u64>,
    exit: bool,
    /// Restart the runs and record from their first step (`--record`).
    from_start: bool,
}

/// For `--record`: waits until the surface is on screen with every pipeline compiled and the
/// view has the size `--size` asks for (the window was opened large enough), then starts.
fn prepare_scripted_recording(
    mut commands: Commands,
    script: Res<ScriptedRecording>,
    view: Option<Res<SurfaceView>>,
    pipelines: Res<PipelinesReady>,
    camera: Single<&Camera, With<ViewCamera>>,
    mut shown_for: Local<u32>,
    mut toggles: MessageWriter<ToggleRecording>,
) {
    *shown_for = if view.is_some() && pipelines.0 { *shown_for + 1 } else { 0 };
    if *shown_for < 3 {
        return;
    }
    if let (Some(want), Some(viewport)) = (script.size, camera.viewport.as_ref())
        && viewport.physical_size != want
    {
        if *shown_for > RESIZE_FRAMES {
            eprintln!(
                "losscape: --size {}x{}: the window has room for a {}x{} view only; try a smaller size",
                want.x, want.y, viewport.physical_size.x, viewport.physical_size.y
            );
            commands.write_message(AppExit::from_code(2));
            commands.remove_resource::<ScriptedRecording>();
        }
        return;
    }
    commands.insert_resource(PendingPlan(Plan {
        path: script.path.clone(),
        fps: script.fps,
        steps: script.steps,
        exit: true,
        from_start: true,
    }));
    toggles.write(ToggleRecording { path: script.path.clone() });
    commands.remove_resource::<ScriptedRecording>();
}

/// How the next recording is set up when it did not come from the Record button.
#[derive(Resource)]
struct PendingPlan(Plan);

/// Starts a recording on a toggle (checking the path first), or stops the one in progress.
#[allow(clippy::too_many_arguments)]
fn start_or_stop(
    mut commands: Commands,
    mut toggles: MessageReader<ToggleRecording>,
    plan: Option<Res<PendingPlan>>,
    mut recorder: ResMut<Recorder>,
    mut settings: ResMut<SimSettings>,
    sim: Res<Simulation>,
    camera: Single<&Camera, With<ViewCamera>>,
    mut fixed: ResMut<FixedStepping>,
    mut next: ResMut<NextState<Play>>,
    mut reset: MessageWriter<Reset>,
    mut status: ResMut<StatusLine>,
) {
    if let Some(active) = recorder.active.as_mut()
        && active.opening == Opening::Reset
    {
        active.opening = Opening::Recording;
        reset.write(Reset);
    }
    let Some(toggle) = toggles.read().last().cloned() else { return };
    if let Some(active) = recorder.active.as_mut() {
        active.stopping = true;
        return;
    }
    let plan = match plan {
        Some(p) => {
            commands.remove_resource::<PendingPlan>();
            p.0.clone()
        }
        None => Plan { path: toggle.path.clone(), fps: DEFAULT_FPS, steps: None, exit: false, from_start: false },
    };
    // (AppExit goes through commands: a system writing the message itself would race Bevy's
    // Ctrl-C handler, which writes it too.)
    let fail = |status: &mut StatusLine, commands: &mut Commands, message: String| {
        if plan.exit {
            eprintln!("losscape: {message}");
            commands.write_message(AppExit::from_code(2));
        }
        status.error(message);
    };
    #[cfg(not(target_arch = "wasm32"))]
    if let Err(e) = crate::files::check_outputs(&[crate::files::Output { path: &plan.path, flag: "record", formats: &["gif"] }], &[]) {
        fail(&mut status, &mut commands, e.to_string());
        return;
    }
    #[cfg(target_arch = "wasm32")]
    if !plan.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gif")) {
        fail(&mut status, &mut commands, format!("{}: a recording is a .gif", plan.path.display()));
        return;
    }
    let Some(viewport) = camera.viewport.as_ref().filter(|v| v.physical_size.min_element() > 0) else {
        fail(&mut status, &mut commands, "there is no 3D view to record (the window has no room for it)".into());
        return;
    };
    let gif = match GifWriter::new(Vec::new(), viewport.physical_size.x, viewport.physical_size.y) {
        Ok(g) => g,
        Err(e) => {
            fail(&mut status, &mut commands, e.to_string());
            return;
        }
    };
    // At the scene's last step there is nothing left to record: the runs restart first (and
    // `--record` always records from the first step).
    let restart = plan.from_start || plan.steps.is_none() && sim.steps() >= settings.scene.steps;
    let now = if restart { 0 } else { sim.steps() };
    let end_step = match plan.steps {
        Some(n) => now.saturating_add(n).min(crate::scene::MAX_STEPS),
        None => settings.scene.steps,
    };
    if end_step > settings.scene.steps {
        // `--record --steps N` past the scene's last step: the runs go on as far.
        settings.scene.steps = end_step;
    }
    recorder.active = Some(Active {
        path: plan.path,
        fps: plan.fps,
        end_step,
        size: viewport.physical_size,
        requested: 0,
        waiting: BTreeMap::new(),
        gif,
        written: 0,
        stopping: false,
        exit: plan.exit,
        failed: None,
        opening: Opening::Pausing { reset: restart },
    });
    fixed.0 = true;
    // Paused until the first frame is taken (step 0 after a restart).
    next.set(Play::Paused);
    status.info(format!(
        "recording {}×{} at {} frames a second; click again to stop",
        viewport.physical_size.x, viewport.physical_size.y, plan.fps
    ));
}

/// Asks for this frame's screenshot; the frame after the last step (or after every run has
/// stopped) is the last one asked for.
fn capture_frame(
    mut commands: Commands,
    mut recorder: ResMut<Recorder>,
    sim: Res<Simulation>,
    camera: Single<&Camera, With<ViewCamera>>,
    mut next: ResMut<NextState<Play>>,
) {
    let Some(active) = recorder.active.as_mut() else { return };
    if active.stopping {
        return;
    }
    if let Opening::Pausing { reset } = active.opening {
        active.opening = if reset { Opening::Reset } else { Opening::Recording };
        return;
    }
    let Some(origin) = camera.viewport.as_ref().map(|v| v.physical_position) else { return };
    let k = active.requested;
    active.requested += 1;
    if k == 0 {
        next.set(Play::Playing);
    }
    commands.spawn(Screenshot::primary_window()).observe(move |captured: On<ScreenshotCaptured>, mut recorder: ResMut<Recorder>| {
        recorder.receive(k, origin, &captured.image);
    });
    let moving = sim.session.runs.iter().any(|r| r.is_running());
    if sim.steps() >= active.end_step || !moving {
        active.stopping = true;
    }
}

/// Once every frame asked for is in: ends the GIF, writes it, says so (and exits after
/// `--record`).
fn finish_recording(
    mut commands: Commands,
    mut recorder: ResMut<Recorder>,
    mut fixed: ResMut<FixedStepping>,
    mut status: ResMut<StatusLine>,
) {
    let done = recorder.active.as_ref().is_some_and(|a| a.stopping && (a.written == a.requested || a.failed.is_some()));
    if !done {
        return;
    }
    let Some(active) = recorder.active.take() else { return };
    fixed.0 = false;
    let frames = active.written;
    let (w, h) = (active.size.x, active.size.y);
    let result = match active.failed {
        Some(e) => Err(e),
        None if frames == 0 => Err("no frame was recorded".to_owned()),
        None => active.gif.finish(HOLD).map_err(|e| e.to_string()).and_then(|bytes| {
            crate::files::write_atomic(&active.path, |w| w.write_all(&bytes)).map_err(|e| e.to_string()).map(|()| bytes.len())
        }),
    };
    match result {
        Ok(bytes) => {
            let seconds = (0..frames).map(|k| u64::from(delay(k, active.fps))).sum::<u64>() as f64 / 100.0;
            let line = format!(
                "recorded {} ({w}×{h}, {frames} frames, {seconds:.2} s, {})",
                active.path.display(),
                crate::core::format::human_bytes(bytes as u128)
            );
            if active.exit {
                println!("{line}");
                commands.write_message(AppExit::Success);
            }
            status.info(line);
        }
        Err(e) => {
            let line = format!("{}: cannot record: {e}", active.path.display());
            if active.exit {
                eprintln!("losscape: {line}");
                commands.write_message(AppExit::from_code(2));
            }
            status.error(line);
        }
    }
}
