//! How the world looks, with no app state: the world units of the drawn box, the loss → height
//! map and colours (shared with the mesh files, from [`crate::mesh`]), text for egui's fonts,
//! and the f64 → f32 conversion of world positions. Imports no other app file, so every other file can use it.

use bevy::prelude::*;

/// Half-width of the surface in world units: it spans x, z ∈ [−HALF, HALF].
pub const HALF: f64 = 5.0;
/// Height of the surface in world units: the loss range maps to y ∈ [0, HEIGHT].
pub const HEIGHT: f64 = 3.5;
/// Height of a 1-parameter curve in world units (drawn flat, so it can be taller).
pub const CURVE_HEIGHT: f64 = 6.0;

pub use crate::mesh::{HeightScale, run_colour, viridis};

/// Converts a world position (f64 math) to Bevy's f32; non-finite coordinates become 0.
pub fn to_vec3(p: [f64; 3]) -> Vec3 {
    let f = |v: f64| if v.is_finite() { v as f32 } else { 0.0 };
    Vec3::new(f(p[0]), f(p[1]), f(p[2]))
}

/// Text with the few symbols egui's default fonts lack spelled in ASCII.
pub fn plain(text: &str) -> String {
    text.replace('‖', "|").replace('≤', "<=").replace('→', "->").replace('≥', ">=")
}
