//! Fast evaluation of the training loss at many points of one plane: the inner loop of the
//! landscape grid.
//!
//! For a network the loss at $\theta(a, b) = \theta_c + a\,d_1 + b\,d_2$ is computed as
//! [`Objective::loss`] computes it (full training set, penalty included), with three
//! differences that make a 256² grid of a 2-8-8-1 net on 500 points take a fraction of a second:
//!
//! 1. The first layer's pre-activation is linear in (a, b):
//!    $z_1(a, b) = Z_c + a Z_1 + b Z_2$ with $Z_c = W_c X + b_c$, $Z_1 = W_{d_1} X + b_{d_1}$,
//!    $Z_2 = W_{d_2} X + b_{d_2}$ formed once per plane, so a vertex costs two multiply-adds per
//!    first-layer value instead of a matrix product.
//! 2. The samples are processed in blocks of [`BLOCK`] (all of them with batch norm, whose
//!    statistics need the whole batch), unit-major inside a block, so every loop runs over
//!    contiguous samples; the loops are compiled once per SIMD level (SSE4.2, AVX2) through
//!    `fearless_simd` and picked at run time. No reduction is reordered, so every level gives
//!    the same bits.
//! 3. tanh and the logistic function use [`fast_tanh`] and [`fast_sigmoid`], branch-free and
//!    vectorisable, within a few ulps of the standard library's.
//!
//! The result agrees with [`Objective::loss`] to ~1e-13 relative (tested at 1e-9). Per-thread
//! buffers live in [`Scratch`]; nothing is allocated per vertex. Typed functions are evaluated
//! with [`Objective::loss`] point by point.

use super::super::activation::{Activation, softmax_columns};
use super::super::network::{BN_EPS, Network, Workspace};
use super::super::objective::{NetworkObjective, Objective, Penalty};
use super::plane::Plane;

/// Samples per block in the network kernel (when there is no batch norm).
pub const BLOCK: usize = 128;

/// The loss over one plane, ready to be evaluated row by row from several threads.
pub struct PlaneLoss<'a> {
    plane: &'a Plane,
    kind: Kind<'a>,
    level: fearless_simd::Level,
}

enum Kind<'a> {
    Network(NetworkPlane<'a>),
    Generic(&'a Objective),
}

/// A network objective prepared for one plane.
struct NetworkPlane<'a> {
    obj: &'a NetworkObjective,
    n: usize,
    block: usize,
    /// First layer's linear part from θ_c, d₁, d₂ (blocked layout, see `offset`).
    first: [Vec<f64>; 3],
    /// Targets in blocked layout.
    targets: Vec<f64>,
}

/// Per-thread buffers for [`PlaneLoss::row`].
#[derive(Debug, Default)]
pub struct Scratch {
    theta: Vec<f64>,
    /// Per layer: the pre-activation (after batch norm).
    z: Vec<Vec<f64>>,
    /// Per layer: the output.
    y: Vec<Vec<f64>>,
    /// Batch norm's linear output.
    lin: Vec<f64>,
    ws: Workspace,
}

impl<'a> PlaneLoss<'a> {
    /// Prepares `objective` on `plane` (for a network: forms the first layer's three linear parts).
    pub fn new(objective: &'a Objective, plane: &'a Plane) -> Self {
        let kind = match objective.network() {
            Some(obj) if plane.dim() == obj.net.param_count() => Kind::Network(NetworkPlane::new(obj, plane)),
            _ => Kind::Generic(objective),
        };
        Self { plane, kind, level: fearless_simd::Level::new() }
    }

    /// Fresh buffers for one thread.
    pub fn scratch(&self) -> Scratch {
        let mut s = Scratch { theta: vec![0.0; self.plane.dim()], ..Scratch::default() };
        if let Kind::Network(np) = &self.kind {
            for l in np.obj.net.layers() {
                s.z.push(vec![0.0; l.units * np.block]);
                s.y.push(vec![0.0; l.units * np.block]);
            }
            let widest = np.obj.net.layers().iter().map(|l| l.units).max().unwrap_or(0);
            s.lin = vec![0.0; widest * np.block];
        }
        s
    }

    /// The loss at $\theta(a_i, b)$ for every `a_i` of `a`, written into `out`.
    pub fn row(&self, b: f64, a: &[f64], scratch: &mut Scratch, out: &mut [f64]) {
        match &self.kind {
            Kind::Network(np) => {
                let plane = self.plane;
                fearless_simd::dispatch!(self.level, _simd => network_row(np, plane, b, a, scratch, out));
            }
            Kind::Generic(objective) => {
                for (o, &ai) in out.iter_mut().zip(a) {
                    self.plane.point(ai, b, &mut scratch.theta);
                    *o = objective.loss(&scratch.theta, &mut scratch.ws);
                }
            }
        }
    }

    /// The loss at one point $\theta(a, b)$ (allocates its own buffers).
    pub fn at(&self, a: f64, b: f64) -> f64 {
        let mut s = self.scratch();
        let mut out = [0.0];
        self.row(b, &[a], &mut s, &mut out);
        out[0]
    }
}

/// Start of block `k`'s values for a layer of `units` units: blocks are stored one after the
/// other, each unit-major (`[u * nb + s]` inside the block, nb = the block's sample count).
#[inline(always)]
fn offset(k: usize, block: usize, units: usize) -> usize {
    k * block * units
}

impl<'a> NetworkPlane<'a> {
    fn new(obj: &'a NetworkObjective, plane: &Plane) -> Self {
        let net = &obj.net;
        let data = &obj.train;
        let n = data.n;
        let block = if net.layers().iter().any(|l| l.batch_norm) { n.max(1) } else { BLOCK.min(n.max(1)) };
        let l0 = &net.layers()[0];
        let zero = vec![0.0; plane.dim()];
        let dirs: [&[f64]; 3] = [&plane.center, &plane.d1, plane.d2.as_deref().unwrap_or(&zero)];
        let first = dirs.map(|theta| {
            // Z[u][s] = b[u] + Σ_i W[u][i]·x[i][s], the core's order of summation.
            let mut z = vec![0.0; l0.units * n];
            for k in 0..n.div_ceil(block) {
                let (s0, nb) = (k * block, block.min(n - k * block));
                let base = offset(k, block, l0.units);
                for u in 0..l0.units {
                    let row = &mut z[base + u * nb..base + (u + 1) * nb];
                    row.fill(theta[l0.bias_offset + u]);
                    for i in 0..l0.fan_in {
                        let w = theta[l0.weight_offset + u * l0.fan_in + i];
                        let x = &data.x[i * n + s0..i * n + s0 + nb];
                        for (r, &x) in row.iter_mut().zip(x) {
                            *r += w * x;
                        }
                    }
                }
            }
            z
        });
        let width = data.outputs;
        let mut targets = vec![0.0; width * n];
        for k in 0..n.div_ceil(block) {
            let (s0, nb) = (k * block, block.min(n - k * block));
            let base = offset(k, block, width);
            for c in 0..width {
                targets[base + c * nb..base + (c + 1) * nb].copy_from_slice(&data.y[c * n + s0..c * n + s0 + nb]);
            }
        }
        Self { obj, n, block, first, targets }
    }
}

/// One row of the grid for a network: for each a, θ(a, b), then the forward pass block by
/// block, the loss and the penalty.
#[inline(always)]
fn network_row(np: &NetworkPlane<'_>, plane: &Plane, b: f64, a: &[f64], s: &mut Scratch, out: &mut [f64]) {
    let net = &np.obj.net;
    let layers = net.layers();
    let last = layers.len() - 1;
    let n = np.n;
    for (o, &ai) in out.iter_mut().zip(a) {
        plane.point(ai, b, &mut s.theta);
        let theta = &s.theta;
        let mut total = 0.0;
        for k in 0..n.div_ceil(np.block) {
            let (s0, nb) = (k * np.block, np.block.min(n - k * np.block));
            for (li, l) in layers.iter().enumerate() {
                let (before, rest) = s.y.split_at_mut(li);
                let z = &mut s.z[li][..l.units * nb];
                let target: &mut [f64] = if l.batch_norm { &mut s.lin[..l.units * nb] } else { &mut *z };
                if li == 0 {
                    let base = offset(k, np.block, l.units);
                    let len = l.units * nb;
                    let [c, d1, d2] = &np.first;
                    first_layer(&c[base..base + len], &d1[base..base + len], &d2[base..base + len], ai, b, target);
                } else {
                    let input = &before[li - 1][..layers[li - 1].units * nb];
                    linear(
                        &theta[l.weight_offset..l.bias_offset],
                        &theta[l.bias_offset..l.bn_offset],
                        input,
                        l.fan_in,
                        l.units,
                        nb,
                        target,
                    );
                }
                if l.batch_norm {
                    let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
                    let beta = &theta[l.bn_offset + l.units..l.end];
                    batch_norm(&s.lin[..l.units * nb], gamma, beta, l.units, nb, z);
                }
                let y = &mut rest[0][..l.units * nb];
                y.copy_from_slice(z);
                activate(l.activation, l.slope, y, l.units, nb);
            }
            let l = &layers[last];
            let base = offset(k, np.block, np.obj.train.outputs);
            let t = &np.targets[base..base + np.obj.train.outputs * nb];
            let mean = net.loss_kind().evaluate(
                l.activation,
                l.slope,
                &s.z[last][..l.units * nb],
                &s.y[last][..l.units * nb],
                t,
                np.obj.train.outputs,
                nb,
                None,
            );
            total += mean * nb as f64;
            let _ = s0;
        }
        *o = total / n as f64 + penalty(net, np.obj.penalty, theta);
    }
}

/// $z = Z_c + a Z_1 + b Z_2$.
#[inline(always)]
fn first_layer(c: &[f64], d1: &[f64], d2: &[f64], a: f64, b: f64, out: &mut [f64]) {
    for (((o, &c), &x), &y) in out.iter_mut().zip(c).zip(d1).zip(d2) {
        *o = c + a * x + b * y;
    }
}

/// `out[u][s] = b[u] + Σ_i w[u][i]·input[i][s]`, summed in the core's order (bias, then i
/// ascending), eight samples at a time in registers.
#[inline(always)]
fn linear(w: &[f64], bias: &[f64], input: &[f64], fan_in: usize, units: usize, nb: usize, out: &mut [f64]) {
    const LANES: usize = 8;
    for u in 0..units {
        let row = &mut out[u * nb..(u + 1) * nb];
        let wu = &w[u * fan_in..(u + 1) * fan_in];
        let mut s = 0;
        while s + LANES <= nb {
            let mut acc = [bias[u]; LANES];
            for (i, &wi) in wu.iter().enumerate() {
                let x = &input[i * nb + s..i * nb + s + LANES];
                for k in 0..LANES {
                    acc[k] += wi * x[k];
                }
            }
            row[s..s + LANES].copy_from_slice(&acc);
            s += LANES;
        }
        for q in s..nb {
            let mut acc = bias[u];
            for (i, &wi) in wu.iter().enumerate() {
                acc += wi * input[i * nb + q];
            }
            row[q] = acc;
        }
    }
}

/// BatchNorm1d in training mode over the block (which then holds the whole batch), as the
/// core computes it.
#[inline(always)]
fn batch_norm(lin: &[f64], gamma: &[f64], beta: &[f64], units: usize, nb: usize, z: &mut [f64]) {
    let inv_n = 1.0 / nb as f64;
    for u in 0..units {
        let x = &lin[u * nb..(u + 1) * nb];
        let mean = crate::core::network::sum(x) * inv_n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() * inv_n;
        let inv_std = 1.0 / (var + BN_EPS).sqrt();
        for (o, &v) in z[u * nb..(u + 1) * nb].iter_mut().zip(x) {
            *o = gamma[u] * ((v - mean) * inv_std) + beta[u];
        }
    }
}

/// The activation in place, with the fast tanh and logistic.
#[inline(always)]
fn activate(act: Activation, slope: f64, v: &mut [f64], units: usize, nb: usize) {
    match act {
        Activation::Relu => v.iter_mut().for_each(|x| *x = if *x > 0.0 { *x } else { 0.0 }),
        Activation::LeakyRelu => v.iter_mut().for_each(|x| *x = if *x <= 0.0 { *x * slope } else { *x }),
        Activation::Sigmoid => v.iter_mut().for_each(|x| *x = fast_sigmoid(*x)),
        Activation::Tanh => v.iter_mut().for_each(|x| *x = fast_tanh(*x)),
        Activation::Softmax => softmax_columns(v, units, nb),
        Activation::Linear => {}
    }
}

/// The objective's weight penalty at θ (as [`NetworkObjective::loss_on`] adds it).
fn penalty(net: &Network, p: Option<Penalty>, theta: &[f64]) -> f64 {
    let Some(p) = p else { return 0.0 };
    let mut total = 0.0;
    for r in net.weight_ranges() {
        for &w in &theta[r] {
            total += match p {
                Penalty::L1(_) => w.abs(),
                Penalty::L2(_) => w * w,
            };
        }
    }
    match p {
        Penalty::L1(l) | Penalty::L2(l) => l * total,
    }
}

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split in a part with trailing zero bits (exact products with n) and the rest.
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1.5·2⁵²: adding it rounds to an integer, which then sits in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// $(e^r - 1)/r = \sum_{k \ge 0} c_k r^k$ on |r| ≤ ln2/2, Chebyshev-interpolated at degree 10
/// (relative error 2.4e-17 before rounding).
const EXPM1: [f64; 11] = [
    1.0,
    0.500_000_000_000_000_6,
    0.166_666_666_666_666_7,
    0.041_666_666_666_573_14,
    0.008_333_333_333_326_141,
    0.001_388_888_893_248_859_9,
    0.000_198_412_698_748_004_93,
    2.480_150_434_699_768_6e-5,
    2.755_725_542_574_643_5e-6,
    2.762_635_724_144_722_3e-7,
    2.510_520_637_395_701e-8,
];

/// $e^x - 1$ for |x| ≤ 708, branch-free: $x = n \ln 2 + r$ with |r| ≤ ln2/2 (Cody–Waite),
/// $e^x - 1 = 2^n (e^r - 1) + (2^n - 1)$ with $e^r - 1$ a polynomial without constant term,
/// so small |x| keep full relative precision. NaN propagates; callers clamp the range.
#[inline(always)]
pub fn fast_expm1(x: f64) -> f64 {
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = EXPM1[10];
    for &c in EXPM1[..10].iter().rev() {
        p = p * r + c;
    }
    p *= r;
    // 2^n from the integer in t's low bits: (n + 1023) << 52.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    scale * p + (scale - 1.0)
}

/// tanh(x) within ~2 ulp (|x| ≥ 1e-300): $\tanh|x| = u / (u + 2)$ with
/// $u = e^{2|x|} - 1$ ([`fast_expm1`]), $|x|$ clamped to 20 (where tanh = 1 in f64), sign
/// restored. NaN gives NaN.
#[inline(always)]
pub fn fast_tanh(x: f64) -> f64 {
    let ax = x.abs();
    let ax = if ax > 20.0 { 20.0 } else { ax };
    let u = fast_expm1(2.0 * ax);
    (u / (u + 2.0)).copysign(x)
}

/// The logistic function $1/(1 + e^{-x})$ within a few ulps for x ≥ −708 (x clamped to
/// [−708, 708]: below, the result is 3e-308 instead of a subnormal). NaN gives NaN.
#[inline(always)]
pub fn fast_sigmoid(x: f64) -> f64 {
    1.0 / (2.0 + fast_expm1((-x).clamp(-708.0, 708.0)))
}
