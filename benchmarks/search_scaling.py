"""Wall time of the same 16-trial random search with 1 and 2 worker processes, and the speed-up.

Each timing includes starting the workers (once per search) and is the best of ``--repeats``
runs, 1- and 2-worker runs interleaved so a noisy neighbour hits both alike. Target (DESIGN §6):
speed-up ≥ 1.8 on 2 cores. Prints one JSON object.
Usage: python benchmarks/search_scaling.py [--trials 16] [--steps 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import Param, Search, SearchSpace, SearchSpec
from bn_studio.core.training.trainer import TrainConfig


def timed_search(spec, split, workers: int) -> tuple[float, list[dict]]:
    t0 = time.perf_counter()
    results = Search(spec, split, workers=workers).run()
    return time.perf_counter() - t0, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    split = split_and_standardize(make_dataset("moons", n=1000, seed=0), seed=0)
    # Every trial costs about the same (fixed widths, learning rates that do not diverge and
    # stop early), so the speed-up measures the pool, not how 16 uneven trials happen to pack.
    space = SearchSpace([Param("lr", "log", 1e-3, 3e-2),
                         Param("beta1", "one_minus_log", 0.8, 0.99),
                         Param("beta2", "one_minus_log", 0.99, 0.9999)])
    spec = SearchSpec(space, args.trials, TrainConfig(hidden=(64, 64), batch=128,
                                                      steps=args.steps, eval_every=100), seed=0)
    times = {1: [], 2: []}
    results = {}
    for _ in range(args.repeats):
        for workers in (1, 2):
            t, results[workers] = timed_search(spec, split, workers)
            times[workers].append(t)
    t1, t2 = min(times[1]), min(times[2])
    key = [(r.params, r.seed, r.status, r.val_loss) for r in results[1]]
    same = key == [(r.params, r.seed, r.status, r.val_loss) for r in results[2]]
    per_trial = sum(r.seconds for r in results[1]) / len(results[1])
    print(json.dumps({"benchmark": "search_scaling", "trials": args.trials,
                      "steps_per_trial": args.steps, "cpus": os.cpu_count(),
                      "seconds_per_trial": round(per_trial, 3),
                      "seconds_1_worker": round(t1, 2), "seconds_2_workers": round(t2, 2),
                      "all_seconds": {str(k): [round(t, 2) for t in v] for k, v in times.items()},
                      "speedup": round(t1 / t2, 2), "target_speedup": 1.8,
                      "identical_results": same}))


if __name__ == "__main__":
    main()
