//! The loss surface on screen: a lit `Mesh` built from the grid's vertices (positions, smooth
//! normals, colours from a colour map, indices), optional wireframe and contour lines, the
//! 1-parameter curve and the axes box; and [`SurfaceView`], the drawn surface that picking, the
//! balls and the labels place things on.
//!
//! Implementation: when a new grid lands or a drawing switch changes (log height, wireframe,
//! contours), the vertices are built on the `AsyncComputeTaskPool` (this is conversion
//! boundary #1, f64 → f32) and the finished mesh replaces the old asset in one go; the frame
//! never builds a large mesh itself.

use std::sync::Arc;

use bevy::asset::RenderAssetUsages;
use bevy::gizmos::GizmoAsset;
use bevy::gizmos::config::GizmoLineConfig;
use bevy::gizmos::retained::Gizmo;
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};

use super::landscape::{Landscape, SurfaceGrid};
use super::sets::AppSystems;
use super::settings::SimSettings;
use super::view::{CURVE_HEIGHT, HALF, HEIGHT, HeightScale, to_vec3};
use crate::core::format;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<GeometryTask>()
        .add_systems(Startup, spawn_surface_entities)
        .add_systems(Update, (spawn_geometry_task, swap_surface_geometry).chain().in_set(AppSystems::SyncSurface));
}

/// Number of contour levels.
const CONTOURS: usize = 14;

/// Maps the landscape's (a, b, loss) to world space and back.
#[derive(Clone, Debug)]
pub struct ViewMap {
    /// The landscape drawn.
    pub land: Arc<Landscape>,
    /// Loss → height.
    pub height: HeightScale,
}

impl ViewMap {
    /// World position of (a, b) at `loss` (z = 0 for a curve).
    pub fn world(&self, a: f64, b: f64, loss: f64) -> [f64; 3] {
        let [ra, rb] = self.land.ranges();
        let x = unit_to_world((a - ra.0) / (ra.1 - ra.0).max(1e-300));
        let z = if self.land.is_curve() { 0.0 } else { -unit_to_world((b - rb.0) / (rb.1 - rb.0).max(1e-300)) };
        [x, self.height.unit(loss) * self.top(), z]
    }

    /// World height of the highest drawn loss.
    pub fn top(&self) -> f64 {
        if self.land.is_curve() { CURVE_HEIGHT } else { HEIGHT }
    }

    /// (a, b) under world (x, z).
    pub fn ab(&self, x: f64, z: f64) -> (f64, f64) {
        let [ra, rb] = self.land.ranges();
        let t = |w: f64| (w + HALF) / (2.0 * HALF);
        (ra.0 + t(x) * (ra.1 - ra.0), rb.0 + t(-z) * (rb.1 - rb.0))
    }

    /// World units per unit of a and of b.
    pub fn scale(&self) -> (f64, f64) {
        let [ra, rb] = self.land.ranges();
        (2.0 * HALF / (ra.1 - ra.0).max(1e-300), 2.0 * HALF / (rb.1 - rb.0).max(1e-300))
    }
}

fn unit_to_world(t: f64) -> f64 {
    -HALF + 2.0 * HALF * t
}

/// The surface (or curve) now on screen, with what picking and the balls need.
#[derive(Resource, Clone, Debug)]
pub struct SurfaceView {
    /// Mapping between the landscape and the world.
    pub map: ViewMap,
    /// World positions of the vertices, row-major `j * res + i` (for picking).
    pub positions: Arc<Vec<[f32; 3]>>,
}

impl SurfaceView {
    /// World height of the drawn mesh above world (x, z), interpolated over the same two
    /// triangles per cell as the mesh (so a ball put there touches it); (x, z) is clamped onto
    /// the surface. `None` for a curve.
    pub fn height_at(&self, x: f32, z: f32) -> Option<f32> {
        let res = self.map.land.res();
        if self.map.land.is_curve() || res < 2 || self.positions.len() != res * res {
            return None;
        }
        let cell = |w: f32| ((w + HALF as f32) / (2.0 * HALF as f32) * (res - 1) as f32).clamp(0.0, (res - 1) as f32);
        let (fi, fj) = (cell(x), cell(-z));
        let (i, j) = ((fi as usize).min(res - 2), (fj as usize).min(res - 2));
        let (u, v) = (fi - i as f32, fj - j as f32);
        let y = |i: usize, j: usize| self.positions[j * res + i][1];
        let (y00, y10, y01, y11) = (y(i, j), y(i + 1, j), y(i, j + 1), y(i + 1, j + 1));
        // The mesh splits each cell along its (i, j)–(i+1, j+1) diagonal.
        Some(if u >= v { y00 + u * (y10 - y00) + v * (y11 - y10) } else { y00 + v * (y01 - y00) + u * (y11 - y01) })
    }
}

/// The view a landscape is drawn with (the mesh's vertex positions, no overlays): what the
/// surface system inserts once the geometry is built, for tests and tools that need it at once.
pub fn surface_view(land: Arc<Landscape>, log_height: bool) -> SurfaceView {
    let key = GeometryKey { generation: land.generation, coarse: land.coarse, log: log_height, wireframe: false, contours: false };
    let geometry = build_geometry(land, key);
    SurfaceView { map: geometry.map, positions: Arc::new(geometry.positions) }
}

/// Marks the surface mesh.
#[derive(Component)]
pub struct Surface;

/// Marks the line overlays (wireframe, contours, curve and axes box).
#[derive(Component)]
pub struct SurfaceLines;

#[derive(Resource)]
struct SurfaceHandles {
    mesh: Handle<Mesh>,
    lines: Handle<GizmoAsset>,
}

/// The geometry being built off the frame (on the desktop), or built in this frame (on the web
/// page, where a task would only run after the frame is drawn: the surface would wait a frame,
/// half a second or more with a software renderer, for a few milliseconds of work).
#[derive(Resource, Default)]
pub struct GeometryTask {
    pending: Option<PendingGeometry>,
    key: Option<GeometryKey>,
}

/// Geometry not yet on screen: being built on the task pool, or built.
enum PendingGeometry {
    Task(Task<Geometry>),
    Built(Box<Geometry>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct GeometryKey {
    generation: u64,
    coarse: bool,
    log: bool,
    wireframe: bool,
    contours: bool,
}

struct Geometry {
    map: ViewMap,
    mesh: Option<Mesh>,
    lines: GizmoAsset,
    positions: Vec<[f32; 3]>,
}

fn spawn_surface_entities(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    mut gizmos: ResMut<Assets<GizmoAsset>>,
) {
    // A placeholder until the first grid lands: one degenerate triangle with every attribute
    // the surface has, as Bevy's mesh allocator logs an error for a mesh without vertices.
    let placeholder = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, vec![[0.0f32; 3]; 3])
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, vec![[0.0f32, 1.0, 0.0]; 3])
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, vec![[1.0f32; 4]; 3])
        .with_inserted_indices(Indices::U32(vec![0, 1, 2]));
    let mesh = meshes.add(placeholder);
    let material = materials.add(StandardMaterial {
        base_color: Color::WHITE,
        perceptual_roughness: 0.75,
        reflectance: 0.25,
        double_sided: true,
        cull_mode: None,
        ..default()
    });
    commands.spawn((Surface, Mesh3d(mesh.clone()), MeshMaterial3d(material), Transform::default(), Visibility::Hidden));
    let lines = gizmos.add(GizmoAsset::new());
    commands.spawn((
        SurfaceLines,
        Gizmo { handle: lines.clone(), line_config: GizmoLineConfig { width: 1.5, ..default() }, depth_bias: -0.0005 },
    ));
    commands.insert_resource(SurfaceHandles { mesh, lines });
}

/// Starts building the vertices when the grid or a drawing switch changed.
fn spawn_geometry_task(grid: Res<SurfaceGrid>, settings: Res<SimSettings>, mut tasks: ResMut<GeometryTask>) {
    let Some(land) = grid.current.clone() else { return };
    let s = &settings.scene.surface;
    let key =
        GeometryKey { generation: land.generation, coarse: land.coarse, log: s.log_height, wireframe: s.wireframe, contours: s.contours };
    if tasks.key == Some(key) {
        return;
    }
    tasks.key = Some(key);
    tasks.pending = Some(if cfg!(target_arch = "wasm32") {
        PendingGeometry::Built(Box::new(build_geometry(land, key)))
    } else {
        PendingGeometry::Task(AsyncComputeTaskPool::get().spawn(async move { build_geometry(land, key) }))
    });
}

/// Replaces the mesh and the lines with the finished geometry.
fn swap_surface_geometry(
    mut commands: Commands,
    mut tasks: ResMut<GeometryTask>,
    handles: Res<SurfaceHandles>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut gizmos: ResMut<Assets<GizmoAsset>>,
    mut surface: Single<&mut Visibility, With<Surface>>,
) {
    let geometry = match tasks.pending.take() {
        Some(PendingGeometry::Built(geometry)) => *geometry,
        Some(PendingGeometry::Task(mut task)) => match check_ready(&mut task) {
            Some(geometry) => geometry,
            None => {
                tasks.pending = Some(PendingGeometry::Task(task));
                return;
            }
        },
        None => return,
    };
    **surface = if geometry.mesh.is_some() { Visibility::Visible } else { Visibility::Hidden };
    if let Some(mesh) = geometry.mesh {
        let _ = meshes.insert(&handles.mesh, mesh);
    }
    let _ = gizmos.insert(&handles.lines, geometry.lines);
    info!("surface on screen: {}", describe_span(&geometry.map));
    commands.insert_resource(SurfaceView { map: geometry.map, positions: Arc::new(geometry.positions) });
}

/// The drawn ranges in the units shown on the axes, e.g. `w from -2.45 to 3.55, b from 0.4 to 3.4`.
pub fn describe_span(map: &ViewMap) -> String {
    let [ra, rb] = map.land.ranges();
    let [oa, ob] = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    let a = format!("{na} from {} to {}", format::label(oa + ra.0), format::label(oa + ra.1));
    if map.land.is_curve() { a } else { format!("{a}, {nb} from {} to {}", format::label(ob + rb.0), format::label(ob + rb.1)) }
}

/// Builds every vertex of the surface (or the curve), the overlays and the axes box.
fn build_geometry(land: Arc<Landscape>, key: GeometryKey) -> Geometry {
    let height = HeightScale::of(&land.grid, key.log);
    let map = ViewMap { land: land.clone(), height };
    let mut lines = GizmoAsset::new();
    draw_axes_box(&mut lines, land.is_curve(), map.top());
    if land.is_curve() {
        // The true curve, faint, under the polygon of `res` vertices that approximates it.
        if land.fine.len() > land.res() {
            let fine = land.fine.iter().map(|&[a, l]| to_vec3(map.world(a, 0.0, l)) + Vec3::new(0.0, 0.0, -0.02));
            lines.linestrip(fine, Color::srgba(0.75, 0.8, 0.9, 0.45));
        }
        let points: Vec<Vec3> = land.grid.a.iter().zip(&land.grid.loss).map(|(&a, &l)| to_vec3(map.world(a, 0.0, l))).collect();
        lines.linestrip(points.iter().copied(), Color::srgb(0.95, 0.75, 0.25));
        if points.len() <= 128 {
            for &p in &points {
                lines.cross(Isometry3d::from_translation(p), 0.06, Color::srgb(1.0, 0.95, 0.8));
            }
        }
        return Geometry { map, mesh: None, lines, positions: Vec::new() };
    }
    let res = land.res();
    let mut positions = Vec::with_capacity(res * res);
    let mut colors = Vec::with_capacity(res * res);
    for j in 0..res {
        for i in 0..res {
            let loss = land.grid.loss[j * res + i];
            positions.push(to_vec3(map.world(land.grid.a[i], land.grid.b[j], loss)).to_array());
            let c = height.colour(loss);
            colors.push(Color::srgb(c[0], c[1], c[2]).to_linear().to_f32_array());
        }
    }
    let normals = smooth_normals(&positions, res);
    let mut indices = Vec::with_capacity((res - 1) * (res - 1) * 6);
    for j in 0..res - 1 {
        for i in 0..res - 1 {
            let v = (j * res + i) as u32;
            let r = res as u32;
            indices.extend_from_slice(&[v, v + 1, v + r + 1, v, v + r + 1, v + r]);
        }
    }
    if key.wireframe {
        draw_wireframe(&mut lines, &positions, res);
    }
    if key.contours {
        draw_contours(&mut lines, &land, &map);
    }
    let mesh = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::MAIN_WORLD | RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, positions.clone())
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, normals)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, colors)
        .with_inserted_indices(Indices::U32(indices));
    Geometry { map, mesh: Some(mesh), lines, positions }
}

/// Normals of the height field from central differences of the vertex positions.
fn smooth_normals(p: &[[f32; 3]], res: usize) -> Vec<[f32; 3]> {
    let at = |i: usize, j: usize| Vec3::from_array(p[j * res + i]);
    let mut normals = Vec::with_capacity(res * res);
    for j in 0..res {
        for i in 0..res {
            let dx = at((i + 1).min(res - 1), j) - at(i.saturating_sub(1), j);
            let dz = at(i, (j + 1).min(res - 1)) - at(i, j.saturating_sub(1));
            let n = dz.cross(dx).normalize_or(Vec3::Y);
            normals.push((if n.y < 0.0 { -n } else { n }).to_array());
        }
    }
    normals
}

fn draw_axes_box(lines: &mut GizmoAsset, curve: bool, top: f64) {
    let (h, top) = (HALF as f32, top as f32);
    let c = Color::srgba(0.8, 0.8, 0.85, 0.6);
    if curve {
        lines.line(Vec3::new(-h, 0.0, 0.0), Vec3::new(h, 0.0, 0.0), c);
        lines.line(Vec3::new(-h, 0.0, 0.0), Vec3::new(-h, top, 0.0), c);
        return;
    }
    lines.linestrip([Vec3::new(-h, 0.0, h), Vec3::new(h, 0.0, h), Vec3::new(h, 0.0, -h), Vec3::new(-h, 0.0, -h), Vec3::new(-h, 0.0, h)], c);
    lines.line(Vec3::new(-h, 0.0, h), Vec3::new(-h, top, h), c);
}

fn draw_wireframe(lines: &mut GizmoAsset, p: &[[f32; 3]], res: usize) {
    let c = Color::srgba(0.05, 0.05, 0.08, 0.55);
    let lift = |v: [f32; 3]| Vec3::from_array(v) + Vec3::Y * 0.004;
    for j in 0..res {
        lines.linestrip((0..res).map(|i| lift(p[j * res + i])), c);
    }
    for i in 0..res {
        lines.linestrip((0..res).map(|j| lift(p[j * res + i])), c);
    }
}

/// Contour lines by marching squares over the mapped values, at evenly spaced levels.
fn draw_contours(lines: &mut GizmoAsset, land: &Landscape, map: &ViewMap) {
    let res = land.res();
    let v: Vec<f64> = land.grid.loss.iter().map(|&l| map.height.unit(l)).collect();
    let c = Color::srgba(1.0, 1.0, 1.0, 0.45);
    for k in 1..CONTOURS {
        let level = k as f64 / CONTOURS as f64;
        let y = (level * HEIGHT) as f32 + 0.01;
        for j in 0..res - 1 {
            for i in 0..res - 1 {
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
                let mut cuts = [Vec3::ZERO; 4];
                let mut n = 0;
                for e in 0..4 {
                    let (p, q) = (corners[e], corners[(e + 1) % 4]);
                    let (vp, vq) = (v[p.1 * res + p.0], v[q.1 * res + q.0]);
                    if (vp < level) != (vq < level) && vp.is_finite() && vq.is_finite() {
                        let t = (level - vp) / (vq - vp);
                        let a = land.grid.a[p.0] + t * (land.grid.a[q.0] - land.grid.a[p.0]);
                        let b = land.grid.b[p.1] + t * (land.grid.b[q.1] - land.grid.b[p.1]);
                        let w = map.world(a, b, 0.0);
                        cuts[n] = Vec3::new(w[0] as f32, y, w[2] as f32);
                        n += 1;
                    }
                }
                if n >= 2 {
                    lines.line(cuts[0], cuts[1], c);
                }
                if n == 4 {
                    lines.line(cuts[2], cuts[3], c);
                }
            }
        }
    }
}
