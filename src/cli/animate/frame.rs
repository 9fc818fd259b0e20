//! One frame of `losscape animate`: the scene's title and the step across the top; on the left
//! the slice as filled contours (or the curve, for one parameter) with each run's path so far
//! and its ball; on the right every run's loss so far, drawn by `losscape plot`'s chart on axes
//! fixed for the whole animation. Drawn with plotters into an RGB buffer, text with the embedded
//! font (the same on every machine).

use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::contour::contour_image;
use crate::cli::plot::{Axis, Figure, Series, TextBackend, displayable, draw};
use crate::core::landscape::{Grid, PathPoint, Plane};
use crate::mesh::HeightScale;

/// Everything that stays the same from frame to frame.
pub struct Animation {
    pub title: String,
    pub plane: Plane,
    pub grid: Grid,
    pub scale: HeightScale,
    /// Each run's projected path (finite rows).
    pub paths: Vec<Vec<PathPoint>>,
    /// Each run's loss curve, whole.
    pub curves: Vec<crate::core::Trajectory>,
    pub labels: Vec<String>,
    pub steps: u64,
    /// The loss panel's axes, fixed for every frame.
    pub loss_axes: (Axis, Axis),
    /// The highest loss drawn in the loss panel ([`crate::cli::plot::loss_ceiling`]).
    pub ceiling: f64,
    /// The contour picture, made for the first frame's plot size.
    pub contour: Option<(u32, u32, Vec<u8>)>,
}

fn colour(i: usize) -> RGBColor {
    let [r, g, b] = crate::mesh::to_bytes(crate::mesh::run_colour(i));
    RGBColor(r, g, b)
}

/// Near-black outline of paths and balls, so they read on every band of the colour map.
const INK: RGBColor = RGBColor(20, 20, 20);

impl Animation {
    /// Draws the frame at `step` into `rgb` (`width`×`height`, three bytes a pixel).
    pub fn draw(&mut self, rgb: &mut [u8], (width, height): (u32, u32), step: u64) -> Result<(), String> {
        crate::cli::plot::register_font();
        let root = TextBackend(BitMapBackend::with_buffer(rgb, (width, height))).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let text = (height.min(width) / 40).clamp(10, 40);
        let band = text * 5 / 2;
        let (top, body) = root.split_vertically(band);
        let title_size = f64::from(text) * 1.4;
        let step_text = format!("step {step} of {}", self.steps);
        let step_width = crate::cli::plot::TextLine::new(&step_text, title_size, (0.0, 0.0)).width as u32;
        let room = width.saturating_sub(step_width + 4 * text);
        let title = fit(&displayable(&self.title), title_size, room);
        let style = |h| TextStyle::from(("sans-serif", title_size).into_font()).color(&BLACK).pos(Pos::new(h, VPos::Center));
        top.draw_text(&title, &style(HPos::Left), (text as i32, band as i32 / 2)).map_err(|e| e.to_string())?;
        top.draw_text(&step_text, &style(HPos::Right), ((width - text) as i32, band as i32 / 2)).map_err(|e| e.to_string())?;

        let left_width = (height - band).min(width * 11 / 20);
        let (left, right) = body.split_horizontally(left_width);
        if self.grid.is_curve() {
            self.draw_curve(&left, text, step)?;
        } else {
            self.draw_slice(&left, text, step)?;
        }
        let series: Vec<Series> = self
            .curves
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut s = Series::of(i, t, step);
                s.cut_above(self.ceiling);
                s
            })
            .collect();
        let fig = Figure {
            title: "loss".into(),
            series: &series,
            labels: self.labels.clone(),
            colours: (0..series.len()).map(colour).collect(),
            x: self.loss_axes.0.clone(),
            y: self.loss_axes.1.clone(),
        };
        draw(&right, &fig)?;
        root.present().map_err(|e| e.to_string())
    }

    /// The contour map of a slice, each run's path up to `step` and its ball.
    fn draw_slice<DB: DrawingBackend>(
        &mut self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        text: u32,
        step: u64,
    ) -> Result<(), String> {
        let info = &self.plane.info;
        let shown = |k: usize, v: f64| info.origin[k] + v;
        let (a0, a1) = (shown(0, self.grid.a[0]), shown(0, *self.grid.a.last().unwrap_or(&1.0)));
        let (b0, b1) = (shown(1, self.grid.b[0]), shown(1, *self.grid.b.last().unwrap_or(&1.0)));
        let mut chart = ChartBuilder::on(area)
            .margin(text)
            .x_label_area_size(text * 3)
            .y_label_area_size(text * 5)
            .build_cartesian_2d(a0..a1, b0..b1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(displayable(&info.names[0]))
            .y_desc(displayable(&info.names[1]))
            .label_style(("sans-serif", text))
            .axis_desc_style(("sans-serif", text * 6 / 5))
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| crate::core::format::tick(*v, (a1 - a0) / 6.0))
            .y_label_formatter(&|v| crate::core::format::tick(*v, (b1 - b0) / 6.0))
            .draw()
            .map_err(|e| e.to_string())?;
        let plot = chart.plotting_area();
        let (pw, ph) = plot.dim_in_pixel();
        if self.contour.as_ref().is_none_or(|(w, h, _)| (*w, *h) != (pw, ph)) {
            self.contour = Some((pw, ph, contour_image(&self.grid, &self.scale, pw as usize, ph as usize)));
        }
        let Some((_, _, pixels)) = &self.contour else { unreachable!("made just above") };
        let image = BitMapElement::with_ref((0, 0), (pw, ph), pixels).ok_or("the contour picture has the wrong size")?;
        plot.strip_coord_spec().draw(&image).map_err(|e| e.to_string())?;
        let radius = (text as i32 * 2 / 3).max(4);
        let n = self.paths.len();
        let points: Vec<Vec<(f64, f64)>> = self
            .paths
            .iter()
            .map(|path| path.iter().take_while(|p| p.step <= step).map(|p| (shown(0, p.a), shown(1, p.b))).collect())
            .collect();
        // Segment by segment: plotters joins a wide polyline with mitres, which a path that turns
        // back on itself (gradient descent zig-zagging across a valley) stretches into long spikes.
        let pieces: Vec<Vec<Vec<(f64, f64)>>> = points
            .iter()
            .map(|p| clip_polyline(p, (a0, a1), (b0, b1)).iter().flat_map(|seg| seg.windows(2).map(<[_]>::to_vec)).collect())
            .collect();
        // Every outline first, then the runs from the first (widest) to the last (narrowest), so
        // a path drawn over another's shows that one as a border on both sides.
        for (i, p) in pieces.iter().enumerate() {
            let style = INK.stroke_width(4 + 2 * lane(i, n));
            chart.draw_series(p.iter().map(|s| PathElement::new(s.clone(), style))).map_err(|e| e.to_string())?;
        }
        for (i, p) in pieces.iter().enumerate() {
            let style = colour(i).stroke_width(2 + 2 * lane(i, n));
            chart.draw_series(p.iter().map(|s| PathElement::new(s.clone(), style))).map_err(|e| e.to_string())?;
        }
        // Each run's ball (or the cross where it diverged) where its path has got to, outlines
        // first as for the paths: balls that meet show as rings, the first run's outermost.
        let marks: Vec<(usize, (f64, f64), bool)> = self
            .paths
            .iter()
            .zip(&points)
            .enumerate()
            .filter_map(|(i, (path, points))| {
                let &last = points.last()?;
                let inside = (a0..=a1).contains(&last.0) && (b0..=b1).contains(&last.1);
                let ended =
                    path.last().is_some_and(|p| p.step < step) && self.curves[i].records.last().is_some_and(|r| !r.loss.is_finite());
                inside.then_some((i, last, ended))
            })
            .collect();
        let size = |i: usize| (radius - lane(0, n) as i32 + 2 * lane(i, n) as i32).max(3);
        for &(i, at, ended) in &marks {
            if ended {
                chart.draw_series(std::iter::once(Cross::new(at, size(i), INK.stroke_width(5)))).map_err(|e| e.to_string())?;
            } else {
                chart.draw_series(std::iter::once(Circle::new(at, size(i) + 1, INK.filled()))).map_err(|e| e.to_string())?;
            }
        }
        for &(i, at, ended) in &marks {
            if ended {
                // The run diverged: its ball is gone, a cross marks where it left.
                chart.draw_series(std::iter::once(Cross::new(at, size(i), colour(i).stroke_width(3)))).map_err(|e| e.to_string())?;
            } else {
                chart.draw_series(std::iter::once(Circle::new(at, size(i) - 1, colour(i).filled()))).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// A one-parameter objective: its loss curve, each run's path along it so far and its ball.
    fn draw_curve<DB: DrawingBackend>(
        &mut self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
        text: u32,
        step: u64,
    ) -> Result<(), String> {
        let info = &self.plane.info;
        let shown = |v: f64| info.origin[0] + v;
        let (x0, x1) = (shown(self.grid.a[0]), shown(*self.grid.a.last().unwrap_or(&1.0)));
        let y = Axis::losses(crate::cli::plot::Scale::Linear, self.scale.loss_at(0.0), self.scale.loss_at(1.0));
        let mut chart = ChartBuilder::on(area)
            .margin(text)
            .x_label_area_size(text * 3)
            .y_label_area_size(text * 5)
            .build_cartesian_2d(x0..x1, y)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(displayable(&info.names[0]))
            .y_desc("loss")
            .label_style(("sans-serif", text))
            .axis_desc_style(("sans-serif", text * 6 / 5))
            .x_label_formatter(&|v| crate::core::format::tick(*v, (x1 - x0) / 10.0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(|e| e.to_string())?;
        let curve = self.grid.a.iter().zip(&self.grid.loss).filter(|(_, l)| l.is_finite()).map(|(&a, &l)| (shown(a), l));
        chart.draw_series(LineSeries::new(curve, RGBColor(90, 90, 90).stroke_width(2))).map_err(|e| e.to_string())?;
        let radius = (text as i32 * 2 / 3).max(4);
        for (i, path) in self.paths.iter().enumerate() {
            let points: Vec<(f64, f64)> = path.iter().take_while(|p| p.step <= step).map(|p| (shown(p.a), p.loss)).collect();
            let inside: Vec<(f64, f64)> = points.iter().copied().filter(|&(x, l)| (x0..=x1).contains(&x) && l.is_finite()).collect();
            // Segment by segment, as on a slice (no mitre spikes where the path turns back).
            let pieces = inside.windows(2).map(|w| PathElement::new(vec![w[0], w[1]], colour(i).mix(0.6).stroke_width(2)));
            chart.draw_series(pieces).map_err(|e| e.to_string())?;
            if let Some(&last) = points.last().filter(|p| (x0..=x1).contains(&p.0)) {
                chart.draw_series(std::iter::once(Circle::new(last, radius + 1, INK.filled()))).map_err(|e| e.to_string())?;
                chart.draw_series(std::iter::once(Circle::new(last, radius - 1, colour(i).filled()))).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// How many runs after run `i` of `n` are drawn over it (at most 3): its path is 2 pixels wider
/// and its ball's radius 2 pixels larger per run above it, so where paths run along each other
/// (lesson 3's gradient descent under momentum) each earlier one shows as a border around the
/// later, and balls that meet show as rings.
fn lane(i: usize, n: usize) -> u32 {
    n.saturating_sub(i + 1).min(3) as u32
}

/// `text` cut with "…" to fit `room` pixels at `size`.
fn fit(text: &str, size: f64, room: u32) -> String {
    let width = |t: &str| crate::cli::plot::TextLine::new(t, size, (0.0, 0.0)).width as u32;
    if width(text) <= room {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 && width(&format!("{}…", chars[..n].iter().collect::<String>())) > room {
        n -= 1;
    }
    format!("{}…", chars[..n].iter().collect::<String>().trim_end())
}

/// The parts of a polyline inside the box [x0, x1] × [y0, y1] (Liang–Barsky on each segment):
/// a path that leaves the view is cut at its edge, not drawn over the axes.
fn clip_polyline(points: &[(f64, f64)], (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for w in points.windows(2) {
        let ((px, py), (qx, qy)) = (w[0], w[1]);
        let (dx, dy) = (qx - px, qy - py);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [(-dx, px - x0), (dx, x1 - px), (-dy, py - y0), (dy, y1 - py)] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 { t0 = t0.max(r) } else { t1 = t1.min(r) }
            }
        }
        if !visible || t0 > t1 || !(t0.is_finite() && t1.is_finite()) {
            open = false;
            continue;
        }
        let a = (px + t0 * dx, py + t0 * dy);
        let b = (px + t1 * dx, py + t1 * dy);
        if !(open && t0 == 0.0) {
            out.push(vec![a]);
        }
        if let Some(s) = out.last_mut() {
            s.push(b);
        }
        open = t1 == 1.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_leaving_the_view_is_cut_at_its_edge() {
        let inside = clip_polyline(&[(0.0, 0.0), (0.5, 0.5), (0.8, 0.2)], (-1.0, 1.0), (-1.0, 1.0));
        assert_eq!(inside, [vec![(0.0, 0.0), (0.5, 0.5), (0.8, 0.2)]]);
        let out_and_back = clip_polyline(&[(0.0, 0.0), (3.0, 0.0), (0.0, 0.5)], (-1.0, 1.0), (-1.0, 1.0));
        assert_eq!(out_and_back.len(), 2);
        assert_eq!(out_and_back[0], [(0.0, 0.0), (1.0, 0.0)]);
        assert_eq!(out_and_back[1][1], (0.0, 0.5));
        assert!((out_and_back[1][0].0 - 1.0).abs() < 1e-12);
        assert!(clip_polyline(&[(5.0, 5.0), (6.0, 6.0)], (-1.0, 1.0), (-1.0, 1.0)).is_empty());
    }

    #[test]
    fn a_long_title_is_cut_to_fit() {
        let long = "Lesson 8: exploding gradients, and clipping them by their norm";
        let cut = fit(long, 20.0, 200);
        assert!(cut.ends_with('…') && cut.len() < long.len(), "{cut}");
        assert!(crate::cli::plot::TextLine::new(&cut, 20.0, (0.0, 0.0)).width <= 200.0);
        assert_eq!(fit("short", 20.0, 200), "short");
    }
}
