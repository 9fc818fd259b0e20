//! `losscape animate`: the optimizer race as an animated GIF, drawn without a GPU (a server, the
//! `--no-default-features` build): the scene's slice as filled contours in the app's colour map,
//! each run's path growing step by step with its ball, and the loss curves beside it.
//!
//! The surface is the core's [`survey`] (the app's surface for the scene, as `losscape surface`
//! draws it) at `--res`; the runs are the scene's, run for its steps. Frame k shows step
//! min(k · steps-per-frame, steps): the scene's `steps_per_frame`, as the app advances while it
//! records. Everything is computed in a fixed order on one thread once the survey is done, so
//! the same scene gives the same bytes on every machine and with any number of threads.
//!
//! Every flag is checked before any work; the GIF (and each PNG of `--frames-dir`) is staged and
//! renamed into place only when every frame was written, so a failure leaves nothing behind.

mod contour;
mod frame;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::UserError;
use super::out::outln;
use crate::cli::plot::{Axis, auto_scale, loss_ceiling};
use crate::core::landscape::{MIN_RES, Progress, Survey, SurveyError, SurveySpec, survey};
use crate::core::session::check_path_memory;
use crate::export::gif::{GifWriter, HOLD, delay};
use crate::files::{Output, Staged, check_outputs, stage};
use crate::mesh::HeightScale;
use crate::scene::MAX_STEPS;

/// Vertices per side of the contour grid, at most (a picture is at most 4096 pixels wide).
pub const MAX_ANIMATION_RES: usize = 1024;
/// Frames a second a GIF player shows, at most: delays below 2 hundredths of a second are
/// slowed down to 10 by browsers.
pub const MAX_FPS: u32 = 50;
/// The smallest and largest picture: below the smallest the labels overlap.
pub const MIN_SIZE: (u32, u32) = (320, 180);
pub const MAX_SIZE: (u32, u32) = (3840, 2160);
/// Frames at most (two and a half minutes at 20 frames a second).
pub const MAX_FRAMES: u64 = 3000;

/// Arguments of `losscape animate`.
#[derive(clap::Args, Debug)]
pub struct AnimateArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
    /// The GIF to write.
    #[arg(long, value_name = "GIF")]
    out: Option<PathBuf>,
    /// Also (or only) write each frame as DIR/frame_0000.png, frame_0001.png, … (for video
    /// encoders). DIR is made when missing and must hold no frames yet.
    #[arg(long, value_name = "DIR")]
    frames_dir: Option<PathBuf>,
    /// Vertices per side of the surface's grid.
    #[arg(long, value_name = "N", default_value_t = 128, allow_negative_numbers = true)]
    res: i64,
    /// Frames a second, 1–50.
    #[arg(long, default_value_t = crate::export::gif::DEFAULT_FPS as i64, allow_negative_numbers = true)]
    fps: i64,
    /// Picture size in pixels, WIDTHxHEIGHT.
    #[arg(long, value_name = "WxH", default_value = "960x540")]
    size: String,
    /// Steps to animate (default: the scene's `steps`).
    #[arg(long, value_name = "N")]
    steps: Option<u64>,
    /// Steps between frames (default: the scene's `steps_per_frame`, as the app plays it).
    #[arg(long, value_name = "K")]
    steps_per_frame: Option<u64>,
}

fn user(msg: impl Into<String>) -> anyhow::Error {
    UserError(msg.into()).into()
}

/// `--fps`: 1 to [`MAX_FPS`] frames a second (`animate` and the app's `--record`).
pub fn parse_fps(fps: i64) -> Result<u32, String> {
    if !(1..=i64::from(MAX_FPS)).contains(&fps) {
        return Err(format!("--fps must be between 1 and {MAX_FPS} (GIF players show no more), got {fps}"));
    }
    Ok(fps as u32)
}

/// `--size`: `WIDTHxHEIGHT` (x, X or ×) within [`MIN_SIZE`]…[`MAX_SIZE`].
pub fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = text.split(['x', 'X', '×']).map(str::trim).collect();
    let (w, h) = match parts.as_slice() {
        [w, h] => match (w.parse::<u32>(), h.parse::<u32>()) {
            (Ok(w), Ok(h)) => (w, h),
            _ => return Err(format!("--size must be WIDTHxHEIGHT in pixels like 960x540, got {text:?}")),
        },
        _ => return Err(format!("--size must be WIDTHxHEIGHT in pixels like 960x540, got {text:?}")),
    };
    if !(MIN_SIZE.0..=MAX_SIZE.0).contains(&w) || !(MIN_SIZE.1..=MAX_SIZE.1).contains(&h) {
        return Err(format!("--size must be from {}x{} to {}x{} pixels, got {w}x{h}", MIN_SIZE.0, MIN_SIZE.1, MAX_SIZE.0, MAX_SIZE.1));
    }
    Ok((w, h))
}

/// Checks everything, surveys and runs the scene, then draws and writes every frame.
pub fn run(args: &AnimateArgs) -> anyhow::Result<ExitCode> {
    // 1. Flags that need no scene.
    if args.out.is_none() && args.frames_dir.is_none() {
        return Err(user("give --out FILE.gif, --frames-dir DIR or both"));
    }
    if !(MIN_RES as i64..=MAX_ANIMATION_RES as i64).contains(&args.res) {
        return Err(user(format!("--res must be between {MIN_RES} and {MAX_ANIMATION_RES}, got {}", args.res)));
    }
    let fps = parse_fps(args.fps).map_err(user)?;
    let (width, height) = parse_size(&args.size).map_err(user)?;
    if let Some(steps) = args.steps
        && steps > MAX_STEPS
    {
        return Err(user(format!("--steps must be ≤ {MAX_STEPS}, got {steps}")));
    }
    if args.steps_per_frame == Some(0) {
        return Err(user("--steps-per-frame must be ≥ 1"));
    }

    // 2. The scene, and the outputs checked against its files before any work.
    let (scene, objective) = super::load_scene(&args.scene)?;
    let shown = args.scene.display();
    let steps = args.steps.unwrap_or(scene.steps);
    let per_frame = args.steps_per_frame.unwrap_or(u64::from(scene.steps_per_frame.max(1)));
    let frames = steps.div_ceil(per_frame) + 1;
    if frames > MAX_FRAMES {
        return Err(user(format!(
            "{frames} frames ({steps} steps, {per_frame} a frame) is more than {MAX_FRAMES}: pass --steps-per-frame {} or fewer --steps",
            steps.div_ceil(MAX_FRAMES - 1)
        )));
    }
    let inputs = scene.input_files(&args.scene);
    let gif_target = match &args.out {
        Some(out) => Some(check_outputs(&[Output { path: out, flag: "--out", formats: &["gif"] }], &inputs)?.remove(0)),
        None => None,
    };
    let folder =
        args.frames_dir.as_deref().map(|dir| crate::files::FramesFolder::prepare(dir, "--frames-dir", "frame_", "png")).transpose()?;
    check_path_memory(objective.dim(), scene.runs.len(), steps)
        .map_err(|e| user(format!("{shown}: {e} (the animation keeps every path to draw it)")))?;

    // 3. The app's surface for this scene, and the runs to the end.
    let settings = &scene.surface;
    let spec = SurveySpec { steps, res: args.res as usize, ..scene.survey_spec(&objective) };
    let Survey { plane, grid, preview: mut session, .. } = match survey(&objective, &spec, &Progress::default()) {
        Ok(s) => s,
        Err(SurveyError::Invalid(e)) => return Err(user(format!("{shown}: {e}"))),
        Err(SurveyError::Cancelled) => unreachable!("nothing cancels the command line's survey"),
    };
    session.run_until(steps);
    let Some((loss_axis, ceiling)) = loss_axis(&session.runs) else {
        return Err(user(format!("{shown}: no run has a finite loss at its start; nothing to draw")));
    };
    let title = if scene.name.is_empty() { file_name(&args.scene) } else { scene.name.clone() };
    let mut animation = frame::Animation {
        title,
        scale: HeightScale::of(&grid, settings.log_height),
        paths: session.runs.iter().map(|r| plane.project_path(&r.trajectory)).collect(),
        curves: session.runs.iter().map(|r| r.trajectory.clone()).collect(),
        labels: session.runs.iter().map(|r| r.spec.label()).collect(),
        steps,
        loss_axes: (Axis::steps(steps as f64), loss_axis),
        ceiling,
        contour: None,
        plane,
        grid,
    };

    // 4. Draw every frame once, into the GIF and/or the PNGs, all staged; then rename them all.
    let mut pngs: Vec<Staged> = Vec::new();
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    let mut draw_all = |sink: &mut dyn FnMut(&[u8], u64) -> std::io::Result<()>| -> std::io::Result<()> {
        for k in 0..frames {
            let step = (k * per_frame).min(steps);
            animation.draw(&mut rgb, (width, height), step).map_err(|e| std::io::Error::other(format!("cannot draw frame {k}: {e}")))?;
            sink(&rgb, k)?;
            if let Some(folder) = &folder {
                let path = folder.path.join(format!("frame_{k:04}.png"));
                let png = crate::cli::plot::encode_png(&rgb, width, height).map_err(std::io::Error::other)?;
                pngs.push(stage(&path, |w| w.write_all(&png)).map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?);
            }
        }
        Ok(())
    };
    let gif_file = match (&gif_target, &args.out) {
        (Some(target), Some(out)) => Some(
            stage(target, |w| {
                let mut g = GifWriter::new(w, width, height)?;
                draw_all(&mut |rgb, k| g.push(rgb, delay(k, fps)))?;
                g.finish(HOLD).map(drop)
            })
            .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", out.display()))?,
        ),
        _ => {
            draw_all(&mut |_, _| Ok(())).map_err(|e| anyhow::anyhow!("--frames-dir: cannot write: {e}"))?;
            None
        }
    };
    for png in pngs {
        png.commit()?;
    }
    if let Some(folder) = folder {
        folder.keep();
    }
    if let Some(file) = gif_file {
        file.commit().map_err(|e| anyhow::anyhow!("cannot write: {e}"))?;
    }

    let seconds = (0..frames).map(|k| u64::from(delay(k, fps))).sum::<u64>() as f64 / 100.0;
    let size =
        |p: &Path| std::fs::metadata(p).map_or(String::new(), |m| format!(", {}", crate::core::format::human_bytes(u128::from(m.len()))));
    if let Some(out) = &args.out {
        outln!(
            "wrote {} ({width}×{height}, {frames} frames at {fps} a second: {seconds:.2} s, the last held 1 s{})",
            out.display(),
            size(out)
        )?;
    }
    if let Some(dir) = &args.frames_dir {
        outln!("wrote {frames} frames to {} (frame_0000.png … frame_{:04}.png)", dir.display(), frames - 1)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The loss panel's y axis, fixed for the whole animation, and the loss its curves are cut at:
/// log when the losses span two decades, up to the loss plots' ceiling ([`loss_ceiling`], as
/// in the app), so a run that explodes leaves the top of the panel instead of squashing the
/// others into its floor. A run counts as healthy while it has not diverged. `None` when no
/// run starts at a finite loss.
fn loss_axis(runs: &[crate::core::Run]) -> Option<(Axis, f64)> {
    fn finite(r: &crate::core::Run) -> impl Iterator<Item = f64> + Clone + '_ {
        r.trajectory.records.iter().map(|x| x.loss).take_while(|l| l.is_finite())
    }
    let (lo, hi) = runs.iter().flat_map(finite).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| (lo.min(l), hi.max(l)));
    if !lo.is_finite() {
        return None;
    }
    let scale = auto_scale(lo, hi);
    let curves: Vec<_> = runs.iter().map(|r| (r.is_running(), finite(r))).collect();
    let ceiling = loss_ceiling(&curves, scale)?;
    // The range of what is drawn: each curve up to its first loss above the ceiling.
    let drawn = runs.iter().flat_map(|r| finite(r).take_while(|&l| l <= ceiling));
    let (lo, hi) = drawn.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), l| (lo.min(l), hi.max(l)));
    Some((Axis::losses(scale, lo, hi), ceiling))
}

fn file_name(path: &Path) -> String {
    path.file_stem().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_width_by_height_within_the_limits() {
        assert_eq!(parse_size("960x540"), Ok((960, 540)));
        assert_eq!(parse_size("1280×720"), Ok((1280, 720)));
        assert!(parse_size("0x0").unwrap_err().contains("from 320x180"));
        assert!(parse_size("20000x20000").unwrap_err().contains("to 3840x2160"));
        assert!(parse_size("big").unwrap_err().starts_with("--size must be WIDTHxHEIGHT"));
        assert!(parse_size("960x").is_err());
    }

    #[test]
    fn lesson_8s_exploding_run_does_not_stretch_the_loss_axis() {
        // Run 0 climbs to 1e302 within its 200 steps (finite: still running); run 1, clipped,
        // never goes above its start, 45.4.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes/08_exploding.ron");
        let (scene, objective) = crate::cli::load_scene(&path).unwrap();
        let mut session = crate::core::Session::new(objective, &scene.runs).unwrap();
        session.run(scene.steps);
        let losses = |i: usize| session.runs[i].trajectory.records.iter().map(|r| r.loss).collect::<Vec<f64>>();
        let (exploding, clipped) = (losses(0), losses(1));
        assert!(exploding.iter().all(|l| l.is_finite()) && exploding.last().unwrap() > &1e250, "{:?}", exploding.last());
        let healthy = clipped.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (axis, ceiling) = loss_axis(&session.runs).unwrap();
        let top = axis.bounds().1;
        assert!(top <= healthy.log10() + crate::cli::plot::DIVERGED_DECADES + 0.2, "top 1e{top} for healthy runs up to {healthy}");
        assert!(top >= exploding[3].log10(), "the climb up to the ceiling is still drawn: top 1e{top}");
        assert!(axis.bounds().0 <= clipped.iter().copied().fold(f64::INFINITY, f64::min).log10(), "the floor shows");
        // In the last frame, run 0's curve stops below the ceiling and is marked where it left.
        let mut s = crate::cli::plot::Series::of(0, &session.runs[0].trajectory, scene.steps);
        s.cut_above(ceiling);
        let first_above = exploding.iter().position(|&l| l > ceiling).unwrap();
        assert_eq!((s.loss.len(), s.cut_at), (first_above, Some(first_above as u64)));
        assert!(first_above >= 3 && s.loss.iter().all(|&(_, l)| l <= ceiling));
    }
}
