"""The good-α range and the median-stopping replay, on hand-made numbers with known answers."""

import math

import numpy as np
import pytest

from bn_studio.core.search import TrialResult, TwinOutcome
from bn_studio.core.search.analysis import (alpha_range_report, good_range, good_range_decades,
                                            median_loss, median_stopping, result_curves,
                                            twin_points)
from bn_studio.core.search.trials import thin_curve

ALPHA = 10.0 ** np.arange(-4.0, 1.01, 0.5)            # 11 values, half a decade apart
LOSS = [1.0, 0.8, 0.5, 0.3, 0.21, 0.2, 0.21, 0.215, 0.5, np.nan, 0.205]


def test_good_range_spans_every_alpha_within_ten_percent_of_the_best():
    # best 0.2 at 10^-1.5; within 10 % (≤ 0.22): 10^-2 … 10^-0.5 and 0.205 at 10^1; the
    # diverged trial (NaN) at 10^0.5 is never good
    assert good_range(ALPHA, LOSS) == pytest.approx((1e-2, 10.0))
    assert good_range_decades(ALPHA, LOSS) == pytest.approx(3.0)
    assert good_range_decades(ALPHA[:-1], LOSS[:-1]) == pytest.approx(1.5)


def test_good_range_ignores_the_order_given_and_handles_edge_cases():
    order = np.random.default_rng(0).permutation(ALPHA.size)
    assert good_range_decades(ALPHA[order], np.array(LOSS)[order]) == pytest.approx(3.0)
    assert good_range_decades([0.1], [0.3]) == 0.0
    assert math.isnan(good_range_decades([0.1, 1.0], [np.nan, np.nan]))
    assert good_range_decades(ALPHA, LOSS, within=0.0) == 0.0


def test_median_loss_over_seeds_counts_divergence_as_worst():
    losses = [[0.3, 0.2, np.nan], [0.5, np.nan, np.nan], [0.4, 0.1, 0.2]]
    m = median_loss(losses)
    assert m[:2].tolist() == [0.4, 0.2] and np.isnan(m[2])


def twin_result(i, lr, bn_loss, no_bn_loss):
    def outcome(loss):
        return TwinOutcome("diverged" if loss is None else "ok", loss)
    return TrialResult(i, i, {"lr": lr}, "ok", bn=outcome(bn_loss), no_bn=outcome(no_bn_loss))


def test_alpha_range_report_gives_each_twin_its_own_width():
    results = [twin_result(i, a, b, n) for i, (a, b, n) in enumerate(
        [(1e-3, 0.5, 0.5), (1e-2, 0.21, 0.2), (1e-1, 0.2, None), (1.0, 0.21, None),
         (10.0, None, None)])]
    a, loss = twin_points(results, "no_bn")
    assert a.tolist() == [1e-3, 1e-2, 1e-1, 1.0, 10.0] and np.isnan(loss[2:]).all()
    rep = alpha_range_report(results)
    assert rep["bn"]["decades"] == pytest.approx(2.0)           # 1e-2 … 1
    assert rep["no_bn"]["decades"] == pytest.approx(0.0)        # only 1e-2
    assert (rep["bn"]["diverged"], rep["no_bn"]["diverged"]) == (1, 3)
    assert rep["bn"]["best_loss"] == 0.2


def test_a_twin_at_chance_or_diverged_everywhere_gets_no_range():
    # 5×87 sigmoid net on 3 spirals: without BN the loss never leaves ln 3 at any α, a flat
    # curve that would read as "4 decades wide"; with BN one α learns.
    chance = np.log(3)
    results = [twin_result(i, a, b, n) for i, (a, b, n) in enumerate(
        [(1e-3, 1.099, 1.0986), (1e-2, 1.0, 1.0985), (1e-1, 0.4, 1.0984), (1.0, 1.05, 1.0986),
         (10.0, None, 1.0987)])]
    rep = alpha_range_report(results, classes=3)
    assert rep["no_bn"]["verdict"] == "chance" and rep["no_bn"]["decades"] is None
    assert rep["no_bn"]["good_low"] is None and rep["no_bn"]["chance_loss"] == chance
    assert rep["bn"]["verdict"] == "learned" and rep["bn"]["decades"] == pytest.approx(0.0)
    assert alpha_range_report(results)["no_bn"]["decades"] == pytest.approx(4.0)  # no classes
    gone = [twin_result(i, a, 0.3, None) for i, a in enumerate((0.1, 1.0))]
    rep = alpha_range_report(gone, classes=2)
    assert rep["no_bn"]["verdict"] == "diverged" and rep["no_bn"]["decades"] is None
    assert rep["no_bn"]["best_loss"] is None and rep["bn"]["verdict"] == "learned"


STEPS = [0, 10, 20, 30]
GOOD = (STEPS, [1.0, 0.5, 0.4, 0.3])


def test_median_stopping_stops_a_trial_worse_than_the_median_after_the_warmup():
    slow = (STEPS, [1.0, 0.9, 0.8, 0.7])                 # worse than the median at step 10
    fast = (STEPS, [1.0, 0.4, 0.3, 0.2])
    rep = median_stopping([GOOD] * 5 + [slow, fast], warmup_trials=5)
    assert rep.stopped_at == [None] * 5 + [10, None]
    assert (rep.steps_run, rep.steps_saved) == (5 * 30 + 10 + 30, 20)
    assert rep.saved_share == pytest.approx(20 / 210) and rep.stopped == 1


def test_median_stopping_waits_for_the_warmup_and_treats_divergence_as_worst():
    slow = (STEPS, [1.0, 0.9, 0.8, 0.7])
    assert median_stopping([GOOD] * 4 + [slow], warmup_trials=5).stopped == 0
    diverging = (STEPS, [1.0, 0.45, None, None])        # better at 10, gone at 20
    rep = median_stopping([GOOD] * 5 + [diverging], warmup_trials=5)
    assert rep.stopped_at[-1] == 20 and rep.steps_saved == 10
    assert median_stopping([GOOD] * 6 + [slow], warmup_steps=20).stopped_at[-1] == 20


def test_result_curves_and_thinning_keep_the_ends():
    curve = {"step": list(range(0, 5000, 10)), "train_loss": [1.0] * 500,
             "val_loss": [float(i) for i in range(500)], "val_accuracy": [0.5] * 500}
    thin = thin_curve(curve, 50)
    assert len(thin["step"]) <= 50 and thin["step"][0] == 0 and thin["step"][-1] == 4990
    assert len(set(np.diff(thin["step"][:-1]))) == 1              # a regular grid of steps
    assert thin["val_loss"][-1] == 499.0 and thin_curve(thin, 50) is thin
    results = [TrialResult(1, 0, {}, "ok", curve=thin), TrialResult(0, 0, {}, "failed")]
    assert result_curves(results) == [(thin["step"], thin["val_loss"])]


def _median_stopping_by_hand(curves, warmup_trials, warmup_steps):
    """The rule as its docstring says it, trial by trial and step by step."""
    seen, stops = [], []
    for steps, losses in curves:
        best, bad, stop = [], False, None
        for v in losses:
            bad = bad or v is None or not np.isfinite(v)
            best.append(np.inf if bad else min([v] + [b for b in best if np.isfinite(b)]))
        for i, s in enumerate(steps[:-1]):
            others = [b[s] for b in seen if s in b]
            if s >= warmup_steps and len(others) >= max(1, warmup_trials) and \
                    best[i] > np.median(others):
                stop = s
                break
        stops.append(stop)
        seen.append(dict(zip(steps, best)))
    return stops


def test_median_stopping_matches_the_rule_worked_by_hand_with_ties_and_gaps():
    rng = np.random.default_rng(1)
    for case in range(150):
        curves = []
        for _ in range(int(rng.integers(0, 30))):
            n, every = int(rng.integers(1, 10)), int(rng.choice([5, 10]))
            loss = [float(v) for v in np.round(rng.uniform(0.1, 1.0, n), 1)]   # many ties
            if rng.random() < 0.2:
                loss[int(rng.integers(0, n))] = None
            curves.append((list(range(0, n * every, every)), loss))
        warmup, steps = int(rng.integers(0, 6)), int(rng.integers(0, 30))
        want = _median_stopping_by_hand(curves, warmup, steps)
        assert median_stopping(curves, warmup, steps).stopped_at == want, case
