"""Every hidden unit's output over the input plane (TensorFlow Playground's neuron pictures).

The points of a coarse grid over the data go forward through a net in eval mode (batch norm
with its running statistics, as at test time) and each hidden layer's activation output
A = g(Z̃ or Z) is returned as (units, R, R) images, row r being x₂ = linspace(y0, y1, R)[r]
and column c being x₁ = linspace(x0, x1, R)[c], as in the decision-region grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .grid import Extent, grid_points    # the decision regions' grid, at the pictures' resolution

if TYPE_CHECKING:
    from ..nn.network import MLP

RESOLUTION = 24           # a thumbnail needs no more; 576 points per net
MAX_UNITS_SHOWN = 16      # per layer: a 512-wide layer would be 512 pictures (and 1 MB a frame)


@dataclass(frozen=True)
class UnitMaps:
    """Both twins' unit pictures at one step, as the worker sends them to the GUI."""

    step: int
    extent: Extent
    activation: str
    maps: dict[str, list[np.ndarray]]      # run → per hidden layer (shown units, R, R) float32
    widths: dict[str, list[int]]           # run → every hidden layer's width (shown or not)


def hidden_outputs(net: MLP, X: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's activation output (N, units) for X, in eval mode. Pure: no layer
    cache, probe or running statistic of ``net`` changes."""
    a = np.asarray(X, dtype=net.flat_params.dtype)
    out = []
    for hl in net.hidden:
        z = a @ hl.dense.params["W"]
        if hl.dense.has_bias:
            z = z + hl.dense.params["b"]
        if hl.bn is not None:
            z = hl.bn.forward(z, train=False)          # eval branch: no cache, no update
        a = type(hl.act)().forward(z, train=False)     # a fresh activation keeps no state
        out.append(a)
    return out


def unit_maps(net: MLP, extent: Extent, resolution: int = RESOLUTION,
              max_units: int | None = MAX_UNITS_SHOWN) -> list[np.ndarray]:
    """Per hidden layer, (units, R, R): the first ``max_units`` units' outputs over the grid."""
    with np.errstate(all="ignore"):                   # a diverged net: NaN pictures, no warning
        layers = hidden_outputs(net, grid_points(extent, resolution))
    out = []
    for a in layers:
        k = a.shape[1] if max_units is None else min(a.shape[1], max_units)
        out.append(np.ascontiguousarray(a[:, :k].T.reshape(k, resolution, resolution),
                                        dtype=np.float32))
    return out


def twin_unit_maps(nets: dict[str, MLP], extent: Extent, step: int, activation: str,
                   resolution: int = RESOLUTION,
                   max_units: int | None = MAX_UNITS_SHOWN) -> UnitMaps:
    """The unit pictures of every net in ``nets`` (run name → MLP)."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    return UnitMaps(step=int(step), extent=(x0, x1, y0, y1),
                    activation=activation,
                    maps={name: unit_maps(net, extent, resolution, max_units)
                          for name, net in nets.items()},
                    widths={name: [hl.dense.params["W"].shape[1] for hl in net.hidden]
                            for name, net in nets.items()})


def unit_levels(activation: str, maps: list[np.ndarray] | np.ndarray) -> tuple[float, float,
                                                                                float]:
    """(low, middle, high) of the colour scale: the activation's own range where it has one
    (tanh −1..1, sigmoid 0..1, so a saturated unit shows as a solid colour), and 0 up to the
    layer's largest output for ReLU (an all-white picture is a dead unit)."""
    if activation == "tanh":
        return -1.0, 0.0, 1.0
    if activation == "sigmoid":
        return 0.0, 0.5, 1.0
    arrays = maps if isinstance(maps, list) else [maps]
    finite = [np.nanmax(np.where(np.isfinite(m), m, np.nan)) for m in arrays
              if m.size and np.any(np.isfinite(m))]
    top = max(finite) if finite else 0.0
    return 0.0, 0.0, float(top) if top > 0 else 1.0
