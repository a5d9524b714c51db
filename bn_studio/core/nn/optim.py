"""SGD, momentum, Nesterov momentum, RMSprop and Adam with learning-rate decay and L2, as in the
course.

One small update function per rule, in the shape of CS231n's optim.py: ``rule(w, g, h)``
updates the parameters ``w`` in place from the gradient ``g`` (read only), reading its
hyperparameters and state from ``h``, the ``Optimizer``. Everything has a leading member
axis: ``w`` and ``g`` are (K, P), one flat parameter vector per network (see
``MLP.flat_params``; a single network is K = 1), and every hyperparameter is a float64 (K, 1)
column, so one rule trains one network or a whole population (population.py) with the same
arithmetic. ``@rule(...)`` registers a function under its name and says which decay rates it
reads; a new optimizer is one more rule here (and its label in params.py).

The rules round as the course's scalar formulas do in the network's dtype: a column is cast
to that dtype (``h.cast``) where the formula multiplies an array by a number, and the
products are taken in the formula's order, so that float32 and float64 runs are the same run
after run, whatever K.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# An update rule: (parameters, gradients, the optimizer's hyperparameters and state) → None,
# the parameters changed in place.
Update = Callable[[np.ndarray, np.ndarray, "Optimizer"], None]
UPDATES: dict[str, Update] = {}
# The decay rates each optimizer reads; every one of them reads lr, decay and l2. A β the
# chosen optimizer does not read changes nothing, so searching or applying it is refused.
OPTIMIZER_BETAS: dict[str, tuple[str, ...]] = {}


def rule(*reads: str) -> Callable[[Update], Update]:
    """Register an update function as an optimizer that reads the decay rates ``reads``."""
    def register(update: Update) -> Update:
        UPDATES[update.__name__] = update
        OPTIMIZER_BETAS[update.__name__] = reads
        return update
    return register


def ewma(avg: np.ndarray, x: np.ndarray, h: Optimizer, beta: str,
         out: np.ndarray) -> None:
    """avg ← β·avg + (1 − β)·x in place, β = h's setting ``beta``; ``out`` holds (1 − β)·x
    afterwards (x may be out)."""
    b, keep = h.factors(beta)
    avg *= b
    np.multiply(x, keep, out=out)
    avg += out


@rule()
def sgd(w, g, h) -> None:
    """w ← w − α·g"""
    step = np.multiply(g, h.alpha(), out=h.scratch(0))
    w -= step


@rule("momentum")
def momentum(w, g, h) -> None:
    """v ← β·v + (1 − β)·g;  w ← w − α·v  (÷ (1 − βᵗ) with bias correction)."""
    v, step = h.state("v"), h.scratch(0)
    ewma(v, g, h, "momentum", out=step)
    alpha = h.cast(h.lr / h.correction("momentum")) if h.bias_correction else h.alpha()
    np.multiply(v, alpha, out=step)
    w -= step


@rule("momentum")
def nesterov(w, g, h) -> None:
    """Nesterov momentum in the course's EWMA form: v ← β·v + (1 − β)·g, then a step from
    where momentum is about to take w, w ← w − α·(β·v + (1 − β)·g). It is PyTorch's
    SGD(nesterov=True) with learning rate α·(1 − β), as ``momentum`` is its plain momentum."""
    v, new, step = h.state("v"), h.scratch(0), h.scratch(1)
    ewma(v, g, h, "momentum", out=new)              # new = (1 − β)·g
    np.multiply(v, h.factors("momentum")[0], out=step)
    step += new
    step *= h.alpha()
    w -= step


@rule("beta2")
def rmsprop(w, g, h) -> None:
    """s ← β₂·s + (1 − β₂)·g²;  w ← w − α·g / (√s + ε)"""
    s, step, denom = h.state("s"), h.scratch(0), h.scratch(1)
    np.multiply(g, g, out=step)
    ewma(s, step, h, "beta2", out=step)
    np.multiply(g, h.alpha(), out=step)
    np.sqrt(s, out=denom)
    denom += h.eps
    step /= denom
    w -= step


@rule("beta1", "beta2")
def adam(w, g, h) -> None:
    """Momentum and RMSprop together, both bias-corrected: w ← w − α·v̂ / (√ŝ + ε)."""
    v, s, step, denom = h.state("v"), h.state("s"), h.scratch(0), h.scratch(1)
    ewma(v, g, h, "beta1", out=step)
    np.multiply(g, g, out=step)
    ewma(s, step, h, "beta2", out=step)
    c1 = h.correction("beta1")
    c2 = h.correction("beta2")
    # α·v̂/(√ŝ + ε) with v̂ = v/c1, ŝ = s/c2, written to need one temporary less.
    np.sqrt(s, out=denom)
    denom *= 1.0 / np.sqrt(c2)
    denom += h.eps
    np.multiply(v, h.cast(h.lr / c1), out=step)
    step /= denom
    w -= step


OPTIMIZERS = tuple(UPDATES)
BETA_NAMES = ("beta1", "beta2", "momentum")
# The settings an Optimizer holds as (K, 1) columns, by the attribute that holds each ("lr"
# is the initial α₀, before decay).
COLUMNS = {"lr": "lr0", "beta1": "beta1", "beta2": "beta2", "momentum": "momentum",
           "l2": "l2", "decay": "decay"}


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
    """``step(w, g)`` updates w in place, for K members at once. ``lr`` decays as
    α₀ / (1 + decay · epoch).

    Each hyperparameter is a number (every member) or one value per member, held as a
    float64 (K, 1) column. Adam is always bias-corrected; ``bias_correction`` switches it on
    for plain momentum, where the course notes that in practice people usually leave it out.
    """

    def __init__(self, name: str = "adam", lr=0.01, *, beta1=0.9, beta2=0.999, momentum=None,
                 eps: float = 1e-8, l2=0.0, decay=0.0, bias_correction: bool = False) -> None:
        if name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
        col = lambda v: np.array(v, dtype=np.float64).reshape(-1, 1)  # noqa: E731
        if not np.all(col(lr) > 0):
            raise ValueError("the learning rate must be positive")
        # The momentum β (the EWMA coefficient of the gradients) is β₁ unless given.
        cols = np.broadcast_arrays(col(lr), col(beta1), col(beta2),
                                   col(beta1 if momentum is None else momentum), col(l2),
                                   col(decay))
        self.lr0, self.beta1, self.beta2, self.momentum, self.l2, self.decay = \
            (c.copy() for c in cols)
        self.name, self.eps, self.bias_correction = name, eps, bias_correction
        self.update = UPDATES[name]
        self.t = 0
        self.epoch = 0
        self.states: dict[str, np.ndarray] = {}     # per-member state (v, s, …), (K, P)
        self._scratch: dict = {}
        self._shape: tuple = ()
        self.dtype = np.dtype(np.float64)
        self._lr_epoch: int | None = None            # the epoch self._lr is for (_changed)
        self._alpha_epoch: int | None = None
        self._changed()

    @property
    def lr(self) -> np.ndarray:
        """α of every member now, a (K, 1) column."""
        if self._lr_epoch != self.epoch:            # once per epoch, not once per step
            self._lr = self.lr0 / (1.0 + self.decay * self.epoch)
            self._lr_epoch = self.epoch
        return self._lr

    def cast(self, column) -> np.ndarray:
        """A float64 column in the parameters' dtype, as a number meets an array."""
        return np.asarray(column).astype(self.dtype, copy=False)

    def alpha(self) -> np.ndarray:
        """α now, in the parameters' dtype."""
        if self._alpha_epoch != self.epoch:
            self._alpha, self._alpha_epoch = self.cast(self.lr), self.epoch
        return self._alpha

    def factors(self, beta: str) -> tuple[np.ndarray, np.ndarray]:
        """(β, 1 − β) of the setting ``beta`` in the parameters' dtype."""
        if beta not in self._factors:
            b = getattr(self, beta)
            self._factors[beta] = (self.cast(b), self.cast(1.0 - b))
        return self._factors[beta]

    def correction(self, beta: str) -> np.ndarray:
        """1 − βᵗ per member (bias correction) of the setting ``beta``, with Python's float
        power as the scalar formula has it."""
        return np.array([[1.0 - b ** self.t] for b in getattr(self, beta)[:, 0].tolist()])

    def state(self, name: str) -> np.ndarray:
        """The rule's persistent array ``name``, the shape of w and zero before its first
        update (a rule asks for what it keeps: v, s, …)."""
        if name not in self.states:
            self.states[name] = np.zeros(self._shape, self.dtype)
        return self.states[name]

    def scratch(self, key) -> np.ndarray:
        """Temporary array ``key``, the shape of w: its values do not outlive one update."""
        if key not in self._scratch:
            self._scratch[key] = np.empty(self._shape, self.dtype)
        return self._scratch[key]

    def set(self, name: str, value, rows=slice(None)) -> None:
        """Set hyperparameter ``name`` (α₀ for "lr") of the members ``rows`` (all by default)."""
        if name not in COLUMNS:
            raise ValueError(f"the optimizer has no setting {name!r}")
        getattr(self, COLUMNS[name])[rows] = value
        self._changed()

    def keep(self, rows: np.ndarray) -> None:
        """Keep only the members ``rows`` (a boolean mask or indices)."""
        for attr in COLUMNS.values():
            setattr(self, attr, getattr(self, attr)[rows])
        self.states = {name: a[rows] for name, a in self.states.items()}
        self._shape, self._scratch = (), {}
        self._changed()

    def _changed(self) -> None:
        """Forget what was derived from the hyperparameters (or the dtype)."""
        self._lr_epoch = self._alpha_epoch = None
        self._factors: dict[str, tuple] = {}
        self._any_l2 = bool(np.any(self.l2))

    def step(self, w: np.ndarray, g: np.ndarray, weight_mask: np.ndarray | None = None) -> None:
        """One update of w (K, P), or of one member's (P,), from the gradient g (not changed)."""
        w2, g2 = w.reshape(-1, w.shape[-1]), g.reshape(-1, g.shape[-1])
        self._prepare(w2)
        if self._any_l2:
            g2 = self._with_l2(w2, g2, weight_mask)
        self.t += 1
        self.update(w2, g2, self)

    def _with_l2(self, w, g, weight_mask) -> np.ndarray:
        """g + λ·W (weights only): the gradient of the L2 term added, into a scratch array."""
        decay = np.multiply(w, 1.0 if weight_mask is None else weight_mask,
                            out=self.scratch("l2"))
        decay *= self.cast(self.l2)
        return np.add(g, decay, out=decay)

    def _prepare(self, w: np.ndarray) -> None:
        """Scratch arrays follow w's shape and dtype (members dropped, a first step)."""
        if w.shape != self._shape or w.dtype != self.dtype:
            self._shape, self.dtype, self._scratch = w.shape, w.dtype, {}
            self._changed()
