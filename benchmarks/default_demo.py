"""Does the default run show what its hint says? The twins of the app's default run, 40 seeds.

For each seed s (weights, batch order, and the default dataset drawn and split with seed s),
both twins train on identical initial weights, batches and α; only BN differs. Reported: both
twins' validation accuracy and loss at 100, 300, 1000 and 2000 steps, and the targets of the
first-five-minutes issue:
  - BN's validation accuracy ahead by ≥ 0.15 at 300 and at 1000 steps, in ≥ 80 % of seeds;
  - after step 200, BN's validation loss below no-BN's at every evaluation, in ≥ 80 % of seeds.
The README's and the hint's sentences about the default run are measured, over the same
seeds, by benchmarks/lesson_claims.py (claims D.* and H.*).
Options override one setting of the default to explore (the defaults live in core/defaults.py).
Prints one JSON object.
Usage: python benchmarks/default_demo.py [--seeds 10] [--steps 2000] [--hidden 32,32,32]
       [--lr 0.3] [--batch 32] [--activation sigmoid] [--optimizer momentum]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np

from bn_studio.core.data.datasets import split_and_standardize
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.training.trainer import TwinTrainer, advance

CHECKPOINTS = (100, 300, 1000, 2000)
LEAD = 0.15                 # accuracy lead that counts as "visibly ahead"
LOSS_FROM_STEP = 200


def run_seed(config, split, seed: int, steps: int) -> dict:
    trainer = TwinTrainer(config.replace(seed=seed), split)
    advance(trainer, steps)
    evals = {name: run.evals.view() for name, run in trainer.runs.items()}

    def at(name: str, step: int, col: int) -> float:
        e = evals[name]
        return round(float(e[min(np.searchsorted(e[:, 0], step), len(e) - 1), col]), 4)

    bn, no_bn = evals["bn"], evals["no_bn"]
    later = bn[:, 0] > LOSS_FROM_STEP
    behind = later & ~(bn[:, 3] < no_bn[:, 3])          # NaN (diverged) counts as behind
    return {
        "seed": seed,
        "val_accuracy": {s: [at("bn", s, 4), at("no_bn", s, 4)] for s in CHECKPOINTS
                         if s <= steps},
        "val_loss": {s: [at("bn", s, 3), at("no_bn", s, 3)] for s in CHECKPOINTS
                     if s <= steps},
        "bn_loss_not_below_from_step": int(bn[behind, 0][0]) if behind.any() else None,
        "diverged_at": {name: run.diverged_at for name, run in trainer.runs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--hidden")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--activation")
    ap.add_argument("--optimizer")
    args = ap.parse_args()
    changes = {k: v for k, v in (("lr", args.lr), ("batch", args.batch),
                                 ("activation", args.activation),
                                 ("optimizer", args.optimizer)) if v is not None}
    if args.hidden:
        changes["hidden"] = tuple(int(h) for h in args.hidden.split(","))
    config = DEFAULT_CONFIG.replace(**changes)
    t0 = time.perf_counter()
    seeds = [run_seed(config, split_and_standardize(
        dataclasses.replace(DEFAULT_DATASET, seed=s).make(), seed=s), s, args.steps)
        for s in range(args.seeds)]

    def lead_at(step: int) -> int:
        return sum(r["val_accuracy"][step][0] - r["val_accuracy"][step][1] >= LEAD
                   for r in seeds if step in r["val_accuracy"])

    def mean(key: str, step: int, k: int) -> float:
        return round(float(np.mean([r[key][step][k] for r in seeds])), 3)

    loss_below = sum(r["bn_loss_not_below_from_step"] is None for r in seeds)
    out = {
        "dataset": DEFAULT_DATASET.__dict__,
        "config": config.to_dict(),
        "seeds": args.seeds,
        "mean_val_accuracy_bn_no_bn": {s: [mean("val_accuracy", s, 0),
                                           mean("val_accuracy", s, 1)]
                                       for s in CHECKPOINTS if s <= args.steps},
        "mean_val_loss_bn_no_bn": {s: [mean("val_loss", s, 0), mean("val_loss", s, 1)]
                                   for s in CHECKPOINTS if s <= args.steps},
        "seeds_bn_ahead_by_0.15_at_300": lead_at(300),
        "seeds_bn_ahead_by_0.15_at_1000": lead_at(1000),
        "seeds_bn_loss_below_after_200": loss_below,
        "targets_met": (lead_at(300) >= 0.8 * args.seeds and lead_at(1000) >= 0.8 * args.seeds
                        and loss_below >= 0.8 * args.seeds),
        "per_seed": seeds,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
