//! The machine's peak rate of f64 fused multiply-adds, the yardstick of
//! `scripts/bench_width_sweep.py` (issue: wide networks at the machine's peak).
//!
//! Each thread runs independent chains of `acc = acc·x + y` on whole vector registers — enough
//! chains in flight to cover the FMA latency on two ports, few enough to stay in registers — on
//! the widest vector unit the CPU has (AVX-512 or AVX2+FMA, detected at run time), counts two
//! flops per lane per multiply-add, and prints the best of three repeats (with AVX-512, of 12
//! chains and of 8: a compiler that keeps some chains on the stack halves the rate it reads):
//!
//! ```text
//! cargo run --release --no-default-features --example fma_peak -- [--threads N] [--seconds S]
//! ```
//!
//! The last line is for scripts: `peak_gflops <threads> <Gflop/s>`.
//!
//! Written with the vector intrinsics rather than loops for the compiler to vectorise: a
//! measurement must not depend on the optimiser's mood, and plain arrays of accumulators came
//! out of it kept on the stack (4.5 instead of 19 Gflop/s a core here).

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Multiply-adds per lane per call.
const ITERS: usize = 1 << 16;

/// One call's result (summed so the work cannot be dropped) and its flops.
type Kernel = fn(f64, f64) -> (f64, f64);

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::*;

    /// `ITERS` rounds on the named accumulators, then the sum of every lane.
    macro_rules! rounds {
        ($zero:expr, $fma:ident, $store:expr, $x:expr, $y:expr; $($a:ident)+) => {{
            let mut k = 0.0;
            $(let mut $a = { k += 1.0; $fma($zero, $zero, $store(std::hint::black_box(k) * 1e-3)) };)+
            for _ in 0..super::ITERS {
                $($a = $fma($a, $x, $y);)+
            }
            let mut total = 0.0;
            $(total += lanes_sum($a);)+
            total
        }};
    }

    /// 12 chains of four lanes: 12 of the 16 ymm registers, two for x and y.
    #[target_feature(enable = "avx2,fma")]
    fn avx2(x: f64, y: f64) -> f64 {
        fn lanes_sum(v: __m256d) -> f64 {
            let mut out = [0.0; 4];
            // SAFETY: `out` has room for four f64s; unaligned stores are allowed.
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), v) };
            out.iter().sum()
        }
        let (vx, vy) = (_mm256_set1_pd(x), _mm256_set1_pd(y));
        rounds!(_mm256_setzero_pd(), _mm256_fmadd_pd, _mm256_set1_pd, vx, vy; a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11)
    }

    /// 12 chains of eight lanes, as for AVX2, or with `eight` 8 chains, exactly the two FMA
    /// ports' four cycles of latency; both are measured and the faster kept. (With 24 chains
    /// LLVM kept ten of them on the stack, with 16 two, and each of those waited on a store and
    /// a load at every round: the peak read 45 Gflop/s a core here instead of 100, and every
    /// fraction of it twice too high. Two counts guard against that coming back unseen.)
    #[target_feature(enable = "avx512f")]
    fn avx512(x: f64, y: f64, eight: bool) -> f64 {
        fn lanes_sum(v: __m512d) -> f64 {
            let mut out = [0.0; 8];
            // SAFETY: `out` has room for eight f64s; unaligned stores are allowed.
            unsafe { _mm512_storeu_pd(out.as_mut_ptr(), v) };
            out.iter().sum()
        }
        let (vx, vy) = (_mm512_set1_pd(x), _mm512_set1_pd(y));
        if eight {
            rounds!(_mm512_setzero_pd(), _mm512_fmadd_pd, _mm512_set1_pd, vx, vy; a0 a1 a2 a3 a4 a5 a6 a7)
        } else {
            rounds!(_mm512_setzero_pd(), _mm512_fmadd_pd, _mm512_set1_pd, vx, vy;
                a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11)
        }
    }

    /// The kernels of the widest vector unit this CPU has, and its name.
    pub(super) fn kernels() -> Option<(Vec<super::Kernel>, &'static str)> {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F was just detected.
            let twelve: super::Kernel = |x, y| (unsafe { avx512(x, y, false) }, (2 * super::ITERS * 12 * 8) as f64);
            // SAFETY: as above.
            let eight: super::Kernel = |x, y| (unsafe { avx512(x, y, true) }, (2 * super::ITERS * 8 * 8) as f64);
            return Some((vec![twelve, eight], "AVX-512"));
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA were just detected.
            return Some((vec![|x, y| (unsafe { avx2(x, y) }, (2 * super::ITERS * 12 * 4) as f64)], "AVX2+FMA"));
        }
        None
    }
}

/// Scalar chains, for a CPU without a vector FMA unit.
fn scalar(x: f64, y: f64) -> (f64, f64) {
    let mut acc: [f64; 8] = std::array::from_fn(|k| black_box(k as f64) * 1e-3);
    for _ in 0..ITERS {
        for a in acc.iter_mut() {
            *a = a.mul_add(x, y);
        }
    }
    (acc.iter().sum(), (2 * ITERS * 8) as f64)
}

fn kernels() -> (Vec<Kernel>, &'static str) {
    #[cfg(target_arch = "x86_64")]
    if let Some(k) = x86::kernels() {
        return k;
    }
    (vec![scalar], "scalar")
}

/// Gflop/s of `threads` threads each running `run` for about `seconds`.
fn measure(run: Kernel, threads: usize, seconds: f64) -> f64 {
    let start = Instant::now();
    let budget = Duration::from_secs_f64(seconds);
    let flops: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let (mut flops, mut sink) = (0.0, 0.0);
                    while start.elapsed() < budget {
                        let (v, f) = run(black_box(0.999_999), black_box(1e-6));
                        sink += v;
                        flops += f;
                    }
                    black_box(sink);
                    flops
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a measuring thread panicked")).sum()
    });
    flops / start.elapsed().as_secs_f64() / 1e9
}

fn main() {
    let mut threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut seconds = 0.5;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().and_then(|v| v.parse::<f64>().ok());
        match (a.as_str(), value) {
            ("--threads", Some(v)) if (1.0..=1024.0).contains(&v) && v.fract() == 0.0 => threads = v as usize,
            ("--seconds", Some(v)) if v > 0.0 && v <= 60.0 => seconds = v,
            _ => {
                eprintln!("fma_peak: usage: fma_peak [--threads N] [--seconds S]");
                std::process::exit(2);
            }
        }
    }
    let (runs, isa) = kernels();
    let best = runs.iter().flat_map(|&run| (0..3).map(move |_| measure(run, threads, seconds))).fold(0.0, f64::max);
    println!("f64 FMA peak on {threads} thread(s), {isa}: {best:.1} Gflop/s ({:.1} per thread)", best / threads as f64);
    println!("peak_gflops {threads} {best:.3}");
}
