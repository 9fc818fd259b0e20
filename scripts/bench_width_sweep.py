#!/usr/bin/env python3
"""Wide networks: losscape against PyTorch CPU float64 over a sweep of widths, at one thread count.

Workload per size: a 2-W-W-1 MLP (tanh hidden, linear output), MSE, a seeded two-arm spiral of
P points (the reference workload's data, scripts/reference_workload.py), initial weights
N(0, 1/fan_in). For W in 8 16 32 64 128 and P in 500 5000 the script, in one run:

  grid   `losscape surface SCENE --res 64 --span 1 --directions random --seed 0 --out grid.json`
         (the grid time losscape reports: plane and grid, no process start or file writing),
         against PyTorch evaluating the same 64x64 vertices (the plane read back from grid.json):
         stacked weights per chunk of vertices, `torch.baddbmm` per layer and `torch.tanh` in
         place -- batched, the fast way to write it in PyTorch;
  train  `losscape train SCENE --steps 200 --out traj.csv` (whole process), against PyTorch eager
         doing the same 200 steps of SGD (lr 0.01, momentum 0.9) recording loss, gradient norm and
         parameters every step and writing the same CSV (bench_train_vs_torch.run_torch);
  peak   the machine's f64 FMA peak at the same thread count, measured by the `fma_peak` example
         (examples/fma_peak.rs) before and after the sweep (the higher kept), and each losscape
         figure as a fraction of it. Flops are the
         matrix products' multiply-adds: 2*fan_in*units per sample and layer forward, three
         times that for a training step (forward, input gradient, weight gradient; the first
         layer has no input gradient).

Both sides get the same threads: RAYON_NUM_THREADS for losscape, torch.set_num_threads for
PyTorch (--threads, default: all cores). Each figure is the best of --repeat runs. The grids are
compared value for value (max relative difference) as a check that both computed the same thing.

Run by hand on an idle machine (needs torch and numpy):

    cargo build --release --no-default-features --bin losscape --example fma_peak
    python3 scripts/bench_width_sweep.py [--threads 2] [--widths 8 16 32 64 128]
        [--points 500 5000] [--res 64] [--steps 200] [--repeat 3] [--bin PATH] [--peak PATH]

It prints one line per size and a Markdown table for the README at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import reference_workload
from reference_workload import INPUTS, ROOT, forward_flops, spiral
from bench_train_vs_torch import run_torch

LR, MOMENTUM = 0.01, 0.9


def layers_of(width):
    return [(width, "tanh"), (width, "tanh"), (1, "linear")]


def init(layers, seed=7):
    """N(0, 1/fan_in) weights and zero biases, in losscape's (PyTorch's) parameter order."""
    rng = np.random.default_rng(seed)
    parts, fan = [], INPUTS
    for units, _ in layers:
        parts.append(rng.normal(size=units * fan) / np.sqrt(fan))
        parts.append(np.zeros(units))
        fan = units
    return np.concatenate(parts)


def train_flops(layers, points, steps):
    total, fan = 0, INPUTS
    for k, (units, _) in enumerate(layers):
        total += 2 * fan * units * (2 if k == 0 else 3)
        fan = units
    return total * points * steps


def torch_grid(torch, x, y, layers, center, d1, d2, a_axis, b_axis):
    """loss[j, i] at center + a_i d1 + b_j d2 with batched matrix products over vertices."""
    dt = torch.float64
    xt = torch.tensor(x.T, dtype=dt)  # (2, n)
    yt = torch.tensor(y.T, dtype=dt)  # (1, n)
    c, e1, e2 = (torch.tensor(v, dtype=dt) for v in (center, d1, d2))
    a = torch.tensor(a_axis, dtype=dt)
    n = x.shape[0]
    widest = max(u for u, _ in layers)
    chunk = max(1, min(len(a_axis), (128 << 20) // (8 * widest * n)))  # ~128 MB per activation
    loss = np.empty((len(b_axis), len(a_axis)))
    with torch.no_grad():
        for j, b in enumerate(b_axis):
            for i0 in range(0, len(a_axis), chunk):
                ai = a[i0:i0 + chunk]
                thetas = c[None, :] + ai[:, None] * e1[None, :] + float(b) * e2[None, :]  # (V, P)
                h, k, fan = xt.expand(len(ai), -1, -1), 0, INPUTS
                for units, act in layers:
                    w = thetas[:, k:k + units * fan].reshape(-1, units, fan)
                    k += units * fan
                    bias = thetas[:, k:k + units]
                    k += units
                    h = torch.baddbmm(bias[:, :, None], w, h)  # (V, units, n)
                    if act == "tanh":
                        torch.tanh_(h)
                    fan = units
                loss[j, i0:i0 + len(ai)] = ((h - yt[None]) ** 2).mean(dim=(1, 2)).numpy()
    return loss


def run(cmd, env):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"error: `{' '.join(map(str, cmd))}` exited {proc.returncode}:\n{proc.stderr.strip()}")
    return wall, proc.stdout


def peak_gflops(binary, threads):
    out = subprocess.run([str(binary), "--threads", str(threads)], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^peak_gflops \d+ ([0-9.]+)$", out, re.M)
    if not m:
        sys.exit(f"error: {binary} printed no peak_gflops line:\n{out}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both sides (default: all cores)")
    ap.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    ap.add_argument("--points", type=int, nargs="+", default=[500, 5000])
    ap.add_argument("--res", type=int, default=64, help="grid vertices per side (default 64)")
    ap.add_argument("--steps", type=int, default=200, help="training steps (default 200)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs of each (default 3)")
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "losscape")
    ap.add_argument("--peak", type=Path, default=ROOT / "target" / "release" / "examples" / "fma_peak")
    args = ap.parse_args()
    for b in (args.bin, args.peak):
        if not (b.is_file() and os.access(b, os.X_OK)):
            sys.exit(f"error: {b} not found; build it with `cargo build --release --no-default-features "
                     f"--bin losscape --example fma_peak` or pass --bin/--peak")
    try:
        import torch
    except ImportError:
        sys.exit("error: torch is not installed in this Python (pip install torch)")
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}; other processes are using the CPU, so the timings "
              f"are not representative", file=sys.stderr)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    # Measured before and after the sweep, the higher kept: a process still winding down when the
    # script starts (or a busy machine) would otherwise set a low yardstick and flatter losscape.
    peak = peak_gflops(args.peak, args.threads)
    print(f"f64 FMA peak on {args.threads} threads: {peak:.1f} Gflop/s; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; grid {args.res}x{args.res}, {args.steps} training steps")

    rows = []
    work = Path(tempfile.mkdtemp(prefix="losscape-width-sweep-"))
    try:
        for points in args.points:
            x, y = spiral(points)
            for width in args.widths:
                layers = layers_of(width)
                theta = init(layers)
                runs = [{"optimizer": {"sgd": {"lr": LR, "momentum": MOMENTUM}}}]
                name = f"sweep 2-{width}-{width}-1 tanh, {points} points"
                scene = reference_workload.scene(name, x, y, theta, runs, args.steps, layers)
                scene_path = work / "scene.json"
                scene_path.write_text(json.dumps(scene))
                grid_path, traj_path, torch_csv = work / "grid.json", work / "traj.csv", work / "torch.csv"

                grid_cmd = [args.bin, "surface", scene_path, "--res", str(args.res), "--span", "1",
                            "--directions", "random", "--seed", "0", "--out", grid_path]
                inner = []
                for _ in range(args.repeat):
                    _, out = run(grid_cmd, env)
                    m = re.search(r"([0-9.]+) s the grid\)", out)
                    if not m:
                        sys.exit(f"error: losscape surface printed no grid time:\n{out}")
                    inner.append(float(m.group(1)))
                t_grid = min(inner)
                doc = json.loads(grid_path.read_text())
                center, d1, d2 = (np.array(doc[k], dtype=float) for k in ("center", "d1", "d2"))
                a_axis = np.array(doc["a"], dtype=float) - doc["origin"][0]
                b_axis = np.array(doc["b"], dtype=float) - doc["origin"][1]
                ours = np.array([[np.nan if v is None else v for v in r] for r in doc["loss"]], dtype=float)
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    theirs = torch_grid(torch, x, y, layers, center, d1, d2, a_axis, b_axis)
                    times.append(time.perf_counter() - t0)
                t_tgrid = min(times)
                rel = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)))

                train_cmd = [args.bin, "train", scene_path, "--steps", str(args.steps), "--out", traj_path]
                t_train = min(run(train_cmd, env)[0] for _ in range(args.repeat))
                t_ttrain = min(run_torch(x, y, theta, args.steps, LR, MOMENTUM, torch_csv, args.threads, layers)
                               for _ in range(args.repeat))

                g_flops = args.res * args.res * points * forward_flops(layers)
                t_flops = train_flops(layers, points, args.steps)
                row = dict(width=width, points=points, grid=t_grid, tgrid=t_tgrid, gg=g_flops / t_grid / 1e9,
                           train=t_train, ttrain=t_ttrain, tg=t_flops / t_train / 1e9, rel=rel)
                rows.append(row)
                print(f"2-{width}-{width}-1 on {points:5d} points: grid {t_grid:7.3f} s vs torch {t_tgrid:7.3f} s "
                      f"= {t_tgrid / t_grid:5.1f}x, {row['gg']:5.1f} Gflop/s (grids agree to {rel:.1e}); "
                      f"train {t_train:6.3f} s vs torch {t_ttrain:6.3f} s = {t_ttrain / t_train:5.1f}x, "
                      f"{row['tg']:5.1f} Gflop/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    after = peak_gflops(args.peak, args.threads)
    if abs(after - peak) > 0.1 * max(after, peak):
        print(f"warning: the FMA peak moved from {peak:.1f} to {after:.1f} Gflop/s during the sweep; the machine "
              f"was not idle", file=sys.stderr)
    peak = max(peak, after)
    # Training's flops are all computed (no shortcut like the grid's exponential chain), so a
    # training figure above the peak means the peak is wrong, as it once was (fma_peak's
    # accumulators spilled to the stack and it read half the machine's rate).
    over = [r for r in rows if r["tg"] > peak]
    if over:
        print(f"warning: training ran at {max(r['tg'] for r in over):.1f} Gflop/s, above the measured FMA peak of "
              f"{peak:.1f}: the peak measurement is wrong (check examples/fma_peak.rs)", file=sys.stderr)
    print()
    print(f"percentages of the higher FMA peak measured, {peak:.1f} Gflop/s")
    print(f"| network | points | grid {args.res}² losscape | PyTorch | × | % of peak | "
          f"{args.steps} steps losscape | PyTorch | × | % of peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| 2-{r['width']}-{r['width']}-1 | {r['points']} | {r['grid']:.3f} s | {r['tgrid']:.3f} s | "
              f"{r['tgrid'] / r['grid']:.1f}× | {100 * r['gg'] / peak:.0f} % | {r['train']:.3f} s | "
              f"{r['ttrain']:.3f} s | {r['ttrain'] / r['train']:.1f}× | {100 * r['tg'] / peak:.0f} % |")
    print(f"\nPeak: {peak:.1f} Gflop/s f64 FMA on {args.threads} threads (examples/fma_peak.rs).")


if __name__ == "__main__":
    main()
