"""Twin runs, determinism, divergence and the optimizers' maths."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.nn.optim import Optimizer
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, advance, train_single


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
            assert layer.bands.shape == (5, 4)      # steps 0, 5, 10, 15, 20
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


def test_adam_adds_eps_to_the_corrected_root_as_pytorch_does():
    """w ← w − α·v̂/(√ŝ + ε), ŝ = s/(1 − β₂ᵗ): ε is not scaled by the correction, which
    shows when |g| is near ε (first step: v̂ = g, ŝ = g²)."""
    w, g = np.zeros(2), np.array([1e-8, -3e-8])
    Optimizer("adam", 1.0).step(w, g)
    np.testing.assert_allclose(w, -g / (np.abs(g) + 1e-8), rtol=1e-9)


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
    assert opt.lr.item() == 0.005
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


def test_snapshot_counts_the_values_off_the_fixed_bins_and_bins_the_rest():
    split = split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)
    trainer = TwinTrainer(TrainConfig(hidden=(16,), activation="tanh", batch=32), split)
    trainer.step()
    trainer.z_edges[0] = np.linspace(-0.1, 0.2, 7)       # narrow bins: most values fall off
    layer = trainer.snapshot().runs["no_bn"].layers[0]
    z = trainer.runs["no_bn"].net.hidden[0].Z.ravel()
    assert layer.z_off == (np.sum(z < -0.1), np.sum(z > 0.2))
    assert layer.z_off[0] > 0 and layer.z_off[1] > 0 and layer.n_values == z.size
    inside = np.sum(layer.z_hist * np.diff(trainer.z_edges[0])) * z.size
    assert round(inside) == z.size - sum(layer.z_off)


def test_the_step_0_snapshot_holds_the_untrained_nets_distributions():
    split = split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)
    trainer = TwinTrainer(TrainConfig(hidden=(16, 8), batch=32), split)
    snap = trainer.snapshot()
    for run in snap.runs.values():
        for i, layer in enumerate(run.layers):
            assert layer.n_values == min(256, split.X_train.shape[0]) * (16, 8)[i]
            mass = np.sum(layer.z_hist * np.diff(snap.z_edges[i]))
            assert mass + sum(layer.z_off) / layer.n_values == pytest.approx(1.0)
    # the probe pass ran on copies: running statistics are still their initial 0 and 1
    bn = trainer.runs["bn"].net.hidden[0].bn
    assert np.all(bn.running_mean == 0) and np.all(bn.running_var == 1)


def test_snapshot_grad_norms_are_the_first_batch_weight_gradients(split):
    cfg = TrainConfig(hidden=(8, 6, 4), activation="sigmoid", dtype="float64")
    t = TwinTrainer(cfg, split)
    fresh = TwinTrainer(cfg, split)                 # same weights, same first batch
    X, y = fresh.next_batch()
    t.step()
    snap = t.snapshot()
    for name, run in fresh.runs.items():
        run.net.loss_and_grads(X, y)
        expect = [np.linalg.norm(hl.dense.grads["W"]) for hl in run.net.hidden]
        np.testing.assert_allclose(snap.runs[name].grad_norms, expect, rtol=1e-12)
        assert snap.runs[name].grad_norms.shape == (3,)


def test_grad_norms_are_zero_before_any_step(split):
    snap = TwinTrainer(TrainConfig(hidden=(8,)), split).snapshot()
    assert np.all(snap.runs["no_bn"].grad_norms == 0)


def test_a_mid_run_change_equals_a_fresh_optimizer_with_the_new_value_on_the_same_state(split):
    import copy
    cfg = TrainConfig(hidden=(8, 6), optimizer="momentum", lr=0.05, momentum=0.9,
                      dtype="float64", batch=16)
    live = TwinTrainer(cfg, split)
    for _ in range(25):
        live.step()
    fresh = copy.deepcopy(live)              # the same state, continued by hand
    live.change("lr", 0.4)
    live.change("momentum", 0.7)
    live.change("bn_decay", 0.5)
    new = cfg.replace(lr=0.4, momentum=0.7, bn_decay=0.5)
    for run in fresh.runs.values():
        opt = new.make_optimizer()
        opt.states, opt.t, opt.epoch = run.opt.states, run.opt.t, run.opt.epoch
        run.opt = opt
        for hl in run.net.hidden:
            if hl.bn is not None:
                hl.bn.decay = 0.5
    for _ in range(25):
        live.step()
        fresh.step()
    for name in live.runs:
        np.testing.assert_array_equal(live.runs[name].net.flat_params,
                                      fresh.runs[name].net.flat_params)
    made = ((25, "lr", 0.4), (25, "momentum", 0.7), (25, "bn_decay", 0.5))
    assert live.config == new.replace(changes=made)      # the edits joined the run's changes
    assert live.snapshot().changes == made


def test_changes_apply_at_their_step_and_bad_ones_are_refused(split):
    from bn_studio.core.training.changes import parse_change
    assert parse_change("500:lr=5") == (500, "lr", 5.0)
    for bad, words in (("500:hidden=4", "cannot change mid-run"), ("lr=5", "STEP:NAME=VALUE"),
                       ("-1:lr=5", "at least 0"),
                       ("1" + "0" * 21 + ":lr=5", "at most 1,000,000 .the limit on steps")):
        with pytest.raises(ValueError, match=words):
            parse_change(bad)
    t = TwinTrainer(TrainConfig(hidden=(8,), batch=16), split)
    t = TwinTrainer(t.config.replace(changes=[(20, "lr", 0.5), (10, "l2", 0.01)]), split)
    advance(t, 30)
    assert t.step_count == 30 and t.changes == [(10, "l2", 0.01), (20, "lr", 0.5)]
    assert all(r.opt.lr0.item() == 0.5 and r.opt.l2.item() == 0.01 for r in t.runs.values())
    with pytest.raises(ValueError, match="learning rate"):
        t.change("lr", -1.0)
    assert t.config.lr == 0.5                # a refused change leaves the run as it was


def test_a_change_due_at_the_last_step_is_applied_and_reported(split):
    """As `train --change STEPS:…` always did: the run ends with the change in force."""
    t = TwinTrainer(TrainConfig(hidden=(8,), batch=16, changes=((30, "lr", 0.5),)), split)
    assert advance(t, 30) == "ok"
    assert t.changes == [(30, "lr", 0.5)] and t.config.lr == 0.5


def test_live_curves_use_a_stratified_sample_of_a_large_split_and_the_summary_all_of_it():
    from bn_studio.core.training.streams import EVAL_ROWS, stratified_sample
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [9000, 900, 100])
    idx = stratified_sample(y, 2000, rng)
    counts = np.bincount(y[idx], minlength=3)
    assert abs(idx.size - 2000) <= 3 and np.all(np.diff(idx) > 0)
    np.testing.assert_allclose(counts / idx.size, [0.9, 0.09, 0.01], atol=0.002)
    assert stratified_sample(y[:50], 2000, rng) is None           # small: every row
    ds = make_dataset("blobs", n=12000, classes=3, seed=0)
    split = split_and_standardize(ds, seed=0)
    t = TwinTrainer(TrainConfig(hidden=(8,), batch=64), split)
    rows = t.eval_rows
    assert rows["curves_train"] <= EVAL_ROWS + 3 and rows["curves_val"] <= EVAL_ROWS + 3
    assert rows["final_val"] == split.y_val.size == 3000
    for _ in range(10):
        t.step()
    run = t.runs["no_bn"]
    X, y_val = t._live_rows("val")
    assert run.evals.view()[-1, 3] == pytest.approx(run.evaluate(X, y_val)[0])
    assert t.summary()["no_bn"]["val_loss"] == pytest.approx(
        run.evaluate(t.X_val, t.y_val)[0])
