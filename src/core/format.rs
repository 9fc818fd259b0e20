//! Numbers as text: the one module that turns numbers into words — exact round-trip text for
//! files ([`push_exact`]), short numbers for messages ([`number`]) and labels ([`label`],
//! [`slope`], [`tick`]), sizes ([`human_bytes`]), counts and durations ([`human_si`], [`human_seconds`]).

/// Sizes as people read them: `512 bytes`, `3.4 MiB`, `131 GiB` (powers of 1024, as the
/// limits are set).
pub fn human_bytes(n: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1023.5 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v < 9.95 { format!("{v:.1} {}", UNITS[unit]) } else { format!("{v:.0} {}", UNITS[unit]) }
}

/// A count with an SI prefix and three significant digits: `3.52 Gflop`, `840 kflop`.
pub fn human_si(v: f64, unit: &str) -> String {
    let (scaled, prefix) =
        [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")].into_iter().find(|&(p, _)| v >= p).map_or((v, ""), |(p, n)| (v / p, n));
    format!("{} {prefix}{unit}", three_digits(scaled))
}

/// An estimated duration: `about 0.41 s`, `about 2 min 5 s`, `under 0.01 s`.
pub fn human_seconds(seconds: f64) -> String {
    if seconds < 0.01 {
        "under 0.01 s".into()
    } else if seconds < 120.0 {
        format!("about {} s", three_digits(seconds))
    } else {
        format!("about {} min {} s", (seconds / 60.0).floor(), (seconds % 60.0).round())
    }
}

/// Three significant digits without an exponent for 0.01 ≤ v < 1000.
fn three_digits(v: f64) -> String {
    match v {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// A number for a message: up to six significant digits, in scientific notation when it is
/// very large or very small (never the 150 digits `{:.6}` gives 1e150).
pub fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = super::elementary::log10(v.abs());
    if (-4.0..6.0).contains(&magnitude) {
        let text = format!("{v:.*}", (5 - magnitude.floor() as i32).max(0) as usize);
        if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
    } else {
        let text = format!("{v:.5e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        format!("{}e{exponent}", mantissa.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Appends v as its shortest round-trip text in ryu's spelling (`1e16`, not Żmij's `1e+16`;
/// `NaN`, `inf`): what every file losscape writes holds, so reading it back gives the same bits.
/// Żmij is about twice as fast as ryu (measured in the trajectory bench).
pub fn push_exact(text: &mut String, fmt: &mut zmij::Buffer, v: f64) {
    let t = fmt.format(v);
    // A '+' only ever follows the exponent's 'e'.
    match t.bytes().position(|c| c == b'+') {
        Some(plus) => {
            text.push_str(&t[..plus]);
            text.push_str(&t[plus + 1..]);
        }
        None => text.push_str(t),
    }
}

/// A short label for a value on screen (axis ends, legends, picked points): three decimals
/// between 1e-3 and 1e4, else three significant digits in scientific notation.
pub fn label(v: f64) -> String {
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) {
        format!("{:.3}", v).trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

/// The two ends of a scale, `hi` and `lo`, as [`label`]s, or with just enough more digits to
/// tell them apart when their labels would read the same (a nearly flat surface's colour bar
/// from 0.95553 to 0.95601 read "loss 0.956" at both ends).
pub fn range_labels(hi: f64, lo: f64) -> (String, String) {
    let (top, bottom) = (label(hi), label(lo));
    if top != bottom || hi == lo || !(hi - lo).is_finite() {
        return (top, bottom);
    }
    let gap = (hi - lo).abs() / 10.0;
    (tick(hi, gap), tick(lo, gap))
}

/// A slope with enough digits to watch a secant converge to the tangent as h shrinks.
pub fn slope(v: f64) -> String {
    if v.abs() < 1e4 { format!("{v:.4}") } else { format!("{v:.3e}") }
}

/// A tick label at `v` when neighbouring ticks lie `gap` away: just enough digits to tell them
/// apart (a loss creeping from 1.0012 to 1.0003 gets four decimals, not four labels reading
/// "1.001"), in scientific notation outside 1e-3 … 1e4.
pub fn tick(v: f64, gap: f64) -> String {
    use super::elementary::log10;
    let gap = gap.abs().max(f64::MIN_POSITIVE);
    if v == 0.0 || (1e-3..1e4).contains(&v.abs()) {
        let decimals = (-log10(gap).floor()).clamp(0.0, 12.0) as usize;
        format!("{v:.decimals$}")
    } else {
        let digits = (log10(v.abs()).floor() - log10(gap).floor()).clamp(0.0, 12.0) as usize;
        format!("{v:.digits$e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_s_ends_never_read_the_same_unless_they_are() {
        assert_eq!(range_labels(2.5, 0.125), ("2.5".to_string(), "0.125".to_string()));
        assert_eq!(range_labels(0.95601, 0.95553), ("0.95601".to_string(), "0.95553".to_string()));
        let (top, bottom) = range_labels(1.00002e5, 1.00001e5);
        assert_ne!(top, bottom);
        assert_eq!(range_labels(0.5, 0.5), ("0.5".to_string(), "0.5".to_string()));
    }

    #[test]
    fn numbers_in_messages_stay_short() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1.234567891), "1.23457");
        assert_eq!(number(-123456.7), "-123457");
        assert_eq!(number(1234567.0), "1.23457e6");
        assert_eq!(number(7.689e150), "7.689e150");
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(f64::NAN), "NaN");
        assert!(number(f64::MAX).len() < 14);
    }

    #[test]
    fn files_hold_the_shortest_text_that_reads_back_exactly() {
        let mut fmt = zmij::Buffer::new();
        for v in [0.1, 1e16, 1.5e-300, -2.0, f64::MAX, f64::MIN_POSITIVE, 1.0 / 3.0] {
            let mut text = String::new();
            push_exact(&mut text, &mut fmt, v);
            assert!(!text.contains('+'), "{text}");
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{text}");
        }
        let mut text = String::new();
        push_exact(&mut text, &mut fmt, f64::NAN);
        assert_eq!(text, "NaN");
    }

    #[test]
    fn labels_are_short_and_ticks_tell_neighbours_apart() {
        assert_eq!(label(0.0), "0");
        assert_eq!(label(2.5), "2.5");
        assert_eq!(label(-0.12345), "-0.123");
        assert_eq!(label(123456.0), "1.23e5");
        assert_eq!(slope(2.00001), "2.0000");
        assert_eq!(slope(-1.5e6), "-1.500e6");
        assert_eq!(tick(1.0012, 0.0003), "1.0012");
        assert_eq!(tick(1.5, 0.5), "1.5");
        assert_eq!(tick(2e6, 1e5), "2.0e6");
        assert_eq!(tick(0.0, 0.25), "0.0");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(3_565_158), "3.4 MiB");
        assert_eq!(human_bytes(141 << 30), "141 GiB");
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(u64::MAX as u128 * 1024), "16384 EiB");
    }
}
