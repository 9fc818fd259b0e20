//! `losscape surface` end to end: the exact 2-parameter surface, curves, every direction rule,
//! grid JSON, meshes re-read from disk, non-finite regions, and bad arguments (exit 2, one line
//! on stderr, nothing written).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

fn lesson(name: &str) -> PathBuf {
    root().join("assets/scenes").join(name)
}

fn surface(scene: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_losscape")).arg("surface").arg(scene).args(args).output().expect("the binary runs")
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}, stderr: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// Rows of a CSV with a header, as numbers (`NaN`, `inf` parse too).
fn rows(text: &str) -> (String, Vec<Vec<f64>>) {
    let mut lines = text.lines();
    let header = lines.next().expect("header").to_string();
    let rows = lines.map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap_or_else(|_| panic!("number: {v:?}"))).collect()).collect();
    (header, rows)
}

const HOURS: [(f64, f64); 5] = [(2.0, 3.0), (4.0, 5.0), (6.0, 4.0), (8.0, 6.0), (10.0, 8.0)];

fn mse(w: f64, b: f64) -> f64 {
    HOURS.iter().map(|&(x, y)| (w * x + b - y).powi(2)).sum::<f64>() / 5.0
}

#[test]
fn two_parameters_give_the_exact_surface_over_w_and_b() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid.csv");
    ok(&surface(&data("hours_floor.ron"), &["--res", "21", "--span", "1", "--out", out.to_str().unwrap()]));
    let (header, rows) = rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(header, "a,b,loss");
    assert_eq!(rows.len(), 21 * 21);
    for r in &rows {
        let want = mse(r[0], r[1]);
        assert!((r[2] - want).abs() <= 1e-12 * want, "({}, {}): {} vs {want}", r[0], r[1], r[2]);
    }
    // The floor of the bowl, on the middle vertex: w = 0.55, b = 1.90, loss 0.54.
    let min = rows.iter().min_by(|x, y| x[2].total_cmp(&y[2])).unwrap();
    assert!((min[0] - 0.55).abs() < 1e-12 && (min[1] - 1.90).abs() < 1e-12, "{min:?}");
    assert!((min[2] - 0.54).abs() < 1e-12);
    assert_eq!(rows[0][..2], [0.55 - 1.0, 1.90 - 1.0]);
}

#[test]
fn the_lesson_scene_writes_csv_on_standard_output() {
    let text = ok(&surface(&lesson("03_hours_studied.ron"), &["--res", "7"]));
    let (header, rows) = rows(&text);
    assert_eq!(header, "a,b,loss");
    assert_eq!(rows.len(), 49);
    for r in &rows {
        assert!((r[2] - mse(r[0], r[1])).abs() <= 1e-12 * r[2].max(1.0));
    }
}

#[test]
fn one_parameter_gives_the_curve() {
    let (header, rows) = rows(&ok(&surface(&lesson("01_x_squared.ron"), &["--res", "7", "--span", "3"])));
    assert_eq!(header, "a,loss");
    assert_eq!(rows.len(), 7);
    for r in &rows {
        assert_eq!(r.len(), 2);
        assert!((r[1] - r[0] * r[0]).abs() <= 1e-12 * r[1]);
    }
    assert_eq!(rows[3][0], 10.0);
}

#[test]
fn grid_json_carries_the_plane_and_the_projected_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid.json");
    let stdout =
        ok(&surface(&data("small_net.ron"), &["--directions", "pca", "--center", "end", "--res", "8", "--out", out.to_str().unwrap()]));
    assert!(stdout.contains("PC1 explains"), "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["directions"], "pca");
    assert_eq!(doc["res"], 8);
    let ev = doc["explained_variance"].as_array().unwrap();
    assert!(ev[0].as_f64().unwrap() >= ev[1].as_f64().unwrap());
    let p = doc["center"].as_array().unwrap().len();
    assert_eq!(p, 13);
    assert_eq!(doc["d1"].as_array().unwrap().len(), p);
    assert_eq!(doc["param_names"].as_array().unwrap().len(), p);
    let loss = doc["loss"].as_array().unwrap();
    assert_eq!(loss.len(), 8);
    assert!(loss.iter().all(|r| r.as_array().unwrap().len() == 8));
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        let points = run["points"].as_array().unwrap();
        assert_eq!(points.len(), 41);
        let last = &points[40];
        assert_eq!(last["step"], 40);
        for key in ["a", "b", "loss", "distance"] {
            assert!(last[key].as_f64().unwrap().is_finite(), "{key}");
        }
    }
    // Run 0 ends on the centre.
    let end = &runs[0]["points"][40];
    assert!(end["a"].as_f64().unwrap().abs() < 1e-12 && end["distance"].as_f64().unwrap() < 1e-12);
}

#[test]
fn hessian_and_random_directions_report_what_they_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let text = ok(&surface(&data("small_net.ron"), &["--directions", "hessian", "--res", "4", "--out", &path("h.csv")]));
    assert!(text.contains("λ1 = ") && (text.contains("2/λ = ") || text.contains("no bound")), "{text}");
    let text = ok(&surface(
        &data("small_net.ron"),
        &["--directions", "random", "--seed", "3", "--include-bias", "--res", "4", "--out", &path("r.csv")],
    ));
    assert!(text.contains("random filter-normalised directions (seed 3, biases included)"), "{text}");
    // The time is given whole and in its parts: the replayed steps (the scene's, at most 1000)
    // with the plane, then the grid alone (what the width sweep compares with PyTorch's grid).
    let line = text.lines().find(|l| l.starts_with("surface: ")).unwrap();
    let seconds = |before: &str| -> f64 {
        let head = &line[..line.find(before).unwrap_or_else(|| panic!("no {before:?} in {line}"))];
        head.rsplit([' ', '(']).next().unwrap().parse().unwrap()
    };
    let (whole, sizing, grid) = (seconds(" s: "), seconds(" s replaying "), seconds(" s the grid)"));
    assert!(line.contains(&format!("replaying {SMALL_NET_STEPS} steps and building the plane")), "{line}");
    assert!((whole - sizing - grid).abs() <= 0.0015, "{line}");
    // Same seed, same file.
    let a = ok(&surface(&data("small_net.ron"), &["--directions", "random", "--seed", "3", "--res", "5"]));
    let b = ok(&surface(&data("small_net.ron"), &["--directions", "random", "--seed", "3", "--res", "5"]));
    assert_eq!(a, b);
    let c = ok(&surface(&data("small_net.ron"), &["--directions", "random", "--seed", "4", "--res", "5"]));
    assert_ne!(a, c);
}

/// `steps` of tests/data/small_net.ron.
const SMALL_NET_STEPS: u64 = 40;

/// A mesh re-read from disk.
#[derive(Default)]
struct Mesh {
    vertices: Vec<[f64; 3]>,
    colours: Vec<[f64; 3]>,
    faces: Vec<Vec<usize>>,
    edges: usize,
}

fn read_obj(path: &Path) -> Mesh {
    let mut m = Mesh::default();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let mut it = line.split_whitespace();
        match it.next() {
            Some("v") => {
                let v: Vec<f64> = it.map(|x| x.parse().unwrap()).collect();
                m.vertices.push([v[0], v[1], v[2]]);
                m.colours.push([v[3], v[4], v[5]]);
            }
            Some("f") => m.faces.push(it.map(|x| x.parse::<usize>().unwrap() - 1).collect()),
            Some("l") => {
                // One segment per `l` line: Blender 3.4 and MeshLab read only the first two
                // points of a longer one.
                let ends: Vec<usize> = it.map(|x| x.parse().unwrap()).collect();
                assert!(ends.len() == 2 && ends[1] == ends[0] + 1, "{line}");
                m.edges += 1;
            }
            _ => {}
        }
    }
    m
}

fn read_ply(path: &Path) -> Mesh {
    let bytes = std::fs::read(path).unwrap();
    let end = bytes.windows(11).position(|w| w == b"end_header\n").unwrap() + 11;
    let header = std::str::from_utf8(&bytes[..end]).unwrap();
    assert!(header.starts_with("ply\nformat binary_little_endian 1.0\n"));
    let count =
        |name: &str| -> usize { header.lines().find_map(|l| l.strip_prefix(&format!("element {name} "))).unwrap().parse().unwrap() };
    let f = |p: usize| f32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as f64;
    let i = |p: usize| i32::from_le_bytes(bytes[p..p + 4].try_into().unwrap()) as usize;
    let mut m = Mesh::default();
    let mut p = end;
    for _ in 0..count("vertex") {
        m.vertices.push([f(p), f(p + 4), f(p + 8)]);
        m.colours.push([0, 1, 2].map(|k| bytes[p + 12 + k] as f64 / 255.0));
        p += 15;
    }
    for _ in 0..count("face") {
        let k = bytes[p] as usize;
        m.faces.push((0..k).map(|q| i(p + 1 + 4 * q)).collect());
        p += 1 + 4 * k;
    }
    m.edges = count("edge");
    assert_eq!(p + 8 * m.edges, bytes.len());
    m
}

fn check_mesh(m: &Mesh, res: usize, path_points: usize, runs: usize) {
    assert_eq!(m.vertices.len(), res * res + path_points);
    assert_eq!(m.faces.len(), 2 * (res - 1) * (res - 1));
    assert!(m.faces.iter().all(|f| f.len() == 3 && f.iter().all(|&v| v < res * res)));
    assert!(m.vertices.iter().flatten().all(|v| v.is_finite()));
    assert!(m.colours.iter().flatten().all(|c| (0.0..=1.0).contains(c)));
    assert_eq!(m.edges, path_points - runs);
}

#[test]
fn meshes_open_with_the_right_counts() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["surface.obj", "surface.ply"] {
        let mesh = dir.path().join(name);
        ok(&surface(&data("small_net.ron"), &["--directions", "random", "--res", "12", "--mesh", mesh.to_str().unwrap()]));
        let m = if name.ends_with("obj") { read_obj(&mesh) } else { read_ply(&mesh) };
        // Two runs of 40 steps: 41 points each.
        check_mesh(&m, 12, 82, 2);
    }
}

#[test]
fn diverging_regions_do_not_break_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, ply, obj) = (dir.path().join("g.csv"), dir.path().join("m.ply"), dir.path().join("m.obj"));
    ok(&surface(&data("log_surface.ron"), &["--out", csv.to_str().unwrap(), "--mesh", ply.to_str().unwrap()]));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains(",NaN\n"), "{text}");
    let (_, rows) = rows(&text);
    assert_eq!(rows.len(), 81);
    let m = read_ply(&ply);
    check_mesh(&m, 9, m.vertices.len() - 81, 1);
    assert!(m.colours.contains(&[1.0, 0.0, 1.0]), "non-finite vertices are magenta");
    ok(&surface(&data("log_surface.ron"), &["--mesh", obj.to_str().unwrap()]));
    let m = read_obj(&obj);
    assert!(m.vertices.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn a_diverged_run_does_not_stretch_the_mesh() {
    // Lesson 8's unclipped run reaches |θ| ~ 1e150: its points beyond f32 are left out of the
    // mesh instead of being written clamped to ±3.4e38.
    let dir = tempfile::tempdir().unwrap();
    let ply = dir.path().join("m.ply");
    let args = ["--res", "8", "--steps", "60", "--mesh", ply.to_str().unwrap()];
    ok(&surface(&lesson("08_exploding.ron"), &[&["--span", "3"], &args[..]].concat()));
    let m = read_ply(&ply);
    assert!(m.vertices.len() > 64 && m.vertices.len() < 64 + 2 * 61, "some points of run 0 are left out: {}", m.vertices.len());
    assert!(m.vertices.iter().flatten().all(|v| v.abs() < f32::MAX as f64), "no coordinate clamped to ±3.4e38");
    // Without --span the surface is the app's: sized from the tame part of each path (issue
    // 13 reversed the old refusal), so every vertex is finite and within f32.
    std::fs::remove_file(&ply).unwrap();
    let out = surface(&lesson("08_exploding.ron"), &args);
    let text = ok(&out);
    assert!(!text.contains("non-finite"), "{text}");
    let m = read_ply(&ply);
    assert!(m.vertices[..64].iter().flatten().all(|v| v.is_finite() && v.abs() < 1e6), "the 8×8 surface is a small slice");
}

#[test]
fn bad_arguments_exit_2_with_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid.csv");
    let mesh = dir.path().join("surface.ply");
    let o = out.to_str().unwrap();
    let m = mesh.to_str().unwrap();
    let small = data("small_net.ron");
    let cases: Vec<(PathBuf, Vec<&str>, &str)> = vec![
        (small.clone(), vec!["--res", "0"], "--res"),
        (small.clone(), vec!["--res", "100000"], "4096"),
        (small.clone(), vec!["--res", "1"], "--res"),
        (small.clone(), vec!["--span", "0"], "--span"),
        (small.clone(), vec!["--span", "-1"], "--span"),
        (small.clone(), vec!["--span", "nan"], "--span"),
        (small.clone(), vec!["--directions", "sideways"], "axes, random, pca, hessian"),
        (small.clone(), vec!["--directions", "pca", "--steps", "0"], "pca"),
        (data("hours_floor.ron"), vec!["--directions", "pca"], "pca"),
        (small.clone(), vec!["--center", "middle"], "--center"),
        (small.clone(), vec!["--axes", "0,0"], "--axes"),
        (small.clone(), vec!["--axes", "0,99"], "--axes"),
        (small.clone(), vec!["--axes", "zero"], "--axes"),
        (small.clone(), vec!["--directions", "axes", "--seed", "3"], "--seed"),
        (small.clone(), vec!["--mesh", "surface.stl"], "--mesh"),
        (small.clone(), vec!["--res", "abc"], "--res"),
        (dir.path().join("missing.ron"), vec![], "missing.ron"),
    ];
    for (scene, args, needle) in cases {
        let mut all = args.clone();
        all.extend(["--out", o, "--mesh", m]);
        // `--mesh surface.stl` must win over the valid one for that case: put it last.
        if args.contains(&"surface.stl") {
            all = args.clone();
            all.extend(["--out", o]);
        }
        let r = surface(&scene, &all);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: one line, got {stderr:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr:?} should mention {needle}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!out.exists() && !mesh.exists(), "{args:?} wrote a file");
    }
    // A wrong --out extension.
    let r = surface(&small, &["--out", dir.path().join("grid.txt").to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written, not even a temporary file");
}

/// The app's "Recentre on ball" is saved as `surface.center: at([..])`; `losscape surface`
/// then slices through exactly those parameters, in both scene formats, and a centre of the
/// wrong length is refused naming the field.
#[test]
fn a_saved_centre_is_the_slice_centre() {
    let dir = tempfile::tempdir().unwrap();
    let mut scene = losscape::scene::load(&data("small_net.ron")).unwrap();
    let dim = scene.build(&data("small_net.ron")).unwrap().dim();
    let theta: Vec<f64> = (0..dim).map(|i| 0.25 * i as f64 - 1.0).collect();
    scene.surface.center = losscape::scene::Center::At(theta.clone());
    for name in ["centred.ron", "centred.json"] {
        let path = dir.path().join(name);
        losscape::scene::save(&path, &scene).unwrap();
        assert_eq!(losscape::scene::load(&path).unwrap(), scene, "{name} round-trips");
        let out = dir.path().join(format!("{name}.grid.json"));
        ok(&surface(&path, &["--directions", "random", "--res", "4", "--span", "0.5", "--out", out.to_str().unwrap()]));
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let center: Vec<f64> = doc["center"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(center, theta, "{name}");
        // --center on the command line still wins over the scene.
        ok(&surface(
            &path,
            &["--center", "start", "--directions", "random", "--res", "4", "--span", "0.5", "--out", out.to_str().unwrap()],
        ));
        let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_ne!(doc["center"][0].as_f64().unwrap(), theta[0]);
    }
    scene.surface.center = losscape::scene::Center::At(vec![0.0; dim + 1]);
    let wrong = dir.path().join("wrong.ron");
    losscape::scene::save(&wrong, &scene).unwrap();
    let out = surface(&wrong, &["--res", "4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong.ron") && err.contains("surface.center.at") && err.contains(&format!("has {} values", dim + 1)), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
