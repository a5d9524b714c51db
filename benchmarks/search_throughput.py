"""Trials per second of the population executor (trials of one structure trained together,
batched) against one trial per task, on the same search and the same worker count.

The search (issue 15): 200 random trials on moons, lr log 1e-4..1, momentum as 1 − β on a
log scale 0.9..0.999, hidden width int 16..64 (both layers), optimizer momentum, 500 steps.
Widths vary: the population executor groups trials by structure (depth, activation,
optimizer, batch, …) with widths sorted, and each group (groups.plan_groups sizes them) trains
at its widest member's width with the other members' extra units zero (they contribute nothing
and get no gradient). The dtype is the app's default (float32) unless --dtype says float64.
Both executors run in this one invocation,
alternating when repeated, so a noisy neighbour hits both alike; each timing includes
starting the workers; the workers' CPU seconds (steadier than wall time on a shared
machine) are reported too. Also reports how far the two paths' results differ.
Prints one JSON object.
Usage: python benchmarks/search_throughput.py [--trials 200] [--steps 500] [--repeats 1]
       [--dtype float32|float64]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import Param, Search, SearchSpace, SearchSpec, plan_groups
from bn_studio.core.training.trainer import TrainConfig


def timed(spec, split, workers: int, executor: str) -> tuple[float, float, list[dict]]:
    """(wall seconds, CPU seconds of the workers, results). The workers' CPU time (they are
    reaped when the search ends) is what a loaded machine disturbs least."""
    t0, c0 = time.perf_counter(), _children_cpu()
    results = Search(spec, split, workers=workers, executor=executor).run()
    return time.perf_counter() - t0, _children_cpu() - c0, results


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def compare(a: list, b: list) -> dict:
    """Largest relative difference of val loss / accuracy and of any curve value, and
    whether status and divergence step agree for every trial."""
    worst_loss = worst_curve = 0.0
    same_status = True
    for x, y in zip(a, b):
        same_status &= (x.status, x.diverged_at) == (y.status, y.diverged_at)
        if x.val_loss is not None and y.val_loss is not None:
            worst_loss = max(worst_loss, _rel(x.val_loss, y.val_loss),
                             _rel(x.val_accuracy, y.val_accuracy))
        if x.curve and y.curve:
            for key in ("train_loss", "val_loss", "val_accuracy"):
                for u, v in zip(x.curve[key], y.curve[key]):
                    if u is not None and v is not None:
                        worst_curve = max(worst_curve, _rel(u, v))
    return {"max_rel_diff_val": worst_loss, "max_rel_diff_curves": worst_curve,
            "same_status_and_divergence": bool(same_status)}


def _rel(u: float, v: float) -> float:
    return abs(u - v) / max(abs(v), 1e-300) if u != v else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args()
    split = split_and_standardize(make_dataset("moons", n=1000, seed=0), seed=0)
    space = SearchSpace([Param("lr", "log", 1e-4, 1.0),
                         Param("momentum", "one_minus_log", 0.9, 0.999),
                         Param("hidden", "int", 16, 64)])
    base = TrainConfig(hidden=(32, 32), optimizer="momentum", batch=64, steps=args.steps,
                       dtype=args.dtype)
    spec = SearchSpec(space, args.trials, base, seed=0)
    times = {"trial": [], "population": []}
    cpu = {"trial": [], "population": []}
    results = {}
    for _ in range(args.repeats):
        for executor in ("population", "trial"):
            t, c, results[executor] = timed(spec, split, args.workers, executor)
            times[executor].append(t)
            cpu[executor].append(c)
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    rate = {k: args.trials / v for k, v in best.items()}
    statuses = {s: sum(r.status == s for r in results["trial"])
                for s in ("ok", "diverged", "failed", "cancelled")}
    print(json.dumps({
        "benchmark": "search_throughput", "trials": args.trials, "steps_per_trial": args.steps,
        "workers": args.workers, "cpus": os.cpu_count(), "dtype": base.dtype,
        "group_sizes": [len(g.trials) for g in plan_groups(spec.plan(), base)],
        "widths": "padded within groups sorted by width",
        "statuses": statuses,
        "trials_per_second_population": round(rate["population"], 2),
        "trials_per_second_one_per_task": round(rate["trial"], 2),
        "ratio": round(rate["population"] / rate["trial"], 2), "target_ratio": 10.0,
        "all_seconds": {k: [round(t, 2) for t in v] for k, v in times.items()},
        "worker_cpu_seconds": {k: [round(t, 2) for t in v] for k, v in cpu.items()},
        "cpu_ratio": round(best_cpu["trial"] / best_cpu["population"], 2),
        **compare(results["population"], results["trial"]),
        "load_average": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()
