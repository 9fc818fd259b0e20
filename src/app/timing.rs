//! Timing of the app's own systems, for the performance budget (≤ 2 ms of CPU per frame while a
//! 256² surface is shown and recomputed). Off unless `LOSSCAPE_TIMING` is set; with
//! `LOSSCAPE_TIMING=recompute` it also asks for a new grid 15 frames after each grid has landed
//! on screen, so the measured frames include the grid polling, the geometry task's hand-over and
//! the mesh swap, again and again. Prints the mean, the median, the 95th percentile and the
//! maximum on exit, with the mean of each part of the frame. It also prints how often frames
//! came while a grid was being computed (the wall time between frames: whether the view stays
//! responsive while a wide network's surface takes seconds).
//!
//! The spans measured, between set boundaries of `Update`: input (`AppSystems::ReadInput`
//! through `MoveCamera`), scene switches and simulation, landscape (grid tasks), visuals (the
//! report, geometry swap, balls, trails, gizmos, diagnostics), plus the whole egui pass (side panel, lesson card, plots panel,
//! labels). Only frames with a surface on screen count: the frames before the first grid lands
//! do almost nothing and would flatter the mean. Bevy's own work (extraction, rendering, egui
//! tessellation in bevy_egui's systems) is not the app's and is not counted.
//!
//! While timing, `Update` and the egui pass run on one thread (the single-threaded executor),
//! so each span is the sum of its systems' times rather than the longest of parallel branches,
//! which is what a CPU budget counts. The spans are wall time: the kernel's per-thread run time
//! (/proc/thread-self/sched) only advances at scheduler ticks, far too coarse for sub-millisecond
//! spans, and std has no per-thread CPU clock. On a loaded 2-core machine the grid being
//! recomputed (rayon) and a software renderer (lavapipe) preempt the main thread and inflate the
//! spans, so the median is printed next to the mean.

use std::time::Duration;

use bevy::platform::time::Instant;

use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

use super::landscape::GridTask;
use super::sets::{AppSystems, UiSystems};
use super::settings::RecomputeSurface;
use super::surface::SurfaceView;

pub(super) fn plugin(app: &mut App) {
    let Ok(mode) = std::env::var("LOSSCAPE_TIMING") else { return };
    use AppSystems::{Landscape, LoadScene, MoveCamera, ReadInput, Report, Simulate, SyncVisuals};
    app.edit_schedule(Update, |s| {
        s.set_executor(SingleThreadedExecutor::new());
    });
    app.edit_schedule(EguiPrimaryContextPass, |s| {
        s.set_executor(SingleThreadedExecutor::new());
    });
    app.insert_resource(FrameTimes { recompute: mode == "recompute", ..default() })
        .add_systems(Update, mark_update::<0>.before(ReadInput))
        .add_systems(Update, mark_update::<1>.after(MoveCamera).before(LoadScene))
        .add_systems(Update, mark_update::<2>.after(Simulate).before(Landscape))
        .add_systems(Update, mark_update::<3>.after(Landscape).before(Report))
        .add_systems(Update, mark_update::<4>.after(SyncVisuals))
        .add_systems(Update, request_recompute_after_landing.after(SyncVisuals))
        .add_systems(EguiPrimaryContextPass, start_ui_timer.before(UiSystems::Style))
        .add_systems(EguiPrimaryContextPass, stop_ui_timer.after(UiSystems::Overlays))
        .add_systems(Last, (measure_interval_while_computing, report_frame_times).chain());
}

/// Names of the measured parts of a frame, in [`FrameTimes::parts`] order.
const PARTS: [&str; 5] = ["input", "simulate", "landscape", "visuals", "egui"];

/// Frames a landed grid stays on screen before the next one is requested.
const SHOWN_FRAMES: u32 = 15;

/// Wall time since the first reading.
#[derive(Clone, Copy, Debug, Default)]
struct Clock;

impl Clock {
    fn now(&self) -> Duration {
        START.get_or_init(Instant::now).elapsed()
    }

    fn span(&self, from: Duration, to: Duration) -> Duration {
        to.saturating_sub(from)
    }
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Per-frame durations of the app's systems.
#[derive(Resource, Default)]
pub struct FrameTimes {
    clock: Clock,
    marks: [Option<Duration>; 5],
    ui_started: Option<Duration>,
    current: [Duration; 5],
    frames: Vec<[Duration; 5]>,
    recompute: bool,
    grids_landed: u32,
    /// When the last frame ended, and the wall time between frames ending while a grid was in
    /// flight.
    last_frame: Option<Duration>,
    computing_intervals: Vec<Duration>,
}

/// The time since the last frame ended, kept when a grid is being computed.
fn measure_interval_while_computing(mut times: ResMut<FrameTimes>, tasks: Res<GridTask>) {
    let now = times.clock.now();
    if let Some(last) = times.last_frame.replace(now)
        && tasks.progress().is_some()
    {
        let span = times.clock.span(last, now);
        times.computing_intervals.push(span);
    }
}

/// Records the time at boundary `N`; adds the time since boundary `N − 1` to part `N − 1`.
fn mark_update<const N: usize>(mut times: ResMut<FrameTimes>) {
    let now = times.clock.now();
    if N > 0
        && let Some(t) = times.marks[N - 1].take()
    {
        let span = times.clock.span(t, now);
        times.current[N - 1] += span;
    }
    if N < 4 {
        times.marks[N] = Some(now);
    }
}

/// With `recompute`, requests a new grid once the last one has been on screen a while.
fn request_recompute_after_landing(
    mut times: ResMut<FrameTimes>,
    view: Option<Res<SurfaceView>>,
    mut shown: Local<u32>,
    mut requests: MessageWriter<RecomputeSurface>,
) {
    let Some(view) = view else { return };
    if view.is_changed() {
        times.grids_landed += 1;
        *shown = 0;
    }
    *shown += 1;
    if times.recompute && *shown == SHOWN_FRAMES {
        requests.write(RecomputeSurface);
    }
}

fn start_ui_timer(mut times: ResMut<FrameTimes>) {
    times.ui_started = Some(times.clock.now());
}

fn stop_ui_timer(mut times: ResMut<FrameTimes>) {
    let now = times.clock.now();
    if let Some(t) = times.ui_started.take() {
        let span = times.clock.span(t, now);
        times.current[4] += span;
    }
}

fn report_frame_times(mut times: ResMut<FrameTimes>, view: Option<Res<SurfaceView>>, mut exits: MessageReader<AppExit>) {
    let current = std::mem::take(&mut times.current);
    if view.is_some() {
        times.frames.push(current);
    }
    if exits.read().count() == 0 {
        return;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut intervals: Vec<f64> = times.computing_intervals.iter().copied().map(ms).collect();
    if !intervals.is_empty() {
        intervals.sort_by(f64::total_cmp);
        let n = intervals.len();
        eprintln!(
            "losscape timing: {n} frames while a grid was computed; time between frames: mean {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            intervals.iter().sum::<f64>() / n as f64,
            intervals[n / 2],
            intervals[(n * 95 / 100).min(n - 1)],
            intervals[n - 1]
        );
    }
    let frames: Vec<&[Duration; 5]> = times.frames.iter().skip(10).collect();
    if frames.is_empty() {
        return;
    }
    let mut totals: Vec<f64> = frames.iter().map(|f| f.iter().copied().map(ms).sum()).collect();
    totals.sort_by(f64::total_cmp);
    let n = totals.len();
    let mean = totals.iter().sum::<f64>() / n as f64;
    let parts: Vec<String> = PARTS
        .iter()
        .enumerate()
        .map(|(k, name)| format!("{name} {:.3}", frames.iter().map(|f| ms(f[k])).sum::<f64>() / n as f64))
        .collect();
    eprintln!(
        "losscape timing: {n} frames with a surface, {} grids landed; app systems per frame: mean {mean:.3} ms, median {:.3} ms, p95 {:.3} ms, max {:.3} ms; mean per part (ms): {}",
        times.grids_landed,
        totals[n / 2],
        totals[(n * 95 / 100).min(n - 1)],
        totals[n - 1],
        parts.join(", ")
    );
}
