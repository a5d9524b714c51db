"""The maths of K stacked networks, batched: the layers of layers.py for K members at once.

Training activations are laid out batch-major, (B, K, H): a sum over the batch is then
NumPy's fast reduction over the first axis, a per-member vector (K, H) broadcasts over it in
long inner loops, and ``np.matmul`` sees the same memory as (K, B, H) through a transposed
view (BLAS takes the row stride). Every large array is a preallocated buffer written with
``out=``: a fresh 1 MB array per operation costs page faults that took a third of a step.
Sums of products over the batch are ``np.einsum``: one pass, no temporary (2–3× faster).

Batch norm is computed in the fewest passes over (B, K, H) that give its values: the output
is Z_c · (γ/σ) + β from the centred Z_c, and the backward pass is
dZ = (γ/σ) · (dA − Σ dA / n − Z_c · (Σ dA Z_c) / (n σ²)), which is layers.BatchNorm's
backward with X̂ = Z_c / σ written out. Results equal the single-trial path to rounding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike


def matmul_into(a: np.ndarray, W: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(B, K, n) · (K, n, m) → out (B, K, m), member by member."""
    np.matmul(a.transpose(1, 0, 2), W, out=out.transpose(1, 0, 2))
    return out


def transposed(W: np.ndarray) -> np.ndarray:
    """(K, n, m) → a contiguous (K, m, n): BLAS multiplies by it faster than by a view."""
    return np.ascontiguousarray(W.transpose(0, 2, 1))


class Buffers:
    """The step's large arrays for K members: per hidden layer Z (centred pre-activations),
    A (activations), D (the gradient on the way back) and scratch."""

    def __init__(self, batch: int, k: int, widths: list[int], classes: int,
                 dtype: DTypeLike) -> None:
        shape = lambda h: (batch, k, h)  # noqa: E731
        self.z = [np.empty(shape(h), dtype) for h in widths]
        self.a = [np.empty(shape(h), dtype) for h in widths]
        self.d = [np.empty(shape(h), dtype) for h in widths]
        self.scratch = [np.empty(shape(h), dtype) for h in widths]
        self.logits = np.empty(shape(classes), dtype)
        self.k = k


def act_forward(name: str, a: np.ndarray) -> None:
    """The activation, in place in a."""
    if name == "relu":
        np.maximum(a, 0.0, out=a)
    elif name == "tanh":
        np.tanh(a, out=a)
    else:
        # layers.Sigmoid's values, e^min(z,0) / (1 + e^−|z|): 1/(1 + e^−z) for z ≥ 0 and
        # e^z/(1 + e^z) below, with no overflow and no masked copy (np.copyto(where=…) was 10×
        # slower than the two exponentials together).
        num = np.minimum(a, 0.0)
        np.abs(a, out=a)
        np.negative(a, out=a)
        np.exp(a, out=a)
        a += 1.0
        np.exp(num, out=num)
        np.divide(num, a, out=a)


def act_backward(name: str, d: np.ndarray, a: np.ndarray, scratch: np.ndarray) -> None:
    """d ← d · f'(z), from the activation's output a; scratch is overwritten."""
    if name == "relu":
        np.multiply(d, a > 0, out=d)
    elif name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        d *= scratch
    else:
        np.subtract(1.0, a, out=scratch)
        scratch *= a
        d *= scratch


def bn_forward(z: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float,
               out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Batch norm in training mode over the batch axis of z (B, K, H), which is centred in
    place; out = Z_c · (γ/σ) + β. Returns (μ, σ², 1/σ, γ/σ), each (K, H)."""
    n = z.shape[0]
    mu = np.add.reduce(z, axis=0)
    mu *= 1.0 / n
    z -= mu
    var = np.einsum("bkh,bkh->kh", z, z)            # Σ Z_c², no (B, K, H) temporary
    var *= 1.0 / n
    inv_std = var + eps
    np.sqrt(inv_std, out=inv_std)
    np.divide(1.0, inv_std, out=inv_std)
    scale = gamma * inv_std
    np.multiply(z, scale, out=out)
    out += beta
    return mu, var, inv_std, scale


def bn_backward(d: np.ndarray, zc: np.ndarray, inv_std: np.ndarray, scale: np.ndarray,
                dgamma: np.ndarray, dbeta: np.ndarray, scratch: np.ndarray) -> None:
    """d (the gradient at the BN output) ← the gradient at its input; fills dγ and dβ."""
    n = d.shape[0]
    np.add.reduce(d, axis=0, out=dbeta)
    s = np.einsum("bkh,bkh->kh", d, zc)             # Σ dA Z_c, no (B, K, H) temporary
    np.multiply(s, inv_std, out=dgamma)             # Σ dA X̂
    c_z = s * inv_std * inv_std * scale * (1.0 / n)
    c_0 = dbeta * scale * (1.0 / n)
    np.multiply(zc, c_z, out=scratch)
    d *= scale
    d -= scratch
    d -= c_0


def softmax_parts(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(max, e^(z − max), Σ e^(z − max)) over the class axis, keepdims, as losses.py has it.
    With few classes the max and the sum run over class slices: a reduction over a short
    last axis is slow in NumPy, and below 8 terms its sum is this left-to-right sum."""
    c = z.shape[-1]
    if c >= 8:
        m = z.max(axis=-1, keepdims=True)
        t = np.exp(z - m)
        return m, t, t.sum(axis=-1, keepdims=True)
    m = z[..., 0:1].copy()
    for j in range(1, c):
        np.maximum(m, z[..., j:j + 1], out=m)
    t = np.exp(z - m)
    s = t[..., 0:1].copy()
    for j in range(1, c):
        s += t[..., j:j + 1]
    return m, t, s


def softmax_ce(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """losses.softmax_cross_entropy per member on batch-major logits z (B, K, C), y (B, K):
    (K,) mean losses and (B, K, C) dlogits."""
    n, k = z.shape[0], z.shape[1]
    m, t, s = softmax_parts(z)
    rows, kk = np.arange(n)[:, None], np.arange(k)[None, :]
    per_example = np.log(s[..., 0]) + m[..., 0] - z[rows, kk, y]
    loss = np.mean(np.ascontiguousarray(per_example.T), axis=1)   # pairwise, as a 1-D mean
    dz = np.divide(t, s, out=t)
    dz[rows, kk, y] -= 1.0
    dz *= 1.0 / n
    return loss, dz


def eval_layers(P: dict[str, np.ndarray], widths: list[int],
                running: list[tuple[np.ndarray, np.ndarray]], bn: bool, eps: float,
                rows: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer of the rows' members in eval mode: batch norm with the running
    statistics folded into the weights, W·γ/σ and β − μγ/σ, so a layer is one product and
    one sum (layers.BatchNorm computes the same values in four passes)."""
    out = []
    for i in range(len(widths)):
        li = f"hidden{i + 1}."
        W = P[li + "W"][rows]
        if bn:
            rm, rv = running[i]
            s = P[li + "gamma"][rows] / np.sqrt(rv[rows] + eps)
            out.append((W * s[:, None, :], P[li + "beta"][rows] - rm[rows] * s))
        else:
            out.append((W, P[li + "b"][rows]))
    out.append((P["output.W"][rows], P["output.b"][rows]))
    return out


def eval_loss_acc(layers: list[tuple[np.ndarray, np.ndarray]], act: str, X: np.ndarray,
                  y: np.ndarray, chunk_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean loss, accuracy) per member in eval mode. X is (N, d) shared by every member or
    (K, N, d) one sample each, y (N,) or (K, N). Member by member, rows in chunks of
    ``chunk_rows``: one large product per layer runs BLAS near its peak and a (rows, H) array
    stays in cache, where stacking members made many small products."""
    k = layers[0][0].shape[0]
    shared = X.ndim == 2
    n = X.shape[0] if shared else X.shape[1]
    loss, hits = np.zeros(k), np.zeros(k)
    for m in range(k):
        Xm, ym = (X, y) if shared else (X[m], y[m])
        for i in range(0, n, chunk_rows):
            a, ys = Xm[i:i + chunk_rows], ym[i:i + chunk_rows]
            for j, (W, b) in enumerate(layers):
                z = a @ W[m]
                z += b[m]
                if j < len(layers) - 1:
                    act_forward(act, z)
                a = z
            mx, t, s = softmax_parts(a)
            loss[m] += np.add.reduce(np.log(s[:, 0]) + mx[:, 0] - a[np.arange(a.shape[0]), ys])
            hits[m] += np.count_nonzero(np.argmax(a, axis=1) == ys)
    return loss / n, hits / n
