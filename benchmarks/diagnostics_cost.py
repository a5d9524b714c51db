"""What the diagnostics cost the training process: steps per second of the default run at
full speed with the diagnostics panel shown against hidden (the live worker, the app's own
path, wall clock), and the same loop in this process on its CPU clock (robust to other load):
without the recorder, recording (panel hidden), and publishing diagnostics as the worker does
(panel shown). The target: ≤ 10 % fewer steps/s with the panel shown.

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

from bn_studio.core.data.datasets import split_and_standardize
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.training.trainer import TwinTrainer
from bn_studio.live.worker import DIAGNOSTICS_COST_RATIO

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


def core_rate(split, seconds: float, record: bool, shown: bool) -> float:
    """Steps per CPU second of the twins with the worker's publishing (a snapshot every
    1/40 s, diagnostics as the worker throttles them), timed on this process's CPU clock so
    that other work on the machine does not count."""
    clock = time.process_time
    t = TwinTrainer(DEFAULT_CONFIG, split, history_rows=4096, smoothness_every=10,
                    diagnostics=record)
    for _ in range(20):
        t.step()
    n, t0 = 0, clock()
    last = diag_time = t0
    diag_wait = PUBLISH_INTERVAL_S
    while clock() - t0 < seconds:
        t.step()
        n += 1
        now = clock()
        if now - last >= PUBLISH_INTERVAL_S:
            t.snapshot()
            if shown and now - diag_time >= diag_wait:
                t.diagnostics_snapshot()
                diag_time = now
                diag_wait = max(PUBLISH_INTERVAL_S, DIAGNOSTICS_COST_RATIO * (clock() - now))
            last = now
    return n / (clock() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    split = split_and_standardize(DEFAULT_DATASET.make(), seed=0)
    t0 = time.perf_counter()
    core = {"no_recorder": [], "panel_hidden": [], "panel_shown": []}
    for _ in range(args.rounds):
        core["no_recorder"].append(core_rate(split, args.seconds, False, False))
        core["panel_hidden"].append(core_rate(split, args.seconds, True, False))
        core["panel_shown"].append(core_rate(split, args.seconds, True, True))
    live = worker_rates(split, args.seconds, args.rounds)
    med = {k: statistics.median(v) for k, v in {**core, **live}.items()}
    print(json.dumps({
        "load_average_1min": round(os.getloadavg()[0], 2),
        "worker_steps_per_s": {k: round(med[k], 1) for k in live},
        "worker_cost_of_showing": round(1 - med["shown"] / med["hidden"], 4),
        "core_steps_per_cpu_s": {k: round(med[k], 1) for k in core},
        "core_cost_of_recording": round(1 - med["panel_hidden"] / med["no_recorder"], 4),
        "core_cost_of_showing": round(1 - med["panel_shown"] / med["panel_hidden"], 4),
        "core_cost_of_both": round(1 - med["panel_shown"] / med["no_recorder"], 4),
        "rounds": {k: [round(r, 1) for r in v] for k, v in {**core, **live}.items()},
        "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
