//! The elementary functions behind every number the core computes, the same bits on every
//! platform.
//!
//! std's `f64::exp`, `ln`, `sin`, `powf`, `powi` … call the platform's math library (glibc,
//! the macOS libm, the MSVC CRT, or a port in the browser), and their last bit differs from one
//! to the next: the std docs call their precision "non-deterministic". Losses, the seeded data
//! generators (Box–Muller's `ln` and `cos`), seeded initialisation and random slice directions
//! all go through these, so a scene would train to slightly different numbers on Linux, macOS,
//! Windows and in the browser. Here they come from the `libm` crate instead: musl's
//! implementations in plain Rust, computed with IEEE operations only (the exactly rounded
//! `sqrt`, `fma`, `floor` … may use the hardware instruction, which gives the same bits), so
//! every target, wasm32 included, gets the same result for the same input. They are within
//! 1 ulp of the true value (tested against std below).
//!
//! `sqrt`, `abs`, `floor`, `mul_add` and the arithmetic operators are exactly rounded by IEEE 754
//! and stay std's. The hot kernels' own `exp` and `tanh` ([`super::kernels`]) are built from
//! those and need nothing here.

/// $e^x$.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// The natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// $\ln(1 + x)$, accurate for small |x|.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// $\log_2 x$.
#[inline]
pub fn log2(x: f64) -> f64 {
    libm::log2(x)
}

/// $\log_{10} x$.
#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// $x^y$ (C's `pow`: `pow(x, 0) = 1` for every x, NaN included).
#[inline]
pub fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// $x^n$ for a whole `n` of any size, through [`pow`]: std's `powi` multiplies in an order
/// that is not guaranteed, and its error grows with n.
#[inline]
pub fn powu(x: f64, n: u64) -> f64 {
    libm::pow(x, n as f64)
}

/// The cube root.
#[inline]
pub fn cbrt(x: f64) -> f64 {
    libm::cbrt(x)
}

/// Sine (radians).
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}

/// Cosine (radians).
#[inline]
pub fn cos(x: f64) -> f64 {
    libm::cos(x)
}

/// Tangent (radians).
#[inline]
pub fn tan(x: f64) -> f64 {
    libm::tan(x)
}

/// Arcsine, in [−π/2, π/2].
#[inline]
pub fn asin(x: f64) -> f64 {
    libm::asin(x)
}

/// Arccosine, in [0, π].
#[inline]
pub fn acos(x: f64) -> f64 {
    libm::acos(x)
}

/// Arctangent, in [−π/2, π/2].
#[inline]
pub fn atan(x: f64) -> f64 {
    libm::atan(x)
}

/// The angle of (x, y), in [−π, π].
#[inline]
pub fn atan2(y: f64, x: f64) -> f64 {
    libm::atan2(y, x)
}

/// Hyperbolic sine.
#[inline]
pub fn sinh(x: f64) -> f64 {
    libm::sinh(x)
}

/// Hyperbolic cosine.
#[inline]
pub fn cosh(x: f64) -> f64 {
    libm::cosh(x)
}

/// Hyperbolic tangent.
#[inline]
pub fn tanh(x: f64) -> f64 {
    libm::tanh(x)
}

/// Inverse hyperbolic sine.
#[inline]
pub fn asinh(x: f64) -> f64 {
    libm::asinh(x)
}

/// Inverse hyperbolic cosine.
#[inline]
pub fn acosh(x: f64) -> f64 {
    libm::acosh(x)
}

/// Inverse hyperbolic tangent.
#[inline]
pub fn atanh(x: f64) -> f64 {
    libm::atanh(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many representable f64 lie between `a` and `b` (0 when both are NaN or equal).
    fn ulps(a: f64, b: f64) -> u64 {
        if a.is_nan() && b.is_nan() || a == b {
            return 0;
        }
        if a.is_nan() || b.is_nan() || a.is_sign_negative() != b.is_sign_negative() {
            return u64::MAX;
        }
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Inputs: a few thousand spread over each function's domain, its edges, and special values.
    fn inputs(lo: f64, hi: f64) -> Vec<f64> {
        let mut xs: Vec<f64> = (0..=4000).map(|i| lo + (hi - lo) * f64::from(i) / 4000.0).collect();
        // Irregular fractions too, so no input sits on a grid the tables were built for.
        xs.extend((0..2000).map(|i| lo + (hi - lo) * ((f64::from(i) * 0.618_033_988_749_894_9).fract())));
        xs.extend([0.0, -0.0, 1e-300, -1e-300, 5e-324, 1e-8, -1e-8, 0.5, 1.0, -1.0, 2.0, 10.0, 100.0, 700.0, 709.7, -745.0, 1e300]);
        xs.extend([
            f64::MIN_POSITIVE,
            std::f64::consts::PI,
            std::f64::consts::FRAC_PI_2,
            1e22,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]);
        xs
    }

    /// Each function against std over its domain. Where std calls the platform's math library
    /// (glibc here) the two agree within 1 ulp. Three exceptions, measured against 200-bit
    /// mpmath: glibc's `tanh` is up to 1.7 ulp off and libm's up to 1.2, so they may differ by
    /// 2; std's `asinh`, `acosh` and `atanh` are not the platform's but Rust's own formulas,
    /// off by up to 1.8 ulp (`acosh`), 3 ulp (`atanh` on ±0.5) and 169 ulp (`atanh` near −1),
    /// infinite at `f64::MAX`, while libm's stay within 0.72, 0.72 and 1.33 ulp: they are
    /// compared where std's are good, with its error as the tolerance.
    #[test]
    fn within_one_ulp_of_std() {
        type F = fn(f64) -> f64;
        let cases: [(&str, F, F, f64, f64, u64); 20] = [
            ("exp", exp, f64::exp, -745.0, 710.0, 1),
            ("ln", ln, f64::ln, 0.0, 1e3, 1),
            ("ln_1p", ln_1p, f64::ln_1p, -1.0, 10.0, 1),
            ("log2", log2, f64::log2, 0.0, 1e3, 1),
            ("log10", log10, f64::log10, 0.0, 1e3, 1),
            ("cbrt", cbrt, f64::cbrt, -1e3, 1e3, 1),
            ("sin", sin, f64::sin, -100.0, 100.0, 1),
            ("cos", cos, f64::cos, -100.0, 100.0, 1),
            ("tan", tan, f64::tan, -10.0, 10.0, 1),
            ("asin", asin, f64::asin, -1.0, 1.0, 1),
            ("acos", acos, f64::acos, -1.0, 1.0, 1),
            ("atan", atan, f64::atan, -100.0, 100.0, 1),
            ("sinh", sinh, f64::sinh, -710.0, 710.0, 1),
            ("cosh", cosh, f64::cosh, -710.0, 710.0, 1),
            ("tanh", tanh, f64::tanh, -20.0, 20.0, 2),
            ("exp near 0", exp, f64::exp, -1e-3, 1e-3, 1),
            ("ln near 1", ln, f64::ln, 0.999, 1.001, 1),
            ("asinh", asinh, f64::asinh, -1e3, 1e3, 1),
            ("acosh", acosh, f64::acosh, 1.0, 1e3, 2),
            ("atanh", atanh, f64::atanh, -0.5, 0.5, 3),
        ];
        let mut checked = 0;
        for (name, ours, std, lo, hi, tolerance) in cases {
            // Rust's own asinh … overflow or lose digits at the edges: only their range there.
            let own_formula = name.starts_with('a') && name.ends_with('h');
            for x in inputs(lo, hi).into_iter().filter(|x| !own_formula || (lo..=hi).contains(x)) {
                let (a, b) = (ours(x), std(x));
                assert!(ulps(a, b) <= tolerance, "{name}({x:e}) = {a:e}, std says {b:e}");
                checked += 1;
            }
        }
        for x in inputs(-20.0, 20.0) {
            for y in [-3.5, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 7.25, 100.0] {
                assert!(ulps(pow(x.abs(), y), x.abs().powf(y)) <= 1, "pow({x:e}, {y})");
                assert!(ulps(atan2(x, y), x.atan2(y)) <= 1, "atan2({x:e}, {y})");
                checked += 2;
            }
        }
        for (x, n) in [(0.9, 1), (0.9, 10), (0.999, 1000), (0.999, 100_000), (1.5, 30), (-2.0, 3)] {
            assert!(ulps(powu(x, n), x.powf(n as f64)) <= 1, "{x}^{n}");
        }
        assert!(checked > 100_000, "{checked} comparisons");
    }

    #[test]
    fn special_values_are_exact() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln_1p(0.0), 0.0);
        assert_eq!(ln_1p(-1.0), f64::NEG_INFINITY);
        assert_eq!(ln_1p(1e-300), 1e-300);
        assert_eq!(log10(1000.0), 3.0);
        assert_eq!(log2(1024.0), 10.0);
        assert_eq!(sin(0.0), 0.0);
        assert_eq!(sin(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(cos(0.0), 1.0);
        assert!(sin(f64::INFINITY).is_nan() && cos(f64::NAN).is_nan());
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(powu(0.9, 0), 1.0);
        assert_eq!(powu(3.0, 2), 9.0);
        assert_eq!(cbrt(-27.0), -3.0);
        assert_eq!(atan2(0.0, -1.0), std::f64::consts::PI);
        // Where std's own formulas fail, against the true values (200-bit mpmath, rounded):
        // atanh near −1 (std is 169 ulp off) and asinh at f64::MAX (std gives infinity).
        assert!(ulps(atanh(-0.999), -3.800_201_167_250_199_4) <= 1, "{}", atanh(-0.999));
        assert_eq!(atanh(-0.999), -atanh(0.999));
        assert!(ulps(asinh(f64::MAX), 710.475_860_073_944) <= 1, "{}", asinh(f64::MAX));
        assert_eq!(acosh(1.0), 0.0);
        for f in [exp, ln, ln_1p, log2, log10, cbrt, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh] {
            assert!(f(f64::NAN).is_nan());
        }
    }
}
