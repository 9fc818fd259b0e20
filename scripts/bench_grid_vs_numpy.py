#!/usr/bin/env python3
"""Time `losscape surface` against a vectorised NumPy evaluation of the same loss grid.

Reference workload (DESIGN.md, Performance): a 2-8-8-1 MLP (tanh hidden, linear output), MSE,
500 points of a two-arm spiral (targets +1 / -1 by arm, NumPy seed fixed), a 256 x 256 grid of a
random filter-normalised slice (seed 0) through theta_0, span 1.

In one run the script:

  (a) writes the data into a temporary directory as a scene with inline data, explicit initial
      parameters and `steps: 0`, and runs
      `losscape surface SCENE --res 256 --span 1 --directions random --seed 0 --out grid.json`
      as a subprocess; it reports the process's wall time and the grid time losscape prints
      (run, plane and grid, without process start and file writing);
  (b) reads the plane (centre, d1, d2) back from grid.json, so NumPy evaluates exactly the same
      vertices, and evaluates the grid with NumPy in float64: one grid row (256 vertices) at a
      time, batched matrix products over the vertices (np.matmul on stacked weights) and
      np.tanh on whole arrays -- the straightforward vectorised code one would write. Timed
      from just before the loop to the finished loss matrix;
  (c) prints both times, the ratio NumPy / losscape (DESIGN.md's target is >= 10 on 2 cores)
      and the largest relative difference between the two loss matrices. It also prints CPU
      times (the losscape child's user+sys time, NumPy's process time): on a busy machine wall
      times mean little, while CPU time divided by the cores used still estimates the idle
      wall time.

Run by hand (needs numpy, e.g. the venv of scripts/torch_fixtures.py):

    cargo build --release --no-default-features
    /root/.venvs/torch/bin/python scripts/bench_grid_vs_numpy.py [--res 256] [--bin PATH]
        [--repeat 3] [--keep DIR]

Run it on an otherwise idle machine: a concurrent build distorts both timings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import reference_workload  # noqa: E402
from reference_workload import INPUTS, LAYERS, ROOT, init_params, spiral  # noqa: E402  (the script's folder is on sys.path)


def scene(x, y, theta):
    runs = [{"optimizer": {"sgd": {"lr": 0.1}}}]
    return reference_workload.scene("bench grid 2-8-8-1 tanh spiral", x, y, theta, runs, 0)


def unpack(thetas):
    """Split a (V, P) batch of parameter vectors into per-layer (W, b) stacks, PyTorch order."""
    out, k, fan = [], 0, INPUTS
    for units, _ in LAYERS:
        w = thetas[:, k:k + units * fan].reshape(-1, units, fan)
        k += units * fan
        b = thetas[:, k:k + units]
        k += units
        out.append((w, b))
        fan = units
    return out


def numpy_grid(x, y, center, d1, d2, a_axis, b_axis):
    """loss[j, i] at center + a_i d1 + b_j d2, one row of vertices per batch."""
    xt = x.T  # (2, n)
    yt = y.T  # (1, n)
    res = len(a_axis)
    loss = np.empty((len(b_axis), res))
    for j, b in enumerate(b_axis):
        thetas = center[None, :] + a_axis[:, None] * d1[None, :] + b * d2[None, :]  # (V, P)
        h = xt[None, :, :]  # (1, 2, n), broadcast over vertices
        for (w, bias), (_, act) in zip(unpack(thetas), LAYERS):
            h = np.matmul(w, h) + bias[:, :, None]  # (V, units, n)
            if act == "tanh":
                np.tanh(h, out=h)
        loss[j] = np.mean((h - yt[None, :, :]) ** 2, axis=(1, 2))
    return loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--res", type=int, default=256, help="vertices per side (default 256)")
    ap.add_argument("--points", type=int, default=500, help="spiral points (default 500)")
    ap.add_argument("--bin", type=Path, default=ROOT / "target" / "release" / "losscape",
                    help="losscape binary (default target/release/losscape)")
    ap.add_argument("--repeat", type=int, default=3, help="take the best of this many runs of each (default 3)")
    ap.add_argument("--keep", type=Path, help="write the scene and grid here instead of a temp dir")
    args = ap.parse_args()

    binary = args.bin.resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        sys.exit(f"error: losscape binary not found or not executable: {binary}\n"
                 f"       build it with `cargo build --release --no-default-features` or pass --bin PATH")
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f}; other processes are using the CPU, so the timings "
              f"are not representative", file=sys.stderr)

    x, y = spiral(args.points)
    theta = init_params()
    work = args.keep or Path(tempfile.mkdtemp(prefix="losscape-grid-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        scene_path = work / "scene.json"
        scene_path.write_text(json.dumps(scene(x, y, theta)))
        grid_path = work / "grid.json"
        cmd = [str(binary), "surface", str(scene_path), "--res", str(args.res), "--span", "1",
               "--directions", "random", "--seed", "0", "--out", str(grid_path)]
        print(f"workload: 2-8-8-1 tanh, MSE, {len(x)} spiral points, {args.res}x{args.res} grid of a random "
              f"filter-normalised slice (seed 0), span 1")
        wall, inner, cpu = [], [], []
        for _ in range(args.repeat):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
            if proc.returncode != 0:
                sys.exit(f"error: `{' '.join(cmd)}` exited {proc.returncode}:\n{proc.stderr.strip()}")
            m = re.search(r"([0-9.]+) s the grid\)", proc.stdout)
            if m:
                inner.append(float(m.group(1)))
        doc = json.loads(grid_path.read_text())
        center, d1, d2 = (np.array(doc[k], dtype=float) for k in ("center", "d1", "d2"))
        a_axis = np.array(doc["a"], dtype=float) - doc["origin"][0]
        b_axis = np.array(doc["b"], dtype=float) - doc["origin"][1]
        ours = np.array([[np.nan if v is None else v for v in row] for row in doc["loss"]], dtype=float)

        times, np_cpu = [], []
        for _ in range(args.repeat):
            c0 = time.process_time()
            t0 = time.perf_counter()
            theirs = numpy_grid(x, y, center, d1, d2, a_axis, b_axis)
            times.append(time.perf_counter() - t0)
            np_cpu.append(time.process_time() - c0)

        t_np = min(times)
        t_wall = min(wall)
        rel = float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)))
        print(f"losscape surface (process wall time) : {t_wall:.3f} s")
        if inner:
            t_in = min(inner)
            print(f"losscape grid (as it reports)        : {t_in:.3f} s")
        print(f"numpy (vectorised, float64)          : {t_np:.3f} s")
        print(f"ratio numpy / losscape (wall)        : {t_np / t_wall:.1f}x   (target >= 10)")
        if inner:
            print(f"ratio numpy / losscape (grid)        : {t_np / t_in:.1f}x")
        print(f"CPU time: losscape {min(cpu):.3f} s (all threads), numpy {min(np_cpu):.3f} s; "
              f"ratio {min(np_cpu) / min(cpu):.1f}x, so {2 * min(np_cpu) / min(cpu):.1f}x on 2 idle cores")
        print(f"max relative difference of the grids : {rel:.2e}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
