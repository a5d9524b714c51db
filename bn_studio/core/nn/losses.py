"""Stable softmax, softmax cross-entropy and accuracy."""

from __future__ import annotations

import numpy as np


def softmax_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (t, a) with t = e^(z − max z) and a = t / Σt, row-wise; what the inspector shows."""
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    t = np.exp(z - z.max(axis=1, keepdims=True))
    return t, t / t.sum(axis=1, keepdims=True)


def softmax(z: np.ndarray) -> np.ndarray:
    """(N, C) logits → (N, C) probabilities whose rows sum to 1; never overflows."""
    z = np.asarray(z)
    shifted = z - z.max(axis=-1, keepdims=True)
    t = np.exp(shifted)
    return t / t.sum(axis=-1, keepdims=True)


def logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean of −log a_y over the batch, as logsumexp(z) − z_y, and its gradient (a − Y)/N."""
    n = z.shape[0]
    rows = np.arange(n)
    m = z.max(axis=1, keepdims=True)
    t = np.exp(z - m)
    s = t.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z[rows, y]))
    dz = t / s
    dz[rows, y] -= 1.0
    dz *= 1.0 / n
    return loss, dz


def accuracy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(z, axis=1) == y))
