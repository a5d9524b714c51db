"""The claims of the diagnostics panel and of the experiment lessons (9 and up), re-run with
the core over seeds.

Each claim is (id, where it is made, the sentence, fn(seed) → (holds, numbers)); a claim must
hold in at least 80 % of the seeds for its sentence to stand. CLAIMS is this module's list, in
the shape of benchmarks/lesson_claims.py's, so that script can register them. Run alone it
prints ONE JSON object: per claim, the sentence, the share of seeds it holds in and the
numbers measured.
Lessons 12-15's claims live in benchmarks/bn_claims.py, lesson 16's in
benchmarks/importance_claims.py; they run with these.
Usage: python benchmarks/experiment_claims.py [--seeds 40] [--only G] [--merge STORED.json]
(--merge: the claims run now replace theirs in STORED, whose other claims are kept as measured;
a claim no longer in CLAIMS is dropped; each claim records its own run's "seconds".)
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np

from bn_studio.core.lessons import numbers as L
from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.lessons.pack import LESSON_DEFAULTS
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, split_for

# The registry and the other claim modules sit beside this file: found also when this script
# is loaded by path (the tests do).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from claim_registry import CLAIMS, cached, claim



def lesson_run(lesson_id: str, seed: int, steps: tuple[int, ...], runs=("bn", "no_bn"),
               data_seed: int = 0, **changes) -> dict:
    """Train a lesson's twins (its dataset drawn with ``data_seed``, its settings with
    ``changes`` on top) to max(steps); at each step in ``steps`` keep the per-run numbers."""
    les = L.lesson(lesson_id)
    cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed, **changes})
    split = cached(("split", lesson_id, data_seed, cfg.standardize, cfg.x2_scale),
                   lambda: split_for(make_dataset(**les.dataset, seed=data_seed), cfg))
    return _record(TwinTrainer(cfg, split, runs=runs), steps)


def x1_share(net, split) -> float:
    """x₁'s share of the first layer's Z = x₁w₁ + x₂w₂ (Σ over units of |w|·std(x) as the
    net sees x): about ½ when both inputs matter alike, about 1 % when x₂ drowns x₁."""
    part = np.abs(net.hidden[0].dense.params["W"]).sum(axis=1) * split.X_train.std(axis=0)
    return float(part[0] / part.sum())


def _record(t: TwinTrainer, steps) -> dict:
    out = {}
    while t.step_count < max(steps):
        t.step()
        if t.step_count in steps:
            out[t.step_count] = {name: {
                "val_loss": float(run.evals.view()[-1, 3]),
                "val_acc": float(run.evals.view()[-1, 4]),
                "diverged_at": run.diverged_at,
                "max_batch_loss_100": float(np.nanmax(run.train.view()[:100, 1])),
                "x1_share": x1_share(run.net, t.split),
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


# Lesson 10: input normalisation and BN
def input_runs(seed: int) -> dict:
    """Lesson 10's twins on a fresh draw of its data: as the lesson starts (x₂ × 100, not
    standardised) to step 2000, and with 'Standardise' ticked to step 1000."""
    return cached(("inputs", seed), lambda: {
        "raw": lesson_run("input_scale", seed, (1000, 2000), data_seed=seed),
        "std": lesson_run("input_scale", seed, (1000,), data_seed=seed, standardize=True)})


def _r(v):
    return None if v is None else round(float(v), 3)


@claim("L10.scale_one", "lesson 10 answer",
       "Unstandardised but with x₂ × 1 (the spirals' x₁ and x₂ both span about −1 … 1), both "
       "nets learn again: by step 1000 the validation loss is below 0.1 with BN and below 0.4 "
       "without.")
def _(seed):
    r = cached(("inputs_x1", seed), lambda: lesson_run("input_scale", seed, (1000,),
                                                        data_seed=seed, x2_scale=1.0))[1000]
    bn, plain = r["bn"]["val_loss"], r["no_bn"]["val_loss"]
    return bn < 0.1 and plain < 0.4, {"bn": _r(bn), "no_bn": _r(plain)}


@claim("L10.standardised", "lesson 10 answer",
       "With the inputs standardised both nets learn the spirals: by step 1000 the validation "
       "loss is below 0.1 with BN and below 0.3 without.")
def _(seed):
    r = input_runs(seed)["std"][1000]
    bn, plain = r["bn"]["val_loss"], r["no_bn"]["val_loss"]
    return bn < 0.1 and plain < 0.3, {"bn": _r(bn), "no_bn": _r(plain)}


@claim("L10.no_bn_thrown", "lesson 10 answer",
       "Without standardisation the net without BN is thrown off at once: its batch loss jumps "
       "above 20 within the first 100 steps (it stays below 2 with standardised inputs), and "
       "it has not recovered by step 1000: its validation accuracy is still below 0.6, where "
       "guessing gets 0.33.")
def _(seed):
    runs = input_runs(seed)
    raw, std = runs["raw"][1000]["no_bn"], runs["std"][1000]["no_bn"]
    ok = (raw["max_batch_loss_100"] > 20 and std["max_batch_loss_100"] < 2
          and raw["val_acc"] < 0.6)
    return ok, {"max_batch_loss_100": _r(raw["max_batch_loss_100"]),
                "standardised_max_batch_loss_100": _r(std["max_batch_loss_100"]),
                "val_acc": _r(raw["val_acc"]), "val_loss": _r(raw["val_loss"]),
                "diverged_at": raw["diverged_at"]}


@claim("L10.bn_stalls", "lesson 10 answer",
       "The net with BN does not blow up and learns part of the spirals, but stalls: its "
       "validation loss is still above 0.25 at step 1000 and at step 2000, over 5 times what "
       "it reaches standardised by step 1000.")
def _(seed):
    runs = input_runs(seed)
    raw, std = runs["raw"], runs["std"][1000]["bn"]
    l1, l2 = raw[1000]["bn"]["val_loss"], raw[2000]["bn"]["val_loss"]
    ok = (raw[1000]["bn"]["max_batch_loss_100"] < 5 and raw[1000]["bn"]["val_acc"] > 0.4
          and min(l1, l2) > 0.25 and min(l1, l2) > 5 * std["val_loss"])
    return ok, {"val_loss_1000": _r(l1), "val_loss_2000": _r(l2),
                "val_acc_1000": _r(raw[1000]["bn"]["val_acc"]),
                "max_batch_loss_100": _r(raw[1000]["bn"]["max_batch_loss_100"]),
                "standardised_val_loss_1000": _r(std["val_loss"])}


@claim("L10.x1_drowned", "lesson 10 answer",
       "At step 1000 x₁ is still drowned in both nets: its part of the first layer's Z "
       "(Σ|w₁|·std x₁ over the units, against Σ|w₂|·std x₂) is under 3 %, against 30–70 % "
       "with standardised inputs.")
def _(seed):
    runs = input_runs(seed)
    raw = [runs["raw"][1000][n]["x1_share"] for n in ("bn", "no_bn")]
    std = [runs["std"][1000][n]["x1_share"] for n in ("bn", "no_bn")]
    ok = max(raw) < 0.03 and all(0.3 <= v <= 0.7 for v in std)
    return ok, {"bn": _r(raw[0]), "no_bn": _r(raw[1]), "standardised_bn": _r(std[0]),
                "standardised_no_bn": _r(std[1])}


# Lesson 11: covariate shift done right
SHIFT_AT = 1000
SHIFT_AFTER = 200               # steps trained after the shift


def shift_runs(seed: int) -> dict:
    """Lesson 11's twins (lesson 4's net and data, a fresh draw) trained to step SHIFT_AT, then
    copied three ways: all inputs shifted by lesson 4's offset (training goes on and sees it),
    the validation inputs only (a shift at test time), no shift (the reference); each trains
    SHIFT_AFTER steps more. Per way and run, what the sentences need."""
    def run():
        les = L.lesson("covariate_shift")
        cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed, "eval_every": 5})
        t = TwinTrainer(cfg, split_for(make_dataset(**les.dataset, seed=seed), cfg))
        while t.step_count < SHIFT_AT:
            t.step()
        return {how: _after_shift(copy.deepcopy(t), how) for how in ("all", "test", "none")}
    return cached(("shift", seed), run)


def _after_shift(t: TwinTrainer, how: str) -> dict:
    before = {n: r.evals.view()[-1].copy() for n, r in t.runs.items()}
    if how != "none":
        t.shift_inputs(L.SHIFT_OFFSET, validation_only=how == "test")
    while t.step_count < SHIFT_AT + SHIFT_AFTER:
        t.step()
    out = {}
    for n, r in t.runs.items():
        ev, tr = r.evals.view(), r.train.view()
        post, batches = ev[ev[:, 0] > SHIFT_AT], tr[tr[:, 0] > SHIFT_AT]
        val0 = float(before[n][3])
        back = post[post[:, 3] <= max(1.5 * val0, val0 + 0.05)]
        out[n] = {"train_before": float(before[n][1]), "val_before": val0,
                  "batch_losses": batches[:, 1].astype(float),
                  "max_batch_10": float(batches[:10, 1].max()),
                  "val_peak": float(post[:, 3].max()), "val_end": float(post[-1, 3]),
                  "val_back_after": int(back[0, 0]) - SHIFT_AT if len(back) else None}
    return out


@claim("L11.no_bn_relearns", "lesson 11 answer",
       "Shifted while it trains, the net without BN must relearn: its mini-batch loss jumps "
       "from below 0.3 to above 1 within 10 steps of the shift, and 50 steps later its "
       "validation loss is still not back to within 1.5 times what it was.")
def _(seed):
    r = shift_runs(seed)["all"]["no_bn"]
    ok = (r["train_before"] < 0.3 and r["max_batch_10"] > 1
          and (r["val_back_after"] is None or r["val_back_after"] > 50))
    return ok, {"train_before": _r(r["train_before"]), "max_batch_10": _r(r["max_batch_10"]),
                "val_before": _r(r["val_before"]), "val_peak": _r(r["val_peak"]),
                "val_back_after": r["val_back_after"], "val_end": _r(r["val_end"])}


@claim("L11.bn_trains_on", "lesson 11 answer",
       "The net with BN trains on as if nothing had happened: its mini-batch losses after the "
       "shift are those of the same run without it (to within 0.001).")
def _(seed):
    runs = shift_runs(seed)
    diff = float(np.max(np.abs(runs["all"]["bn"]["batch_losses"]
                               - runs["none"]["bn"]["batch_losses"])))
    return diff < 1e-3, {"max_difference": float(f"{diff:.2e}")}


@claim("L11.bn_val_back", "lesson 11 answer",
       "Its validation loss does jump, above 1, and is back within 50 steps.")
def _(seed):
    r = shift_runs(seed)["all"]["bn"]
    ok = r["val_peak"] > 1 and r["val_back_after"] is not None and r["val_back_after"] <= 50
    return ok, {"val_before": _r(r["val_before"]), "val_peak": _r(r["val_peak"]),
                "val_back_after": r["val_back_after"]}


@claim("L11.test_only_stays", "lesson 11 answer",
       "Shifted at test time only, nothing corrects it: 200 steps later both nets' validation "
       "loss is still above 1, where it was below 0.3 before the shift.")
def _(seed):
    r = shift_runs(seed)["test"]
    ok = all(r[n]["val_end"] > 1 and r[n]["val_before"] < 0.3 for n in r)
    return ok, {f"{n}_{k}": _r(r[n][k]) for n in r for k in ("val_before", "val_end")}


# Lessons 12-16's claims, in modules of their own (this one holds lessons 9-11).
import bn_claims  # noqa: E402,F401  (registers lessons 12-15's claims)
import importance_claims  # noqa: E402,F401  (registers lesson 16's)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--only", default="", help="run only claims whose id starts with this")
    ap.add_argument("--merge", metavar="STORED", help="keep the other claims of this stored "
                    "result (same --seeds), replace the ones run now")
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = {}
    if args.merge:
        stored = json.loads(open(args.merge, encoding="utf-8").read())
        if stored["seeds"] != args.seeds:
            sys.exit(f"{args.merge} has {stored['seeds']} seeds, not {args.seeds}")
        out = {cid: c for cid, c in stored["claims"].items()
               if cid in {c[0] for c in CLAIMS}}
    for cid, where, sentence, fn in CLAIMS:
        if not cid.startswith(args.only):
            continue
        t_claim, rows = time.perf_counter(), []
        for seed in range(args.seeds):
            ok, nums = fn(seed)
            rows.append({"seed": seed, "holds": bool(ok), **nums})
        share = sum(r["holds"] for r in rows) / len(rows)
        out[cid] = {"where": where, "sentence": sentence, "share": round(share, 3),
                    "stands": share >= 0.8, "per_seed": rows,
                    "seconds": round(time.perf_counter() - t_claim, 1)}
        print(f"{cid}: {share:.2f}", file=sys.stderr)
    order = [c[0] for c in CLAIMS]
    out = {cid: out[cid] for cid in sorted(out, key=order.index)}
    print(json.dumps({"seeds": args.seeds, "claims": out,
                      "all_stand": all(c["stands"] for c in out.values()),
                      "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
