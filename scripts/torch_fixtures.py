#!/usr/bin/env python3
"""Generate PyTorch float64 reference fixtures for losscape's test-suite.

For every case NAME defined below this writes two files into
``tests/fixtures/torch/`` (relative to the repository root):

* ``NAME.json`` -- a losscape scene (objective, runs, steps), and
* ``NAME.csv``  -- the trajectory PyTorch produces for that scene, in the
  trajectory CSV format of DESIGN.md: header ``run,step,loss,grad_norm,clipped,p0,..``,
  one row per run and step (steps 0..N inclusive), floats written as Python's
  shortest round-trip ``repr``.

The Rust tests load each scene, train it and compare with the CSV at 1e-9
relative. Everything is hard-coded or drawn from a seeded NumPy generator, so
re-running the script reproduces the same files byte for byte (for the same
torch version). It also (re)writes ``tests/fixtures/torch/README.md``.

It needs torch and numpy and is run by hand, never by CI:

    python3 -m venv /root/.venvs/torch && /root/.venvs/torch/bin/pip install torch numpy
    /root/.venvs/torch/bin/python scripts/torch_fixtures.py [--only SUBSTRING] [--quiet]

The optimizers are ``torch.optim`` itself (foreach=False), clipping is
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` and schedules are
``torch.optim.lr_scheduler`` classes, so the fixtures pin losscape to torch's
definitions rather than to a re-implementation of them.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "tests" / "fixtures" / "torch"

DTYPE = torch.float64
BN_EPS = 1e-5
# A kink input (ReLU pre-activation, |residual| for MAE, hinge margin, ...) or a
# clipping decision closer than this to its threshold would make the fixture
# fragile against last-ulp differences, so the script refuses to write it.
MARGIN = 1e-7

# torch.optim defaults, as written in TORCH_OPTIM.md; checked against torch at start-up.
DEFAULTS = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": False},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
}
OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
    "adagrad": torch.optim.Adagrad,
}


class Fragile(Exception):
    """A case sits too close to a kink or a clipping threshold."""


# ----------------------------------------------------------------------------- data

def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def rounded(a, decimals=3):
    return np.round(np.asarray(a, dtype=np.float64), decimals)


def data_reg(seed=1, n=8, outputs=1):
    """2-D inputs in [-1, 1], smooth regression targets."""
    r = rng(seed)
    x = rounded(r.uniform(-1.0, 1.0, size=(n, 2)))
    y1 = np.sin(2.0 * x[:, 0]) + 0.5 * x[:, 1]
    cols = [y1]
    if outputs > 1:
        cols.append(x[:, 0] * x[:, 1] - 0.3)
    y = rounded(np.stack(cols, axis=1) + 0.05 * r.normal(size=(n, outputs)))
    return x, y


def data_bin(seed=2, n=8, pm=False):
    """2-D inputs, binary labels by a circle; {0,1}, or {-1,+1} when pm."""
    r = rng(seed)
    while True:
        x = rounded(r.uniform(-1.0, 1.0, size=(n, 2)))
        lab = (x[:, 0] ** 2 + x[:, 1] ** 2 < 0.5).astype(np.float64)
        if 0 < lab.sum() < n:
            break
    if pm:
        lab = 2.0 * lab - 1.0
    return x, lab.reshape(-1, 1)


def data_cls(seed=3, n=9, classes=3, onehot=False):
    """2-D inputs, classes by angle sector; y as class indices or one-hot rows."""
    r = rng(seed)
    x = rounded(r.uniform(-1.0, 1.0, size=(n, 2)))
    ang = np.arctan2(x[:, 1], x[:, 0]) + np.pi
    idx = np.minimum((ang / (2 * np.pi) * classes).astype(int), classes - 1)
    idx[:classes] = np.arange(classes)  # every class present
    if onehot:
        y = np.eye(classes)[idx]
    else:
        y = idx.astype(np.float64).reshape(-1, 1)
    return x, y


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


# ----------------------------------------------------------------------------- specs

def layer(units, activation, batch_norm=False, negative_slope=None):
    d = {"units": units, "activation": activation}
    if batch_norm:
        d["batch_norm"] = True
    if negative_slope is not None:
        d["negative_slope"] = negative_slope
    return d


def param_count(inputs, layers):
    n, fan_in = 0, inputs
    for l in layers:
        n += l["units"] * fan_in + l["units"]
        if l.get("batch_norm"):
            n += 2 * l["units"]
        fan_in = l["units"]
    return n


def init_params(inputs, layers, seed, scale=0.5, bn_affine_random=True):
    """Flat θ in torch order; BN γ near 1 and β near 0 but not exactly."""
    r = rng(seed)
    out, fan_in = [], inputs
    for l in layers:
        u = l["units"]
        out += list(rounded(r.normal(size=u * fan_in) * scale, 4))
        out += list(rounded(r.normal(size=u) * 0.1, 4))
        if l.get("batch_norm"):
            if bn_affine_random:
                out += list(rounded(1.0 + 0.3 * r.normal(size=u), 4))
                out += list(rounded(0.2 * r.normal(size=u), 4))
            else:
                out += [1.0] * u + [0.0] * u
        fan_in = u
    return [float(v) for v in out]


def net(inputs, layers, loss, x, y, params=None, seed=11, scale=0.5, features=None,
        penalty=None, bn_affine_random=True):
    if params is None:
        params = init_params(inputs, layers, seed, scale, bn_affine_random)
    assert len(params) == param_count(inputs, layers), "bad param count"
    d = {
        "inputs": inputs,
        "layers": layers,
        "loss": loss,
        "data": {"inline": {"x": np.asarray(x, float).tolist(), "y": np.asarray(y, float).tolist()}},
        "init": {"params": [float(p) for p in params]},
    }
    if features is not None:
        d["features"] = features
    if penalty is not None:
        d["penalty"] = penalty
    return {"network": d}


def func(expr, start):
    return {"function": {"expr": expr, "start": [float(s) for s in start]}}


def opt(kind, lr, **kw):
    """An optimizer entry; hyper-parameters equal to torch's defaults are dropped."""
    d = {"lr": lr}
    for k, v in kw.items():
        assert k in DEFAULTS[kind], f"{kind} has no {k}"
        dv = DEFAULTS[kind][k]
        if k == "betas":
            v = list(v)
            if tuple(v) == dv:
                continue
        elif v == dv and type(v) is type(dv):
            continue
        d[k] = v
    return {kind: d}


def run(optimizer, clip=None, schedule=None):
    d = {"optimizer": optimizer}
    if clip is not None:
        d["clip"] = clip
    if schedule is not None:
        d["schedule"] = schedule
    return d


def case(name, objective, runs, steps):
    return {"name": name, "objective": objective, "runs": runs, "steps": steps}


def cases():
    C = []
    H3T = [layer(3, "tanh"), layer(1, "linear")]
    xr, yr = data_reg(1)
    xr2, yr2 = data_reg(4, n=6, outputs=2)
    xb, yb = data_bin(2)
    xh, yh = data_bin(5, n=8, pm=True)
    xc, yc = data_cls(3)
    xco, yco = data_cls(3, onehot=True)

    # ---- SGD family
    C.append(case("sgd_plain_mse_tanh", net(2, H3T, "mse", xr, yr, seed=101),
                  [run(opt("sgd", 0.1))], 20))
    C.append(case("sgd_momentum_mse_tanh", net(2, H3T, "mse", xr, yr, seed=102),
                  [run(opt("sgd", 0.1, momentum=0.9))], 20))
    C.append(case("sgd_nesterov_clipnorm_mse_relu",
                  net(2, [layer(4, "relu"), layer(1, "linear")], "mse", xr, yr, seed=103),
                  [run(opt("sgd", 0.1, momentum=0.9, nesterov=True), clip={"norm": 0.25})], 20))
    C.append(case("sgd_momentum_dampening_mae_sigmoid",
                  net(2, [layer(3, "sigmoid"), layer(1, "linear")], "mae", xr, yr, seed=104),
                  [run(opt("sgd", 0.2, momentum=0.8, dampening=0.3))], 20))
    C.append(case("sgd_weight_decay_clipvalue_huber_leaky_relu_2out",
                  net(2, [layer(3, "leaky_relu", negative_slope=0.1), layer(2, "linear")], "huber",
                      xr2, yr2, seed=105, scale=1.2),
                  [run(opt("sgd", 0.3, weight_decay=0.05), clip={"value": 0.15})], 20))
    C.append(case("sgd_momentum_wd_clipnorm_log_loss",
                  net(2, [layer(3, "tanh"), layer(1, "sigmoid")], "log_loss", xb, yb, seed=106, scale=1.0),
                  [run(opt("sgd", 0.5, momentum=0.5, weight_decay=0.01), clip={"norm": 0.25})], 20))
    C.append(case("sgd_steplr_mse_leaky_relu_default_slope",
                  net(2, [layer(3, "leaky_relu"), layer(1, "linear")], "mse", xr, yr, seed=107),
                  [run(opt("sgd", 0.2, momentum=0.5), schedule={"step": {"step_size": 5, "gamma": 0.5}})], 20))

    # ---- Adam family
    C.append(case("adam_default_mse_tanh", net(2, H3T, "mse", xr, yr, seed=201),
                  [run(opt("adam", 0.05))], 20))
    C.append(case("adam_betas_eps_ce_index_softmax",
                  net(2, [layer(3, "tanh"), layer(3, "softmax")], "cross_entropy", xc, yc, seed=202),
                  [run(opt("adam", 0.05, betas=(0.8, 0.99), eps=1e-6))], 20))
    C.append(case("adam_amsgrad_clipnorm_ce_onehot",
                  net(2, [layer(3, "relu"), layer(3, "softmax")], "cross_entropy", xco, yco, seed=203, scale=0.8),
                  [run(opt("adam", 0.08, amsgrad=True), clip={"norm": 0.2})], 20))
    C.append(case("adam_weight_decay_hinge_tanh_output",
                  net(2, [layer(3, "tanh"), layer(1, "tanh")], "hinge", xh, yh, seed=204),
                  [run(opt("adam", 0.05, weight_decay=0.1))], 20))
    C.append(case("adam_clipvalue_huber_2out",
                  net(2, [layer(3, "tanh"), layer(2, "linear")], "huber", xr2, yr2, seed=205, scale=1.5),
                  [run(opt("adam", 0.1), clip={"value": 0.4})], 20))
    C.append(case("adam_exponentiallr_mae_relu",
                  net(2, [layer(4, "relu"), layer(1, "linear")], "mae", xr, yr, seed=206),
                  [run(opt("adam", 0.05), schedule={"exponential": {"gamma": 0.9}})], 20))

    # ---- AdamW
    C.append(case("adamw_default_wd_mse_relu",
                  net(2, [layer(3, "relu"), layer(1, "linear")], "mse", xr, yr, seed=301),
                  [run(opt("adamw", 0.05))], 20))
    C.append(case("adamw_wd_amsgrad_clipvalue_log_loss",
                  net(2, [layer(3, "sigmoid"), layer(1, "sigmoid")], "log_loss", xb, yb, seed=302, scale=1.5),
                  [run(opt("adamw", 0.1, weight_decay=0.1, amsgrad=True), clip={"value": 0.05})], 20))
    C.append(case("adamw_cosine_mse_tanh",
                  net(2, H3T, "mse", xr, yr, seed=303),
                  [run(opt("adamw", 0.1, weight_decay=0.05), schedule={"cosine": {"t_max": 20, "eta_min": 0.001}})], 20))

    # ---- RMSprop
    C.append(case("rmsprop_default_mse_tanh", net(2, H3T, "mse", xr, yr, seed=401),
                  [run(opt("rmsprop", 0.01))], 20))
    C.append(case("rmsprop_centered_ce_index",
                  net(2, [layer(3, "tanh"), layer(3, "softmax")], "cross_entropy", xc, yc, seed=402),
                  [run(opt("rmsprop", 0.01, centered=True))], 20))
    C.append(case("rmsprop_momentum_clipnorm_huber",
                  net(2, [layer(3, "tanh"), layer(1, "linear")], "huber", xr, yr * 3.0, seed=403),
                  [run(opt("rmsprop", 0.01, momentum=0.5), clip={"norm": 0.45})], 20))
    C.append(case("rmsprop_wd_alpha_eps_clipvalue_hinge_linear",
                  net(2, [layer(3, "relu"), layer(1, "linear")], "hinge", xh, yh, seed=404),
                  [run(opt("rmsprop", 0.02, alpha=0.9, eps=1e-6, weight_decay=0.05), clip={"value": 0.1})], 20))
    C.append(case("rmsprop_centered_momentum_clipnorm_mae",
                  net(2, [layer(3, "sigmoid"), layer(1, "linear")], "mae", xr, yr, seed=405, scale=1.0),
                  [run(opt("rmsprop", 0.01, momentum=0.9, centered=True), clip={"norm": 0.3})], 20))

    # ---- Adagrad
    C.append(case("adagrad_default_mse_tanh", net(2, H3T, "mse", xr, yr, seed=501),
                  [run(opt("adagrad", 0.1))], 20))
    C.append(case("adagrad_lr_decay_log_loss",
                  net(2, [layer(3, "tanh"), layer(1, "sigmoid")], "log_loss", xb, yb, seed=502, scale=1.0),
                  [run(opt("adagrad", 0.3, lr_decay=0.05))], 20))
    C.append(case("adagrad_init_acc_wd_eps_clipvalue_ce_onehot",
                  net(2, [layer(3, "tanh"), layer(3, "softmax")], "cross_entropy", xco, yco, seed=503, scale=1.0),
                  [run(opt("adagrad", 0.2, initial_accumulator_value=0.1, weight_decay=0.01, eps=1e-8),
                       clip={"value": 0.1})], 20))
    C.append(case("adagrad_all_options_clipnorm_mse_relu",
                  net(2, [layer(4, "relu"), layer(1, "linear")], "mse", xr, yr * 2.0, seed=504, scale=1.0),
                  [run(opt("adagrad", 0.2, lr_decay=0.02, initial_accumulator_value=0.05, weight_decay=0.02),
                       clip={"norm": 1.0})], 20))

    # ---- Batch norm
    C.append(case("bn_sgd_momentum_mse_relu",
                  net(2, [layer(3, "relu", batch_norm=True), layer(1, "linear")], "mse", xr, yr, seed=601),
                  [run(opt("sgd", 0.1, momentum=0.9))], 20))
    # Batch norm makes the gradient of the Linear bias before it zero in exact arithmetic and
    # round-off noise in float64; only SGD-family optimizers keep that noise negligible (an
    # adaptive one would move those biases by O(lr) in noise-chosen directions), so these use SGD.
    C.append(case("bn_identity_affine_sgd_nesterov_clipnorm_ce_index_tanh",
                  net(2, [layer(3, "tanh", batch_norm=True), layer(3, "softmax")], "cross_entropy", xc, yc,
                      seed=602, bn_affine_random=False),
                  [run(opt("sgd", 0.2, momentum=0.9, nesterov=True), clip={"norm": 0.5})], 20))
    C.append(case("bn_two_hidden_sgd_dampening_wd_mse",
                  net(2, [layer(3, "tanh", batch_norm=True), layer(2, "leaky_relu", batch_norm=True),
                          layer(1, "linear")], "mse", xr, yr, seed=603),
                  [run(opt("sgd", 0.05, momentum=0.9, dampening=0.1, weight_decay=0.01))], 20))

    # ---- Depth: three hidden layers, mixed activations, exploding-ish init tamed by clipping
    C.append(case("deep_three_hidden_sgd_nesterov_clipnorm",
                  net(2, [layer(3, "tanh"), layer(3, "relu"), layer(2, "sigmoid"), layer(1, "linear")], "mse",
                      xr, yr * 2.0, seed=701, scale=1.5),
                  [run(opt("sgd", 0.1, momentum=0.9, nesterov=True), clip={"norm": 0.5})], 25))
    C.append(case("linear_hidden_sgd_mse",
                  net(2, [layer(3, "linear"), layer(1, "linear")], "mse", xr, yr, seed=702),
                  [run(opt("sgd", 0.1))], 20))
    C.append(case("softmax_output_mse_onehot_sgd",
                  net(2, [layer(3, "tanh"), layer(3, "softmax")], "mse", xco, yco, seed=703, scale=1.0),
                  [run(opt("sgd", 1.0, momentum=0.5))], 20))
    C.append(case("sigmoid_output_mse_adam",
                  net(2, [layer(3, "relu"), layer(1, "sigmoid")], "mse", xb, yb, seed=704, scale=1.0),
                  [run(opt("adam", 0.1))], 20))

    # ---- Several runs in one scene (the DESIGN.md example, shortened)
    C.append(case("multi_run_xor_log_loss",
                  net(2, [layer(3, "tanh"), layer(1, "sigmoid")], "log_loss", XOR_X, XOR_Y,
                      params=[0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.0, 0.0, 0.0, 0.4, -0.3, 0.2, 0.0]),
                  [run(opt("sgd", 0.5, momentum=0.9, nesterov=True)),
                   run(opt("adam", 0.03), clip={"norm": 0.015}),
                   run(opt("rmsprop", 0.01, centered=True), clip={"value": 0.02})], 20))
    C.append(case("multi_run_ce_onehot_adagrad_adamw",
                  net(2, [layer(4, "relu"), layer(3, "softmax")], "cross_entropy", xco, yco, seed=801),
                  [run(opt("adagrad", 0.1), clip={"norm": 0.3},
                       schedule={"exponential": {"gamma": 0.95}}),
                   run(opt("adamw", 0.03, betas=(0.85, 0.995)))], 15))

    # ---- Schedules (step, exponential and cosine also appear above)
    C.append(case("cosine_past_t_max_sgd_momentum",
                  net(2, H3T, "mse", xr, yr, seed=901),
                  [run(opt("sgd", 0.2, momentum=0.7), schedule={"cosine": {"t_max": 8, "eta_min": 0.01}})], 20))
    C.append(case("steplr_adam_clipvalue_tanh",
                  net(2, H3T, "mse", xr, yr, seed=902, scale=1.0),
                  [run(opt("adam", 0.1), clip={"value": 0.1}, schedule={"step": {"step_size": 3, "gamma": 0.7}})], 20))

    # ---- Feature maps
    all_feats = ["x1", "x2", "x1_squared", "x2_squared", "x1_x2", "sin_x1", "sin_x2"]
    C.append(case("features_all_sgd_mse",
                  net(7, [layer(2, "tanh"), layer(1, "linear")], "mse", xr, yr, seed=1001,
                      features=all_feats),
                  [run(opt("sgd", 0.1, momentum=0.5))], 20))
    C.append(case("features_subset_adam_log_loss",
                  net(3, [layer(1, "sigmoid")], "log_loss", xb, yb, seed=1002,
                      features=["x2_squared", "sin_x1", "x1_x2"]),
                  [run(opt("adam", 0.1))], 20))

    # ---- Penalties
    C.append(case("penalty_l2_sgd_mse",
                  net(2, H3T, "mse", xr, yr, seed=1101, penalty={"l2": 0.05}),
                  [run(opt("sgd", 0.1, momentum=0.5))], 20))
    C.append(case("penalty_l1_adam_mae",
                  net(2, [layer(3, "tanh"), layer(1, "linear")], "mae", xr, yr, seed=1102, penalty={"l1": 0.02}),
                  [run(opt("adam", 0.03))], 20))
    C.append(case("penalty_l2_bn_sgd_clipvalue",
                  net(2, [layer(3, "relu", batch_norm=True), layer(1, "linear")], "mse", xr, yr, seed=1103,
                      penalty={"l2": 0.1}),
                  [run(opt("sgd", 0.1, momentum=0.5), clip={"value": 0.3})], 20))

    # ---- Classroom lessons of DESIGN.md
    C.append(case("lesson_linear_model_from_origin_sgd",
                  net(1, [layer(1, "linear")], "mse", [[0.5], [2.0], [1.0]], [[0.8], [1.0], [1.5]],
                      params=[0.0, 0.0]),
                  [run(opt("sgd", 0.1))], 15))
    C.append(case("lesson_dead_relu_single_neuron_sgd_adam",
                  net(1, [layer(1, "relu")], "mse", [[0.5]], [[0.8]], params=[-0.6, 0.1]),
                  [run(opt("sgd", 0.01)), run(opt("adam", 0.1))], 15))

    # ---- Typed functions
    C.append(case("fn_x_squared_sgd", func("x^2", [10]), [run(opt("sgd", 0.1))], 20))
    C.append(case("fn_tilted_plane_adam_clipnorm", func("3*x^2 + 2*y", [10, 0]),
                  [run(opt("adam", 0.5), clip={"norm": 5.0})], 20))
    C.append(case("fn_rosenbrock_trig_sgd_momentum_clipvalue",
                  func("(1 - x)^2 + 5*(y - x^2)^2 + sin(x)*cos(y) + 0.1*exp(0.5*x) - tanh(x*y)/4", [-1.2, 1.0]),
                  [run(opt("sgd", 0.01, momentum=0.9), clip={"value": 2.0})], 25))
    return C


# ----------------------------------------------------------------------------- torch side

FEATURES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1_squared": lambda a, b: a * a,
    "x2_squared": lambda a, b: b * b,
    "x1_x2": lambda a, b: a * b,
    "sin_x1": lambda a, b: torch.sin(a),
    "sin_x2": lambda a, b: torch.sin(b),
}


class Watch:
    """Smallest distance of any kink input from its kink over a case."""

    def __init__(self):
        self.min = math.inf
        self.where = ""

    def see(self, t, what):
        if t.numel():
            m = float(t.detach().abs().min())
            if m < self.min:
                self.min, self.where = m, what


class NetObjective:
    def __init__(self, spec):
        self.spec = spec
        self.watch = Watch()
        x = torch.tensor(spec["data"]["inline"]["x"], dtype=DTYPE)
        y = torch.tensor(spec["data"]["inline"]["y"], dtype=DTYPE)
        feats = spec.get("features")
        if feats is not None:
            assert x.shape[1] == 2
            x = torch.stack([FEATURES[f](x[:, 0], x[:, 1]) for f in feats], dim=1)
        assert x.shape[1] == spec["inputs"], "inputs must match the (featured) x width"
        self.x, self.y = x, y
        flat = spec["init"]["params"]
        self.params, self.layers = [], []  # params in θ order; layers hold indices into params
        i, fan_in = 0, spec["inputs"]
        for l in spec["layers"]:
            u = l["units"]
            W = torch.tensor(flat[i:i + u * fan_in], dtype=DTYPE).reshape(u, fan_in); i += u * fan_in
            b = torch.tensor(flat[i:i + u], dtype=DTYPE); i += u
            entry = {"W": len(self.params), "b": len(self.params) + 1, "l": l}
            self.params += [W, b]
            if l.get("batch_norm"):
                g = torch.tensor(flat[i:i + u], dtype=DTYPE); i += u
                be = torch.tensor(flat[i:i + u], dtype=DTYPE); i += u
                entry["gamma"], entry["beta"] = len(self.params), len(self.params) + 1
                self.params += [g, be]
            self.layers.append(entry)
            fan_in = u
        assert i == len(flat)
        for p in self.params:
            p.requires_grad_(True)
        last = spec["layers"][-1]
        loss = spec["loss"]
        if loss == "cross_entropy":
            assert last["activation"] == "softmax"
            if y.shape[1] == 1:
                self.target = y[:, 0].long()
                assert torch.equal(self.target.to(DTYPE), y[:, 0])
            else:
                assert y.shape[1] == last["units"]
                self.target = y
        elif loss == "log_loss":
            assert last["activation"] == "sigmoid" and last["units"] == 1
        elif loss == "hinge":
            assert last["activation"] in ("linear", "tanh")
            assert set(y.flatten().tolist()) <= {-1.0, 1.0}

    def loss(self, watch=False):
        P = self.params
        h = self.x
        z = None
        for entry in self.layers:
            l = entry["l"]
            z = F.linear(h, P[entry["W"]], P[entry["b"]])
            if l.get("batch_norm"):
                z = F.batch_norm(z, None, None, P[entry["gamma"]], P[entry["beta"]],
                                 training=True, momentum=0.1, eps=BN_EPS)
            act = l["activation"]
            if act == "relu":
                if watch: self.watch.see(z, "relu input")
                h = F.relu(z)
            elif act == "leaky_relu":
                if watch: self.watch.see(z, "leaky_relu input")
                h = F.leaky_relu(z, negative_slope=l.get("negative_slope", 0.01))
            elif act == "sigmoid":
                h = torch.sigmoid(z)
            elif act == "tanh":
                h = torch.tanh(z)
            elif act == "softmax":
                h = torch.softmax(z, dim=1)
            elif act == "linear":
                h = z
            else:
                raise ValueError(act)
        out, logits, y = h, z, self.y
        kind = self.spec["loss"]
        if kind == "mse":
            L = F.mse_loss(out, y)
        elif kind == "mae":
            if watch: self.watch.see(out - y, "mae residual")
            L = F.l1_loss(out, y)
        elif kind == "huber":
            if watch: self.watch.see((out - y).abs() - 1.0, "huber |r| - delta")
            L = F.huber_loss(out, y, delta=1.0)
        elif kind == "cross_entropy":
            L = F.cross_entropy(logits, self.target)
        elif kind == "log_loss":
            L = F.binary_cross_entropy_with_logits(logits, y)
        elif kind == "hinge":
            margin = 1.0 - y * out
            if watch: self.watch.see(margin, "hinge margin")
            L = torch.clamp(margin, min=0.0).mean()
        else:
            raise ValueError(kind)
        pen = self.spec.get("penalty")
        if pen:
            weights = [P[e["W"]] for e in self.layers]
            for k, lam in pen.items():
                if k == "l2":
                    L = L + lam * sum((w * w).sum() for w in weights)
                elif k == "l1":
                    if watch:
                        for w in weights: self.watch.see(w, "l1 weight")
                    L = L + lam * sum(w.abs().sum() for w in weights)
                else:
                    raise ValueError(k)
        return L


def torch_expr(expr):
    """The scene's expression as Python over torch tensors (same formula, same order)."""
    assert re.fullmatch(r"[0-9xy+\-*/^(). a-z]*", expr)
    for fn in re.findall(r"[a-z]{2,}", expr):
        assert fn in ("sin", "cos", "exp", "tanh"), fn
    return expr.replace("^", "**")


class FuncObjective:
    def __init__(self, spec):
        self.spec = spec
        self.watch = Watch()
        self.code = compile(torch_expr(spec["expr"]), "<expr>", "eval")
        self.params = [torch.tensor(spec["start"], dtype=DTYPE, requires_grad=True)]

    def loss(self, watch=False):
        t = self.params[0]
        env = {"sin": torch.sin, "cos": torch.cos, "exp": torch.exp, "tanh": torch.tanh,
               "x": t[0], "__builtins__": {}}
        if t.numel() > 1:
            env["y"] = t[1]
        return eval(self.code, env)


def make_objective(obj):
    if "network" in obj:
        return NetObjective(obj["network"])
    return FuncObjective(obj["function"])


def make_optimizer(params, entry):
    (kind, hp), = entry.items()
    kw = dict(hp)
    if "betas" in kw:
        kw["betas"] = tuple(kw["betas"])
    return OPTIMIZERS[kind](params, foreach=False, **kw)


def make_scheduler(optimizer, sched):
    if sched is None:
        return None
    (kind, hp), = sched.items()
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=hp["step_size"], gamma=hp["gamma"])
    if kind == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=hp["gamma"])
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=hp["t_max"], eta_min=hp["eta_min"])
    raise ValueError(kind)


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def run_one(scene, run_idx, rows, stats):
    spec = scene["runs"][run_idx]
    objective = make_objective(scene["objective"])
    params = objective.params
    optimizer = make_optimizer(params, spec["optimizer"])
    scheduler = make_scheduler(optimizer, spec.get("schedule"))
    clip = spec.get("clip")
    adaptive = next(iter(spec["optimizer"])) != "sgd"
    fired = 0
    clip_margin = math.inf
    for k in range(scene["steps"] + 1):
        optimizer.zero_grad(set_to_none=False)
        L = objective.loss(watch=True)
        L.backward()
        g = flat([p.grad for p in params])
        n = float(torch.linalg.vector_norm(g))
        if not (math.isfinite(float(L.detach())) and math.isfinite(n)):
            raise Fragile(f"run {run_idx} step {k}: non-finite loss or gradient")
        if clip is None:
            clipped = False
        elif "norm" in clip:
            c = clip["norm"] / (n + 1e-6)
            clipped = c < 1.0
            clip_margin = min(clip_margin, abs(c - 1.0))
        else:
            v = clip["value"]
            clipped = bool((g.abs() > v).any())
            clip_margin = min(clip_margin, float((g.abs() - v).abs().min()) / v)
        if adaptive:
            # An adaptive optimizer divides by the gradient's own size, so a component that is
            # zero in exact arithmetic but round-off noise in float64 (e.g. the bias of a Linear
            # layer followed by batch norm) moves by O(lr) in a direction set by the noise.
            noise = (g != 0) & (g.abs() < 1e-10 * n)
            if bool(noise.any()):
                i = int(torch.nonzero(noise)[0])
                raise Fragile(f"run {run_idx} step {k}: p{i} has a round-off-sized gradient "
                              f"{float(g[i]):.1e} under an adaptive optimizer")
        fired += clipped
        rows.append([run_idx, k, float(L.detach()), n, clipped] + flat(params).tolist())
        if k == scene["steps"]:
            break
        if clip is not None:
            if "norm" in clip:
                total = float(torch.nn.utils.clip_grad_norm_(params, clip["norm"], foreach=False))
                assert abs(total - n) <= 1e-12 * max(n, 1.0), (total, n)
            else:
                torch.nn.utils.clip_grad_value_(params, clip["value"], foreach=False)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    if clip_margin < MARGIN:
        raise Fragile(f"run {run_idx}: clipping decision within {clip_margin:.2e} of its threshold")
    if objective.watch.min < MARGIN:
        raise Fragile(f"run {run_idx}: {objective.watch.where} within {objective.watch.min:.2e} of a kink")
    stats.append((run_idx, fired, scene["steps"] + 1, clip is not None))


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


def compact_json(obj):
    """Indented JSON with every list of scalars, and every object of scalars, on one line."""
    text = json.dumps(obj, indent=2)
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: "[" + ", ".join(
        s.strip() for s in m.group(0)[1:-1].split(",") if s.strip()) + "]", text)
    text = re.sub(r"\{[^\[\]{}]*\}", lambda m: "{" + ", ".join(
        s.strip() for s in m.group(0)[1:-1].split(",") if s.strip()) + "}", text)
    assert json.loads(text) == obj
    return text + "\n"


def generate(scene):
    rows, stats = [], []
    for r in range(len(scene["runs"])):
        run_one(scene, r, rows, stats)
    n_params = len(rows[0]) - 5
    header = ["run", "step", "loss", "grad_norm", "clipped"] + [f"p{i}" for i in range(n_params)]
    csv = ",".join(header) + "\n" + "".join(",".join(fmt(v) for v in row) + "\n" for row in rows)
    return csv, rows, stats


def check_lessons(name, rows):
    """The classroom numbers of DESIGN.md, as a guard on the harness itself."""
    if name == "fn_x_squared_sgd":
        assert abs(rows[5][5] - 3.2768) < 1e-12, rows[5][5]
        assert abs(rows[20][5] - 0.115292150460685) < 1e-14, rows[20][5]
        assert abs(rows[20][2] - 0.013292279957849) < 1e-14, rows[20][2]
    if name == "lesson_linear_model_from_origin_sgd":
        assert abs(rows[1][5] - 0.26) < 1e-12 and abs(rows[1][6] - 0.22) < 1e-12, rows[1]
        # DESIGN.md quotes step 3 to 5 decimals
        assert abs(rows[3][5] - 0.42724) < 5e-6 and abs(rows[3][6] - 0.40014) < 5e-6, rows[3]
    if name == "lesson_dead_relu_single_neuron_sgd_adam":
        assert all(r[3] == 0.0 for r in rows), "the dead ReLU must have zero gradient"
    if name == "fn_tilted_plane_adam_clipnorm":
        assert all(abs(r[3] - math.hypot(6 * r[5], 2.0)) < 1e-12 * r[3] for r in rows)


def check_defaults():
    for kind, cls in OPTIMIZERS.items():
        got = cls([torch.zeros(1, requires_grad=True)], lr=0.1).defaults
        for k, v in DEFAULTS[kind].items():
            assert got[k] == v, f"torch {kind}.{k} default {got[k]} != {v}"


README = """# PyTorch reference fixtures

Each `NAME.json` is a losscape scene; `NAME.csv` is the trajectory PyTorch {torch} (CPU, float64,
`torch.optim` with foreach=False, `clip_grad_norm_`/`clip_grad_value_`, `lr_scheduler`) produces for it,
in DESIGN.md's trajectory format. The Rust tests compare against them at 1e-9 relative.
Regenerate by hand (never in CI): `/root/.venvs/torch/bin/python scripts/torch_fixtures.py`
(needs `pip install torch numpy`; NumPy {numpy}); the output is deterministic. {count} cases.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="generate only cases whose name contains this")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_default_dtype(DTYPE)
    check_defaults()
    all_cases = cases()
    names = [c["name"] for c in all_cases]
    assert len(set(names)) == len(names), "duplicate case names"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    failed = []
    for scene in all_cases:
        if args.only and args.only not in scene["name"]:
            continue
        try:
            csv, rows, stats = generate(scene)
        except Fragile as e:
            failed.append(f"{scene['name']}: {e}")
            continue
        check_lessons(scene["name"], rows)
        (OUT_DIR / f"{scene['name']}.json").write_text(compact_json(scene))
        (OUT_DIR / f"{scene['name']}.csv").write_text(csv)
        if not args.quiet:
            info = " ".join(f"run{r}:clip {f}/{n}" if has else f"run{r}" for r, f, n, has in stats)
            last = [r for r in rows if r[0] == 0][-1]
            print(f"{scene['name']:55s} P={len(rows[0]) - 5:3d} loss {rows[0][2]:.4g} -> {last[2]:.4g}  {info}")
    if not args.only:
        keep = {f"{n}.{ext}" for n in names for ext in ("json", "csv")}
        for f in OUT_DIR.iterdir():
            if f.suffix in (".json", ".csv") and f.name not in keep:
                f.unlink()
        (OUT_DIR / "README.md").write_text(README.format(
            torch=torch.__version__, numpy=np.__version__, count=len(all_cases)))
    if failed:
        print("\nrefused (fragile) cases:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
