"""Every claim a lesson, hint or the README makes, measured with the app's own code over seeds.

A claim is one sentence of one text (a lesson pack, the example pack, README.md, a module's
strings such as the toolbar hint), a measurement of one seed with that lesson's own dataset,
settings and steps read from its pack, and the test the sentence's words make of those
numbers. Each claim is measured on every seed and must hold in at least 80 % of them. A
quote is a number a text prints about the measurement (a range, a typical range, a median or
"k of n seeds"): it must be what the seeds measured, so the range a text gives is the range
over the seeds it names.

Seed s draws the lesson's dataset with seed s, splits it with seed s and trains with seed s
(initial weights, batch order, search draws). Maths identities (BN(z + c) = BN(z), softmax's
worked example, …) are not claims here: tests/core check them.

Usage: python benchmarks/lesson_claims.py [--seeds 40] [--only L4] [--jobs 2]
       python benchmarks/lesson_claims.py --recheck benchmarks/results/lesson_claims.json
Prints ONE JSON object: per claim its text, sentence, test, share of seeds it holds in, the
numbers per seed, and each quote with what the text says and what the seeds measured.
(~8 CPU-minutes for 40 seeds: about 4 minutes on 2 idle cores, an hour at load 20.)
Adding a claim: @claim(id, text, sentence, test, holds=..., quotes=...) over a function of
the seed that returns a dict of numbers; measure with the helpers below (pack, draw, config).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import math
import multiprocessing as mp
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

if __name__ == "__main__":            # before NumPy loads: one BLAS thread per process
    from bn_studio.core.procs import one_blas_thread_by_default
    one_blas_thread_by_default()

import numpy as np

from bn_studio.core.lessons import numbers as L
from bn_studio.core.data.datasets import DatasetSpec, split_and_standardize
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.lessons.pack import example_pack_path, read_pack
from bn_studio.core.search import best_result
from bn_studio.core.search.analysis import alpha_range_report, alpha_range_spec
from bn_studio.core.search.groups import plan_groups, run_group
from bn_studio.core.training.trainer import TwinTrainer, train_single, weight_grad_norms

ROOT = Path(__file__).resolve().parents[1]
QUOTED_SEEDS = 40          # the texts quote numbers over this many seeds
SHARE = 0.8                # a claim must hold in at least this share of the seeds


# Texts
def pack(text: str):
    """The lesson behind a text: a built-in lesson's id or "example" (the example pack)."""
    if text == "example":
        return read_pack(example_pack_path())
    return L.lesson(text)


def _flat(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def text_of(text: str) -> str:
    """What a learner reads, whitespace collapsed: a pack's title, intro, steps, question and
    answer; README.md; or "py:<path>", every string constant of a module (its tooltips and
    labels; read, not imported, so no Qt is needed)."""
    if text == "README.md":
        return _flat((ROOT / "README.md").read_text(encoding="utf-8"))
    if text.startswith("py:"):
        tree = ast.parse((ROOT / text[3:]).read_text(encoding="utf-8"))
        return _flat("\n".join(n.value for n in ast.walk(tree)
                                if isinstance(n, ast.Constant) and isinstance(n.value, str)))
    les = pack(text)
    return _flat("\n".join((les.title, les.intro, *les.steps, les.question, les.answer)))


@dataclass(frozen=True)
class Quote:
    """A number a text prints about a claim's measurement: ``template`` as printed, with
    {lo} and {hi} (``stat`` "range": min and max over the seeds; "typical": 10th and 90th
    percentile), {median}, or {k} and {n} ("count": in how many of the n seeds ``key`` is
    true). ``text`` defaults to the claim's."""

    template: str
    key: str
    stat: str = "range"
    fmt: str = "{:.2f}"
    text: str | None = None

    def values(self, column: list) -> dict:
        if self.stat == "count":
            return {"k": sum(bool(v) for v in column), "n": len(column)}
        nums = np.array([v for v in column if v is not None], dtype=np.float64)
        if not nums.size:
            return {}
        if self.stat == "typical":
            lo, hi = np.percentile(nums, [10, 90], method="nearest")
        else:
            lo, hi = nums.min(), nums.max()
        return {"lo": self.fmt.format(_plain(lo)), "hi": self.fmt.format(_plain(hi)),
                "median": self.fmt.format(_plain(np.median(nums)))}

    def expected(self, column: list) -> str | None:
        v = self.values(column)
        try:
            return self.template.format(**v)
        except (KeyError, IndexError):
            return None

    def pattern(self) -> re.Pattern:
        """The template with any number in place of each value (what the text must hold)."""
        parts = re.split(r"\{\w+\}", self.template)
        return re.compile(r"-?[\d.]+".join(re.escape(p) for p in parts))


def _plain(x):
    """An int-valued float as an int (so "{:d}" formats step numbers)."""
    x = float(x)
    return int(x) if x.is_integer() else x


@dataclass(frozen=True)
class Claim:
    id: str
    text: str                  # a lesson id, "example", "README.md" or "py:<module path>"
    sentence: str              # appears verbatim (whitespace aside) in the text
    test: str                  # what "holds" checks, in words
    measure: Callable[[int], dict]
    holds: Callable[[dict], bool] | None = None     # None: a claim only of its quotes
    quotes: tuple = field(default_factory=tuple)


CLAIMS: list[Claim] = []


def claim(cid: str, text: str, sentence: str, test: str = "", holds=None, quotes=()):
    """Register ``fn(seed) → numbers`` as claim ``cid``."""
    def register(fn):
        CLAIMS.append(Claim(cid, text, sentence, test, fn, holds, tuple(quotes)))
        return fn
    return register


# What a lesson sets up, for seed s
def draw(les_or_spec, seed: int):
    """The lesson's dataset (or a DatasetSpec) drawn and split with ``seed``."""
    spec = les_or_spec if isinstance(les_or_spec, DatasetSpec) else \
        DatasetSpec(**les_or_spec.dataset)
    spec = DatasetSpec(**{**spec.__dict__, "seed": seed})
    return cached(("split", spec), lambda: split_and_standardize(spec.make(), seed=seed))


def config(les, seed: int, **changes):
    """The lesson's own TrainConfig (its pack over the lesson defaults), with ``seed``."""
    return les.train_config().replace(seed=seed, **changes)


_cache: dict = {}


def cached(key, fn):
    """One seed's runs, shared by the claims that read them (a worker measures one seed at a
    time; the cache is emptied between seeds)."""
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]


def run_search(spec, split) -> list:
    """A search's results as the app's search model gets them (its population executor's
    groups), run in this process, by trial."""
    out = []
    for group in plan_groups(spec.plan(), spec.base, population=True, twins=spec.twins):
        out.extend(run_group(split, spec.base, group))
    return sorted(out, key=lambda r: r.trial)


def val_at(evals: np.ndarray, step: int) -> float:
    row = evals[evals[:, 0] == step]
    return float(row[0, 3]) if row.shape[0] else math.nan


def acc_at(evals: np.ndarray, step: int) -> float:
    row = evals[evals[:, 0] == step]
    return float(row[0, 4]) if row.shape[0] else math.nan


def first_below(evals: np.ndarray, level: float) -> int | None:
    hit = evals[evals[:, 3] < level]
    return int(hit[0, 0]) if hit.shape[0] else None


def median_spread(h: np.ndarray, first: int, last: int) -> float:
    rows = h[(h[:, 0] >= first) & (h[:, 0] <= last), 1]
    rows = rows[np.isfinite(rows)]
    return float(np.median(rows)) if rows.size else math.nan


def r3(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


# Lesson 1: grid vs random search
GVR = "grid_vs_random"


def gvr(seed: int) -> dict:
    """Both searches of lesson 1 as its panel runs them, search seed ``seed``."""
    def run():
        les = pack(GVR)
        split = draw(les, seed)
        specs = L.grid_vs_random_specs(config(les, seed), seed)
        return {k: run_search(spec, split) for k, spec in specs.items()}
    return cached(("gvr", seed), run)


def gvr_best_alpha(seed: int) -> float:
    """The α of lowest validation loss on this draw, decay 0, a fine log sweep 0.1 … 10
    (13 values), each α trained with three seeds and their losses averaged."""
    def run():
        les = pack(GVR)
        split = draw(les, seed)
        lrs = 10.0 ** np.linspace(-1, 1, 13)
        mean = [np.mean([_loss(train_single(config(les, 1000 * seed + k, lr=float(a)), split))
                         for k in range(3)]) for a in lrs]
        return float(lrs[int(np.argmin(mean))])
    return cached(("gvr_alpha", seed), run)


def _loss(res) -> float:
    return res["val_loss"] if res["val_loss"] is not None else math.inf


@claim("L1.best_alpha", GVR, "the best α, about 1 here",
       "best α of a fine sweep (0.1 … 10, 3 trainings each) within a factor 2 of 1",
       holds=lambda n: 0.5 <= n["best_alpha"] <= 2.0)
def _(seed):
    return {"best_alpha": r3(gvr_best_alpha(seed))}


@claim("L1.random_nearer", GVR,
       "Some of its 25 values of α land nearer the best α than any of the grid's",
       "the random plan's α nearest (in decades) this draw's best α is nearer than the grid's",
       holds=lambda n: n["random_nearest_decades"] < n["grid_nearest_decades"])
def _(seed):
    a_star = math.log10(gvr_best_alpha(seed))
    specs = L.grid_vs_random_specs(config(pack(GVR), seed), seed)
    return {f"{k}_nearest_decades": r3(min(abs(math.log10(p["lr"]) - a_star)
                                           for _, _, p in spec.plan()))
            for k, spec in specs.items()}


@claim("L1.random_wins", GVR, "Usually random search",
       "random search's best validation loss < the grid's",
       holds=lambda n: n["random_won"],
       quotes=[Quote("it found the lower validation loss in {k} of {n} seeds", "random_won",
                     "count"),
               Quote("found the lower loss in {k} of {n} seeds", "random_won", "count",
                     text="py:bn_studio/core/lessons/numbers.py")])
def _(seed):
    s = gvr(seed)
    g, r = best_result(s["grid"]), best_result(s["random"])
    return {"random_won": bool(r.val_loss < g.val_loss), "grid_best_loss": r3(g.val_loss),
            "grid_best_alpha": r3(g.params["lr"]), "random_best_loss": r3(r.val_loss),
            "random_best_alpha": r3(r.params["lr"])}


@claim("L1.decay_barely_matters", GVR, "which barely changes the loss in 150 steps",
       "at α = 1, decay 0 and 0.001 give validation losses within 0.01 of each other",
       holds=lambda n: n["diff"] < 0.01)
def _(seed):
    les = pack(GVR)
    split = draw(les, seed)
    losses = [_loss(train_single(config(les, seed, lr=1.0, decay=d), split))
              for d in (0.0, 1e-3)]
    return {"val_loss_decay_0": r3(losses[0]), "val_loss_decay_0.001": r3(losses[1]),
            "diff": round(abs(losses[1] - losses[0]), 5)}


# Lesson 4: why batch norm helps (and the example pack: lesson 4 with noisy BN)
WHY = "why_bn"
SHIFT_AT, SHIFT = 300, L.SHIFT_OFFSET


def why_run(seed: int, shift: bool = False, noisy: bool = False, steps: int = 3000) -> dict:
    """The lesson-4 twins as the lesson plays them (loss spread every 10 steps): ``steps``
    steps, or 300 then the shift button and 100 more, or with noisy BN."""
    def run():
        les = pack(WHY)
        split = draw(les, seed)
        tr = TwinTrainer(config(les, seed, noisy_bn=noisy), split, smoothness_every=10)
        grads = {n: [] for n in tr.runs}
        sat = {n: [] for n in tr.runs}
        total = SHIFT_AT + 100 if shift else steps
        train_before = None
        for step in range(1, total + 1):
            if shift and step == SHIFT_AT + 1:
                train_before = {n: float(np.mean(r.train.view()[-10:, 1]))
                                for n, r in tr.runs.items()}
                tr.shift_inputs(SHIFT)
            tr.step()
            if step <= SHIFT_AT and not (shift or noisy):
                for n, r in tr.runs.items():
                    grads[n].append(weight_grad_norms(r.net))
                    sat[n].append(np.mean([np.mean(np.abs(_act_input(hl)) > 3)
                                           for hl in r.net.hidden]))
        out = {"evals": {n: r.evals.view().copy() for n, r in tr.runs.items()},
               "spread": {n: r.smoothness.view().copy() for n, r in tr.runs.items()},
               "diverged": {n: r.diverged_at for n, r in tr.runs.items()}}
        if grads["bn"]:
            out["grads"] = {n: np.mean(g, axis=0) for n, g in grads.items()}
            out["sat"] = {n: float(np.max(v)) for n, v in sat.items()}
        if shift:
            out["train_before"] = train_before
            out["train_after"] = {n: float(np.mean(r.train.view()[SHIFT_AT:SHIFT_AT + 10, 1]))
                                  for n, r in tr.runs.items()}
        return out
    return cached(("why", seed, shift, noisy, steps), run)


def _act_input(hl) -> np.ndarray:
    """What the sigmoid sees: Z̃ with BN, Z without."""
    return hl.Z_tilde if hl.Z_tilde is not None else hl.Z


LN3 = math.log(3)


@claim("L4.plateau", WHY,
       "Without BN the loss sits near ln 3 ≈ 1.1 for hundreds of steps",
       "no-BN validation loss within 0.9 … 1.2 at steps 100, 200 and 300; BN's < 0.5 at 300",
       holds=lambda n: all(0.9 <= v <= 1.2 for v in n["no_bn_val_loss_100_200_300"])
       and n["bn_val_loss_300"] < 0.5)
def _(seed):
    ev = why_run(seed)["evals"]
    return {"no_bn_val_loss_100_200_300": [r3(val_at(ev["no_bn"], s)) for s in (100, 200, 300)],
            "bn_val_loss_300": r3(val_at(ev["bn"], 300))}


@claim("L4.vanishing", WHY,
       "the first layers' weight gradients are tiny (vanishing gradients)",
       "mean ‖dW‖ over steps 1–300: no-BN layer 1 < its layer 4 / 5 and < BN's layer 1 / 10; "
       "BN's layers within 3× of each other",
       holds=lambda n: n["no_bn_layer1"] < n["no_bn_layer4"] / 5
       and n["no_bn_layer1"] < n["bn_layer1"] / 10 and n["bn_max_over_min"] < 3)
def _(seed):
    g = why_run(seed)["grads"]
    return {"no_bn_layer1": float(g["no_bn"][0]), "no_bn_layer4": float(g["no_bn"][-1]),
            "bn_layer1": float(g["bn"][0]),
            "bn_max_over_min": r3(g["bn"].max() / g["bn"].min()),
            "no_bn_last_over_first": r3(g["no_bn"][-1] / g["no_bn"][0])}


@claim("L4.not_saturation", WHY, "not saturated units",
       "at every step 1–300 under 5 % of the no-BN net's units have |Z| > 3",
       holds=lambda n: n["max_share_saturated_no_bn"] < 0.05)
def _(seed):
    sat = why_run(seed)["sat"]
    return {"max_share_saturated_no_bn": r3(sat["no_bn"]),
            "max_share_saturated_bn_net": r3(sat["bn"])}


def _why_first_below(seed: int) -> dict:
    ev = why_run(seed)["evals"]
    return {n: first_below(ev[n], 0.5) for n in ("bn", "no_bn")}


@claim("L4.bn_first", WHY, "The net with BN, at once",
       "BN's validation loss falls below 0.5 before the no-BN net's",
       holds=lambda n: n["bn_below_0.5_at"] is not None and (
           n["no_bn_below_0.5_at"] is None or n["bn_below_0.5_at"] < n["no_bn_below_0.5_at"]),
       quotes=[Quote("its validation loss fell below 0.5 by step {lo}–{hi}", "bn_below_0.5_at",
                     fmt="{:d}"),
               Quote("without BN typically by step {lo}–{hi}", "no_bn_below_0.5_at",
                     "typical", fmt="{:d}")])
def _(seed):
    fb = _why_first_below(seed)
    return {"bn_below_0.5_at": fb["bn"], "no_bn_below_0.5_at": fb["no_bn"]}


@claim("L4.catches_up", WHY,
       "the net without BN escapes the plateau too, later",
       "the no-BN net's validation loss falls below 0.5 within 3000 steps, later than BN's",
       holds=lambda n: n["no_bn_below_0.5_at"] is not None and n["bn_below_0.5_at"] is not None
       and n["no_bn_below_0.5_at"] > n["bn_below_0.5_at"],
       quotes=[Quote("(typically around step {median})", "no_bn_below_0.5_at", "typical",
                     fmt="{:d}")])
def _(seed):
    fb = _why_first_below(seed)
    return {"bn_below_0.5_at": fb["bn"], "no_bn_below_0.5_at": fb["no_bn"]}


@claim("L4.ahead_3000", WHY, "by step 3000 it is about level",
       "at step 3000 the two validation losses are within 0.1 of each other",
       holds=lambda n: abs(n["val_loss_3000_no_bn"] - n["val_loss_3000_bn"]) < 0.1,
       quotes=[Quote("(the net without BN slightly lower in {k} of {n} seeds)",
                     "no_bn_lower_3000", "count")])
def _(seed):
    ev = why_run(seed)["evals"]
    bn, plain = val_at(ev["bn"], 3000), val_at(ev["no_bn"], 3000)
    return {"val_loss_3000_bn": r3(bn), "val_loss_3000_no_bn": r3(plain),
            "no_bn_lower_3000": bool(plain < bn)}


@claim("L4.noisy_still_helps", WHY,
       "With noisy BN it still does",
       "noisy BN: the BN net's validation loss at step 300 < 0.5 while the no-BN net's > 0.85",
       holds=lambda n: n["noisy_bn_val_loss_300"] < 0.5 and n["no_bn_val_loss_300"] > 0.85,
       quotes=[Quote("over all 40 seeds, {lo}–{hi} with noise", "noisy_bn_val_loss_300"),
               Quote("{lo}–{hi} without BN", "no_bn_val_loss_300"),
               Quote("With noisy BN it still does in {k} of {n} seeds", "holds_here", "count"),
               Quote("the noisy-BN net's validation loss at step 300 was {lo}–{hi}",
                     "noisy_bn_val_loss_300", text="example"),
               Quote("the net without BN was still at {lo}–{hi}", "no_bn_val_loss_300",
                     text="example")])
def _(seed):
    ev = why_run(seed, noisy=True, steps=SHIFT_AT)["evals"]
    noisy, plain = val_at(ev["bn"], SHIFT_AT), val_at(ev["no_bn"], SHIFT_AT)
    return {"noisy_bn_val_loss_300": r3(noisy), "no_bn_val_loss_300": r3(plain),
            "holds_here": bool(noisy < 0.5 and plain > 0.85)}


@claim("L4.example_pack_is_lesson_4_noisy", "example",
       "The deep sigmoid net of lesson 4, with noisy batch norm switched on",
       "the example pack's dataset and settings are lesson 4's with noisy_bn on (its numbers "
       "are L4.noisy_still_helps's quotes)",
       holds=lambda n: n["same"])
def _(seed):
    ex, les = pack("example"), pack(WHY)
    return {"same": ex.train_config() == les.train_config().replace(noisy_bn=True)
            and ex.dataset == les.dataset}


@claim("L4.spread_plateau", WHY,
       "In steps 1–300 the net without BN has the smaller spread",
       "median loss spread over steps 1–300: no-BN < BN",
       holds=lambda n: n["no_bn_median_spread_1_300"] < n["bn_median_spread_1_300"])
def _(seed):
    sp = why_run(seed)["spread"]
    return {f"{n}_median_spread_1_300": median_spread(h, 1, SHIFT_AT) for n, h in sp.items()}


@claim("L4.spread_escape", WHY,
       "its spread is about the BN net's in its own fast phase",
       "median spread: BN over steps 1–300 vs no-BN over the 300 steps after its loss first "
       "falls below 0.9 — within a factor 2.5",
       holds=lambda n: n["ratio"] is not None and 1 / 2.5 <= n["ratio"] <= 2.5)
def _(seed):
    r = why_run(seed)
    ev = r["evals"]["no_bn"]
    start = first_below(ev, 0.9)
    bn_fast = median_spread(r["spread"]["bn"], 1, SHIFT_AT)
    plain_fast = median_spread(r["spread"]["no_bn"], start, start + 300) if start else math.nan
    ratio = bn_fast / plain_fast if np.isfinite(plain_fast) else None
    return {"no_bn_fast_phase_from": start, "bn_median_spread_1_300": bn_fast,
            "no_bn_median_spread_fast_phase": plain_fast, "ratio": r3(ratio)}


@claim("L4.noisy_spread", WHY, "Noise leaves the BN net's spread about as it was (within 2×)",
       "median spread of the BN net over steps 1–300, noisy / clean, in 0.5 … 2",
       holds=lambda n: 0.5 <= n["noisy_over_clean"] <= 2.0)
def _(seed):
    noisy = median_spread(why_run(seed, noisy=True, steps=SHIFT_AT)["spread"]["bn"], 1, SHIFT_AT)
    clean = median_spread(why_run(seed)["spread"]["bn"], 1, SHIFT_AT)
    return {"noisy_bn_median_spread": noisy, "clean_bn_median_spread": clean,
            "noisy_over_clean": r3(noisy / clean)}


@claim("L4.shift", WHY,
       "validation normalises with running averages of the unshifted inputs, wrong until "
       "the EWMA catches up",
       "after the shift at step 300: the BN net's training loss (10 steps) < 2× before, its "
       "validation loss 10 steps later > 2× before, back within 1.5× (or +0.1) of it within "
       "60 steps",
       holds=lambda n: n["bn_train_after_over_before"] < 2 and n["bn_val_jump_factor"] > 2
       and n["bn_steps_to_recover"] is not None and n["bn_steps_to_recover"] <= 60,
       quotes=[Quote("(here {lo}–{hi} steps", "bn_steps_to_recover", fmt="{:d}")])
def _(seed):
    r = why_run(seed, shift=True)
    ev = r["evals"]["bn"]
    base = float(np.mean(ev[(ev[:, 0] > SHIFT_AT - 30) & (ev[:, 0] <= SHIFT_AT), 3]))
    later = ev[ev[:, 0] > SHIFT_AT]
    back = later[later[:, 3] <= max(1.5 * base, base + 0.1)]
    return {"bn_val_loss_before": r3(base),
            "bn_val_jump_factor": r3(val_at(ev, SHIFT_AT + 10) / base),
            "bn_steps_to_recover": int(back[0, 0]) - SHIFT_AT if back.shape[0] else None,
            "bn_train_after_over_before": r3(r["train_after"]["bn"] / r["train_before"]["bn"])}


def high_lr_run(seed: int) -> dict:
    """Lesson 4's 'ReLU, plain SGD, α = 2' button: the lesson's net with HIGH_LR_CONFIG,
    500 steps, loss spread every 10 steps (as the lesson plays it)."""
    def run():
        les = pack(WHY)
        split = draw(les, seed)
        tr = TwinTrainer(config(les, seed, **L.HIGH_LR_CONFIG), split, smoothness_every=10)
        for _ in range(500):
            tr.step()
        return {"evals": {n: r.evals.view().copy() for n, r in tr.runs.items()},
                "spread": {n: r.smoothness.view().copy() for n, r in tr.runs.items()},
                "diverged": {n: r.diverged_at for n, r in tr.runs.items()},
                "acc": {n: (None if r.diverged_at else r.evaluate(tr.X_val, tr.y_val)[1])
                        for n, r in tr.runs.items()}}
    return cached(("high", seed), run)


@claim("L4.higher_lr", WHY,
       "without BN the net diverges or stays at chance, with BN it learns",
       "after 500 steps: the no-BN net diverged or its validation accuracy < 0.45 (chance: "
       "0.33); the BN net did not diverge and its accuracy ≥ 0.9",
       holds=lambda n: n["bn_val_accuracy"] is not None and n["bn_val_accuracy"] >= 0.9
       and (n["no_bn_diverged_at"] is not None or n["no_bn_val_accuracy"] < 0.45),
       quotes=[Quote("or it diverges (it diverged in {k} of {n} seeds)", "no_bn_diverged",
                     "count")])
def _(seed):
    r = high_lr_run(seed)
    return {"bn_val_accuracy": r3(r["acc"]["bn"]), "no_bn_val_accuracy": r3(r["acc"]["no_bn"]),
            "no_bn_diverged_at": r["diverged"]["no_bn"],
            "no_bn_diverged": r["diverged"]["no_bn"] is not None}


@claim("L4.spread_high_lr", WHY,
       "its loss jumps about more than the BN net's, or it diverges",
       "over steps 1–100: the no-BN net diverged, or its median loss spread > the BN net's",
       holds=lambda n: n["no_bn_diverged_by_100"] or (
           n["no_bn_median_spread_1_100"] > n["bn_median_spread_1_100"]))
def _(seed):
    r = high_lr_run(seed)
    d = r["diverged"]["no_bn"]
    return {f"{n}_median_spread_1_100": median_spread(h, 1, 100) for n, h in r["spread"].items()} \
        | {"no_bn_diverged_by_100": d is not None and d <= 100}


# Lesson 5: batch norm at test time
TT = "test_time"


def tt_run(seed: int, batch: int) -> dict:
    """Lesson 5: its net at batch size ``batch``, 500 steps ('Train 500 steps'), then
    'Measure' (the panel's own function)."""
    def run():
        les = pack(TT)
        split = draw(les, seed)
        tr = TwinTrainer(config(les, seed, batch=batch), split)
        for _ in range(500):
            tr.step()
        acc = L.train_vs_eval_accuracy(tr.runs["bn"].net, split.X_val, split.y_val, batch=batch)
        _, no_bn = tr.runs["no_bn"].evaluate(tr.X_val, tr.y_val)
        return {"train": acc["train_mode"], "eval": acc["eval_mode"], "no_bn": no_bn,
                "net": tr.runs["bn"].net, "split": split}
    return cached(("tt", seed, batch), run)


@claim("L5.tiny_batch_hurts", TT, "BN itself hurts at tiny batches",
       "batch 2, step 500: validation accuracy train mode < eval mode < no BN",
       holds=lambda n: n["ordered"],
       quotes=[Quote("train mode {lo}–{hi}", "train_mode"), Quote("eval {lo}–{hi}", "eval_mode"),
               Quote("without BN {lo}–{hi}", "no_bn"),
               Quote("train mode < eval < without BN in {k} of {n} seeds", "ordered", "count")])
def _(seed):
    r = tt_run(seed, 2)
    return {"train_mode": r3(r["train"]), "eval_mode": r3(r["eval"]), "no_bn": r3(r["no_bn"]),
            "ordered": bool(r["train"] < r["eval"] < r["no_bn"])}


@claim("L5.close_at_128", TT, "with its two accuracies far apart, but not at 128",
       "train- and eval-mode accuracy differ by > 0.1 at batch 2 and by < 0.05 at 128",
       holds=lambda n: n["gap_batch_2"] > 0.1 and n["gap_batch_128"] < 0.05,
       quotes=[Quote("(within 0.05 in {k} of {n} seeds)", "close_128", "count")])
def _(seed):
    r2, r128 = tt_run(seed, 2), tt_run(seed, 128)
    gap128 = abs(r128["eval"] - r128["train"])
    return {"gap_batch_2": r3(abs(r2["eval"] - r2["train"])), "gap_batch_128": r3(gap128),
            "close_128": bool(gap128 < 0.05)}


@claim("L5.depends_on_batch", TT, "it is predicted inside two different batches",
       "batch 8, step 500: for most of 20 validation points the two batches' a differ by > 0.01",
       holds=lambda n: n["share_of_points_delta_a_gt_0.01"] >= 0.5)
def _(seed):
    r = tt_run(seed, pack(TT).train_config().batch)
    X = r["split"].X_val
    rng = np.random.default_rng(seed)
    diffs = [float(np.abs(v["batch_a"] - v["batch_b"]).max()) for v in
             (L.one_point_in_two_batches(r["net"], X[i], r["split"].X_train, 8, seed + i)
              for i in rng.choice(X.shape[0], 20, replace=False))]
    return {"share_of_points_delta_a_gt_0.01": float(np.mean(np.array(diffs) > 0.01)),
            "median_delta_a": r3(np.median(diffs))}


# Lesson 7: α × 10 mid-run, in the app and from its printed command line
JUMP = "lr_jump"


def jump_run(seed: int) -> dict:
    """Lesson 7 as the app runs it: the pack's config, whose change applies itself."""
    def run():
        les = pack(JUMP)
        split = draw(les, seed)
        tr = TwinTrainer(config(les, seed), split)
        for _ in range(les.train_config().steps):
            tr.step()
        return {"evals": {n: r.evals.view().copy() for n, r in tr.runs.items()},
                "diverged": {n: r.diverged_at for n, r in tr.runs.items()},
                "acc": {n: (None if r.diverged_at else r.evaluate(tr.X_val, tr.y_val)[1])
                        for n, r in tr.runs.items()}}
    return cached(("jump", seed), run)


def jump_at() -> int:
    return pack(JUMP).train_config().changes[0][0]


@claim("L7.before", JUMP, "both nets learn",
       "validation accuracy ≥ 0.9 for both nets at the step of the change",
       holds=lambda n: min(n["bn_val_accuracy_before"], n["no_bn_val_accuracy_before"]) >= 0.9,
       quotes=[Quote("before the jump both nets were at {lo}–{hi}", "both_min")])
def _(seed):
    ev = jump_run(seed)["evals"]
    acc = {n: acc_at(e, jump_at()) for n, e in ev.items()}
    return {"bn_val_accuracy_before": r3(acc["bn"]), "no_bn_val_accuracy_before": r3(acc["no_bn"]),
            "both_min": r3(min(acc.values()))}


@claim("L7.jump", JUMP, "Without BN the loss explodes within a few dozen steps of the jump",
       "the no-BN net diverges within 50 steps of the change; the BN net does not diverge and "
       "ends with validation accuracy ≥ 0.95",
       holds=lambda n: n["no_bn_diverged_after"] is not None and n["no_bn_diverged_after"] <= 50
       and n["bn_diverged_at"] is None and n["bn_val_accuracy_end"] >= 0.95,
       quotes=[Quote("it diverged in {k} of {n} seeds", "no_bn_diverged", "count"),
               Quote("{lo}–{hi} steps after it", "no_bn_diverged_after", fmt="{:d}"),
               Quote("with BN it diverged in {k} of {n}", "bn_diverged", "count"),
               Quote("validation accuracy at step 1000 was {lo}–{hi}", "bn_val_accuracy_end")])
def _(seed):
    r = jump_run(seed)
    d = r["diverged"]
    return {"no_bn_diverged_after": None if d["no_bn"] is None else d["no_bn"] - jump_at(),
            "no_bn_diverged": d["no_bn"] is not None, "bn_diverged_at": d["bn"],
            "bn_diverged": d["bn"] is not None,
            "bn_val_accuracy_end": r3(r["acc"]["bn"]) if r["acc"]["bn"] is not None else -1.0}


def printed_command() -> list[str]:
    """Lesson 7's command line as printed in its steps, split as a shell would."""
    step = next(s for s in pack(JUMP).steps if "bn-studio train" in s)
    return shlex.split(step[step.index("bn-studio train"):])


@claim("L7.command_line", JUMP, "The same run from the command line",
       "the printed command, run through bn-studio's own parser with --seed s --data-seed s: "
       "the no-BN net diverges, the BN net does not",
       holds=lambda n: n["exit_status"] == 0 and n["no_bn_diverged_at"] is not None
       and n["bn_diverged_at"] is None)
def _(seed):
    from bn_studio.cli import main
    argv = printed_command()[1:] + ["--seed", str(seed), "--data-seed", str(seed)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(argv)
    res = json.loads(out.getvalue()) if status == 0 else {}
    return {"exit_status": status,
            "no_bn_diverged_at": res.get("no_bn", {}).get("diverged_at"),
            "bn_diverged_at": res.get("bn", {}).get("diverged_at"),
            "bn_val_accuracy": res.get("bn", {}).get("val_accuracy")}


# Lesson 8: the range of good α, as the Tuning panel's α-range search runs it
ALPHA = "alpha_range"


def alpha_report(seed: int) -> dict:
    def run():
        les = pack(ALPHA)
        split = draw(les, seed)
        results = run_search(alpha_range_spec(config(les, seed), seed=seed), split)
        return alpha_range_report(results, classes=split.classes)
    return cached(("alpha", seed), run)


def _decades(rep: dict, twin: str) -> float:
    """A twin's credited width: 0 for a twin that never learned or always diverged."""
    return rep[twin]["decades"] if rep[twin]["decades"] is not None else 0.0


@claim("L8.wider", ALPHA, "BN's range was the wider",
       "BN's good range (α within 10 % of its best loss) spans more decades than the no-BN "
       "net's; a twin at chance or diverged everywhere counts 0",
       holds=lambda n: n["bn_wider"],
       quotes=[Quote("a median of {median} decades with BN", "bn_decades", "median", "{:.1f}"),
               Quote("and {median} decades without", "no_bn_decades", "median", "{:.1f}"),
               Quote("the wider in {k} of {n} seeds", "bn_wider", "count")])
def _(seed):
    rep = alpha_report(seed)
    bn, plain = _decades(rep, "bn"), _decades(rep, "no_bn")
    return {"bn_decades": r3(bn), "no_bn_decades": r3(plain), "bn_wider": bool(bn > plain)}


@claim("L8.diverged", ALPHA, "the net without BN diverged at",
       "the no-BN net diverges at some α of the sweep, the BN net at none",
       holds=lambda n: n["no_bn_diverged"] > 0 and n["bn_diverged"] == 0,
       quotes=[Quote("diverged at {lo} to {hi} of the 25 α", "no_bn_diverged", fmt="{:d}"),
               Quote("the net with BN at none in {k} of {n}", "bn_none_diverged", "count")])
def _(seed):
    rep = alpha_report(seed)
    return {"no_bn_diverged": rep["no_bn"]["diverged"], "bn_diverged": rep["bn"]["diverged"],
            "bn_none_diverged": rep["bn"]["diverged"] == 0}


@claim("L8.best_alike", ALPHA, "Both nets' best losses were alike",
       "the two best validation losses within 0.05 of each other",
       holds=lambda n: abs(n["bn_best_loss"] - n["no_bn_best_loss"]) < 0.05,
       quotes=[Quote("(median {median} with BN", "bn_best_loss"),
               Quote("{median} without)", "no_bn_best_loss")])
def _(seed):
    rep = alpha_report(seed)
    return {"bn_best_loss": r3(rep["bn"]["best_loss"]),
            "no_bn_best_loss": r3(rep["no_bn"]["best_loss"])}


# The default run (README and the toolbar hint)
HINT = "py:bn_studio/gui/hint.py"

def default_run(seed: int) -> dict:
    def run():
        split = draw(DEFAULT_DATASET, seed)
        tr = TwinTrainer(DEFAULT_CONFIG.replace(seed=seed), split)
        for _ in range(2000):
            tr.step()
        return {n: r.evals.view().copy() for n, r in tr.runs.items()}
    return cached(("default", seed), run)


@claim("D.bn_learns", "README.md", "the net with BN reaches",
       "BN's validation accuracy ≥ 0.8 at step 300 and ≥ 0.95 at step 1000",
       holds=lambda n: n["bn_acc_300"] >= 0.8 and n["bn_acc_1000"] >= 0.95,
       quotes=[Quote("reaches typically {lo}–{hi} validation accuracy by step 300", "bn_acc_300",
                     "typical"),
               Quote("and {lo}–{hi} by step 1000", "bn_acc_1000", "typical")])
def _(seed):
    ev = default_run(seed)["bn"]
    return {"bn_acc_300": r3(acc_at(ev, 300)), "bn_acc_1000": r3(acc_at(ev, 1000))}


@claim("D.no_bn_chance", "README.md", "the net without BN stays at chance",
       "no-BN validation accuracy < 0.45 at step 1000 (chance: 0.33)",
       holds=lambda n: n["no_bn_acc_1000"] < 0.45,
       quotes=[Quote("until about step 1000 in {k} of {n} seeds", "chance_at_1000", "count"),
               Quote("reaches typically {lo}–{hi} by step 2000", "no_bn_acc_2000", "typical")])
def _(seed):
    ev = default_run(seed)["no_bn"]
    a1000 = acc_at(ev, 1000)
    return {"no_bn_acc_1000": r3(a1000), "no_bn_acc_2000": r3(acc_at(ev, 2000)),
            "chance_at_1000": bool(a1000 < 0.45)}


@claim("D.bn_ahead", "README.md", "ahead by at least 0.15",
       "BN's validation accuracy ≥ the no-BN net's + 0.15 at steps 300, 1000 and 2000",
       holds=lambda n: n["ahead"],
       quotes=[Quote("at steps 300, 1000 and 2000 in {k} of {n} seeds", "ahead", "count")])
def _(seed):
    ev = default_run(seed)
    lead = {f"lead_{s}": r3(acc_at(ev["bn"], s) - acc_at(ev["no_bn"], s))
            for s in (300, 1000, 2000)}
    return lead | {"ahead": min(lead.values()) >= 0.15}


@claim("H.watch", HINT, "learns the spirals within a few hundred",
       "BN's validation accuracy ≥ 0.9 by step 500; no-BN's validation loss within 10 % of "
       "ln 3 at step 500",
       holds=lambda n: n["bn_acc_500"] >= 0.9 and abs(n["no_bn_loss_500"] / LN3 - 1) < 0.1)
def _(seed):
    ev = default_run(seed)
    return {"bn_acc_500": r3(acc_at(ev["bn"], 500)), "no_bn_loss_500": r3(val_at(ev["no_bn"], 500))}


@claim("H.later", HINT, "Past ~1000 steps the net without BN starts to learn too, slowly",
       "the no-BN net's validation accuracy at step 2000 exceeds its accuracy at 1000 by ≥ 0.05",
       holds=lambda n: n["no_bn_acc_2000"] - n["no_bn_acc_1000"] >= 0.05)
def _(seed):
    ev = default_run(seed)["no_bn"]
    return {"no_bn_acc_1000": r3(acc_at(ev, 1000)), "no_bn_acc_2000": r3(acc_at(ev, 2000))}


# The driver
def measure_seed(task: tuple[int, tuple[str, ...]]) -> tuple[int, dict, float]:
    """Every chosen claim's numbers for one seed (a worker process's task)."""
    seed, ids = task
    _cache.clear()
    t0 = time.process_time()
    out = {}
    for c in CLAIMS:
        if c.id in ids:
            try:
                out[c.id] = c.measure(seed)
            except Exception as e:         # one broken claim must not hide the others
                out[c.id] = {"error": f"{e.__class__.__name__}: {e}"}
    _cache.clear()
    return seed, out, time.process_time() - t0


def summarise(values: list[dict]) -> dict:
    """Per-seed numbers → per key: min, median and max (how many seeds gave none), or for
    flags the count of seeds where it is true (every seed's value is in "per_seed")."""
    out = {}
    for key in values[0]:
        col = [v.get(key) for v in values]
        if all(isinstance(c, bool) for c in col):
            out[key] = {"true_in": sum(col)}
            continue
        nums = [c for c in col if isinstance(c, (int, float)) and not isinstance(c, bool)]
        if nums and len(nums) == sum(c is not None for c in col):
            out[key] = {"min": min(nums), "median": float(np.median(nums)), "max": max(nums)}
            if len(nums) < len(col):
                out[key]["none_in"] = len(col) - len(nums)
        else:
            out[key] = col if len({json.dumps(c, default=str) for c in col}) > 1 else col[0]
    return out


def check_quote(c: Claim, q: Quote, values: list[dict], seeds: int) -> dict:
    """What the text prints, what the seeds measured; ok if they are the same (only checked
    over the QUOTED_SEEDS the texts name)."""
    text = text_of(q.text or c.text)
    found = q.pattern().search(text)
    expected = q.expected([v.get(q.key) for v in values])
    row = {"text": q.text or c.text, "says": found.group(0) if found else None,
           "measured": expected}
    row["ok"] = bool(found and expected and expected in text) if seeds == QUOTED_SEEDS else None
    return row


def report(c: Claim, values: list[dict], seeds: int) -> dict:
    errors = [v["error"] for v in values if "error" in v]
    if errors:
        return {"id": c.id, "text": c.text, "sentence": c.sentence, "test": c.test,
                "error": errors[0], "ok": False}
    held = sum(bool(c.holds(v)) for v in values) if c.holds else None
    quotes = [check_quote(c, q, values, seeds) for q in c.quotes]
    ok_share = held is None or held >= SHARE * seeds
    return {"id": c.id, "text": c.text, "sentence": c.sentence, "test": c.test,
            "in_text": _flat(c.sentence) in text_of(c.text),
            "holds": None if held is None else f"{held}/{seeds}",
            "share": None if held is None else round(held / seeds, 3),
            "quotes": quotes,
            "ok": bool(ok_share and all(q["ok"] is not False for q in quotes)
                       and _flat(c.sentence) in text_of(c.text)),
            "numbers": summarise(values), "per_seed": values}


def recheck(path: str) -> int:
    """The report of an earlier run's per-seed numbers against today's texts and claims."""
    try:
        old = json.loads(Path(path).read_text(encoding="utf-8"))
        stored = {r["id"]: r["per_seed"] for r in old["claims"]}
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"--recheck: cannot read {path}: {e}", file=sys.stderr)
        return 2
    missing = [c.id for c in CLAIMS if c.id not in stored]
    if missing:
        print(f"--recheck: {path} has no numbers for {', '.join(missing)}: measure them",
              file=sys.stderr)
        return 2
    rows = [report(c, stored[c.id], old["seeds"]) for c in CLAIMS]
    print(json.dumps({**{k: old[k] for k in ("seeds", "seconds", "cpu_minutes", "jobs")
                         if k in old},
                      "rechecked": True, "all_ok": all(r["ok"] for r in rows), "claims": rows},
                     indent=1, ensure_ascii=False, default=float))
    return 0


def _progress(done: int, seeds: int, t0: float) -> None:
    """A line on stderr per seed: a 40-seed run takes a while on a shared machine."""
    if sys.stderr.isatty() or os.environ.get("LESSON_CLAIMS_PROGRESS"):
        print(f"{done}/{seeds} seeds, {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=QUOTED_SEEDS)
    ap.add_argument("--only", default="", help="run only claims whose id contains this text")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes measuring seeds in parallel")
    ap.add_argument("--recheck", metavar="RESULTS.json",
                    help="measure nothing: check the texts and thresholds against the per-seed "
                         "numbers of an earlier run (after rewording a text)")
    args = ap.parse_args(argv)
    if args.recheck:
        return recheck(args.recheck)
    if args.seeds < 1:
        print("--seeds must be at least 1", file=sys.stderr)
        return 2
    chosen = tuple(c.id for c in CLAIMS if args.only in c.id)
    if not chosen:
        print(f"no claim id contains {args.only!r}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    tasks = [(s, chosen) for s in range(args.seeds)]
    jobs = max(1, min(args.jobs, args.seeds))
    done = []
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(jobs, maxtasksperchild=4) as pool:
            for d in pool.imap_unordered(measure_seed, tasks):
                done.append(d)
                _progress(len(done), args.seeds, t0)
    else:
        for t in tasks:
            done.append(measure_seed(t))
            _progress(len(done), args.seeds, t0)
    done.sort()
    rows = [report(c, [d[1][c.id] for d in done], args.seeds) for c in CLAIMS
            if c.id in chosen]
    print(json.dumps({"seeds": args.seeds, "seconds": round(time.perf_counter() - t0, 1),
                      "cpu_minutes": round(sum(d[2] for d in done) / 60, 1), "jobs": jobs,
                      "all_ok": all(r["ok"] for r in rows), "claims": rows},
                     indent=1, ensure_ascii=False, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
