"""The decision-region grid in passes of GRID_CHUNK_ROWS nodes against one pass of all of them.

For each activation, both twins of the app's default network (5 hidden layers of 32) are
evaluated on the 90 x 90 grid, as the training process does at every picture it sends: once
as one 8100-row pass (the reference, measured in the same run) and once as
core.measure.grid.decision_grid does it. Prints one JSON object: the median time of each,
their ratio, and the largest difference of the probabilities (0: the same numbers).
Usage: python benchmarks/grid_chunks.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from bn_studio.core.data.datasets import split_and_standardize
from bn_studio.core.measure.grid import (GRID_CHUNK_ROWS, GRID_RESOLUTION, decision_grid,
                                         grid_points)
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.training.trainer import TwinTrainer

EXTENT = (-3.0, 3.0, -3.0, 3.0)


def one_pass(nets: dict) -> dict:
    pts = grid_points(EXTENT, GRID_RESOLUTION)
    with np.errstate(all="ignore"):
        return {name: net.clone().predict_proba(pts).reshape(GRID_RESOLUTION, GRID_RESOLUTION, -1)
                .astype(np.float32) for name, net in nets.items()}


def median_ms(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args()
    split = split_and_standardize(DEFAULT_DATASET.make(), seed=0)
    out = {"chunk_rows": GRID_CHUNK_ROWS, "resolution": GRID_RESOLUTION, "activations": {}}
    for activation in ("sigmoid", "tanh", "relu"):
        trainer = TwinTrainer(DEFAULT_CONFIG.replace(activation=activation), split)
        for _ in range(20):
            trainer.step()
        nets = {name: run.net for name, run in trainer.snapshot().runs.items()}
        reference = median_ms(lambda n=nets: one_pass(n), args.repeats)
        chunked = median_ms(lambda n=nets: decision_grid(n, EXTENT, 0), args.repeats)
        want, got = one_pass(nets), decision_grid(nets, EXTENT, 0).probs
        out["activations"][activation] = {
            "one_pass_ms": round(reference, 2), "chunked_ms": round(chunked, 2),
            "speedup": round(reference / chunked, 2),
            "max_abs_difference": float(max(np.abs(want[n] - got[n]).max() for n in want))}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
