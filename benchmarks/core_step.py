"""Median time of one full Adam training step (forward, backward, update) of a
2 → width → width → 4 MLP, ours vs PyTorch eager on the CPU with the same thread count.

Prints one JSON object. PyTorch is optional: without it the torch columns are omitted.
Usage: python benchmarks/core_step.py [--repeats 300] [--dtype float32]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from bn_studio.core.network import MLP, NetConfig
from bn_studio.core.optim import Optimizer

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
    rows = []
    for batch in BATCHES:
        for width in WIDTHS:
            for bn in (True, False):
                row = {"batch": batch, "width": width, "bn": bn,
                       "ours_us": round(ours(batch, width, bn, args.dtype, args.repeats) * 1e6, 1)}
                if torch is not None:
                    t = torch_step(batch, width, bn, args.dtype, args.repeats)
                    row["torch_us"] = round(t * 1e6, 1)
                    row["torch_over_ours"] = round(row["torch_us"] / row["ours_us"], 2)
                rows.append(row)
    out = {"benchmark": "core_step", "dtype": args.dtype, "optimizer": "adam",
           "net": "2-width-width-4 relu", "numpy": np.__version__, "torch": torch_version,
           "torch_threads": threads, "machine": platform.machine(), "cpus": os.cpu_count(),
           "rows": rows}
    if torch is not None:
        small = [r["torch_over_ours"] for r in rows if r["width"] <= 64]
        out["min_ratio_width_le_64"] = min(small)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
