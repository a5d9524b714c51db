"""Test-time statistics of batch norm: the running (EWMA) averages the net keeps while it
trains, against one pass over the training set after training (lesson 12), and how the two
score on the validation split.

The full pass goes layer by layer: layer l's μ and σ² are those of its input over all of X
with the layers below already normalised by their own full-pass statistics, i.e. exactly
what layer l will see at test time. σ² is the plain (biased) variance over the N rows; at
N in the hundreds the m/(m − 1) the running average uses is immaterial.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import limits
from .losses import softmax_cross_entropy
from .network import MLP


def _bn_inputs(net: MLP, X: np.ndarray, layer: int) -> np.ndarray:
    """What hidden layer ``layer``'s BN normalises for the rows X, in eval mode (the layers
    below use their running statistics): Z, or g(Z) when BN sits after g."""
    a = X
    for i, hl in enumerate(net.hidden):
        z = hl.dense.forward(a, train=False)
        if net.config.bn_after_g:
            z = hl.act.forward(z, train=False)
        if i == layer:
            return z
        if hl.bn is not None:
            z = hl.bn.forward(z, train=False)
        a = z if net.config.bn_after_g else hl.act.forward(z, train=False)
    raise IndexError(layer)


def full_pass_statistics(net: MLP, X: np.ndarray) -> MLP:
    """A copy of ``net`` whose BN layers' running μ and σ² are replaced by the mean and
    (biased) variance of their inputs over all of X, computed layer by layer in chunks (a
    pass over X per BN layer; memory independent of N). Weights, γ and β are unchanged."""
    out = net.clone()
    X = np.asarray(X, dtype=out.flat_params.dtype)
    step = limits.EVAL_CHUNK_ROWS
    for i, hl in enumerate(out.hidden):
        if hl.bn is None:
            continue
        n, mean, m2 = 0, 0.0, 0.0
        for lo in range(0, len(X), step):       # Chan et al.'s pairwise update
            z = _bn_inputs(out, X[lo:lo + step], i).astype(np.float64)
            k, mu_k = len(z), z.mean(axis=0)
            delta = mu_k - mean
            m2 = m2 + ((z - mu_k) ** 2).sum(axis=0) + delta ** 2 * n * k / (n + k)
            mean = mean + delta * k / (n + k)
            n += k
        hl.bn.running_mean[...] = mean
        hl.bn.running_var[...] = m2 / n
    return out


def scores(net: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) of ``net`` in eval mode (BN uses its running statistics)."""
    logits = net.logits(X)
    loss, _ = softmax_cross_entropy(logits.astype(np.float64), np.asarray(y))
    return float(loss), float(np.mean(np.argmax(logits, axis=1) == y))


def compare_estimates(net: MLP, X_train: np.ndarray, X_val: np.ndarray,
                      y_val: np.ndarray) -> dict[str, Any]:
    """The BN net's validation loss and accuracy with its running averages (EWMA) and with
    one pass over the training set, and how far apart the two estimates of each layer's μ
    and σ² are (largest |difference| over the units, as a share of the full-pass σ)."""
    full = full_pass_statistics(net, X_train)
    ewma_loss, ewma_acc = scores(net, X_val, y_val)
    full_loss, full_acc = scores(full, X_val, y_val)
    mean_gap, var_ratio = [], []
    for a, b in zip(net.bn_layers, full.bn_layers):
        sd = np.sqrt(b.running_var + b.eps)
        mean_gap.append(float(np.max(np.abs(a.running_mean - b.running_mean) / sd)))
        var_ratio.append(float(np.max(np.abs(np.log((a.running_var + a.eps)
                                                    / (b.running_var + b.eps))))))
    return {"ewma_loss": ewma_loss, "ewma_acc": ewma_acc, "full_loss": full_loss,
            "full_acc": full_acc, "mean_gap": mean_gap, "log_var_ratio": var_ratio}
