//! Numbers as text for people: the one place messages format sizes.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(3_565_158), "3.4 MiB");
        assert_eq!(human_bytes(141 << 30), "141 GiB");
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(u64::MAX as u128 * 1024), "16384 EiB");
    }
}
