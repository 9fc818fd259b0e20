//! The kernels' sigmoid and tanh two at a time in WebAssembly's 128-bit SIMD, for the web page:
//! each is [`super::kernels::sigmoid`] / [`super::kernels::tanh`] transcribed lane by lane with
//! the page's exact two-lane fused multiply-add ([`super::fma::pairs`]), so the bits are those
//! of one at a time (and of the desktop). A pair off the fast path's range (a NaN, an infinity,
//! an input so small that a product would underflow) is redone one value at a time. Every
//! helper carries the `simd128` feature itself: a helper without it cannot inline the SIMD
//! intrinsics, and each became a call (measured in node: 6× slower than no SIMD at all).
//! Measured in node (V8, as Chromium): a sigmoid 138 ns instead of 240 ns.

use core::arch::wasm32::*;

use super::fma::pairs::fma2;
use super::kernels::{EXP_TAYLOR, EXPM1, LN2_HI, LN2_LO, LOG2E, SHIFTER, sigmoid, tanh};

#[target_feature(enable = "simd128")]
#[inline]
fn splat(v: f64) -> v128 {
    f64x2_splat(v)
}

/// [`super::kernels::exp`] in each lane.
#[target_feature(enable = "simd128")]
#[inline]
fn exp(x: v128, ok: &mut v128) -> v128 {
    let input = x;
    // x.clamp(−708, 709), a NaN kept.
    let x = v128_bitselect(splat(-708.0), x, f64x2_lt(x, splat(-708.0)));
    let x = v128_bitselect(splat(709.0), x, f64x2_gt(x, splat(709.0)));
    let t = fma2(x, splat(LOG2E), splat(SHIFTER), ok);
    let n = f64x2_neg(f64x2_sub(t, splat(SHIFTER)));
    let r = fma2(n, splat(LN2_HI), x, ok);
    let r = fma2(n, splat(LN2_LO), r, ok);
    let mut p = splat(EXP_TAYLOR[12]);
    for &c in EXP_TAYLOR[..12].iter().rev() {
        p = fma2(p, r, splat(c), ok);
    }
    let k = i64x2_sub(t, i64x2_splat(SHIFTER.to_bits() as i64));
    let v = f64x2_mul(p, i64x2_shl(i64x2_add(k, i64x2_splat(1023)), 52));
    let v = v128_bitselect(splat(0.0), v, f64x2_lt(input, splat(-708.0)));
    v128_bitselect(splat(f64::INFINITY), v, f64x2_gt(input, splat(709.78)))
}

/// [`super::kernels::expm1`] in each lane.
#[target_feature(enable = "simd128")]
#[inline]
fn expm1(x: v128, ok: &mut v128) -> v128 {
    let t = fma2(x, splat(LOG2E), splat(SHIFTER), ok);
    let n = f64x2_neg(f64x2_sub(t, splat(SHIFTER)));
    let r = fma2(n, splat(LN2_LO), fma2(n, splat(LN2_HI), x, ok), ok);
    let mut p = splat(EXPM1[10]);
    for &c in EXPM1[..10].iter().rev() {
        p = fma2(p, r, splat(c), ok);
    }
    let p = f64x2_mul(p, r);
    let scale = i64x2_shl(i64x2_add(t, i64x2_splat(1023)), 52);
    fma2(scale, p, f64x2_sub(scale, splat(1.0)), ok)
}

/// [`super::kernels::sigmoid`] in each lane.
#[target_feature(enable = "simd128")]
#[inline]
fn sigmoid2(x: v128, ok: &mut v128) -> v128 {
    let e = exp(f64x2_neg(f64x2_abs(x)), ok);
    let d = f64x2_add(splat(1.0), e);
    v128_bitselect(f64x2_div(splat(1.0), d), f64x2_div(e, d), f64x2_ge(x, splat(0.0)))
}

/// [`super::kernels::tanh`] in each lane.
#[target_feature(enable = "simd128")]
#[inline]
fn tanh2(x: v128, ok: &mut v128) -> v128 {
    let a = f64x2_abs(x);
    // The comparison (not a minimum) lets a NaN through, as the scalar code does.
    let a = v128_bitselect(splat(20.0), a, f64x2_gt(a, splat(20.0)));
    let u = expm1(f64x2_mul(splat(2.0), a), ok);
    let q = f64x2_div(u, f64x2_add(u, splat(2.0)));
    // copysign(q, x): q's magnitude, x's sign bit.
    let sign = i64x2_splat(i64::MIN);
    v128_or(v128_andnot(q, sign), v128_and(x, sign))
}

/// The two lanes of `v` if the fast path held for both (`ok`), else `None`.
#[target_feature(enable = "simd128")]
#[inline]
fn lanes(v: v128, ok: v128) -> Option<[f64; 2]> {
    i64x2_all_true(ok).then(|| [f64x2_extract_lane::<0>(v), f64x2_extract_lane::<1>(v)])
}

/// `pub fn $into(z, y)`: y = f(z), and `pub fn $in_place(v)`: v = f(v), two at a time with
/// `$pair`, a pair off the fast path and an odd last value by `$one`. (A macro, not a function
/// taking `$pair`: a `target_feature` function is no closure, and a helper without the feature
/// would not inline the intrinsics.)
macro_rules! two_at_a_time {
    ($what:literal, $into:ident, $in_place:ident, $pair:ident, $one:ident) => {
        #[doc = concat!("`y = ", $what, "(z)`.")]
        #[target_feature(enable = "simd128")]
        pub fn $into(z: &[f64], y: &mut [f64]) {
            let (zp, zt) = z.as_chunks::<2>();
            let (yp, yt) = y.as_chunks_mut::<2>();
            for (y, z) in yp.iter_mut().zip(zp) {
                let mut ok = i64x2_splat(-1);
                let v = $pair(f64x2(z[0], z[1]), &mut ok);
                *y = lanes(v, ok).unwrap_or_else(|| [$one(z[0]), $one(z[1])]);
            }
            for (y, &z) in yt.iter_mut().zip(zt) {
                *y = $one(z);
            }
        }

        #[doc = concat!("`v = ", $what, "(v)`.")]
        #[target_feature(enable = "simd128")]
        pub fn $in_place(v: &mut [f64]) {
            let (vp, vt) = v.as_chunks_mut::<2>();
            for v in vp.iter_mut() {
                let mut ok = i64x2_splat(-1);
                let y = $pair(f64x2(v[0], v[1]), &mut ok);
                *v = lanes(y, ok).unwrap_or_else(|| [$one(v[0]), $one(v[1])]);
            }
            for v in vt.iter_mut() {
                *v = $one(*v);
            }
        }
    };
}

two_at_a_time!("σ", sigmoid_into, sigmoid_in_place, sigmoid2, sigmoid);
two_at_a_time!("tanh", tanh_into, tanh_in_place, tanh2, tanh);
