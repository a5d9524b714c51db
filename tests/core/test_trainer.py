"""Twin runs, determinism, divergence and the optimizers' maths."""

import numpy as np
import pytest

from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.network import MLP, NetConfig
from bn_studio.core.optim import Optimizer
from bn_studio.core.trainer import TrainConfig, TwinTrainer, train_single


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=300, seed=0), seed=0)


def test_twins_start_from_identical_weights(split):
    t = TwinTrainer(TrainConfig(hidden=(8, 8), dtype="float64"), split)
    bn, plain = t.runs["bn"].net, t.runs["no_bn"].net
    for a, b in zip(bn.hidden, plain.hidden):
        np.testing.assert_array_equal(a.dense.params["W"], b.dense.params["W"])
        assert "b" not in a.dense.params and "b" in b.dense.params
    np.testing.assert_array_equal(bn.output.params["W"], plain.output.params["W"])


def test_twins_see_identical_batches(split, monkeypatch):
    t = TwinTrainer(TrainConfig(hidden=(8,), batch=16), split)
    seen = {"bn": [], "no_bn": []}
    for name, run in t.runs.items():
        orig = run.net.loss_and_grads

        def spy(X, y, orig=orig, name=name):
            seen[name].append((X.copy(), y.copy()))
            return orig(X, y)
        monkeypatch.setattr(run.net, "loss_and_grads", spy)
    for _ in range(30):     # crosses an epoch boundary (225 training points / 16)
        t.step()
    for (xa, ya), (xb, yb) in zip(seen["bn"], seen["no_bn"]):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert len(seen["bn"]) == 30


def test_same_seed_gives_bit_identical_curves(split):
    def curves():
        t = TwinTrainer(TrainConfig(hidden=(16, 16), seed=7), split)
        for _ in range(60):
            t.step()
        return {n: (r.train.view().copy(), r.evals.view().copy()) for n, r in t.runs.items()}
    a, b = curves(), curves()
    for n in a:
        np.testing.assert_array_equal(a[n][0], b[n][0])
        np.testing.assert_array_equal(a[n][1], b[n][1])


def test_different_seed_gives_different_weights(split):
    a = TwinTrainer(TrainConfig(hidden=(8,), seed=1), split).runs["bn"].net.flat_params
    b = TwinTrainer(TrainConfig(hidden=(8,), seed=2), split).runs["bn"].net.flat_params
    assert not np.array_equal(a, b)


def test_huge_learning_rate_diverges_stops_the_twin_and_counts_the_steps_before_it(split):
    t = TwinTrainer(TrainConfig(hidden=(16, 16), optimizer="sgd", lr=50.0, eval_every=5), split)
    for _ in range(60):
        t.step()
    run = t.runs["no_bn"]
    at = run.diverged_at
    assert at is not None and 1 < at < 60
    frozen = run.net.flat_params.copy()
    t.step()
    np.testing.assert_array_equal(run.net.flat_params, frozen)     # no update after it
    assert run.train.view()[-1, 0] == at - 1
    summary = t.summary()["no_bn"]
    assert summary["diverged_at"] == at
    assert summary["steps_run"] == len(run.train) == at - 1


def test_train_single_returns_json_ready_result(split):
    import json
    res = train_single(TrainConfig(hidden=(16,), steps=50, eval_every=10), split)
    json.dumps(res)
    assert res["status"] == "ok" and res["steps_run"] == 50
    assert res["curve"]["step"][-1] == 50
    cancelled = train_single(TrainConfig(hidden=(16,), steps=50), split, should_stop=lambda: True)
    assert cancelled["status"] == "cancelled"


def test_snapshot_shapes(split):
    t = TwinTrainer(TrainConfig(hidden=(12, 8), eval_every=5), split)
    for _ in range(20):
        t.step()
    s = t.snapshot()
    assert s.step == 20
    assert len(s.runs["bn"].layers) == 2
    for name in ("bn", "no_bn"):
        for i, layer in enumerate(s.runs[name].layers):
            assert layer.z_hist.shape == (s.z_edges[i].size - 1,)
            assert layer.bands.shape == (4, 4)      # steps 5, 10, 15, 20
    bn1 = s.runs["bn"].layers[1]
    assert bn1.out_hist is not None and bn1.running_mean.shape == (8,)
    assert bn1.running_history.shape == (4, 1 + 4 * 8)
    assert s.runs["no_bn"].layers[0].out_hist is None
    # The frozen net is a copy: training on does not change it.
    frozen = s.runs["bn"].net.flat_params.copy()
    t.step()
    np.testing.assert_array_equal(s.runs["bn"].net.flat_params, frozen)


def test_bn_running_stats_track_training_batches(split):
    t = TwinTrainer(TrainConfig(hidden=(8,), lr=1e-4, bn_decay=0.9), split)
    for _ in range(300):
        t.step()
    bn = t.runs["bn"].net.hidden[0].bn
    Z = t.X_train @ t.runs["bn"].net.hidden[0].dense.params["W"]
    np.testing.assert_allclose(bn.running_mean, Z.mean(0), atol=0.15)
    np.testing.assert_allclose(bn.running_var, Z.var(0), rtol=0.25, atol=0.05)


def test_adam_first_step_moves_each_weight_by_lr():
    w = np.array([1.0, -2.0, 3.0])
    Optimizer("adam", 0.1).step(w, np.array([0.5, -3.0, 1e-3]))
    np.testing.assert_allclose(w, [0.9, -1.9, 2.9], atol=1e-4)


def test_momentum_is_ewma_of_gradients():
    w = np.zeros(1)
    opt = Optimizer("momentum", 1.0, momentum=0.9)
    opt.step(w, np.array([1.0]))
    opt.step(w, np.array([1.0]))
    np.testing.assert_allclose(w, [-(0.1 + 0.19)])


def test_rmsprop_and_decay_and_l2():
    w = np.array([1.0])
    opt = Optimizer("rmsprop", 0.01, beta2=0.999, decay=1.0)
    opt.epoch = 1
    assert opt.lr == 0.005
    opt.step(w, np.array([2.0]))
    np.testing.assert_allclose(w, [1.0 - 0.005 * 2.0 / (np.sqrt(0.001 * 4.0) + 1e-8)])
    w = np.array([2.0])
    Optimizer("sgd", 0.1, l2=0.5).step(w, np.zeros(1))
    np.testing.assert_allclose(w, [2.0 - 0.1 * 0.5 * 2.0])


def test_assigned_params_are_adopted_by_the_network():
    net = MLP(NetConfig(hidden=(3,), classes=2, batch_norm=True), seed=0)
    net.hidden[0].bn.params["gamma"] = np.full(3, 2.0)
    net.loss_and_grads(np.random.default_rng(0).standard_normal((4, 2)), np.array([0, 1, 0, 1]))
    assert np.any(net.flat_params == 2.0)
    assert net.hidden[0].bn.params["gamma"].base is not None


def test_bad_config_is_refused_with_a_message():
    with pytest.raises(ValueError, match="learning rate"):
        TrainConfig(lr=-1)
    with pytest.raises(ValueError, match="batch size"):
        TrainConfig(batch=1)


def test_network_pickles_with_identical_outputs():
    import pickle
    net = MLP(NetConfig(hidden=(5, 4), classes=3, batch_norm=True), seed=2)
    X = np.random.default_rng(0).standard_normal((8, 2))
    net.loss_and_grads(X, np.array([0, 1, 2, 0, 1, 2, 0, 1]))
    copy = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(copy.forward(X, train=False), net.forward(X, train=False))
    np.testing.assert_array_equal(copy.bn_layers[0].running_var, net.bn_layers[0].running_var)
    copy.flat_params[:] = 0     # the copy's parameters are still views of its flat buffer
    assert np.all(copy.hidden[0].dense.params["W"] == 0)


def test_input_shift_is_invisible_to_the_first_bn_layer(split):
    """Covariate shift: BN(Z + c) = BN(Z), so the BN net's first normalised layer is unchanged."""
    t = TwinTrainer(TrainConfig(hidden=(8,), dtype="float64"), split)
    X = t.X_train[:32]
    bn_net, plain = t.runs["bn"].net, t.runs["no_bn"].net
    bn_net.forward(X)
    plain.forward(X)
    before_bn, before_plain = bn_net.hidden[0].Z_tilde.copy(), plain.hidden[0].Z.copy()
    bn_net.forward(X + 2.0)
    plain.forward(X + 2.0)
    np.testing.assert_allclose(bn_net.hidden[0].Z_tilde, before_bn, atol=1e-9)
    assert np.abs(plain.hidden[0].Z - before_plain).max() > 0.1
    t.shift_inputs([2.0, -1.0])
    np.testing.assert_allclose(t.X_train[:32], X + [2.0, -1.0])
