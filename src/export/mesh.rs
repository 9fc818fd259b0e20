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
//! are clamped to f32's range (PLY stores f32). Path points whose θ is not finite are left
//! out, and so are those beyond f32's range (|a|, |b| or a finite loss over 3.4e38: a diverged
//! run), which can shorten a run's polyline: clamped, they would be false numbers piled on
//! ±3.4e38. The points a diverged run has within that range are kept, and they stretch the
//! bounding box: frame the surface object, not the whole scene. A grid whose own coordinates
//! are beyond f32's range (a span that covers a diverged run) is refused with an error, as all
//! its vertices would collapse onto the clamp.
//!
//! Checked by opening the files in Blender 3.4 and MeshLab (scripts/check_meshes_*.py): OBJ
//! polylines are written one `l i j` segment per line, because both importers keep only the
//! first segment of `l i j k …`. Blender's PLY importer keeps colour per face corner, so the
//! path points, in no face, show no colour there.
//!
//! Colour by height (per vertex in PLY as `uchar red/green/blue`, in OBJ as the `v x y z r g b`
//! extension that Blender and MeshLab read): the app's colours, from [`crate::mesh`] — viridis
//! over [min, max] of the finite losses, on log10(loss) when the scene's `surface.log_height`
//! is on. Paths get one colour per run, the colour of their ball.

use std::io::{self, Write};
use std::path::Path;

use crate::core::landscape::{Grid, Plane};
use crate::mesh::{HeightScale, run_colour, to_bytes};

use super::grid::{RunPath, shown};

/// Writes the mesh to `path`: PLY for `.ply`, OBJ otherwise.
pub fn write_mesh(path: &Path, grid: &Grid, plane: &Plane, runs: &[RunPath], log: bool) -> io::Result<()> {
    super::write_atomic(path, |w| write_mesh_as(w, path, grid, plane, runs, log))
}

/// Writes the mesh into `w` in the format `path`'s extension names (PLY for `.ply`, OBJ otherwise).
/// `log` colours by log10(loss), as the scene's `surface.log_height` draws it on screen.
pub fn write_mesh_as(w: &mut dyn Write, path: &Path, grid: &Grid, plane: &Plane, runs: &[RunPath], log: bool) -> io::Result<()> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ply")) {
        write_ply(w, grid, plane, runs, log)
    } else {
        write_obj(w, grid, plane, runs, log)
    }
}

/// The mesh described without materialising it: vertices and triangles are generated while
/// writing, so a 4096² mesh costs no more memory than its grid.
struct Mesh<'a> {
    grid: &'a Grid,
    plane: &'a Plane,
    /// The runs with only the path points a mesh file can hold (module doc).
    runs: Vec<RunPath>,
    heights: Heights,
    /// Polylines as (name, first vertex, one past the last).
    lines: Vec<(String, u32, u32)>,
}

impl<'a> Mesh<'a> {
    fn new(grid: &'a Grid, plane: &'a Plane, runs: &[RunPath], log: bool) -> io::Result<Self> {
        let fits = |v: f64| v.abs() <= f32::MAX as f64;
        for (k, axis) in [&grid.a, &grid.b].into_iter().enumerate().take(if grid.is_curve() { 1 } else { 2 }) {
            if let Some(v) = axis.iter().map(|&v| shown(plane, k, v)).find(|&v| !fits(v)) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the grid reaches {} = {v:e}, beyond the ±3.4e38 that a mesh file's 32-bit floats hold; give a smaller --span",
                        plane.info.names[k]
                    ),
                ));
            }
        }
        let runs: Vec<RunPath> = runs
            .iter()
            .map(|r| RunPath {
                label: r.label.clone(),
                points: r
                    .points
                    .iter()
                    .copied()
                    .filter(|p| fits(shown(plane, 0, p.a)) && (grid.is_curve() || fits(shown(plane, 1, p.b))))
                    // A non-finite loss is drawn at the grid's range like the grid's own.
                    .filter(|p| fits(p.loss) || !p.loss.is_finite())
                    .collect(),
            })
            .collect();
        let mut lines = Vec::new();
        let mut next = Self::grid_vertex_count(grid) as u32;
        if grid.is_curve() {
            lines.push(("curve".to_string(), 0, next));
        }
        for (r, run) in runs.iter().enumerate() {
            let end = next + run.points.len() as u32;
            if run.points.len() >= 2 {
                lines.push((format!("run {r}: {}", run.label), next, end));
            }
            next = end;
        }
        Ok(Self { grid, plane, runs, heights: Heights::of(grid, log), lines })
    }

    fn grid_vertex_count(grid: &Grid) -> usize {
        if grid.is_curve() { grid.res } else { grid.res * grid.res }
    }

    fn vertex_count(&self) -> usize {
        Self::grid_vertex_count(self.grid) + self.runs.iter().map(|r| r.points.len()).sum::<usize>()
    }

    fn triangle_count(&self) -> usize {
        if self.grid.is_curve() { 0 } else { 2 * (self.grid.res - 1) * (self.grid.res - 1) }
    }

    /// Every vertex in file order, (a, b, height) in printed coordinates and its colour: the
    /// grid row by row, then each run's path points.
    fn vertices(&self) -> impl Iterator<Item = ([f64; 3], [u8; 3])> + '_ {
        let (g, p, h) = (self.grid, self.plane, &self.heights);
        let grid = crate::mesh::vertices(g).map(move |[a, b, l]| {
            let b = if g.is_curve() { 0.0 } else { shown(p, 1, b) };
            ([shown(p, 0, a), b, h.height(l)], h.colour(l))
        });
        let paths = self.runs.iter().enumerate().flat_map(move |(r, run)| {
            run.points.iter().map(move |pt| {
                let b = if g.is_curve() { 0.0 } else { shown(p, 1, pt.b) };
                ([shown(p, 0, pt.a), b, h.height(pt.loss)], to_bytes(run_colour(r)))
            })
        });
        grid.chain(paths)
    }

    /// The triangles, two per grid cell, counter-clockwise seen from above.
    fn triangles(&self) -> impl Iterator<Item = [u32; 3]> + '_ {
        crate::mesh::triangles(self.grid)
    }
}

/// Heights and colours (module doc): the raw loss as the height, with non-finite losses put at
/// the ends of the finite range; the colour the app gives the same vertex.
struct Heights {
    lo: f64,
    hi: f64,
    scale: HeightScale,
}

impl Heights {
    fn of(grid: &Grid, log: bool) -> Self {
        let (lo, hi) = grid.finite_range().unwrap_or((0.0, 0.0));
        let (lo, hi) = (lo.max(-(f32::MAX as f64)), hi.min(f32::MAX as f64));
        Self { lo, hi, scale: HeightScale::of(grid, log) }
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
        to_bytes(self.scale.colour(loss))
    }
}

/// f64 → f32 for the file, kept finite.
fn f32_of(v: f64) -> f32 {
    (v as f32).clamp(-f32::MAX, f32::MAX)
}

/// Wavefront OBJ: `o surface` with `v x y z r g b` vertices (Y-up: x = a, y = loss, z = −b;
/// colours in [0, 1], see [`obj_channel`]) and `f` triangles, then one `o` per run with its `v` points and its
/// polyline as two-point `l` segments. Indices are 1-based and global, as OBJ requires.
pub fn write_obj(w: &mut dyn Write, grid: &Grid, plane: &Plane, runs: &[RunPath], log: bool) -> io::Result<()> {
    use std::fmt::Write as _;
    let m = Mesh::new(grid, plane, runs, log)?;
    let names = &plane.info.names;
    let grid_vertices = Mesh::grid_vertex_count(grid);
    writeln!(
        w,
        "# losscape surface: loss over θ(a, b) = θc + a·d1 + b·d2 ({}: {} × {})",
        plane.info.directions.name(),
        names[0],
        names[1]
    )?;
    writeln!(
        w,
        "# axes: x = {}, y = loss, z = −({}); {grid_vertices} grid vertices, {} triangles",
        names[0],
        names[1],
        m.triangle_count()
    )?;
    writeln!(w, "o surface")?;
    let mut line = String::with_capacity(96);
    let mut vertices = m.vertices();
    let mut put = |w: &mut dyn Write, count: usize| -> io::Result<()> {
        for ([a, b, h], [r, g, bl]) in vertices.by_ref().take(count) {
            line.clear();
            let _ = writeln!(
                line,
                "v {:?} {:?} {:?} {:.6} {:.6} {:.6}",
                f32_of(a),
                f32_of(h),
                f32_of(-b),
                obj_channel(r),
                obj_channel(g),
                obj_channel(bl)
            );
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    };
    put(w, grid_vertices)?;
    let mut text = String::with_capacity(64);
    for t in m.triangles() {
        text.clear();
        let _ = writeln!(text, "f {} {} {}", t[0] + 1, t[1] + 1, t[2] + 1);
        w.write_all(text.as_bytes())?;
    }
    let mut lines = m.lines.iter();
    if grid.is_curve()
        && let Some((_, first, end)) = lines.next()
    {
        write_polyline(w, *first, *end)?;
    }
    for (r, run) in m.runs.iter().enumerate() {
        if run.points.is_empty() {
            continue;
        }
        writeln!(w, "o run {r}: {}", run.label.replace(['\n', '\r'], " "))?;
        put(w, run.points.len())?;
        if run.points.len() >= 2
            && let Some((_, first, end)) = lines.next()
        {
            write_polyline(w, *first, *end)?;
        }
    }
    Ok(())
}

/// A colour byte as OBJ's [0, 1] value, written with `{:.6}`: c/255 rounded up, so that the
/// byte comes back whether a reader rounds x·255 (Blender) or truncates it (MeshLab read
/// `0.2235` as 56, not 57, in half the channels when we wrote four decimals).
fn obj_channel(c: u8) -> f64 {
    (c as f64 / 255.0 + 5e-7).min(1.0)
}

/// The polyline over vertices first..end as one `l i j` line per segment (1-based in the
/// file). OBJ allows `l i j k …`, but Blender 3.4's importer and MeshLab's (vcglib) keep only
/// its first segment and drop the rest of the path's points.
fn write_polyline(w: &mut dyn Write, first: u32, end: u32) -> io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(24 * (end - first) as usize);
    for i in first..end.saturating_sub(1) {
        let _ = writeln!(text, "l {} {}", i + 1, i + 2);
    }
    w.write_all(text.as_bytes())
}

/// Binary little-endian PLY (Z-up: x = a, y = b, z = loss): `vertex` (float x, y, z; uchar
/// red, green, blue), `face` (uchar count, int indices: the triangles) and `edge` (int vertex1,
/// vertex2: the path polylines, and the curve itself for a 1-parameter objective).
pub fn write_ply(w: &mut dyn Write, grid: &Grid, plane: &Plane, runs: &[RunPath], log: bool) -> io::Result<()> {
    let m = Mesh::new(grid, plane, runs, log)?;
    let edges: usize = m.lines.iter().map(|(_, first, end)| (end - first - 1) as usize).sum();
    let names = &plane.info.names;
    let mut header = String::new();
    header.push_str("ply\nformat binary_little_endian 1.0\n");
    header
        .push_str(&format!("comment losscape surface: loss over theta(a, b) = theta_c + a*d1 + b*d2 ({})\n", plane.info.directions.name()));
    header.push_str(&format!(
        "comment x = {}, y = {}, z = loss; {} grid vertices, then path points\n",
        ascii(&names[0]),
        ascii(&names[1]),
        Mesh::grid_vertex_count(grid)
    ));
    for (r, run) in m.runs.iter().enumerate() {
        header.push_str(&format!("comment run {r}: {}\n", ascii(&run.label)));
    }
    header.push_str(&format!("element vertex {}\n", m.vertex_count()));
    header
        .push_str("property float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n");
    header.push_str(&format!("element face {}\nproperty list uchar int vertex_indices\n", m.triangle_count()));
    header.push_str(&format!("element edge {edges}\nproperty int vertex1\nproperty int vertex2\n"));
    header.push_str("end_header\n");
    w.write_all(header.as_bytes())?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let flush = |buf: &mut Vec<u8>, w: &mut dyn Write| -> io::Result<()> {
        if buf.len() >= 60_000 {
            w.write_all(buf)?;
            buf.clear();
        }
        Ok(())
    };
    for (v, c) in m.vertices() {
        for x in v {
            buf.extend_from_slice(&f32_of(x).to_le_bytes());
        }
        buf.extend_from_slice(&c);
        flush(&mut buf, w)?;
    }
    for t in m.triangles() {
        buf.push(3);
        for i in t {
            buf.extend_from_slice(&(i as i32).to_le_bytes());
        }
        flush(&mut buf, w)?;
    }
    for (_, first, end) in &m.lines {
        for i in *first..end - 1 {
            buf.extend_from_slice(&(i as i32).to_le_bytes());
            buf.extend_from_slice(&(i as i32 + 1).to_le_bytes());
            flush(&mut buf, w)?;
        }
    }
    w.write_all(&buf)
}

/// PLY headers are ASCII: replace anything else (θ, ·, →) by `?` and drop line breaks.
fn ascii(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}

/// Readers used by the tests (here and in `tests/landscape_cli.rs`, which has its own copy).
#[cfg(test)]
pub(crate) mod read {
    /// What a mesh file holds.
    #[derive(Debug, Default)]
    pub struct MeshFile {
        pub vertices: Vec<[f32; 3]>,
        pub colours: Vec<[f64; 3]>,
        pub faces: Vec<Vec<usize>>,
        pub edges: Vec<[usize; 2]>,
    }

    /// Parses the OBJ this module writes (`v x y z r g b`, `f`, `l`; 1-based indices).
    pub fn obj(text: &str) -> MeshFile {
        let mut m = MeshFile::default();
        for line in text.lines() {
            let mut it = line.split_whitespace();
            match it.next() {
                Some("v") => {
                    let v: Vec<f64> = it.map(|x| x.parse().expect("number")).collect();
                    assert_eq!(v.len(), 6, "{line}");
                    m.vertices.push([v[0] as f32, v[1] as f32, v[2] as f32]);
                    m.colours.push([v[3], v[4], v[5]]);
                }
                Some("f") => m.faces.push(it.map(|x| x.parse::<usize>().expect("index") - 1).collect()),
                Some("l") => {
                    let idx: Vec<usize> = it.map(|x| x.parse::<usize>().expect("index") - 1).collect();
                    m.edges.extend(idx.windows(2).map(|p| [p[0], p[1]]));
                }
                _ => {}
            }
        }
        m
    }

    /// Parses the binary little-endian PLY this module writes.
    pub fn ply(bytes: &[u8]) -> MeshFile {
        let end = bytes.windows(11).position(|w| w == b"end_header\n").expect("header") + 11;
        let header = std::str::from_utf8(&bytes[..end]).expect("ascii header");
        assert!(header.starts_with("ply\nformat binary_little_endian 1.0\n"));
        let count = |name: &str| -> usize {
            header.lines().find_map(|l| l.strip_prefix(&format!("element {name} "))).expect("element").parse().expect("count")
        };
        let (nv, nf, ne) = (count("vertex"), count("face"), count("edge"));
        let mut m = MeshFile::default();
        let mut p = end;
        let f32_at = |p: usize| f32::from_le_bytes(bytes[p..p + 4].try_into().expect("4 bytes"));
        let i32_at = |p: usize| i32::from_le_bytes(bytes[p..p + 4].try_into().expect("4 bytes"));
        for _ in 0..nv {
            m.vertices.push([f32_at(p), f32_at(p + 4), f32_at(p + 8)]);
            m.colours.push([bytes[p + 12] as f64 / 255.0, bytes[p + 13] as f64 / 255.0, bytes[p + 14] as f64 / 255.0]);
            p += 15;
        }
        for _ in 0..nf {
            let k = bytes[p] as usize;
            m.faces.push((0..k).map(|i| i32_at(p + 1 + 4 * i) as usize).collect());
            p += 1 + 4 * k;
        }
        for _ in 0..ne {
            m.edges.push([i32_at(p) as usize, i32_at(p + 4) as usize]);
            p += 8;
        }
        assert_eq!(p, bytes.len(), "no trailing bytes");
        m
    }
}

#[cfg(test)]
mod tests {
    use super::read::{MeshFile, obj, ply};
    use super::*;
    use crate::core::landscape::{Directions, GridSpec, PathPoint, Progress, build_plane, compute_grid};
    use crate::core::{CoreError, CsvSource, FunctionSpec, Objective, ObjectiveSpec, OptimizerConfig, RunSpec, Session, Sgd, Table};
    use crate::export::grid::project_runs;
    use std::sync::Arc;

    fn surface(expr: &str, start: &[f64], res: usize, span: f64) -> (Plane, Grid, Vec<RunPath>) {
        let spec = ObjectiveSpec::Function(FunctionSpec { expr: expr.into(), start: start.to_vec() });
        let o: Arc<Objective> = Arc::new(spec.build(&|_: &CsvSource| -> Result<Table, CoreError> { unreachable!() }).unwrap());
        let runs = [
            RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.1, ..Sgd::default() })),
            RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.01, ..Sgd::default() })),
        ];
        let mut s = Session::new(o.clone(), &runs).unwrap();
        s.run(7);
        let plane = build_plane(&o, o.start(), &Directions::default(), None).unwrap();
        let grid = compute_grid(&o, &plane, &GridSpec { res, span }, &Progress::default()).unwrap();
        let paths = project_runs(&plane, &s.runs);
        (plane, grid, paths)
    }

    fn check(m: &MeshFile, res: usize, path_points: usize) {
        assert_eq!(m.vertices.len(), res * res + path_points);
        assert_eq!(m.faces.len(), 2 * (res - 1) * (res - 1));
        assert!(m.faces.iter().all(|f| f.len() == 3 && f.iter().all(|&i| i < res * res)));
        assert!(m.vertices.iter().flatten().all(|v| v.is_finite()));
        assert!(m.colours.iter().flatten().all(|c| (0.0..=1.0).contains(c)));
        assert_eq!(m.edges.len(), path_points - 2, "one polyline per run");
        assert!(m.edges.iter().flatten().all(|&i| i >= res * res && i < m.vertices.len()));
    }

    #[test]
    fn obj_and_ply_have_the_grid_the_triangles_and_the_paths() {
        let (plane, grid, runs) = surface("x^2 + 2*y^2", &[1.0, -1.0], 6, 1.5);
        let points: usize = runs.iter().map(|r| r.points.len()).sum();
        assert_eq!(points, 16);
        let (mut o, mut p) = (Vec::new(), Vec::new());
        write_obj(&mut o, &grid, &plane, &runs, false).unwrap();
        write_ply(&mut p, &grid, &plane, &runs, false).unwrap();
        let (mo, mp) = (obj(std::str::from_utf8(&o).unwrap()), ply(&p));
        check(&mo, 6, points);
        check(&mp, 6, points);
        // Same geometry: OBJ is Y-up (a, loss, −b), PLY Z-up (a, b, loss).
        for (v, w) in mo.vertices.iter().zip(&mp.vertices) {
            assert_eq!([v[0], -v[2], v[1]], *w);
        }
        // Each `l` is one segment: Blender 3.4 and MeshLab keep only the first two points of
        // `l i j k …` and drop the rest of the path.
        let text = std::str::from_utf8(&o).unwrap();
        let segments: Vec<&str> = text.lines().filter(|l| l.starts_with("l ")).collect();
        assert_eq!(segments.len(), points - runs.len());
        assert!(segments.iter().all(|l| l.split_whitespace().count() == 3), "{segments:?}");
        assert_eq!(segments[0], format!("l {} {}", 6 * 6 + 1, 6 * 6 + 2));
        // Vertex 0 is (a, b) = (1 − 1.5, −1 − 1.5) with loss 0.25 + 12.5.
        assert_eq!(mp.vertices[0], [-0.5, -2.5, 12.75]);
        // Counter-clockwise seen from above: the first triangle's normal points up (+z).
        let [a, b, c] = [0, 1, 2].map(|k| mp.vertices[mp.faces[0][k]]);
        let (u, v) = ([b[0] - a[0], b[1] - a[1]], [c[0] - a[0], c[1] - a[1]]);
        assert!(u[0] * v[1] - u[1] * v[0] > 0.0);
    }

    #[test]
    fn non_finite_losses_are_clamped_and_marked() {
        let (plane, grid, runs) = surface("ln(x) + y^2", &[0.5, 0.0], 5, 1.0);
        assert!(grid.loss.iter().any(|l| !l.is_finite()));
        let (lo, hi) = grid.finite_range().unwrap();
        let mut p = Vec::new();
        write_ply(&mut p, &grid, &plane, &runs, false).unwrap();
        let m = ply(&p);
        let points: usize = runs.iter().map(|r| r.points.len()).sum();
        check(&m, 5, points);
        for (k, l) in grid.loss.iter().enumerate() {
            let z = m.vertices[k][2] as f64;
            if l.is_finite() {
                assert!((z - l).abs() <= 1e-6 * l.abs().max(1.0));
            } else {
                assert!(z == hi as f32 as f64 || z == lo as f32 as f64, "clamped to the finite range");
                assert_eq!(m.colours[k], [1.0, 0.0, 1.0]);
            }
        }
        let mut o = Vec::new();
        write_obj(&mut o, &grid, &plane, &runs, false).unwrap();
        check(&obj(std::str::from_utf8(&o).unwrap()), 5, points);
    }

    #[test]
    fn coordinates_beyond_f32_are_left_out_or_refused() {
        // A diverged run's points at 1e300 were written clamped to ±3.4e38: false numbers.
        let (plane, grid, mut runs) = surface("x^2 + 2*y^2", &[1.0, -1.0], 6, 1.5);
        let kept: usize = runs.iter().map(|r| r.points.len()).sum();
        let far = runs[0].points[3];
        runs[0].points.insert(4, PathPoint { a: 1e300, ..far });
        runs[0].points.push(PathPoint { loss: 1e300, ..far });
        runs[1].points.push(PathPoint { b: -1e40, ..far });
        for write in [write_ply, write_obj] {
            let mut bytes = Vec::new();
            write(&mut bytes, &grid, &plane, &runs, false).unwrap();
            let m = if bytes.starts_with(b"ply") { ply(&bytes) } else { obj(std::str::from_utf8(&bytes).unwrap()) };
            check(&m, 6, kept);
            assert!(m.vertices.iter().flatten().all(|v| v.abs() < 100.0), "no clamped coordinate");
        }
        // A grid whose own coordinates are beyond f32 would collapse onto the clamp: refused.
        let (plane, grid, runs) = surface("x^2 + 2*y^2", &[1.0, -1.0], 4, 1e300);
        for write in [write_ply, write_obj] {
            let e = write(&mut Vec::new(), &grid, &plane, &runs, false).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("give a smaller --span"), "{e}");
        }
    }

    #[test]
    fn a_curve_is_a_polyline() {
        let (plane, grid, runs) = surface("x^2", &[10.0], 9, 12.0);
        let mut p = Vec::new();
        write_ply(&mut p, &grid, &plane, &runs, false).unwrap();
        let m = ply(&p);
        let points: usize = runs.iter().map(|r| r.points.len()).sum();
        assert_eq!(m.vertices.len(), 9 + points);
        assert!(m.faces.is_empty());
        assert_eq!(m.edges.len(), 8 + points - runs.len());
        let mut o = Vec::new();
        write_obj(&mut o, &grid, &plane, &runs, false).unwrap();
        assert_eq!(obj(std::str::from_utf8(&o).unwrap()).edges.len(), 8 + points - runs.len());
    }

    #[test]
    fn obj_colours_come_back_as_the_same_bytes_rounded_or_truncated() {
        for c in 0..=255u8 {
            let text = format!("{:.6}", obj_channel(c));
            let (v64, v32) = (text.parse::<f64>().unwrap(), text.parse::<f32>().unwrap());
            assert!((0.0..=1.0).contains(&v64), "{c}: {text}");
            assert_eq!((v64 * 255.0).round() as u8, c, "{text}");
            assert_eq!((v64 * 255.0) as u8, c, "truncated as f64: {text}");
            assert_eq!((v32 * 255.0) as u8, c, "truncated as f32: {text}");
        }
    }
}
