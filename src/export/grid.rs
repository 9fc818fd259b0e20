//! Grid files: the loss over a plane as CSV (`a,b,loss`, one row per vertex) or as one JSON
//! document with the plane, the axes, the loss matrix and every run's path projected on it.
//!
//! Coordinates are printed as users read them: `origin + offset`, where
//! [`PlaneInfo::origin`](crate::core::landscape::PlaneInfo::origin) is the centre's value of
//! the two parameters for `axes` (so a 2-parameter objective's CSV holds the parameters
//! themselves: the exact surface) and 0 for computed directions (offsets along d₁, d₂).
//! Floats are shortest round-trip; a diverging loss is written `NaN` / `inf` in CSV and `null`
//! in JSON (which has no NaN).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::core::format::push_exact;
use crate::core::landscape::{Directions, Grid, PathPoint, Plane};
use crate::core::{Objective, Run};

/// One run's path projected on the plane, as the grid JSON and the meshes draw it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPath {
    /// The run's legend label.
    pub label: String,
    /// Its finite rows, projected (offsets, not yet shifted by the origin).
    pub points: Vec<PathPoint>,
}

/// `losscape surface`'s grid CSV for the scene text `text` (`name`'s extension gives the
/// format) with the scene's own surface settings: the web page's core computes it for the
/// browser test, which compares it with the desktop's, value for value.
pub fn surface_text(name: &Path, text: &str) -> Result<String, String> {
    use crate::core::landscape::{Progress, survey};
    let scene = crate::scene::parse(text, crate::scene::Format::of(name).map_err(|e| e.to_string())?, name).map_err(|e| e.to_string())?;
    let objective = scene.build_in(Path::new("")).map_err(|e| crate::scene::located(text, name, e).to_string())?;
    crate::core::session::check_path_memory(objective.dim(), scene.runs.len(), scene.steps).map_err(|e| e.to_string())?;
    let done = survey(&objective, &scene.survey_spec(&objective), &Progress::default()).map_err(|e| e.to_string())?;
    let mut csv = Vec::new();
    write_grid_csv(&mut csv, &done.grid, &done.plane).map_err(|e| e.to_string())?;
    String::from_utf8(csv).map_err(|e| e.to_string())
}

/// Projects every run's recorded path on `plane`.
pub fn project_runs(plane: &Plane, runs: &[Run]) -> Vec<RunPath> {
    runs.iter().map(|r| RunPath { label: r.spec.label(), points: plane.project_path(&r.trajectory) }).collect()
}

/// The printed coordinate of offset `v` along axis `k`.
pub(crate) fn shown(plane: &Plane, k: usize, v: f64) -> f64 {
    plane.info.origin[k] + v
}

/// Writes the grid to `path`, CSV or JSON by extension (anything but `.json` is CSV).
pub fn write_grid(path: &Path, grid: &Grid, plane: &Plane, objective: &Objective, runs: &[RunPath]) -> io::Result<()> {
    super::write_atomic(path, |w| write_grid_as(w, path, grid, plane, objective, runs))
}

/// Writes the grid into `w` in the format `path`'s extension names.
pub fn write_grid_as(
    w: &mut dyn Write,
    path: &Path,
    grid: &Grid,
    plane: &Plane,
    objective: &Objective,
    runs: &[RunPath],
) -> io::Result<()> {
    if super::is_json(path) { write_grid_json(w, grid, plane, objective, runs) } else { write_grid_csv(w, grid, plane) }
}

/// DESIGN.md's grid CSV: header `a,b,loss` and res × res rows, b the outer loop
/// (`loss[j * res + i]` is row `j * res + i`); a curve has header `a,loss` and res rows.
pub fn write_grid_csv(w: &mut dyn Write, grid: &Grid, plane: &Plane) -> io::Result<()> {
    let mut fmt = zmij::Buffer::new();
    let mut line = String::with_capacity(96);
    if grid.is_curve() {
        w.write_all(b"a,loss\n")?;
        for (i, &a) in grid.a.iter().enumerate() {
            line.clear();
            push_exact(&mut line, &mut fmt, shown(plane, 0, a));
            line.push(',');
            push_exact(&mut line, &mut fmt, grid.loss[i]);
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
        return Ok(());
    }
    w.write_all(b"a,b,loss\n")?;
    let a: Vec<f64> = grid.a.iter().map(|&v| shown(plane, 0, v)).collect();
    for (j, &b) in grid.b.iter().enumerate() {
        let b = shown(plane, 1, b);
        for (i, &a) in a.iter().enumerate() {
            line.clear();
            for (k, v) in [a, b, grid.loss[j * grid.res + i]].into_iter().enumerate() {
                if k > 0 {
                    line.push(',');
                }
                push_exact(&mut line, &mut fmt, v);
            }
            line.push('\n');
            w.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonGrid<'a> {
    res: usize,
    curve: bool,
    directions: &'a Directions,
    axis_names: &'a [String; 2],
    origin: [f64; 2],
    explained_variance: Option<[f64; 2]>,
    eigenvalues: Option<[f64; 2]>,
    max_stable_lr: [Option<f64>; 2],
    param_names: Vec<String>,
    center: &'a [f64],
    d1: &'a [f64],
    d2: Option<&'a [f64]>,
    a: Vec<f64>,
    b: Vec<f64>,
    loss: Vec<&'a [f64]>,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    label: &'a str,
    points: Vec<JsonPoint>,
}

#[derive(Serialize)]
struct JsonPoint {
    step: u64,
    a: f64,
    b: f64,
    loss: f64,
    distance: f64,
}

/// One JSON document a notebook can plot without recomputing anything:
///
/// - `res`, `curve`, `directions` (the rule, with its seed), `axis_names`, `origin`;
/// - `explained_variance` (PCA), `eigenvalues` and `max_stable_lr` = 2/λ (Hessian), else `null`;
/// - `param_names`, `center`, `d1`, `d2` (θ(a, b) = center + (a − origin₀)·d1 + (b − origin₁)·d2);
/// - `a`, `b`: the axis values (printed coordinates, see the module doc);
/// - `loss`: the matrix, `loss[j][i]` at (a\[i\], b\[j\]) — a flat list for a curve;
/// - `runs`: per run its `label` and `points` (`step`, `a`, `b`, the true `loss` at θ, and
///   `distance` of θ from the plane).
pub fn write_grid_json(w: &mut dyn Write, grid: &Grid, plane: &Plane, objective: &Objective, runs: &[RunPath]) -> io::Result<()> {
    let loss: Vec<&[f64]> = if grid.is_curve() { vec![&grid.loss[..]] } else { grid.loss.chunks(grid.res.max(1)).collect() };
    let doc = JsonGrid {
        res: grid.res,
        curve: grid.is_curve(),
        directions: &plane.info.directions,
        axis_names: &plane.info.names,
        origin: plane.info.origin,
        explained_variance: plane.info.explained_variance,
        eigenvalues: plane.info.eigenvalues,
        max_stable_lr: plane.info.max_stable_lr(),
        param_names: (0..objective.dim()).map(|i| objective.param_name(i)).collect(),
        center: &plane.center,
        d1: &plane.d1,
        d2: plane.d2.as_deref(),
        a: grid.a.iter().map(|&v| shown(plane, 0, v)).collect(),
        b: grid.b.iter().map(|&v| shown(plane, 1, v)).collect(),
        loss,
        runs: runs
            .iter()
            .map(|r| JsonRun {
                label: &r.label,
                points: r
                    .points
                    .iter()
                    .map(|p| JsonPoint {
                        step: p.step,
                        a: shown(plane, 0, p.a),
                        b: shown(plane, 1, p.b),
                        loss: p.loss,
                        distance: p.distance,
                    })
                    .collect(),
            })
            .collect(),
    };
    if grid.is_curve() {
        // A curve's loss is a flat list, not a one-row matrix.
        let mut value = serde_json::to_value(&doc).map_err(io::Error::other)?;
        value["loss"] = serde_json::to_value(&grid.loss).map_err(io::Error::other)?;
        serde_json::to_writer(&mut *w, &value).map_err(io::Error::other)?;
    } else {
        serde_json::to_writer(&mut *w, &doc).map_err(io::Error::other)?;
    }
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::landscape::{GridSpec, Progress, build_plane, compute_grid};
    use crate::core::{CoreError, CsvSource, FunctionSpec, ObjectiveSpec, OptimizerConfig, RunSpec, Session, Sgd, Table};
    use std::sync::Arc;

    fn function(expr: &str, start: &[f64]) -> Arc<Objective> {
        let spec = ObjectiveSpec::Function(FunctionSpec { expr: expr.into(), start: start.to_vec() });
        Arc::new(spec.build(&|_: &CsvSource| -> Result<Table, CoreError> { unreachable!() }).unwrap())
    }

    fn surface(expr: &str, start: &[f64], dirs: &Directions, res: usize, span: f64) -> (Arc<Objective>, Plane, Grid, Vec<RunPath>) {
        let o = function(expr, start);
        let mut s = Session::new(o.clone(), &[RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() }))]).unwrap();
        s.run(3);
        let plane = build_plane(&o, o.start(), dirs, Some(&s.runs[0].trajectory)).unwrap();
        let grid = compute_grid(&o, &plane, &GridSpec { res, span }, &Progress::default()).unwrap();
        let runs = project_runs(&plane, &s.runs);
        (o, plane, grid, runs)
    }

    fn csv(grid: &Grid, plane: &Plane) -> String {
        let mut out = Vec::new();
        write_grid_csv(&mut out, grid, plane).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn axes_csv_prints_the_parameters_themselves() {
        let (_, plane, grid, _) = surface("(x - 1)^2 + 2*y^2", &[1.0, 2.0], &Directions::default(), 3, 0.5);
        let text = csv(&grid, &plane);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a,b,loss");
        assert_eq!(lines.len(), 1 + 9);
        // (x, y) = (0.5, 1.5): 0.25 + 4.5; b is the outer loop.
        assert_eq!(lines[1], "0.5,1.5,4.75");
        assert_eq!(lines[2], "1.0,1.5,4.5");
        assert_eq!(lines[4], "0.5,2.0,8.25");
    }

    #[test]
    fn a_curve_is_a_comma_loss() {
        let (_, plane, grid, _) = surface("x^2", &[10.0], &Directions::default(), 5, 12.0);
        let text = csv(&grid, &plane);
        assert_eq!(text.lines().collect::<Vec<_>>(), ["a,loss", "-2.0,4.0", "4.0,16.0", "10.0,100.0", "16.0,256.0", "22.0,484.0"]);
    }

    #[test]
    fn non_finite_losses_are_written_as_nan_and_inf() {
        // ln(x): NaN for x < 0, −∞ at x = 0.
        let (o, plane, grid, runs) = surface("ln(x) + y^2", &[0.0, 0.0], &Directions::default(), 3, 1.0);
        let text = csv(&grid, &plane);
        assert!(text.contains("-1.0,-1.0,NaN"), "{text}");
        assert!(text.contains("0.0,0.0,-inf"), "{text}");
        for line in text.lines().skip(1) {
            let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
            assert_eq!(v.len(), 3);
        }
        let mut out = Vec::new();
        write_grid_json(&mut out, &grid, &plane, &o, &runs).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(doc["loss"][1][0].is_null());
    }

    #[test]
    fn json_has_everything_a_notebook_needs() {
        let (o, plane, grid, runs) = surface("x^2 + 3*y^2 + z^2", &[1.0, 1.0, 1.0], &Directions::Hessian, 4, 0.5);
        let mut out = Vec::new();
        write_grid_json(&mut out, &grid, &plane, &o, &runs).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["res"], 4);
        assert_eq!(doc["directions"], "hessian");
        assert_eq!(doc["axis_names"], serde_json::json!(["v1", "v2"]));
        assert_eq!(doc["param_names"], serde_json::json!(["x", "y", "z"]));
        let eig = doc["eigenvalues"].as_array().unwrap();
        assert!((eig[0].as_f64().unwrap() - 6.0).abs() < 1e-8);
        assert!((doc["max_stable_lr"][0].as_f64().unwrap() - 2.0 / 6.0).abs() < 1e-8);
        assert_eq!(doc["center"].as_array().unwrap().len(), 3);
        assert_eq!(doc["d1"].as_array().unwrap().len(), 3);
        assert_eq!(doc["a"].as_array().unwrap().len(), 4);
        let loss = doc["loss"].as_array().unwrap();
        assert_eq!(loss.len(), 4);
        assert!(loss.iter().all(|row| row.as_array().unwrap().len() == 4));
        assert_eq!(loss[2][1].as_f64().unwrap(), grid.at(1, 2));
        let points = doc["runs"][0]["points"].as_array().unwrap();
        assert_eq!(points.len(), 4);
        for key in ["step", "a", "b", "loss", "distance"] {
            assert!(points[3][key].is_number(), "{key}");
        }
        assert_eq!(points[0]["distance"].as_f64().unwrap(), 0.0);
        assert_eq!(points[0]["loss"].as_f64().unwrap(), 5.0);
    }

    #[test]
    fn write_grid_picks_the_format_by_extension() {
        let (o, plane, grid, runs) = surface("x^2 + y^2", &[0.0, 0.0], &Directions::default(), 2, 1.0);
        let dir = tempfile::tempdir().unwrap();
        let (c, j) = (dir.path().join("g.csv"), dir.path().join("g.JSON"));
        write_grid(&c, &grid, &plane, &o, &runs).unwrap();
        write_grid(&j, &grid, &plane, &o, &runs).unwrap();
        assert!(std::fs::read_to_string(&c).unwrap().starts_with("a,b,loss\n"));
        assert!(std::fs::read_to_string(&j).unwrap().starts_with('{'));
    }
}
