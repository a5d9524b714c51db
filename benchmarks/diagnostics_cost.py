"""What the diagnostics cost the training process: steps per second of the default run at
full speed with the diagnostics panel shown against hidden (the live worker, the app's own
path), and in the core alone without the recorder, with it, and with a diagnostics snapshot
40 times a second (as the worker publishes). The target: ≤ 10 % fewer steps/s when shown.

Rounds alternate (hidden, shown, hidden, …) so a change of machine load hits both alike;
the medians of the rounds are compared. Prints one JSON object.
Usage: python benchmarks/diagnostics_cost.py [--seconds 4] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from bn_studio.core.datasets import split_and_standardize
from bn_studio.core.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.trainer import TwinTrainer

PUBLISH_INTERVAL_S = 1 / 40        # the worker's SNAPSHOT_INTERVAL_S


def worker_rate(worker, seconds: float) -> float:
    """Steps per second of the running worker over ``seconds`` (after a short settle)."""
    time.sleep(0.3)
    worker.wait_idle()
    s0, t0 = worker.peek().step, time.perf_counter()
    time.sleep(seconds)
    worker.wait_idle()
    return (worker.peek().step - s0) / (time.perf_counter() - t0)


def worker_rates(split, seconds: float, rounds: int) -> dict:
    from bn_studio.live.worker import TrainingWorker
    worker = TrainingWorker()
    try:
        worker.reset(DEFAULT_CONFIG, split)          # the worker ignores config.steps
        worker.set_speed(None)
        worker.play()
        rates = {"hidden": [], "shown": []}
        for _ in range(rounds):
            for mode in ("hidden", "shown"):
                worker.show_diagnostics(mode == "shown")
                rates[mode].append(worker_rate(worker, seconds))
        return rates
    finally:
        worker.stop()


def core_rate(split, seconds: float, record: bool, publish: bool) -> float:
    t = TwinTrainer(DEFAULT_CONFIG, split, history_rows=4096, smoothness_every=10,
                    diagnostics=record)
    for _ in range(20):
        t.step()
    n, t0 = 0, time.perf_counter()
    last = t0
    while time.perf_counter() - t0 < seconds:
        t.step()
        n += 1
        now = time.perf_counter()
        if now - last >= PUBLISH_INTERVAL_S:
            t.snapshot(diagnostics=publish)
            last = now
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    split = split_and_standardize(DEFAULT_DATASET.make(), seed=0)
    t0 = time.perf_counter()
    core = {"no_recorder": [], "recording": [], "recording_and_snapshots": []}
    for _ in range(args.rounds):
        core["no_recorder"].append(core_rate(split, args.seconds, False, False))
        core["recording"].append(core_rate(split, args.seconds, True, False))
        core["recording_and_snapshots"].append(core_rate(split, args.seconds, True, True))
    live = worker_rates(split, args.seconds, args.rounds)
    med = {k: statistics.median(v) for k, v in {**core, **live}.items()}
    print(json.dumps({
        "load_average_1min": round(os.getloadavg()[0], 2),
        "worker_steps_per_s": {k: round(med[k], 1) for k in live},
        "worker_cost_of_showing": round(1 - med["shown"] / med["hidden"], 4),
        "core_steps_per_s": {k: round(med[k], 1) for k in core},
        "core_cost_of_recording": round(1 - med["recording"] / med["no_recorder"], 4),
        "core_cost_of_recording_and_snapshots":
            round(1 - med["recording_and_snapshots"] / med["no_recorder"], 4),
        "rounds": {k: [round(r, 1) for r in v] for k, v in {**core, **live}.items()},
        "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
