"""The decision-region grid: its extent, node order and probabilities (NumPy only)."""

import numpy as np

from bn_studio.core.measure.grid import (GRID_MARGIN, data_extent, decision_grid, grid_points,
                                         shifted)
from bn_studio.core.nn.network import MLP, NetConfig


def test_extent_is_the_bounding_box_widened_by_the_margin():
    X = np.array([[0.0, -1.0], [2.0, 3.0], [1.0, 0.0]])
    assert data_extent(X) == (-GRID_MARGIN, 2 + GRID_MARGIN, -1 - GRID_MARGIN, 3 + GRID_MARGIN)
    assert data_extent(X, margin=0.0) == (0.0, 2.0, -1.0, 3.0)


def test_a_shift_moves_the_extent():
    assert shifted((0.0, 1.0, 2.0, 3.0), (0.5, -1.0)) == (0.5, 1.5, 1.0, 2.0)


def test_grid_nodes_run_along_x1_first_and_include_the_ends():
    pts = grid_points((0.0, 2.0, 10.0, 11.0), resolution=3)
    np.testing.assert_array_equal(pts[:3], [[0, 10], [1, 10], [2, 10]])
    np.testing.assert_array_equal(pts[-1], [2, 11])
    assert pts.shape == (9, 2)


def test_grid_holds_each_nets_eval_probabilities_at_its_nodes():
    nets = {name: MLP(NetConfig(input_dim=2, hidden=(5,), classes=3, batch_norm=bn), seed=0)
            for name, bn in (("bn", True), ("no_bn", False))}
    extent = (-1.0, 1.0, -2.0, 2.0)
    grid = decision_grid(nets, extent, step=7, resolution=4)
    assert grid.step == 7 and grid.extent == extent
    for name, net in nets.items():
        p = grid.probs[name]
        assert p.shape == (4, 4, 3) and p.dtype == np.float32
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-6)
        # row r, column c is the node (x₁ = c-th, x₂ = r-th)
        want = net.predict_proba(np.array([[1.0 / 3.0, 2.0]]))[0]
        np.testing.assert_allclose(p[3, 2], want, rtol=1e-5)


def test_computing_a_grid_leaves_no_cached_grid_in_the_nets():
    net = MLP(NetConfig(input_dim=2, hidden=(5,), classes=2), seed=0)
    decision_grid({"bn": net}, (-1.0, 1.0, -1.0, 1.0), step=0, resolution=30)
    assert net.hidden[0].dense._x is None


def test_a_grid_of_many_passes_holds_what_one_pass_gives():
    """The grid goes forward GRID_CHUNK_ROWS nodes at a time (fast); every node is there,
    in order, with the numbers of one pass over them all."""
    from bn_studio.core.measure.grid import GRID_CHUNK_ROWS
    net = MLP(NetConfig(input_dim=2, hidden=(6, 5), classes=3, batch_norm=True), seed=1)
    resolution = 40                              # 1600 nodes: several passes and a remainder
    assert resolution ** 2 > 2 * GRID_CHUNK_ROWS and resolution ** 2 % GRID_CHUNK_ROWS
    extent = (-2.0, 1.0, -1.0, 3.0)
    grid = decision_grid({"bn": net}, extent, step=0, resolution=resolution)
    want = net.predict_proba(grid_points(extent, resolution)).reshape(resolution, resolution, 3)
    np.testing.assert_allclose(grid.probs["bn"], want, rtol=1e-6)


def test_grid_passes_yield_after_every_pass_and_keep_the_nets_they_started_with():
    """The training process runs one pass between two steps: a pass per yield, and the grid
    is that of the nets as they were when the job began, though they train on meanwhile."""
    from bn_studio.core.measure.grid import GRID_CHUNK_ROWS, grid_passes
    nets = {name: MLP(NetConfig(input_dim=2, hidden=(5,), classes=3, batch_norm=bn), seed=2)
            for name, bn in (("bn", True), ("no_bn", False))}
    extent, resolution = (-1.0, 2.0, -1.5, 1.0), 40
    want = decision_grid(nets, extent, step=9, resolution=resolution)
    job = grid_passes(nets, extent, step=9, resolution=resolution)
    next(job)                                               # the job has begun
    for net in nets.values():
        net.flat_params += 0.5                              # the nets train on
    moved = decision_grid(nets, extent, step=10, resolution=resolution)
    assert not np.allclose(moved.probs["bn"], want.probs["bn"])
    passes = 1
    while True:
        try:
            next(job)
            passes += 1
        except StopIteration as done:
            grid = done.value
            break
    assert passes == 2 * -(-resolution ** 2 // GRID_CHUNK_ROWS)
    assert grid.step == 9 and grid.extent == extent
    for name in nets:
        np.testing.assert_array_equal(grid.probs[name], want.probs[name])
