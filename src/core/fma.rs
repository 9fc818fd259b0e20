//! The fused multiply-add every kernel of the core uses: a·b + c rounded once, the same bits on
//! every machine.
//!
//! On the desktop `f64::mul_add` is one FMA instruction (or, on a CPU without one, the exactly
//! rounded software `fma`). A web page has no FMA instruction: WebAssembly's only exact choice
//! was compiler-builtins' integer `fma`, about 26 ns a call on the page here, which made lesson
//! 8's training fifty times slower than the desktop's. [`Fma::fma`] there is [`emulated`]
//! instead: the same exactly rounded result from ordinary f64 operations (Dekker's exact product,
//! Knuth's exact sum and one addition rounded to odd: Boldo and Melquiond, "Emulation of FMA and
//! correctly rounded sums: proved algorithms using rounding to odd", IEEE Trans. Computers 57(4),
//! 2008, algorithm 5.4), with the integer `fma` left for arguments near the ends of the exponent
//! range, where the splitting would overflow or the low part underflow. Tested against the
//! hardware instruction on the desktop, bit for bit.

/// `a.fma(b, c)`: a·b + c rounded once (round to nearest, ties to even), as IEEE 754's
/// fusedMultiplyAdd.
pub trait Fma {
    /// a·b + c rounded once.
    fn fma(self, b: Self, c: Self) -> Self;
}

impl Fma for f64 {
    #[inline(always)]
    fn fma(self, b: f64, c: f64) -> f64 {
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.mul_add(b, c)
        }
        #[cfg(target_arch = "wasm32")]
        {
            emulated(self, b, c)
        }
    }
}

/// 2²⁷ + 1: Veltkamp's splitting constant for 53-bit significands.
const SPLITTER: f64 = 134_217_729.0;

/// Exponent (biased, 0…2047) of `x`.
#[inline(always)]
fn biased_exponent(x: f64) -> i32 {
    ((x.to_bits() >> 52) & 0x7ff) as i32
}

/// The high and low halves of `x` (26 and 27 bits): `x = hi + lo` exactly.
#[inline(always)]
fn split(x: f64) -> (f64, f64) {
    let t = SPLITTER * x;
    let hi = t - (t - x);
    (hi, x - hi)
}

/// a·b + c rounded once, from f64 operations that each round to nearest.
///
/// The fast path needs a, b, c finite, a·b's exponent in −960…1000 (so the product's low part
/// is a normal number and nothing overflows), |a|, |b| below 2⁹⁹⁵ (the splitting) and c zero or
/// at most 2¹⁰⁰⁰ and at least 2⁻⁹⁶⁰; a zero factor gives c + a·b, already exact. Everything
/// else goes to the integer `libm::fma`.
#[inline(always)]
pub fn emulated(a: f64, b: f64, c: f64) -> f64 {
    let p = a * b;
    if p == 0.0 && (a == 0.0 || b == 0.0) && c.is_finite() {
        // A zero factor: a·b is exactly ±0 and c + (±0) rounds as the fused operation does.
        return c + p;
    }
    let (ea, eb, ec) = (biased_exponent(a), biased_exponent(b), biased_exponent(c));
    let product = ea + eb - 1023;
    let safe =
        (1..2018).contains(&ea) && (1..2018).contains(&eb) && (63..2023).contains(&product) && (c == 0.0 || (63..2023).contains(&ec));
    if !safe {
        return libm::fma(a, b, c);
    }
    // Dekker: a·b = p + pl exactly.
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    let pl = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    // Knuth's TwoSum: c + p = th + tl exactly.
    let th = c + p;
    let z = th - c;
    let tl = (c - (th - z)) + (p - z);
    // v = tl + pl rounded to odd: round to nearest, and where that was inexact and landed on an
    // even significand, step to the neighbour on the side of the true sum (odd by alternation).
    let s = tl + pl;
    let w = s - tl;
    let e = (tl - (s - w)) + (pl - w);
    let v = if e != 0.0 && s.to_bits() & 1 == 0 {
        let away = (e > 0.0) == (s > 0.0);
        f64::from_bits(if away { s.to_bits() + 1 } else { s.to_bits() - 1 })
    } else {
        s
    };
    // v = 0 means c + a·b is th exactly: keep th's sign (th + 0 would turn −0 into +0).
    if v == 0.0 { th } else { th + v }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn check(a: f64, b: f64, c: f64) {
        let want = a.mul_add(b, c);
        let got = emulated(a, b, c);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "fma({a:e}, {b:e}, {c:e}) = {want:e} ({:#x}), emulated {got:e} ({:#x})",
            want.to_bits(),
            got.to_bits()
        );
    }

    #[test]
    fn special_values_and_signed_zeros() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            3.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            f64::MAX,
            f64::MIN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e300,
            1e-300,
            2f64.powi(995),
            2f64.powi(-960),
        ];
        for &a in &specials {
            for &b in &specials {
                for &c in &specials {
                    check(a, b, c);
                }
            }
        }
    }

    #[test]
    fn random_arguments_round_exactly_as_the_instruction_does() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..2_000_000 {
            let scale = |rng: &mut rand_chacha::ChaCha8Rng| 2f64.powi(rng.random_range(-60..60));
            let a = rng.random_range(-1.0..1.0) * scale(&mut rng);
            let b = rng.random_range(-1.0..1.0) * scale(&mut rng);
            let c = rng.random_range(-1.0..1.0) * scale(&mut rng);
            check(a, b, c);
        }
    }

    #[test]
    fn near_cancellation_and_ties_round_exactly() {
        // c ≈ −a·b: the result is the product's low part, where a wrong rounding would show;
        // and c placed so that a·b + c lies on or next to a tie of the final rounding.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..2_000_000 {
            let a: f64 = rng.random_range(1.0..2.0) * if rng.random::<bool>() { -1.0 } else { 1.0 };
            let b: f64 = rng.random_range(1.0..2.0) * 2f64.powi(rng.random_range(-30..30));
            let p = a * b;
            let ulp = f64::from_bits(p.abs().to_bits() + 1) - p.abs();
            let k = f64::from(rng.random_range(-8i32..8));
            for c in [-p, -p + k * ulp, -p + 0.5 * k * ulp, 1.0 - p, p * 2f64.powi(-53) * k, ulp * k * 0.25] {
                check(a, b, c);
            }
            // Integers of 27 bits: exact products of 54 bits, ties everywhere.
            let (x, y) = (f64::from(rng.random_range(1u32 << 26..1 << 27)), f64::from(rng.random_range(1u32 << 26..1 << 27)));
            check(x, y, 0.5);
            check(x, y, -0.5);
            check(x, y, 1.0);
            check(x, -y, f64::from(rng.random_range(0u32..1 << 20)) * 0.5);
        }
    }

    #[test]
    fn the_ends_of_the_exponent_range_fall_back_exactly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        for _ in 0..200_000 {
            let a = rng.random_range(-1.0..1.0) * 2f64.powi(rng.random_range(-1074..1023));
            let b = rng.random_range(-1.0..1.0) * 2f64.powi(rng.random_range(-1074..1023));
            let c = rng.random_range(-1.0..1.0) * 2f64.powi(rng.random_range(-1074..1023));
            check(a, b, c);
            check(a, b, -(a * b));
        }
    }
}
