"""Unit pictures: each hidden unit's output over a grid of the input plane, in eval mode."""

import numpy as np
import pytest

from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.measure.unit_maps import (grid_points, hidden_outputs, twin_unit_maps,
                                              unit_levels, unit_maps)

EXTENT = (-1.0, 1.0, -2.0, 2.0)


def hand_built(batch_norm=False, activation="relu"):
    """Two inputs, one hidden layer of 3 units with known weights, 2 classes."""
    net = MLP(NetConfig(hidden=(3,), classes=2, activation=activation, batch_norm=batch_norm))
    W = net.hidden[0].dense.params["W"]
    W[...] = [[1.0, 0.0, 1.0], [0.0, -1.0, 1.0]]
    if not batch_norm:
        net.hidden[0].dense.params["b"][...] = [0.0, 0.0, -0.5]
    return net


def test_grid_rows_are_x2_and_columns_x1():
    pts = grid_points(EXTENT, 3).reshape(3, 3, 2)
    np.testing.assert_allclose(pts[0, :, 0], [-1, 0, 1])      # a row runs along x1
    np.testing.assert_allclose(pts[:, 0, 1], [-2, 0, 2])      # a column along x2


def test_hand_built_relu_units_have_the_known_pictures():
    maps = unit_maps(hand_built(), EXTENT, resolution=5)
    assert len(maps) == 1 and maps[0].shape == (3, 5, 5)
    x1, x2 = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-2, 2, 5))
    np.testing.assert_allclose(maps[0][0], np.maximum(x1, 0))
    np.testing.assert_allclose(maps[0][1], np.maximum(-x2, 0))
    np.testing.assert_allclose(maps[0][2], np.maximum(x1 + x2 - 0.5, 0))


def test_batch_norm_uses_the_running_statistics():
    net = hand_built(batch_norm=True, activation="tanh")
    bn = net.hidden[0].bn
    bn.running_mean[...] = [0.5, 0.0, 0.0]
    bn.running_var[...] = [4.0 - bn.eps, 1.0 - bn.eps, 1.0 - bn.eps]
    bn.params["gamma"][...] = [2.0, 1.0, 1.0]
    bn.params["beta"][...] = [0.0, 0.3, 0.0]
    maps = unit_maps(net, EXTENT, resolution=4)[0]
    x1, x2 = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-2, 2, 4))
    np.testing.assert_allclose(maps[0], np.tanh(2.0 * (x1 - 0.5) / 2.0), rtol=1e-6)
    np.testing.assert_allclose(maps[1], np.tanh(-x2 + 0.3), rtol=1e-6)


def test_the_last_layers_outputs_give_the_nets_own_logits():
    net = MLP(NetConfig(hidden=(6, 5), classes=3, activation="sigmoid", batch_norm=True),
              seed=4)
    X = grid_points(EXTENT, 7)
    before = net.flat_params.copy(), net.hidden[0].bn.running_mean.copy()
    a = hidden_outputs(net, X)[-1]
    np.testing.assert_allclose(net.output.forward(a, train=False), net.logits(X), rtol=1e-12)
    np.testing.assert_array_equal(net.flat_params, before[0])          # nothing trained
    np.testing.assert_array_equal(net.hidden[0].bn.running_mean, before[1])


def test_only_the_first_units_are_kept_and_widths_say_how_many_there_are():
    nets = {"bn": MLP(NetConfig(hidden=(40, 3), batch_norm=True)),
            "no_bn": MLP(NetConfig(hidden=(40, 3)))}
    um = twin_unit_maps(nets, EXTENT, step=7, activation="relu", resolution=6, max_units=16)
    assert um.widths == {"bn": [40, 3], "no_bn": [40, 3]}
    assert [m.shape for m in um.maps["bn"]] == [(16, 6, 6), (3, 6, 6)]
    assert um.maps["bn"][0].dtype == np.float32 and um.step == 7
    full = unit_maps(nets["no_bn"], EXTENT, 6, max_units=None)[0]
    np.testing.assert_allclose(um.maps["no_bn"][0], full[:16], rtol=1e-6)


def test_a_net_whose_weights_are_not_numbers_gives_nan_pictures_without_warnings():
    net = hand_built()
    net.hidden[0].dense.params["W"][0, 0] = np.nan
    with np.errstate(all="raise"):
        maps = unit_maps(net, EXTENT, 4)[0]
    assert np.isnan(maps[0]).all() and np.isfinite(maps[1]).all()


@pytest.mark.parametrize("activation, levels", [("tanh", (-1, 0, 1)), ("sigmoid", (0, .5, 1))])
def test_bounded_activations_use_their_own_range(activation, levels):
    assert unit_levels(activation, [np.zeros((1, 2, 2))]) == levels


def test_relu_scale_runs_to_the_layers_largest_output():
    maps = [np.array([[[0.0, 2.5]], [[np.nan, 1.0]]])]
    assert unit_levels("relu", maps) == (0.0, 0.0, 2.5)
    assert unit_levels("relu", [np.zeros((2, 3, 3))]) == (0.0, 0.0, 1.0)     # all dead
