"""What a run draws from its seed, besides its initial weights: the order of its mini-batches,
the rows behind its live curves and noisy BN's noise. Each has its own stream,
``default_rng([seed, k])``, so a run sees the same draws whether it trains alone, as a twin
or as a member of a population.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import DTypeLike

EVAL_ROWS = 2048            # live curves use at most about this many rows of each split
# Noisy BN (Santurkar et al. 2018): each step, every BN unit's output is scaled by s ~ U(1 ± this)
# and shifted by m ~ U(±this), new draws every step, so the next layer's input distribution
# keeps moving (a re-created covariate shift) while the net trains.
NOISE_SCALE, NOISE_SHIFT = 0.5, 0.5


class BatchStream:
    """Mini-batch row indices for K members that step together: each member walks its own
    permutation of the ``n`` training rows (a new one every epoch, from
    ``default_rng([seed, 1])``), ``batch`` rows at a time; a partial last batch is skipped."""

    def __init__(self, seeds: Iterable[int], n: int, batch: int) -> None:
        self.rngs = [np.random.default_rng([int(s), 1]) for s in seeds]
        self.n, self.batch = n, min(batch, n)
        self.order = np.empty((len(self.rngs), 0), dtype=np.int64)
        self.cursor = 0
        self.epoch = 0

    def next(self) -> np.ndarray:
        """(K, batch) row indices of the next mini-batch of every member."""
        if self.cursor + self.batch > self.order.shape[1]:
            if self.order.shape[1]:
                self.epoch += 1
            self.order = (np.stack([rng.permutation(self.n) for rng in self.rngs])
                          if self.rngs else np.empty((0, self.n), dtype=np.int64))
            self.cursor = 0
        idx = self.order[:, self.cursor:self.cursor + self.batch]
        self.cursor += self.batch
        return idx

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the members ``rows`` (a boolean mask)."""
        self.rngs = [rng for rng, k in zip(self.rngs, rows) if k]
        self.order = self.order[rows]


def stratified_sample(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray | None:
    """About ``k`` sorted indices of ``y`` keeping each class's share (at least one row of
    every class present); None when there are no more than ``k`` rows (use them all)."""
    n = int(y.size)
    if n <= k:
        return None
    classes, counts = np.unique(y, return_counts=True)
    picks = [rng.choice(np.flatnonzero(y == c), size=max(1, int(round(k * m / n))),
                        replace=False) for c, m in zip(classes, counts)]
    return np.sort(np.concatenate(picks))


def live_samples(y_train: np.ndarray, y_val: np.ndarray,
                 seed: int) -> dict[str, np.ndarray | None]:
    """The rows behind a run's live curves: a stratified sample of each split that is larger
    than EVAL_ROWS (None: every row), so a step's cost does not grow with N."""
    rng = np.random.default_rng([int(seed), 2])
    return {"train": stratified_sample(y_train, EVAL_ROWS, rng),
            "val": stratified_sample(y_val, EVAL_ROWS, rng)}


def noise_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 3])


def draw_noise(rng: np.random.Generator, widths: Iterable[int],
               dtype: DTypeLike) -> list[tuple[np.ndarray, np.ndarray]]:
    """This step's noisy-BN (scale, shift) for BN layers of the given widths, in order."""
    out = []
    for f in widths:
        scale = rng.uniform(1 - NOISE_SCALE, 1 + NOISE_SCALE, f).astype(dtype)
        shift = rng.uniform(-NOISE_SHIFT, NOISE_SHIFT, f).astype(dtype)
        out.append((scale, shift))
    return out
