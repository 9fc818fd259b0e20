//! The orbit camera and the lights: drag to rotate, right-drag (or middle-drag) to pan, scroll
//! to zoom, "Reset view" to go back. Input over the panels never moves the camera (gated on
//! egui), and the 3D viewport is fitted between the panels with saturating math.
//!
//! A second camera draws egui over the whole window, as bevy_egui's `side_panel` example does.
//! The panels' sizes come from [`UiLayout`], which the panels write.

use bevy::camera::{CameraOutputMode, SubCameraView, Viewport, visibility::RenderLayers};
use bevy::core_pipeline::tonemapping::Tonemapping;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::input::touch::TouchInput;
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::PrimaryWindow;
use bevy_egui::input::{EguiWantsInput, egui_wants_any_pointer_input};
use bevy_egui::{EguiGlobalSettings, PrimaryEguiContext};

use super::sets::AppSystems;
use super::settings::{FixedViewSize, ResetView, SimSettings, UiLayout};
use super::sim::Simulation;
use super::view::{CURVE_HEIGHT, HALF, HEIGHT};

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, spawn_cameras_and_lights).add_systems(
        Update,
        ((orbit_with_mouse.run_if(not(egui_wants_any_pointer_input)), orbit_with_touch).chain(), reset_view, apply_orbit, fit_viewport)
            .chain()
            .in_set(AppSystems::MoveCamera),
    );
}

/// Marks the 3D camera.
#[derive(Component)]
pub struct ViewCamera;

/// Where the orbit camera is: angles in radians, distance in world units.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct Orbit {
    /// Rotation about the vertical axis, radians.
    pub yaw: f32,
    /// Elevation above the horizon, radians.
    pub pitch: f32,
    /// Distance from the target, world units.
    pub distance: f32,
    /// The point looked at.
    pub target: Vec3,
}

impl Orbit {
    /// The scene's camera, or a three-quarter view of the whole surface; a 1-parameter curve is
    /// looked at from the front.
    pub fn from_settings(settings: &SimSettings, dim: usize) -> Self {
        let curve = dim == 1;
        let target = if curve { Vec3::new(0.0, (CURVE_HEIGHT * 0.45) as f32, 0.0) } else { Vec3::new(0.0, (HEIGHT * 0.35) as f32, 0.0) };
        let base = 2.0 * HALF as f32;
        match &settings.scene.camera {
            Some(c) => {
                Self { yaw: (c.yaw as f32).to_radians(), pitch: (c.pitch as f32).to_radians(), distance: c.distance as f32 * base, target }
            }
            None if curve => Self { yaw: 0.0, pitch: 6f32.to_radians(), distance: 1.45 * base, target },
            None => Self { yaw: 30f32.to_radians(), pitch: 30f32.to_radians(), distance: 2.0 * base, target },
        }
    }
}

fn spawn_cameras_and_lights(
    mut commands: Commands,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    mut egui_settings: ResMut<EguiGlobalSettings>,
) {
    egui_settings.auto_create_primary_context = false;
    let orbit = Orbit::from_settings(&settings, sim.objective().dim());
    // Reinhard on luminance keeps the colour map's hues (Bevy's default, TonyMcMapface, washes
    // viridis out toward grey-green) and needs no lookup table, so the 0.7 MB of tonemapping
    // LUTs stay out of the binary and of the web page's download.
    commands.spawn((ViewCamera, Camera3d::default(), Tonemapping::ReinhardLuminance, Msaa::Sample4, orbit, orbit_transform(&orbit)));
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write { blend_state: Some(BlendState::ALPHA_BLENDING), clear_color: ClearColorConfig::None },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
    commands.spawn((
        DirectionalLight { illuminance: 9_000.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(4.0, 10.0, 6.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        DirectionalLight { illuminance: 2_500.0, shadow_maps_enabled: false, ..default() },
        Transform::from_xyz(-6.0, 4.0, -5.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.insert_resource(GlobalAmbientLight { color: Color::WHITE, brightness: 350.0, ..default() });
    commands.insert_resource(ClearColor(Color::srgb(0.11, 0.12, 0.15)));
}

/// Left-drag rotates, right- or middle-drag pans, the wheel zooms.
fn orbit_with_mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    layout: Res<UiLayout>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut orbit: Single<&mut Orbit, With<ViewCamera>>,
) {
    let delta = motion.delta;
    if buttons.pressed(MouseButton::Left) {
        orbit.yaw -= delta.x * 0.006;
        orbit.pitch = (orbit.pitch + delta.y * 0.006).clamp(-1.45, 1.5);
    }
    if buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle) {
        let (yaw, distance) = (orbit.yaw, orbit.distance);
        let right = Vec3::new(yaw.cos(), 0.0, -yaw.sin());
        let forward = Vec3::new(-yaw.sin(), 0.0, -yaw.cos());
        orbit.target += (-right * delta.x + forward * delta.y) * distance * 0.0015;
    }
    let lines = match scroll.unit {
        MouseScrollUnit::Line => scroll.delta.y,
        MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
    };
    // The wheel zooms only over the 3D view: over a panel it scrolls the panel (egui does not
    // claim the wheel where a panel has nothing to scroll).
    let over_view = window.cursor_position().is_some_and(|c| over_the_view(c, window.size(), &layout));
    if lines != 0.0 && over_view {
        orbit.distance = (orbit.distance * 0.9f32.powf(lines)).clamp(1.0, 200.0);
    }
}

/// Whether a point of the window (logical pixels) is on the 3D view: right of the left panel,
/// left of the right one, below the lesson card.
fn over_the_view(cursor: Vec2, window: Vec2, layout: &UiLayout) -> bool {
    cursor.x >= layout.left && cursor.x <= window.x - layout.right && cursor.y >= layout.top && cursor.y <= window.y
}

/// On a tablet: one finger rotates as the left button does; two fingers zoom by pinching and
/// pan by moving together. (A tap starts the runs: `picking.rs`.)
///
/// Only in frames with touch events: Bevy moves a touch's previous position only then, so in a
/// frame without one (a finger resting after a move) `delta()` is still the last move, and the
/// view kept turning under a finger held still. The events are read every frame, also while
/// egui holds the pointer (when the view does not move), so none is left to count later.
fn orbit_with_touch(
    mut events: MessageReader<TouchInput>,
    wants: Option<Res<EguiWantsInput>>,
    touches: Res<Touches>,
    mut orbit: Single<&mut Orbit, With<ViewCamera>>,
) {
    let moved = events.read().count() > 0;
    if !moved || wants.is_some_and(|w| w.wants_any_pointer_input()) {
        return;
    }
    let fingers: Vec<_> = touches.iter().collect();
    match fingers.as_slice() {
        [one] => {
            let delta = one.delta();
            if delta != Vec2::ZERO {
                orbit.yaw -= delta.x * 0.006;
                orbit.pitch = (orbit.pitch + delta.y * 0.006).clamp(-1.45, 1.5);
            }
        }
        [a, b, ..] => {
            let (now, before) = (a.position().distance(b.position()), a.previous_position().distance(b.previous_position()));
            if now > 1.0 && before > 1.0 && now != before {
                orbit.distance = (orbit.distance * before / now).clamp(1.0, 200.0);
            }
            let shift = 0.5 * (a.delta() + b.delta());
            if shift != Vec2::ZERO {
                let (yaw, distance) = (orbit.yaw, orbit.distance);
                let right = Vec3::new(yaw.cos(), 0.0, -yaw.sin());
                let forward = Vec3::new(-yaw.sin(), 0.0, -yaw.cos());
                orbit.target += (-right * shift.x + forward * shift.y) * distance * 0.0015;
            }
        }
        [] => {}
    }
}

fn reset_view(
    mut messages: MessageReader<ResetView>,
    settings: Res<SimSettings>,
    sim: Res<Simulation>,
    mut orbit: Single<&mut Orbit, With<ViewCamera>>,
) {
    if messages.read().count() > 0 {
        **orbit = Orbit::from_settings(&settings, sim.objective().dim());
    }
}

fn apply_orbit(mut camera: Single<(&Orbit, &mut Transform), (With<ViewCamera>, Changed<Orbit>)>) {
    let (orbit, ref mut transform) = *camera;
    **transform = orbit_transform(orbit);
}

fn orbit_transform(orbit: &Orbit) -> Transform {
    let offset = Vec3::new(orbit.pitch.cos() * orbit.yaw.sin(), orbit.pitch.sin(), orbit.pitch.cos() * orbit.yaw.cos()) * orbit.distance;
    Transform::from_translation(orbit.target + offset).looking_at(orbit.target, Vec3::Y)
}

/// Renders the 3D view between the panels; skipped while the window has no area.
fn fit_viewport(
    layout: Res<UiLayout>,
    fixed: Option<Res<FixedViewSize>>,
    window: Single<&Window, With<PrimaryWindow>>,
    mut camera: Single<&mut Camera, With<ViewCamera>>,
) {
    let (w, h) = (window.physical_width(), window.physical_height());
    if w == 0 || h == 0 {
        return;
    }
    let scale = window.scale_factor();
    let left = ((layout.left * scale).max(0.0) as u32).min(w.saturating_sub(1));
    let right = ((layout.right * scale).max(0.0) as u32).min(w.saturating_sub(1));
    let width = w.saturating_sub(left).saturating_sub(right).max(1);
    let top = ((layout.top * scale).max(0.0) as u32).min(h - 1);
    let mut size = UVec2::new(width.min(w - left.min(w - 1)), h - top);
    if let Some(fixed) = fixed {
        size = size.min(fixed.0);
    }
    let viewport = Viewport { physical_position: UVec2::new(left.min(w - 1), top), physical_size: size, ..default() };
    if camera.viewport.as_ref().map(|v| (v.physical_position, v.physical_size))
        != Some((viewport.physical_position, viewport.physical_size))
    {
        camera.viewport = Some(viewport);
    }
    let framed = framed_above_legend(size, (layout.legend * scale).max(0.0) as u32);
    if camera.sub_camera_view != framed {
        camera.sub_camera_view = framed;
    }
}

/// The projection that frames the scene in the part of a `size` view above the legend's strip
/// (`legend` physical pixels high) as if that part were the whole view, and draws the strip
/// below as its continuation: the legend then covers the floor under the scene, not the
/// surface's near corner (at 1280×720 in lesson mode the view is about 500 points square and
/// the legend a fifth of it). The viewport itself, and so a recording or a screenshot of the
/// view, still spans the strip with the legend in it. At most half the view is given up.
fn framed_above_legend(size: UVec2, legend: u32) -> Option<SubCameraView> {
    let legend = legend.min(size.y / 2);
    (legend > 0).then(|| SubCameraView { full_size: UVec2::new(size.x, size.y - legend), offset: Vec2::ZERO, size })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::camera::CameraProjection;
    use bevy::input::touch::TouchPhase;

    #[test]
    fn a_finger_resting_after_a_move_does_not_turn_the_view_on() {
        let mut app = App::new();
        app.add_plugins(bevy::input::InputPlugin).add_systems(Update, orbit_with_touch);
        let start = Orbit { yaw: 0.0, pitch: 0.5, distance: 20.0, target: Vec3::ZERO };
        let camera = app.world_mut().spawn((ViewCamera, start)).id();
        let touch = |phase, x: f32| TouchInput { phase, position: Vec2::new(x, 300.0), window: Entity::PLACEHOLDER, force: None, id: 7 };
        app.world_mut().write_message(touch(TouchPhase::Started, 400.0));
        app.update();
        app.world_mut().write_message(touch(TouchPhase::Moved, 440.0));
        app.update();
        // 0.006 radians a pixel.
        let turned = -40.0 * 0.006;
        let orbit = |app: &App| *app.world().get::<Orbit>(camera).unwrap();
        assert_eq!(orbit(&app).yaw, turned);
        // Frames with the finger held still: the view stays.
        for _ in 0..3 {
            app.update();
        }
        assert_eq!(orbit(&app).yaw, turned);
        app.world_mut().write_message(touch(TouchPhase::Moved, 450.0));
        app.update();
        assert_eq!(orbit(&app).yaw, turned - 10.0 * 0.006);
    }

    #[test]
    fn the_wheel_zooms_over_the_view_only() {
        let layout = UiLayout { left: 380.0, right: 290.0, top: 180.0, ..default() };
        let window = Vec2::new(1280.0, 720.0);
        assert!(over_the_view(Vec2::new(700.0, 450.0), window, &layout));
        // Over the side panel, the plots and the lesson card: not the view.
        for outside in [Vec2::new(200.0, 450.0), Vec2::new(1100.0, 450.0), Vec2::new(700.0, 90.0)] {
            assert!(!over_the_view(outside, window, &layout), "{outside}");
        }
    }

    /// Where a view-space point lands in the viewport, in pixels from its top left.
    fn pixel(clip_from_view: Mat4, size: UVec2, at: Vec3) -> Vec2 {
        let ndc = clip_from_view.project_point3(at);
        Vec2::new((ndc.x + 1.0) * 0.5 * size.x as f32, (1.0 - ndc.y) * 0.5 * size.y as f32)
    }

    #[test]
    fn the_scene_is_framed_above_the_legend_as_in_a_view_that_high() {
        let size = UVec2::new(500, 500);
        let sub = framed_above_legend(size, 100).expect("a legend 100 pixels high");
        let mut framed = PerspectiveProjection::default();
        framed.update(500.0, 400.0);
        let mut whole = PerspectiveProjection::default();
        whole.update(500.0, 500.0);
        for at in [Vec3::new(0.0, 0.0, -5.0), Vec3::new(1.0, -1.5, -4.0), Vec3::new(-2.0, 1.0, -6.0)] {
            // The same pixel as in a 500×400 view of its own, over the legend's 100 rows.
            let got = pixel(whole.get_clip_from_view_for_sub(&sub), size, at);
            let alone = pixel(framed.get_clip_from_view(), UVec2::new(500, 400), at);
            assert!(got.distance(alone) < 0.01, "{at}: {got} in the view, {alone} in a view above the legend");
        }
        // The view's centre is then 50 pixels above the viewport's middle.
        assert!((pixel(whole.get_clip_from_view_for_sub(&sub), size, Vec3::new(0.0, 0.0, -5.0)).y - 200.0).abs() < 0.01);
    }

    #[test]
    fn no_legend_leaves_the_projection_alone_and_a_tall_one_takes_half_the_view_at_most() {
        assert_eq!(framed_above_legend(UVec2::new(500, 500), 0), None);
        let sub = framed_above_legend(UVec2::new(500, 300), 1000).expect("a legend");
        assert_eq!((sub.full_size, sub.size, sub.offset), (UVec2::new(500, 150), UVec2::new(500, 300), Vec2::ZERO));
    }
}
