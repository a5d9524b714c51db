"""The claims of lesson 16 (which hyperparameters matter most), re-run with the core over
seeds; benchmarks/experiment_claims.py runs them with its own (python
benchmarks/experiment_claims.py --only L16). Each claim is (id, where, the sentence,
fn(seed) → (holds, numbers)), as there."""

from __future__ import annotations

from bn_studio.core.lessons import numbers as L
from bn_studio.core.data.datasets import make_dataset
from bn_studio.core.lessons.pack import LESSON_DEFAULTS
from bn_studio.core.search.analysis import param_importance
from bn_studio.core.search.groups import plan_groups, run_group
from bn_studio.core.training.trainer import TrainConfig, split_for
from claim_registry import _cache, claim



def importance_run(seed: int) -> dict:
    """Lesson 16's search as its button runs it (the Tuning panel's population executor), on
    a fresh draw of its data, search seed ``seed``: each parameter's score, most first."""
    if seed not in _cache:
        les = L.lesson("importance")
        cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed})
        split = split_for(make_dataset(**les.dataset, seed=seed), cfg)
        spec = L.importance_spec(cfg, seed)
        results = []
        for group in plan_groups(spec.plan(), spec.base, population=True):
            results.extend(run_group(split, spec.base, group))
        ranked = param_importance(results, spec.space)
        _cache[seed] = {"order": [i.name for i in ranked],
                        "score": {i.name: round(i.score, 3) for i in ranked},
                        "diverged": sum(r.status == "diverged" for r in results)}
    return _cache[seed]


def _numbers(r: dict) -> dict:
    return {"order": " > ".join(r["order"]), **{f"score_{k}": v for k, v in r["score"].items()},
            "diverged": r["diverged"]}


@claim("L16.alpha_first", "lesson 16 answer", "α ranked first in 39 of 40 seeds.")
def _(seed):
    r = importance_run(seed)
    return r["order"][0] == "lr", _numbers(r)


@claim("L16.alpha_margin", "lesson 16 answer",
       "α's bar was at least twice as long as the runner-up's in 37 of 40 seeds.")
def _(seed):
    r = importance_run(seed)
    s = r["score"]
    second = s[r["order"][1]]              # α itself where it did not rank first
    return s["lr"] >= 2 * second, {"lr": s["lr"], "second": second,
                                   "runner_up": r["order"][1]}


@claim("L16.others_small", "lesson 16 answer",
       "No other parameter's bar passed 30 % in 39 of 40 seeds.")
def _(seed):
    r = importance_run(seed)
    others = {k: v for k, v in r["score"].items() if k != "lr"}
    top = max(others, key=others.__getitem__)
    return others[top] <= 0.3, {"highest_other": top, "its_score": others[top]}
