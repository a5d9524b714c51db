"""Switches the experiment lessons need: freezing BN's γ and β."""

import numpy as np
import pytest

from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.network import MLP, NetConfig
from bn_studio.core.trainer import TrainConfig, TwinTrainer, train_single


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_frozen_gamma_and_beta_stay_one_and_zero(split, optimizer):
    t = TwinTrainer(TrainConfig(hidden=(6, 6), optimizer=optimizer, lr=0.05, l2=0.01,
                                freeze_bn_affine=True, dtype="float64"), split, runs=("bn",))
    w0 = t.runs["bn"].net.hidden[0].dense.params["W"].copy()
    for _ in range(20):
        t.step()
    net = t.runs["bn"].net
    for bn in net.bn_layers:
        np.testing.assert_array_equal(bn.params["gamma"], 1.0)
        np.testing.assert_array_equal(bn.params["beta"], 0.0)
    assert not np.allclose(net.hidden[0].dense.params["W"], w0)     # the rest still learns


def test_freezing_leaves_the_input_gradient_as_it_was():
    """Only γ's and β's own gradients are withheld: dL/dZ (and so dW) are unchanged."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 3, 16)
    nets = [MLP(NetConfig(hidden=(5, 4), classes=3, batch_norm=True, freeze_bn_affine=f),
                seed=3) for f in (False, True)]
    for net in nets:
        net.loss_and_grads(X, y)
    learned, frozen = nets
    for a, b in zip(learned.hidden, frozen.hidden):
        np.testing.assert_allclose(a.dZ, b.dZ)
        assert np.any(a.bn.grads["gamma"] != 0)
        np.testing.assert_array_equal(b.bn.grads["gamma"], 0.0)
        np.testing.assert_array_equal(b.bn.grads["beta"], 0.0)


def test_freezing_survives_clone_pickle_and_the_search_path(split):
    net = MLP(NetConfig(hidden=(4,), batch_norm=True, freeze_bn_affine=True))
    import pickle
    for copy in (net.clone(), pickle.loads(pickle.dumps(net))):
        assert copy.bn_layers[0].frozen_affine
    res = train_single(TrainConfig(hidden=(4,), steps=5, freeze_bn_affine=True), split)
    assert res["status"] == "ok"


def test_the_no_bn_twin_is_untouched_by_the_switch(split):
    a = TwinTrainer(TrainConfig(hidden=(6,), seed=2), split, runs=("no_bn",))
    b = TwinTrainer(TrainConfig(hidden=(6,), seed=2, freeze_bn_affine=True), split,
                    runs=("no_bn",))
    for _ in range(10):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.runs["no_bn"].net.flat_params,
                                  b.runs["no_bn"].net.flat_params)
