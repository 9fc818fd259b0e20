//! The slice as filled contours: the grid's loss, interpolated between vertices, cut into bands
//! of equal height and coloured with the app's colour map ([`HeightScale`]), a darker pixel where
//! one band meets the next. The picture of `losscape animate` that needs no GPU.

use crate::core::landscape::Grid;
use crate::mesh::{HeightScale, NON_FINITE, viridis};

/// Bands of the filled contours.
pub const BANDS: usize = 14;

/// How much darker a band's edge is drawn (a fraction of its colour kept).
const EDGE: f32 = 0.72;

/// The `width`×`height` RGB picture of the grid's surface seen from above: pixel (x, y) is at
/// a = a₀ + (x + ½)/width · (a₁ − a₀), b from b₁ at the top to b₀ at the bottom.
pub fn contour_image(grid: &Grid, scale: &HeightScale, width: usize, height: usize) -> Vec<u8> {
    let band = |x: usize, y: usize| -> Option<usize> {
        let fx = (x as f64 + 0.5) / width as f64 * (grid.res - 1) as f64;
        let fy = (1.0 - (y as f64 + 0.5) / height as f64) * (grid.res - 1) as f64;
        let t = unit_at(grid, scale, fx, fy)?;
        Some(((t * BANDS as f64) as usize).min(BANDS - 1))
    };
    let bands: Vec<Option<usize>> = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).map(|(x, y)| band(x, y)).collect();
    let mut rgb = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        for x in 0..width {
            let here = bands[y * width + x];
            let colour = match here {
                None => NON_FINITE,
                Some(k) => {
                    let c = viridis((k as f64 + 0.5) / BANDS as f64);
                    let next_differs =
                        (x + 1 < width && bands[y * width + x + 1] != here) || (y + 1 < height && bands[(y + 1) * width + x] != here);
                    if next_differs { c.map(|v| v * EDGE) } else { c }
                }
            };
            rgb.extend(crate::mesh::to_bytes(colour));
        }
    }
    rgb
}

/// The height fraction (0…1) at fractional vertex coordinates (`fx`, `fy`): bilinear between the
/// four vertices around it in the scale's units (log when the scene's heights are), the nearest
/// vertex's where one of the four is not finite; `None` where that one is not finite either.
fn unit_at(grid: &Grid, scale: &HeightScale, fx: f64, fy: f64) -> Option<f64> {
    let last = grid.res - 1;
    let (i, j) = ((fx.floor() as usize).min(last.saturating_sub(1)), (fy.floor() as usize).min(last.saturating_sub(1)));
    let (u, v) = ((fx - i as f64).clamp(0.0, 1.0), (fy - j as f64).clamp(0.0, 1.0));
    let value = |i: usize, j: usize| {
        let l = grid.at(i.min(last), j.min(last));
        if l.is_finite() { Some(scale.value(l)) } else { None }
    };
    let corners = [value(i, j), value(i + 1, j), value(i, j + 1), value(i + 1, j + 1)];
    let v = match corners {
        [Some(a), Some(b), Some(c), Some(d)] => (a * (1.0 - u) + b * u) * (1.0 - v) + (c * (1.0 - u) + d * u) * v,
        _ => value(i + (u >= 0.5) as usize, j + (v >= 0.5) as usize)?,
    };
    Some(((v - scale.lo) / (scale.hi - scale.lo)).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a colour is one of the bands' fills (not an edge).
    fn viridis_band(c: [u8; 3]) -> bool {
        (0..BANDS).any(|k| crate::mesh::to_bytes(viridis((k as f64 + 0.5) / BANDS as f64)) == c)
    }

    fn bowl(res: usize) -> Grid {
        let axis: Vec<f64> = (0..res).map(|k| -1.0 + 2.0 * k as f64 / (res - 1) as f64).collect();
        let loss = (0..res * res).map(|n| axis[n % res].powi(2) + axis[n / res].powi(2)).collect();
        Grid { res, a: axis.clone(), b: axis, loss }
    }

    #[test]
    fn the_low_centre_is_the_low_colour_and_the_corners_the_high_one() {
        let g = bowl(33);
        let scale = HeightScale::of(&g, false);
        let (w, h) = (60, 40);
        let img = contour_image(&g, &scale, w, h);
        assert_eq!(img.len(), w * h * 3);
        let at = |x: usize, y: usize| [img[(y * w + x) * 3], img[(y * w + x) * 3 + 1], img[(y * w + x) * 3 + 2]];
        assert_eq!(at(w / 2, h / 2), crate::mesh::to_bytes(viridis(0.5 / BANDS as f64)));
        // The corner is the top band (drawn darker where it meets the next).
        let top = viridis((BANDS as f64 - 0.5) / BANDS as f64);
        assert!([crate::mesh::to_bytes(top), crate::mesh::to_bytes(top.map(|v| v * EDGE))].contains(&at(0, 0)), "{:?}", at(0, 0));
        // Brightness (viridis rises in it) grows from the centre out along the middle row.
        let lum = |c: [u8; 3]| 2126 * u32::from(c[0]) + 7152 * u32::from(c[1]) + 722 * u32::from(c[2]);
        let fills: Vec<u32> = (w / 2..w).map(|x| at(x, h / 2)).filter(|c| viridis_band(*c)).map(lum).collect();
        assert!(fills.windows(2).all(|p| p[1] >= p[0]), "{fills:?}");
    }

    #[test]
    fn band_edges_are_darker_and_a_diverged_corner_is_magenta() {
        let mut g = bowl(9);
        g.loss[8 * 9 + 8] = f64::NAN; // the top-right vertex (a = 1, b = 1)
        let scale = HeightScale::of(&g, false);
        let img = contour_image(&g, &scale, 90, 90);
        assert_eq!(&img[89 * 3..89 * 3 + 3], &crate::mesh::to_bytes(NON_FINITE));
        let colours: std::collections::BTreeSet<[u8; 3]> = img.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
        // BANDS fills, their darker edges, and magenta: a palette a GIF frame can carry exactly.
        assert!(colours.len() <= 2 * BANDS + 1, "{}", colours.len());
        assert!(colours.len() > BANDS, "edges are drawn");
    }
}
