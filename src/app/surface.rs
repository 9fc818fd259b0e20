//! The loss surface on screen: a lit `Mesh` built from the grid's vertices (positions, smooth
//! normals, colours from a colour map, indices), optional wireframe and contour lines, the
//! 1-parameter curve, the axes box, and clicking on the surface to move the start.
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
use bevy::window::PrimaryWindow;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2};
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass};

use super::AppSystems;
use super::camera::ViewCamera;
use super::grid::{Landscape, SurfaceGrid};
use super::settings::{RecomputeSurface, SetStart, SimSettings, StatusLine};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<GeometryTask>()
        .add_systems(Startup, spawn_surface_entities)
        .add_systems(Update, (spawn_geometry_task, swap_surface_geometry).chain().in_set(AppSystems::SyncVisuals).in_set(SurfaceSystems))
        .add_systems(Update, pick_start_on_click.in_set(AppSystems::ReadInput).after(super::files::handle_file_actions))
        .add_systems(EguiPrimaryContextPass, draw_surface_labels.after(super::plots::draw_plots_panel));
}

/// The systems that swap the surface's geometry (balls are placed after them).
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SurfaceSystems;

/// Half-width of the surface in world units: it spans x, z ∈ [−HALF, HALF].
pub const HALF: f64 = 5.0;
/// Height of the surface in world units: the loss range maps to y ∈ [0, HEIGHT].
pub const HEIGHT: f64 = 3.5;
/// Height of a 1-parameter curve in world units (drawn flat, so it can be taller).
pub const CURVE_HEIGHT: f64 = 6.0;
/// Number of contour levels.
const CONTOURS: usize = 14;

/// How a loss becomes a height: linear or log10, then the [lo, hi] range onto [0, HEIGHT].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeightMap {
    /// Lowest drawn value (after the log when `log`).
    pub lo: f64,
    /// Highest drawn value.
    pub hi: f64,
    /// Heights are log10(loss).
    pub log: bool,
}

impl HeightMap {
    /// The value that is mapped: the loss, or log10 of it.
    pub fn value(&self, loss: f64) -> f64 {
        if self.log { loss.max(1e-300).log10() } else { loss }
    }

    /// Height in [0, 1] (clamped a little beyond, and 1 for non-finite losses).
    pub fn unit(&self, loss: f64) -> f64 {
        let t = (self.value(loss) - self.lo) / (self.hi - self.lo).max(1e-300);
        if t.is_finite() { t.clamp(-0.05, 1.5) } else { 1.5 }
    }

    /// The loss at height fraction `t` (for legends).
    pub fn loss_at(&self, t: f64) -> f64 {
        let v = self.lo + t * (self.hi - self.lo);
        if self.log { 10f64.powf(v) } else { v }
    }
}

/// Maps the landscape's (a, b, loss) to world space and back.
#[derive(Clone, Debug)]
pub struct ViewMap {
    /// The landscape drawn.
    pub land: Arc<Landscape>,
    /// Loss → height.
    pub height: HeightMap,
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
    let key = GeometryKey { generation: land.generation, log: log_height, wireframe: false, contours: false };
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

/// The geometry being built off the frame.
#[derive(Resource, Default)]
pub struct GeometryTask {
    task: Option<Task<Geometry>>,
    key: Option<GeometryKey>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct GeometryKey {
    generation: u64,
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
    let key = GeometryKey { generation: land.generation, log: s.log_height, wireframe: s.wireframe, contours: s.contours };
    if tasks.key == Some(key) {
        return;
    }
    tasks.key = Some(key);
    tasks.task = Some(AsyncComputeTaskPool::get().spawn(async move { build_geometry(land, key) }));
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
    let Some(task) = tasks.task.as_mut() else { return };
    let Some(geometry) = check_ready(task) else { return };
    tasks.task = None;
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
    let a = format!("{na} from {} to {}", fmt_num(oa + ra.0), fmt_num(oa + ra.1));
    if map.land.is_curve() { a } else { format!("{a}, {nb} from {} to {}", fmt_num(ob + rb.0), fmt_num(ob + rb.1)) }
}

/// What a click on the surface at plane coordinates (a, b) did, in the units shown on the axes.
pub fn describe_click(map: &ViewMap, a: f64, b: f64) -> String {
    let [oa, ob] = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    let at = format!("{na} = {}, {nb} = {}", fmt_num(oa + a), fmt_num(ob + b));
    if map.land.dim > 2 {
        format!("start set by a click on the slice: {at} (all {} parameters move)", map.land.dim)
    } else {
        format!("start set by a click: {at}")
    }
}

/// Builds every vertex of the surface (or the curve), the overlays and the axes box.
fn build_geometry(land: Arc<Landscape>, key: GeometryKey) -> Geometry {
    let height = height_map(&land, key.log);
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
            let c = if loss.is_finite() { colormap(height.unit(loss).clamp(0.0, 1.0)) } else { [0.6, 0.1, 0.6] };
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

/// Converts a world position (f64 math) to Bevy's f32.
fn to_vec3(p: [f64; 3]) -> Vec3 {
    let f = |v: f64| if v.is_finite() { v as f32 } else { 0.0 };
    Vec3::new(f(p[0]), f(p[1]), f(p[2]))
}

/// The drawn range: min and max of the finite (log) losses.
fn height_map(land: &Landscape, log: bool) -> HeightMap {
    let probe = HeightMap { lo: 0.0, hi: 1.0, log };
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &l in &land.grid.loss {
        let v = probe.value(l);
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi - lo < 1e-12 * hi.abs().max(1.0) {
        hi = lo + 1.0;
    }
    HeightMap { lo, hi, log }
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

/// Perceptually uniform colour map (viridis), sRGB, for t in [0, 1].
#[allow(clippy::approx_constant)] // 0.318 is a colour stop, not 1/π.
pub fn colormap(t: f64) -> [f32; 3] {
    const STOPS: [[f32; 3]; 9] = [
        [0.267, 0.005, 0.329],
        [0.283, 0.141, 0.458],
        [0.254, 0.265, 0.530],
        [0.207, 0.372, 0.553],
        [0.164, 0.471, 0.558],
        [0.128, 0.567, 0.551],
        [0.135, 0.659, 0.518],
        [0.478, 0.821, 0.318],
        [0.993, 0.906, 0.144],
    ];
    let x = (t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64) as f32;
    let k = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - k as f32;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])]
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

/// A left click (not a drag) on the surface restarts every run from the point under the
/// cursor: the cursor's ray is intersected with the mesh's triangles. The new start goes on the
/// status line and in the log (`tests/app_click.rs` clicks with a real pointer and reads it).
pub(super) fn pick_start_on_click(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    wants: Option<Res<EguiWantsInput>>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    view: Option<Res<SurfaceView>>,
    sim: Res<super::sim::Simulation>,
    mut press: Local<Option<Vec2>>,
    mut starts: MessageWriter<SetStart>,
    mut recompute: MessageWriter<RecomputeSurface>,
    mut status: ResMut<StatusLine>,
) {
    let (Some(buttons), Some(view)) = (buttons, view) else { return };
    let cursor = window.cursor_position();
    if buttons.just_pressed(MouseButton::Left) {
        *press = cursor.filter(|_| wants.as_ref().is_none_or(|w| !w.wants_any_pointer_input()));
    }
    if !buttons.just_released(MouseButton::Left) {
        return;
    }
    let (Some(down), Some(up)) = (press.take(), cursor) else { return };
    if down.distance(up) > 4.0 || view.map.land.is_curve() {
        return;
    }
    let (camera, transform) = *camera;
    let Ok(ray) = camera.viewport_to_world(transform, up) else { return };
    let Some(hit) = ray_hit(&view.positions, view.map.land.res(), ray.origin, *ray.direction) else { return };
    let (a, b) = view.map.ab(f64::from(hit.x), f64::from(hit.z));
    let mut theta = vec![0.0; sim.objective().dim()];
    view.map.land.plane.point(a, b, &mut theta);
    starts.write(SetStart(theta));
    let said = describe_click(&view.map, a, b);
    info!("{said}");
    status.info(said);
    if view.map.land.dim > 2 {
        recompute.write(RecomputeSurface);
    }
}

/// The nearest intersection of a ray with the height-field mesh (Möller–Trumbore).
pub fn ray_hit(p: &[[f32; 3]], res: usize, origin: Vec3, dir: Vec3) -> Option<Vec3> {
    let mut best: Option<f32> = None;
    let tri = |a: Vec3, b: Vec3, c: Vec3| -> Option<f32> {
        let (e1, e2) = (b - a, c - a);
        let h = dir.cross(e2);
        let det = e1.dot(h);
        if det.abs() < 1e-12 {
            return None;
        }
        let s = origin - a;
        let u = s.dot(h) / det;
        let q = s.cross(e1);
        let v = dir.dot(q) / det;
        let t = e2.dot(q) / det;
        (u >= 0.0 && v >= 0.0 && u + v <= 1.0 && t > 0.0).then_some(t)
    };
    for j in 0..res.saturating_sub(1) {
        for i in 0..res - 1 {
            let v = |i: usize, j: usize| Vec3::from_array(p[j * res + i]);
            for t in [tri(v(i, j), v(i + 1, j), v(i + 1, j + 1)), tri(v(i, j), v(i + 1, j + 1), v(i, j + 1))].into_iter().flatten() {
                if best.is_none_or(|b| t < b) {
                    best = Some(t);
                }
            }
        }
    }
    best.map(|t| origin + dir * t)
}

/// Short number formatting for labels.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) {
        format!("{:.3}", v).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

/// Axis names and end values at the box's edges, the colour legend and the runs' legend,
/// painted by egui over the 3D view.
pub fn draw_surface_labels(
    mut contexts: EguiContexts,
    view: Option<Res<SurfaceView>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    sim: Res<super::sim::Simulation>,
    readout: Res<super::ball::CurveReadout>,
    settings: Res<SimSettings>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    // Labels grow with the text style (larger in lesson mode, for a projector).
    let k = ctx.global_style().text_styles.get(&egui::TextStyle::Body).map_or(1.0, |f| f.size / 13.0);
    let (camera, transform) = *camera;
    let (Some(view), Some(rect)) = (view, camera.logical_viewport_rect()) else { return Ok(()) };
    let clip = egui::Rect::from_min_max(Pos2::new(rect.min.x, rect.min.y), Pos2::new(rect.max.x, rect.max.y));
    let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Middle, "surface_labels".into())).with_clip_rect(clip);
    let text = |at: Vec3, s: &str, align: Align2, size: f32| {
        let size = size * k;
        if let Ok(p) = camera.world_to_viewport(transform, at) {
            // Slide a label that would cross the view's edge back inside (the loss axis name
            // sits over the box's far corner, often right at the left edge).
            let galley = painter.layout_no_wrap(s.to_string(), FontId::proportional(size), Color32::from_gray(230));
            let rect = align.anchor_size(Pos2::new(p.x, p.y), galley.size());
            let dx = (clip.min.x - rect.min.x).max(0.0) - (rect.max.x - clip.max.x).max(0.0);
            painter.galley(rect.min + egui::Vec2::new(dx, 0.0), galley, Color32::from_gray(230));
        }
    };
    let map = &view.map;
    let [ra, rb] = map.land.ranges();
    let origin = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    let (h, top) = (HALF as f32, map.top() as f32);
    let curve = map.land.is_curve();
    let front = if curve { 0.0 } else { h };
    text(Vec3::new(0.0, 0.0, front + 0.7), na, Align2::CENTER_CENTER, 20.0);
    text(Vec3::new(-h, 0.0, front + 0.35), &fmt_num(origin[0] + ra.0), Align2::CENTER_TOP, 13.0);
    text(Vec3::new(h, 0.0, front + 0.35), &fmt_num(origin[0] + ra.1), Align2::CENTER_TOP, 13.0);
    if !curve {
        text(Vec3::new(-h - 0.7, 0.0, 0.0), nb, Align2::CENTER_CENTER, 20.0);
        text(Vec3::new(-h - 0.35, 0.0, h), &fmt_num(origin[1] + rb.0), Align2::RIGHT_CENTER, 13.0);
        text(Vec3::new(-h - 0.35, 0.0, -h), &fmt_num(origin[1] + rb.1), Align2::RIGHT_CENTER, 13.0);
    }
    let loss_name = if map.height.log { "loss (log)" } else { "loss" };
    text(Vec3::new(-h, top + 0.35, front), loss_name, Align2::CENTER_BOTTOM, 16.0);
    if curve {
        let on_screen = |at: Vec3| camera.world_to_viewport(transform, at).ok().map(|p| Pos2::new(p.x, p.y));
        draw_curve_labels(&painter, clip, map, &readout, settings.secant_h, on_screen, 16.0 * k);
    }
    draw_legends(&ctx, clip, map, &sim);
    Ok(())
}

/// For a curve: what the yellow polygon and the grey curve are (top left), and the slopes of the
/// tangent and of the secant next to them, in their colours (lesson 0: as h shrinks the secant's
/// number walks to the tangent's).
fn draw_curve_labels(
    painter: &egui::Painter,
    clip: egui::Rect,
    map: &ViewMap,
    r: &super::ball::CurveReadout,
    h: f64,
    on_screen: impl Fn(Vec3) -> Option<Pos2>,
    size: f32,
) {
    let font = FontId::proportional(size);
    // Below 64 vertices the polygon visibly departs from the true curve drawn under it.
    let res = map.land.res();
    let caption = if res < 64 {
        format!("yellow: the curve drawn from {res} vertices    grey: the true curve")
    } else {
        format!("the curve drawn from {res} vertices")
    };
    painter.text(clip.min + egui::Vec2::new(12.0, 10.0), Align2::LEFT_TOP, caption, font.clone(), Color32::from_gray(220));
    if !r.shown {
        return;
    }
    let at = |a: f64, f: f64| {
        let w = map.world(a, 0.0, f);
        on_screen(Vec3::new(w[0] as f32, w[1] as f32, 0.0))
    };
    // The same geometry as the lines drawn in `ball.rs`.
    let a = map.land.plane.project(&[r.a]).a;
    let half = (HALF * 0.35) / map.scale().0;
    let green = Color32::from_rgb(77, 255, 128);
    let orange = Color32::from_rgb(255, 115, 77);
    if let Some(p) = at(a + half, r.f + r.tangent * half) {
        painter.text(
            p + egui::Vec2::new(6.0, -4.0),
            Align2::LEFT_BOTTOM,
            format!("tangent: slope f'(x) = {}", fmt_slope(r.tangent)),
            font.clone(),
            green,
        );
    }
    if r.secant.is_finite()
        && let Some(p) = at(a + h, r.f_h)
    {
        let text = format!("secant, h = {}: slope = {}", fmt_num(h), fmt_slope(r.secant));
        painter.text(p + egui::Vec2::new(8.0, 6.0), Align2::LEFT_TOP, text, font, orange);
    }
}

/// A slope with enough digits to watch the secant's converge as h shrinks.
fn fmt_slope(v: f64) -> String {
    if v.abs() < 1e4 { format!("{v:.4}") } else { format!("{v:.3e}") }
}

/// The colour bar (loss range) and one line per run, in the view's bottom-left corner.
fn draw_legends(ctx: &egui::Context, clip: egui::Rect, map: &ViewMap, sim: &super::sim::Simulation) {
    egui::Area::new("legend".into())
        .fixed_pos(Pos2::new(clip.min.x + 12.0, clip.max.y - 12.0))
        .pivot(Align2::LEFT_BOTTOM)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let (bar, _) = ui.allocate_exact_size(egui::Vec2::new(14.0, 90.0), egui::Sense::hover());
                    let steps = 24;
                    for k in 0..steps {
                        let t = 1.0 - (k as f64 + 0.5) / steps as f64;
                        let [r, g, b] = colormap(t);
                        let y0 = bar.min.y + bar.height() * k as f32 / steps as f32;
                        let cell = egui::Rect::from_min_max(
                            Pos2::new(bar.min.x, y0),
                            Pos2::new(bar.max.x, y0 + bar.height() / steps as f32 + 0.5),
                        );
                        ui.painter().rect_filled(cell, 0.0, Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8));
                    }
                    ui.vertical(|ui| {
                        ui.small(format!("loss {}", fmt_num(map.height.loss_at(1.0))));
                        ui.add_space(50.0);
                        ui.small(format!("loss {}", fmt_num(map.height.loss_at(0.0))));
                    });
                    ui.separator();
                    ui.vertical(|ui| {
                        for (i, run) in sim.session.runs.iter().enumerate() {
                            let [r, g, b] = super::ball::run_color(i);
                            ui.horizontal(|ui| {
                                let (dot, _) = ui.allocate_exact_size(egui::Vec2::splat(12.0), egui::Sense::hover());
                                ui.painter().circle_filled(
                                    dot.center(),
                                    5.5,
                                    Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8),
                                );
                                let mut label = super::panel::plain(&run.spec.label());
                                if let crate::core::RunStatus::Diverged { step } = run.status {
                                    label.push_str(&format!("  (stopped at step {step})"));
                                }
                                if map.land.dim > 2 {
                                    let d = map.land.plane.project(&run.theta).distance;
                                    let loss = run.trajectory.last().map_or(f64::NAN, |r| r.loss);
                                    label.push_str(&format!("  true loss {}, {} off the slice", fmt_num(loss), fmt_num(d)));
                                }
                                ui.small(label);
                            });
                        }
                        if map.land.dim > 2 {
                            ui.small("ball: on the slice where its parameters project   stick: to its true loss");
                        }
                        ui.small("white arrow: -lr*g   coloured arrow: last step");
                    });
                });
            });
        });
}
