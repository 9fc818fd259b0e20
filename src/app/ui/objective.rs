//! The side panel's Objective section: the lesson presets, network or typed function, the
//! network builder (layers, activations, batch norm), data (generator or CSV), loss, the
//! training options (features, penalty, held-out share, mini-batches) and the init. An edit
//! sends `RebuildObjective`; a refused one is shown in red with "Revert".

use bevy_egui::egui;

use super::widgets::{ERROR_RED, PanelActions, PanelState, PanelView, place};
use crate::app::files::{FileAction, FileKind};
use crate::app::scenes::GoToLesson;
use crate::app::settings::{RebuildObjective, SimSettings, WidgetPlaces};
use crate::core::{
    Activation, CsvColumns, CsvSource, DataSpec, Feature, Function, FunctionSpec, GeneratorKind, GeneratorSpec, Holdout, InitScheme,
    InitSpec, LayerSpec, Loss, NetworkSpec, ObjectiveSpec, Penalty,
};

pub(super) fn draw_objective(
    ui: &mut egui::Ui,
    settings: &mut SimSettings,
    state: &mut PanelState,
    view: &PanelView,
    actions: &mut PanelActions,
    places: &mut WidgetPlaces,
) {
    let current = settings.file_name().unwrap_or_else(|| "(edited)".into());
    egui::ComboBox::from_id_salt("preset").selected_text(format!("Lesson: {current}")).width(300.0).show_ui(ui, |ui| {
        for (i, lesson) in crate::lessons::LESSONS.iter().enumerate() {
            if ui.selectable_label(settings.lesson == Some(i), lesson.file).clicked() {
                actions.lesson.write(GoToLesson(i));
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
            let drafts = CsvDrafts { path: &mut state.csv, target: &mut state.csv_target, chosen: &mut state.csv_chosen };
            let data = draw_data(ui, &mut net.data, drafts, &mut net.inputs, places);
            if data.pick_file {
                actions.files.write(FileAction { kind: FileKind::DataCsv, path: Default::default() });
            }
            changed |= data.changed;
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
                state.csv_chosen = None;
                changed = true;
            }
        });
    }
    if changed {
        state.expr = None;
        actions.rebuild.write(RebuildObjective::default());
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

/// The panel's drafts for a CSV data source (see [`PanelState`]).
struct CsvDrafts<'a> {
    path: &'a mut String,
    target: &'a mut String,
    chosen: &'a mut Option<DataSpec>,
}

/// What the data row asks for: the scene's data was edited, or the page's file picker.
struct DataEdit {
    changed: bool,
    pick_file: bool,
}

/// Data: a generator (kind, n, noise, seed) or a CSV file (path relative to the scene; on a
/// page, a file picked whose rows go into the scene). Notes where "CSV file" and "Choose CSV…"
/// were drawn (`csv-file`, `choose-csv`).
fn draw_data(ui: &mut egui::Ui, data: &mut DataSpec, drafts: CsvDrafts, inputs: &mut usize, places: &mut WidgetPlaces) -> DataEdit {
    let CsvDrafts { path: csv_draft, target: target_draft, chosen } = drafts;
    let mut changed = false;
    if chosen.as_ref().is_some_and(|c| c != data) {
        *chosen = None;
    }
    let mut use_csv = matches!(data, DataSpec::Csv(_)) || chosen.is_some();
    let before = use_csv;
    ui.horizontal(|ui| {
        ui.label("data");
        if matches!(data, DataSpec::Inline(_)) {
            let _ = ui.selectable_label(!use_csv, "inline");
        }
        if ui.selectable_label(matches!(data, DataSpec::Generator(_)) && !use_csv, "generator").clicked() {
            use_csv = false;
            if matches!(data, DataSpec::Inline(_)) {
                *data = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 200, 0.1, 0));
                *inputs = 2;
                changed = true;
            }
        }
        let csv = ui.selectable_label(use_csv, "CSV file");
        places.note("csv-file", place(csv.rect));
        if csv.clicked() {
            use_csv = true;
        }
    });
    if use_csv != before {
        if !use_csv {
            *chosen = None;
            if matches!(data, DataSpec::Csv(_)) {
                *data = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 200, 0.1, 0));
                *inputs = 2;
                changed = true;
            }
        } else {
            *chosen = (!matches!(data, DataSpec::Csv(_))).then(|| data.clone());
            if csv_draft.is_empty() {
                *csv_draft = "data.csv".into();
            }
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
            if cfg!(target_arch = "wasm32") {
                // A page reads no path: the picked file's rows go into the scene (as a shared
                // line carries them).
                let pick = ui.button("Choose CSV…").on_hover_text("a CSV with a header row; the last column is the target");
                places.note("choose-csv", place(pick.rect));
                return DataEdit { changed, pick_file: pick.clicked() };
            }
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
    DataEdit { changed, pick_file: false }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels egui's accessibility tree gives for one frame of the data row, with where each
    /// was drawn: a frame as a user's screen reader (and pointer) would find it.
    fn frame(
        ctx: &egui::Context,
        events: Vec<egui::Event>,
        data: &mut DataSpec,
        drafts: &mut PanelState,
    ) -> (DataEdit, Vec<(String, egui::Pos2)>) {
        let input = egui::RawInput { events, ..Default::default() };
        let mut edit = None;
        let mut output = ctx.run_ui(input, |ui| {
            let d = CsvDrafts { path: &mut drafts.csv, target: &mut drafts.csv_target, chosen: &mut drafts.csv_chosen };
            edit = Some(draw_data(ui, data, d, &mut 2, &mut WidgetPlaces::default()));
        });
        let tree = output.platform_output.accesskit_update.take().expect("accesskit is on");
        output.drop_without_applying_deltas();
        let labels = tree
            .nodes
            .iter()
            .filter_map(|(_, node)| {
                let b = node.bounds()?;
                let centre = egui::pos2(((b.x0 + b.x1) / 2.0) as f32, ((b.y0 + b.y1) / 2.0) as f32);
                Some((node.label().or(node.value())?.to_string(), centre))
            })
            .collect();
        (edit.expect("drawn"), labels)
    }

    fn click_at(p: egui::Pos2) -> Vec<egui::Event> {
        let button =
            |pressed| egui::Event::PointerButton { pos: p, button: egui::PointerButton::Primary, pressed, modifiers: Default::default() };
        vec![egui::Event::PointerMoved(p), button(true), button(false)]
    }

    fn has(labels: &[(String, egui::Pos2)], text: &str) -> bool {
        labels.iter().any(|(l, _)| l == text)
    }

    #[test]
    fn choosing_a_csv_file_keeps_its_fields_until_another_source_or_data() {
        let ctx = egui::Context::default();
        ctx.enable_accesskit();
        let generated = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Spiral, 100, 0.1, 0));
        let mut data = generated.clone();
        let mut drafts = PanelState::default();
        let (_, labels) = frame(&ctx, vec![], &mut data, &mut drafts);
        assert!(has(&labels, "generator") && !has(&labels, "file"), "{labels:?}");
        let csv = labels.iter().find(|(l, _)| l == "CSV file").expect("the CSV choice is drawn").1;
        frame(&ctx, click_at(csv), &mut data, &mut drafts);
        // Frames later, with the data still generated, the CSV's path field is still offered.
        for _ in 0..3 {
            let (edit, labels) = frame(&ctx, vec![], &mut data, &mut drafts);
            assert!(has(&labels, "file") && has(&labels, "target column"), "{labels:?}");
            assert!(!edit.changed && data == generated);
        }
        assert_eq!(drafts.csv, "data.csv");
        // Back to the generator: its fields again, the data untouched.
        let (_, labels) = frame(&ctx, vec![], &mut data, &mut drafts);
        let gen_choice = labels.iter().find(|(l, _)| l == "generator").expect("drawn").1;
        frame(&ctx, click_at(gen_choice), &mut data, &mut drafts);
        let (_, labels) = frame(&ctx, vec![], &mut data, &mut drafts);
        assert!(!has(&labels, "file"), "{labels:?}");
        assert_eq!(data, generated);
        // A choice made against other data (a lesson opened since) is dropped.
        frame(&ctx, click_at(csv), &mut data, &mut drafts);
        assert!(drafts.csv_chosen.is_some());
        data = DataSpec::Generator(GeneratorSpec::new(GeneratorKind::Xor, 50, 0.0, 1));
        let (_, labels) = frame(&ctx, vec![], &mut data, &mut drafts);
        assert!(!has(&labels, "file") && drafts.csv_chosen.is_none(), "{labels:?}");
    }
}
