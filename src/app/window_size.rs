//! The window fits the screen it opens on. The app asks for a 1600×900 window; on a smaller
//! screen (a 1280×720 projector) that window ran past the screen's edges, with the plots panel
//! and the view's right side out of sight. Once the primary monitor is known, a window larger
//! than it shrinks to it; a `--record --size` window (`FixedViewSize`) keeps the size it was
//! asked for, and on the web page the canvas sets the size (there is no monitor).

use bevy::prelude::*;
use bevy::window::{Monitor, PrimaryMonitor, PrimaryWindow};

use super::sets::AppSystems;
use super::settings::FixedViewSize;

pub(super) fn plugin(app: &mut App) {
    // First of the frame (with the input), so the picking and the viewport see the new size.
    app.add_systems(Update, fit_window_to_screen.run_if(not(resource_exists::<FixedViewSize>)).in_set(AppSystems::ReadInput));
}

/// A window of `window` physical pixels shrunk, side by side, to a screen of `screen`.
pub fn fitted(window: UVec2, screen: UVec2) -> UVec2 {
    if screen.x == 0 || screen.y == 0 { window } else { window.min(screen).max(UVec2::ONE) }
}

/// Shrinks the window to the primary monitor once, the first frame both are known.
fn fit_window_to_screen(
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
    monitors: Query<&Monitor, With<PrimaryMonitor>>,
    mut done: Local<bool>,
) {
    if *done {
        return;
    }
    let (Ok(mut window), Ok(monitor)) = (windows.single_mut(), monitors.single()) else { return };
    *done = true;
    let now = window.resolution.physical_size();
    let size = fitted(now, UVec2::new(monitor.physical_width, monitor.physical_height));
    if size != now {
        info!("window {}×{} is larger than the screen: {}×{}", now.x, now.y, size.x, size.y);
        window.resolution.set_physical_resolution(size.x, size.y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_larger_than_the_screen_shrinks_to_it() {
        assert_eq!(fitted(UVec2::new(1600, 900), UVec2::new(1280, 720)), UVec2::new(1280, 720));
        assert_eq!(fitted(UVec2::new(1600, 900), UVec2::new(1920, 1080)), UVec2::new(1600, 900));
        assert_eq!(fitted(UVec2::new(1600, 900), UVec2::new(1366, 1024)), UVec2::new(1366, 900));
        // A monitor that reports no size leaves the window alone.
        assert_eq!(fitted(UVec2::new(1600, 900), UVec2::ZERO), UVec2::new(1600, 900));
    }
}
