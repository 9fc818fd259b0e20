//! The left panel: play / pause / step / reset, live numbers per run, the objective (lesson
//! presets, network builder or typed function, data, loss, init seed, parameter count), the
//! runs (optimizer, log-scale learning rate, clipping with its indicator), the surface
//! switches, and files (open, save, export).
//!
//! UI only edits data (STYLE.md (c) 7): widgets change `SimSettings` in place and send
//! messages; the systems in `Update` rebuild, step and write files. Under egui's multi-pass
//! this system may run twice in a frame, which is harmless for that reason.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui::{self, Color32, RichText};
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::ball::run_color;
use super::camera::{ResetView, UiLayout};
use super::files::{FileAction, FileKind, Presets};
use super::grid::{GridTask, RES_RANGE, SurfaceGrid};
use super::settings::{RebuildObjective, RecomputeSurface, Reset, SimSettings, StatusLine, StepOnce};
use super::sim::Simulation;
use crate::core::landscape::Directions;
use crate::core::{
    Activation, Adagrad, Adam, Clip, CsvColumns, CsvSource, DataSpec, Feature, Function, FunctionSpec, GeneratorKind, GeneratorSpec,
    Holdout, InitScheme, InitSpec, LayerSpec, Loss, NetworkSpec, ObjectiveSpec, OptimizerConfig, Penalty, Rmsprop, RunSpec, RunStatus, Sgd,
};

/// Red for messages about input the app did not apply.
const ERROR_RED: Color32 = Color32::from_rgb(255, 120, 100);

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<PanelState>().add_systems(EguiPrimaryContextPass, draw_side_panel.before(super::plots::draw_plots_panel));
}

/// Drafts of text fields, applied on Enter.
#[derive(Resource, Default)]
pub struct PanelState {
    expr: Option<String>,
    csv: String,
    csv_target: String,
    file: String,
}

/// The messages the panel can send.
#[derive(SystemParam)]
pub struct PanelActions<'w> {
    reset: MessageWriter<'w, Reset>,
    step: MessageWriter<'w, StepOnce>,
    rebuild: MessageWriter<'w, RebuildObjective>,
    recompute: MessageWriter<'w, RecomputeSurface>,
    view: MessageWriter<'w, ResetView>,
    files: MessageWriter<'w, FileAction>,
}

/// What the panel reads but does not edit.
#[derive(SystemParam)]
pub struct PanelView<'w> {
    sim: Res<'w, Simulation>,
    status: Res<'w, StatusLine>,
    tasks: Res<'w, GridTask>,
    grid: Res<'w, SurfaceGrid>,
    presets: Res<'w, Presets>,
    readout: Res<'w, super::ball::CurveReadout>,
    lesson: Res<'w, super::lesson::LessonMode>,
}

/// Draws the panel and records its width for the 3D viewport.
pub fn draw_side_panel(
    mut contexts: EguiContexts,
    mut settings: ResMut<SimSettings>,
    mut state: ResMut<PanelState>,
    mut layout: ResMut<UiLayout>,
    view: PanelView,
    mut actions: PanelActions,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root_left".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.content_rect()),
    );
    let response = egui::Panel::left("controls").default_size(370.0).resizable(true).show(&mut root, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            draw_header(ui, &mut settings, &view, &mut actions);
            draw_live_numbers(ui, &view);
            // Lesson mode hides the network builder and the files (the lesson card shows the parameter count).
            if !view.lesson.active {
                egui::CollapsingHeader::new(RichText::new("Objective").strong())
                    .default_open(true)
                    .show(ui, |ui| draw_objective(ui, &mut settings, &mut state, &view, &mut actions));
            }
            egui::CollapsingHeader::new(RichText::new("Runs").strong())
                .default_open(true)
                .show(ui, |ui| draw_runs(ui, &mut settings, &view));
            egui::CollapsingHeader::new(RichText::new("Surface").strong())
                .default_open(true)
                .show(ui, |ui| draw_surface(ui, &mut settings, &view, &mut actions));
            if !view.lesson.active {
                egui::CollapsingHeader::new(RichText::new("Files").strong())
                    .default_open(false)
                    .show(ui, |ui| draw_files(ui, &settings, &mut state, &mut actions));
            }
        });
    });
    let width = response.response.rect.width();
    if layout.left != width {
        layout.left = width;
    }
    Ok(())
}

/// Text with the few symbols egui's default fonts lack spelled in ASCII.
pub fn plain(text: &str) -> String {
    text.replace('‖', "|").replace('≤', "<=").replace('→', "->").replace('≥', ">=")
}

/// A small filled circle (a run's colour, or a lit indicator).
fn swatch(ui: &mut egui::Ui, color: Color32, filled: bool) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::Vec2::splat(12.0), egui::Sense::hover());
    if filled {
        ui.painter().circle_filled(rect.center(), 5.0, color);
    } else {
        ui.painter().circle_stroke(rect.center(), 5.0, egui::Stroke::new(1.5, color));
    }
    response
}

fn color32(i: usize) -> Color32 {
    let [r, g, b] = run_color(i);
    Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

fn draw_header(ui: &mut egui::Ui, settings: &mut SimSettings, view: &PanelView, actions: &mut PanelActions) {
    // In lesson mode the lesson card above the view shows the title and the text.
    if !view.lesson.active {
        ui.heading(plain(&settings.scene.name));
    }
    if !settings.scene.description.is_empty() && !view.lesson.active {
        egui::CollapsingHeader::new("About this lesson").default_open(false).show(ui, |ui| ui.label(plain(&settings.scene.description)));
    }
    ui.horizontal(|ui| {
        let label = if settings.playing { "⏸ Pause" } else { "▶ Play" };
        if ui.button(label).on_hover_text("Space").clicked() {
            settings.playing = !settings.playing;
        }
        if ui.button("Step").on_hover_text("S").clicked() {
            settings.playing = false;
            actions.step.write(StepOnce);
        }
        if ui.button("⟲ Reset").on_hover_text("R").clicked() {
            actions.reset.write(Reset);
        }
        if ui.button("Reset view").clicked() {
            actions.view.write(ResetView);
        }
    });
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut settings.scene.steps_per_frame, 1..=200).logarithmic(true).text("steps/frame"));
    });
    ui.horizontal(|ui| {
        ui.label(format!("step {} of", view.sim.steps()));
        ui.add(egui::DragValue::new(&mut settings.scene.steps).range(1..=crate::scene::MAX_STEPS).speed(10.0));
    });
    if !view.status.text.is_empty() {
        let color = if view.status.error { ERROR_RED } else { Color32::from_rgb(150, 220, 150) };
        ui.colored_label(color, &view.status.text);
    }
    ui.separator();
}

fn draw_live_numbers(ui: &mut egui::Ui, view: &PanelView) {
    egui::Grid::new("live").striped(true).num_columns(5).show(ui, |ui| {
        ui.label("run");
        ui.label("step");
        ui.label("loss");
        ui.label("|g|");
        ui.label("clip");
        ui.end_row();
        for (i, run) in view.sim.session.runs.iter().enumerate() {
            let last = run.trajectory.last();
            ui.horizontal(|ui| {
                swatch(ui, color32(i), true);
                ui.label(format!("{}", i + 1));
            })
            .response
            .on_hover_text(plain(&run.spec.label()));
            ui.label(run.steps().to_string());
            match run.status {
                RunStatus::Diverged { step } => ui.colored_label(Color32::from_rgb(255, 90, 80), format!("✖ stopped @{step}")),
                RunStatus::Running => ui.monospace(last.map_or("–".into(), |r| format!("{:.5e}", r.loss))),
            };
            ui.monospace(last.map_or("–".into(), |r| format!("{:.3e}", r.grad_norm)));
            let fired = last.is_some_and(|r| r.clipped);
            if run.spec.clip.is_some() {
                let color = if fired { Color32::from_rgb(255, 200, 40) } else { Color32::from_gray(70) };
                swatch(ui, color, true).on_hover_text("lit on the steps where clipping fires");
            } else {
                ui.label("off");
            }
            ui.end_row();
        }
    });
}

fn draw_objective(ui: &mut egui::Ui, settings: &mut SimSettings, state: &mut PanelState, view: &PanelView, actions: &mut PanelActions) {
    let current =
        settings.path.as_ref().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "(edited)".into());
    egui::ComboBox::from_id_salt("preset").selected_text(format!("Lesson: {current}")).width(300.0).show_ui(ui, |ui| {
        for (name, path) in &view.presets.scenes {
            if ui.selectable_label(false, name).clicked() {
                actions.files.write(FileAction { kind: FileKind::OpenScene, path: path.clone() });
            }
        }
    });
    let mut changed = draw_objective_kind(ui, &mut settings.scene.objective);
    match &mut settings.scene.objective {
        ObjectiveSpec::Network(net) => {
            ui.horizontal(|ui| {
                ui.label("inputs");
                changed |= ui.add(egui::DragValue::new(&mut net.inputs).range(1..=64)).changed();
            });
            changed |= draw_layers(ui, &mut net.layers, net.inputs);
            ui.horizontal(|ui| {
                ui.label("loss");
                egui::ComboBox::from_id_salt("loss").selected_text(net.loss.name()).show_ui(ui, |ui| {
                    for l in Loss::ALL {
                        changed |= ui.selectable_value(&mut net.loss, l, l.name()).changed();
                    }
                });
            });
            changed |= draw_data(ui, &mut net.data, &mut state.csv, &mut state.csv_target, &mut net.inputs);
            let raw_inputs = raw_input_width(&net.data, view);
            changed |= draw_training(ui, net, raw_inputs);
            changed |= draw_init(ui, &mut net.init);
        }
        ObjectiveSpec::Function(f) => {
            let draft = state.expr.get_or_insert_with(|| f.expr.clone());
            ui.horizontal(|ui| {
                ui.label("f =");
                let r = ui.text_edit_singleline(draft).on_hover_text("x, y, …: + - * / ^, sin cos exp ln sqrt abs tanh; Enter to apply");
                if r.lost_focus() && *draft != f.expr {
                    f.expr = draft.clone();
                    // One start value per variable: a new variable starts at 1.
                    if let Ok(parsed) = Function::parse(&f.expr) {
                        f.start.resize(parsed.vars().len(), 1.0);
                    }
                    changed = true;
                }
            });
            ui.horizontal(|ui| {
                ui.label("start");
                for v in &mut f.start {
                    changed |= ui.add(egui::DragValue::new(v).speed(0.05)).changed();
                }
            });
        }
    }
    ui.label(format!("{} parameters", view.sim.objective().dim()));
    if let Some(e) = &view.status.objective {
        ui.colored_label(ERROR_RED, format!("not applied: {e}"));
        ui.horizontal(|ui| {
            ui.label("the previous objective keeps running");
            if ui.button("Revert").on_hover_text("put back the objective that is running").clicked() {
                settings.scene.objective = view.sim.applied.clone();
                state.csv.clear();
                state.csv_target.clear();
                changed = true;
            }
        });
    }
    if changed {
        state.expr = None;
        actions.rebuild.write(RebuildObjective);
    }
}

/// The network builder: one row per layer (units, activation, batch norm, remove).
fn draw_layers(ui: &mut egui::Ui, layers: &mut Vec<LayerSpec>, inputs: usize) -> bool {
    let mut changed = false;
    let mut remove = None;
    ui.label(format!("network: {inputs} inputs, then"));
    let n = layers.len();
    for (i, layer) in layers.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.label(if i + 1 == n { "out".to_string() } else { format!("L{}", i + 1) });
            changed |= ui.add(egui::DragValue::new(&mut layer.units).range(1..=64).suffix(" units")).changed();
            egui::ComboBox::from_id_salt(("act", i)).selected_text(layer.activation.name()).width(90.0).show_ui(ui, |ui| {
                for a in Activation::ALL {
                    changed |= ui.selectable_value(&mut layer.activation, a, a.name()).changed();
                }
            });
            changed |= ui.checkbox(&mut layer.batch_norm, "BN").on_hover_text("batch normalisation").changed();
            if n > 1 && ui.small_button("✖").on_hover_text("remove layer").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        layers.remove(i);
        changed = true;
    }
    if ui.button("+ hidden layer").clicked() {
        layers.insert(n.saturating_sub(1), LayerSpec::new(4, Activation::Tanh));
        changed = true;
    }
    changed
}

/// Network or typed function: switching starts from a small default of the other kind.
fn draw_objective_kind(ui: &mut egui::Ui, objective: &mut ObjectiveSpec) -> bool {
    let is_net = matches!(objective, ObjectiveSpec::Network(_));
    let mut want_net = is_net;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut want_net, true, "network");
        ui.selectable_value(&mut want_net, false, "typed function");
    });
    if want_net == is_net {
        return false;
    }
    *objective = if want_net {
        ObjectiveSpec::Network(NetworkSpec::new(
            2,
            vec![LayerSpec::new(4, Activation::Tanh), LayerSpec::new(1, Activation::Tanh)],
            Loss::Mse,
            DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 200, 0.1, 0)),
        ))
    } else {
        ObjectiveSpec::Function(FunctionSpec { expr: "x^2 + 3*y^2".into(), start: vec![2.0, 1.5] })
    };
    true
}

/// Data: a generator (kind, n, noise, seed) or a CSV file (path relative to the scene).
fn draw_data(ui: &mut egui::Ui, data: &mut DataSpec, csv_draft: &mut String, target_draft: &mut String, inputs: &mut usize) -> bool {
    let mut changed = false;
    let mut use_csv = matches!(data, DataSpec::Csv(_));
    let before = use_csv;
    ui.horizontal(|ui| {
        ui.label("data");
        if matches!(data, DataSpec::Inline(_)) {
            let _ = ui.selectable_label(true, "inline");
        }
        if ui.selectable_label(matches!(data, DataSpec::Generator(_)), "generator").clicked() {
            use_csv = false;
            if matches!(data, DataSpec::Inline(_)) {
                *data = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 200, 0.1, 0));
                *inputs = 2;
                changed = true;
            }
        }
        if ui.selectable_label(use_csv, "CSV file").clicked() {
            use_csv = true;
        }
    });
    if use_csv != before {
        if !use_csv {
            *data = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 200, 0.1, 0));
            *inputs = 2;
            changed = true;
        } else if csv_draft.is_empty() {
            *csv_draft = "data.csv".into();
        }
    }
    match data {
        DataSpec::Generator(g) if !use_csv => {
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("gen").selected_text(g.kind.name()).show_ui(ui, |ui| {
                    for k in GeneratorKind::ALL {
                        if ui.selectable_value(&mut g.kind, k, k.name()).changed() {
                            *inputs = if k == GeneratorKind::Sine { 1 } else { 2 };
                            changed = true;
                        }
                    }
                });
                changed |= ui.add(egui::DragValue::new(&mut g.n).range(4..=5000).prefix("n ")).changed();
            });
            ui.horizontal(|ui| {
                changed |= ui.add(egui::Slider::new(&mut g.noise, 0.0..=1.0).text("noise")).changed();
                changed |= ui.add(egui::DragValue::new(&mut g.seed).prefix("seed ")).changed();
            });
        }
        DataSpec::Inline(t) if !use_csv => {
            ui.label(format!("{} rows written in the scene", t.x.len()));
        }
        _ => {
            if let DataSpec::Csv(c) = data
                && csv_draft.is_empty()
            {
                *csv_draft = c.path().to_string();
                if let CsvSource::Columns(CsvColumns { y: Some(y), .. }) = c {
                    *target_draft = y.join(", ");
                }
            }
            let mut commit = false;
            ui.horizontal(|ui| {
                ui.label("file");
                commit |= ui
                    .text_edit_singleline(csv_draft)
                    .on_hover_text("relative to the scene's folder; header row; Enter to load")
                    .lost_focus();
            });
            ui.horizontal(|ui| {
                ui.label("target column");
                let edit = egui::TextEdit::singleline(target_draft).hint_text("last column").desired_width(120.0);
                commit |= ui.add(edit).on_hover_text("the column(s) to predict, by name; every other column is an input").lost_focus();
            });
            if commit && !csv_draft.is_empty() {
                let targets: Vec<String> = target_draft.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
                let source = if targets.is_empty() {
                    CsvSource::Path(csv_draft.clone())
                } else {
                    CsvSource::Columns(CsvColumns { path: csv_draft.clone(), x: None, y: Some(targets) })
                };
                if !matches!(data, DataSpec::Csv(c) if *c == source) {
                    *data = DataSpec::Csv(source);
                    changed = true;
                }
            }
        }
    }
    changed
}

/// Input columns of the data before derived features, when known without reading a file (a
/// CSV's width comes from the running objective, if it reads that same file).
fn raw_input_width(data: &DataSpec, view: &PanelView) -> Option<usize> {
    match data {
        DataSpec::Generator(g) => Some(if g.kind == GeneratorKind::Sine { 1 } else { 2 }),
        DataSpec::Inline(t) => t.x.first().map(Vec::len),
        DataSpec::Csv(_) => match &view.sim.applied {
            ObjectiveSpec::Network(n) if n.data == *data => view.sim.objective().network().map(|n| n.raw.inputs),
            _ => None,
        },
    }
}

/// TensorFlow Playground's training options around the network: derived input features (for
/// 2-column data), an L1/L2 weight penalty, a held-out share and mini-batches in a seeded order.
fn draw_training(ui: &mut egui::Ui, net: &mut NetworkSpec, raw_inputs: Option<usize>) -> bool {
    let mut changed = false;
    match raw_inputs {
        Some(2) => {
            changed |= draw_features(ui, &mut net.features);
            // With derived features the network's input width is their number.
            if let Some(f) = &net.features
                && net.inputs != f.len()
            {
                net.inputs = f.len();
                changed = true;
            }
        }
        Some(k) if net.features.is_some() => {
            net.features = None;
            net.inputs = k;
            changed = true;
        }
        _ => {}
    }
    changed |= draw_penalty(ui, &mut net.penalty);
    ui.horizontal(|ui| {
        let mut on = net.holdout.is_some();
        let hint = "a seeded share of the data that is never trained on; its loss is the dashed line";
        if ui.checkbox(&mut on, "hold out").on_hover_text(hint).changed() {
            net.holdout = on.then_some(Holdout { share: 0.2, seed: 0 });
            changed = true;
        }
        if let Some(h) = &mut net.holdout {
            let share = egui::Slider::new(&mut h.share, 0.05..=0.9).custom_formatter(|v, _| format!("{:.0}%", 100.0 * v)).text("");
            changed |= ui.add(share).changed();
            changed |= ui.add(egui::DragValue::new(&mut h.seed).prefix("seed ")).changed();
        }
    });
    ui.horizontal(|ui| {
        ui.label("batch");
        let full = net.batch_size.is_none();
        if ui.selectable_label(full, "full").clicked() && !full {
            net.batch_size = None;
            changed = true;
        }
        if ui
            .selectable_label(!full, "mini-batch")
            .on_hover_text("a new seeded shuffle every epoch; a short last batch is dropped")
            .clicked()
            && full
        {
            net.batch_size = Some(16);
            changed = true;
        }
        if let Some(b) = &mut net.batch_size {
            changed |= ui.add(egui::DragValue::new(b).range(1..=100_000).prefix("size ")).changed();
            changed |= ui.add(egui::DragValue::new(&mut net.batch_seed).prefix("order seed ")).changed();
        }
    });
    changed
}

/// Toggles for the derived inputs; x1 and x2 alone (the default) is stored as no features.
fn draw_features(ui: &mut egui::Ui, features: &mut Option<Vec<Feature>>) -> bool {
    let plain_inputs = [Feature::X1, Feature::X2];
    let chosen = features.clone().unwrap_or_else(|| plain_inputs.to_vec());
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        ui.label("features").on_hover_text("what the network sees of each point (x1, x2): TensorFlow Playground's inputs");
        for f in Feature::ALL {
            let on = chosen.contains(&f);
            if ui.selectable_label(on, f.label()).clicked() {
                let next: Vec<Feature> = Feature::ALL.into_iter().filter(|g| if *g == f { !on } else { chosen.contains(g) }).collect();
                // The network needs at least one input: the last feature cannot be switched off.
                if !next.is_empty() {
                    *features = (next != plain_inputs).then_some(next);
                    changed = true;
                }
            }
        }
    });
    changed
}

/// No penalty, λ·Σ|w| (L1) or λ·Σw² (L2) on the Linear weights, λ on a log slider.
fn draw_penalty(ui: &mut egui::Ui, penalty: &mut Option<Penalty>) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label("penalty").on_hover_text("added to the loss: L1 = λ·Σ|w|, L2 = λ·Σw² over the weights (not the biases)");
        let (kind, strength) = match *penalty {
            None => (0, 1e-3),
            Some(Penalty::L1(l)) => (1, l),
            Some(Penalty::L2(l)) => (2, l),
        };
        let mut want = kind;
        ui.selectable_value(&mut want, 0, "none");
        ui.selectable_value(&mut want, 1, "L1");
        ui.selectable_value(&mut want, 2, "L2");
        if want != kind {
            *penalty = match want {
                1 => Some(Penalty::L1(strength)),
                2 => Some(Penalty::L2(strength)),
                _ => None,
            };
            changed = true;
        }
        if let Some(Penalty::L1(l) | Penalty::L2(l)) = penalty {
            changed |= ui.add(egui::Slider::new(l, 1e-5..=1.0).logarithmic(true).text("λ")).changed();
        }
    });
    changed
}

fn draw_init(ui: &mut egui::Ui, init: &mut InitSpec) -> bool {
    let mut changed = false;
    match init {
        InitSpec::Seeded(s) => {
            ui.horizontal(|ui| {
                ui.label("init");
                egui::ComboBox::from_id_salt("scheme").selected_text(s.scheme.name()).show_ui(ui, |ui| {
                    for k in InitScheme::ALL {
                        changed |= ui.selectable_value(&mut s.scheme, k, k.name()).changed();
                    }
                });
                changed |= ui.add(egui::DragValue::new(&mut s.seed).prefix("seed ")).changed();
                changed |= ui.add(egui::DragValue::new(&mut s.scale).range(0.01..=20.0).speed(0.05).prefix("×")).changed();
            });
        }
        InitSpec::Params(p) => {
            ui.label(format!("init: {} values written in the scene", p.len()));
        }
    }
    changed
}

fn draw_runs(ui: &mut egui::Ui, settings: &mut SimSettings, view: &PanelView) {
    let mut remove = None;
    let mut duplicate = None;
    let n = settings.scene.runs.len();
    for (i, run) in settings.scene.runs.iter_mut().enumerate() {
        let before = (run.optimizer.clone(), run.clip);
        ui.push_id(("run", i), |ui| {
            ui.horizontal(|ui| {
                swatch(ui, color32(i), true);
                ui.label(RichText::new(format!("run {}", i + 1)).strong());
                draw_kind(ui, &mut run.optimizer);
                if !view.lesson.active && ui.small_button("dup").on_hover_text("duplicate this run").clicked() {
                    duplicate = Some(i);
                }
                if n > 1 && !view.lesson.active && ui.small_button("✖").on_hover_text("remove").clicked() {
                    remove = Some(i);
                }
            });
            let lr = run.optimizer.lr_mut();
            ui.add(egui::Slider::new(lr, 1e-5..=10.0).logarithmic(true).text("lr"));
            if !view.lesson.active {
                draw_hyper(ui, &mut run.optimizer);
            }
            let fired = view.sim.session.runs.get(i).and_then(|r| r.trajectory.last()).is_some_and(|r| r.clipped);
            draw_clip(ui, &mut run.clip, fired);
        });
        if before != (run.optimizer.clone(), run.clip) {
            run.name = None;
        }
        ui.separator();
    }
    if let Some(i) = duplicate {
        let copy = settings.scene.runs[i].clone();
        settings.scene.runs.insert(i + 1, copy);
    }
    if let Some(i) = remove {
        settings.scene.runs.remove(i);
    }
    if !view.lesson.active && ui.button("+ add run").clicked() {
        settings.scene.runs.push(RunSpec::new(OptimizerConfig::Adam(Adam { lr: 0.05, ..Adam::default() })));
    }
}

fn draw_kind(ui: &mut egui::Ui, optimizer: &mut OptimizerConfig) {
    let lr = optimizer.lr();
    egui::ComboBox::from_id_salt("kind").selected_text(optimizer.name()).width(90.0).show_ui(ui, |ui| {
        let choices = [
            OptimizerConfig::Sgd(Sgd { lr, ..Sgd::default() }),
            OptimizerConfig::Adam(Adam { lr, ..Adam::default() }),
            OptimizerConfig::Adamw(Adam { lr, ..Adam::default() }),
            OptimizerConfig::Rmsprop(Rmsprop { lr, ..Rmsprop::default() }),
            OptimizerConfig::Adagrad(Adagrad { lr, ..Adagrad::default() }),
        ];
        for choice in choices {
            let same = std::mem::discriminant(&choice) == std::mem::discriminant(optimizer);
            if ui.selectable_label(same, choice.name()).clicked() && !same {
                *optimizer = choice;
            }
        }
    });
}

fn draw_hyper(ui: &mut egui::Ui, optimizer: &mut OptimizerConfig) {
    ui.horizontal(|ui| match optimizer {
        OptimizerConfig::Sgd(o) => {
            ui.add(egui::Slider::new(&mut o.momentum, 0.0..=0.99).text("momentum"));
            let can = o.momentum > 0.0 && o.dampening == 0.0;
            ui.add_enabled(can, egui::Checkbox::new(&mut o.nesterov, "nesterov"));
            if !can {
                o.nesterov = false;
            }
        }
        OptimizerConfig::Adam(o) | OptimizerConfig::Adamw(o) => {
            ui.add(egui::DragValue::new(&mut o.betas[0]).range(0.0..=0.999).speed(0.001).prefix("β1 "));
            ui.add(egui::DragValue::new(&mut o.betas[1]).range(0.0..=0.9999).speed(0.0001).prefix("β2 "));
            ui.checkbox(&mut o.amsgrad, "amsgrad");
        }
        OptimizerConfig::Rmsprop(o) => {
            ui.add(egui::DragValue::new(&mut o.alpha).range(0.0..=0.999).speed(0.001).prefix("α "));
            ui.add(egui::DragValue::new(&mut o.momentum).range(0.0..=0.99).speed(0.01).prefix("momentum "));
            ui.checkbox(&mut o.centered, "centered");
        }
        OptimizerConfig::Adagrad(o) => {
            ui.add(egui::DragValue::new(&mut o.lr_decay).range(0.0..=1.0).speed(0.001).prefix("lr_decay "));
        }
    });
}

fn draw_clip(ui: &mut egui::Ui, clip: &mut Option<Clip>, fired: bool) {
    ui.horizontal(|ui| {
        let mut kind = match clip {
            None => 0,
            Some(Clip::Value(_)) => 1,
            Some(Clip::Norm(_)) => 2,
        };
        let before = kind;
        ui.label("clip");
        ui.selectable_value(&mut kind, 0, "off");
        ui.selectable_value(&mut kind, 1, "value");
        ui.selectable_value(&mut kind, 2, "norm");
        if kind != before {
            *clip = match kind {
                1 => Some(Clip::Value(0.5)),
                2 => Some(Clip::Norm(1.0)),
                _ => None,
            };
        }
        match clip {
            Some(Clip::Value(c) | Clip::Norm(c)) => {
                ui.add(egui::DragValue::new(c).range(1e-4..=1e4).speed(0.01));
                let color = if fired { Color32::from_rgb(255, 200, 40) } else { Color32::DARK_GRAY };
                swatch(ui, color, true);
                ui.colored_label(color, "fires").on_hover_text("lit on the steps where clipping fires");
            }
            None => {}
        }
    });
}

fn draw_surface(ui: &mut egui::Ui, settings: &mut SimSettings, view: &PanelView, actions: &mut PanelActions) {
    let dim = view.sim.objective().dim();
    let mut recompute = false;
    let surface = &mut settings.scene.surface;
    let resp = ui.add(egui::Slider::new(&mut surface.res, RES_RANGE).logarithmic(true).text("vertices per side"));
    recompute |= resp.changed();
    // Lesson mode keeps the vertex count, heights, trails, arrows and the secant; the span,
    // slice directions and line overlays are explorer details.
    if !view.lesson.active {
        ui.horizontal(|ui| {
            let mut auto = surface.span.is_none();
            if ui.checkbox(&mut auto, "auto span").changed() {
                surface.span =
                    if auto { None } else { Some(view.grid.current.as_ref().map_or(1.0, |l| 0.5 * (l.ranges()[0].1 - l.ranges()[0].0))) };
                recompute = true;
            }
            if let Some(span) = &mut surface.span {
                recompute |= ui.add(egui::DragValue::new(span).range(1e-3..=1e4).speed(0.02).prefix("± ")).changed();
            }
        });
    }
    if dim > 2 && !view.lesson.active {
        recompute |= draw_directions(ui, &mut surface.directions);
        if ui.button("Recentre on ball 1").on_hover_text("slice through run 1's current parameters").clicked() {
            settings.slice_center = view.sim.session.runs.first().map(|r| r.theta.clone());
            recompute = true;
        }
    }
    let surface = &mut settings.scene.surface;
    ui.horizontal(|ui| {
        ui.checkbox(&mut surface.log_height, "log height");
        if !view.lesson.active {
            ui.checkbox(&mut surface.wireframe, "wireframe");
            ui.checkbox(&mut surface.contours, "contours");
        }
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut settings.show_trails, "trails");
        ui.checkbox(&mut settings.show_gradient, "−lr·g arrow");
        ui.checkbox(&mut settings.show_step, "step arrow");
    });
    if view.readout.shown {
        ui.add(egui::Slider::new(&mut settings.secant_h, 1e-4..=2.0).logarithmic(true).text("secant h"));
        let r = *view.readout;
        ui.monospace(format!(
            "x = {:.5}  f(x) = {:.5}\ntangent f'(x)        = {:.6}\nsecant (f(x+h)-f(x))/h = {:.6}",
            r.a, r.f, r.tangent, r.secant
        ));
    }
    if let Some(p) = view.tasks.progress() {
        ui.add(egui::ProgressBar::new(p).text("computing the surface…"));
    }
    if recompute {
        actions.recompute.write(RecomputeSurface);
    }
}

fn draw_directions(ui: &mut egui::Ui, directions: &mut Directions) -> bool {
    let mut changed = false;
    ui.horizontal(|ui| {
        ui.label("slice");
        let is = |d: &Directions| std::mem::discriminant(d);
        let choices =
            [Directions::Axes { i: 0, j: 1 }, Directions::Random { seed: 0, include_bias: false }, Directions::Pca, Directions::Hessian];
        for choice in choices {
            let name = match choice {
                Directions::Random { .. } => "random",
                Directions::Pca => "PCA of path",
                Directions::Hessian => "Hessian",
                Directions::Axes { .. } => "θ0, θ1",
            };
            if ui.selectable_label(is(&choice) == is(directions), name).clicked() && is(&choice) != is(directions) {
                *directions = choice;
                changed = true;
            }
        }
        if let Directions::Random { seed, .. } = directions {
            changed |= ui.add(egui::DragValue::new(seed).prefix("seed ")).changed();
        }
    });
    changed
}

fn draw_files(ui: &mut egui::Ui, settings: &SimSettings, state: &mut PanelState, actions: &mut PanelActions) {
    if state.file.is_empty() {
        state.file = settings.path.as_ref().map_or("scene.ron".into(), |p| p.display().to_string());
    }
    ui.horizontal(|ui| {
        ui.label("path");
        ui.text_edit_singleline(&mut state.file);
    });
    let path = std::path::PathBuf::from(&state.file);
    let mut send = |kind| {
        actions.files.write(FileAction { kind, path: path.clone() });
    };
    ui.horizontal_wrapped(|ui| {
        if ui.button("Open scene").clicked() {
            send(FileKind::OpenScene);
        }
        if ui.button("Save scene").on_hover_text(".ron or .json").clicked() {
            send(FileKind::SaveScene);
        }
        if ui.button("Trajectory").on_hover_text(".csv or .json").clicked() {
            send(FileKind::Trajectory);
        }
        if ui.button("Grid").on_hover_text(".csv or .json").clicked() {
            send(FileKind::Grid);
        }
        if ui.button("Mesh").on_hover_text(".obj or .ply").clicked() {
            send(FileKind::Mesh);
        }
        if ui.button("Screenshot").on_hover_text(".png").clicked() {
            send(FileKind::Screenshot);
        }
    });
    ui.small("Type a path (its extension picks the format), then press a button. Files are written atomically.");
}
