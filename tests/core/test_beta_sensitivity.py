"""Lesson 15's runs: one seed for every β (only β differs), and each trial is the lesson's
own run at that β (what benchmarks/bn_claims.py measures is what the page shows)."""

import numpy as np

from bn_studio.core.data.datasets import make_dataset
from bn_studio.core.lessons import numbers as L
from bn_studio.core.search.trials import run_trial
from bn_studio.core.training.trainer import TwinTrainer, split_for


def test_every_run_has_the_same_seed_and_only_beta_differs():
    cfg = L.lesson("beta_sensitivity").train_config()
    spec = L.beta_sensitivity_spec(cfg, seed=7)
    plan = spec.plan()
    assert [s for _, s, _ in plan] == [7] * len(L.BETA_VALUES)
    assert [p["momentum"] for _, _, p in plan] == list(L.BETA_VALUES)
    assert spec.base == cfg.replace(steps=L.BETA_STEPS, eval_every=50)
    assert spec.to_dict()["same_seed"] is True
    other = L.beta_sensitivity_spec(cfg, seed=7).__class__(spec.space, 5, spec.base, seed=7)
    assert "same_seed" not in other.to_dict() and len({s for _, s, _ in other.plan()}) > 1


def test_a_trial_is_the_lessons_run_at_that_beta():
    les = L.lesson("beta_sensitivity")
    cfg = les.train_config().replace(seed=3)
    split = split_for(make_dataset(**les.dataset, seed=3), cfg)
    spec = L.beta_sensitivity_spec(cfg, seed=3, values=(0.999,))
    (i, s, p), = spec.plan()
    got = run_trial(split, spec.base.replace(steps=30), i, s, p)
    t = TwinTrainer(cfg.replace(momentum=0.999, steps=30, eval_every=50), split, runs=("bn",))
    while t.step_count < 30:
        t.step()
    t.evaluate()
    assert np.isclose(got.val_loss, float(t.runs["bn"].evals.view()[-1, 3]))
    other = run_trial(split, spec.base.replace(steps=30), i, s, {"momentum": 0.9})
    assert not np.isclose(got.val_loss, other.val_loss)
