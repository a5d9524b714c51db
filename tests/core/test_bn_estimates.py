"""Lesson 12's test-time estimates: one pass over the training set gives each BN layer the
true mean and variance of what it normalises, so the eval-mode net equals the train-mode
net on the whole set as one batch."""

import numpy as np
import pytest

from bn_studio.core.nn import bn_estimates as E
from bn_studio.core import limits
from bn_studio.core.nn.network import MLP, NetConfig


def _trained_net(after: bool, seed: int = 0) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(50, 2)) * 2 + 1, rng.integers(0, 3, 50)
    net = MLP(NetConfig(hidden=(6, 5, 4), classes=3, batch_norm=True, activation="tanh",
                        bn_after_g=after), seed=seed)
    for _ in range(30):                     # running averages that are not the true ones
        idx = rng.choice(50, 8, replace=False)
        net.loss_and_grads(X[idx], y[idx])
        net.flat_params -= 0.1 * net.flat_grads
    return net, X, y


@pytest.mark.parametrize("after", [False, True])
def test_a_full_pass_makes_eval_mode_equal_to_the_whole_set_as_one_batch(after, monkeypatch):
    monkeypatch.setattr(limits, "EVAL_CHUNK_ROWS", 7)      # chunks of 7 rows, merged
    net, X, _ = _trained_net(after)
    before = [bn.running_mean.copy() for bn in net.bn_layers]
    full = E.full_pass_statistics(net, X)
    one_batch = net.clone().forward(X, train=True)     # BN with the statistics of all of X
    np.testing.assert_allclose(full.forward(X, train=False), one_batch, rtol=1e-10,
                               atol=1e-12)
    assert not np.allclose(net.forward(X, train=False), one_batch, atol=1e-3)
    for bn, mean in zip(net.bn_layers, before):         # the net itself is left as it was
        np.testing.assert_array_equal(bn.running_mean, mean)


def test_the_estimates_are_the_mean_and_variance_of_each_layers_input():
    net, X, _ = _trained_net(False, seed=1)
    full = E.full_pass_statistics(net, X)
    a = X
    for hl, fhl in zip(net.hidden, full.hidden):
        z = a @ hl.dense.params["W"]
        np.testing.assert_allclose(fhl.bn.running_mean, z.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(fhl.bn.running_var, z.var(axis=0), rtol=1e-12)
        z_norm = (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + hl.bn.eps)
        a = np.tanh(hl.bn.params["gamma"] * z_norm + hl.bn.params["beta"])


def test_compare_reports_no_gap_when_the_running_averages_are_the_full_pass():
    net, X, y = _trained_net(False, seed=2)
    full = E.full_pass_statistics(net, X)
    same = E.compare_estimates(full, X, X, y)
    assert same["ewma_loss"] == pytest.approx(same["full_loss"], rel=1e-12)
    assert max(same["mean_gap"]) < 1e-12 and max(same["log_var_ratio"]) < 1e-12
    lagged = E.compare_estimates(net, X, X, y)
    assert max(lagged["mean_gap"]) > 1e-3
    assert lagged["full_loss"] == pytest.approx(same["full_loss"], rel=1e-12)
    logits = full.forward(X, train=False)
    assert lagged["full_acc"] == pytest.approx(np.mean(np.argmax(logits, axis=1) == y))


def test_bn_running_beta_changes_nothing_in_training():
    """Lesson 12 says so: training normalises with each batch's own statistics, so only the
    running averages (the test-time estimate) differ between two values of BN's β."""
    from bn_studio.core.data.datasets import make_dataset, split_and_standardize
    from bn_studio.core.training.trainer import TrainConfig, TwinTrainer
    split = split_and_standardize(make_dataset("moons", n=120, seed=0), seed=0)
    a, b = (TwinTrainer(TrainConfig(hidden=(6, 5), batch=16, bn_decay=d), split, runs=("bn",))
            for d in (0.5, 0.999))
    for _ in range(20):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.runs["bn"].net.flat_params, b.runs["bn"].net.flat_params)
    assert not np.allclose(a.runs["bn"].net.bn_layers[0].running_mean,
                           b.runs["bn"].net.bn_layers[0].running_mean)
