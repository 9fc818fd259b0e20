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
    exact_from_product(a, b, c, p)
}

/// a·b + c rounded once, given p = a·b rounded, where Dekker's product and the sums below are
/// exact ([`emulated`]'s fast path; the web page's two-lane version checks a range of its own).
#[inline(always)]
fn exact_from_product(a: f64, b: f64, c: f64, p: f64) -> f64 {
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

/// `acc[l] = a[l]·b[l] + acc[l]`, fused, for every lane: the kernels' element-wise chains.
/// The same bits as [`Fma::fma`] lane by lane; on a web page two lanes at a time ([`pairs`]).
#[inline(always)]
pub fn fma_each<const L: usize>(a: &[f64; L], b: &[f64; L], acc: &mut [f64; L]) {
    #[cfg(target_arch = "wasm32")]
    if L % 2 == 0 {
        // Every browser that runs the page's WebGL2 build runs WebAssembly SIMD (and a module
        // using it loads only where it does: validation, not this call, needs simd128).
        pairs::fma_each(a, b, acc);
        return;
    }
    for l in 0..L {
        acc[l] = a[l].fma(b[l], acc[l]);
    }
}

/// `acc[l] = c·x[l] + acc[l]`, fused, for every lane: a tile's row of samples times one
/// coefficient. The same bits as [`Fma::fma`] lane by lane; on a web page two at a time.
#[inline(always)]
pub fn fma_broadcast<const L: usize>(c: f64, x: &[f64; L], acc: &mut [f64; L]) {
    #[cfg(target_arch = "wasm32")]
    if L % 2 == 0 {
        pairs::fma_broadcast(c, x, acc);
        return;
    }
    for l in 0..L {
        acc[l] = c.fma(x[l], acc[l]);
    }
}

/// The exact fused multiply-add of [`emulated`], two lanes at a time in WebAssembly's 128-bit
/// SIMD, for the web page's kernels: about twice the speed of one lane at a time. Its fast
/// path has no branch per lane: it runs when every factor is zero or of magnitude in
/// [2⁻⁴⁶⁵, 2⁴⁶⁵) and every addend zero or in [2⁻⁹³⁰, 2⁹⁹⁶) (then Dekker's product, Knuth's sum
/// and the rounding to odd are exact: the product's low parts are multiples of 2⁻¹⁰³⁴, above the
/// subnormals' 2⁻¹⁰⁷⁴, and nothing overflows); otherwise the whole call is redone lane by lane
/// with [`emulated`], so the bits never depend on the path.
#[cfg(target_arch = "wasm32")]
pub(crate) mod pairs {
    use core::arch::wasm32::*;

    use super::{SPLITTER, emulated};

    /// 2ᵏ.
    const fn two_to(k: i64) -> f64 {
        f64::from_bits(((1023 + k) as u64) << 52)
    }
    /// 2⁻⁴⁶⁵ and 2⁴⁶⁵: factors' magnitudes.
    pub(crate) const FACTOR: (f64, f64) = (two_to(-465), two_to(465));
    /// 2⁻⁹³⁰ and 2⁹⁹⁶: addends' magnitudes.
    pub(crate) const ADDEND: (f64, f64) = (two_to(-930), two_to(996));

    /// Lanes that are zero or of magnitude in [lo, hi).
    #[target_feature(enable = "simd128")]
    #[inline]
    pub(crate) fn in_range(v: v128, (lo, hi): (f64, f64)) -> v128 {
        let a = f64x2_abs(v);
        v128_or(f64x2_eq(a, f64x2_splat(0.0)), v128_and(f64x2_ge(a, f64x2_splat(lo)), f64x2_lt(a, f64x2_splat(hi))))
    }

    /// Veltkamp's split of each lane: x = hi + lo, 26 and 27 bits.
    #[target_feature(enable = "simd128")]
    #[inline]
    pub(crate) fn split(x: v128) -> (v128, v128) {
        let t = f64x2_mul(f64x2_splat(SPLITTER), x);
        let hi = f64x2_sub(t, f64x2_sub(t, x));
        (hi, f64x2_sub(x, hi))
    }

    /// a·b + c rounded once in each lane, given a and b split; [`emulated`]'s steps.
    #[target_feature(enable = "simd128")]
    #[inline]
    pub(crate) fn fused(a: v128, (ah, al): (v128, v128), b: v128, (bh, bl): (v128, v128), c: v128) -> v128 {
        let p = f64x2_mul(a, b);
        let pl = f64x2_add(f64x2_add(f64x2_add(f64x2_sub(f64x2_mul(ah, bh), p), f64x2_mul(ah, bl)), f64x2_mul(al, bh)), f64x2_mul(al, bl));
        let th = f64x2_add(c, p);
        let z = f64x2_sub(th, c);
        let tl = f64x2_add(f64x2_sub(c, f64x2_sub(th, z)), f64x2_sub(p, z));
        let s = f64x2_add(tl, pl);
        let w = f64x2_sub(s, tl);
        let e = f64x2_add(f64x2_sub(tl, f64x2_sub(s, w)), f64x2_sub(pl, w));
        // Rounded to odd: where e ≠ 0 and s's significand is even, one step away from zero when
        // e has s's sign, towards it otherwise (s's bits ± 1).
        let zero = f64x2_splat(0.0);
        let even = i64x2_eq(v128_and(s, i64x2_splat(1)), i64x2_splat(0));
        let inexact = f64x2_ne(e, zero);
        let away = v128_not(v128_xor(f64x2_gt(e, zero), f64x2_gt(s, zero)));
        let step = i64x2_sub(i64x2_splat(-1), i64x2_shl(away, 1));
        let v = i64x2_add(s, v128_and(step, v128_and(even, inexact)));
        // v = 0: c + a·b is th exactly, with th's sign.
        v128_bitselect(th, f64x2_add(th, v), f64x2_eq(v, zero))
    }

    /// a·b + c rounded once in each lane on the fast path; lanes out of its range clear `ok`
    /// (the caller then redoes the pair one lane at a time). Splats of constants fold.
    #[target_feature(enable = "simd128")]
    #[inline]
    pub(crate) fn fma2(a: v128, b: v128, c: v128, ok: &mut v128) -> v128 {
        *ok = v128_and(*ok, v128_and(v128_and(in_range(a, FACTOR), in_range(b, FACTOR)), in_range(c, ADDEND)));
        fused(a, split(a), b, split(b), c)
    }

    #[target_feature(enable = "simd128")]
    #[inline]
    fn load(v: &[f64], at: usize) -> v128 {
        f64x2(v[at], v[at + 1])
    }

    #[target_feature(enable = "simd128")]
    #[inline]
    fn store(v: &mut [f64], at: usize, x: v128) {
        v[at] = f64x2_extract_lane::<0>(x);
        v[at + 1] = f64x2_extract_lane::<1>(x);
    }

    /// [`super::fma_each`] for an even `L`.
    #[target_feature(enable = "simd128")]
    pub(super) fn fma_each<const L: usize>(a: &[f64; L], b: &[f64; L], acc: &mut [f64; L]) {
        let mut out = *acc;
        let mut ok = i64x2_splat(-1);
        for m in (0..L).step_by(2) {
            store(&mut out, m, fma2(load(a, m), load(b, m), load(acc, m), &mut ok));
        }
        if i64x2_all_true(ok) {
            *acc = out;
        } else {
            for l in 0..L {
                acc[l] = emulated(a[l], b[l], acc[l]);
            }
        }
    }

    /// [`super::fma_broadcast`] for an even `L`.
    #[target_feature(enable = "simd128")]
    pub(super) fn fma_broadcast<const L: usize>(c: f64, x: &[f64; L], acc: &mut [f64; L]) {
        let cv = f64x2_splat(c);
        let cs = split(cv);
        let mut out = *acc;
        let mut ok = in_range(cv, FACTOR);
        for m in (0..L).step_by(2) {
            let (xv, av) = (load(x, m), load(acc, m));
            ok = v128_and(ok, v128_and(in_range(xv, FACTOR), in_range(av, ADDEND)));
            store(&mut out, m, fused(cv, cs, xv, split(xv), av));
        }
        if i64x2_all_true(ok) {
            *acc = out;
        } else {
            for l in 0..L {
                acc[l] = emulated(c, x[l], acc[l]);
            }
        }
    }
}

/// The two-lane fast path of [`pairs`] in scalar f64: its range, and in it [`emulated`]'s steps
/// (which `pairs::fused` transcribes lane by lane), so the desktop's tests check against the FMA
/// instruction that the steps are exact wherever the page takes that path.
#[cfg(test)]
fn paired_fast_path(a: f64, b: f64, c: f64) -> Option<f64> {
    let in_range = |v: f64, lo: f64, hi: f64| v == 0.0 || (v.abs() >= lo && v.abs() < hi);
    let factor = |v| in_range(v, 2f64.powi(-465), 2f64.powi(465));
    if !(factor(a) && factor(b) && in_range(c, 2f64.powi(-930), 2f64.powi(996))) {
        return None;
    }
    Some(exact_from_product(a, b, c, a * b))
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

    /// The web page's two-lane fast path (its scalar twin) against the instruction, over its
    /// whole range and at its edges, with cancellation, ties and zeros.
    #[test]
    fn the_paired_fast_path_rounds_exactly_where_it_runs() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
        let mut ran = 0;
        let mut check_paired = |a: f64, b: f64, c: f64| {
            if let Some(got) = paired_fast_path(a, b, c) {
                let want = a.mul_add(b, c);
                assert_eq!(got.to_bits(), want.to_bits(), "fma({a:e}, {b:e}, {c:e}) = {want:e}, paired {got:e}");
                ran += 1;
            }
        };
        for _ in 0..1_000_000 {
            let e = |rng: &mut rand_chacha::ChaCha8Rng, lo: i32, hi: i32| 2f64.powi(rng.random_range(lo..hi));
            let a = rng.random_range(-2.0..2.0) * e(&mut rng, -466, 466);
            let b = rng.random_range(-2.0..2.0) * e(&mut rng, -466, 466);
            let c = rng.random_range(-2.0..2.0) * e(&mut rng, -931, 997);
            check_paired(a, b, c);
            check_paired(a, b, -(a * b));
            let p = a * b;
            let ulp = f64::from_bits(p.abs().to_bits() + 1) - p.abs();
            check_paired(a, b, -p + 0.5 * ulp);
            check_paired(a, b, 0.0);
            check_paired(a, b, -0.0);
            check_paired(0.0, b, c);
            check_paired(-0.0, b, -0.0);
            // Near the smallest factors and addends the fast path takes.
            let tiny = rng.random_range(1.0..2.0) * 2f64.powi(-465);
            check_paired(tiny, rng.random_range(1.0..2.0) * 2f64.powi(-465), rng.random_range(-2.0..2.0) * 2f64.powi(-930));
            check_paired(tiny, -tiny, tiny * tiny);
        }
        assert!(ran > 8_000_000, "the fast path ran {ran} times");
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
