//! `losscape info`: what a scene contains — the network's shape and parameter counts, the data,
//! the runs — and what its surface costs: the grid's flops and the seconds it should take on
//! this machine, from a short timing, so a user sees why a wide network's surface takes time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::core::Objective;
use crate::core::format::{human_seconds, human_si};
use crate::core::landscape::cost::{GridCost, sample_row};

/// Arguments of `losscape info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Scene file (.ron or .json).
    scene: PathBuf,
}

/// Prints the summary on standard output.
pub fn run(args: &InfoArgs) -> anyhow::Result<ExitCode> {
    let (scene, objective) = super::load_scene(&args.scene)?;
    super::out::print(format_args!("{}", describe(&scene, &objective)))?;
    super::out::print(format_args!("{}", surface_cost(scene.surface.res, &objective, TIMING)))?;
    Ok(ExitCode::SUCCESS)
}

/// How long `losscape info` spends timing the grid's kernel, at most (plus one vertex).
const TIMING: Duration = Duration::from_millis(150);

/// The scene's grid: its vertices, flops and the seconds it should take here, estimated from
/// vertices of one row timed for about `budget` on one thread and spread over rayon's threads
/// as the grid's rows are.
pub fn surface_cost(res: usize, objective: &Objective, budget: Duration) -> String {
    let cost = GridCost::of(objective, res);
    let row = if objective.dim() == 1 { cost.vertices } else { res };
    // Vertices of one row, doubling until the timing is long enough to mean something.
    let mut count = 1;
    let per_vertex = loop {
        let started = Instant::now();
        std::hint::black_box(sample_row(objective, res, count));
        let elapsed = started.elapsed();
        if elapsed >= budget / 3 || count >= row {
            break elapsed.as_secs_f64() / count.min(row) as f64;
        }
        count *= 2;
    };
    let threads = rayon::current_num_threads().clamp(1, row.max(1));
    let seconds = per_vertex * cost.vertices as f64 / threads as f64;
    let shape = if objective.dim() == 1 { format!("{res} points") } else { format!("{res}×{res}") };
    let threads = if threads == 1 { "1 thread".to_string() } else { format!("{threads} threads") };
    match (cost.flops_per_vertex, cost.flops()) {
        (Some(per), Some(all)) => format!(
            "surface: {shape} grid, {} vertices × {} = {}; {} on {threads} here ({}/s)\n",
            cost.vertices,
            human_si(per, "flop"),
            human_si(all, "flop"),
            human_seconds(seconds),
            human_si(all / seconds.max(f64::MIN_POSITIVE), "flop")
        ),
        _ => format!("surface: {shape} grid, {} vertices; {} on {threads} here\n", cost.vertices, human_seconds(seconds)),
    }
}

/// The summary text.
pub fn describe(scene: &crate::scene::Scene, objective: &Objective) -> String {
    let mut s = String::new();
    let name = if scene.name.is_empty() { "(unnamed)" } else { &scene.name };
    s.push_str(&format!("scene: {name}\n"));
    match objective {
        Objective::Function(f) => {
            s.push_str(&format!("objective: f({}) = {}\n", f.function.vars().join(", "), f.function.text()));
            s.push_str(&format!("parameters: {} ({})\n", objective.dim(), f.function.vars().join(", ")));
            s.push_str(&format!("start: {:?}\n", f.start));
        }
        Objective::Network(n) => {
            let widths: Vec<String> = std::iter::once(n.net.inputs().to_string())
                .chain(n.net.layers().iter().map(|l| format!("{} ({})", l.units, l.activation.name())))
                .collect();
            s.push_str(&format!("objective: network {}, loss {}\n", widths.join(" → "), n.net.loss_kind().name()));
            for (i, l) in n.net.layers().iter().enumerate() {
                let w = l.fan_in * l.units;
                let bn = if l.batch_norm { format!(" + {} batch-norm γ/β", 2 * l.units) } else { String::new() };
                s.push_str(&format!(
                    "  layer {}: {} → {} {}{}: {} ({} + {}{bn})\n",
                    i + 1,
                    l.fan_in,
                    l.units,
                    l.activation.name(),
                    if l.batch_norm { " with batch norm" } else { "" },
                    plural(l.param_count(), "parameter"),
                    plural(w, "weight"),
                    plural(l.units, "bias")
                ));
            }
            s.push_str(&format!("  total: {} parameters\n", n.net.param_count()));
            let held = n.holdout.as_ref().map_or(String::new(), |h| format!(" + {} held out", h.n));
            let features = n
                .features
                .as_ref()
                .map_or(String::new(), |f| format!(", derived inputs {}", f.iter().map(|f| f.label()).collect::<Vec<_>>().join(" ")));
            s.push_str(&format!(
                "data: {}{held}, {}{features}, {}\n",
                plural(n.train.n, "training sample"),
                plural(n.raw.inputs, "input column"),
                plural(n.train.outputs, "target column")
            ));
            let batch = n.batch_size.map_or("full batch".to_string(), |b| format!("mini-batches of {b} (seed {})", n.batch_seed));
            s.push_str(&format!("batches: {batch}\n"));
        }
    }
    s.push_str(&format!("runs: {}\n", scene.runs.len()));
    for (i, r) in scene.runs.iter().enumerate() {
        let sched = r.schedule.as_ref().map_or(String::new(), |s| format!(", schedule {}", s.describe()));
        s.push_str(&format!("  {i}: {}{sched}\n", r.label()));
    }
    s.push_str(&format!("steps: {}\n", scene.steps));
    s
}

/// `1 bias`, `3 biases`, `2 weights`.
fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('s')) {
        (1, _) => format!("1 {word}"),
        (_, true) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}
