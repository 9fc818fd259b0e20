//! Ticks and tick labels of the plots' log10 axes (the loss and the gradient norms are plotted
//! as log10 of the value). egui_plot's own spacer only knows powers of ten of the plotted
//! number: on a log axis that gave ticks at 10^0.1 steps (labels 1.3, 1.6, 2.0) or, when the
//! data spanned less than one decade, one tick or none. Here the ticks are whole decades when
//! the axis is long, 1-2-5 (or 1…9) times a power of ten in between when there is room, and
//! plain decimal steps (0.95, 1.00, 1.05) when the data spans less than a factor of a few.

use std::ops::RangeInclusive;

use egui_plot::{GridInput, GridMark};

/// Least distance between two labelled ticks, in points: egui_plot shows a tick label only
/// when its `step_size` spans more than 20 points, fully from 30.
const LABEL_SPACING: f64 = 28.0;

/// egui_plot's default smallest grid spacing, in points: `GridInput::base_step_size` is this
/// many points in plot units.
const GRID_MIN_POINTS: f64 = 8.0;

/// The mantissa sets tried between decades, finest first (their spacing: [`smallest_gap`]).
const MANTISSAS: [&[f64]; 4] = [&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], &[1.0, 2.0, 5.0], &[1.0, 3.0], &[1.0]];

/// egui_plot's y (or x) spacer for a log10 axis.
pub fn spacer(input: GridInput) -> Vec<GridMark> {
    if input.base_step_size.is_nan() || input.base_step_size <= 0.0 {
        return Vec::new();
    }
    marks(input.bounds, GRID_MIN_POINTS / input.base_step_size)
}

/// Tick marks on a log10 axis showing `bounds` (log10 of the values) at `per_decade` points a
/// decade. Every mark's `step_size` is its distance to its nearest neighbour (whole decades
/// get a full decade, so their grid lines are the strongest), never under the spacing a label
/// needs, so every mark is labelled.
pub fn marks((lo, hi): (f64, f64), per_decade: f64) -> Vec<GridMark> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo && per_decade > 0.0) {
        return Vec::new();
    }
    let min_gap = LABEL_SPACING / per_decade;
    if min_gap > 1.0 {
        // Decades every 1, 2, 5, 10, … decades.
        let every = nice_at_least(min_gap).max(1.0);
        return multiples(lo, hi, every).into_iter().map(|value| GridMark { value, step_size: every }).collect();
    }
    let even = MANTISSAS.iter().find(|set| smallest_gap(set) >= min_gap).map_or_else(Vec::new, |set| mantissa_marks(lo, hi, set));
    if even.len() >= 3 {
        return even;
    }
    // Short axes: 1-2-5 thinned to the spacing (0.05, 0.2, 0.5) while that gives three ticks;
    // else whichever of 1…9 thinned, or an even decimal step, gives more.
    let by_125 = thinned(&mantissa_marks(lo, hi, MANTISSAS[1]), min_gap);
    if by_125.len() >= 3 {
        return by_125;
    }
    let by_1to9 = thinned(&mantissa_marks(lo, hi, MANTISSAS[0]), min_gap);
    let linear = linear_marks(lo, hi, min_gap);
    [even, by_125, by_1to9, linear].into_iter().reduce(|best, next| if next.len() > best.len() { next } else { best }).unwrap_or_default()
}

/// The label of a mark made by [`marks`]: on an axis spanning less than three decades within
/// 0.001 … 10000, plain decimals ("0.02", "0.5", "1", "20"); otherwise whole decades as "1e-3"
/// and the ticks between them as "2e-3", "5e-3". Never a cut exponent.
pub fn label(mark: GridMark, range: &RangeInclusive<f64>) -> String {
    let v = mark.value;
    let plain = *range.start() >= -3.0 && *range.end() < 4.0 && range.end() - range.start() < 3.0;
    let decade = v.floor();
    let mantissa = 10f64.powf(v - decade);
    let whole = mantissa.round();
    // A decimal step finer than 9 → 10 (a flat curve's 0.95, 1.00, 1.05) keeps its digits.
    let decimal_step = mark.step_size < smallest_gap(MANTISSAS[0]) - 1e-9;
    if !decimal_step && (mantissa - whole).abs() < 1e-6 * whole.max(1.0) && (1.0..=10.0).contains(&whole) {
        // m × 10^e with a whole m (a decade or a 1-2-5 tick).
        let (m, e) = if whole == 10.0 { (1.0, decade + 1.0) } else { (whole, decade) };
        if plain {
            let decimals = (-e).max(0.0) as usize;
            return format!("{:.decimals$}", m * 10f64.powf(e));
        }
        return format!("{m}e{e}");
    }
    let x = 10f64.powf(v);
    // Linear distance to the next tick: d(10^v) = 10^v · ln 10 · dv.
    crate::core::format::tick(x, x * std::f64::consts::LN_10 * mark.step_size)
}

/// The smallest of 1, 2, 5 × 10^k that is ≥ `x` (> 0).
fn nice_at_least(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|s| *s >= x * (1.0 - 1e-9)).unwrap_or(10.0 * p)
}

/// Multiples of `step` in `[lo, hi]`.
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Smallest distance in decades between neighbours of a mantissa set (the last one to the
/// next decade's 1 included).
fn smallest_gap(set: &[f64]) -> f64 {
    set.windows(2).map(|w| (w[1] / w[0]).log10()).chain(set.last().map(|m| (10.0 / m).log10())).fold(f64::INFINITY, f64::min)
}

fn mantissa_marks(lo: f64, hi: f64, set: &[f64]) -> Vec<GridMark> {
    let gap = smallest_gap(set);
    let mut out = Vec::new();
    for e in (lo.floor() as i64)..=(hi.floor() as i64) {
        for &m in set {
            let value = e as f64 + m.log10();
            if (lo..=hi).contains(&value) {
                out.push(GridMark { value, step_size: if m == 1.0 { 1.0 } else { gap } });
            }
        }
    }
    out
}

/// `marks` (ascending) thinned from the top down so that neighbours are at least `min_gap`
/// apart, each with its distance to its nearest kept neighbour as its step size.
fn thinned(marks: &[GridMark], min_gap: f64) -> Vec<GridMark> {
    let mut kept: Vec<GridMark> = Vec::new();
    for m in marks.iter().rev() {
        if kept.last().is_none_or(|k| k.value - m.value >= min_gap - 1e-12) {
            kept.push(*m);
        }
    }
    kept.reverse();
    let values: Vec<f64> = kept.iter().map(|m| m.value).collect();
    for (i, m) in kept.iter_mut().enumerate() {
        let below = i.checked_sub(1).map_or(f64::INFINITY, |j| values[i] - values[j]);
        let above = values.get(i + 1).map_or(f64::INFINITY, |v| v - values[i]);
        m.step_size = below.min(above).min(1.0).max(min_gap);
    }
    kept
}

/// Evenly spaced values (a 1-2-5 step) over a range of less than a decade or so: the step is
/// the smallest whose log gap at the top (where neighbours are closest on a log axis) is at
/// least `min_gap` decades.
fn linear_marks(lo: f64, hi: f64, min_gap: f64) -> Vec<GridMark> {
    let top = 10f64.powf(hi);
    // log10(top / (top − s)) ≥ min_gap  ⇔  s ≥ top · (1 − 10^−min_gap).
    let step = nice_at_least(top * (1.0 - 10f64.powf(-min_gap)));
    let bottom = 10f64.powf(lo);
    multiples(bottom, top, step)
        .into_iter()
        .filter(|x| *x > 0.0)
        .map(|x| GridMark { value: x.log10(), step_size: (x / (x - step)).log10().abs().max(min_gap) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(bounds: (f64, f64), per_decade: f64) -> Vec<String> {
        marks(bounds, per_decade).into_iter().map(|m| label(m, &(bounds.0..=bounds.1))).collect()
    }

    fn assert_readable(bounds: (f64, f64), per_decade: f64) {
        let m = marks(bounds, per_decade);
        for w in m.windows(2) {
            assert!(w[1].value > w[0].value);
            assert!((w[1].value - w[0].value) * per_decade >= LABEL_SPACING - 1e-6, "{bounds:?}: {w:?}");
        }
        for mark in &m {
            assert!(mark.step_size * per_decade >= LABEL_SPACING - 1e-6, "{mark:?} is not labelled");
            assert!((bounds.0..=bounds.1).contains(&mark.value));
        }
    }

    #[test]
    fn less_than_a_decade_gets_ticks_between_the_decades() {
        // Lesson 11's loss, 1.1 down to 0.44, in a 150-point plot (before: one tick, "1e0").
        let bounds = (0.44f64.log10() - 0.1, 1.1f64.log10() + 0.1);
        let per_decade = 150.0 / (bounds.1 - bounds.0);
        let l = labels(bounds, per_decade);
        assert!(l.len() >= 3, "{l:?}");
        assert!(l.contains(&"1".to_string()) && l.contains(&"0.5".to_string()), "{l:?}");
        assert_readable(bounds, per_decade);
    }

    #[test]
    fn a_flat_curve_gets_plain_decimal_steps() {
        // Lesson 7b: a loss stuck at 1.000 ± 0.05 (before: 10^0.1 steps labelled 1.3, 1.6).
        let bounds = (0.95f64.log10(), 1.05f64.log10());
        let per_decade = 150.0 / (bounds.1 - bounds.0);
        let l = labels(bounds, per_decade);
        assert!(l.len() >= 3, "{l:?}");
        assert!(l.contains(&"1.00".to_string()), "{l:?}");
        for s in &l {
            assert!(s.parse::<f64>().is_ok_and(|x| (0.95..=1.05).contains(&x)), "{s}");
        }
        assert_readable(bounds, per_decade);
    }

    #[test]
    fn many_decades_get_whole_decades_and_thin_out_when_crowded() {
        let l = labels((-5.2, 2.3), 20.0);
        assert_eq!(l, ["1e-4", "1e-2", "1e0", "1e2"]);
        let l = labels((-3.5, 1.5), 40.0);
        assert_eq!(l, ["1e-3", "1e-2", "1e-1", "1e0", "1e1"]);
        assert_readable((-5.2, 2.3), 30.0);
        assert_readable((-30.0, 5.0), 4.0);
    }

    #[test]
    fn a_few_decades_with_room_get_2_and_5_between() {
        // The norm plot of lesson 7b: 1e-5 … 1e-1 in 100 points is decades only; in 500
        // points there is room for 2× and 5×.
        let l = labels((-5.1, -0.9), 500.0 / 4.2);
        assert!(l.contains(&"2e-3".to_string()) && l.contains(&"5e-3".to_string()) && l.contains(&"1e-3".to_string()), "{l:?}");
        assert_readable((-5.1, -0.9), 500.0 / 4.2);
    }

    #[test]
    fn a_decade_and_a_bit_in_little_room_keeps_1_2_5_ticks() {
        // Lesson 13's gradient norm, 0.04 … 0.7 in a 110-point plot: 0.05, 0.2, 0.5, not the
        // irregular 0.04, 0.09, 0.2, 0.6 of 1…9 thinned.
        let bounds = (0.04f64.log10(), 0.7f64.log10());
        let l = labels(bounds, 110.0 / (bounds.1 - bounds.0));
        assert_eq!(l, ["0.05", "0.2", "0.5"]);
        assert_readable(bounds, 110.0 / (bounds.1 - bounds.0));
    }

    #[test]
    fn no_label_is_a_cut_exponent() {
        for (bounds, per_decade) in [((-10.3, -0.2), 20.0), ((-2.0, 0.3), 60.0), ((0.0, 0.2), 900.0), ((-0.05, 0.05), 3000.0)] {
            for l in labels(bounds, per_decade) {
                assert!(!l.ends_with('-') && !l.ends_with('e') && !l.is_empty(), "{l}");
            }
        }
    }

    #[test]
    fn degenerate_axes_have_no_ticks() {
        assert!(marks((1.0, 1.0), 100.0).is_empty());
        assert!(marks((f64::NAN, 1.0), 100.0).is_empty());
        assert!(spacer(GridInput { bounds: (0.0, 1.0), base_step_size: 0.0 }).is_empty());
    }
}
