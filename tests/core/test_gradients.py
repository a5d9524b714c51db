"""Central-difference gradient checks in float64 (h = 1e-5, relative error < 1e-7)."""

import numpy as np
import pytest

from bn_studio.core.nn.layers import BatchNorm, Dense, ReLU, Sigmoid, Tanh
from bn_studio.core.nn.losses import softmax_cross_entropy
from bn_studio.core.nn.network import MLP, NetConfig

H = 1e-5
TOL = 1e-7


def rel_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def numeric_grad(f, x):
    """Gradient of scalar f() wrt array x (modified in place and restored)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + H
        fp = f()
        x[i] = old - H
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * H)
    return g


def check_layer(layer, x, rng):
    """Check dL/dx and every dL/dparam for L = Σ(out · R) with a fixed random R."""
    out = layer.forward(x, train=True)
    R = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(layer.forward(x, train=True) * R))

    layer.forward(x, train=True)
    dx = layer.backward(R)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    assert rel_error(dx, numeric_grad(loss, x)) < TOL
    for k, p in layer.params.items():
        assert rel_error(analytic[k], numeric_grad(loss, p)) < TOL, k


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def test_dense_gradients(rng):
    check_layer(Dense(5, 4, rng=rng), rng.standard_normal((6, 5)), rng)


def test_dense_without_bias_has_no_b(rng):
    layer = Dense(3, 2, bias=False, rng=rng)
    assert "b" not in layer.params
    check_layer(layer, rng.standard_normal((4, 3)), rng)


@pytest.mark.parametrize("act", [ReLU, Tanh, Sigmoid])
def test_activation_gradients(act, rng):
    x = rng.standard_normal((5, 7))
    x[np.abs(x) < 1e-3] = 0.5   # keep ReLU away from its kink
    check_layer(act(), x, rng)


def test_batchnorm_gradients_train_mode(rng):
    bn = BatchNorm(4)
    bn.params["gamma"][:] = rng.standard_normal(4)
    bn.params["beta"][:] = rng.standard_normal(4)
    check_layer(bn, rng.standard_normal((8, 4)) * 3 + 1, rng)


def test_noisy_batchnorm_gradients_with_the_noise_fixed(rng):
    """Noisy BN (Z̃ = s ⊙ (γ Z_norm + β) + m): the backward pass goes through s, not m."""
    bn = BatchNorm(4)
    bn.params["gamma"][:] = rng.standard_normal(4)
    bn.params["beta"][:] = rng.standard_normal(4)
    bn.noise = (rng.uniform(0.5, 1.5, 4), rng.uniform(-0.5, 0.5, 4))
    check_layer(bn, rng.standard_normal((8, 4)) * 3 + 1, rng)


def test_noise_acts_in_training_mode_only_and_copies_are_clean(rng):
    cfg = NetConfig(input_dim=2, hidden=(5,), classes=3, batch_norm=True, dtype="float64")
    net = MLP(cfg, seed=1)
    X = rng.standard_normal((8, 2))
    clean_train = net.logits(X, train=True)
    net.hidden[0].bn.noise = (np.full(5, 1.3), np.full(5, 0.4))
    assert np.abs(net.logits(X, train=True) - clean_train).max() > 1e-3
    noisy_eval = net.logits(X)
    net.hidden[0].bn.noise = None
    np.testing.assert_array_equal(net.logits(X), noisy_eval)
    net.hidden[0].bn.noise = (np.full(5, 1.3), np.full(5, 0.4))
    assert net.clone().hidden[0].bn.noise is None


def test_softmax_cross_entropy_gradient(rng):
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    _, dz = softmax_cross_entropy(z, y)
    assert rel_error(dz, numeric_grad(lambda: softmax_cross_entropy(z, y)[0], z)) < TOL


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_whole_mlp_with_bn_gradients(activation, rng):
    cfg = NetConfig(input_dim=2, hidden=(5, 4), classes=3, activation=activation,
                    batch_norm=True, dtype="float64")
    net = MLP(cfg, seed=3)
    net.hidden[0].bn.params["gamma"][:] = rng.uniform(0.5, 1.5, 5)
    X = rng.standard_normal((10, 2))
    y = rng.integers(0, 3, 10)

    def loss():
        return net.loss_and_grads(X, y)[0]

    loss()
    analytic = net.flat_grads.copy()
    numeric = numeric_grad(loss, net.flat_params)
    assert rel_error(analytic, numeric) < TOL


def test_whole_noisy_bn_mlp_gradients(rng):
    cfg = NetConfig(input_dim=2, hidden=(5, 4), classes=3, activation="tanh",
                    batch_norm=True, dtype="float64")
    net = MLP(cfg, seed=4)
    for bn in net.bn_layers:
        f = bn.params["gamma"].size
        bn.noise = (rng.uniform(0.5, 1.5, f), rng.uniform(-0.5, 0.5, f))
    X = rng.standard_normal((10, 2))
    y = rng.integers(0, 3, 10)

    def loss():
        return net.loss_and_grads(X, y)[0]

    loss()
    analytic = net.flat_grads.copy()
    assert rel_error(analytic, numeric_grad(loss, net.flat_params)) < TOL


def test_gradient_check_detects_a_wrong_gradient(rng):
    """The check itself can fail: a BN backward missing the mean term is caught."""
    bn = BatchNorm(3)
    x = rng.standard_normal((6, 3))
    R = rng.standard_normal((6, 3))
    bn.forward(x)
    z_norm, inv_std, n, _noise = bn._cache
    wrong = bn.params["gamma"] * inv_std * R       # ignores the batch's coupling
    numeric = numeric_grad(lambda: float(np.sum(bn.forward(x) * R)), x)
    assert rel_error(wrong, numeric) > 1e-3
