"""DESIGN.md's reference workload, shared by the speed scripts: a 2-8-8-1 tanh MLP (hidden tanh,
linear output), MSE, a seeded two-arm spiral in NumPy, and seeded initial parameters."""

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [(8, "tanh"), (8, "tanh"), (1, "linear")]
INPUTS = 2


def spiral(n=500, noise=0.1, seed=1):
    """Two interleaved spiral arms in [-1, 1]^2 (n/2 points each); y = +1 on arm 0, -1 on arm 1."""
    rng = np.random.default_rng(seed)
    half = n // 2
    xs, ys = [], []
    for arm, label in ((0, 1.0), (1, -1.0)):
        t = np.linspace(0.05, 1.0, half)
        angle = 3.0 * np.pi * t + arm * np.pi
        r = t + noise * rng.normal(size=half) * 0.5
        pts = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
        xs.append(pts)
        ys.append(np.full((half, 1), label))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    order = rng.permutation(len(x))
    return x[order], y[order]


def init_params(seed=7, scale=0.5, layers=LAYERS):
    rng = np.random.default_rng(seed)
    n, fan = 0, INPUTS
    for units, _ in layers:
        n += units * fan + units
        fan = units
    return rng.normal(size=n) * scale


def forward_flops(layers=LAYERS):
    """Multiply-add flops of one sample's forward pass: sum of 2 * fan_in * units."""
    total, fan = 0, INPUTS
    for units, _ in layers:
        total += 2 * fan * units
        fan = units
    return total


def scene(name, x, y, theta, runs, steps, layers=LAYERS):
    """The workload as a losscape scene (JSON-ready dict) with inline data and explicit θ."""
    return {
        "name": name,
        "objective": {"network": {
            "inputs": INPUTS,
            "layers": [{"units": u, "activation": a} for u, a in layers],
            "loss": "mse",
            "data": {"inline": {"x": x.tolist(), "y": y.tolist()}},
            "init": {"params": theta.tolist()},
        }},
        "runs": runs,
        "steps": steps,
    }
