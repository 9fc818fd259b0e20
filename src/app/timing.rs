//! Timing of the app's own systems, for the performance budget (≤ 2 ms of CPU per frame while a
//! 256² surface is shown and recomputed). Off unless `LOSSCAPE_TIMING` is set; with
//! `LOSSCAPE_TIMING=recompute` it also requests a new grid every 15 frames. Prints the mean,
//! the 95th percentile and the maximum on exit.
//!
//! The spans measured: `Update` from before `AppSystems::ReadInput` to after
//! `AppSystems::SyncVisuals` (the simulation, the grid polling, the mesh swap, balls, trails),
//! plus the egui pass (side panel, plots panel, labels).

use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy_egui::EguiPrimaryContextPass;

use super::AppSystems;
use super::settings::RecomputeSurface;

pub(super) fn plugin(app: &mut App) {
    let Ok(mode) = std::env::var("LOSSCAPE_TIMING") else { return };
    app.insert_resource(FrameTimes { recompute: mode == "recompute", ..default() })
        .add_systems(Update, start_update_timer.before(AppSystems::ReadInput))
        .add_systems(Update, stop_update_timer.after(AppSystems::SyncVisuals))
        .add_systems(EguiPrimaryContextPass, start_ui_timer.before(super::panel::draw_side_panel))
        .add_systems(EguiPrimaryContextPass, stop_ui_timer.after(super::surface::draw_surface_labels))
        .add_systems(Last, report_frame_times);
}

/// Per-frame durations of the app's systems.
#[derive(Resource, Default)]
pub struct FrameTimes {
    started: Option<Instant>,
    current: Duration,
    ui: Duration,
    frames: Vec<Duration>,
    ui_frames: Vec<Duration>,
    recompute: bool,
}

fn start_update_timer(mut times: ResMut<FrameTimes>, mut frame: Local<u32>, mut requests: MessageWriter<RecomputeSurface>) {
    times.started = Some(Instant::now());
    *frame += 1;
    if times.recompute && *frame % 15 == 0 {
        requests.write(RecomputeSurface);
    }
}

fn stop_update_timer(mut times: ResMut<FrameTimes>) {
    if let Some(t) = times.started.take() {
        times.current += t.elapsed();
    }
}

fn start_ui_timer(mut times: ResMut<FrameTimes>) {
    times.started = Some(Instant::now());
}

fn stop_ui_timer(mut times: ResMut<FrameTimes>) {
    if let Some(t) = times.started.take() {
        times.current += t.elapsed();
        times.ui += t.elapsed();
    }
}

fn report_frame_times(mut times: ResMut<FrameTimes>, mut exits: MessageReader<AppExit>) {
    let current = std::mem::take(&mut times.current);
    times.frames.push(current);
    let ui = std::mem::take(&mut times.ui);
    times.ui_frames.push(ui);
    if exits.read().count() == 0 {
        return;
    }
    let mut v: Vec<f64> = times.frames.iter().skip(10).map(|d| d.as_secs_f64() * 1e3).collect();
    if v.is_empty() {
        return;
    }
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let p95 = v[(v.len() * 95 / 100).min(v.len() - 1)];
    let ui_mean = times.ui_frames.iter().skip(10).map(|d| d.as_secs_f64() * 1e3).sum::<f64>() / v.len() as f64;
    eprintln!(
        "losscape timing: {} frames, app systems per frame: mean {mean:.3} ms (egui panels {ui_mean:.3} ms), median {:.3} ms, p95 {p95:.3} ms, max {:.3} ms",
        v.len(),
        v[v.len() / 2],
        v[v.len() - 1]
    );
}
