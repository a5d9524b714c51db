"""Where BN sits (lesson 13): BN after g, and a BN net that keeps the bias b it does not need;
and BN normalising with the whole training set's statistics (lesson 14)."""

import pickle

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.nn.losses import softmax_cross_entropy
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.search.groups import plan_groups
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, train_single

from test_gradients import numeric_grad, rel_error


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.integers(0, 3, n)


def _net(**kw):
    return MLP(NetConfig(hidden=(5, 4), classes=3, batch_norm=True, activation="sigmoid",
                         **kw), seed=3)


def test_a_kept_bias_gets_a_zero_gradient_and_changes_nothing():
    """BN subtracts the batch mean of Z = a·W + b, and b with it: whatever b is, the logits
    are the same, and dL/db = Σ dL/dZ over the batch is zero (to rounding)."""
    X, y = _data()
    kept, dropped = _net(bn_keep_bias=True), _net()
    assert "b" in kept.hidden[0].dense.params and "b" not in dropped.hidden[0].dense.params
    np.testing.assert_array_equal(kept.hidden[0].dense.params["W"],
                                  dropped.hidden[0].dense.params["W"])
    for hl in kept.hidden:
        hl.dense.params["b"][...] = np.random.default_rng(1).normal(size=hl.dense.params[
            "b"].shape) * 3
    np.testing.assert_allclose(kept.forward(X), dropped.forward(X), rtol=0, atol=1e-12)
    kept.loss_and_grads(X, y)
    for hl in kept.hidden:
        db, dw = hl.dense.grads["b"], hl.dense.grads["W"]
        assert np.max(np.abs(db)) < 1e-14 * max(1.0, np.max(np.abs(dw)))
        assert np.max(np.abs(dw)) > 1e-4                    # W does learn
    with pytest.raises(AssertionError):                     # without BN, b does learn
        plain = MLP(NetConfig(hidden=(5, 4), classes=3), seed=3)
        plain.loss_and_grads(X, y)
        assert np.max(np.abs(plain.hidden[0].dense.grads["b"])) < 1e-14


def test_bn_after_g_is_dense_then_g_then_bn_with_exact_gradients():
    X, y = _data()
    net = _net(bn_after_g=True)
    assert "b" in net.hidden[0].dense.params      # after g, b is not redundant
    a = X
    for hl in net.hidden:                       # the composition, written out
        z = a @ hl.dense.params["W"] + hl.dense.params["b"]
        g = 1 / (1 + np.exp(-z))
        a = (g - g.mean(0)) / np.sqrt(g.var(0) + hl.bn.eps)
    logits = a @ net.output.params["W"] + net.output.params["b"]
    np.testing.assert_allclose(net.forward(X), logits, rtol=1e-12)

    def loss():
        return softmax_cross_entropy(net.forward(X, train=True), y)[0]
    net.loss_and_grads(X, y)
    analytic = net.flat_grads.copy()
    assert rel_error(analytic, numeric_grad(loss, net.flat_params)) < 1e-6
    hl = net.hidden[0]
    assert hl.A is not None and np.all((hl.A > 0) & (hl.A < 1))      # A is g's output


def test_statistics_of_the_whole_set_give_the_rows_gradient_through_them():
    """loss_and_grads_on_rows: the loss of the mini-batch rows, BN normalising with all of
    X's μ and σ²; the gradient (checked by differences) includes their path through μ, σ²."""
    X, y = _data(20)
    rows = np.array([3, 7, 11, 12])
    for after in (False, True):
        net = _net(bn_after_g=after)

        def loss(net=net):
            logits = net.forward(X, train=True)
            return softmax_cross_entropy(logits[rows], y[rows])[0]
        got, _ = net.loss_and_grads_on_rows(X, y, rows)
        assert got == pytest.approx(loss(), rel=1e-12)
        analytic = net.flat_grads.copy()
        assert rel_error(analytic, numeric_grad(loss, net.flat_params)) < 1e-6
        every = np.arange(len(y))                   # all rows: ordinary full-batch BN
        net.loss_and_grads_on_rows(X, y, every)
        on_rows = net.flat_grads.copy()
        net.loss_and_grads(X, y)
        np.testing.assert_allclose(on_rows, net.flat_grads, rtol=1e-12, atol=1e-15)


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=120, seed=0), seed=0)


def test_the_trainer_normalises_with_the_training_set_and_leaves_the_no_bn_twin(split):
    cfg = TrainConfig(hidden=(6,), batch=8, seed=2, dtype="float64", bn_stats="train_set")
    t, plain = TwinTrainer(cfg, split), TwinTrainer(cfg.replace(bn_stats="batch"), split)
    for _ in range(5):
        w = t.runs["bn"].net.hidden[0].dense.params["W"].copy()
        t.step()
        plain.step()
    np.testing.assert_array_equal(t.runs["no_bn"].net.flat_params,
                                  plain.runs["no_bn"].net.flat_params)
    z = t.X_train @ w                   # the last step's Z over the whole training set
    bn = t.runs["bn"].net.hidden[0].bn
    np.testing.assert_allclose(bn.batch_mean, z.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.batch_var, z.var(axis=0), rtol=1e-12)
    assert len(t.X_train) > cfg.batch == len(t.batch_rows)
    assert not np.allclose(t.runs["bn"].net.flat_params, plain.runs["bn"].net.flat_params)
    assert len(t.runs["bn"].train) == 5 and np.isfinite(t.runs["bn"].last_loss)


def test_the_switches_reach_clones_pickles_the_cli_and_the_search_path(split):
    for kw in ({"bn_after_g": True}, {"bn_keep_bias": True}, {"bn_stats": "train_set"}):
        cfg = TrainConfig(hidden=(4,), steps=5, **kw)
        groups = plan_groups([(0, 0, {"lr": 0.01}), (1, 1, {"lr": 0.1})], cfg)
        assert all(not g.population for g in groups)        # the single-trial path
        assert train_single(cfg, split)["status"] == "ok"
    net = _net(bn_after_g=True, bn_keep_bias=True)
    for copy in (net.clone(), pickle.loads(pickle.dumps(net))):
        assert copy.config.bn_after_g and "b" in copy.hidden[0].dense.params
        np.testing.assert_array_equal(copy.flat_params, net.flat_params)
    from bn_studio.cli import build_parser
    from bn_studio.cli.options import config_from_args
    args = build_parser().parse_args(["train", "--bn-after-g", "--bn-keep-bias",
                                      "--bn-stats", "train_set"])
    got = config_from_args(args)
    assert got.bn_after_g and got.bn_keep_bias and got.bn_stats == "train_set"
    with pytest.raises(ValueError):
        TrainConfig(bn_stats="population")


def test_the_kept_bias_report_shows_a_zero_gradient_only_where_bn_follows():
    from bn_studio.core.lessons import numbers as L
    X, y = _data(40)
    kept = L.kept_bias_report(_net(bn_keep_bias=True, dtype="float64"), X, y, batch=8)
    assert kept["db"] < 1e-14 * kept["dw"] and kept["b"] == 0.0
    plain = MLP(NetConfig(hidden=(5, 4), classes=3, activation="sigmoid"), seed=3)
    assert L.kept_bias_report(plain, X, y, batch=8)["db"] > 1e-6      # no BN: b learns
    assert np.isnan(L.kept_bias_report(_net(), X, y, batch=8)["db"])   # no b at all
