"""Which optimizer reads which β: one table in core, used by searches and the tuning panel."""

import pytest

from bn_studio.core.nn.optim import OPTIMIZER_BETAS, OPTIMIZERS, Optimizer, ignored_params
from bn_studio.core.search import (Param, SearchSpace, SearchSpaceError, SearchSpec,
                                   default_space)
from bn_studio.core.training.trainer import TrainConfig

import numpy as np


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_table_says_which_betas_change_the_update(name):
    """A β in the table changes the optimizer's steps; one outside it changes nothing."""
    g = np.random.default_rng(0).normal(size=5)

    def steps(**betas):
        w = np.zeros(5)
        opt = Optimizer(name, 0.1, **betas)
        for k in range(3):
            opt.step(w, g * (k + 1))
        return w

    base = steps(beta1=0.9, beta2=0.999, momentum=0.9)
    for beta, other in (("beta1", 0.5), ("beta2", 0.5), ("momentum", 0.5)):
        changed = steps(**{"beta1": 0.9, "beta2": 0.999, "momentum": 0.9, beta: other})
        assert (not np.array_equal(changed, base)) == (beta in OPTIMIZER_BETAS[name]), beta


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_default_space_searches_only_what_the_optimizer_reads(name):
    space = default_space(name)
    names = [p.name for p in space]
    assert names[0] == "lr" and not ignored_params(name, names)
    assert set(OPTIMIZER_BETAS[name]) <= set(names)
    SearchSpec(space, 4, TrainConfig(optimizer=name))       # accepted


def test_a_beta_the_optimizer_ignores_is_refused():
    space = SearchSpace([Param("beta1", "one_minus_log", 0.9, 0.999)])
    with pytest.raises(SearchSpaceError, match="beta1 changes nothing with the momentum"):
        SearchSpec(space, 4, TrainConfig(optimizer="momentum"))


def test_cli_search_refuses_an_ignored_parameter_with_exit_2(capsys):
    from bn_studio.cli import main
    code = main(["search", "--dataset", "moons", "--optimizer", "momentum", "--trials", "2",
                 "--param", "beta1=one_minus_log:0.9:0.999", "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "beta1 changes nothing with the momentum optimizer" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_nesterov_steps_from_where_momentum_is_about_to_take_w():
    """By hand, β = 0.9, α = 1, g = 1 twice: v = 0.1, step 0.9·0.1 + 0.1 = 0.19; then
    v = 0.19, step 0.9·0.19 + 0.1 = 0.271 (plain momentum: 0.1, then 0.19)."""
    w = np.zeros(1)
    opt = Optimizer("nesterov", 1.0, momentum=0.9)
    opt.step(w, np.array([1.0]))
    np.testing.assert_allclose(w, [-0.19], rtol=1e-12)
    opt.step(w, np.array([1.0]))
    np.testing.assert_allclose(w, [-0.461], rtol=1e-12)


def test_nesterov_is_pytorchs_nesterov_sgd_with_the_rate_times_one_minus_beta():
    """PyTorch: buf ← μ·buf + g; w ← w − lr·(g + μ·buf), written out for random gradients."""
    rng = np.random.default_rng(3)
    beta, alpha = 0.8, 0.05
    w, buf = rng.normal(size=6), np.zeros(6)
    w_torch = w.copy()
    opt = Optimizer("nesterov", alpha, momentum=beta)
    for _ in range(5):
        g = rng.normal(size=6)
        opt.step(w, g)
        buf = beta * buf + g
        w_torch -= alpha * (1 - beta) * (g + beta * buf)
    np.testing.assert_allclose(w, w_torch, rtol=1e-12)
