"""BN tolerates a wider range of learning rates: the width, in decades, of the α range whose
final validation loss is within 10 % of each twin's best.

For each dataset (moons, spirals) and seed, runs the tuning panel's α-range search (a log
grid of α over 1e-3 … 10, every trial as twins: the same initial weights and batches with and
without BN) and measures each twin's good range (core/search/analysis.py). Prints one JSON
object: per dataset the median width per twin, how many seeds BN's range was wider, and
every seed's numbers.
Usage: python benchmarks/alpha_range.py [--seeds 10] [--steps 300] [--trials 25] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bn_studio.core.data.datasets import DatasetSpec, split_and_standardize
from bn_studio.core.search import Search
from bn_studio.core.search.analysis import (alpha_range_report, alpha_range_spec,
                                            good_range_decades, median_loss, twin_points)
from bn_studio.core.training.trainer import TrainConfig

# A deep ReLU net with plain SGD: both twins learn at a good α, so each one's best is a
# real loss, not chance (a twin that never learns would look 'flat', i.e. wide).
BASE = TrainConfig(hidden=(32, 32, 32, 32), activation="relu", optimizer="sgd", batch=32,
                   eval_every=50)
DATASETS = {"moons": DatasetSpec("moons", n=600, noise=0.5, seed=0),
            "spirals": DatasetSpec("spirals", n=600, noise=1.0, classes=3, seed=0)}


def run(name: str, seed: int, args) -> tuple[dict, list]:
    split = split_and_standardize(DATASETS[name].make(), seed=0)
    spec = alpha_range_spec(BASE.replace(steps=args.steps), trials=args.trials, seed=seed)
    results = Search(spec, split, workers=args.workers, executor="population").run()
    row = {"seed": seed, **{twin: {k: (round(v, 4) if isinstance(v, float) else v)
                                   for k, v in rep.items()}
                            for twin, rep in alpha_range_report(results).items()}}
    return row, results


def seed_median_width(all_results: list) -> dict:
    """The width on the median-over-seeds loss at each α (the grid is the same every seed):
    one seed's noise no longer decides which α count as good."""
    out = {}
    for twin in ("bn", "no_bn"):
        points = [twin_points(r, twin) for r in all_results]
        alpha = points[0][0]
        out[twin] = round(good_range_decades(alpha, median_loss([p[1] for p in points])), 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--trials", type=int, default=25)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--datasets", default="moons,spirals")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {"net": "4×32 ReLU, SGD, batch 32", "steps": args.steps, "trials": args.trials,
           "alpha": "log grid 1e-3 … 10", "within": "10 % of each twin's best"}
    for name in args.datasets.split(","):
        runs = [run(name, seed, args) for seed in range(args.seeds)]
        rows = [r for r, _ in runs]
        width = {t: [r[t]["decades"] for r in rows if r[t]["decades"] is not None]
                 for t in ("bn", "no_bn")}
        out[name] = {"decades_of_seed_median_loss": seed_median_width([r for _, r in runs]),
                     "median_decades": {t: round(statistics.median(w), 3) if w else None
                                        for t, w in width.items()},
                     "bn_wider_in": sum((r["bn"]["decades"] or 0) > (r["no_bn"]["decades"] or 0)
                                        for r in rows),
                     "median_best_loss": {t: round(statistics.median(
                         r[t]["best_loss"] for r in rows if r[t]["best_loss"] is not None), 4)
                         for t in ("bn", "no_bn")},
                     "per_seed": rows}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
