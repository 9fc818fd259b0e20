//! The inner loops of every forward and backward pass, and the elementary functions they need,
//! written so the compiler vectorises them, and compiled for AVX2+FMA / AVX-512 with a run-time
//! choice (the `multiversion` crate) so one binary runs everywhere at full speed.
//!
//! Reproducibility: every multiply-add is [`Fma::fma`], a correctly rounded fused operation
//! on every machine (the FMA instruction, or on a web page an exact emulation), and `exp`, `tanh` and the sigmoid are
//! our own from plain IEEE operations rather than the platform's libm. Every other elementary
//! function behind a number of the core (the losses' `exp`, `ln` and `ln_1p`, the data
//! generators' and Box–Muller's `sin`, `cos` and `ln`, the learning-rate schedules' and Adam's
//! powers, the operators of typed expressions) comes from [`super::elementary`], the pure-Rust
//! `libm` crate, and never from the platform either; `tests/platform_math.rs` fails when core
//! code calls std's `f64::exp`, `ln`, `sin` … again. Rust does not fuse or reorder floating-point
//! operations by itself, so a trajectory is bit-identical whatever the CPU, the vector width,
//! the operating system, or the browser (wasm32).

use multiversion::{multiversion, target::selected_target};
use std::hint::black_box;

use super::aligned::AlignedVec;
use super::fma::{Fma, fma_broadcast, fma_each};

/// `y += a·x`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = a.fma(x, *y);
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
            lo[k] = a[k].fma(b[k], lo[k]);
            hi[k] = a[k + 4].fma(b[k + 4], hi[k]);
        }
    }
    reduce(lo, hi) + xr.iter().zip(yr).fold(0.0, |t, (a, b)| a.fma(*b, t))
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

/// Whether the clone of a multiversioned kernel being compiled runs on AVX-512. Asked only on
/// x86-64: elsewhere (wasm32: the web page) the feature's name is unknown and the query panics.
/// A constant of each clone: asked at run time, the query searched the target's features by
/// name at every call, 1–1.6 % of a wide grid's time (perf).
macro_rules! avx512 {
    () => {{
        const AVX512: bool = cfg!(target_arch = "x86_64") && selected_target!().supports_feature_str("avx512f");
        AVX512
    }};
}

/// A dense layer on a batch, `out[u][s] = b[u] + Σ_i w[u][i]·input[i][s]` (unit-major rows of
/// length `n`), a tile of units × samples at a time in registers ([`dense`]). Each element
/// accumulates over `i` in order with fused multiply-adds, exactly as a sequence of `axpy`s
/// would, whatever the tile's shape: the shape is chosen per CPU and width for speed and never
/// changes a bit.
pub fn linear(w: &[f64], b: &[f64], input: &[f64], fan_in: usize, units: usize, n: usize, out: &mut [f64]) {
    PACKED.with_borrow_mut(|packed| {
        packed.weights(w, fan_in, units);
        linear_packed(packed, b, input, n, out);
    });
}

thread_local! {
    /// The packs [`linear`] and [`linear_transposed`] reuse: allocated per call, they cost the
    /// reference network's training a few percent (2000 steps: 0.081 s here, 0.086 s without).
    static PACKED: std::cell::RefCell<Packed> = std::cell::RefCell::new(Packed::default());
}

/// [`linear`] with the weights already packed ([`Packed::weights`]): the landscape grid packs
/// them once per vertex and runs every block of samples on them.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn linear_packed(packed: &mut Packed, b: &[f64], input: &[f64], n: usize, out: &mut [f64]) {
    if avx512!() {
        dense::<{ WIDE_LANES }>(packed, |u| b[u], input, n, out);
    } else {
        dense::<{ NARROW_LANES }>(packed, |u| b[u], input, n, out);
    }
}

/// Backpropagates through a dense layer: `da[i][s] = Σ_u w[u][i]·dz[u][s]`, a tile of inputs ×
/// samples at a time, accumulating over `u` in order (as [`linear`], the same bits for any tile).
pub fn linear_transposed(w: &[f64], dz: &[f64], fan_in: usize, n: usize, da: &mut [f64]) {
    let units = dz.len() / n.max(1);
    PACKED.with_borrow_mut(|packed| {
        packed.pack(|k, i| w[k * fan_in + i], units, fan_in);
        transposed_packed(packed, dz, n, da);
    });
}

/// [`linear_transposed`] on packed coefficients.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
fn transposed_packed(packed: &mut Packed, dz: &[f64], n: usize, da: &mut [f64]) {
    if avx512!() {
        dense::<{ WIDE_LANES }>(packed, |_| 0.0, dz, n, da);
    } else {
        dense::<{ NARROW_LANES }>(packed, |_| 0.0, dz, n, da);
    }
}

/// The coefficients of [`dense`], `coef(k, r)` for k < `k_count` and output rows r < `rows`,
/// packed k-major per register tile: six rows a tile, then four, then single rows
/// ([`tile_plan`]). Also holds the strips of inputs a call copies, so a caller that keeps one
/// (the grid, per thread) allocates nothing per call.
#[derive(Debug, Default, Clone)]
pub struct Packed {
    k_count: usize,
    rows: usize,
    sixes: usize,
    fours: usize,
    six: Vec<[f64; 6]>,
    four: Vec<[f64; 4]>,
    /// The rows left over, `[row][k]`.
    one: Vec<f64>,
    strips: AlignedVec,
}

impl Packed {
    /// Packs a dense layer's weights `w[u][i]` (`units` rows of `fan_in`).
    pub fn weights(&mut self, w: &[f64], fan_in: usize, units: usize) {
        self.pack(|k, u| w[u * fan_in + k], fan_in, units);
    }

    /// Packs `coef(k, r)`.
    fn pack(&mut self, coef: impl Fn(usize, usize) -> f64, k_count: usize, rows: usize) {
        let (sixes, fours) = tile_plan(rows);
        (self.k_count, self.rows, self.sixes, self.fours) = (k_count, rows, sixes, fours);
        self.six.clear();
        self.four.clear();
        self.one.clear();
        for t in 0..sixes {
            self.six.extend((0..k_count).map(|k| std::array::from_fn(|j| coef(k, 6 * t + j))));
        }
        for t in 0..fours {
            self.four.extend((0..k_count).map(|k| std::array::from_fn(|j| coef(k, 6 * sixes + 4 * t + j))));
        }
        for r in 6 * sixes + 4 * fours..rows {
            self.one.extend((0..k_count).map(|k| coef(k, r)));
        }
    }
}

/// How many output rows of [`dense`] go six to a register tile and how many four: as many sixes
/// as leave a multiple of four (64 = 10·6 + 4, 128 = 20·6 + 2·4), so that no row is left to
/// go alone; rows below [`WIDE_TILE_FROM`] go four at a time. The rest go one at a time.
fn tile_plan(rows: usize) -> (usize, usize) {
    let most = if rows >= WIDE_TILE_FROM { rows / 6 } else { 0 };
    let sixes = (0..=most).rev().find(|&a| (rows - 6 * a).is_multiple_of(4)).unwrap_or(most);
    (sixes, (rows - 6 * sixes) / 4)
}

/// `out[r][s] = init(r) + Σ_k coef(k, r)·rows[k][s]` for every output row r and sample s
/// (the coefficients `packed`), summed over k in order with fused multiply-adds, so the bits do
/// not depend on the tiles.
///
/// The loops go the way the caches want: `L` samples at a time, that strip of every input row
/// is copied side by side (`k_count · L` values, 4 kB for 64 rows with AVX2) and every tile of
/// rows runs over all k on it, from the L1 cache, its packed coefficients streaming from L2.
/// The other way round, each tile of rows streamed all its inputs again: from L2 for a grid's
/// block of 128 samples (whose rows, 1 kB apart, also fall into a few cache sets), from L3 for
/// a training batch of 5000.
#[inline(always)]
fn dense<const L: usize>(packed: &mut Packed, init: impl Fn(usize) -> f64, rows: &[f64], n: usize, out: &mut [f64]) {
    let Packed { k_count, rows: out_rows, sixes, fours, ref six, ref four, ref one, ref mut strips } = *packed;
    if k_count == 0 {
        for r in 0..out_rows {
            out[r * n..(r + 1) * n].fill(init(r));
        }
        return;
    }
    // Without a tile of rows (a layer of one to three units: the output layer) the strips
    // would be copied for nothing.
    if k_count < STRIP_FROM || sixes + fours == 0 {
        for (t, c) in six.chunks_exact(k_count).enumerate() {
            let r = 6 * t;
            tiles::<6, L>(|k, j| c[k][j], std::array::from_fn(|j| init(r + j)), rows, k_count, n, &mut out[r * n..(r + 6) * n]);
        }
        for (t, c) in four.chunks_exact(k_count).enumerate() {
            let r = 6 * sixes + 4 * t;
            tiles::<4, L>(|k, j| c[k][j], std::array::from_fn(|j| init(r + j)), rows, k_count, n, &mut out[r * n..(r + 4) * n]);
        }
    } else {
        strips_through_tiles::<L>(six, four, sixes, &init, rows, k_count, n, strips, out);
    }
    for (i, c) in one.chunks_exact(k_count).enumerate() {
        let r = 6 * sixes + 4 * fours + i;
        // A single row goes 64 samples a step (32 with AVX2): eight (four) vectors of
        // accumulators, whose chains of multiply-adds would otherwise wait on each other (a
        // layer's single output unit).
        let row = &mut out[r * n..(r + 1) * n];
        match L {
            8 => tiles::<1, 32>(|k, _| c[k], [init(r)], rows, k_count, n, row),
            _ => tiles::<1, 64>(|k, _| c[k], [init(r)], rows, k_count, n, row),
        }
    }
}

/// The tiles of [`dense`] on strips of samples copied side by side (its doc).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn strips_through_tiles<const L: usize>(
    six: &[[f64; 6]],
    four: &[[f64; 4]],
    sixes: usize,
    init: &impl Fn(usize) -> f64,
    rows: &[f64],
    k_count: usize,
    n: usize,
    strips: &mut AlignedVec,
    out: &mut [f64],
) {
    let strips_at_once = strips_at_once(L);
    strips.resize(strips_at_once * k_count * L, 0.0);
    let strips = strips.as_chunks_mut::<L>().0;
    let mut s0 = 0;
    while s0 < n {
        // The last strip may be short: its missing lanes are zeros, computed and not stored.
        let count = strips_at_once.min((n - s0).div_ceil(L));
        for k in 0..k_count {
            for i in 0..count {
                let s = s0 + i * L;
                let width = L.min(n - s);
                let strip = &mut strips[i * k_count + k];
                if width == L {
                    *strip = rows[k * n + s..k * n + s + L].try_into().expect("lanes");
                } else {
                    *strip = std::array::from_fn(|l| if l < width { rows[k * n + s + l] } else { 0.0 });
                }
            }
        }
        for (i, strip) in strips.chunks_exact(k_count).take(count).enumerate() {
            let s = s0 + i * L;
            let width = L.min(n - s);
            for (t, w) in six.chunks_exact(k_count).enumerate() {
                let r = 6 * t;
                micro(w, std::array::from_fn(|j| init(r + j)), strip, out, r, n, s, width);
            }
            for (t, w) in four.chunks_exact(k_count).enumerate() {
                let r = 6 * sixes + 4 * t;
                micro(w, std::array::from_fn(|j| init(r + j)), strip, out, r, n, s, width);
            }
        }
        s0 += count * L;
    }
}

/// Layers with fewer inputs than this skip the strips of [`dense`]: their rows of a tile's
/// samples are few enough to stay in the L1 cache, and copying them cost more than it saved
/// (2-8-8-1 training 15% slower, 2-32-32-1 grids and training 10-20% slower).
const STRIP_FROM: usize = 48;

/// Strips of `lanes` samples that [`dense`] copies side by side at a time: each input row is
/// read 64 (AVX2) or 128 (AVX-512) values in a row, which the prefetcher follows, where one
/// strip at a time would read 64 or 256 bytes from each of k rows far apart.
const fn strips_at_once(lanes: usize) -> usize {
    if lanes >= 32 { 4 } else { 8 }
}

/// [`tile`] over all `n` samples: `L` at a time, then the rest eight at a time (and the last
/// few one at a time), so that a block whose length is not a multiple of a wide tile's 32 (or a
/// single row's 64) samples does not leave up to 31 (63) of them to scalar code.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tiles<const J: usize, const L: usize>(
    coef: impl Fn(usize, usize) -> f64,
    init: [f64; J],
    rows: &[f64],
    k_count: usize,
    n: usize,
    out: &mut [f64],
) {
    let wide = n - n % L;
    tile::<J, L>(&coef, init, rows, k_count, n, 0..wide, out);
    if wide < n {
        tile::<J, 8>(&coef, init, rows, k_count, n, wide..n, out);
    }
}

/// One register tile of [`dense`]: `J` rows × `L` samples, from `init` through every k, stored
/// from row `r`, sample `s` ([`store`]). The strip is walked by `next`, as [`tile`] walks its
/// rows: zipped with the weights, a 6 × 32 tile compiled one lane at a time.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn micro<const J: usize, const L: usize>(
    w: &[[f64; J]],
    init: [f64; J],
    x: &[[f64; L]],
    out: &mut [f64],
    r: usize,
    n: usize,
    s: usize,
    width: usize,
) {
    let mut acc = [[0.0f64; L]; J];
    for (acc, &v) in acc.iter_mut().zip(&init) {
        *acc = [v; L];
    }
    let mut xs = x.iter();
    for c in w {
        let x = xs.next().expect("one strip row per coefficient");
        for (acc, &c) in acc.iter_mut().zip(c) {
            fma_broadcast(c, x, acc);
        }
    }
    store(&acc, out, r, n, s, width);
}

/// Writes the first `width` lanes of a tile's rows to `out` (rows of length `n`) from row `r`,
/// sample `s`.
#[inline(always)]
fn store<const J: usize, const L: usize>(acc: &[[f64; L]; J], out: &mut [f64], r: usize, n: usize, s: usize, width: usize) {
    for (j, acc) in acc.iter().enumerate() {
        let at = (r + j) * n + s;
        if width == L {
            out[at..at + L].copy_from_slice(acc);
        } else {
            // Through an opaque copy: indexed by a run-time width, the accumulators themselves
            // were kept in memory and stored after every multiply-add of the tile (a 6 × 32
            // tile ran at a third of its speed).
            let lanes: [f64; L] = black_box(*acc);
            out[at..at + width].copy_from_slice(&lanes[..width]);
        }
    }
}

/// Coefficients packed per pass of [`tile`]: a layer wider than this is done in several
/// passes, each resuming from the partial sums the last one stored (stored f64s, so the result
/// is the same as in one pass).
const TILE_K: usize = 32;

/// Samples per tile row with AVX-512: four vectors of eight. A 6 × 32 tile has 24 accumulators
/// and loads its four input vectors and six broadcast weights for 24 multiply-adds, where a 6 ×
/// 16 tile loaded eight values for 12: alone on a strip in the L1 cache with its weights
/// streaming from L2, 85 Gflop/s of a core's 100 against 75.
const WIDE_LANES: usize = 32;
/// Samples per tile row with AVX2 (or less): two vectors of four. A 4 × 16 tile there needs
/// sixteen accumulators, all of AVX2's registers, and spilled.
const NARROW_LANES: usize = 8;
/// Layers of at least this many rows go six rows a tile (twelve accumulators: the FMA latency
/// covered on two ports with registers to spare on AVX2); narrower ones four at a time, which
/// divides the common widths 4, 8 and 12 without a remainder.
const WIDE_TILE_FROM: usize = 16;

/// `out[j][s] = init[j] + Σ_k coef(k, j)·rows[k][s]` for the `J` output rows and the given
/// samples, `L` at a time, summed over k in order with fused multiply-adds; the coefficients are first packed
/// k-major on the stack, so the inner loop reads them without index arithmetic.
#[inline(always)]
fn tile<const J: usize, const L: usize>(
    coef: impl Fn(usize, usize) -> f64,
    init: [f64; J],
    rows: &[f64],
    k_count: usize,
    n: usize,
    samples: std::ops::Range<usize>,
    out: &mut [f64],
) {
    if samples.is_empty() {
        return;
    }
    let mut k0 = 0;
    loop {
        let kb = TILE_K.min(k_count - k0);
        let mut packed = [[0.0f64; J]; TILE_K];
        for (k, c) in packed[..kb].iter_mut().enumerate() {
            for (j, c) in c.iter_mut().enumerate() {
                *c = coef(k0 + k, j);
            }
        }
        let packed = &packed[..kb];
        let xs = &rows[k0 * n..(k0 + kb) * n];
        let rows_k = xs.chunks_exact(n.max(1));
        let resume = k0 > 0;
        let mut s = samples.start;
        while s + L <= samples.end {
            let mut acc = [[0.0f64; L]; J];
            for (j, acc) in acc.iter_mut().enumerate() {
                *acc = if resume { out[j * n + s..j * n + s + L].try_into().expect("lanes") } else { [init[j]; L] };
            }
            // Walked by `next` rather than zipped: a zip would divide by n for every chunk.
            let mut x_rows = rows_k.clone();
            for c in packed {
                let xrow = x_rows.next().expect("one input row per coefficient");
                let x: &[f64; L] = xrow[s..s + L].try_into().expect("lanes");
                for (acc, &c) in acc.iter_mut().zip(c) {
                    fma_broadcast(c, x, acc);
                }
            }
            for (j, acc) in acc.iter().enumerate() {
                out[j * n + s..j * n + s + L].copy_from_slice(acc);
            }
            s += L;
        }
        for s in s..samples.end {
            for j in 0..J {
                let mut acc = if resume { out[j * n + s] } else { init[j] };
                for (c, xrow) in packed.iter().zip(xs.chunks_exact(n)) {
                    acc = c[j].fma(xrow[s], acc);
                }
                out[j * n + s] = acc;
            }
        }
        k0 += kb;
        if k0 >= k_count {
            break;
        }
    }
}

/// The weight and bias gradients of a dense layer: `gw[u][i] = Σ_s dz[u][s]·input[i][s]` and
/// `gb[u] = Σ_s dz[u][s]`. Each sum is formed in exactly [`dot`]'s and [`sum`]'s order (lane k
/// of eight sums the samples ≡ k mod 8), so the result is the one a dot per weight would give;
/// but each `dz` row is loaded once for up to four inputs (eight, for two units at a time, with AVX-512) and the bias, and their sums run as
/// independent chains, where a dot per weight waits on one chain of additions at a time.
///
/// Four input rows at a time meet every unit's `dz` row in turn, so those four rows (8 KB for
/// a chunk of 256 samples) are read from the L1 cache by every unit; the other way round, each
/// unit streamed all the inputs (256 kB for 128 of them) from L2, and the kernel waited on it.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn linear_gradients(dz: &[f64], input: &[f64], fan_in: usize, units: usize, n: usize, gw: &mut [f64], gb: &mut [f64]) {
    let m = n / 8;
    let tail = m * 8..n;
    let row = |i: usize| &input[i * n..(i + 1) * n];
    let chunks = |v| chunks8(v, m);
    let dz_row = |u: usize| {
        let d = &dz[u * n..(u + 1) * n];
        (d, chunks(d), &d[tail.clone()])
    };
    // The bias gradient, summed beside input 0's products: `plain` holds its lanes.
    let bias = |plain: &[f64; 8], dt: &[f64]| reduce8(plain) + dt.iter().fold(0.0, |t, v| t + v);
    // With AVX-512 an 8-lane sum is one register, so one unit's four sums are four chains of
    // multiply-adds that each wait on the last: two units at a time make eight, enough to keep
    // both FMA ports busy. (With AVX2 one unit's sums are already eight registers; two units'
    // sixteen would not fit.) The sums and their order are the same either way.
    let pairs = if avx512!() { units / 2 } else { 0 };
    // Unit u's weights for the inputs from i on (one per sum in `acc`), and at i = 0 its bias.
    // `sums`: the reduced lanes ([`reduce8`]) of unit u's sums for the inputs from i on.
    let mut store = |u: usize, i: usize, sums: &[f64], plain: &[f64; 8], dt: &[f64], xt: &[&[f64]]| {
        for (j, s) in sums.iter().enumerate() {
            gw[u * fan_in + i + j] = s + tail_dot(dt, xt[j]);
        }
        if i == 0 {
            gb[u] = bias(plain, dt);
        }
    };
    let mut i = 0;
    // With AVX-512, eight inputs at a time where there are: each `dz` chunk, read from L2,
    // then feeds eight multiply-adds instead of four.
    while pairs > 0 && i + 8 <= fan_in {
        let r: [&[f64]; 8] = std::array::from_fn(|j| row(i + j));
        let x = r.map(|r| chunks(r));
        let xt = r.map(|r| &r[tail.clone()]);
        for u in (0..pairs).map(|p| 2 * p) {
            let rows = [dz_row(u), dz_row(u + 1)];
            let sums = paired_eight(rows[0].1, rows[1].1, x, i == 0);
            for (k, ((_, _, dt), (sums, plain))) in rows.into_iter().zip(sums).enumerate() {
                store(u + k, i, &sums, &plain, dt, &xt);
            }
        }
        for u in 2 * pairs..units {
            let (_, dc, dt) = dz_row(u);
            for q in [0, 4] {
                let (acc, plain) = one_unit_four_inputs(dc, [x[q], x[q + 1], x[q + 2], x[q + 3]], i + q == 0);
                store(u, i + q, &reduce_each(&acc), &plain, dt, &xt[q..]);
            }
        }
        i += 8;
    }
    while i + 4 <= fan_in {
        let r = [row(i), row(i + 1), row(i + 2), row(i + 3)];
        let x = r.map(|r| chunks(r));
        let xt = r.map(|r| &r[tail.clone()]);
        for u in (0..pairs).map(|p| 2 * p) {
            let (d0, d1) = (dz_row(u), dz_row(u + 1));
            let sums = two_units_four_inputs(d0.1, d1.1, x, i == 0);
            for (k, ((_, _, dt), (acc, plain))) in [d0, d1].into_iter().zip(sums).enumerate() {
                store(u + k, i, &reduce_each(&acc), &plain, dt, &xt);
            }
        }
        for u in 2 * pairs..units {
            let (_, dc, dt) = dz_row(u);
            let (acc, plain) = one_unit_four_inputs(dc, x, i == 0);
            store(u, i, &reduce_each(&acc), &plain, dt, &xt);
        }
        i += 4;
    }
    for i in i..fan_in {
        let r = row(i);
        for u in 0..units {
            let (_, dc, dt) = dz_row(u);
            let mut plain = [0.0f64; 8];
            let mut acc = [0.0f64; 8];
            if i == 0 {
                for (d, x) in dc.iter().zip(chunks(r)) {
                    fma_each(d, x, &mut acc);
                    add_lanes(&mut plain, d);
                }
                gb[u] = bias(&plain, dt);
            } else {
                for (d, x) in dc.iter().zip(chunks(r)) {
                    fma_each(d, x, &mut acc);
                }
            }
            gw[u * fan_in + i] = finish_dot(&acc, dt, &r[tail.clone()]);
        }
    }
    if fan_in == 0 {
        for (u, gb) in gb.iter_mut().enumerate().take(units) {
            *gb = sum(dz_row(u).0);
        }
    }
}

/// The lanes of [`linear_gradients`]'s sums for one unit's `dz` row `d` against four input
/// rows `x` (whole chunks of eight), and, when `with_bias`, the lanes of the plain sum of `d`
/// for its bias. Every lane sums its samples in order with fused multiply-adds, as [`dot`] does.
#[inline(always)]
fn one_unit_four_inputs(d: &[[f64; 8]], x: [&[[f64; 8]]; 4], with_bias: bool) -> ([[f64; 8]; 4], [f64; 8]) {
    let (mut acc, mut plain) = ([[0.0f64; 8]; 4], [0.0f64; 8]);
    let [a0, a1, a2, a3] = &mut acc;
    let [x0, x1, x2, x3] = x;
    let rows = x0.iter().zip(x1).zip(x2).zip(x3).zip(d);
    if with_bias {
        for ((((x0, x1), x2), x3), d) in rows {
            fma_each(d, x0, a0);
            fma_each(d, x1, a1);
            fma_each(d, x2, a2);
            fma_each(d, x3, a3);
            add_lanes(&mut plain, d);
        }
    } else {
        for ((((x0, x1), x2), x3), d) in rows {
            fma_each(d, x0, a0);
            fma_each(d, x1, a1);
            fma_each(d, x2, a2);
            fma_each(d, x3, a3);
        }
    }
    (acc, plain)
}

/// [`one_unit_four_inputs`] for two units' rows `d` and `e` in one pass: the same sums in the
/// same order, with eight independent chains instead of four. Written out rather than generic
/// over the unit count: the generic form, indexing arrays of rows, ran at half the speed. The
/// loop is written twice, with and without the bias lanes: one loop testing `with_bias` inside
/// (here and in [`one_unit_four_inputs`]) made 200 steps of 2-128-128-1 4–9 % slower.
#[inline(always)]
fn two_units_four_inputs(d: &[[f64; 8]], e: &[[f64; 8]], x: [&[[f64; 8]]; 4], with_bias: bool) -> [([[f64; 8]; 4], [f64; 8]); 2] {
    let (mut acc_d, mut plain_d) = ([[0.0f64; 8]; 4], [0.0f64; 8]);
    let (mut acc_e, mut plain_e) = ([[0.0f64; 8]; 4], [0.0f64; 8]);
    let [a0, a1, a2, a3] = &mut acc_d;
    let [b0, b1, b2, b3] = &mut acc_e;
    let [x0, x1, x2, x3] = x;
    let rows = x0.iter().zip(x1).zip(x2).zip(x3).zip(d).zip(e);
    if with_bias {
        for (((((x0, x1), x2), x3), d), e) in rows {
            fma_each(d, x0, a0);
            fma_each(d, x1, a1);
            fma_each(d, x2, a2);
            fma_each(d, x3, a3);
            fma_each(e, x0, b0);
            fma_each(e, x1, b1);
            fma_each(e, x2, b2);
            fma_each(e, x3, b3);
            add_lanes(&mut plain_d, d);
            add_lanes(&mut plain_e, e);
        }
    } else {
        for (((((x0, x1), x2), x3), d), e) in rows {
            fma_each(d, x0, a0);
            fma_each(d, x1, a1);
            fma_each(d, x2, a2);
            fma_each(d, x3, a3);
            fma_each(e, x0, b0);
            fma_each(e, x1, b1);
            fma_each(e, x2, b2);
            fma_each(e, x3, b3);
        }
    }
    [(acc_d, plain_d), (acc_e, plain_e)]
}

/// [`two_units_eight_inputs`] as a function of its own, not inlined: inlined into
/// [`linear_gradients`]'s loops, the ten rows' pointers found too few registers left and were
/// reloaded from the stack at every chunk.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma"))]
fn paired_eight(d: &[[f64; 8]], e: &[[f64; 8]], x: [&[[f64; 8]]; 8], with_bias: bool) -> [([f64; 8], [f64; 8]); 2] {
    // The sums pass through `black_box` so that LLVM does not fold the reduction's shuffles
    // into the loop (it did, and permuted the sixteen sums at every chunk). No `array::map`
    // here or in `reduce8x8`: its closure was compiled apart, without AVX-512.
    let [(acc_d, plain_d), (acc_e, plain_e)] = std::hint::black_box(two_units_eight_inputs(d, e, x, with_bias));
    [(reduce8x8(&acc_d), plain_d), (reduce8x8(&acc_e), plain_e)]
}

/// [`reduce8`] of eight sums' lanes at once: the same additions in the same order, each step
/// done for all eight on whole registers instead of lane by lane through the stack. Each
/// rearrangement below is at most one AVX-512 shuffle (of 256-bit halves, of 128-bit quarters,
/// then of neighbours): twenty for sixteen sums as compiled, some halves coming straight from
/// memory. In 200 steps of 2-64-64-1 and 2-128-128-1 on 5000 points, one thread, 1–3 % faster
/// than reducing lane by lane (medians of 7).
#[inline(always)]
fn reduce8x8(a: &[[f64; 8]; 8]) -> [f64; 8] {
    let add = |x: [f64; 8], y: [f64; 8]| -> [f64; 8] {
        let mut s = [0.0f64; 8];
        for k in 0..8 {
            s[k] = x[k] + y[k];
        }
        s
    };
    // l_k = a_k + a_{k+4} of sums 2p and 2p + 1 side by side.
    let mut l = [[0.0f64; 8]; 4];
    for (p, l) in l.iter_mut().enumerate() {
        let (u, v) = (&a[2 * p], &a[2 * p + 1]);
        *l = add([u[0], u[1], u[2], u[3], v[0], v[1], v[2], v[3]], [u[4], u[5], u[6], u[7], v[4], v[5], v[6], v[7]]);
    }
    // Each stage's results pass through `black_box`: without, LLVM merged the stages'
    // shuffles into eighty permutations for sixteen sums.
    let l = std::hint::black_box(l);
    // (l₀ + l₂, l₁ + l₃) of sums 4q, 4q + 1, 4q + 2, 4q + 3 in turn.
    let mut m = [[0.0f64; 8]; 2];
    for (q, m) in m.iter_mut().enumerate() {
        let (u, v) = (&l[2 * q], &l[2 * q + 1]);
        *m = add([u[0], u[1], u[4], u[5], v[0], v[1], v[4], v[5]], [u[2], u[3], u[6], u[7], v[2], v[3], v[6], v[7]]);
    }
    let m = std::hint::black_box(m);
    // (l₀ + l₂) + (l₁ + l₃): sums 0, 4, 1, 5, 2, 6, 3, 7.
    let (u, v) = (&m[0], &m[1]);
    let r = add([u[0], v[0], u[2], v[2], u[4], v[4], u[6], v[6]], [u[1], v[1], u[3], v[3], u[5], v[5], u[7], v[7]]);
    [r[0], r[2], r[4], r[6], r[1], r[3], r[5], r[7]]
}

/// [`two_units_four_inputs`] for eight inputs: sixteen chains, and each chunk of `d` and `e`
/// loaded once for eight of them.
#[inline(always)]
fn two_units_eight_inputs(d: &[[f64; 8]], e: &[[f64; 8]], x: [&[[f64; 8]]; 8], with_bias: bool) -> [([[f64; 8]; 8], [f64; 8]); 2] {
    let (mut acc_d, mut plain_d) = ([[0.0f64; 8]; 8], [0.0f64; 8]);
    let (mut acc_e, mut plain_e) = ([[0.0f64; 8]; 8], [0.0f64; 8]);
    let [a0, a1, a2, a3, a4, a5, a6, a7] = &mut acc_d;
    let [b0, b1, b2, b3, b4, b5, b6, b7] = &mut acc_e;
    let [x0, x1, x2, x3, x4, x5, x6, x7] = x;
    let rows = x0.iter().zip(x1).zip(x2).zip(x3).zip(x4).zip(x5).zip(x6).zip(x7).zip(d).zip(e);
    for (((((((((x0, x1), x2), x3), x4), x5), x6), x7), d), e) in rows {
        fma_each(d, x0, a0);
        fma_each(d, x1, a1);
        fma_each(d, x2, a2);
        fma_each(d, x3, a3);
        fma_each(d, x4, a4);
        fma_each(d, x5, a5);
        fma_each(d, x6, a6);
        fma_each(d, x7, a7);
        fma_each(e, x0, b0);
        fma_each(e, x1, b1);
        fma_each(e, x2, b2);
        fma_each(e, x3, b3);
        fma_each(e, x4, b4);
        fma_each(e, x5, b5);
        fma_each(e, x6, b6);
        fma_each(e, x7, b7);
        if with_bias {
            add_lanes(&mut plain_d, d);
            add_lanes(&mut plain_e, e);
        }
    }
    [(acc_d, plain_d), (acc_e, plain_e)]
}

/// The first `m` whole chunks of eight of `v`.
#[inline(always)]
fn chunks8(v: &[f64], m: usize) -> &[[f64; 8]] {
    &v.as_chunks::<8>().0[..m]
}

/// `acc[l] += d[l]`.
#[inline(always)]
fn add_lanes(acc: &mut [f64; 8], d: &[f64; 8]) {
    for l in 0..8 {
        acc[l] += d[l];
    }
}

/// Eight lanes to one number in [`dot`]'s order.
#[inline(always)]
fn reduce8(a: &[f64; 8]) -> f64 {
    reduce([a[0], a[1], a[2], a[3]], [a[4], a[5], a[6], a[7]])
}

/// [`reduce8`] of each of `N` sums' lanes. A plain loop, not `array::map`: in a multiversioned
/// function its closure is compiled apart, without the function's SIMD features.
#[inline(always)]
fn reduce_each<const N: usize>(acc: &[[f64; 8]; N]) -> [f64; N] {
    let mut sums = [0.0; N];
    for (s, a) in sums.iter_mut().zip(acc) {
        *s = reduce8(a);
    }
    sums
}

/// A dot's lanes plus its scalar tail, as [`dot`] ends.
#[inline(always)]
fn finish_dot(acc: &[f64; 8], d_tail: &[f64], x_tail: &[f64]) -> f64 {
    reduce8(acc) + tail_dot(d_tail, x_tail)
}

/// The scalar tail of a dot (the samples after its whole chunks of eight), as [`dot`] sums it.
#[inline(always)]
fn tail_dot(d_tail: &[f64], x_tail: &[f64]) -> f64 {
    d_tail.iter().zip(x_tail).fold(0.0, |t, (a, b)| a.fma(*b, t))
}

/// tanh in place.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn tanh_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "wasm32")]
    return super::activation_pairs::tanh_in_place(v);
    #[cfg(not(target_arch = "wasm32"))]
    for x in v.iter_mut() {
        *x = tanh(*x);
    }
}

/// `y = tanh(z)`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn tanh_into(z: &[f64], y: &mut [f64]) {
    #[cfg(target_arch = "wasm32")]
    return super::activation_pairs::tanh_into(z, y);
    #[cfg(not(target_arch = "wasm32"))]
    for (y, &z) in y.iter_mut().zip(z) {
        *y = tanh(z);
    }
}

/// `y = σ(z)`.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn sigmoid_into(z: &[f64], y: &mut [f64]) {
    #[cfg(target_arch = "wasm32")]
    return super::activation_pairs::sigmoid_into(z, y);
    #[cfg(not(target_arch = "wasm32"))]
    for (y, &z) in y.iter_mut().zip(z) {
        *y = sigmoid(z);
    }
}

/// The logistic function in place.
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn sigmoid_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "wasm32")]
    return super::activation_pairs::sigmoid_in_place(v);
    #[cfg(not(target_arch = "wasm32"))]
    for x in v.iter_mut() {
        *x = sigmoid(*x);
    }
}

/// `g *= 1 − y²` (tanh's derivative from its output).
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn mul_tanh_derivative(y: &[f64], g: &mut [f64]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= (-y).fma(y, 1.0);
    }
}

/// `g *= y(1 − y)` (the sigmoid's derivative from its output).
#[multiversion(targets("x86_64+avx512f+avx512dq+avx2+fma", "x86_64+avx2+fma"))]
pub fn mul_sigmoid_derivative(y: &[f64], g: &mut [f64]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g *= y * (1.0 - y);
    }
}

/// ln 2 split so that n·LN2_HI is exact for the n an f64 exponent can take (Cody–Waite).
pub(crate) const LN2_HI: f64 = 0.693_147_180_369_123_8;
pub(crate) const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
pub(crate) const LOG2E: f64 = std::f64::consts::LOG2_E;
/// 1.5·2⁵²: adding it rounds to an integer held in the low mantissa bits.
pub(crate) const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// $e^x$ to within about 1 ulp, branch-free: $x = n\ln 2 + r$ with $|r| \le \ln 2 / 2$
/// (Cody–Waite), $e^r$ by its Taylor polynomial of degree 12 (truncation below 2.5e-16
/// relative), times $2^n$ built in the exponent bits. Below −708 it returns 0 (the subnormal
/// range is flushed), above 709.78 infinity.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    let input = x;
    let x = x.clamp(-708.0, 709.0);
    let t = x.fma(LOG2E, SHIFTER);
    let n = t - SHIFTER;
    let r = (-n).fma(LN2_HI, x);
    let r = (-n).fma(LN2_LO, r);
    let mut p = EXP_TAYLOR[12];
    for c in EXP_TAYLOR[..12].iter().rev() {
        p = p.fma(r, *c);
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

/// $e^r$'s Taylor polynomial of degree 12 ([`exp`]).
pub(crate) const EXP_TAYLOR: [f64; 13] = [
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

/// $(e^r - 1)/r = \sum_{k \ge 0} c_k r^k$ on |r| ≤ ln2/2, Chebyshev-interpolated at degree 10
/// (relative error 2.4e-17 before rounding): two terms fewer than Taylor's for the same error.
pub(crate) const EXPM1: [f64; 11] = [
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
/// so small |x| keep full relative precision and $2^n - 1$ is exact (no cancellation). NaN
/// propagates; callers clamp the range.
#[inline(always)]
pub fn expm1(x: f64) -> f64 {
    let t = x.fma(LOG2E, SHIFTER);
    let n = t - SHIFTER;
    let r = (-n).fma(LN2_LO, (-n).fma(LN2_HI, x));
    let mut p = EXPM1[10];
    for &c in EXPM1[..10].iter().rev() {
        p = p.fma(r, c);
    }
    p *= r;
    // 2^n from the integer in t's low bits: (n + 1023) << 52.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    scale.fma(p, scale - 1.0)
}

/// tanh within 5e-16 relative (tested), branch-free so it vectorises:
/// $\tanh|x| = u/(u + 2)$ with $u = e^{2|x|} - 1$ ([`expm1`]), whose error the quotient damps
/// rather than amplifies; |x| clamped to 20 (tanh is 1 in f64 beyond), sign restored, NaN
/// kept. One polynomial and one division per element: the vector loop is bound by its count
/// of operations, so none is spent on a second branch. The landscape's grid uses it too.
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs();
    // The comparison (not `min`) lets a NaN through.
    let u = expm1(2.0 * if a > 20.0 { 20.0 } else { a });
    (u / (u + 2.0)).copysign(x)
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
        // Shapes that cover the 6- and 4-row tiles, single rows of four tile widths (and their
        // passes of TILE_K), short last strips, more strips than one copy (STRIPS), wide
        // inputs to fewer rows than a tile (no strips: 64 → 1 forward, 64 → 2 backward) and no
        // inputs at all.
        let (mut reused, mut transposed) = (Packed::default(), Packed::default());
        for (n, fan_in, units) in [
            (1, 3, 2),
            (7, 3, 2),
            (8, 5, 9),
            (9, 40, 6),
            (16, 8, 8),
            (23, 9, 37),
            (17, 70, 4),
            (35, 8, 5),
            (70, 64, 64),
            (133, 17, 1),
            (301, 130, 22),
            (50, 64, 1),
            (37, 2, 64),
            (5, 0, 7),
            (4, 7, 0),
        ] {
            let input: Vec<f64> = (0..fan_in * n).map(|k| ((k * 37 % 11) as f64 - 5.0) * 0.3).collect();
            let w: Vec<f64> = (0..fan_in * units).map(|k| ((k * 29 % 13) as f64 - 6.0) * 0.21).collect();
            let b: Vec<f64> = (0..units).map(|u| u as f64 * 0.1 - 0.3).collect();
            let mut out = vec![0.0; units * n];
            linear(&w, &b, &input, fan_in, units, n, &mut out);
            let mut da = vec![0.0; fan_in * n];
            linear_transposed(&w, &out, fan_in, n, &mut da);
            // Both tile widths, whichever this CPU runs: the same bits, also with packs reused
            // from the shape before (as the grid's threads reuse theirs).
            for lanes in [NARROW_LANES, WIDE_LANES] {
                let (mut o, mut d) = (vec![0.0; units * n], vec![0.0; fan_in * n]);
                reused.weights(&w, fan_in, units);
                transposed.pack(|k, i| w[k * fan_in + i], units, fan_in);
                if lanes == WIDE_LANES {
                    dense::<WIDE_LANES>(&mut reused, |u| b[u], &input, n, &mut o);
                    dense::<WIDE_LANES>(&mut transposed, |_| 0.0, &out, n, &mut d);
                } else {
                    dense::<NARROW_LANES>(&mut reused, |u| b[u], &input, n, &mut o);
                    dense::<NARROW_LANES>(&mut transposed, |_| 0.0, &out, n, &mut d);
                }
                assert_eq!((&o, &d), (&out, &da), "{lanes} lanes: n {n} fan_in {fan_in} units {units}");
            }
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
    fn eight_sums_reduced_together_are_reduced_as_one_at_a_time() {
        // Magnitudes spread over 40 binades, so that another order of additions would round
        // differently.
        let lanes: [[f64; 8]; 8] = std::array::from_fn(|j| {
            std::array::from_fn(|k| ((j * 8 + k) as f64 * 0.7).sin() * 2f64.powi((j * 8 + k) as i32 * 37 % 41 - 20))
        });
        let together = reduce8x8(&lanes);
        for (j, a) in lanes.iter().enumerate() {
            assert_eq!(together[j].to_bits(), reduce8(a).to_bits(), "sum {j}");
        }
    }

    #[test]
    fn blocked_gradients_equal_a_dot_per_weight() {
        for n in [1, 7, 8, 9, 15, 16, 17, 23, 33, 64] {
            for (fan_in, units) in [(1, 2), (3, 1), (4, 2), (5, 3), (8, 2), (9, 1), (13, 2), (17, 1), (12, 5), (17, 3), (24, 4)] {
                let input: Vec<f64> = (0..fan_in * n).map(|k| ((k * 37 % 11) as f64 - 5.0) * 0.31).collect();
                let dz: Vec<f64> = (0..units * n).map(|k| ((k * 13 % 7) as f64 - 3.0) * 0.17).collect();
                let (mut gw, mut gb) = (vec![0.0; fan_in * units], vec![0.0; units]);
                linear_gradients(&dz, &input, fan_in, units, n, &mut gw, &mut gb);
                for u in 0..units {
                    let d = &dz[u * n..(u + 1) * n];
                    assert_eq!(gb[u].to_bits(), sum(d).to_bits());
                    for i in 0..fan_in {
                        let want = dot(d, &input[i * n..(i + 1) * n]);
                        assert_eq!(gw[u * fan_in + i].to_bits(), want.to_bits(), "n {n} fan_in {fan_in} u {u} i {i}");
                    }
                }
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
