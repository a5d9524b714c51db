"""Diagnostics (core/diagnostics.py) against known answers: hand-written backward passes,
central differences, a hand-applied SGD step and hand-made activations."""

import math

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.measure.diagnostics import (GRADIENT_BINS, log10_ratio, reduceat_indices,
                                                saturated_share, shared_edges, weight_bounds)
from bn_studio.core.nn.losses import softmax, softmax_cross_entropy
from bn_studio.core.measure.snapshot import histories
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("blobs", n=200, classes=3, seed=0), seed=0)


def trainer(split, **kw):
    cfg = dict(hidden=(6, 5), activation="tanh", optimizer="sgd", lr=0.1, batch=16,
               dtype="float64", eval_every=5)
    cfg.update(kw)
    return TwinTrainer(TrainConfig(**cfg), split, diagnostics=True)


def hand_gradients(net, X, y):
    """dL/dZ and dL/dW of every hidden layer of a no-BN tanh net, written out by hand."""
    Zs, As, a = [], [X], X
    for hl in net.hidden:
        z = a @ hl.dense.params["W"] + hl.dense.params["b"]
        a = np.tanh(z)
        Zs.append(z)
        As.append(a)
    logits = a @ net.output.params["W"] + net.output.params["b"]
    onehot = np.eye(logits.shape[1])[y]
    d = (softmax(logits) - onehot) / len(y)                # dL/dlogits
    d = d @ net.output.params["W"].T
    out = []
    for i in reversed(range(len(net.hidden))):
        dz = d * (1 - np.tanh(Zs[i]) ** 2)
        out.append((dz, As[i].T @ dz))
        d = dz @ net.hidden[i].dense.params["W"].T
    return out[::-1]


def test_gradient_stds_equal_a_hand_written_backward_pass(split):
    t = trainer(split)
    for _ in range(7):
        t.step()
    X, y = t.peek_batch()
    net = t.runs["no_bn"].net.clone()
    expected = hand_gradients(net, X, y)
    t.step()
    diag = t.snapshot(diagnostics=True).diagnostics["no_bn"]
    for layer, (dz, dw) in zip(diag.layers, expected):
        assert layer.dz_std == pytest.approx(np.std(dz), rel=1e-9)
        assert layer.dw_std == pytest.approx(np.std(dw), rel=1e-9)
        counts, _ = np.histogram(dz, bins=layer.dz_edges)
        inside = counts / dz.size
        np.testing.assert_allclose(layer.dz_share, inside, atol=1e-12)
        assert layer.dz_share.sum() + sum(layer.dz_off) / dz.size == pytest.approx(1.0)


def test_bn_weight_gradient_matches_central_differences(split):
    t = trainer(split, activation="sigmoid")
    t.step()
    X, y = t.peek_batch()
    net = t.runs["bn"].net.clone()
    W = net.hidden[0].dense.params["W"]
    numeric = np.zeros_like(W)
    h = 1e-6
    for idx in np.ndindex(W.shape):
        old = W[idx]
        W[idx] = old + h
        up, _ = softmax_cross_entropy(net.clone().forward(X, train=True), y)
        W[idx] = old - h
        down, _ = softmax_cross_entropy(net.clone().forward(X, train=True), y)
        W[idx] = old
        numeric[idx] = (up - down) / (2 * h)
    t.step()
    layer = t.snapshot(diagnostics=True).diagnostics["bn"].layers[0]
    assert layer.dw_std == pytest.approx(np.std(numeric), rel=1e-5)


def test_step_zero_shows_the_gradients_the_first_step_applies(split):
    t = trainer(split)
    at_zero = t.snapshot(diagnostics=True).diagnostics
    t.step()
    at_one = t.snapshot(diagnostics=True).diagnostics
    for name in at_zero:
        assert at_zero[name].first_loss == at_one[name].first_loss
        for a, b in zip(at_zero[name].layers, at_one[name].layers):
            assert a.dz_std == b.dz_std and a.dw_std == b.dw_std
            np.testing.assert_array_equal(a.dw_share, b.dw_share)


def test_peek_batch_does_not_draw(split):
    t = trainer(split, batch=64)
    for _ in range(5):                       # 150 training rows: an epoch ends at step 2
        X, y = t.peek_batch()
        np.testing.assert_array_equal(X, t.next_batch()[0])


def test_update_ratio_equals_a_hand_applied_sgd_step(split):
    t = trainer(split, lr=0.3)
    for _ in range(3):
        t.step()
    X, y = t.peek_batch()
    net = t.runs["no_bn"].net.clone()
    before = [hl.dense.params["W"].copy() for hl in net.hidden] + [net.output.params["W"].copy()]
    net.loss_and_grads(X, y)
    grads = [hl.dense.grads["W"] for hl in net.hidden] + [net.output.grads["W"]]
    expected = [math.log10(np.std(0.3 * g) / np.std(w)) for g, w in zip(grads, before)]
    t.step()
    row = t.diagnostics.ratio["no_bn"].view()[-1]
    assert row[0] == 4
    np.testing.assert_allclose(row[1:], expected, rtol=1e-9)


def test_update_ratio_follows_a_mid_run_learning_rate_change(split):
    """SGD: ten times α, ten times the update: the ratio rises by exactly 1 (same batch)."""
    a, b = trainer(split, lr=0.01), trainer(split, lr=0.01)
    for _ in range(4):
        a.step()
        b.step()
    b.change("lr", 0.1)
    a.step()
    b.step()
    ra, rb = a.diagnostics.ratio["no_bn"].view()[-1], b.diagnostics.ratio["no_bn"].view()[-1]
    np.testing.assert_allclose(rb[1:] - ra[1:], 1.0, atol=1e-9)


def test_update_ratio_is_the_update_adam_applied(split):
    t = trainer(split, optimizer="adam", lr=0.01)
    t.step()
    before = t.runs["bn"].net.output.params["W"].copy()
    t.step()
    after = t.runs["bn"].net.output.params["W"]
    row = t.diagnostics.ratio["bn"].view()[-1]
    assert row[-1] == pytest.approx(math.log10(np.std(after - before) / np.std(before)),
                                    rel=1e-9)


def test_log10_ratio_of_segments():
    rng = np.random.default_rng(0)
    update, weights = rng.normal(0, 0.01, 30), rng.normal(2, 1, 30)
    bounds = [0, 10, 12, 30]
    got = log10_ratio(np.stack((update, weights)), reduceat_indices(bounds, 30),
                      np.array([10.0, 18.0]))
    for k, (lo, hi) in enumerate(((0, 10), (12, 30))):
        assert got[k] == pytest.approx(math.log10(np.std(update[lo:hi])
                                                  / np.std(weights[lo:hi])))
    update[:10] = 0                          # no update: not a number, not -inf
    got = log10_ratio(np.stack((update, weights)), reduceat_indices(bounds, 30),
                      np.array([10.0, 18.0]))
    assert np.isnan(got[0]) and np.isfinite(got[1])


def test_weight_bounds_cover_the_weight_matrices(split):
    net = trainer(split).runs["no_bn"].net
    b = weight_bounds(net)
    parts = [net.flat_params[b[i]:b[i + 1]] for i in range(0, len(b), 2)]
    mats = [hl.dense.params["W"] for hl in net.hidden] + [net.output.params["W"]]
    for part, W in zip(parts, mats):
        np.testing.assert_array_equal(part, W.ravel())


def test_saturated_share_counts_small_derivatives():
    A = np.array([[0.5, 0.99], [0.01, 0.96]])     # σ' = .25, .0099, .0099, .0384
    assert saturated_share("sigmoid", A) == 0.75
    assert saturated_share("tanh", np.array([[0.0, 0.99], [-0.98, 0.5]])) == 0.5
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]])    # unit 0 is dead on the batch
    assert saturated_share("relu", relu) == pytest.approx(1 / 3)


def test_shared_edges_hold_both_twins():
    wide, narrow = np.linspace(-2, 2, 1001), np.linspace(-0.01, 0.01, 1001)
    edges = shared_edges(wide, narrow)
    assert edges.size == GRADIENT_BINS + 1 and edges[0] == -edges[-1]
    assert 1.9 < edges[-1] <= 2.0
    assert np.all(np.isfinite(shared_edges(np.zeros(5))))


def test_first_loss_of_a_uniform_guess_is_ln_c(split):
    t = TwinTrainer(TrainConfig(hidden=(4,), dtype="float64"), split, diagnostics=True)
    for run in t.runs.values():
        run.net.output.params["W"][...] = 0.0
    t.diagnostics = type(t.diagnostics)(t.runs, 10, None, t.peek_batch())
    t.step()
    for d in t.snapshot(diagnostics=True).diagnostics.values():
        assert d.first_loss == pytest.approx(math.log(3))
        assert d.classes == 3


def test_gamma_and_beta_histories_follow_the_bn_net(split):
    t = trainer(split, optimizer="adam", lr=0.05)
    for _ in range(10):
        t.step()
    diag = t.snapshot(diagnostics=True).diagnostics
    assert diag["no_bn"].layers[0].gamma_history is None
    for layer, hl in zip(diag["bn"].layers, t.runs["bn"].net.hidden):
        g = layer.gamma_history
        assert list(g[:, 0]) == [0, 5, 10]
        np.testing.assert_array_equal(g[0, 1:], 1.0)
        np.testing.assert_array_equal(g[-1, 1:], hl.bn.params["gamma"])
        np.testing.assert_array_equal(layer.beta_history[-1, 1:], hl.bn.params["beta"])


def test_diagnostics_only_when_asked_and_walked_as_histories(split):
    t = trainer(split)
    t.step()
    assert t.snapshot().diagnostics is None
    assert TwinTrainer(TrainConfig(hidden=(4,)), split).snapshot(diagnostics=True) \
        .diagnostics is None
    keys = histories(t.snapshot(diagnostics=True))
    assert ("diagnostics", "bn", "update_ratio") in keys
    assert ("diagnostics", "bn", "layers", 1, "gamma_history") in keys


def test_a_diverged_net_stops_adding_ratios(split):
    t = trainer(split, lr=0.1)
    t.step()
    t.runs["no_bn"].diverged_at = 1
    t.step()
    assert t.diagnostics.ratio["no_bn"].view()[-1, 0] == 1
    assert t.diagnostics.ratio["bn"].view()[-1, 0] == 2
