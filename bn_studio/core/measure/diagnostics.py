"""Training diagnostics: the numbers practitioners read to judge a network's health.

Per hidden layer, from the net's own last backward pass: the gradient dL/dZ of the dense
output and dL/dW (histograms on bins shared by the twins, and their standard deviations), and
the share of units that pass almost no gradient (sigmoid/tanh with |g'| < 0.05, ReLUs dead on
the whole batch). Over time: the update-to-data ratio log10(std(ΔW) / std(W)) of every weight
matrix, from the update the optimizer actually applied (so momentum, Adam, decay and mid-run α
changes are in it), and BN's γ and β per unit. And the loss at step 0 against ln C, what a net
that guesses uniformly starts at (CS231n, "babysitting the learning process").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..nn.losses import softmax_cross_entropy
from .snapshot import NESTED, bounded_rows, history_field
from .stats import Series

SATURATED_DERIVATIVE = 0.05     # |g'| below this passes almost no gradient back
GRADIENT_BINS = 41              # odd: one bin is centred on 0
GRADIENT_RANGE_PERCENTILE = 99.5  # the shared range holds this share of either twin's values
GUIDE_LOG10_RATIO = -3.0        # an update of about 1/1000 of the weights' size per step


@dataclass
class LayerDiagnostics:
    """One hidden layer of one net on the last training batch (before its update)."""

    dz_edges: np.ndarray                # bins of dL/dZ (shared by the twins)
    dz_share: np.ndarray                # share of the batch × units values in each bin
    dz_std: float
    dw_edges: np.ndarray                # bins of dL/dW (shared by the twins)
    dw_share: np.ndarray
    dw_std: float
    saturated: float                    # share of values with |g'| < 0.05; ReLU: dead units
    dz_off: tuple[int, int] = (0, 0)    # values below / above the bins
    dw_off: tuple[int, int] = (0, 0)
    # (T, 1 + F): step, γ (or β) of every unit; BN net only
    gamma_history: np.ndarray | None = history_field(default=None)
    beta_history: np.ndarray | None = history_field(default=None)


@dataclass
class RunDiagnostics:
    """One net's diagnostics: its hidden layers, its update ratios and its first loss."""

    layers: list[LayerDiagnostics] = field(metadata=NESTED)
    # (T, 1 + L + 1): step, log10 update-to-data ratio of each hidden layer's W, then the
    # output layer's W (NaN where W or its update is all zeros)
    update_ratio: np.ndarray = history_field()
    first_loss: float = float("nan")    # the loss on the first batch, before any update
    classes: int = 2                    # a uniform guess costs ln C
    step: int = 0                       # the step whose gradients these are


def saturated_share(activation: str, A: np.ndarray) -> float:
    """Sigmoid/tanh: the share of values whose g' is below SATURATED_DERIVATIVE (g' from the
    output A: σ' = A(1 − A), tanh' = 1 − A²). ReLU: the share of units that are 0 for every
    example of the batch (dead: no gradient reaches their weights)."""
    A = np.asarray(A, dtype=np.float64)
    if A.size == 0:
        return float("nan")
    if activation == "relu":
        return float(np.mean(np.all(A <= 0, axis=0)))
    slope = A * (1.0 - A) if activation == "sigmoid" else 1.0 - A * A
    return float(np.mean(np.abs(slope) < SATURATED_DERIVATIVE))


def _finite(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    return v if np.isfinite(v).all() else v[np.isfinite(v)]


def shared_edges(*values: np.ndarray, bins: int = GRADIENT_BINS) -> np.ndarray:
    """Symmetric bins around 0 wide enough for GRADIENT_RANGE_PERCENTILE of |v| of each of
    ``values`` (the twins' finite values), so both histograms are drawn on one axis."""
    half = 0.0
    for v in values:
        a = np.abs(v)
        if a.size:
            k = int(GRADIENT_RANGE_PERCENTILE / 100 * (a.size - 1))
            half = max(half, float(np.partition(a, k)[k]))
    if not half > 0:
        half = 1e-12 if any(np.size(v) for v in values) else 1.0
    return np.linspace(-half, half, bins + 1)


def _share(v: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int]]:
    """(share per bin of the finite values ``v``, their std, (below, above) the bins)."""
    if v.size == 0:
        return np.zeros(edges.size - 1), float("nan"), (0, 0)
    bins, lo, hi = edges.size - 1, float(edges[0]), float(edges[-1])
    # Equal bins: a value's bin is arithmetic (np.histogram's own fast path, without its
    # checks, which cost more than the counting for a few thousand values).
    pos = (v - lo) * (bins / (hi - lo))
    below = int(np.count_nonzero(pos < 0))
    idx = pos.astype(np.intp)
    idx[pos == bins] = bins - 1                 # the last edge belongs to the last bin
    keep = (pos >= 0) & (idx < bins)
    counts = np.bincount(idx[keep], minlength=bins)
    inside = int(counts.sum())
    mean = v.sum() / v.size
    std = float(np.sqrt(max(float(v @ v) / v.size - mean * mean, 0.0)))
    return counts / v.size, std, (below, v.size - inside - below)


def layer_gradients(net) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(dL/dZ, dL/dW, A) of every hidden layer from ``net``'s last training pass."""
    return [(hl.dZ, hl.dense.grads["W"], hl.A) for hl in net.hidden]


def first_batch_gradients(net, X: np.ndarray, y: np.ndarray) -> tuple[float, list]:
    """The loss and layer_gradients of a copy of ``net`` on one batch: the gradients the first
    step will apply, shown before it is taken (``net`` itself is untouched)."""
    twin = net.clone()
    with np.errstate(all="ignore"):
        logits = twin.forward(np.asarray(X, dtype=twin.flat_params.dtype), train=True)
        loss, dz = softmax_cross_entropy(logits, y)
        twin.backward(dz)
    return float(loss), [(dZ.copy(), dW.copy(), A) for dZ, dW, A in layer_gradients(twin)]


def weight_bounds(net, offset: int = 0) -> list[int]:
    """[start₀, stop₀, start₁, stop₁, …] of each W (hidden layers, then the output layer) in
    ``net.flat_params``, shifted by ``offset``."""
    bounds, i = [], offset
    for _, layer, k in net.named_parameters():
        size = layer.params[k].size
        if k == "W":
            bounds += [i, i + size]
        i += size
    return bounds


def reduceat_indices(bounds: list[int], total: int) -> np.ndarray:
    """``bounds`` for np.add.reduceat over an array of ``total`` values: a stop at the very
    end is dropped (reduceat's last index already runs to the end)."""
    if bounds and bounds[-1] == total:
        bounds = bounds[:-1]
    return np.asarray(bounds, dtype=np.intp)


def log10_ratio(pair: np.ndarray, segments: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """log10(std(ΔW) / std(W)) of each W segment (reduceat ``segments`` of W's of ``sizes``
    values), ``pair`` = the flat update (row 0) and the flat weights before it (row 1): a
    handful of NumPy calls whatever the depth (std² = mean(x²) −
    mean(x)²); NaN where either std is 0 or not a number."""
    s1 = np.add.reduceat(pair, segments, axis=1, dtype=np.float64)[:, ::2]
    s2 = np.add.reduceat(pair * pair, segments, axis=1, dtype=np.float64)[:, ::2]
    n_squared_var = s2 * sizes - s1 * s1              # n² · std², for update and weights
    ratio = n_squared_var[0] / np.maximum(n_squared_var[1], 1e-300)
    out = np.full(ratio.shape, np.nan)
    np.log10(ratio, out=out, where=(ratio > 0) & (n_squared_var[1] > 0) & np.isfinite(ratio))
    return 0.5 * out


class DiagnosticsRecorder:
    """Records the histories of the diagnostics while twins train (TwinTrainer calls
    ``after_step`` after every step) and builds their snapshot when a view asks.

    The update is read off the parameters themselves, W after the step minus W before it, so
    it is the update the optimizer applied, whatever the rule. Costs a few vector operations
    per step and net.
    """

    def __init__(self, runs: dict, every: int, history_rows: int | None = None,
                 first_batch: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.every = max(1, int(every))
        # Every net's parameters side by side in one buffer, so one log10_ratio call serves
        # them all: row 0 the last update, row 1 the parameters before it.
        self._slices: dict[str, slice] = {}
        bounds, offset = [], 0
        sizes: list[int] = []
        self._layers: dict[str, slice] = {}
        for name, run in runs.items():
            net = run.net
            n = net.flat_params.size
            self._slices[name] = slice(offset, offset + n)
            first = len(sizes)
            bounds += weight_bounds(net, offset)
            sizes += [layer.params["W"].size for layer in [hl.dense for hl in net.hidden]
                      + [net.output]]
            self._layers[name] = slice(first, len(sizes))
            offset += n
        dtype = next(iter(runs.values())).net.flat_params.dtype if runs else np.float64
        self._pair = np.zeros((2, offset), dtype=dtype)
        for name, run in runs.items():
            self._pair[1, self._slices[name]] = run.net.flat_params
        self._segments = reduceat_indices(bounds, offset)
        self._sizes = np.asarray(sizes, dtype=np.float64)
        self.ratio: dict[str, Series] = {}
        self.gamma: dict[str, list[Series]] = {}
        self.beta: dict[str, list[Series]] = {}
        for name, run in runs.items():
            width = 1 + self._layers[name].stop - self._layers[name].start
            self.ratio[name] = Series(width=width, max_rows=bounded_rows(width, history_rows))
            self.gamma[name], self.beta[name] = [], []
            for bn in run.net.bn_layers:
                w = 1 + bn.params["gamma"].size
                self.gamma[name].append(Series(width=w, max_rows=bounded_rows(w, history_rows)))
                self.beta[name].append(Series(width=w, max_rows=bounded_rows(w, history_rows)))
        self._record_affine(0, runs)
        # Step 0: the untrained nets' gradients on the batch the first step will use.
        self._first: dict[str, tuple[float, list]] = {}
        if first_batch is not None:
            self._first = {name: first_batch_gradients(run.net, *first_batch)
                           for name, run in runs.items()}

    def after_step(self, step: int, runs: dict) -> None:
        pair = self._pair
        for name, run in runs.items():
            part = self._slices[name]
            np.subtract(run.net.flat_params, pair[1, part], out=pair[0, part])
        ratios = log10_ratio(pair, self._segments, self._sizes)    # against W before
        for name, run in runs.items():
            pair[1, self._slices[name]] = run.net.flat_params
        for name, run in runs.items():
            if run.diverged_at is None:
                self.ratio[name].append(np.concatenate(([step], ratios[self._layers[name]])))
        if step % self.every == 0:
            self._record_affine(step, runs)

    def _record_affine(self, step: int, runs: dict) -> None:
        for name, run in runs.items():
            for bn, g, b in zip(run.net.bn_layers, self.gamma[name], self.beta[name]):
                g.append(np.concatenate(([step], bn.params["gamma"])))
                b.append(np.concatenate(([step], bn.params["beta"])))

    def snapshot(self, runs: dict, classes: int, activation: str,
                 step: int) -> dict[str, RunDiagnostics]:
        """Every net's diagnostics at ``step``; at step 0 the first batch's."""
        grads, losses = {}, {}
        for name, run in runs.items():
            loss, first = self._first.get(name, (float("nan"), None))
            if step > 0 or first is None:
                grads[name] = layer_gradients(run.net)
                losses[name] = run.first_loss if run.first_loss is not None else loss
            else:
                grads[name], losses[name] = first, loss
        out = {name: RunDiagnostics(layers=[], update_ratio=self.ratio[name].view(),
                                    first_loss=float(losses[name]), classes=int(classes),
                                    step=int(step))
               for name in runs}
        depth = min(len(g) for g in grads.values()) if grads else 0
        for i in range(depth):
            dz = {name: _finite(g[i][0]) for name, g in grads.items() if g[i][0] is not None}
            dw = {name: _finite(g[i][1]) for name, g in grads.items()}
            dz_edges = shared_edges(*dz.values())
            dw_edges = shared_edges(*dw.values())
            for name, g in grads.items():
                z_share, z_std, z_off = (_share(dz[name], dz_edges) if name in dz
                                         else (np.zeros(GRADIENT_BINS), float("nan"), (0, 0)))
                w_share, w_std, w_off = _share(dw[name], dw_edges)
                A = g[i][2]
                ld = LayerDiagnostics(
                    dz_edges=dz_edges, dz_share=z_share, dz_std=z_std,
                    dw_edges=dw_edges, dw_share=w_share, dw_std=w_std,
                    saturated=saturated_share(activation, A) if A is not None
                    else float("nan"), dz_off=z_off, dw_off=w_off)
                bn_index = _bn_index(runs[name].net, i)
                if bn_index is not None:
                    ld.gamma_history = self.gamma[name][bn_index].view()
                    ld.beta_history = self.beta[name][bn_index].view()
                out[name].layers.append(ld)
        return out


def _bn_index(net, i: int) -> int | None:
    """Hidden layer i's place among the net's BN layers (None: no BN there)."""
    if net.hidden[i].bn is None:
        return None
    return sum(1 for hl in net.hidden[:i] if hl.bn is not None)
