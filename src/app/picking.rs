//! Picking: a left click (not a drag) on the surface restarts every run from the point under
//! the cursor, found by intersecting the cursor's ray with the drawn mesh's triangles.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use super::camera::ViewCamera;
use super::sets::AppSystems;
use super::settings::{RecomputeSurface, SetStart, StatusLine};
use super::sim::Simulation;
use super::surface::{SurfaceView, ViewMap};
use crate::core::format;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, pick_start_on_click.in_set(AppSystems::Pick));
}

/// What a click (or, on a touch screen, a tap) on the surface at plane coordinates (a, b) did,
/// in the units shown on the axes.
pub fn describe_click(map: &ViewMap, a: f64, b: f64, tapped: bool) -> String {
    let [oa, ob] = map.land.plane.info.origin;
    let [na, nb] = &map.land.labels;
    let at = format!("{na} = {}, {nb} = {}", format::label(oa + a), format::label(ob + b));
    let by = if tapped { "a tap" } else { "a click" };
    if map.land.dim > 2 {
        format!("start set by {by} on the slice: {at} (all {} parameters move)", map.land.dim)
    } else {
        format!("start set by {by}: {at}")
    }
}

/// The most fingers on the screen at once since the first of them went down.
#[derive(Default, Debug, Clone, Copy, PartialEq)]
struct TouchGesture {
    most: usize,
}

impl TouchGesture {
    /// Counts the fingers on the screen this frame (those lifted in it included).
    fn observe(&mut self, fingers: usize) {
        self.most = self.most.max(fingers);
    }

    /// Whether only one finger has been down: a tap, not the end of a pinch or a pan.
    fn single(&self) -> bool {
        self.most <= 1
    }
}

/// A left click (not a drag) on the surface restarts every run from the point under the
/// cursor: the cursor's ray is intersected with the mesh's triangles. The new start goes on the
/// status line and in the log (`tests/app_click.rs` clicks with a real pointer and reads it).
fn pick_start_on_click(
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    wants: Option<Res<EguiWantsInput>>,
    window: Single<&Window, With<PrimaryWindow>>,
    camera: Single<(&Camera, &GlobalTransform), With<ViewCamera>>,
    view: Option<Res<SurfaceView>>,
    sim: Res<Simulation>,
    mut press: Local<Option<Vec2>>,
    mut gesture: Local<TouchGesture>,
    mut starts: MessageWriter<SetStart>,
    mut recompute: MessageWriter<RecomputeSurface>,
    mut status: ResMut<StatusLine>,
) {
    let Some(view) = view else { return };
    let free = wants.as_ref().is_none_or(|w| !w.wants_any_pointer_input());
    // A tap: one finger down and up without moving (a drag rotates instead), and no second
    // finger since it went down (the last finger lifted after a pinch is not a tap).
    let tap = touches.as_ref().and_then(|t| {
        let lifted: Vec<_> = t.iter_just_released().collect();
        let down = t.iter().count();
        gesture.observe(down + lifted.len());
        let single = gesture.single();
        if down == 0 {
            *gesture = TouchGesture::default();
        }
        match lifted.as_slice() {
            [one] if down == 0 && single && one.distance().length() <= 10.0 && free => Some(one.position()),
            _ => None,
        }
    });
    let up = match (tap, buttons) {
        (Some(at), _) => at,
        (None, Some(buttons)) => {
            let cursor = window.cursor_position();
            if buttons.just_pressed(MouseButton::Left) {
                *press = cursor.filter(|_| free);
            }
            if !buttons.just_released(MouseButton::Left) {
                return;
            }
            let (Some(down), Some(up)) = (press.take(), cursor) else { return };
            if down.distance(up) > 4.0 {
                return;
            }
            up
        }
        (None, None) => return,
    };
    if view.map.land.is_curve() {
        return;
    }
    let (camera, transform) = *camera;
    let Ok(ray) = camera.viewport_to_world(transform, up) else { return };
    let Some(hit) = ray_hit(&view.positions, view.map.land.res(), ray.origin, *ray.direction) else { return };
    let (a, b) = view.map.ab(f64::from(hit.x), f64::from(hit.z));
    let mut theta = vec![0.0; sim.objective().dim()];
    view.map.land.plane.point(a, b, &mut theta);
    starts.write(SetStart(theta));
    let said = describe_click(&view.map, a, b, tap.is_some());
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

#[cfg(test)]
mod tests {
    use super::TouchGesture;

    #[test]
    fn the_last_finger_of_a_pinch_is_not_a_tap() {
        let mut tap = TouchGesture::default();
        for fingers in [1, 1, 1] {
            tap.observe(fingers);
        }
        assert!(tap.single());
        let mut pinch = TouchGesture::default();
        // Two fingers, the first lifted, then the second (which barely moved) lifted too.
        for fingers in [1, 2, 2, 1, 1] {
            pinch.observe(fingers);
        }
        assert!(!pinch.single());
    }
}
