//! The mesh step of the pipeline (grid → mesh → screen or files): how a grid of losses becomes
//! heights, colours and triangles. The app's surface and the OBJ/PLY exports both build their
//! mesh from here, so a scene looks the same on screen and in Blender: one height range, one
//! colour map, one triangulation. Bevy-free; the app only turns these numbers into world units
//! and GPU buffers.

use crate::core::elementary::{log10, pow};
use crate::core::landscape::Grid;

/// Colour of a vertex whose loss is not finite (a diverging region), sRGB: magenta, a colour
/// viridis never reaches.
pub const NON_FINITE: [f32; 3] = [1.0, 0.0, 1.0];

/// Run `i`'s colour, sRGB, cycled: its ball, trail, legend and plot lines on screen, and its
/// path in mesh files. Distinct from each other and from viridis's purple-to-yellow.
pub fn run_colour(i: usize) -> [f32; 3] {
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

/// How a loss becomes a height and a colour: the loss or its log10, then the finite range of
/// the grid onto [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeightScale {
    /// Lowest drawn value (after the log when `log`).
    pub lo: f64,
    /// Highest drawn value (> `lo`).
    pub hi: f64,
    /// Heights are log10(loss) (the scene's `surface.log_height`).
    pub log: bool,
}

impl HeightScale {
    /// The range of the grid's finite (log) losses; [0, 1] when none is finite, widened to one
    /// unit when the grid is flat (a plane of equal losses still has a colour and a height).
    pub fn of(grid: &Grid, log: bool) -> Self {
        let probe = HeightScale { lo: 0.0, hi: 1.0, log };
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &l in &grid.loss {
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
        HeightScale { lo, hi, log }
    }

    /// The value that is mapped: the loss, or log10 of it (losses ≤ 0 count as 1e-300).
    pub fn value(&self, loss: f64) -> f64 {
        if self.log { log10(loss.max(1e-300)) } else { loss }
    }

    /// Height in [0, 1], clamped a little beyond (−0.05 … 1.5) so a path point below or above
    /// the grid stays near it; non-finite losses sit at 1.5.
    pub fn unit(&self, loss: f64) -> f64 {
        let t = (self.value(loss) - self.lo) / (self.hi - self.lo).max(1e-300);
        if t.is_finite() { t.clamp(-0.05, 1.5) } else { 1.5 }
    }

    /// The loss at height fraction `t` (for legends).
    pub fn loss_at(&self, t: f64) -> f64 {
        let v = self.lo + t * (self.hi - self.lo);
        if self.log { pow(10.0, v) } else { v }
    }

    /// The colour of a vertex at `loss`: viridis over the height range, [`NON_FINITE`] where
    /// the loss diverges.
    pub fn colour(&self, loss: f64) -> [f32; 3] {
        if loss.is_finite() { viridis(self.unit(loss)) } else { NON_FINITE }
    }
}

/// The viridis colour map (perceptually uniform, readable in grey and by most colour-blind
/// viewers), sRGB, for t in [0, 1] (clamped; NaN gives the low end).
#[allow(clippy::approx_constant)] // 0.318 is a colour stop, not 1/π.
pub fn viridis(t: f64) -> [f32; 3] {
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
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = (t * (STOPS.len() - 1) as f64) as f32;
    let k = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - k as f32;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])]
}

/// An sRGB colour in 0–255 channels, as mesh files store it.
pub fn to_bytes(c: [f32; 3]) -> [u8; 3] {
    c.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
}

/// The surface's vertices in mesh order — row by row, `j * res + i` — as (a, b, loss); a curve
/// gives its `res` points with b = 0.
pub fn vertices(grid: &Grid) -> impl Iterator<Item = [f64; 3]> + '_ {
    let rows = if grid.is_curve() { 1 } else { grid.res };
    (0..rows).flat_map(move |j| {
        let b = if grid.is_curve() { 0.0 } else { grid.b[j] };
        (0..grid.res).map(move |i| [grid.a[i], b, grid.at(i, j)])
    })
}

/// The surface's triangles, two per cell split along the (i, j)–(i+1, j+1) diagonal, wound
/// counter-clockwise seen from above (+a right, +b away, loss up) so normals point up. None for
/// a curve.
pub fn triangles(grid: &Grid) -> impl Iterator<Item = [u32; 3]> + '_ {
    let res = grid.res;
    let cells = if grid.is_curve() { 0 } else { res.saturating_sub(1) };
    let at = move |i: usize, j: usize| (j * res + i) as u32;
    (0..cells).flat_map(move |j| {
        (0..cells).flat_map(move |i| [[at(i, j), at(i + 1, j), at(i + 1, j + 1)], [at(i, j), at(i + 1, j + 1), at(i, j + 1)]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(loss: Vec<f64>) -> Grid {
        Grid { res: 2, a: vec![-1.0, 1.0], b: vec![-2.0, 2.0], loss }
    }

    #[test]
    fn the_finite_range_maps_onto_zero_to_one() {
        let g = grid(vec![1.0, 3.0, f64::NAN, 5.0]);
        let s = HeightScale::of(&g, false);
        assert_eq!((s.lo, s.hi), (1.0, 5.0));
        assert_eq!(s.unit(3.0), 0.5);
        assert_eq!(s.unit(f64::INFINITY), 1.5);
        assert_eq!(s.unit(-100.0), -0.05);
        assert_eq!(s.colour(f64::NAN), NON_FINITE);
        assert_eq!(s.colour(1.0), viridis(0.0));
        assert_eq!(s.colour(5.0), viridis(1.0));
        let log = HeightScale::of(&grid(vec![0.01, 1.0, 10.0, 100.0]), true);
        assert_eq!((log.lo, log.hi), (-2.0, 2.0));
        assert!((log.loss_at(0.75) - 10.0).abs() < 1e-12);
    }

    #[test]
    fn a_flat_or_diverged_grid_still_has_a_range() {
        let flat = HeightScale::of(&grid(vec![2.0; 4]), false);
        assert_eq!((flat.lo, flat.hi), (2.0, 3.0));
        let none = HeightScale::of(&grid(vec![f64::NAN; 4]), false);
        assert_eq!((none.lo, none.hi), (0.0, 1.0));
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(to_bytes(viridis(0.0)), [68, 1, 84]);
        assert_eq!(to_bytes(viridis(1.0)), [253, 231, 37]);
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(viridis(7.0), viridis(1.0));
        // Brightness rises monotonically, so height reads in grey too.
        let lum = |c: [f32; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
        let steps: Vec<f32> = (0..=20).map(|k| lum(viridis(k as f64 / 20.0))).collect();
        assert!(steps.windows(2).all(|w| w[1] > w[0]), "{steps:?}");
    }

    #[test]
    fn vertices_go_row_by_row_and_triangles_cover_each_cell_twice() {
        let g = Grid { res: 3, a: vec![-1.0, 0.0, 1.0], b: vec![-1.0, 0.0, 1.0], loss: (0..9).map(f64::from).collect() };
        let v: Vec<_> = vertices(&g).collect();
        assert_eq!(v.len(), 9);
        assert_eq!(v[5], [1.0, 0.0, 5.0]);
        let t: Vec<_> = triangles(&g).collect();
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], [0, 1, 4]);
        assert_eq!(t[1], [0, 4, 3]);
        // Counter-clockwise seen from above: the signed area in (a, b) is positive.
        for [p, q, r] in &t {
            let (p, q, r) = (v[*p as usize], v[*q as usize], v[*r as usize]);
            assert!((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]) > 0.0);
        }
        let curve = Grid { res: 3, a: vec![-1.0, 0.0, 1.0], b: vec![], loss: vec![1.0, 0.0, 1.0] };
        assert_eq!(vertices(&curve).collect::<Vec<_>>(), [[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]);
        assert_eq!(triangles(&curve).count(), 0);
    }
}
