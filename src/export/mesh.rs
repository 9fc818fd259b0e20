//! Surface meshes for Blender, MeshLab and ParaView: Wavefront OBJ (text) and PLY (binary
//! little-endian), each with the res × res grid vertices, 2·(res−1)² triangles, and every run's
//! projected path as a polyline.
//!
//! Geometry: a vertex sits at (a, b, loss) — the printed coordinates of the grid files (see
//! [`super::grid`]) and the raw loss as the height, so the file keeps exact numbers (scale it
//! in the viewer if the loss dwarfs the span). Axes follow each format's convention so that
//! Blender's default importers show both files the same way, the loss pointing up:
//! OBJ is Y-up (`v a loss −b`), PLY is Z-up (`a b loss`). Triangles wind counter-clockwise
//! seen from above, so normals point up. A path point's height is its true loss at θ.
//!
//! Non-finite losses (a diverging region) cannot go into a mesh: a NaN or +∞ height becomes
//! the largest finite loss of the grid and −∞ the smallest (0 if none is finite), and such
//! vertices are coloured magenta; every triangle is kept, so the counts never change. Heights
//! are clamped to f32's range (PLY stores f32). Path points whose θ is not finite are left out,
//! which can shorten a diverged run's polyline.
//!
//! Colour by height (per vertex in PLY as `uchar red/green/blue`, in OBJ as the `v x y z r g b`
//! extension that Blender and MeshLab read): a viridis-like ramp over [min, max] of the finite
//! losses, on log10(loss) when every loss is positive and they span more than two decades.
//! Paths get one colour per run.

use std::io::{self, Write};
use std::path::Path;

use crate::core::landscape::{Grid, Plane};

use super::grid::{RunPath, shown};

/// Colour of vertices whose loss is not finite.
pub const NON_FINITE_COLOUR: [u8; 3] = [255, 0, 255];

/// One colour per run, cycled.
pub const RUN_COLOURS: [[u8; 3]; 6] = [[230, 57, 70], [255, 183, 3], [33, 158, 188], [255, 255, 255], [142, 202, 230], [251, 133, 0]];

/// Writes the mesh to `path`: PLY for `.ply`, OBJ otherwise.
pub fn write_mesh(path: &Path, grid: &Grid, plane: &Plane, runs: &[RunPath]) -> io::Result<()> {
    let ply = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ply"));
    super::write_atomic(path, |w| if ply { write_ply(w, grid, plane, runs) } else { write_obj(w, grid, plane, runs) })
}

/// The mesh's vertices, triangles and polylines, before encoding.
struct Mesh {
    /// (a, b, height) in printed coordinates.
    vertices: Vec<[f64; 3]>,
    colours: Vec<[u8; 3]>,
    triangles: Vec<[u32; 3]>,
    /// Each polyline as vertex indices, with its label.
    lines: Vec<(String, Vec<u32>)>,
    /// Vertices belonging to the grid (the rest are path points).
    grid_vertices: usize,
}

/// Height and colour rules (module doc).
struct Heights {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Heights {
    fn of(grid: &Grid) -> Self {
        let (lo, hi) = grid.finite_range().unwrap_or((0.0, 0.0));
        let (lo, hi) = (lo.max(-(f32::MAX as f64)), hi.min(f32::MAX as f64));
        Self { lo, hi, log: lo > 0.0 && hi / lo > 100.0 }
    }

    /// The height drawn for `loss`.
    fn height(&self, loss: f64) -> f64 {
        if loss.is_nan() || loss > self.hi {
            if loss.is_finite() { loss.min(f32::MAX as f64) } else { self.hi }
        } else if loss < self.lo {
            if loss.is_finite() { loss.max(-(f32::MAX as f64)) } else { self.lo }
        } else {
            loss
        }
    }

    fn colour(&self, loss: f64) -> [u8; 3] {
        if !loss.is_finite() {
            return NON_FINITE_COLOUR;
        }
        let (v, lo, hi) = if self.log { (loss.log10(), self.lo.log10(), self.hi.log10()) } else { (loss, self.lo, self.hi) };
        let t = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 };
        ramp(t)
    }
}

/// A five-stop approximation of matplotlib's viridis at t ∈ [0, 1].
pub fn ramp(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] = [[68.0, 1.0, 84.0], [59.0, 82.0, 139.0], [33.0, 145.0, 140.0], [94.0, 201.0, 98.0], [253.0, 231.0, 37.0]];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let x = t * 4.0;
    let k = (x.floor() as usize).min(3);
    let f = x - k as f64;
    let c = |i: usize| (STOPS[k][i] + f * (STOPS[k + 1][i] - STOPS[k][i])).round().clamp(0.0, 255.0) as u8;
    [c(0), c(1), c(2)]
}

fn build(grid: &Grid, plane: &Plane, runs: &[RunPath]) -> Mesh {
    let h = Heights::of(grid);
    let res = grid.res;
    let mut m = Mesh { vertices: Vec::new(), colours: Vec::new(), triangles: Vec::new(), lines: Vec::new(), grid_vertices: 0 };
    if grid.is_curve() {
        for (i, &a) in grid.a.iter().enumerate() {
            m.vertices.push([shown(plane, 0, a), 0.0, h.height(grid.loss[i])]);
            m.colours.push(h.colour(grid.loss[i]));
        }
        m.lines.push(("curve".into(), (0..res as u32).collect()));
    } else {
        m.vertices.reserve(res * res);
        for (j, &b) in grid.b.iter().enumerate() {
            for (i, &a) in grid.a.iter().enumerate() {
                let loss = grid.loss[j * res + i];
                m.vertices.push([shown(plane, 0, a), shown(plane, 1, b), h.height(loss)]);
                m.colours.push(h.colour(loss));
            }
        }
        m.triangles.reserve(2 * (res - 1) * (res - 1));
        let at = |i: usize, j: usize| (j * res + i) as u32;
        for j in 0..res - 1 {
            for i in 0..res - 1 {
                m.triangles.push([at(i, j), at(i + 1, j), at(i + 1, j + 1)]);
                m.triangles.push([at(i, j), at(i + 1, j + 1), at(i, j + 1)]);
            }
        }
    }
    m.grid_vertices = m.vertices.len();
    for (r, run) in runs.iter().enumerate() {
        let first = m.vertices.len() as u32;
        for p in &run.points {
            let b = if grid.is_curve() { 0.0 } else { shown(plane, 1, p.b) };
            m.vertices.push([shown(plane, 0, p.a), b, h.height(p.loss)]);
            m.colours.push(RUN_COLOURS[r % RUN_COLOURS.len()]);
        }
        let last = m.vertices.len() as u32;
        if last > first {
            m.lines.push((format!("run {r}: {}", run.label), (first..last).collect()));
        }
    }
    m
}

/// f64 → f32 for the file, kept finite.
fn f32_of(v: f64) -> f32 {
    (v as f32).clamp(-f32::MAX, f32::MAX)
}

/// Wavefront OBJ: `o surface` with `v x y z r g b` vertices (Y-up: x = a, y = loss, z = −b;
/// colours in [0, 1]) and `f` triangles, then one `o` per run with its `v` points and an `l`
/// polyline. Indices are 1-based and global, as OBJ requires.
pub fn write_obj(w: &mut dyn Write, grid: &Grid, plane: &Plane, runs: &[RunPath]) -> io::Result<()> {
    use std::fmt::Write as _;
    let m = build(grid, plane, runs);
    let mut line = String::with_capacity(96);
    writeln!(
        w,
        "# losscape surface: loss over θ(a, b) = θc + a·d1 + b·d2 ({}: {} × {})",
        plane.info.directions.name(),
        plane.info.names[0],
        plane.info.names[1]
    )?;
    writeln!(
        w,
        "# axes: x = {}, y = loss, z = −({}); {} grid vertices, {} triangles",
        plane.info.names[0],
        plane.info.names[1],
        m.grid_vertices,
        m.triangles.len()
    )?;
    writeln!(w, "o surface")?;
    let vertex = |line: &mut String, k: usize| {
        let [a, b, h] = m.vertices[k];
        let [r, g, bl] = m.colours[k];
        let _ = writeln!(
            line,
            "v {:?} {:?} {:?} {:.4} {:.4} {:.4}",
            f32_of(a),
            f32_of(h),
            f32_of(-b),
            r as f64 / 255.0,
            g as f64 / 255.0,
            bl as f64 / 255.0
        );
    };
    for k in 0..m.grid_vertices {
        line.clear();
        vertex(&mut line, k);
        w.write_all(line.as_bytes())?;
    }
    for t in &m.triangles {
        line.clear();
        let _ = writeln!(line, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
        w.write_all(line.as_bytes())?;
    }
    for (name, idx) in &m.lines {
        if grid.is_curve() && name == "curve" {
            writeln!(w, "l {}", idx.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(" "))?;
            continue;
        }
        writeln!(w, "o {}", name.replace(['\n', '\r'], " "))?;
        for &k in idx {
            line.clear();
            vertex(&mut line, k as usize);
            w.write_all(line.as_bytes())?;
        }
        if idx.len() >= 2 {
            writeln!(w, "l {}", idx.iter().map(|i| (i + 1).to_string()).collect::<Vec<_>>().join(" "))?;
        }
    }
    Ok(())
}

/// Binary little-endian PLY (Z-up: x = a, y = b, z = loss): `vertex` (float x, y, z; uchar
/// red, green, blue), `face` (uchar count, int indices: the triangles) and `edge` (int vertex1,
/// vertex2: the path polylines, and the curve itself for a 1-parameter objective).
pub fn write_ply(w: &mut dyn Write, grid: &Grid, plane: &Plane, runs: &[RunPath]) -> io::Result<()> {
    let m = build(grid, plane, runs);
    let edges: Vec<[u32; 2]> = m.lines.iter().flat_map(|(_, idx)| idx.windows(2).map(|p| [p[0], p[1]])).collect();
    let names = &plane.info.names;
    let mut header = String::new();
    header.push_str("ply\nformat binary_little_endian 1.0\n");
    header
        .push_str(&format!("comment losscape surface: loss over theta(a, b) = theta_c + a*d1 + b*d2 ({})\n", plane.info.directions.name()));
    header.push_str(&format!(
        "comment x = {}, y = {}, z = loss; {} grid vertices, then path points\n",
        ascii(&names[0]),
        ascii(&names[1]),
        m.grid_vertices
    ));
    for (r, run) in runs.iter().enumerate() {
        header.push_str(&format!("comment run {r}: {}\n", ascii(&run.label)));
    }
    header.push_str(&format!("element vertex {}\n", m.vertices.len()));
    header
        .push_str("property float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n");
    header.push_str(&format!("element face {}\nproperty list uchar int vertex_indices\n", m.triangles.len()));
    header.push_str(&format!("element edge {}\nproperty int vertex1\nproperty int vertex2\n", edges.len()));
    header.push_str("end_header\n");
    w.write_all(header.as_bytes())?;
    let mut buf = Vec::with_capacity(15 * 4096);
    for (v, c) in m.vertices.iter().zip(&m.colours) {
        for x in [v[0], v[1], v[2]] {
            buf.extend_from_slice(&f32_of(x).to_le_bytes());
        }
        buf.extend_from_slice(c);
        if buf.len() >= 60_000 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    for t in &m.triangles {
        buf.push(3);
        for &i in t {
            buf.extend_from_slice(&(i as i32).to_le_bytes());
        }
        if buf.len() >= 60_000 {
            w.write_all(&buf)?;
            buf.clear();
        }
    }
    for e in &edges {
        for &i in e {
            buf.extend_from_slice(&(i as i32).to_le_bytes());
        }
    }
    w.write_all(&buf)
}

/// PLY headers are ASCII: replace anything else (θ, ·, →) by `?` and drop line breaks.
fn ascii(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}
