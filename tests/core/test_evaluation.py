"""Evaluation is a read-only look at the nets: eval mode, the right split, no side effects on
what the histograms show or on the running statistics; snapshots show the last training batch."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.nn.losses import softmax, softmax_cross_entropy
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.measure.stats import histogram
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, train_single


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=300, seed=0), seed=0)


def trained(split, steps=7, **kw):
    """Twins a few steps in, with no evaluation pass since the last training step."""
    cfg = TrainConfig(hidden=(8, 6), dtype="float64", eval_every=1000, **kw)
    t = TwinTrainer(cfg, split)
    for _ in range(steps):
        t.step()
    return t


def probes(net):
    return [[None if a is None else a.copy() for a in (hl.Z, hl.Z_tilde, hl.A)]
            for hl in net.hidden]


def running(net):
    return [(bn.running_mean.copy(), bn.running_var.copy()) for bn in net.bn_layers]


def test_evaluation_leaves_probes_and_running_statistics_unchanged(split):
    t = trained(split)
    before = {n: (probes(r.net), running(r.net)) for n, r in t.runs.items()}
    t.evaluate()
    for name, run in t.runs.items():
        old_probes, old_running = before[name]
        for old, new in zip(old_probes, probes(run.net)):
            for a, b in zip(old, new):
                if a is None:
                    assert b is None
                else:
                    np.testing.assert_array_equal(a, b)
        for (m0, v0), (m1, v1) in zip(old_running, running(run.net)):
            np.testing.assert_array_equal(m0, m1)
            np.testing.assert_array_equal(v0, v1)
    assert len(before["bn"][1]) == 2          # the BN net really has running statistics


def test_recorded_losses_are_eval_mode_cross_entropy_on_each_split(split):
    t = trained(split)
    t.evaluate()
    for name, run in t.runs.items():
        step, tl, ta, vl, va = run.evals.view()[-1]
        assert step == 7
        want_vl, _ = softmax_cross_entropy(run.net.forward(t.X_val, train=False), t.y_val)
        want_tl, _ = softmax_cross_entropy(run.net.forward(t.X_train, train=False), t.y_train)
        assert vl == pytest.approx(want_vl, rel=1e-12)
        assert tl == pytest.approx(want_tl, rel=1e-12)
        assert vl != pytest.approx(tl)      # the two splits really differ
        val_logits = run.net.forward(t.X_val, train=False)
        assert va == pytest.approx(np.mean(np.argmax(val_logits, 1) == t.y_val))
        summary = t.summary()[name]
        assert summary["val_loss"] == pytest.approx(want_vl, rel=1e-12)
        assert summary["val_accuracy"] == pytest.approx(va)


def test_predict_proba_and_logits_use_running_statistics():
    net = MLP(NetConfig(hidden=(6,), classes=3, batch_norm=True), seed=1)
    rng = np.random.default_rng(0)
    X = rng.normal(2.0, 3.0, (16, 2))
    for _ in range(3):                       # running statistics away from their start
        net.loss_and_grads(X, rng.integers(0, 3, 16))
    before = running(net)
    want = softmax(net.forward(X, train=False))
    np.testing.assert_allclose(net.predict_proba(X), want, rtol=1e-12)
    np.testing.assert_allclose(net.logits(X), net.forward(X, train=False), rtol=1e-12)
    assert net.predict_proba(X[:1]).shape == (1, 3)      # one example: only eval mode can
    for (m0, v0), (m1, v1) in zip(before, running(net)):
        np.testing.assert_array_equal(m0, m1)
        np.testing.assert_array_equal(v0, v1)


def test_snapshot_histograms_show_the_last_training_batch_not_an_evaluation(split):
    cfg = TrainConfig(hidden=(8, 6), dtype="float64", eval_every=2)
    t = TwinTrainer(cfg, split)
    seen = {}
    for name, run in t.runs.items():
        orig = run.net.loss_and_grads

        def spy(X, y, orig=orig, name=name, net=run.net):
            out = orig(X, y)
            seen[name] = probes(net)
            return out
        run.net.loss_and_grads = spy
    for _ in range(4):                       # the last step is followed by an evaluation
        t.step()
    s = t.snapshot()
    for name in t.runs:
        for i, layer in enumerate(s.runs[name].layers):
            Z, Zt, A = seen[name][i]
            np.testing.assert_array_equal(layer.z_hist, histogram(Z, s.z_edges[i]))
            np.testing.assert_array_equal(layer.a_hist, histogram(A, s.out_edges[i]))
            if name == "bn":
                np.testing.assert_array_equal(layer.out_hist, histogram(Zt, s.out_edges[i]))
                assert not np.array_equal(layer.out_hist, histogram(Z, s.out_edges[i]))
            else:
                assert layer.out_hist is None


def test_percentile_bands_are_15_50_85_of_what_the_layer_output(split):
    t = TwinTrainer(TrainConfig(hidden=(8,), dtype="float64", eval_every=3), split)
    last = {}
    for name, run in t.runs.items():
        orig = run.net.loss_and_grads

        def spy(X, y, orig=orig, name=name, net=run.net):
            out = orig(X, y)
            hl = net.hidden[0]
            last[name] = (hl.Z_tilde if hl.Z_tilde is not None else hl.Z).copy()
            return out
        run.net.loss_and_grads = spy
    for _ in range(3):
        t.step()
    s = t.snapshot()
    for name in t.runs:
        row = s.runs[name].layers[0].bands[-1]
        assert row[0] == 3
        np.testing.assert_allclose(row[1:], np.percentile(last[name], [15, 50, 85]))


def test_frozen_snapshot_net_keeps_its_running_statistics(split):
    t = trained(split, steps=3)
    packed = t.snapshot().runs["bn"].packed
    frozen = packed.net
    before, weights = running(frozen), frozen.flat_params.copy()
    for _ in range(3):
        t.step()
    for net in (frozen, packed.unpack()):       # built before and after the steps
        for (m0, v0), (m1, v1) in zip(before, running(net)):
            np.testing.assert_array_equal(m0, m1)
            np.testing.assert_array_equal(v0, v1)
        np.testing.assert_array_equal(net.flat_params, weights)
    assert not np.array_equal(before[0][0], t.runs["bn"].net.bn_layers[0].running_mean)
    assert not np.array_equal(weights, t.runs["bn"].net.flat_params)


def test_train_single_ends_with_an_evaluation_of_the_final_net(split):
    res = train_single(TrainConfig(hidden=(8,), steps=25, eval_every=10), split)
    assert res["curve"]["step"] == [0, 10, 20, 25]
    assert res["curve"]["val_loss"][-1] == pytest.approx(res["val_loss"])
