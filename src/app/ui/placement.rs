//! Where the labels painted over the 3D view go, as plain rectangle math (no painting, no
//! camera): beside an edge of the box on its outer side, moved inside the view, and clear of
//! every label placed before. Before this, each label was painted at a fixed offset from its
//! anchor, so the tangent's and the secant's slopes ran off the view and over each other
//! (lesson 0), over the axis name (lesson 1), and the second axis's name sat on the surface.

use bevy_egui::egui::{Pos2, Rect, Vec2};

/// Space kept between two labels, in points.
pub const GAP: f32 = 4.0;

/// Space kept between two labels side by side on one line: a few points apart they read as one
/// phrase (lesson 6's near corner read "1.251 d2 = −1.251 d2", an end value of each axis and
/// an axis name).
pub const LINE_GAP: f32 = 20.0;

/// The rectangle of a `size` label set `gap` points off `at` along the unit direction `out`:
/// its centre goes far enough that the whole label lies on that side (the rectangle's extent
/// along `out` is `|out.x|·w/2 + |out.y|·h/2`), so a label beside an edge never crosses it.
pub fn beside(at: Pos2, out: Vec2, size: Vec2, gap: f32) -> Rect {
    let reach = out.x.abs() * size.x / 2.0 + out.y.abs() * size.y / 2.0;
    Rect::from_center_size(at + out * (gap + reach), size)
}

/// `r` moved the least so that it lies inside `bounds`; one larger than `bounds` keeps its
/// top-left corner inside (the start of a text is what must show).
pub fn inside(r: Rect, bounds: Rect) -> Rect {
    let shift = |lo: f32, hi: f32, min: f32, max: f32| {
        if lo < min || hi - lo > max - min {
            min - lo
        } else if hi > max {
            max - hi
        } else {
            0.0
        }
    };
    r.translate(Vec2::new(shift(r.min.x, r.max.x, bounds.min.x, bounds.max.x), shift(r.min.y, r.max.y, bounds.min.y, bounds.max.y)))
}

/// Hands out places for labels, one after another, inside one view: each label goes where it
/// was asked, moved inside the view, or else to the nearest spot that overlaps no earlier one.
#[derive(Clone, Debug)]
pub struct Placer {
    bounds: Rect,
    taken: Vec<Rect>,
}

impl Placer {
    /// Nothing placed yet in `bounds` (the 3D view's rectangle).
    pub fn new(bounds: Rect) -> Self {
        Self { bounds, taken: Vec::new() }
    }

    /// The rectangle labels are kept inside.
    pub fn bounds(&self) -> Rect {
        self.bounds
    }

    /// Marks `r` as taken (something already on screen: the legend, a caption).
    pub fn reserve(&mut self, r: Rect) {
        self.taken.push(r);
    }

    /// Where a label that wants `want` goes, marked taken from now on: `want` moved inside the
    /// view; if that overlaps an earlier label, the nearest (in distance moved) of the spots
    /// just above, below, left or right of the earlier labels that is inside and overlaps none.
    /// When no spot is free (a view too small for its labels) it stays where it was asked.
    pub fn place(&mut self, want: Rect) -> Rect {
        let first = inside(want, self.bounds);
        let spot = if self.is_free(first) { first } else { self.nearest_free(want).unwrap_or(first) };
        self.taken.push(spot);
        spot
    }

    fn is_free(&self, r: Rect) -> bool {
        // Touching rectangles count as intersecting: the earlier ones grow a hair less.
        let (theirs, mine) = (Vec2::new(LINE_GAP, GAP) / 2.0 - Vec2::splat(0.01), Vec2::new(LINE_GAP, GAP) / 2.0);
        self.taken.iter().all(|t| !t.expand2(theirs).intersects(r.expand2(mine)))
    }

    fn nearest_free(&self, want: Rect) -> Option<Rect> {
        let size = want.size();
        let mut xs = vec![want.min.x];
        let mut ys = vec![want.min.y];
        for t in &self.taken {
            xs.extend([t.max.x + LINE_GAP, t.min.x - LINE_GAP - size.x]);
            ys.extend([t.max.y + GAP, t.min.y - GAP - size.y]);
        }
        let mut best: Option<(f32, Rect)> = None;
        for &x in &xs {
            for &y in &ys {
                let r = inside(Rect::from_min_size(Pos2::new(x, y), size), self.bounds);
                let moved = (r.min - want.min).length_sq();
                if self.is_free(r) && best.is_none_or(|(d, _)| moved < d) {
                    best = Some((moved, r));
                }
            }
        }
        best.map(|(_, r)| r)
    }
}

/// The outer side of a box edge on screen: the unit normal of the segment `p`–`q` that points
/// away from `centre` (the box's middle on screen). `None` for an edge seen end-on.
pub fn outward(p: Pos2, q: Pos2, centre: Pos2) -> Option<Vec2> {
    let along = q - p;
    let n = Vec2::new(-along.y, along.x);
    let len = n.length();
    if len < 1e-3 {
        return None;
    }
    let n = n / len;
    let mid = p + along / 2.0;
    Some(if (mid - centre).dot(n) < 0.0 { -n } else { n })
}

/// Of two opposite edges of the box's floor on screen (each `[p, q]`), the one whose outer side
/// faces down the screen, with that side. The surface rises up the screen from its floor, so
/// the space below the lower edge is the only side of the box it never covers: axis names and
/// values go there.
pub fn lower_edge(edges: [[Pos2; 2]; 2], centre: Pos2) -> Option<(usize, Vec2)> {
    let sides: Vec<(usize, Vec2)> = edges.iter().enumerate().filter_map(|(i, [p, q])| outward(*p, *q, centre).map(|n| (i, n))).collect();
    sides.into_iter().max_by(|a, b| a.1.y.total_cmp(&b.1.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect::from_min_size(Pos2::new(x, y), Vec2::new(w, h))
    }

    #[test]
    fn a_label_beside_an_edge_lies_wholly_on_its_side() {
        // An edge along the x axis at y = 100; out = down; the label's top is `gap` below it.
        let r = beside(Pos2::new(50.0, 100.0), Vec2::new(0.0, 1.0), Vec2::new(40.0, 10.0), 6.0);
        assert_eq!(r.min.y, 106.0);
        assert_eq!(r.center().x, 50.0);
        // Diagonal: every corner is beyond the line through the anchor, by at least the gap.
        let out = Vec2::new(1.0, 1.0).normalized();
        let at = Pos2::new(0.0, 0.0);
        let r = beside(at, out, Vec2::new(80.0, 14.0), 6.0);
        for c in [r.left_top(), r.right_top(), r.left_bottom(), r.right_bottom()] {
            assert!((c - at).dot(out) >= 6.0 - 1e-3, "{c:?}");
        }
    }

    #[test]
    fn a_label_off_the_view_moves_inside() {
        let view = rect(0.0, 0.0, 500.0, 300.0);
        // The secant's slope of lesson 0: anchored near the right edge, 230 points wide.
        assert_eq!(inside(rect(420.0, 200.0, 230.0, 20.0), view), rect(270.0, 200.0, 230.0, 20.0));
        assert_eq!(inside(rect(-30.0, -5.0, 100.0, 20.0), view), rect(0.0, 0.0, 100.0, 20.0));
        // Wider than the view: its start shows.
        assert_eq!(inside(rect(100.0, 10.0, 600.0, 20.0), view).min.x, 0.0);
    }

    #[test]
    fn labels_that_would_overlap_are_set_apart_and_stay_inside() {
        let view = rect(0.0, 0.0, 500.0, 300.0);
        let mut placer = Placer::new(view);
        // Lesson 0 before the fix: the tangent's label right under the secant's, both running
        // off the right edge of the view.
        let secant = placer.place(rect(420.0, 200.0, 230.0, 20.0));
        let tangent = placer.place(rect(430.0, 210.0, 230.0, 20.0));
        for r in [secant, tangent] {
            assert!(view.contains_rect(r), "{r:?}");
        }
        assert!(!secant.intersects(tangent), "{secant:?} {tangent:?}");
        // Moved the least: just below (or above) the first, not across the view.
        assert!((tangent.min.y - secant.max.y - GAP).abs() < 1e-3 || (secant.min.y - tangent.max.y - GAP).abs() < 1e-3);
        assert_eq!(tangent.max.x, 500.0);
    }

    #[test]
    fn labels_side_by_side_keep_a_word_space_apart() {
        let mut placer = Placer::new(rect(0.0, 0.0, 500.0, 300.0));
        let value = placer.place(rect(200.0, 250.0, 40.0, 16.0));
        // The other axis's value asked for the spot just right of it, on the same line.
        let other = placer.place(rect(244.0, 250.0, 90.0, 16.0));
        let apart_in_x = other.min.x - value.max.x >= LINE_GAP - 0.01 || value.min.x - other.max.x >= LINE_GAP - 0.01;
        let apart_in_y = other.min.y >= value.max.y + GAP - 0.01 || value.min.y >= other.max.y + GAP - 0.01;
        assert!(apart_in_x || apart_in_y, "{value:?} {other:?}");
    }

    #[test]
    fn a_reserved_area_is_avoided_and_a_free_label_stays_put() {
        let mut placer = Placer::new(rect(0.0, 0.0, 500.0, 300.0));
        placer.reserve(rect(10.0, 200.0, 200.0, 90.0)); // the legend, bottom left
        let free = rect(300.0, 20.0, 50.0, 15.0);
        assert_eq!(placer.place(free), free);
        let over_legend = placer.place(rect(100.0, 250.0, 60.0, 15.0));
        assert!(!over_legend.intersects(rect(10.0, 200.0, 200.0, 90.0)));
    }

    #[test]
    fn many_labels_in_a_small_view_never_overlap_while_there_is_room() {
        let view = rect(0.0, 0.0, 300.0, 200.0);
        let mut placer = Placer::new(view);
        let placed: Vec<Rect> = (0..8).map(|k| placer.place(rect(100.0 + k as f32, 90.0, 90.0, 16.0))).collect();
        for (i, a) in placed.iter().enumerate() {
            assert!(view.contains_rect(*a));
            for b in &placed[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_lower_of_two_floor_edges_is_chosen_and_its_outer_side_points_down() {
        // Lesson 7b's view: the floor's left edge runs from the near-left corner up to the far
        // one (its outer side faces up-left, where the surface rises); the right edge runs from
        // the near-right corner up to the far-right one (outer side down-right, free).
        let (near_left, far_left) = (Pos2::new(390.0, 510.0), Pos2::new(680.0, 315.0));
        let (near_right, far_right) = (Pos2::new(870.0, 710.0), Pos2::new(1050.0, 415.0));
        let centre = Pos2::new(750.0, 490.0);
        let (i, out) = lower_edge([[near_left, far_left], [near_right, far_right]], centre).unwrap();
        assert_eq!(i, 1);
        assert!(out.x > 0.0 && out.y > 0.0, "{out:?}");
        assert!((out.length() - 1.0).abs() < 1e-5);
        // An edge seen end-on has no side.
        assert!(outward(near_left, near_left, centre).is_none());
    }
}
