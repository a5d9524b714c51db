"""The course's rules, pinned by value: initial scales, L2 on W only, learning-rate decay per
epoch, shuffled mini-batches that cover every example once per epoch, the divergence threshold,
and a softmax that never overflows."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.nn.losses import softmax, softmax_cross_entropy, softmax_parts
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.nn.optim import Optimizer
from bn_studio.core.measure.stats import histogram, off_chart, percentile_band
from bn_studio.core.training.trainer import Run, TrainConfig, TwinTrainer


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=300, seed=0), seed=0)   # 224 train


# Initialisation
@pytest.mark.parametrize("activation, gain", [("relu", 2.0), ("tanh", 1.0), ("sigmoid", 1.0)])
def test_initial_weight_scale_is_he_for_relu_and_xavier_otherwise(activation, gain):
    net = MLP(NetConfig(input_dim=50, hidden=(200, 100), classes=4, activation=activation), seed=0)
    # fan_in differs from fan_out in every layer, so a fan_out scale fails too.
    for W, fan_in, g in [(net.hidden[0].dense.params["W"], 50, gain),
                         (net.hidden[1].dense.params["W"], 200, gain),
                         (net.output.params["W"], 100, 1.0)]:
        # The sample std of n normal draws has a relative standard error of 1/sqrt(2n).
        tol = 5 / np.sqrt(2 * W.size)
        assert W.std() == pytest.approx(np.sqrt(g / fan_in), rel=tol)


# L2
@pytest.mark.parametrize("batch_norm", [False, True])
def test_l2_step_with_zero_gradient_shrinks_weight_matrices_only(batch_norm):
    net = MLP(NetConfig(hidden=(5, 4), classes=3, batch_norm=batch_norm), seed=0)
    net.flat_params[:] = np.random.default_rng(1).normal(size=net.flat_params.size)
    before = {name: layer.params[k].copy() for name, layer, k in net.named_parameters()}
    lr, lam = 0.1, 0.3
    Optimizer("sgd", lr, l2=lam).step(net.flat_params, np.zeros_like(net.flat_grads),
                                      net.weight_mask)
    for name, layer, k in net.named_parameters():
        want = before[name] * (1 - lr * lam) if k == "W" else before[name]
        np.testing.assert_allclose(layer.params[k], want, rtol=1e-12, err_msg=name)
    kinds = {k for _, _, k in net.named_parameters()}
    assert kinds == ({"W", "gamma", "beta", "b"} if batch_norm else {"W", "b"})


# Learning-rate decay
def test_training_decays_the_learning_rate_once_per_epoch(split):
    t = TwinTrainer(TrainConfig(hidden=(4,), optimizer="sgd", lr=0.2, decay=0.5, batch=56),
                    split, runs=("no_bn",))
    opt = t.runs["no_bn"].opt
    used = []
    orig = opt.step

    def spy(*a, **kw):
        used.append(opt.lr.item())
        return orig(*a, **kw)
    opt.step = spy
    for _ in range(16):                      # 224 / 56 = 4 steps per epoch, 4 epochs
        t.step()
    want = [0.2 / (1 + 0.5 * (i // 4)) for i in range(16)]
    np.testing.assert_allclose(used, want, rtol=1e-12)
    assert t.epoch == 3


def test_the_update_uses_the_decayed_rate_of_each_epoch():
    """What the rule applies, not only what opt.lr says: SGD steps by α₀/(1 + decay·epoch)·g."""
    opt = Optimizer("sgd", 0.2, decay=0.5)
    w, g = np.zeros(3), np.ones(3)
    for epoch in (0, 0, 1, 2):
        opt.epoch = epoch
        before = w.copy()
        opt.step(w, g)
        np.testing.assert_allclose(before - w, 0.2 / (1 + 0.5 * epoch), rtol=1e-15)


# Mini-batches
def test_batches_are_reshuffled_each_epoch_and_cover_every_example_once(split):
    t = TwinTrainer(TrainConfig(hidden=(4,), batch=28), split)
    index = {tuple(row): i for i, row in enumerate(t.X_train)}
    assert len(index) == 224
    epochs = []
    for _ in range(3):
        order = []
        for _ in range(8):                   # 224 / 28 batches per epoch
            X, y = t.next_batch()
            rows = [index[tuple(r)] for r in X]
            np.testing.assert_array_equal(y, t.y_train[rows])
            order += rows
        epochs.append(order)
    for order in epochs:
        assert sorted(order) == list(range(224))
    assert epochs[0] != list(range(224))
    assert epochs[0] != epochs[1] != epochs[2] != epochs[0]
    assert t.epoch == 2


# Divergence
class ScriptedNet:
    """Stands in for an MLP whose loss follows a script."""

    def __init__(self, losses):
        self.losses = iter(losses)
        self.flat_params = np.ones(3)
        self.flat_grads = np.zeros(3)
        self.weight_mask = np.ones(3)

    def loss_and_grads(self, X, y):
        return next(self.losses), np.zeros((len(y), 2))


def run_script(losses):
    run = Run("no_bn", ScriptedNet(losses), Optimizer("sgd", 0.1))
    X, y = np.zeros((2, 2)), np.array([0, 1])
    for step in range(1, len(losses) + 1):
        run.train_step(X, y, step)
    return run


@pytest.mark.parametrize("first", [0.7, 2.0])
def test_divergence_threshold_is_a_millionfold_first_loss(first):
    calm = run_script([first, 1e5 * first, first])
    assert calm.diverged_at is None and calm.train.view()[:, 0].tolist() == [1, 2, 3]
    wild = run_script([first, first, 1e7 * first, first])
    assert wild.diverged_at == 3
    assert wild.train.view()[:, 0].tolist() == [1, 2]       # nothing recorded after it
    assert run_script([first, float("nan")]).diverged_at == 2


# Softmax at huge logits
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_logits_stay_finite_through_every_public_softmax(dtype):
    z = np.array([[1000.0, 0.0], [0.0, 1000.0], [-1000.0, 0.0]], dtype=dtype)
    want = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    np.testing.assert_allclose(softmax(z), want)
    np.testing.assert_allclose(softmax_parts(z)[1], want)
    loss, dz = softmax_cross_entropy(z, np.array([0, 1, 1]))
    assert loss == pytest.approx(0.0, abs=1e-6) and np.all(np.isfinite(dz))
    net = MLP(NetConfig(hidden=(3,), classes=2, batch_norm=True, dtype=dtype), seed=0)
    net.output.params["W"][...] = 0.0
    net.output.params["b"][...] = [1000.0, 0.0]
    p = net.predict_proba(np.zeros((2, 2)))
    assert p.dtype == np.dtype(dtype)
    np.testing.assert_allclose(p, [[1.0, 0.0], [1.0, 0.0]])


# What the histogram panel draws
def test_percentile_band_is_15_50_85():
    np.testing.assert_allclose(percentile_band(np.arange(101.0)), [15.0, 50.0, 85.0])


def test_histogram_is_a_density_on_uneven_fixed_bins():
    edges = np.array([0.0, 1.0, 3.0, 4.0])
    values = np.array([0.5, 1.5, 2.5, 3.5, 9.0, -2.0, -3.0])
    h = histogram(values, edges)            # a share of all 7 values; 3 are off the chart
    np.testing.assert_allclose(h, [1 / 7, 2 / 7 / 2, 1 / 7])
    assert np.sum(h * np.diff(edges)) == pytest.approx(4 / 7)
    assert off_chart(values, edges) == (2, 1)
