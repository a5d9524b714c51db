"""Median time of one full Adam training step (forward, backward, update) of a
2 → width → width → 4 MLP, ours vs PyTorch eager and JAX ``jit`` on the CPU.

Prints one JSON object. PyTorch and JAX are optional (not dependencies): without one, its
columns are omitted. The JAX step is the same net written in jax.numpy (batch norm with batch
statistics, ReLU, softmax cross-entropy, Adam), compiled once with ``jax.jit``.
Usage: python benchmarks/core_step.py [--repeats 300] [--dtype float32]
One core for all three (steadier on a busy machine): OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" python …
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.nn.optim import Optimizer

BATCHES = (32, 128, 512)
WIDTHS = (16, 64, 128)
CLASSES = 4


def median_seconds(step, repeats: int) -> float:
    for _ in range(max(10, repeats // 10)):     # warm-up: caches, allocator, lazy init
        step()
    times = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        step()
        times[i] = time.perf_counter() - t0
    return float(np.median(times))


def ours(batch: int, width: int, bn: bool, dtype: str, repeats: int) -> float:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 2)).astype(dtype)
    y = rng.integers(0, CLASSES, batch)
    net = MLP(NetConfig(2, (width, width), CLASSES, "relu", batch_norm=bn, dtype=dtype), seed=0)
    opt = Optimizer("adam", 1e-3)

    def step():
        net.loss_and_grads(X, y)
        opt.step(net.flat_params, net.flat_grads)

    return median_seconds(step, repeats)


def torch_step(batch: int, width: int, bn: bool, dtype: str, repeats: int) -> float:
    import torch
    tdtype = getattr(torch, dtype)
    layers = []
    d = 2
    for _ in range(2):
        layers.append(torch.nn.Linear(d, width, bias=not bn, dtype=tdtype))
        if bn:
            layers.append(torch.nn.BatchNorm1d(width, dtype=tdtype))
        layers.append(torch.nn.ReLU())
        d = width
    layers.append(torch.nn.Linear(d, CLASSES, dtype=tdtype))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(0)
    X = torch.randn(batch, 2, generator=g, dtype=tdtype)
    y = torch.randint(0, CLASSES, (batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(model(X), y).backward()
        opt.step()

    return median_seconds(step, repeats)


def jax_step(batch: int, width: int, bn: bool, dtype: str, repeats: int) -> float:
    import jax
    import jax.numpy as jnp
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    sizes = [(2, width), (width, width), (width, CLASSES)]
    params = []
    for i, (a, b) in enumerate(sizes):
        layer = {"W": jnp.asarray(rng.standard_normal((a, b)) * np.sqrt(2.0 / a), dtype)}
        if bn and i < 2:
            layer["gamma"], layer["beta"] = jnp.ones(b, dtype), jnp.zeros(b, dtype)
        else:
            layer["b"] = jnp.zeros(b, dtype)
        params.append(layer)
    X = jnp.asarray(rng.standard_normal((batch, 2)), dtype)
    y = jnp.asarray(rng.integers(0, CLASSES, batch))

    def loss_fn(p):
        h = X
        for i, layer in enumerate(p):
            z = h @ layer["W"]
            if "gamma" in layer:
                mu, var = z.mean(0), z.var(0)
                z = (z - mu) / jnp.sqrt(var + 1e-5) * layer["gamma"] + layer["beta"]
            else:
                z = z + layer["b"]
            h = jax.nn.relu(z) if i < 2 else z
        return -jnp.mean(jax.nn.log_softmax(h)[jnp.arange(batch), y])

    def adam(p, m, v, t, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
        g = jax.grad(loss_fn)(p)
        m = jax.tree_util.tree_map(lambda m_, g_: b1 * m_ + (1 - b1) * g_, m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: b2 * v_ + (1 - b2) * g_ * g_, v, g)
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        p = jax.tree_util.tree_map(lambda p_, m_, v_: p_ - lr * (m_ / c1) / (jnp.sqrt(v_ / c2)
                                                                         + eps), p, m, v)
        return p, m, v

    update = jax.jit(adam)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    state = [params, zeros, zeros, 1.0]

    def step():
        p, m, v = update(*state)
        jax.block_until_ready(p)
        state[0], state[1], state[2], state[3] = p, m, v, state[3] + 1.0

    return median_seconds(step, repeats)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=300)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args()
    try:
        import torch
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
        threads = torch.get_num_threads()
        torch_version = torch.__version__
    except ImportError:
        torch, threads, torch_version = None, None, None
    try:
        import jax
        jax_version = jax.__version__
    except ImportError:
        jax_version = None
    # Ours for every row first: a peer's runtime (XLA's or torch's thread pools) may linger
    # and must not slow our column.
    rows = [{"batch": b, "width": w, "bn": bn,
             "ours_us": round(ours(b, w, bn, args.dtype, args.repeats) * 1e6, 1)}
            for b in BATCHES for w in WIDTHS for bn in (True, False)]
    for row in rows:
        batch, width, bn = row["batch"], row["width"], row["bn"]
        if torch is not None:
            t = torch_step(batch, width, bn, args.dtype, args.repeats)
            row["torch_us"] = round(t * 1e6, 1)
            row["torch_over_ours"] = round(row["torch_us"] / row["ours_us"], 2)
        if jax_version is not None:
            t = jax_step(batch, width, bn, args.dtype, args.repeats)
            row["jax_jit_us"] = round(t * 1e6, 1)
            row["jax_over_ours"] = round(row["jax_jit_us"] / row["ours_us"], 2)
    out = {"benchmark": "core_step", "dtype": args.dtype, "optimizer": "adam",
           "net": "2-width-width-4 relu", "numpy": np.__version__, "torch": torch_version,
           "jax": jax_version, "omp_threads": os.environ.get("OMP_NUM_THREADS"),
           "torch_threads": threads, "machine": platform.machine(), "cpus": os.cpu_count(),
           "rows": rows}
    if torch is not None:
        small = [r["torch_over_ours"] for r in rows if r["width"] <= 64]
        out["min_ratio_width_le_64"] = min(small)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
