//! The numbers behind the plots that the core computes from the runs: each layer's gradient
//! norm now for every run, the dead-ReLU count, and the data under one network's current
//! output (TensorFlow Playground's decision heat-map, or the prediction curve for one input).
//! Refreshed every few frames by a throttled `Update` system; `ui/plots.rs` only draws them.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32};

use super::sets::AppSystems;
use super::sim::Simulation;
use super::view::run_colour;
use crate::core::Workspace;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Diagnostics>().add_systems(Update, update_diagnostics.in_set(AppSystems::SyncVisuals));
}

/// Heat-map cells per side.
const HEAT: usize = 40;
/// Frames between two refreshes of the diagnostics.
const REFRESH_EVERY: u32 = 8;

/// Per-run numbers for the plots, and the heat-map of one run's output.
#[derive(Resource, Default)]
pub struct Diagnostics {
    /// Gradient 2-norm per layer, per run.
    pub layer_norms: Vec<Vec<f64>>,
    /// Dead ReLU units per layer, per run (empty when no layer is a ReLU).
    pub dead: Vec<Vec<usize>>,
    /// Units per layer for the ReLU layers, 0 for the others.
    pub relu_units: Vec<usize>,
    /// The run whose output is previewed: the first one still training.
    pub preview_run: usize,
    /// That run's output over the data's box, `HEAT × HEAT`, row 0 at the top; sRGB.
    pub heat: Option<egui::ColorImage>,
    /// The data's box: x1 range then x2 range.
    pub bounds: [(f64, f64); 2],
    /// Samples (x1, x2 or x, y) and their class/target colour.
    pub samples: Vec<([f64; 2], Color32)>,
    /// For 1-input networks: that run's prediction curve.
    pub curve: Vec<[f64; 2]>,
    /// Bumped when `heat` changes (the UI re-uploads the texture).
    pub version: u64,
}

/// Refreshes per-layer norms, dead units and the heat-map every few frames.
fn update_diagnostics(
    sim: Res<Simulation>,
    mut diag: ResMut<Diagnostics>,
    mut frame: Local<u32>,
    mut ws: Local<Workspace>,
    mut seen: Local<Option<(u64, u64)>>,
) {
    *frame += 1;
    let key = (sim.generation, sim.steps());
    if !(*frame).is_multiple_of(REFRESH_EVERY) || *seen == Some(key) {
        return;
    }
    *seen = Some(key);
    let Some(net) = sim.objective().network() else {
        *diag = Diagnostics::default();
        return;
    };
    diag.layer_norms = sim.session.runs.iter().map(|r| net.net.layer_norms(&r.grad)).collect();
    diag.relu_units = net.net.layers().iter().map(|l| if l.activation == crate::core::Activation::Relu { l.units } else { 0 }).collect();
    let has_relu = net.net.layers().iter().any(|l| l.activation == crate::core::Activation::Relu);
    diag.dead = if !has_relu {
        Vec::new()
    } else {
        sim.session
            .runs
            .iter()
            .map(|r| {
                net.loss_on(&r.theta, &net.train, &mut ws, None);
                net.net.dead_units(&ws)
            })
            .collect()
    };
    // The first run still training: a diverged run's output is all NaN.
    let shown = sim.session.runs.iter().position(|r| r.is_running()).unwrap_or(0);
    diag.preview_run = shown;
    fill_preview(&mut diag, net, &sim.session.runs[shown].theta, &mut ws);
}

/// Samples and the output over their bounding box (2 inputs) or the prediction curve (1 input).
fn fill_preview(diag: &mut Diagnostics, net: &crate::core::NetworkObjective, theta: &[f64], ws: &mut Workspace) {
    let raw = &net.raw;
    let (n, inputs) = (raw.n, raw.inputs);
    let y_range = range(&raw.y[..n]);
    let tone = |v: f64| diverging(((v - y_range.0) / (y_range.1 - y_range.0).max(1e-12)).clamp(0.0, 1.0));
    match inputs {
        2 => {
            let bounds = [pad(range(&raw.x[..n])), pad(range(&raw.x[n..2 * n]))];
            if diag.samples.len() != n || diag.bounds != bounds {
                diag.samples = (0..n).map(|s| ([raw.x[s], raw.x[n + s]], tone(raw.y[s]))).collect();
            }
            diag.bounds = bounds;
            let cell = |k: usize, (lo, hi): (f64, f64)| lo + (k as f64 + 0.5) / HEAT as f64 * (hi - lo);
            let points: Vec<Vec<f64>> =
                (0..HEAT * HEAT).map(|k| vec![cell(k % HEAT, bounds[0]), cell(HEAT - 1 - k / HEAT, bounds[1])]).collect();
            let out = net.predict(theta, &points, ws);
            let pixels = out.iter().map(|o| if o.len() > 1 { class_color(argmax(o)) } else { tone(o[0]).gamma_multiply(0.75) }).collect();
            diag.heat = Some(egui::ColorImage { size: [HEAT, HEAT], pixels, source_size: egui::Vec2::new(HEAT as f32, HEAT as f32) });
            diag.curve.clear();
        }
        1 => {
            let bounds = pad(range(&raw.x[..n]));
            diag.bounds = [bounds, pad(y_range)];
            diag.samples = (0..n).map(|s| ([raw.x[s], raw.y[s]], Color32::from_rgb(230, 230, 230))).collect();
            let xs: Vec<Vec<f64>> = (0..=64).map(|k| vec![bounds.0 + k as f64 / 64.0 * (bounds.1 - bounds.0)]).collect();
            let out = net.predict(theta, &xs, ws);
            diag.curve = xs.iter().zip(&out).filter_map(|(x, o)| o.first().map(|&y| [x[0], y])).collect();
            diag.heat = None;
        }
        _ => {
            diag.heat = None;
            diag.samples.clear();
            diag.curve.clear();
        }
    }
    diag.version += 1;
}

fn range(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().filter(|x| x.is_finite()).fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) }
}

fn pad((lo, hi): (f64, f64)) -> (f64, f64) {
    let m = 0.08 * (hi - lo).max(1e-6);
    (lo - m, hi + m)
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0)
}

/// Orange (low) to blue (high), as in TensorFlow Playground.
fn diverging(t: f64) -> Color32 {
    let (lo, mid, hi) = ([245.0, 147.0, 34.0], [232.0, 234.0, 235.0], [8.0, 119.0, 189.0]);
    let (a, b, f) = if t < 0.5 { (lo, mid, t * 2.0) } else { (mid, hi, t * 2.0 - 1.0) };
    let c = |k: usize| (a[k] + (b[k] - a[k]) * f) as u8;
    Color32::from_rgb(c(0), c(1), c(2))
}

fn class_color(k: usize) -> Color32 {
    let [r, g, b] = run_colour(k + 1);
    Color32::from_rgb((r * 200.0) as u8, (g * 200.0) as u8, (b * 200.0) as u8)
}
