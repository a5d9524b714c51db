"""The softmax of one point, taken apart for the inspector: a shift c added to every logit,
a temperature T, the loss −log a_y and its gradient a − y.

``shifted_softmax`` computes t and a the naive way, t = e^((z + c)/T) and a = t / Σt, so a
test (and the learner) can see that a does not depend on c: e^((z_i + c)/T) = e^(c/T)·e^(z_i/T)
and the common factor e^(c/T) cancels in t / Σt. With c = −max z the largest t is 1 and no
exponential can overflow: the stable softmax is this shift, exact, not an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .losses import softmax


@dataclass(frozen=True)
class ShiftedSoftmax:
    """One point's softmax with shift c and temperature T (1-D arrays over the classes)."""

    u: np.ndarray           # (z + c) / T, the exponents
    t: np.ndarray           # e^u, unshifted: may overflow to inf for large u
    a: np.ndarray           # probabilities, from the stable formula (always finite for finite z)
    a_naive: np.ndarray     # t / Σt: equals a unless e^u overflowed or underflowed
    overflow: bool          # some t or Σt is inf: the naive formula fails, the stable one not

    @property
    def total(self) -> float:
        return float(np.sum(self.t))


def check_temperature(T: float) -> float:
    T = float(T)
    if not T > 0:                       # also catches NaN
        raise ValueError(f"the temperature T must be above 0, not {T:g}")
    return T


def tempered_softmax(z: ArrayLike, T: float = 1.0) -> np.ndarray:
    """a = softmax(z / T), stable for any T > 0: T → ∞ gives the uniform 1/C, T → 0 a one-hot
    at argmax z (ties share). T = inf gives exactly uniform."""
    z = np.asarray(z, dtype=np.float64)
    T = check_temperature(T)
    if np.isinf(T):
        return np.full(z.shape, 1.0 / z.shape[-1])
    return softmax(z / T)


def shifted_softmax(z: ArrayLike, c: float = 0.0, T: float = 1.0) -> ShiftedSoftmax:
    """t = e^((z + c)/T) the naive way and a = softmax((z + c)/T); see the module note."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    T = check_temperature(T)
    u = (z + float(c)) / T
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = np.exp(u)
        total = t.sum()
        a_naive = t / total
    overflow = bool(not np.all(np.isfinite(t)) or not np.isfinite(total))
    return ShiftedSoftmax(u=u, t=t, a=tempered_softmax(z + float(c), T), a_naive=a_naive,
                          overflow=overflow)


def one_hot(y: int, classes: int) -> np.ndarray:
    if not 0 <= int(y) < classes:
        raise ValueError(f"class {y} is not one of the {classes} classes")
    out = np.zeros(classes)
    out[int(y)] = 1.0
    return out


def point_loss(z: ArrayLike, y: int) -> float:
    """−log a_y for one point, as logsumexp(z) − z_y (finite even when a_y underflows to 0)."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    one_hot(y, z.size)
    m = z.max()
    return float(m + np.log(np.exp(z - m).sum()) - z[int(y)])


def loss_gradient(z: ArrayLike, y: int) -> np.ndarray:
    """∂(−log a_y)/∂z = a − y (y one-hot): negative only at the true class, whose logit a
    descent step (through the W and b that make z) raises; every other logit is pushed down
    in proportion to its probability."""
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    return softmax(z) - one_hot(y, z.size)


def nearest_label(X: np.ndarray, y: np.ndarray, xy: ArrayLike) -> tuple[int, int, float]:
    """(index, label, distance) of the data point nearest to xy: a click on the plane picks
    the true class of the point under (or nearest to) the cursor."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] == 0:
        raise ValueError("there are no data points to take a true class from")
    d2 = np.sum((X - np.asarray(xy, dtype=np.float64).reshape(1, -1)) ** 2, axis=1)
    i = int(np.argmin(d2))
    return i, int(np.asarray(y)[i]), float(np.sqrt(d2[i]))
