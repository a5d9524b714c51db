"""The loss-spread measure of smoothness (Santurkar et al. 2018, Fig. 4)."""

import numpy as np

from bn_studio.core.nn.losses import softmax_cross_entropy
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.measure.smoothness import STEP_FACTORS, loss_spread, net_loss_spread


def test_spread_on_a_quadratic_equals_its_analytic_value():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + np.eye(5)                 # positive definite
    b = rng.standard_normal(5)
    theta = rng.standard_normal(5)

    def loss(t):
        return 0.5 * t @ A @ t + b @ t

    g = A @ theta + b
    alpha = 0.07
    # L(θ − a g) = L(θ) − a‖g‖² + ½ a² gᵀAg: a parabola in a.
    values = [loss(theta) - a * (g @ g) + 0.5 * a * a * (g @ A @ g)
              for a in (alpha * f for f in STEP_FACTORS)]
    expected = max(values) - min(values)
    got = loss_spread(loss, theta, g, [alpha * f for f in STEP_FACTORS])
    assert abs(got - expected) <= 1e-12 * max(1.0, abs(expected))
    assert got > 0


def test_a_linear_loss_has_spread_proportional_to_the_largest_step_gap():
    g = np.array([3.0, 4.0])                # L(θ) = g·θ: L(θ − a g) = L(θ) − 25 a
    got = loss_spread(lambda t: g @ t, np.zeros(2), g, [0.5, 1.0, 2.0, 4.0])
    assert abs(got - 25 * 3.5) < 1e-12


def test_a_non_finite_loss_gives_an_infinite_spread():
    assert loss_spread(lambda t: np.inf if t[0] < -1 else 0.0, np.zeros(1), np.ones(1),
                       [0.5, 4.0]) == float("inf")


def test_net_spread_leaves_the_net_alone_and_matches_a_direct_computation():
    cfg = NetConfig(input_dim=2, hidden=(6, 5), classes=3, batch_norm=True, dtype="float64")
    net = MLP(cfg, seed=2)
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((16, 2)), rng.integers(0, 3, 16)
    before = net.state()
    got = net_loss_spread(net, X, y, lr=0.3)
    for k, v in net.state().items():
        np.testing.assert_array_equal(v, before[k])
    probe = net.clone()
    losses = losses_along_the_gradient(probe, X, y, lr=0.3)
    assert abs(got - (max(losses) - min(losses))) < 1e-12


def losses_along_the_gradient(probe, X, y, lr):
    """By hand: the loss at θ − lr·f·g for each step factor f (the probe is moved)."""
    probe.loss_and_grads(X, y)
    theta, g = probe.flat_params.copy(), probe.flat_grads.copy()
    losses = []
    for f in STEP_FACTORS:
        probe.flat_params[...] = theta - lr * f * g
        losses.append(softmax_cross_entropy(probe.forward(X, train=True), y)[0])
    return losses


def test_a_noisy_bn_net_is_measured_with_this_steps_noise():
    """The landscape measured is the one being trained on: the probe keeps the BN noise."""
    cfg = NetConfig(input_dim=2, hidden=(6,), classes=3, batch_norm=True, dtype="float64")
    net = MLP(cfg, seed=2)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((16, 2)), rng.integers(0, 3, 16)
    clean = net_loss_spread(net, X, y, lr=0.3)
    noise = (rng.uniform(0.2, 1.8, 6), rng.uniform(-1.0, 1.0, 6))
    net.bn_layers[0].noise = noise
    probe = net.clone()
    probe.bn_layers[0].noise = noise
    losses = losses_along_the_gradient(probe, X, y, lr=0.3)
    got = net_loss_spread(net, X, y, lr=0.3)
    assert abs(got - (max(losses) - min(losses))) < 1e-12
    assert abs(got - clean) > 1e-6
    assert net.bn_layers[0].noise is noise
