//! How the world looks, with no app state: the world units of the drawn box, the loss → height
//! map, the colour maps, number and text formatting, and the f64 → f32 conversion of world
//! positions. Imports no other app file, so every other file can use it.

use bevy::prelude::*;

/// Half-width of the surface in world units: it spans x, z ∈ [−HALF, HALF].
pub const HALF: f64 = 5.0;
/// Height of the surface in world units: the loss range maps to y ∈ [0, HEIGHT].
pub const HEIGHT: f64 = 3.5;
/// Height of a 1-parameter curve in world units (drawn flat, so it can be taller).
pub const CURVE_HEIGHT: f64 = 6.0;

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

/// Converts a world position (f64 math) to Bevy's f32; non-finite coordinates become 0.
pub fn to_vec3(p: [f64; 3]) -> Vec3 {
    let f = |v: f64| if v.is_finite() { v as f32 } else { 0.0 };
    Vec3::new(f(p[0]), f(p[1]), f(p[2]))
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

/// Distinct colours for the runs (and their legends and plots), sRGB.
pub fn run_color(i: usize) -> [f32; 3] {
    const PALETTE: [[f32; 3]; 8] = [
        [0.95, 0.30, 0.25],
        [0.25, 0.65, 1.00],
        [1.00, 0.75, 0.15],
        [0.85, 0.40, 0.95],
        [0.30, 0.90, 0.55],
        [1.00, 0.55, 0.75],
        [0.90, 0.90, 0.90],
        [0.60, 0.45, 0.25],
    ];
    PALETTE[i % PALETTE.len()]
}

/// Short number formatting for labels.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) {
        format!("{:.3}", v).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

/// Text with the few symbols egui's default fonts lack spelled in ASCII.
pub fn plain(text: &str) -> String {
    text.replace('‖', "|").replace('≤', "<=").replace('→', "->").replace('≥', ">=")
}
