//! What each fuzz target does with one input, shared by the libFuzzer binaries in
//! `fuzz_targets/` and by `tests/fuzz_regressions.rs` (which includes this file as a module), so
//! a crash found by the fuzzer replays in plain `cargo test` through the very same code.
//!
//! Every function takes arbitrary bytes and must return without panicking: a refusal is a
//! one-line error, which is formatted (so `Display` runs too) and dropped. Inputs that parse are
//! pushed further down the real pipeline: scene → objective → a few optimizer steps, with the
//! work capped so that no single input can take seconds (a valid but huge network is not a bug).

use std::path::Path;

use losscape::core::{CsvColumns, CsvSource, DataSpec, Dataset, Function, Network, ObjectiveSpec, Session};
use losscape::scene::{self, Format, Scene};

/// The most samples × parameters an objective built by the harness may have.
const MAX_WORK: u128 = 200_000;

/// Optimizer steps taken per run once the objective builds.
const STEPS: u64 = 3;

/// Runs trained per scene (a scene may list many).
const MAX_RUNS: usize = 4;

/// Field paths the core reports, walked through arbitrary text by `scene::locate`.
const FIELDS: [&str; 10] = [
    "objective.network.layers[1].units",
    "objective.network.data.inline.x[0][1]",
    "objective.network.init.params[3]",
    "objective.function.expr",
    "objective.function.start",
    "runs[0].optimizer.adam.lr",
    "runs[2].clip",
    "surface.res",
    "camera.yaw",
    "steps",
];

/// Where a scene's CSV data would be looked for: a folder that does not exist, so CSV sources
/// are refused the way a missing file is (the CSV reader has its own target).
const NO_DIR: &str = "/nonexistent-losscape-fuzz";

/// A scene file's text in `format`: parse (with error positions), save and reload, build the
/// objective and take a few steps.
pub fn scene_text(data: &[u8], format: Format) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for field in FIELDS {
        let _ = scene::locate(text, field);
    }
    let path = Path::new(if format == Format::Json { "fuzz.json" } else { "fuzz.ron" });
    match scene::parse(text, format, path) {
        Ok(s) => {
            round_trip(&s, format);
            exercise(&s, text, path);
        }
        Err(e) => drop(e.to_string()),
    }
}

/// A shared line (`losscape open LINE`): decode, then the same as a scene file.
pub fn share_line(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match losscape::share::decode(text) {
        Ok(s) => {
            let json = scene::to_string(&s, Format::Json);
            exercise(&s, &json, Path::new("shared scene"));
        }
        Err(e) => drop(e.to_string()),
    }
}

/// A CSV data file. The first byte chooses how the columns are picked (all but the last; named
/// targets; named, overlapping inputs and targets), the rest is the file.
pub fn data_csv(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else { return };
    let names = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let src = match mode % 4 {
        0 => CsvSource::Path("d.csv".into()),
        1 => CsvSource::Columns(CsvColumns { path: "d.csv".into(), x: None, y: None }),
        2 => CsvSource::Columns(CsvColumns { path: "d.csv".into(), x: None, y: names(&["y"]) }),
        _ => CsvSource::Columns(CsvColumns { path: "d.csv".into(), x: names(&["a", "b"]), y: names(&["a"]) }),
    };
    match scene::read_csv_from(body, "d.csv", &src) {
        Ok(table) => match Dataset::from_table(&table) {
            Ok(d) => assert_eq!((d.x.len(), d.y.len()), (d.n * d.inputs, d.n * d.outputs)),
            Err(e) => drop(e.to_string()),
        },
        Err(e) => drop(e.to_string()),
    }
}

/// An expression typed for a function objective: parse, differentiate, and evaluate the value
/// and the gradient at a few points.
pub fn expr(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let f = match Function::parse(text) {
        Ok(f) => f,
        Err(e) => return drop(e.to_string()),
    };
    let n = f.vars().len();
    let mut grad = vec![0.0; n];
    for point in [0.0, 1.5, -2.25, 1e300, f64::MIN_POSITIVE] {
        let theta: Vec<f64> = (0..n).map(|i| point * (i + 1) as f64).collect();
        let value = f.value_and_grad(&theta, &mut grad);
        // NaN and ±inf are fine (ln of a negative number); the value must not depend on the call.
        let again = f.value(&theta);
        assert!(value.to_bits() == again.to_bits() || (value.is_nan() && again.is_nan()), "{text:?} at {theta:?}: {value} vs {again}");
    }
}

/// Saving a scene that loaded and loading it again gives the same scene (compared through its
/// text, so that a NaN equals itself).
fn round_trip(s: &Scene, format: Format) {
    let text = scene::to_string(s, format);
    let back = match scene::parse(&text, format, Path::new("saved")) {
        Ok(b) => b,
        Err(e) => panic!("a scene that loaded does not load after saving: {e}\n{text}"),
    };
    assert_eq!(scene::to_string(&back, format), text, "saving changes the scene");
}

/// Builds the objective (when its work is small) and takes a few steps of the first runs.
fn exercise(s: &Scene, text: &str, path: &Path) {
    if let ObjectiveSpec::Network(n) = &s.objective {
        // Cheap and allocation-free for any width: the architecture checks run on every input.
        let Ok(net) = Network::new(n.inputs, &n.layers, n.loss, 1).map_err(|e| e.to_string()) else { return };
        let samples = match &n.data {
            DataSpec::Inline(t) => t.x.len(),
            DataSpec::Generator(g) => g.n,
            DataSpec::Csv(_) => 0,
        };
        if (samples as u128).saturating_mul(net.param_count() as u128 + 1) > MAX_WORK || net.param_count() as u128 > MAX_WORK {
            return;
        }
    }
    let objective = match s.build_in(Path::new(NO_DIR)) {
        Ok(o) => o,
        Err(e) => return drop(scene::located(text, path, e).to_string()),
    };
    for i in 0..objective.dim().min(64) {
        drop(objective.param_name(i));
    }
    let runs = &s.runs[..s.runs.len().min(MAX_RUNS)];
    match Session::new(objective, runs) {
        Ok(mut session) => session.run(s.steps.min(STEPS)),
        Err(e) => drop(e.to_string()),
    }
}
