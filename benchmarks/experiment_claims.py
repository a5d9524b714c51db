"""The claims of the diagnostics panel and of the experiment lessons (9 and up), re-run with
the core over seeds.

Each claim is (id, where it is made, the sentence, fn(seed) → (holds, numbers)); a claim must
hold in at least 80 % of the seeds for its sentence to stand. CLAIMS is this module's list, in
the shape of benchmarks/lesson_claims.py's, so that script can register them. Run alone it
prints ONE JSON object: per claim, the sentence, the share of seeds it holds in and the
numbers measured.
Usage: python benchmarks/experiment_claims.py [--seeds 40] [--only G]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from bn_studio.core import lessons as L
from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.lesson_pack import LESSON_DEFAULTS
from bn_studio.core.trainer import TrainConfig, TwinTrainer

CLAIMS: list[tuple[str, str, str, callable]] = []     # (id, where, sentence, fn(seed))
_cache: dict = {}


def claim(cid: str, where: str, sentence: str):
    def register(fn):
        CLAIMS.append((cid, where, sentence, fn))
        return fn
    return register


def cached(key, fn):
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]


def lesson_run(lesson_id: str, seed: int, steps: tuple[int, ...], runs=("bn", "no_bn"),
               **changes) -> dict:
    """Train a lesson's twins (its dataset and settings, ``changes`` on top) to max(steps);
    at each step in ``steps`` keep the trainer's per-run numbers."""
    les = L.lesson(lesson_id)
    split = cached(("split", lesson_id), lambda: split_and_standardize(
        make_dataset(**les.dataset, seed=0)))
    cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed, **changes})
    return _record(TwinTrainer(cfg, split, runs=runs), steps)


def _record(t: TwinTrainer, steps) -> dict:
    out = {}
    while t.step_count < max(steps):
        t.step()
        if t.step_count in steps:
            out[t.step_count] = {name: {
                "val_loss": float(run.evals.view()[-1, 3]),
                "gamma": [hl.bn.params["gamma"].copy() for hl in run.net.hidden
                          if hl.bn is not None],
                "dz_std": [float(np.std(hl.dZ)) for hl in run.net.hidden],
                "dw_std": [float(np.std(hl.dense.grads["W"])) for hl in run.net.hidden],
            } for name, run in t.runs.items()}
    return out


# The diagnostics panel (README, help): the default run's first-layer gradients
def default_run(seed: int) -> dict:
    def run():
        split = cached("default_split", lambda: split_and_standardize(DEFAULT_DATASET.make(),
                                                                       seed=0))
        return _record(TwinTrainer(DEFAULT_CONFIG.replace(seed=seed), split), (1, 300, 2000))
    return cached(("default", seed), run)


@claim("G.narrow_early", "README, Diagnostics panel",
       "In the default run the net without BN has first-layer gradients dL/dZ over 100 times "
       "narrower (std) than the net with BN at step 1 and at step 300.")
def _(seed):
    r = default_run(seed)
    ratios = {s: r[s]["bn"]["dz_std"][0] / r[s]["no_bn"]["dz_std"][0] for s in (1, 300)}
    return min(ratios.values()) > 100, {f"bn_over_no_bn_step_{s}": round(v, 1)
                                        for s, v in ratios.items()}


@claim("G.narrow_late", "README",
       "At step 2000 the net without BN still has the narrower first-layer dL/dZ, more than "
       "2 times narrower; by how much varies widely from seed to seed.")
def _(seed):
    r = default_run(seed)[2000]
    ratio = r["bn"]["dz_std"][0] / r["no_bn"]["dz_std"][0]
    return ratio > 2, {"bn_over_no_bn_step_2000": round(ratio, 2)}


# Lesson 9: why γ and β are learned
def frozen_pair(seed: int) -> dict:
    return cached(("frozen", seed), lambda: {
        "learned": lesson_run("gamma_beta", seed, (300, 1000)),
        "frozen": lesson_run("gamma_beta", seed, (300, 1000), runs=("bn",),
                             freeze_bn_affine=True)})


@claim("L9.frozen_stalls", "lesson 9 answer",
       "At step 1000 the BN net with γ and β learned has a validation loss below 0.2, with "
       "them frozen at 1 and 0 it stays above 0.7.")
def _(seed):
    p = frozen_pair(seed)
    learned, frozen = p["learned"][1000]["bn"]["val_loss"], p["frozen"][1000]["bn"]["val_loss"]
    return learned < 0.2 and frozen > 0.7, {"learned": round(learned, 3),
                                            "frozen": round(frozen, 3)}


@claim("L9.frozen_behind_no_bn", "lesson 9 answer",
       "Frozen, the BN net ends behind even the net without BN (validation loss at step 1000).")
def _(seed):
    p = frozen_pair(seed)
    frozen, plain = p["frozen"][1000]["bn"]["val_loss"], p["learned"][1000]["no_bn"]["val_loss"]
    return frozen > plain, {"frozen_bn": round(frozen, 3), "no_bn": round(plain, 3)}


@claim("L9.gamma_spread", "lesson 9 answer",
       "Learned, the γ of the first layer's units spread from 1 to below 0.75 and above 4 by "
       "step 1000.")
def _(seed):
    g = frozen_pair(seed)["learned"][1000]["bn"]["gamma"][0]
    return float(g.min()) < 0.75 and float(g.max()) > 4, {"gamma_min": round(float(g.min()), 2),
                                                         "gamma_max": round(float(g.max()), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--only", default="", help="run only claims whose id starts with this")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {}
    for cid, where, sentence, fn in CLAIMS:
        if not cid.startswith(args.only):
            continue
        rows = []
        for seed in range(args.seeds):
            ok, nums = fn(seed)
            rows.append({"seed": seed, "holds": bool(ok), **nums})
        share = sum(r["holds"] for r in rows) / len(rows)
        out[cid] = {"where": where, "sentence": sentence, "share": round(share, 3),
                    "stands": share >= 0.8, "per_seed": rows}
        print(f"{cid}: {share:.2f}", file=sys.stderr)
    print(json.dumps({"seeds": args.seeds, "claims": out,
                      "all_stand": all(c["stands"] for c in out.values()),
                      "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
