"""Wall time of the same 16-trial random search with 1 and 2 worker processes, and the speed-up.

Prints one JSON object. Usage: python benchmarks/search_scaling.py [--trials 16] [--steps 800]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import Param, Search, SearchSpace, SearchSpec
from bn_studio.core.trainer import TrainConfig


def timed_search(spec, split, workers: int) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    results = Search(spec, split, workers=workers).run()
    return time.perf_counter() - t0, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--steps", type=int, default=800)
    args = ap.parse_args()
    split = split_and_standardize(make_dataset("moons", n=600, seed=0), seed=0)
    space = SearchSpace([Param("lr", "log", 1e-3, 1e-1), Param("hidden", "int", 32, 64),
                         Param("beta1", "one_minus_log", 0.8, 0.99)])
    spec = SearchSpec(space, args.trials, TrainConfig(hidden=(64, 64), steps=args.steps,
                                                      eval_every=50), seed=0)
    t1, r1 = timed_search(spec, split, 1)
    t2, r2 = timed_search(spec, split, 2)
    same = [(a["params"], a["val_loss"]) for a in r1] == [(b["params"], b["val_loss"]) for b in r2]
    print(json.dumps({"benchmark": "search_scaling", "trials": args.trials,
                      "steps_per_trial": args.steps, "cpus": os.cpu_count(),
                      "seconds_1_worker": round(t1, 2), "seconds_2_workers": round(t2, 2),
                      "speedup": round(t1 / t2, 2), "identical_results": same}))


if __name__ == "__main__":
    main()
