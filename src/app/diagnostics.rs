//! The numbers behind the plots that the core computes from the runs: each layer's gradient
//! norm now for every run, the dead-ReLU count, and the data under one network's current
//! output (TensorFlow Playground's decision heat-map, or for one input the prediction curve —
//! for a softmax classifier one probability curve per class, each point at its class's target
//! probability 1 in that class's colour, rather than ŷ₀ against the class numbers).
//! Refreshed every few frames by a throttled `Update` system; `ui/plots.rs` only draws them.

use bevy::prelude::*;
use bevy_egui::egui::{self, Color32};

use super::sets::AppSystems;
use super::sim::Simulation;
use super::view::run_colour;
use crate::core::{Loss, Workspace};

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
    /// For 1-input networks: that run's output curves (one per class for a softmax).
    pub curves: Vec<OutputCurve>,
    /// For 1-input networks: what the vertical axis shows.
    pub y_name: &'static str,
    /// Bumped when `heat` changes (the UI re-uploads the texture).
    pub version: u64,
}

/// One curve of the network's output against its one input.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputCurve {
    /// What it is ("p(class 1)", "prediction").
    pub name: String,
    /// Its colour (a class's colour for a class probability).
    pub colour: Color32,
    /// (x, output) points.
    pub points: Vec<[f64; 2]>,
}

/// How a network's targets read: real values, or classes (how many, and how to draw them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Regression: the target is a number.
    Values,
    /// Softmax cross-entropy over this many classes: a class index or a one-hot row.
    Softmax(usize),
    /// One output for two classes: log loss (y ∈ {0, 1}, ŷ = σ(z) = p(class 1)) or hinge
    /// (y ∈ {−1, +1}, ŷ a score).
    Binary,
}

impl Targets {
    /// From the loss and the number of outputs.
    pub fn of(loss: Loss, outputs: usize) -> Self {
        match loss {
            Loss::CrossEntropy if outputs > 1 => Targets::Softmax(outputs),
            Loss::LogLoss | Loss::Hinge => Targets::Binary,
            _ => Targets::Values,
        }
    }

    /// The class of sample `s` of a data set (`y[k * n + s]`, `width` target columns), or
    /// `None` for a regression target.
    pub fn class(self, y: &[f64], n: usize, width: usize, s: usize) -> Option<usize> {
        match self {
            Targets::Values => None,
            // 1 for log loss's y = 1 and hinge's y = +1; 0 for y = 0 or −1.
            Targets::Binary => Some(usize::from(y[s] > 0.5)),
            Targets::Softmax(k) if width == 1 => Some((y[s].round().max(0.0) as usize).min(k - 1)),
            Targets::Softmax(_) => Some(argmax(&(0..width).map(|c| y[c * n + s]).collect::<Vec<_>>())),
        }
    }
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
    // Runs that restarted (a new lesson, a new network) are shown at once: with a software
    // renderer's half-second frames, waiting for the next refresh left the last lesson's data
    // under the new lesson's title for seconds (seen on the web page).
    let restarted = seen.is_none_or(|(generation, _)| generation != key.0);
    if !restarted && (!(*frame).is_multiple_of(REFRESH_EVERY) || *seen == Some(key)) {
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
            // A softmax's classes in the colours of the regions they should fall in (the
            // orange-to-blue tone of one output read class 2 of 3 as white).
            let targets = Targets::of(net.net.loss_kind(), net.net.outputs());
            let dot = |s: usize| match targets {
                Targets::Softmax(_) => class_dot(targets.class(&raw.y, n, raw.outputs, s).unwrap_or(0)),
                _ => tone(raw.y[s]),
            };
            if diag.samples.len() != n || diag.bounds != bounds {
                diag.samples = (0..n).map(|s| ([raw.x[s], raw.x[n + s]], dot(s))).collect();
            }
            diag.bounds = bounds;
            let cell = |k: usize, (lo, hi): (f64, f64)| lo + (k as f64 + 0.5) / HEAT as f64 * (hi - lo);
            let points: Vec<Vec<f64>> =
                (0..HEAT * HEAT).map(|k| vec![cell(k % HEAT, bounds[0]), cell(HEAT - 1 - k / HEAT, bounds[1])]).collect();
            let out = net.predict(theta, &points, ws);
            let pixels = out.iter().map(|o| if o.len() > 1 { class_color(argmax(o)) } else { tone(o[0]).gamma_multiply(0.75) }).collect();
            diag.heat = Some(egui::ColorImage { size: [HEAT, HEAT], pixels, source_size: egui::Vec2::new(HEAT as f32, HEAT as f32) });
            diag.curves.clear();
        }
        1 => {
            let bounds = pad(range(&raw.x[..n]));
            let targets = Targets::of(net.net.loss_kind(), net.net.outputs());
            let class = |s: usize| targets.class(&raw.y, n, raw.outputs, s);
            let xs: Vec<Vec<f64>> = (0..=64).map(|k| vec![bounds.0 + k as f64 / 64.0 * (bounds.1 - bounds.0)]).collect();
            let out = net.predict(theta, &xs, ws);
            let curve = |k: usize| xs.iter().zip(&out).filter_map(|(x, o)| o.get(k).map(|&y| [x[0], y])).collect::<Vec<_>>();
            match targets {
                Targets::Softmax(classes) => {
                    // Each point at its class's target probability, 1, in its class's colour:
                    // the curve of that colour should rise to it.
                    diag.bounds = [bounds, (-0.05, 1.05)];
                    diag.samples = (0..n).map(|s| ([raw.x[s], 1.0], class_dot(class(s).unwrap_or(0)))).collect();
                    diag.curves = (0..classes)
                        .map(|k| OutputCurve { name: format!("p(class {k})"), colour: class_dot(k), points: curve(k) })
                        .collect();
                    diag.y_name = "probability";
                }
                Targets::Binary => {
                    diag.bounds = [bounds, pad(y_range)];
                    diag.samples = (0..n).map(|s| ([raw.x[s], raw.y[s]], class_dot(class(s).unwrap_or(0)))).collect();
                    let name = if net.net.loss_kind() == Loss::LogLoss { "ŷ = p(class 1)" } else { "ŷ (score)" };
                    diag.curves = vec![OutputCurve { name: name.into(), colour: Color32::from_rgb(230, 230, 230), points: curve(0) }];
                    diag.y_name = if net.net.loss_kind() == Loss::LogLoss { "probability / class" } else { "score / class (±1)" };
                }
                Targets::Values => {
                    diag.bounds = [bounds, pad(y_range)];
                    diag.samples = (0..n).map(|s| ([raw.x[s], raw.y[s]], Color32::from_rgb(230, 230, 230))).collect();
                    diag.curves = vec![OutputCurve { name: "prediction".into(), colour: class_dot(0), points: curve(0) }];
                    diag.y_name = "y";
                }
            }
            diag.heat = None;
        }
        _ => {
            diag.heat = None;
            diag.samples.clear();
            diag.curves.clear();
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

/// The heat-map's colour for class `k`: [`class_dot`] a little darker, so the points show on it.
fn class_color(k: usize) -> Color32 {
    let [r, g, b] = run_colour(k + 1);
    Color32::from_rgb((r * 200.0) as u8, (g * 200.0) as u8, (b * 200.0) as u8)
}

/// Class `k`'s colour for its points and its probability curve.
fn class_dot(k: usize) -> Color32 {
    let [r, g, b] = run_colour(k + 1);
    Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_lesson_s_data_is_shown_on_the_next_frame() {
        let sim = |lesson: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenes").join(lesson);
            crate::app::sim::load_scene(&path).expect("lessons load").1
        };
        let mut app = App::new();
        app.insert_resource(sim("04_three_points.ron")).init_resource::<Diagnostics>().add_systems(Update, update_diagnostics);
        app.update();
        assert_eq!(app.world().resource::<Diagnostics>().samples.len(), 3);
        // Lesson 6 (200 XOR points) replaces it two frames later, between two refreshes.
        app.update();
        app.world_mut().resource_mut::<Simulation>().replace(sim("06_dense_layer.ron"));
        app.update();
        assert_eq!(app.world().resource::<Diagnostics>().samples.len(), 200);
    }

    fn preview(lesson: &str) -> Diagnostics {
        let i = crate::lessons::find(lesson).expect("a shipped lesson");
        let (_, objective) = crate::lessons::LESSONS[i].load().expect("it loads");
        let net = objective.network().expect("a network");
        // Trained a little, so the classes' curves part.
        let theta: Vec<f64> = match lesson {
            "13c" => vec![-1.5, 1.5, 0.0, 0.0],
            _ => net.start.clone(),
        };
        let mut diag = Diagnostics::default();
        fill_preview(&mut diag, net, &theta, &mut Workspace::default());
        diag
    }

    #[test]
    fn a_softmax_on_one_input_shows_one_probability_curve_per_class() {
        // Lesson 13c: before, one curve (ŷ₀) against dots at the class numbers 0 and 1, so
        // the curve fell where the class-1 dots stood high.
        let diag = preview("13c");
        assert_eq!(diag.curves.len(), 2);
        assert_eq!(diag.curves[0].name, "p(class 0)");
        assert_eq!(diag.curves[1].name, "p(class 1)");
        assert_eq!(diag.y_name, "probability");
        // Every point at probability 1, in its class's colour: x = −2, −1, 0 are class 0.
        assert!(diag.samples.iter().all(|(p, _)| p[1] == 1.0));
        assert_eq!(diag.samples[0].1, diag.curves[0].colour);
        assert_eq!(diag.samples[4].1, diag.curves[1].colour);
        // Class 1's curve rises towards its points on the right, and the two add up to 1.
        let (p0, p1) = (&diag.curves[0].points, &diag.curves[1].points);
        assert!(p1.last().unwrap()[1] > 0.9 && p1[0][1] < 0.1);
        for (a, b) in p0.iter().zip(p1) {
            assert!((a[1] + b[1] - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn classes_are_read_from_indices_one_hot_rows_and_signs() {
        let t = Targets::of(Loss::CrossEntropy, 3);
        assert_eq!(t, Targets::Softmax(3));
        assert_eq!(t.class(&[2.0, 0.0], 2, 1, 0), Some(2));
        // One-hot, column-major: sample 0 is class 1, sample 1 class 0.
        assert_eq!(t.class(&[0.0, 1.0, 1.0, 0.0, 0.0, 0.0], 2, 3, 0), Some(1));
        assert_eq!(t.class(&[0.0, 1.0, 1.0, 0.0, 0.0, 0.0], 2, 3, 1), Some(0));
        let hinge = Targets::of(Loss::Hinge, 1);
        assert_eq!(hinge.class(&[-1.0, 1.0], 2, 1, 0), Some(0));
        assert_eq!(hinge.class(&[-1.0, 1.0], 2, 1, 1), Some(1));
        assert_eq!(Targets::of(Loss::Mse, 1).class(&[3.5], 1, 1, 0), None);
    }

    #[test]
    fn a_regression_keeps_its_one_prediction_curve() {
        let diag = preview("04");
        assert_eq!(diag.curves.len(), 1);
        assert_eq!(diag.curves[0].name, "prediction");
    }
}
