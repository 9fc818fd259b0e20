//! The top of a loss plot, so that one exploding run does not squash the others: lesson 8's
//! unclipped run climbs to 1e300 while the clipped one bounces between 0.36 and 1.30, and an
//! axis stretched to 1e300 draws the healthy curves as one flat line at the bottom. The app's
//! loss plot and `losscape animate`'s loss panel both cut their curves at [`loss_ceiling`]; a
//! run cut there is drawn up to its last loss below it.

use super::Scale;

/// How far (in powers of ten) above the highest loss of the healthy runs, and of every run's
/// start, a diverging run's loss curve is still drawn.
pub const DIVERGED_DECADES: f64 = 3.0;

/// The highest loss a loss plot draws on `scale`: [`DIVERGED_DECADES`] decades above the
/// highest loss of the healthy runs and of every run's first loss. On a linear axis, "decades
/// above" is $hi + \max(hi - lo, |hi|, 1) \cdot 10^{D}$, with `lo`, `hi` the range of those
/// losses.
///
/// `runs` holds each run's losses in step order and whether its caller counts it healthy (the
/// app: still running). A run whose loss rises past [`DIVERGED_DECADES`] above every run's start
/// is exploding and never healthy, running or not, so it cannot stretch the ceiling it is cut
/// at. Losses the axis cannot show (non-finite, and ≤ 0 on a log axis) are skipped. `None`
/// when no start can be shown.
pub fn loss_ceiling<I>(runs: &[(bool, I)], scale: Scale) -> Option<f64>
where
    I: Iterator<Item = f64> + Clone,
{
    let shown = |l: &f64| l.is_finite() && (scale == Scale::Linear || *l > 0.0);
    let starts = runs.iter().filter_map(|(_, losses)| losses.clone().next()).filter(shown);
    let from_starts = above(range(starts), scale)?;
    let healthy = runs
        .iter()
        .filter(|(healthy, losses)| *healthy && losses.clone().filter(shown).all(|l| l <= from_starts))
        .flat_map(|(_, losses)| losses.clone().filter(shown));
    let starts = runs.iter().filter_map(|(_, losses)| losses.clone().next()).filter(shown);
    above(range(starts.chain(healthy)), scale)
}

/// (lowest, highest) of `values`; `None` when there are none.
fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |r, v| Some(r.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v)))))
}

/// [`DIVERGED_DECADES`] above the range's top on `scale`.
fn above(range: Option<(f64, f64)>, scale: Scale) -> Option<f64> {
    let (lo, hi) = range?;
    let factor = 10f64.powf(DIVERGED_DECADES);
    Some(match scale {
        Scale::Log => hi * factor,
        Scale::Linear => hi + (hi - lo).max(hi.abs()).max(1.0) * factor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ceiling(runs: &[(bool, &[f64])], scale: Scale) -> Option<f64> {
        let runs: Vec<(bool, std::iter::Copied<std::slice::Iter<'_, f64>>)> = runs.iter().map(|(h, l)| (*h, l.iter().copied())).collect();
        loss_ceiling(&runs, scale)
    }

    #[test]
    fn the_ceiling_is_decades_above_the_healthy_runs_and_the_starts() {
        // Lesson 8's shape: one run explodes, the other (clipped) stays below its start.
        let exploding = [45.4, 20.2, 122.0, 1473.0, 4.8e4, 1.6e6, 1e100, 1e300];
        let clipped = [45.4, 30.0, 1.3, 0.36, 1.30];
        let c = ceiling(&[(false, &exploding), (true, &clipped)], Scale::Log).unwrap();
        assert!((c / 45.4e3 - 1.0).abs() < 1e-12, "{c}");
        // Still running, the exploding run is no healthier: the ceiling is the same.
        assert_eq!(ceiling(&[(true, &exploding), (true, &clipped)], Scale::Log), Some(c));
        // A healthy run that rises above its start raises the ceiling with it.
        let rising = [45.4, 100.0, 900.0];
        let c = ceiling(&[(true, &rising), (true, &clipped)], Scale::Log).unwrap();
        assert!((c / 900e3 - 1.0).abs() < 1e-12, "{c}");
        // A stopped run counts by its start only.
        let c = ceiling(&[(false, &rising), (true, &clipped)], Scale::Log).unwrap();
        assert!((c / 45.4e3 - 1.0).abs() < 1e-12, "{c}");
    }

    #[test]
    fn a_linear_axis_adds_decades_of_the_span_and_skips_what_it_cannot_show() {
        // Losses 1 to 3: the span is 2, below |hi| = 3, so 3 + 3·1000.
        assert_eq!(ceiling(&[(true, &[3.0, 1.0]), (false, &[2.0, f64::NAN])], Scale::Linear), Some(3003.0));
        // Negative losses (a typed function): the span counts, at least 1.
        assert_eq!(ceiling(&[(true, &[-5.0, -10.0])], Scale::Linear), Some(-5.0 + 5000.0));
        // A log axis skips losses ≤ 0 and non-finite ones; nothing to show gives no ceiling.
        assert_eq!(ceiling(&[(true, &[0.0, 5.0])], Scale::Log), None);
        assert_eq!(ceiling(&[(true, &[2.0, -1.0, f64::INFINITY])], Scale::Log), Some(2000.0));
        assert_eq!(ceiling(&[], Scale::Linear), None);
    }
}
