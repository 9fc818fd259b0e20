//! Fast evaluation of the training loss at many points of one plane: the inner loop of the
//! landscape grid.
//!
//! For a network the loss at $\theta(a, b) = \theta_c + a\,d_1 + b\,d_2$ is what
//! [`Objective::loss`] computes (full training set, penalty included), evaluated so that a 256²
//! grid of a 2-8-8-1 net on 500 points takes a fraction of a second:
//!
//! 1. **The first layer is linear in (a, b).** $z_1(a, b) = Z_c + a Z_1 + b Z_2$ with
//!    $Z_c = W_c X + b_c$, $Z_1 = W_{d_1} X + b_{d_1}$, $Z_2 = W_{d_2} X + b_{d_2}$ formed once
//!    per plane: two multiply-adds per first-layer value instead of a matrix product.
//! 2. **Along a row its exponential is a product.** Within a row b is fixed and a advances by a
//!    constant step h, so for a tanh (or logistic) first layer $E = e^{2 z_1}$ (or $e^{-z_1}$)
//!    obeys $E(a + h) = E(a)\,R$ with $R = e^{2 h Z_1}$: one multiplication per value, then
//!    $\tanh z = 1 - 2/(E + 1)$. E is recomputed exactly every [`CHAIN`] vertices (the
//!    relative error grows by ~1 ulp per step, so it stays below 1e-14) and only where every
//!    |z| of the sample block stays below [`CHAIN_LIMIT`] over those vertices (no overflow);
//!    elsewhere the activation is evaluated directly.
//! 3. **Blocks of samples, one SIMD level per CPU.** Samples go in blocks of [`BLOCK`] (the
//!    whole batch with batch norm, whose statistics need it), unit-major inside a block, so every
//!    loop runs over contiguous samples. The row is compiled for AVX-512, AVX2 + FMA and the
//!    baseline (`multiversion`, as the core's kernels) and the best is picked at run time.
//!    Multiply-adds are fused ([`Fma::fma`]: an FMA instruction, or its exact emulation on a
//!    web page), and no reduction is reordered between versions, so every CPU
//!    gives the same bits. Dense layers of fan-in ≤ 8 keep a unit's weights in registers;
//!    wider ones are training's tiled dense layer (`kernels::linear_packed`), their weights
//!    packed once per vertex for all its blocks ([`Scratch`]).
//! 4. **tanh and the logistic function** are branch-free and vectorisable: [`fast_sigmoid`]
//!    within 5e-16 relative of the standard library's, tanh within 1e-13 ([`tanh_slice`]: a
//!    shorter polynomial than the core's ulp-exact [`tanh`], as the second layer's tanh is most
//!    of a grid's time and the budget here is the 1e-9 below).
//!
//! Tested to agree with [`Objective::loss`] to 1e-9 relative (in practice below 1e-13) for every
//! activation, loss, batch norm and penalty. Per-thread buffers live in [`Scratch`]; nothing is
//! allocated per vertex. Typed functions are evaluated with [`Objective::loss`] point by point.

use super::super::activation::{Activation, softmax_columns};
use super::super::aligned::AlignedVec;
use super::super::loss::Loss;
use super::super::network::{BN_EPS, LayerShape, Workspace};
use super::super::objective::{NetworkObjective, Objective, penalty_value};
use super::plane::Plane;
use crate::core::fma::{Fma, fma_broadcast};
use crate::core::kernels::{Packed, SHIFTER, expm1, linear_packed, tanh};
use multiversion::multiversion;

/// Samples per block in the network kernel (when there is no batch norm).
pub const BLOCK: usize = 128;

/// Vertices between exact recomputations of the first layer's exponential chain.
pub const CHAIN: usize = 32;

/// The chain runs on a block only while every |z| of its first layer stays below this
/// (so $e^{2z}$ stays far from overflow).
pub const CHAIN_LIMIT: f64 = 300.0;

/// The loss over one plane, ready to be evaluated row by row from several threads.
pub struct PlaneLoss<'a> {
    plane: &'a Plane,
    kind: Kind<'a>,
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
    blocks: usize,
    /// First layer's linear part from θ_c, d₁, d₂ (blocked layout, see `offset`).
    first: [Vec<f64>; 3],
    /// Targets in blocked layout.
    targets: Vec<f64>,
    /// Whether the first layer's activation can use the exponential chain.
    chain: Option<ChainKind>,
}

/// The exponential the chain carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChainKind {
    /// $E = e^{2z}$, $\tanh z = 1 - 2/(E + 1)$.
    Tanh,
    /// $E = e^{-z}$, $\sigma(z) = 1/(1 + E)$.
    Sigmoid,
}

/// Per-thread buffers for [`PlaneLoss::row`].
#[derive(Debug, Default)]
pub struct Scratch {
    /// θ at the vertex, for an objective evaluated point by point (a network's vertices carry
    /// their own, [`Vertex`]).
    theta: Vec<f64>,
    /// Per layer: the pre-activation (after batch norm).
    z: Vec<AlignedVec>,
    /// Per layer: the output.
    y: Vec<AlignedVec>,
    /// Batch norm's linear output.
    lin: AlignedVec,
    /// The first layer's chained exponential and its per-step ratio (blocked layout).
    chain_e: AlignedVec,
    chain_r: AlignedVec,
    /// Per block: whether the chain is valid until the next restart.
    chain_ok: Vec<bool>,
    /// The [`GROUP`] vertices a network's row computes together.
    vertices: Vec<Vertex>,
    ws: Workspace,
}

/// One vertex of a group ([`network_row`]): its θ, its weights and its loss so far.
#[derive(Debug, Default)]
struct Vertex {
    theta: Vec<f64>,
    /// Per layer: its weights at this vertex packed for the dense kernel (layers of fan-in
    /// above eight), once for all blocks of samples.
    packed: Vec<Packed>,
    /// The sum over the blocks done.
    total: f64,
}

/// Vertices of a row a network's grid computes together, block by block ([`network_row`]).
/// Each block's chain still advances vertex by vertex in order, so a group may straddle a
/// restart.
const GROUP: usize = 4;

impl<'a> PlaneLoss<'a> {
    /// Prepares `objective` on `plane` (for a network: forms the first layer's three linear parts).
    pub fn new(objective: &'a Objective, plane: &'a Plane) -> Self {
        let kind = match objective.network() {
            Some(obj) if plane.dim() == obj.net.param_count() && obj.train.n > 0 => Kind::Network(NetworkPlane::new(obj, plane)),
            _ => Kind::Generic(objective),
        };
        Self { plane, kind }
    }

    /// Fresh buffers for one thread.
    pub fn scratch(&self) -> Scratch {
        let mut s = Scratch::default();
        let np = match &self.kind {
            Kind::Generic(_) => {
                s.theta = vec![0.0; self.plane.dim()];
                return s;
            }
            Kind::Network(np) => np,
        };
        for l in np.obj.net.layers() {
            s.z.push(AlignedVec::from_elem(0.0, l.units * np.block));
            s.y.push(AlignedVec::from_elem(0.0, l.units * np.block));
        }
        let widest = np.obj.net.layers().iter().map(|l| l.units).max().unwrap_or(0);
        s.lin = AlignedVec::from_elem(0.0, widest * np.block);
        let layers = np.obj.net.layers().len();
        s.vertices = (0..GROUP)
            .map(|_| Vertex { theta: vec![0.0; self.plane.dim()], packed: vec![Packed::default(); layers], total: 0.0 })
            .collect();
        if np.chain.is_some() {
            s.chain_e = AlignedVec::from_elem(0.0, np.first[0].len());
            s.chain_r = AlignedVec::from_elem(0.0, np.first[0].len());
            s.chain_ok = vec![false; np.blocks];
        }
        s
    }

    /// The loss at $\theta(a_i, b)$ for every `a_i` of `a`, written into `out`.
    pub fn row(&self, b: f64, a: &[f64], scratch: &mut Scratch, out: &mut [f64]) {
        match &self.kind {
            Kind::Network(np) => network_row(np, self.plane, b, a, scratch, out),
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
        let block = if net.layers().iter().any(|l| l.batch_norm) { n } else { BLOCK.min(n) };
        let blocks = n.div_ceil(block);
        let l0 = &net.layers()[0];
        let zero = vec![0.0; plane.dim()];
        let dirs: [&[f64]; 3] = [&plane.center, &plane.d1, plane.d2.as_deref().unwrap_or(&zero)];
        let first = dirs.map(|theta| {
            // Z[u][s] = b[u] + Σ_i W[u][i]·x[i][s], the core's order of summation.
            let mut z = vec![0.0; l0.units * n];
            for k in 0..blocks {
                let (s0, nb) = (k * block, block.min(n - k * block));
                let base = offset(k, block, l0.units);
                for u in 0..l0.units {
                    let row = &mut z[base + u * nb..base + (u + 1) * nb];
                    row.fill(theta[l0.bias_offset + u]);
                    for i in 0..l0.fan_in {
                        let w = theta[l0.weight_offset + u * l0.fan_in + i];
                        for (r, &x) in row.iter_mut().zip(&data.x[i * n + s0..i * n + s0 + nb]) {
                            *r += w * x;
                        }
                    }
                }
            }
            z
        });
        let width = data.outputs;
        let mut targets = vec![0.0; width * n];
        for k in 0..blocks {
            let (s0, nb) = (k * block, block.min(n - k * block));
            let base = offset(k, block, width);
            for c in 0..width {
                targets[base + c * nb..base + (c + 1) * nb].copy_from_slice(&data.y[c * n + s0..c * n + s0 + nb]);
            }
        }
        // The chain replaces the first layer's activation; the output layer's z is needed by
        // the loss and batch norm breaks the linearity, so neither qualifies.
        let chain = match l0.activation {
            _ if l0.batch_norm || net.layers().len() == 1 => None,
            Activation::Tanh => Some(ChainKind::Tanh),
            Activation::Sigmoid => Some(ChainKind::Sigmoid),
            _ => None,
        };
        Self { obj, n, block, blocks, first, targets, chain }
    }
}

/// The constant step of `a`, if its values are equally spaced (to 1e-12 of their range).
fn uniform_step(a: &[f64]) -> Option<f64> {
    let (&first, &last) = (a.first()?, a.last()?);
    if a.len() < 2 {
        return None;
    }
    let step = (last - first) / (a.len() - 1) as f64;
    let tol = 1e-12 * (first.abs() + last.abs());
    let uniform = a.iter().enumerate().all(|(i, &v)| (v - (first + i as f64 * step)).abs() <= tol);
    (uniform && step.is_finite() && step != 0.0).then_some(step)
}

/// One row of the grid for a network: for each a, θ(a, b), then the forward pass block by
/// block, the loss and the penalty. Compiled for AVX-512, AVX2 + FMA and the baseline, chosen
/// at run time (`multiversion`); every helper it calls is inlined into each version.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
fn network_row<'n>(np: &NetworkPlane<'n>, plane: &Plane, b: f64, a: &[f64], s: &mut Scratch, out: &mut [f64]) {
    let net = &np.obj.net;
    let layers = net.layers();
    let last = layers.len() - 1;
    let n = np.n;
    let outputs = np.obj.train.outputs;
    let loss_kind = net.loss_kind();
    let step = np.chain.and(uniform_step(a));
    // GROUP vertices at a time, block by block: a block's chained exponentials (E and R, 128
    // kB for 64 units) come from memory for the group's first vertex and from L2 for the
    // others. One vertex at a time, all of them (5 MB for 64 units on 5000 points) streamed
    // from memory for every vertex. Each vertex's numbers are computed as before.
    for (g, (outs, group)) in out.chunks_mut(GROUP).zip(a.chunks(GROUP)).enumerate() {
        for (v, &ai) in s.vertices.iter_mut().zip(group) {
            plane.point(ai, b, &mut v.theta);
            for (l, packed) in layers.iter().zip(&mut v.packed).skip(1) {
                if l.fan_in > WIDE_FAN_IN {
                    packed.weights(&v.theta[l.weight_offset..l.bias_offset], l.fan_in, l.units);
                }
            }
            v.total = 0.0;
        }
        for k in 0..np.blocks {
            let nb = np.block.min(n - k * np.block);
            for (j, (vertex, &ai)) in s.vertices.iter_mut().zip(group).enumerate() {
                let i = g * GROUP + j;
                // Restart the chain every CHAIN vertices (the row's first included).
                let restart = step.is_some() && i % CHAIN == 0;
                let horizon = a.len().min(i + CHAIN) - 1 - i;
                for (li, l) in layers.iter().enumerate() {
                    let (before, rest) = s.y.split_at_mut(li);
                    let y = &mut rest[0][..l.units * nb];
                    if li == 0 {
                        let base = offset(k, np.block, l.units);
                        let range = base..base + l.units * nb;
                        let [c, d1, d2] = &np.first;
                        if let (Some(h), Some(kind)) = (step, np.chain) {
                            let (e, r) = (&mut s.chain_e[range.clone()], &mut s.chain_r[range.clone()]);
                            if restart {
                                s.chain_ok[k] =
                                    chain_start(kind, &c[range.clone()], &d1[range.clone()], &d2[range.clone()], ai, b, h, horizon, e, r);
                            }
                            if s.chain_ok[k] {
                                chain_activate(kind, !restart, e, r, y);
                                continue;
                            }
                        }
                        let z = &mut s.z[0][..l.units * nb];
                        let target: &mut [f64] = if l.batch_norm { &mut s.lin[..l.units * nb] } else { &mut *z };
                        first_layer(&c[range.clone()], &d1[range.clone()], &d2[range], ai, b, target);
                        finish_layer(l, &vertex.theta, &s.lin, nb, z, y);
                    } else {
                        let z = &mut s.z[li][..l.units * nb];
                        let input = &before[li - 1][..layers[li - 1].units * nb];
                        let target: &mut [f64] = if l.batch_norm { &mut s.lin[..l.units * nb] } else { &mut *z };
                        let bias = &vertex.theta[l.bias_offset..l.bn_offset];
                        if l.fan_in > WIDE_FAN_IN {
                            linear_packed(&mut vertex.packed[li], bias, input, nb, target);
                        } else {
                            linear(&vertex.theta[l.weight_offset..l.bias_offset], bias, input, l.fan_in, l.units, nb, target);
                        }
                        finish_layer(l, &vertex.theta, &s.lin, nb, z, y);
                    }
                }
                let l = &layers[last];
                let base = offset(k, np.block, outputs);
                let t = &np.targets[base..base + outputs * nb];
                let (z, y) = (&s.z[last][..l.units * nb], &s.y[last][..l.units * nb]);
                vertex.total += match loss_kind {
                    // Sum of squares; divided by the element count once, below.
                    Loss::Mse => squared_error(y, t),
                    other => other.evaluate(l.activation, l.slope, z, y, t, outputs, nb, None) * nb as f64,
                };
            }
        }
        for (o, v) in outs.iter_mut().zip(&s.vertices) {
            let mean = match loss_kind {
                Loss::Mse => v.total / (n * layers[last].units) as f64,
                _ => v.total / n as f64,
            };
            *o = mean + penalty_value(net, np.obj.penalty, &v.theta);
        }
    }
}

/// Batch norm (if any) from `lin` into `z`, then the activation from `z` into `y`.
#[inline(always)]
fn finish_layer(l: &LayerShape, theta: &[f64], lin: &[f64], nb: usize, z: &mut [f64], y: &mut [f64]) {
    if l.batch_norm {
        let gamma = &theta[l.bn_offset..l.bn_offset + l.units];
        let beta = &theta[l.bn_offset + l.units..l.end];
        batch_norm(&lin[..l.units * nb], gamma, beta, l.units, nb, z);
    }
    if l.activation == Activation::Tanh {
        tanh_slice(z, y);
    } else {
        y.copy_from_slice(z);
        activate(l.activation, l.slope, y, l.units, nb);
    }
}

/// $e^{2a} - 1$ for $|a| \le 20$ within 1e-13 relative (tested): [`expm1`] cut down for
/// the grid, whose budget is 1e-9 of the training loss (module doc) while the core's is an
/// ulp. $2a = n \ln 2 + 2r$ with ln 2 in one constant (the dropped low part moves r by at
/// most 58 · 2⁻⁵⁶, where tanh is ±1 to within that), $e^{2r} - 1 = 2(r + r^2 Q(r))$ with Q a
/// degree-7 minimax fit (8e-14) whose powers of two are folded into its coefficients and into
/// the scale $2^{n+1}$. Four multiply-adds fewer than [`expm1`]: the second layer's tanh is
/// most of a grid's time.
#[inline(always)]
fn expm1_double(a: f64) -> f64 {
    const LOG2E_2: f64 = 2.0 * std::f64::consts::LOG2_E;
    const LN2_HALF: f64 = 0.5 * std::f64::consts::LN_2;
    // expm1(x) = x + x²·Σ q_k x^k (k = 0…7), refitted by Lawson's algorithm on |x| ≤ ln2/2,
    // here times 2^(k+1) for x = 2r.
    const Q: [f64; 8] = [
        0.499_999_999_998_124_7 * 2.0,
        0.166_666_666_668_690_23 * 4.0,
        0.041_666_666_883_512_11 * 8.0,
        0.008_333_333_246_344_16 * 16.0,
        0.001_388_882_275_863_113 * 32.0,
        0.000_198_413_597_435_400_94 * 64.0,
        2.487_569_225_969_987e-5 * 128.0,
        2.756_054_099_002_248_7e-6 * 256.0,
    ];
    let t = a.fma(LOG2E_2, SHIFTER);
    let n = t - SHIFTER;
    let r = (-n).fma(LN2_HALF, a);
    let mut q = Q[7];
    for &c in Q[..7].iter().rev() {
        q = q.fma(r, c);
    }
    let p = (r * r).fma(q, r);
    // 2^(n+1) from the integer in t's low bits.
    let scale2 = f64::from_bits(t.to_bits().wrapping_add(1024) << 52);
    scale2.fma(p, scale2.fma(0.5, -1.0))
}

/// `y = tanh(z)` with [`expm1_double`] in place of [`tanh`]'s [`expm1`], in two passes so that
/// four divisions share one: first $u = e^{2z} - 1$ into `y` (z clamped to ±20, where tanh is
/// ±1 in f64), then $\tanh z = u/(u + 2)$ four at a time with a single division
/// ($1 < u + 2 \le e^{40} + 2$, so the product of four stays below 2²³²). For z < 0 the
/// quotient is as accurate as for |z| (u ∈ (−1, 0) and u + 2 ∈ (1, 2)), so the sign needs no
/// separate step; only −0 comes out as +0. (Sharing one division among eight, with a tree of
/// partial products, measured 10% slower over the whole grid.)
#[inline(always)]
fn tanh_slice(z: &[f64], y: &mut [f64]) {
    for (y, &z) in y.iter_mut().zip(z) {
        // `clamp` keeps a NaN (where `min`/`max` would drop it).
        *y = expm1_double(z.clamp(-20.0, 20.0));
    }
    let q = y.len() / 4;
    let (y0, rest) = y.split_at_mut(q);
    let (y1, rest) = rest.split_at_mut(q);
    let (y2, rest) = rest.split_at_mut(q);
    let (y3, yt) = rest.split_at_mut(q);
    for s in 0..q {
        let (u0, u1, u2, u3) = (y0[s], y1[s], y2[s], y3[s]);
        let (d0, d1, d2, d3) = (u0 + 2.0, u1 + 2.0, u2 + 2.0, u3 + 2.0);
        let (d01, d23) = (d0 * d1, d2 * d3);
        let inv = 1.0 / (d01 * d23);
        let (i01, i23) = (inv * d23, inv * d01);
        y0[s] = u0 * (d1 * i01);
        y1[s] = u1 * (d0 * i01);
        y2[s] = u2 * (d3 * i23);
        y3[s] = u3 * (d2 * i23);
    }
    for y in yt {
        *y /= *y + 2.0;
    }
}

/// $z = Z_c + a Z_1 + b Z_2$.
#[inline(always)]
fn first_layer(c: &[f64], d1: &[f64], d2: &[f64], a: f64, b: f64, out: &mut [f64]) {
    for (((o, &c), &x), &y) in out.iter_mut().zip(c).zip(d1).zip(d2) {
        *o = b.fma(y, a.fma(x, c));
    }
}

/// Starts the chain on one block: $E = e^{2z}$ (tanh) or $e^{-z}$ (logistic) at
/// $z = Z_c + a Z_1 + b Z_2$, and the ratio $R$ for one step h along a. Returns `false` (chain
/// unused until the next restart) when |z| would exceed [`CHAIN_LIMIT`] at this vertex or
/// `horizon` steps later (z is linear in a, so these bound every vertex in between).
#[inline(always)]
fn chain_start(
    kind: ChainKind,
    c: &[f64],
    d1: &[f64],
    d2: &[f64],
    a: f64,
    b: f64,
    h: f64,
    horizon: usize,
    e: &mut [f64],
    r: &mut [f64],
) -> bool {
    let reach = h * horizon as f64;
    // A NaN fails the comparison too. Folded with `&` rather than `all`, whose early exit
    // keeps the loop scalar: this check was a tenth of a wide grid's row outside the products.
    let within = c.iter().zip(d1).zip(d2).fold(true, |ok, ((&c, &x), &y)| {
        let z = b.fma(y, a.fma(x, c));
        ok & (z.abs() <= CHAIN_LIMIT) & (reach.fma(x, z).abs() <= CHAIN_LIMIT)
    });
    if !within {
        return false;
    }
    let k = match kind {
        ChainKind::Tanh => 2.0,
        ChainKind::Sigmoid => -1.0,
    };
    for ((((e, r), &c), &x), &y) in e.iter_mut().zip(r.iter_mut()).zip(c).zip(d1).zip(d2) {
        let z = b.fma(y, a.fma(x, c));
        *e = expm1(k * z) + 1.0;
        *r = expm1(k * h * x) + 1.0;
    }
    true
}

/// The activation from the chained exponential, after advancing it one step along a
/// ($E \leftarrow E R$) when `advance`.
///
/// Divisions dominate this loop, so they are shared: four quotients $n_k/d_k$ cost one
/// division, $1/(d_0 d_1 d_2 d_3)$, and a few products. For tanh, $E$ is capped at $2^{57}$
/// first (tanh is then 1 in f64 either way), so the product of four denominators stays below
/// 2²³⁰; for the logistic ($E \le e^{300}$) two quotients share a division (the product
/// stays below e⁶⁰²).
#[inline(always)]
fn chain_activate(kind: ChainKind, advance: bool, e: &mut [f64], r: &[f64], y: &mut [f64]) {
    match (kind, advance) {
        (ChainKind::Tanh, true) => chain_tanh::<true>(e, r, y),
        (ChainKind::Tanh, false) => chain_tanh::<false>(e, r, y),
        (ChainKind::Sigmoid, true) => chain_sigmoid::<true>(e, r, y),
        (ChainKind::Sigmoid, false) => chain_sigmoid::<false>(e, r, y),
    }
}

/// [`chain_activate`] for tanh: $\tanh z = 1 - 2/(E + 1)$, four quotients per division, with
/// the step $E \leftarrow E R$ in the same loop rather than a pass of its own (measured: no
/// faster, but one pass over E fewer).
#[inline(always)]
fn chain_tanh<const ADVANCE: bool>(e: &mut [f64], r: &[f64], y: &mut [f64]) {
    const CAP: f64 = 144_115_188_075_855_872.0; // 2^57
    let q = e.len() / 4;
    let (e0, rest) = e.split_at_mut(q);
    let (e1, rest) = rest.split_at_mut(q);
    let (e2, rest) = rest.split_at_mut(q);
    let (e3, et) = rest.split_at_mut(q);
    let (r0, rest) = r.split_at(q);
    let (r1, rest) = rest.split_at(q);
    let (r2, rest) = rest.split_at(q);
    let (r3, rt) = rest.split_at(q);
    let (y0, rest) = y.split_at_mut(q);
    let (y1, rest) = rest.split_at_mut(q);
    let (y2, rest) = rest.split_at_mut(q);
    let (y3, yt) = rest.split_at_mut(q);
    for s in 0..q {
        if ADVANCE {
            e0[s] *= r0[s];
            e1[s] *= r1[s];
            e2[s] *= r2[s];
            e3[s] *= r3[s];
        }
        let d0 = e0[s].min(CAP) + 1.0;
        let d1 = e1[s].min(CAP) + 1.0;
        let d2 = e2[s].min(CAP) + 1.0;
        let d3 = e3[s].min(CAP) + 1.0;
        let (d01, d23) = (d0 * d1, d2 * d3);
        let inv = 2.0 / (d01 * d23);
        let (i01, i23) = (inv * d23, inv * d01);
        y0[s] = (-d1).fma(i01, 1.0);
        y1[s] = (-d0).fma(i01, 1.0);
        y2[s] = (-d3).fma(i23, 1.0);
        y3[s] = (-d2).fma(i23, 1.0);
    }
    for ((y, e), &r) in yt.iter_mut().zip(et).zip(rt) {
        if ADVANCE {
            *e *= r;
        }
        *y = 1.0 - 2.0 / (*e + 1.0);
    }
}

/// [`chain_activate`] for the logistic: $\sigma(z) = 1/(1 + E)$, two quotients per division,
/// with the step $E \leftarrow E R$ in the same loop (see [`chain_tanh`]).
#[inline(always)]
fn chain_sigmoid<const ADVANCE: bool>(e: &mut [f64], r: &[f64], y: &mut [f64]) {
    let q = e.len() / 2;
    let (e0, rest) = e.split_at_mut(q);
    let (e1, et) = rest.split_at_mut(q);
    let (r0, rest) = r.split_at(q);
    let (r1, rt) = rest.split_at(q);
    let (y0, rest) = y.split_at_mut(q);
    let (y1, yt) = rest.split_at_mut(q);
    for s in 0..q {
        if ADVANCE {
            e0[s] *= r0[s];
            e1[s] *= r1[s];
        }
        let (d0, d1) = (1.0 + e0[s], 1.0 + e1[s]);
        let inv = 1.0 / (d0 * d1);
        y0[s] = d1 * inv;
        y1[s] = d0 * inv;
    }
    for ((y, e), &r) in yt.iter_mut().zip(et).zip(rt) {
        if ADVANCE {
            *e *= r;
        }
        *y = 1.0 / (1.0 + *e);
    }
}

/// $\sum (y - t)^2$ with eight interleaved accumulators (a fixed order, vectorisable).
#[inline(always)]
fn squared_error(y: &[f64], t: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (yc, tc) = (y.chunks_exact(8), t.chunks_exact(8));
    let (yr, tr) = (yc.remainder(), tc.remainder());
    for (y, t) in yc.zip(tc) {
        for k in 0..8 {
            let d = y[k] - t[k];
            acc[k] = d.fma(d, acc[k]);
        }
    }
    let mut tail = 0.0;
    for (y, t) in yr.iter().zip(tr) {
        let d = y - t;
        tail = d.fma(d, tail);
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// Dense layers of a wider fan-in go to training's tiled kernel ([`linear_packed`]).
const WIDE_FAN_IN: usize = 8;

/// Units and samples per step of [`unit_group`].
const GROUP_UNITS: usize = 2;
const GROUP_LANES: usize = 16;

/// `out[u][s] = b[u] + Σ_i w[u][i]·input[i][s]` (bias first, then i ascending) for fan-ins
/// up to [`WIDE_FAN_IN`], each unit's weights kept in registers. Wider layers go to training's
/// dense kernel ([`linear_packed`]: register tiles of units × samples, its own choice of vector
/// width), called rather than inlined: inlining its tiles here measured 8% slower on the
/// reference 2-8-8-1 grid, which never takes that path, and one call per block and layer costs
/// nothing beside a wide layer's work. Every path sums in the same order, so the bits do not
/// depend on which one runs.
#[inline(always)]
fn linear(w: &[f64], bias: &[f64], input: &[f64], fan_in: usize, units: usize, nb: usize, out: &mut [f64]) {
    const U: usize = GROUP_UNITS;
    let mut u = 0;
    // U units at a time share every load of the input.
    while u + U <= units && (1..=8).contains(&fan_in) {
        let wu = &w[u * fan_in..(u + U) * fan_in];
        let (bu, rows) = (&bias[u..u + U], &mut out[u * nb..(u + U) * nb]);
        match fan_in {
            1 => unit_group::<1, U>(wu, bu, input, nb, rows),
            2 => unit_group::<2, U>(wu, bu, input, nb, rows),
            3 => unit_group::<3, U>(wu, bu, input, nb, rows),
            4 => unit_group::<4, U>(wu, bu, input, nb, rows),
            5 => unit_group::<5, U>(wu, bu, input, nb, rows),
            6 => unit_group::<6, U>(wu, bu, input, nb, rows),
            7 => unit_group::<7, U>(wu, bu, input, nb, rows),
            _ => unit_group::<8, U>(wu, bu, input, nb, rows),
        }
        u += U;
    }
    for u in u..units {
        let wu = &w[u * fan_in..(u + 1) * fan_in];
        let row = &mut out[u * nb..(u + 1) * nb];
        match fan_in {
            1 => unit::<1>(wu, bias[u], input, nb, row),
            2 => unit::<2>(wu, bias[u], input, nb, row),
            3 => unit::<3>(wu, bias[u], input, nb, row),
            4 => unit::<4>(wu, bias[u], input, nb, row),
            5 => unit::<5>(wu, bias[u], input, nb, row),
            6 => unit::<6>(wu, bias[u], input, nb, row),
            7 => unit::<7>(wu, bias[u], input, nb, row),
            8 => unit::<8>(wu, bias[u], input, nb, row),
            _ => row[..nb].fill(bias[u]),
        }
    }
}

/// `U` units of [`linear`] with a fan-in known at compile time, `LANES` samples at a time:
/// U·LANES/8 vector accumulators in flight, each input vector loaded once for all U units, the
/// U·K weights in registers. Each output sums in the order [`unit`] does (bias, then i
/// ascending), so the bits are the same.
#[inline(always)]
fn unit_group<const K: usize, const U: usize>(w: &[f64], bias: &[f64], input: &[f64], nb: usize, out: &mut [f64]) {
    const LANES: usize = GROUP_LANES;
    let w: [[f64; K]; U] = std::array::from_fn(|u| std::array::from_fn(|i| w[u * K + i]));
    let b: [f64; U] = std::array::from_fn(|u| bias[u]);
    let rows: [&[f64]; K] = std::array::from_fn(|i| &input[i * nb..(i + 1) * nb]);
    let out = &mut out[..U * nb];
    let mut s = 0;
    while s + LANES <= nb {
        let mut acc: [[f64; LANES]; U] = std::array::from_fn(|u| [b[u]; LANES]);
        for i in 0..K {
            let x: &[f64; LANES] = rows[i][s..s + LANES].try_into().expect("lanes");
            for u in 0..U {
                fma_broadcast(w[u][i], x, &mut acc[u]);
            }
        }
        for u in 0..U {
            out[u * nb + s..u * nb + s + LANES].copy_from_slice(&acc[u]);
        }
        s += LANES;
    }
    for q in s..nb {
        for u in 0..U {
            let mut a = b[u];
            for i in 0..K {
                a = w[u][i].fma(rows[i][q], a);
            }
            out[u * nb + q] = a;
        }
    }
}

/// One unit of [`linear`] with a fan-in known at compile time: eight samples at a time, the K
/// weights kept in registers.
#[inline(always)]
fn unit<const K: usize>(w: &[f64], bias: f64, input: &[f64], nb: usize, out: &mut [f64]) {
    const LANES: usize = 32;
    let w: [f64; K] = std::array::from_fn(|i| w[i]);
    let rows: [&[f64]; K] = std::array::from_fn(|i| &input[i * nb..(i + 1) * nb]);
    let out = &mut out[..nb];
    let mut s = 0;
    while s + LANES <= nb {
        let mut acc = [bias; LANES];
        for i in 0..K {
            let x: &[f64; LANES] = rows[i][s..s + LANES].try_into().expect("lanes");
            fma_broadcast(w[i], x, &mut acc);
        }
        out[s..s + LANES].copy_from_slice(&acc);
        s += LANES;
    }
    for q in s..nb {
        let mut acc = bias;
        for i in 0..K {
            acc = w[i].fma(rows[i][q], acc);
        }
        out[q] = acc;
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
        Activation::Tanh => v.iter_mut().for_each(|x| *x = tanh(*x)),
        Activation::Softmax => softmax_columns(v, units, nb),
        Activation::Linear => {}
    }
}

/// The logistic function $1/(1 + e^{-x})$ within 5e-16 relative for x ≥ −700 (x clamped to
/// [−708, 708]: below, the result is 3e-308 instead of a subnormal). NaN gives NaN.
#[inline(always)]
pub fn fast_sigmoid(x: f64) -> f64 {
    1.0 / (2.0 + expm1((-x).clamp(-708.0, 708.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn fast_functions_match_the_standard_library() {
        // Dense sweep plus the awkward spots: tiny, huge, signed zeros.
        let mut xs: Vec<f64> = (-60_000..=60_000).map(|i| i as f64 * 5e-4).collect();
        xs.extend([1e-300, -1e-300, 1e-12, -3e-9, 0.0, -0.0, 19.99, 20.01, 700.0, -700.0, 1e300, -1e300]);
        for &x in &xs {
            assert_relative_eq!(tanh(x), x.tanh(), max_relative = 5e-16, epsilon = 0.0);
            let sig = crate::core::activation::sigmoid(x);
            if x > -700.0 {
                assert_relative_eq!(fast_sigmoid(x), sig, max_relative = 5e-16, epsilon = 0.0);
            } else {
                assert!(fast_sigmoid(x) < 1e-300);
            }
            if x.abs() < 700.0 {
                assert_relative_eq!(expm1(x), x.exp_m1(), max_relative = 4e-16);
            }
        }
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan() && fast_sigmoid(f64::NAN).is_nan());
        assert_eq!(fast_sigmoid(f64::INFINITY), 1.0);
        assert!(fast_sigmoid(f64::NEG_INFINITY) < 1e-300);
        assert!(tanh(-0.0).is_sign_negative());
    }

    #[test]
    fn the_grids_tanh_is_within_1e_13() {
        let mut z: Vec<f64> = (-80_000..=80_000).map(|i| i as f64 * 3e-4 + 1e-9).collect();
        z.extend([1e-300, -1e-300, 1e-12, -3e-9, 0.0, -0.0, 19.99, 20.01, 700.0, -700.0, f64::INFINITY, f64::NEG_INFINITY]);
        let mut y = vec![0.0; z.len()];
        tanh_slice(&z, &mut y);
        let mut worst: f64 = 0.0;
        for (&y, &z) in y.iter().zip(&z) {
            worst = worst.max((y - z.tanh()).abs() / z.tanh().abs().max(f64::MIN_POSITIVE));
            assert!(y == 0.0 || y.is_sign_negative() == z.is_sign_negative(), "{z}");
        }
        assert!(worst < 1e-13, "worst relative error {worst:e}");
        let mut nan = [f64::NAN; 5];
        tanh_slice(&[f64::NAN; 5], &mut nan);
        assert!(nan.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn uniform_steps_are_recognised() {
        assert_eq!(uniform_step(&[-1.0, 0.0, 1.0]), Some(1.0));
        assert_eq!(uniform_step(&[0.0, 1.0, 3.0]), None);
        assert_eq!(uniform_step(&[2.0]), None);
        let axis = crate::core::landscape::GridSpec { res: 257, span: 0.3 }.axis();
        assert!(uniform_step(&axis).is_some());
    }
}
