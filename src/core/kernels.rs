//! The inner loops of every forward and backward pass, and the elementary functions they need,
//! written so the compiler vectorises them, and compiled for AVX2+FMA / AVX-512 with a run-time
//! choice (the `multiversion` crate) so one binary runs everywhere at full speed.
//!
//! Reproducibility: every multiply-add is `f64::mul_add`, a correctly rounded fused operation
//! on every machine (hardware FMA or libm's exact `fma`), and `exp`, `tanh` and the sigmoid are
//! our own from plain IEEE operations rather than the platform's libm. So a trajectory is
//! bit-identical whatever the CPU, the vector width or the operating system.

use multiversion::multiversion;

/// `y += a·x`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = a.mul_add(x, *y);
    }
}

/// Σ x·y in a fixed order: two interleaved 4-lane accumulators (lane k sums the elements
/// ≡ k mod 8), added lane-wise, then $(l_0 + l_2) + (l_1 + l_3)$, then the tail.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut lo = [0.0f64; 4];
    let mut hi = [0.0f64; 4];
    let xc = x.chunks_exact(8);
    let yc = y.chunks_exact(8);
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for k in 0..4 {
            lo[k] = a[k].mul_add(b[k], lo[k]);
            hi[k] = a[k + 4].mul_add(b[k + 4], hi[k]);
        }
    }
    reduce(lo, hi) + xr.iter().zip(yr).fold(0.0, |t, (a, b)| a.mul_add(*b, t))
}

#[inline(always)]
fn reduce(lo: [f64; 4], hi: [f64; 4]) -> f64 {
    let mut l = [0.0; 4];
    for k in 0..4 {
        l[k] = lo[k] + hi[k];
    }
    (l[0] + l[2]) + (l[1] + l[3])
}

/// Σ x in a fixed order (as [`dot`]).
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn sum(x: &[f64]) -> f64 {
    let mut lo = [0.0f64; 4];
    let mut hi = [0.0f64; 4];
    let c = x.chunks_exact(8);
    let r = c.remainder();
    for a in c {
        for k in 0..4 {
            lo[k] += a[k];
            hi[k] += a[k + 4];
        }
    }
    reduce(lo, hi) + r.iter().fold(0.0, |t, v| t + v)
}

/// A dense layer on a batch, `out[u][s] = b[u] + Σ_i w[u][i]·input[i][s]` (unit-major rows of
/// length `n`), eight samples at a time in registers. Each element accumulates over `i` in order
/// with fused multiply-adds, exactly as a sequence of `axpy`s would.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn linear(w: &[f64], b: &[f64], input: &[f64], fan_in: usize, units: usize, n: usize, out: &mut [f64]) {
    for u in 0..units {
        let wr = &w[u * fan_in..(u + 1) * fan_in];
        let row = &mut out[u * n..(u + 1) * n];
        block_accumulate(wr, 1, b[u], input, n, row);
    }
}

/// Backpropagates through a dense layer: `da[i][s] = Σ_u w[u][i]·dz[u][s]`, eight samples at
/// a time, accumulating over `u` in order.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn linear_transposed(w: &[f64], dz: &[f64], fan_in: usize, n: usize, da: &mut [f64]) {
    for i in 0..fan_in {
        let row = &mut da[i * n..(i + 1) * n];
        block_accumulate(&w[i..], fan_in, 0.0, dz, n, row);
    }
}

/// `row[s] = init + Σ_k coef[k·stride]·rows[k][s]` over the `rows.len() / n` rows.
#[inline(always)]
fn block_accumulate(coef: &[f64], stride: usize, init: f64, rows: &[f64], n: usize, row: &mut [f64]) {
    let k_count = rows.len() / n.max(1);
    let mut s = 0;
    while s + 8 <= n {
        let mut acc = [init; 8];
        for k in 0..k_count {
            let c = coef[k * stride];
            let x = &rows[k * n + s..k * n + s + 8];
            for l in 0..8 {
                acc[l] = c.mul_add(x[l], acc[l]);
            }
        }
        row[s..s + 8].copy_from_slice(&acc);
        s += 8;
    }
    for s in s..n {
        let mut acc = init;
        for k in 0..k_count {
            acc = coef[k * stride].mul_add(rows[k * n + s], acc);
        }
        row[s] = acc;
    }
}

/// tanh in place.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn tanh_in_place(v: &mut [f64]) {
    for x in v.iter_mut() {
        *x = tanh(*x);
    }
}

/// `y = tanh(z)`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn tanh_into(z: &[f64], y: &mut [f64]) {
    for (y, &z) in y.iter_mut().zip(z) {
        *y = tanh(z);
    }
}

/// `y = σ(z)`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn sigmoid_into(z: &[f64], y: &mut [f64]) {
    for (y, &z) in y.iter_mut().zip(z) {
        *y = sigmoid(z);
    }
}

/// The logistic function in place.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn sigmoid_in_place(v: &mut [f64]) {
    for x in v.iter_mut() {
        *x = sigmoid(*x);
    }
}

/// `g *= 1 − y²` (tanh's derivative from its output).
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn mul_tanh_derivative(y: &[f64], g: &mut [f64]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= (-y).mul_add(y, 1.0);
    }
}

/// `g *= y(1 − y)` (the sigmoid's derivative from its output).
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn mul_sigmoid_derivative(y: &[f64], g: &mut [f64]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= y * (1.0 - y);
    }
}

const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
const LOG2E: f64 = std::f64::consts::LOG2_E;
/// 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// $e^x$ to within about 1 ulp, branch-free: $x = n\ln 2 + r$ with $|r| \le \ln 2 / 2$
/// (Cody–Waite), $e^r$ by its Taylor polynomial of degree 12 (truncation below 2.5e-16
/// relative), times $2^n$ built in the exponent bits. Below −708 it returns 0 (the subnormal
/// range is flushed), above 709.78 infinity.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let input = x;
    let x = x.clamp(-708.0, 709.0);
    let t = x.mul_add(LOG2E, SHIFTER);
    let n = t - SHIFTER;
    let r = (-n).mul_add(LN2_HI, x);
    let r = (-n).mul_add(LN2_LO, r);
    const C: [f64; 13] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5040.0,
        1.0 / 40320.0,
        1.0 / 362880.0,
        1.0 / 3628800.0,
        1.0 / 39916800.0,
        1.0 / 479001600.0,
    ];
    let mut p = C[12];
    for c in C[..12].iter().rev() {
        p = p.mul_add(r, *c);
    }
    let k = (t.to_bits() as i64).wrapping_sub(SHIFTER.to_bits() as i64);
    let v = p * f64::from_bits(((k + 1023) as u64) << 52);
    if input < -708.0 {
        0.0
    } else if input > 709.78 {
        f64::INFINITY
    } else {
        v
    }
}

/// tanh to within a few ulp, branch-free so it vectorises: Cephes' rational approximation
/// for |x| ≤ 0.625, $1 - 2/(e^{2|x|} + 1)$ beyond, with the sign of x.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    const P: [f64; 3] = [-9.643_991_794_250_522_386_28e-1, -9.928_772_310_019_185_865_64e1, -1.614_687_684_417_084_479_52e3];
    const Q: [f64; 3] = [1.128_116_784_916_329_314_02e2, 2.235_488_390_601_004_485_83e3, 4.844_063_053_251_254_860_48e3];
    // Both branches are computed as a fraction and the fraction is chosen before the one
    // division: vector division is the slowest instruction here.
    let a = x.abs();
    let e = exp(2.0 * a.min(20.0));
    let s = x * x;
    let p = P[0].mul_add(s, P[1]).mul_add(s, P[2]);
    let q = (s + Q[0]).mul_add(s, Q[1]).mul_add(s, Q[2]);
    let big = a > 0.625;
    let num = if big { e - 1.0 } else { (a * s).mul_add(p, a * q) };
    let den = if big { e + 1.0 } else { q };
    (num / den).copysign(x)
}

/// The logistic function $1/(1 + e^{-x})$, computed from $e^{-|x|}$ so it never overflows.
#[inline(always)]
pub fn sigmoid(x: f64) -> f64 {
    let e = exp(-x.abs());
    let d = 1.0 + e;
    if x >= 0.0 { 1.0 / d } else { e / d }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        (a - b).abs() / (b.abs() * f64::EPSILON).max(f64::MIN_POSITIVE)
    }

    #[test]
    fn exp_tanh_and_sigmoid_are_accurate() {
        let mut worst = [0.0f64; 3];
        for i in -200_000..=200_000 {
            let x = i as f64 * 1e-4 + 1e-7;
            if x.abs() < 700.0 {
                worst[0] = worst[0].max(ulps(exp(x), x.exp()));
            }
            worst[1] = worst[1].max(ulps(tanh(x), x.tanh()));
            let s = if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) };
            worst[2] = worst[2].max(ulps(sigmoid(x), s));
        }
        for x in [1e-300, 1e-20, 1e-9, 3e-5] {
            worst[1] = worst[1].max(ulps(tanh(x), x.tanh()));
        }
        assert!(worst[0] < 3.0 && worst[1] < 4.0 && worst[2] < 4.0, "ulps: exp {} tanh {} sigmoid {}", worst[0], worst[1], worst[2]);
    }

    #[test]
    fn extremes_stay_finite_and_signed() {
        assert_eq!(tanh(1e6), 1.0);
        assert_eq!(tanh(-1e6), -1.0);
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert!(tanh(f64::NAN).is_nan());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(sigmoid(-1e6), 0.0);
        assert_eq!(sigmoid(1e6), 1.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1e9), 0.0);
        assert_eq!(exp(1e9), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
    }

    #[test]
    fn blocked_layers_equal_sequences_of_axpys() {
        for n in [1, 7, 8, 9, 23] {
            let (fan_in, units) = (3, 2);
            let input: Vec<f64> = (0..fan_in * n).map(|k| ((k * 37 % 11) as f64 - 5.0) * 0.3).collect();
            let w = [0.5, -1.25, 0.75, 2.0, 0.1, -0.3];
            let b = [0.2, -0.4];
            let mut out = vec![0.0; units * n];
            linear(&w, &b, &input, fan_in, units, n, &mut out);
            let mut da = vec![0.0; fan_in * n];
            linear_transposed(&w, &out, fan_in, n, &mut da);
            for u in 0..units {
                let mut row = vec![b[u]; n];
                for i in 0..fan_in {
                    axpy(w[u * fan_in + i], &input[i * n..(i + 1) * n], &mut row);
                }
                assert_eq!(&out[u * n..(u + 1) * n], &row[..]);
            }
            for i in 0..fan_in {
                let mut row = vec![0.0; n];
                for u in 0..units {
                    axpy(w[u * fan_in + i], &out[u * n..(u + 1) * n], &mut row);
                }
                assert_eq!(&da[i * n..(i + 1) * n], &row[..]);
            }
        }
    }

    #[test]
    fn reductions_handle_every_length() {
        for len in 0..20 {
            let x: Vec<f64> = (0..len).map(|i| i as f64 + 1.0).collect();
            assert_eq!(sum(&x), x.iter().sum::<f64>());
            assert_eq!(dot(&x, &x), x.iter().map(|v| v * v).sum::<f64>());
            let mut y = vec![1.0; len];
            axpy(2.0, &x, &mut y);
            assert!(y.iter().zip(&x).all(|(y, x)| *y == 1.0 + 2.0 * x));
        }
    }
}
