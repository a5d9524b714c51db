"""SGD, momentum, Nesterov momentum, RMSprop and Adam with learning-rate decay and L2, as in the course.

One small update function per rule, in the shape of CS231n's optim.py: ``rule(w, g, lr, h)``
updates the flat parameter vector ``w`` in place from the flat gradient ``g`` (see
``MLP.flat_params``) at learning rate ``lr``, reading its hyperparameters and state (v, s, t)
from ``h``, the ``Optimizer``. ``@rule(...)`` registers a function under its name and says
which decay rates it reads.
"""

from __future__ import annotations

import numpy as np

UPDATES = {}
# The decay rates each optimizer reads; every one of them reads lr, decay and l2. A β the
# chosen optimizer does not read changes nothing, so searching or applying it is refused.
OPTIMIZER_BETAS: dict[str, tuple[str, ...]] = {}


def rule(*reads: str):
    """Register an update function as an optimizer that reads the decay rates ``reads``."""
    def register(update):
        UPDATES[update.__name__] = update
        OPTIMIZER_BETAS[update.__name__] = reads
        return update
    return register


@rule()
def sgd(w, g, lr, h) -> None:
    """w ← w − α·g"""
    w -= lr * g


@rule("momentum")
def momentum(w, g, lr, h) -> None:
    """v ← β·v + (1 − β)·g;  w ← w − α·v  (÷ (1 − βᵗ) with bias correction)."""
    b, v = h.momentum, h.v
    v *= b
    v += (1.0 - b) * g
    corr = 1.0 - b ** h.t if h.bias_correction else 1.0
    w -= (lr / corr) * v


@rule("momentum")
def nesterov(w, g, lr, h) -> None:
    """Nesterov momentum in the course's EWMA form: v ← β·v + (1 − β)·g, then a step from
    where momentum is about to take w, w ← w − α·(β·v + (1 − β)·g). It is PyTorch's
    SGD(nesterov=True) with learning rate α·(1 − β), as ``momentum`` is its plain momentum."""
    b, v = h.momentum, h.v
    v *= b
    v += (1.0 - b) * g
    w -= lr * (b * v + (1.0 - b) * g)


@rule("beta2")
def rmsprop(w, g, lr, h) -> None:
    """s ← β₂·s + (1 − β₂)·g²;  w ← w − α·g / (√s + ε)"""
    b2, s = h.beta2, h.s
    s *= b2
    s += (1.0 - b2) * (g * g)
    w -= lr * g / (np.sqrt(s) + h.eps)


@rule("beta1", "beta2")
def adam(w, g, lr, h) -> None:
    """Momentum and RMSprop together, both bias-corrected: w ← w − α·v̂ / (√ŝ + ε)."""
    b1, b2, v, s = h.beta1, h.beta2, h.v, h.s
    v *= b1
    v += (1.0 - b1) * g
    s *= b2
    s += (1.0 - b2) * (g * g)
    c1 = 1.0 - b1 ** h.t
    c2 = 1.0 - b2 ** h.t
    # α·v̂/(√ŝ + ε) with v̂ = v/c1, ŝ = s/c2, written to need one temporary less.
    denom = np.sqrt(s)
    denom *= 1.0 / np.sqrt(c2)
    denom += h.eps
    w -= (lr / c1) * v / denom


OPTIMIZERS = tuple(UPDATES)
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
        self.update = UPDATES[name]
        self.beta1, self.beta2 = float(beta1), float(beta2)
        # The momentum β (the EWMA coefficient of the gradients) is β₁ unless given.
        self.momentum = float(beta1 if momentum is None else momentum)
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
        if self.v is None and self.name != "sgd":
            self.v, self.s = np.zeros_like(w), np.zeros_like(w)
        self.update(w, g, self.lr, self)
