"""SGD, momentum, RMSprop and Adam with learning-rate decay and L2, as in the course.

Each optimizer updates one flat parameter vector from one flat gradient vector in place
(see ``MLP.flat_params``), keeping its state (v, s) as vectors of the same shape.
"""

from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
# The decay rates each optimizer reads; every one of them reads lr, decay and l2. A β the
# chosen optimizer does not read changes nothing, so searching or applying it is refused.
OPTIMIZER_BETAS = {"sgd": (), "momentum": ("momentum",), "rmsprop": ("beta2",),
                   "adam": ("beta1", "beta2")}
BETA_NAMES = ("beta1", "beta2", "momentum")


def ignored_params(optimizer: str, names) -> list[str]:
    """The names among ``names`` that ``optimizer`` never reads (e.g. beta1 for momentum)."""
    used = OPTIMIZER_BETAS.get(optimizer, ())
    return [n for n in names if n in BETA_NAMES and n not in used]


def ignored_message(optimizer: str, name: str) -> str:
    """One line for the user: why ``name`` is refused and what to search instead."""
    used = OPTIMIZER_BETAS.get(optimizer, ())
    users = [o for o, betas in OPTIMIZER_BETAS.items() if name in betas]
    instead = f"search {' and '.join(used)} instead" if used else "search lr instead"
    return (f"{name} changes nothing with the {optimizer} optimizer ({instead}, "
            f"or choose {' or '.join(users)})")


class Optimizer:
    """``step(w, g)`` updates w in place. ``lr`` decays as α₀ / (1 + decay · epoch).

    Adam is always bias-corrected; ``bias_correction`` switches it on for plain momentum,
    where the course notes that in practice people usually leave it out.
    """

    def __init__(self, name: str = "adam", lr: float = 0.01, *, beta1: float = 0.9,
                 beta2: float = 0.999, momentum: float | None = None, eps: float = 1e-8,
                 l2: float = 0.0, decay: float = 0.0, bias_correction: bool = False) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
        if not lr > 0:
            raise ValueError("the learning rate must be positive")
        self.name, self.lr0, self.eps, self.l2, self.decay = name, float(lr), eps, l2, decay
        # For "momentum", β is the EWMA coefficient of the gradients (default 0.9).
        self.beta1 = float(momentum if (name == "momentum" and momentum is not None) else beta1)
        self.beta2 = float(beta2)
        self.bias_correction = bias_correction
        self.t = 0
        self.epoch = 0
        self.v: np.ndarray | None = None
        self.s: np.ndarray | None = None

    @property
    def lr(self) -> float:
        return self.lr0 / (1.0 + self.decay * self.epoch)

    def step(self, w: np.ndarray, g: np.ndarray, weight_mask: np.ndarray | None = None) -> None:
        if self.l2:
            g = g + self.l2 * (w if weight_mask is None else w * weight_mask)
        self.t += 1
        lr = self.lr
        if self.name == "sgd":
            w -= lr * g
            return
        if self.v is None:
            self.v, self.s = np.zeros_like(w), np.zeros_like(w)
        b1, b2, v, s = self.beta1, self.beta2, self.v, self.s
        if self.name == "momentum":
            v *= b1
            v += (1.0 - b1) * g
            corr = 1.0 - b1 ** self.t if self.bias_correction else 1.0
            w -= (lr / corr) * v
        elif self.name == "rmsprop":
            s *= b2
            s += (1.0 - b2) * (g * g)
            w -= lr * g / (np.sqrt(s) + self.eps)
        else:  # adam
            v *= b1
            v += (1.0 - b1) * g
            s *= b2
            s += (1.0 - b2) * (g * g)
            c1 = 1.0 - b1 ** self.t
            c2 = 1.0 - b2 ** self.t
            # α·v̂/(√ŝ + ε) with v̂ = v/c1, ŝ = s/c2, written to need one temporary less.
            denom = np.sqrt(s)
            denom *= 1.0 / np.sqrt(c2)
            denom += self.eps
            w -= (lr / c1) * v / denom
