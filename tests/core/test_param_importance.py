"""Which parameters mattered (param_importance): ranks, the explained share and the bands on
each search scale, on hand-made numbers and synthetic searches with known answers."""

import numpy as np
import pytest

from bn_studio.core.search import Param, SearchSpace, TrialResult, TwinOutcome
from bn_studio.core.search.analysis import (IMPORTANCE_MIN_TRIALS, bands_of, explained_share,
                                            loss_ranks, param_importance)

SPACE = SearchSpace([Param("lr", "log", 1e-4, 1.0),
                     Param("momentum", "one_minus_log", 0.9, 0.999),
                     Param("hidden", "int", 16, 128), Param("batch", "pow2", 16, 256),
                     Param("layers", "int", 1, 4), Param("l2", "log", 1e-5, 1e-1)])


def results(params, losses, status=None):
    return [TrialResult(i, i, p, (status or {}).get(i, "ok" if np.isfinite(v) else "diverged"),
                        None if not np.isfinite(v) else float(v))
            for i, (p, v) in enumerate(zip(params, losses))]


def synthetic(depends_on: str, n: int = 30, seed: int = 0, noise: float = 0.02):
    """A search whose loss is a U in one parameter's search scale (best in its middle), plus
    a little noise: nothing else matters."""
    trials = SPACE.sample(n, seed)
    p = SPACE[depends_on]
    lo, hi = p.unit_bounds
    u = (p.to_unit([t[depends_on] for t in trials]) - lo) / (hi - lo)      # 0 … 1
    rng = np.random.default_rng(seed)
    return results(trials, 0.2 + (u - 0.5) ** 2 + noise * rng.standard_normal(n))


def test_loss_ranks_share_ties_and_put_every_diverged_trial_last():
    assert loss_ranks([0.3, 0.1, 0.2]).tolist() == [2, 0, 1]
    assert loss_ranks([0.1, 0.5, 0.5, np.nan, np.nan]).tolist() == [0, 1.5, 1.5, 3.5, 3.5]


def test_explained_share_is_the_correlation_ratio_worked_by_hand():
    assert explained_share([0, 0, 1, 1], [1, 1, 3, 3]) == pytest.approx(1.0)
    # mean 1.5, band means 1 and 2: between 4 · 0.25 = 1, total 2.25 + 0.25 + 0.25 + 2.25 = 5
    assert explained_share([0, 0, 1, 1], [0, 2, 1, 3]) == pytest.approx(0.2)
    assert explained_share([0, 1, 0, 1], [0, 0, 1, 1]) == pytest.approx(0.0)
    assert explained_share([0, 1, 2], [4, 4, 4]) == 0.0


def test_bands_are_equal_on_each_parameters_search_scale():
    assert bands_of(SPACE["lr"], [1e-4, 9e-4, 1e-3, 0.05, 0.5, 1.0], 4).tolist() == \
        [0, 0, 1, 2, 3, 3]                                    # one band per decade
    # 1 − β: 0.1 … 0.001 in three bands of 2/3 decade each
    assert bands_of(SPACE["momentum"], [0.9, 0.97, 0.99, 0.999], 3).tolist() == [0, 0, 1, 2]
    assert bands_of(SPACE["batch"], [16, 32, 64, 128, 256], 5).tolist() == [0, 1, 2, 3, 4]
    assert bands_of(SPACE["layers"], [1, 2, 3, 4], 5).tolist() == [0, 1, 3, 4]
    assert bands_of(Param("bn", "choice", [0, 1]), [1, 0, 1], 5).tolist() == [1, 0, 1]


@pytest.mark.parametrize("name", [p.name for p in SPACE])
def test_the_one_parameter_the_loss_depends_on_ranks_first_by_a_clear_margin(name):
    for seed in range(5):
        ranked = param_importance(synthetic(name, seed=seed), SPACE)
        assert ranked[0].name == name, (seed, [(i.name, round(i.score, 2)) for i in ranked])
        # 30 trials in 5 bands: a parameter without effect can score up to about 0.35 by luck
        assert ranked[0].score > 0.4 and ranked[0].score > 1.5 * ranked[1].score, \
            (seed, ranked[:2])


def test_a_parameter_without_effect_explains_its_chance_share_on_average():
    """Random losses: the mean share over many searches is (bands − 1)/(trials − 1), so the
    score, the share beyond that, is near 0 for every parameter."""
    rng = np.random.default_rng(1)
    shares, scores = [], []
    for seed in range(300):
        ranked = param_importance(results(SPACE.sample(30, seed), rng.random(30)), SPACE)
        lr = next(i for i in ranked if i.name == "lr")
        assert lr.chance == pytest.approx((lr.bands - 1) / 29)
        shares.append(lr.share - lr.chance)
        scores.append(lr.score)
    assert np.mean(shares) == pytest.approx(0.0, abs=0.015)
    assert np.mean(scores) < 0.06


def test_diverged_trials_count_as_worst_and_failed_ones_not_at_all():
    trials = SPACE.sample(30, 3)
    losses = np.array([np.nan if t["lr"] > 0.1 else 0.3 for t in trials])
    assert np.isnan(losses).sum() >= 4
    ranked = param_importance(results(trials, losses), SPACE)
    assert ranked[0].name == "lr" and ranked[0].score > 0.5
    failed = {i: "failed" for i in range(0, 30, 2)}
    kept = param_importance(results(trials, losses, failed), SPACE)
    assert kept[0].trials == 15


def test_too_few_trials_give_nothing_and_a_fixed_choice_is_not_ranked():
    trials = SPACE.sample(IMPORTANCE_MIN_TRIALS - 1, 0)
    assert param_importance(results(trials, np.arange(len(trials))), SPACE) == []
    no_bn = SearchSpace([*SPACE.params, Param("bn", "choice", [0])])
    trials = [{**t, "bn": 0} for t in SPACE.sample(20, 0)]
    names = {i.name for i in param_importance(results(trials, np.arange(20.0)), no_bn)}
    assert names == {p.name for p in SPACE}


def test_the_ranking_ignores_the_order_trials_ended_in_and_reads_the_twin_asked_for():
    res = synthetic("batch", seed=2)
    a = param_importance(res, SPACE)
    b = param_importance(res[::-1], SPACE)
    assert [(i.name, i.share) for i in a] == [(i.name, i.share) for i in b]
    # the no-BN twin's loss follows α; the BN net's (val_loss) follows the batch size
    alpha = synthetic("lr", seed=2)
    twins = [r.replace(bn=TwinOutcome("ok", r.val_loss), no_bn=TwinOutcome("ok", s.val_loss))
             for r, s in zip(res, alpha)]
    assert param_importance(twins, SPACE, twin="bn")[0].name == "batch"
    assert param_importance(twins, SPACE, twin="no_bn")[0].name == "lr"
