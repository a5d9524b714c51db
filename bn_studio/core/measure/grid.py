"""The decision-region grid: both nets' class probabilities on a regular grid over the data."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..steps import run_to_end

if TYPE_CHECKING:
    from ..nn.network import MLP

GRID_MARGIN = 0.6           # extra room around the data, in standardised units
GRID_RESOLUTION = 90        # grid nodes per axis
# Grid nodes per forward pass. In one pass of all 8100 nodes every temporary was a fresh
# 2 MB block whose pages the system faulted in: 3x slower than passes of 512 nodes, whose
# temporaries the allocator reuses (benchmarks/grid_chunks.py).
GRID_CHUNK_ROWS = 512

Extent = tuple[float, float, float, float]      # x0, x1, y0, y1


@dataclass
class DecisionGrid:
    """Eval-mode class probabilities per net on ``resolution`` × ``resolution`` nodes spanning
    ``extent`` (ends included): probs[name] is (R, R, C), rows along x₂, columns along x₁."""

    extent: Extent
    probs: dict[str, np.ndarray]
    step: int


def data_extent(X: np.ndarray, margin: float = GRID_MARGIN) -> Extent:
    """The data's bounding box widened by ``margin`` on every side."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def shifted(extent: Extent, offset: Sequence[float]) -> Extent:
    """The extent moved by ``offset`` (a covariate shift moves the data, so the grid follows)."""
    x0, x1, y0, y1 = extent
    dx, dy = float(offset[0]), float(offset[1])
    return x0 + dx, x1 + dx, y0 + dy, y1 + dy


def union(a: Extent, b: Extent) -> Extent:
    """The smallest extent holding both (a shift of the validation points only: the grid
    covers the training points and the moved validation points)."""
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def grid_points(extent: Extent, resolution: int = GRID_RESOLUTION) -> np.ndarray:
    """(R·R, 2) grid nodes, row-major: x₁ varies fastest."""
    x0, x1, y0, y1 = extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    return np.column_stack([gx.ravel(), gy.ravel()])


def decision_grid(nets: dict[str, MLP], extent: Extent, step: int,
                  resolution: int = GRID_RESOLUTION) -> DecisionGrid:
    """``nets`` (name → MLP) evaluated on the grid, each on a clone: a forward pass caches its
    input in the layers (8100 rows here), which a stored snapshot's net must not keep."""
    return run_to_end(grid_passes(nets, extent, step, resolution))


def grid_passes(nets: dict[str, MLP], extent: Extent, step: int,
                resolution: int = GRID_RESOLUTION) -> Generator[None, None, DecisionGrid]:
    """decision_grid one pass of GRID_CHUNK_ROWS nodes at a time: yields after each pass and
    returns the grid. The training process runs a pass between two training steps, so that
    no snapshot waits for the whole grid (21 ms, more than a 60 Hz frame)."""
    pts = grid_points(extent, resolution)
    twins = {name: net.clone() for name, net in nets.items()}   # taken now: the step's nets
    probs = {}
    for name, twin in twins.items():
        parts = []
        for i in range(0, len(pts), GRID_CHUNK_ROWS):
            with np.errstate(all="ignore"):
                parts.append(twin.predict_proba(pts[i:i + GRID_CHUNK_ROWS]))
            yield
        probs[name] = np.concatenate(parts).reshape(resolution, resolution, -1).astype(np.float32)
    x0, x1, y0, y1 = (float(v) for v in extent)
    return DecisionGrid((x0, x1, y0, y1), probs, int(step))
