//! The side panel's Runs section: per run the optimizer, a log-scale learning rate, its
//! hyper-parameters (explorer mode) and clipping with its indicator; duplicate, remove, add.

use bevy_egui::egui::{self, Color32, RichText};

use super::widgets::{PanelView, color32, swatch};
use crate::app::settings::SimSettings;
use crate::core::{Adagrad, Adam, Clip, OptimizerConfig, Rmsprop, RunSpec, Sgd};

pub(super) fn draw_runs(ui: &mut egui::Ui, settings: &mut SimSettings, view: &PanelView) {
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
