//! The plot's axes: a range that stays finite for any finite losses, and ticks whose number is
//! bounded by construction.
//!
//! plotters' own `f64` and logarithmic axes loop forever at extreme magnitudes (issue 12):
//! padding a loss of 1e308 by half gave an infinite end, where the log axis's decade loop
//! (`while val <= end { val *= 10 }`) never stops; a range from 1e-308 to 1 overflowed the
//! decade count to `usize::MAX`, which a counting loop then walked; and a linear range wider than
//! `f64::MAX` made the tick step infinite, which the step search divides by ten forever. So the
//! picture's axes are this type instead: the range is computed in axis units (the loss, or
//! log₁₀ of it, which lies in −324…309 for every positive `f64`) with every sum kept finite,
//! and each list of ticks is built by loops over a count, never over values.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use super::Scale;

/// log₁₀ 1.5: a log axis reaches 1.5× beyond the extreme losses.
const LOG_PAD: f64 = 0.176_091_259_055_681_24;

/// Two ends closer than this, relative to their size, are drawn as one value with room around it.
const SAME: f64 = 1e-12;

/// One axis of the picture: `lo..hi` in axis units (the value for [`Scale::Linear`], log₁₀ of
/// the value for [`Scale::Log`]), finite and `lo < hi`.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
}

impl Axis {
    /// The step axis from 0 to `last` (at least 1), unpadded.
    pub fn steps(last: f64) -> Self {
        let hi = if last.is_finite() { last.clamp(1.0, f64::MAX) } else { 1.0 };
        Self { scale: Scale::Linear, lo: 0.0, hi }
    }

    /// The loss axis for losses from `lo` to `hi` (finite, `lo ≤ hi`, both > 0 for
    /// [`Scale::Log`]): 5 % of the span beyond each end on a linear axis (10 % of the value
    /// around a single value), 1.5× on a log axis, never past ±`f64::MAX`.
    pub fn losses(scale: Scale, lo: f64, hi: f64) -> Self {
        let (lo, hi) = match scale {
            Scale::Log => (lo.log10(), hi.log10()),
            Scale::Linear => (lo, hi),
        };
        let (lo, hi) = if lo.is_finite() && hi.is_finite() { (lo.min(hi), hi.max(lo)) } else { (0.0, 0.0) };
        // Half the span: finite even when the span itself is not (−MAX … MAX).
        let half = hi / 2.0 - lo / 2.0;
        let (lo, hi) = match scale {
            Scale::Log => (lo - LOG_PAD, hi + LOG_PAD),
            Scale::Linear if half > lo.abs().max(hi.abs()) * SAME => (lo - 0.1 * half, hi + 0.1 * half),
            Scale::Linear => {
                let mid = lo / 2.0 + hi / 2.0;
                let pad = mid.abs().max(1.0) * 0.1;
                (mid - pad, mid + pad)
            }
        };
        Self { scale, lo: lo.max(-f64::MAX), hi: hi.min(f64::MAX) }
    }

    /// The ends in axis units.
    pub fn bounds(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }

    /// At most `max` tick values (losses, not logarithms), in increasing order: the densest
    /// evenly spaced set that fits. With `light`, a log axis may also mark 2…9 × each decade.
    pub fn ticks(&self, max: usize, light: bool) -> Vec<f64> {
        match self.scale {
            Scale::Linear => linear_ticks(self.lo, self.hi, max),
            Scale::Log => log_ticks(self.lo, self.hi, max, light),
        }
    }

    /// Where `v` lies: 0 at the low end, 1 at the high end; outside values are kept within a few
    /// axis lengths (and a NaN at the low end) so that pixels stay in range.
    pub fn fraction(&self, v: f64) -> f64 {
        let u = match self.scale {
            Scale::Log => v.log10(),
            Scale::Linear => v,
        };
        let t = (u / 2.0 - self.lo / 2.0) / (self.hi / 2.0 - self.lo / 2.0);
        if t.is_nan() { 0.0 } else { t.clamp(-4.0, 5.0) }
    }
}

/// `m`·10^`e`, exactly as the decimal text reads (0 below the smallest subnormal, ∞ above
/// `f64::MAX`); `powi` is neither exact nor the same on every platform.
fn decimal(m: u32, e: i32) -> f64 {
    format!("{m}e{e}").parse().unwrap_or(f64::NAN)
}

/// Multiples of the smallest step 1, 2 or 5 × 10ᵏ that leaves at most `max` of them in
/// `lo..=hi`. One pass over at most `max` candidates.
fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if max == 0 || !lo.is_finite() || !hi.is_finite() || lo >= hi {
        return Vec::new();
    }
    // The span over the gaps, halved first so that −MAX…MAX does not overflow.
    let raw = (hi / 2.0 - lo / 2.0) / (max.saturating_sub(1).max(1) as f64) * 2.0;
    let exponent = raw.log10().floor();
    if !exponent.is_finite() {
        return Vec::new();
    }
    let exponent = exponent as i32;
    let Some(step) = [1, 2, 5, 10].into_iter().map(|m| decimal(m, exponent)).find(|&s| s >= raw && s > 0.0 && s.is_finite()) else {
        return Vec::new();
    };
    let first = (lo / step).ceil();
    if !first.is_finite() {
        return Vec::new();
    }
    let mut ticks = Vec::with_capacity(max);
    for k in 0..max {
        // `+ 0.0` turns −0 into 0, which would be labelled "-0".
        let t = (first + k as f64) * step + 0.0;
        if t > hi {
            break;
        }
        // At the largest magnitudes `first + k` can round back to the same value.
        if ticks.last() != Some(&t) && t >= lo {
            ticks.push(t);
        }
    }
    ticks
}

/// Ticks of a log axis from 10^`lo` to 10^`hi`: every decade, or every 2nd, 5th, 10th, 20th…
/// when there are too many (the steps grow by 1-2-5, so at most 7 sizes are tried for the
/// 633 decades of `f64`); with `light` and room for them, 2…9 × each decade too. Less than
/// two decades wide, 1…9 × 10ᵏ, or 1-2-5 × 10ᵏ when those are too many, else linear ticks.
fn log_ticks(lo: f64, hi: f64, max: usize, light: bool) -> Vec<f64> {
    if max == 0 || !lo.is_finite() || !hi.is_finite() || lo >= hi {
        return Vec::new();
    }
    // Decades inside the range; both ends lie within −400…400 (log₁₀ of an f64, padded).
    let (first, last) = (lo.ceil() as i32, hi.floor() as i32);
    let decades = (last - first + 1).max(0) as usize;
    let within = |v: &f64| (lo..=hi).contains(&v.log10());
    let mantissas = |ms: &[u32]| -> Vec<f64> {
        let mut ticks: Vec<f64> = (first - 1..=last).flat_map(|e| ms.iter().map(move |&m| decimal(m, e))).filter(within).collect();
        // Below 1e-307 neighbouring mantissas can round to the same subnormal.
        ticks.dedup();
        ticks
    };
    if light && decades >= 1 && decades * 9 <= max {
        return mantissas(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    if decades >= 2 {
        let every = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].into_iter().find(|&k| decades.div_ceil(k) <= max).unwrap_or(1000);
        let start = first.div_euclid(every as i32) * every as i32;
        return (0..=decades / every + 2)
            .map(|i| start + (i * every) as i32)
            .filter(|e| (first..=last).contains(e))
            .map(|e| decimal(1, e))
            .take(max)
            .collect();
    }
    for ms in [&[1, 2, 3, 4, 5, 6, 7, 8, 9][..], &[1, 2, 5]] {
        let ticks = mantissas(ms);
        if ticks.len() >= 2 && ticks.len() <= max {
            return ticks;
        }
    }
    linear_ticks(10f64.powf(lo), 10f64.powf(hi).min(f64::MAX), max)
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, (a, b): (i32, i32)) -> i32 {
        a + (self.fraction(*v) * f64::from(b - a)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        self.ticks(hint.max_num_points(), hint.weight().allow_light_points())
    }

    fn range(&self) -> Range<f64> {
        match self.scale {
            Scale::Linear => self.lo..self.hi,
            Scale::Log => 10f64.powf(self.lo)..10f64.powf(self.hi),
        }
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, v: &f64) -> String {
        // Ticks sit on round values (1-2-5 × 10ᵏ), so six significant digits show them whole.
        crate::core::format::number(*v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Losses a hostile trajectory may hold, from the smallest subnormal to `f64::MAX`.
    const EXTREMES: [f64; 12] =
        [f64::MIN_POSITIVE / 4096.0, 5e-324, 1e-308, f64::MIN_POSITIVE, 1e-12, 0.5, 1.0, 3.0, 1e12, 1e300, 1e308, f64::MAX];

    #[test]
    fn ranges_stay_finite_at_every_magnitude() {
        for &a in &EXTREMES {
            for &b in &EXTREMES {
                let (lo, hi) = (a.min(b), a.max(b));
                for (scale, lo, hi) in [(Scale::Log, lo, hi), (Scale::Linear, lo, hi), (Scale::Linear, -hi, lo), (Scale::Linear, -hi, hi)] {
                    let axis = Axis::losses(scale, lo, hi);
                    let (l, h) = axis.bounds();
                    assert!(l.is_finite() && h.is_finite() && l < h, "{scale:?} {lo:e}…{hi:e} gave {l:e}…{h:e}");
                    for v in [lo, hi] {
                        let t = axis.fraction(v);
                        assert!((0.0..=1.0).contains(&t), "{scale:?} {lo:e}…{hi:e}: {v:e} lies at {t}");
                    }
                    for max in [0, 1, 2, 11, 110] {
                        let ticks = axis.ticks(max, true);
                        assert!(ticks.len() <= max, "{scale:?} {lo:e}…{hi:e}: {} ticks for at most {max}", ticks.len());
                        assert!(ticks.windows(2).all(|w| w[0] < w[1]), "{scale:?} {lo:e}…{hi:e}: {ticks:?}");
                        assert!(ticks.iter().all(|&t| (-0.001..=1.001).contains(&axis.fraction(t))), "{ticks:?} off the axis");
                    }
                }
            }
        }
    }

    #[test]
    fn plain_ranges_tick_as_before() {
        assert_eq!(Axis::steps(10.0).ticks(11, false), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]);
        assert_eq!(Axis::steps(400.0).ticks(11, false), [0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0]);
        assert_eq!(Axis::steps(f64::INFINITY).bounds(), (0.0, 1.0));
        let linear = Axis::losses(Scale::Linear, 0.0, 30.0);
        assert_eq!(linear.bounds(), (-1.5, 31.5));
        assert_eq!(linear.ticks(11, false), [0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0]);
        let (lo, hi) = Axis::losses(Scale::Linear, 2.0, 2.0).bounds();
        assert!((lo - 1.8).abs() < 1e-15 && (hi - 2.2).abs() < 1e-15, "{lo} {hi}");
        assert_eq!(Axis::losses(Scale::Linear, 0.0, 0.0).bounds(), (-0.1, 0.1));
        let log = Axis::losses(Scale::Log, 0.01, 1e9);
        assert_eq!(log.ticks(12, false), [0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);
        assert_eq!(log.ticks(11, false), [0.01, 1.0, 100.0, 1e4, 1e6, 1e8], "every other decade");
        assert_eq!(Axis::losses(Scale::Log, 1e-300, 1e300).ticks(11, false).len(), 7, "every 100th decade");
        let narrow = Axis::losses(Scale::Log, 0.3, 4.0).ticks(11, false);
        assert_eq!(narrow, [0.2, 0.5, 1.0, 2.0, 5.0], "1-2-5 within two decades");
        assert_eq!(Axis::losses(Scale::Log, 1.2, 3.0).ticks(11, false), [0.8, 0.9, 1.0, 2.0, 3.0, 4.0], "every mantissa when they fit");
        let light = Axis::losses(Scale::Log, 0.3, 4.0).ticks(110, true);
        assert_eq!(light, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
