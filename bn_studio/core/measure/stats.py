"""Statistics for the live views: fixed-bin histograms, percentile bands, growing series."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

BAND_PERCENTILES = (15.0, 50.0, 85.0)   # as in the batch-norm paper's figure 1


def fixed_edges(values: np.ndarray, n_bins: int = 60, pad: float = 0.5) -> np.ndarray:
    """Bin edges chosen once (per reset) from a first look at the data, widened by ``pad``×range.

    Keeping the edges fixed while training is what makes drift and saturation visible.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        lo, hi = -3.0, 3.0
    else:
        lo, hi = np.percentile(v, [0.5, 99.5])
        if hi - lo < 1e-6:
            lo, hi = lo - 1.0, hi + 1.0
        span = hi - lo
        lo, hi = lo - pad * span, hi + pad * span
    return np.linspace(lo, hi, n_bins + 1)


def histogram(values: np.ndarray, edges: np.ndarray, density: bool = True) -> np.ndarray:
    """Counts on fixed edges. Values outside the edges are not binned (``off_chart`` counts
    them, so the panel can say how many left the chart); a density is a share of all values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    counts, _ = np.histogram(v, bins=edges)
    counts = counts.astype(np.float64)
    if density and v.size:
        counts /= v.size * np.diff(edges)
    return counts


def off_chart(values: np.ndarray, edges: np.ndarray) -> tuple[int, int]:
    """How many finite values lie below the first edge and above the last one."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    return int(np.count_nonzero(v < edges[0])), int(np.count_nonzero(v > edges[-1]))


def pushforward_density(edges: np.ndarray, density: np.ndarray,
                        fn: Callable[[np.ndarray], np.ndarray],
                        new_edges: np.ndarray, below: float = 0.0,
                        above: float = 0.0) -> np.ndarray:
    """Density of g(Z) on ``new_edges`` from Z's density on ``edges``, for an increasing g.

    Bin k's probability mass lands on [g(e_k), g(e_k+1)], spread evenly there; mass outside
    ``new_edges`` goes to the outermost bins. For A = sigmoid(Z) this shows saturation (mass
    piling up at 0 and 1) at a finer resolution than Z's bins would. ``below``/``above``: the
    mass of Z beyond the first/last edge (off the chart), pushed through g like a bin that
    reaches to −∞/+∞.
    """
    edges = np.asarray(edges, dtype=np.float64)
    new_edges = np.asarray(new_edges, dtype=np.float64)
    mass = np.asarray(density, dtype=np.float64) * np.diff(edges)
    if below or above:
        edges = np.concatenate(([-np.inf], edges, [np.inf]))
        mass = np.concatenate(([below], mass, [above]))
    mass = np.where(np.isfinite(mass), mass, 0.0)
    with np.errstate(all="ignore"):
        g = np.clip(np.asarray(fn(edges), dtype=np.float64), new_edges[0], new_edges[-1])
    lo, hi = g[:-1, None], g[1:, None]
    overlap = np.clip(np.minimum(hi, new_edges[None, 1:]) - np.maximum(lo, new_edges[None, :-1]),
                      0.0, None)
    width = hi - lo
    wide = width[:, 0] > 1e-12 * (new_edges[-1] - new_edges[0])
    share = np.zeros_like(overlap)
    share[wide] = overlap[wide] / width[wide]
    n_new = new_edges.size - 1
    point_bins = np.clip(np.searchsorted(new_edges, lo[~wide, 0], side="right") - 1, 0, n_new - 1)
    share[np.flatnonzero(~wide), point_bins] = 1.0      # a bin squeezed to a point
    return (mass @ share) / np.diff(new_edges)


def percentile_band(values: np.ndarray, q: Sequence[float] = BAND_PERCENTILES) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.full(len(q), np.nan)
    return np.percentile(v, q)


class Series:
    """An append-only float array that grows by doubling; ``view()`` never copies.

    A reader on another thread may keep a view: appends write past its end or into a new
    buffer (thinning too), so the rows it already holds never change under it.

    ``max_rows`` keeps memory bounded for runs of any length (rows must start with the step):
    when full, only rows whose step is a multiple of a doubled stride stay, so the history
    stays evenly spaced at half the resolution, and later rows off the stride are skipped.
    """

    def __init__(self, width: int = 0, capacity: int = 256, dtype: DTypeLike = np.float64,
                 max_rows: int | None = None) -> None:
        if max_rows is not None:
            if width < 1 or max_rows < 4:
                raise ValueError("a bounded Series needs a step column and max_rows ≥ 4")
            capacity = min(capacity, max_rows)
        shape = (capacity,) if width == 0 else (capacity, width)
        self._buf = np.empty(shape, dtype=dtype)
        self._n = 0
        self.max_rows = max_rows
        self.stride = 1          # only rows whose step is a multiple of this are kept

    def append(self, row: np.ndarray | Sequence[float]) -> None:
        if self.max_rows is not None:
            if self.stride > 1 and row[0] % self.stride:
                return
            if self._n == self.max_rows:
                self._thin(self.view())
                if row[0] % self.stride:
                    return
        if self._n == self._buf.shape[0]:
            self._grow(2 * self._buf.shape[0])
        self._buf[self._n] = row
        self._n += 1

    def extend(self, rows: np.ndarray) -> None:
        """Append many rows at once (bounded: the same rows as appending them one by one)."""
        rows = np.asarray(rows, dtype=self._buf.dtype)
        if self.max_rows is None:
            self._put(rows)
            return
        while True:
            if self.stride > 1:
                rows = rows[rows[:, 0] % self.stride == 0]
            room = self.max_rows - self._n
            self._put(rows[:room])
            if rows.shape[0] <= room:
                return
            rows = rows[room:]
            self._thin(self.view())

    def _put(self, rows: np.ndarray) -> None:
        k = rows.shape[0]
        if self._n + k > self._buf.shape[0]:
            self._grow(max(2 * self._buf.shape[0], self._n + k))
        self._buf[self._n:self._n + k] = rows
        self._n += k

    def _grow(self, capacity: int) -> None:
        if self.max_rows is not None:
            capacity = min(capacity, self.max_rows)
        new = np.empty((capacity,) + self._buf.shape[1:], self._buf.dtype)
        new[:self._n] = self._buf[:self._n]
        self._buf = new

    def _thin(self, rows: np.ndarray) -> None:
        """Double the stride until at most half of ``max_rows`` remain; into a new buffer."""
        assert self.max_rows is not None            # only a bounded series thins
        half = self.max_rows // 2
        last_step = rows[-1, 0] if rows.shape[0] else 0.0
        while rows.shape[0] > half:
            if self.stride > last_step:        # steps that do not advance: keep the newest
                rows = rows[-half:]
                break
            self.stride *= 2
            rows = rows[rows[:, 0] % self.stride == 0]
        new = np.empty((self.max_rows,) + self._buf.shape[1:], self._buf.dtype)
        new[:rows.shape[0]] = rows
        self._buf, self._n = new, rows.shape[0]

    def view(self) -> np.ndarray:
        return self._buf[:self._n]

    def __len__(self) -> int:
        return self._n
