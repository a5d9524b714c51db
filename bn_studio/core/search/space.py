"""The search space: hyperparameters, the scale each is sampled on, and how a trial's
parameters map onto a TrainConfig.

The course's lesson, as code: sample at random rather than on a grid, and sample each
hyperparameter on the scale where its effect is even — the learning rate log-uniformly,
β of an EWMA as 1 − β on a log scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..training import params as registry
from ..nn.optim import OPTIMIZER_BETAS

SCALES = ("linear", "int", "log", "one_minus_log", "pow2", "choice")
# What a search may vary, which of them are integers and their first ranges: core/params.py.
PARAM_NAMES = registry.SEARCHABLE
INTEGER_PARAMS = registry.INTEGER_SEARCH


class SearchSpaceError(ValueError):
    """An impossible parameter range; the message is one line for the user."""


@dataclass(frozen=True)
class Param:
    """One hyperparameter and the scale it is sampled on.

    ``Param("lr", "log", 1e-4, 1)``, ``Param("beta", "one_minus_log", 0.9, 0.999)``,
    ``Param("hidden", "int", 50, 100)``, ``Param("bn", "choice", [0, 1])``.
    """

    name: str
    scale: str
    # Any: a number, or a choice's list of values (a tuple once checked); high is None for a
    # choice. __post_init__ checks which, so the methods read them as the scale says.
    low: Any = None
    high: Any = None

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise SearchSpaceError(f"{self.name}: unknown scale {self.scale!r}; use one of "
                                   f"{', '.join(SCALES)}")
        if self.scale == "choice":
            values = tuple(self.low) if isinstance(self.low, (list, tuple)) else ()
            if not values:
                raise SearchSpaceError(f"{self.name}: a choice needs at least one value")
            object.__setattr__(self, "low", values)
            return
        try:
            lo, hi = float(self.low), float(self.high)
        except (TypeError, ValueError):
            raise SearchSpaceError(f"{self.name}: low and high must be numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise SearchSpaceError(f"{self.name}: low and high must be finite")
        if lo >= hi:
            raise SearchSpaceError(f"{self.name}: low ({lo:g}) must be below high ({hi:g})")
        if self.scale == "log" and lo <= 0:
            raise SearchSpaceError(f"{self.name}: a log scale needs low > 0 (got {lo:g})")
        if self.scale == "one_minus_log" and not (0 < lo and hi < 1):
            raise SearchSpaceError(f"{self.name}: 1 − β on a log scale needs 0 < low < high < 1 "
                                   f"(got {lo:g}..{hi:g})")
        if self.scale in ("int", "pow2") and (lo != int(lo) or hi != int(hi)):
            raise SearchSpaceError(f"{self.name}: {self.scale} bounds must be whole numbers")
        if self.scale == "pow2":
            if lo < 1 or 2 ** round(math.log2(lo)) != lo or 2 ** round(math.log2(hi)) != hi:
                raise SearchSpaceError(f"{self.name}: pow2 bounds must be powers of two ≥ 1 "
                                       f"(got {lo:g}..{hi:g})")
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def to_unit(self, v):
        """Values → the sampling axis, where samples are uniform: log10 v for log, −log10(1 − β)
        for one_minus_log, log2 v for pow2, the index for choice. Plots and narrowing use it."""
        v = np.asarray(v, dtype=np.float64)
        if self.scale == "log":
            return np.log10(v)
        if self.scale == "one_minus_log":
            return -np.log10(1.0 - v)
        if self.scale == "pow2":
            return np.log2(v)
        if self.scale == "choice":
            return np.array([self.low.index(x) for x in np.atleast_1d(v).tolist()],
                            dtype=np.float64).reshape(v.shape)
        return v

    def from_unit(self, u):
        """The sampling axis → values (rounded for int and pow2); inverse of ``to_unit``."""
        u = np.asarray(u, dtype=np.float64)
        if self.scale == "log":
            return 10.0 ** u
        if self.scale == "one_minus_log":
            return 1.0 - 10.0 ** (-u)
        if self.scale == "pow2":
            return 2.0 ** np.round(u)
        if self.scale == "int":
            return np.round(u)
        return u

    @property
    def unit_bounds(self) -> tuple[float, float]:
        """The range on the sampling axis."""
        if self.scale == "choice":
            return 0.0, float(len(self.low) - 1)
        return float(self.to_unit(self.low)), float(self.to_unit(self.high))

    def sample(self, rng: np.random.Generator, n: int) -> list:
        """``n`` plain Python values (float, or int for int/pow2), uniform on the sampling axis."""
        if self.scale == "choice":
            return [self.low[i] for i in rng.integers(0, len(self.low), n)]
        if self.scale == "int":
            return [int(v) for v in rng.integers(int(self.low), int(self.high) + 1, n)]
        if self.scale == "pow2":
            e = rng.integers(int(math.log2(self.low)), int(math.log2(self.high)) + 1, n)
            return [int(2 ** k) for k in e]
        a, b = self.unit_bounds
        return [float(v) for v in self.from_unit(rng.uniform(a, b, n))]

    def grid(self, k: int) -> list:
        """``k`` values evenly spaced on the sampling axis (fewer if the scale has fewer)."""
        if self.scale == "choice":
            return list(self.low)[:max(1, k)] if k < len(self.low) else list(self.low)
        a, b = self.unit_bounds
        values = self.from_unit(np.linspace(a, b, max(1, k)) if k > 1 else [(a + b) / 2])
        if self.scale in ("int", "pow2"):
            return sorted({int(v) for v in values})
        return [float(v) for v in values]

    def extremes(self) -> list:
        """The most extreme values sampling can produce (every value, for a choice)."""
        if self.scale == "choice":
            return list(self.low)
        if self.scale in ("int", "pow2"):
            return [int(self.low), int(self.high)]
        a, b = self.unit_bounds                  # continuous: high itself is never drawn
        return [float(self.low), float(self.from_unit(b - 1e-9 * (b - a)))]

    @property
    def log_axis(self) -> bool:
        """Whether plots of this parameter want a log axis."""
        return self.scale in ("log", "pow2")

    def describe(self) -> str:
        if self.scale == "choice":
            return f"{self.name}=choice:{','.join(str(v) for v in self.low)}"
        return f"{self.name}={self.scale}:{self.low:g}:{self.high:g}"

    def to_dict(self) -> dict:
        if self.scale == "choice":
            return {"name": self.name, "scale": "choice", "values": list(self.low)}
        return {"name": self.name, "scale": self.scale, "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict) -> Param:
        if d.get("scale") == "choice":
            return cls(d["name"], "choice", list(d["values"]))
        return cls(d["name"], d["scale"], d["low"], d["high"])

    @classmethod
    def parse(cls, text: str) -> Param:
        """The command line's NAME=SCALE:LOW:HIGH, or NAME=choice:V1,V2,…"""
        name, sep, rest = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SearchSpaceError(f"--param must look like lr=log:1e-4:1, not {text!r}")
        if name not in PARAM_NAMES:
            raise SearchSpaceError(f"unknown parameter {name!r}; use one of "
                                   f"{', '.join(PARAM_NAMES)}")
        parts = rest.split(":")
        scale = parts[0].strip()
        if scale == "choice":
            if len(parts) != 2 or not parts[1].strip():
                raise SearchSpaceError(f"{name}: a choice looks like {name}=choice:0,1")
            return cls(name, "choice", [_number(v) for v in parts[1].split(",")])
        if len(parts) != 3:
            raise SearchSpaceError(f"--param must look like {name}=SCALE:LOW:HIGH, not {text!r}")
        try:
            low, high = float(parts[1]), float(parts[2])
        except ValueError:
            raise SearchSpaceError(f"{name}: low and high must be numbers, not {text!r}") from None
        return cls(name, scale, low, high)


def _number(text: str):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


class SearchSpace:
    """A list of parameters; ``sample`` draws random trials, ``grid`` the comparison grid."""

    def __init__(self, params: list[Param]) -> None:
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise SearchSpaceError("each parameter may appear only once")
        if not params:
            raise SearchSpaceError("a search needs at least one parameter")
        self.params = list(params)

    def __iter__(self):
        return iter(self.params)

    def __eq__(self, other) -> bool:
        return isinstance(other, SearchSpace) and self.to_list() == other.to_list()

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def sample(self, n: int, seed: int = 0) -> list[dict]:
        """``n`` random trials; the same seed gives the same list. Each parameter has its own
        stream, so adding a parameter does not change the others' draws."""
        columns = {p.name: p.sample(np.random.default_rng([seed, i, 11]), n)
                   for i, p in enumerate(self.params)}
        return [{name: columns[name][k] for name in columns} for k in range(n)]

    def grid(self, n: int | None = None, *, per_axis: int | None = None) -> list[dict]:
        """The comparison grid: ``per_axis`` values on every axis, or (given a total ``n``)
        k values per axis with k^d ≤ n. Evenly spaced on each parameter's sampling axis."""
        if per_axis is None:
            if n is None or n < 1:
                raise SearchSpaceError("a grid needs a total number of trials or per_axis ≥ 1")
            d = len(self.params)
            per_axis = int(math.floor(n ** (1.0 / d) + 1e-9))
        k = max(1, int(per_axis))
        axes = [p.grid(k) for p in self.params]
        out: list[dict] = [{}]
        for p, values in zip(self.params, axes):
            out = [{**t, p.name: v} for t in out for v in values]
        return out

    def to_list(self) -> list[dict]:
        return [p.to_dict() for p in self.params]

    @classmethod
    def from_list(cls, items: list[dict]) -> SearchSpace:
        return cls([Param.from_dict(d) for d in items])


# A sensible first range for each parameter: the tuning panel's default space and the range
# a row gets when its parameter is chosen.
SUGGESTED_PARAMS = {n: registry.suggested(n) for n in registry.SEARCHABLE}


def suggested_param(name: str) -> Param:
    scale, low, high = SUGGESTED_PARAMS[name]
    return Param(name, scale, low, high)


def default_space(optimizer: str) -> SearchSpace:
    """A first search: α on a log scale, the decay rates ``optimizer`` reads as 1 − β on a log
    scale (never one it ignores: momentum → momentum, Adam → β₁ and β₂), the hidden width."""
    betas = OPTIMIZER_BETAS.get(optimizer, ())
    return SearchSpace([suggested_param(n) for n in ("lr", *betas, "hidden")])


def distinct_values(trials: list[dict]) -> dict[str, int]:
    """How many different values each parameter gets: a grid's weakness in one number."""
    if not trials:
        return {}
    return {name: len({t[name] for t in trials}) for name in trials[0]}


def decade_shares(values, low: float, high: float) -> list[tuple[float, float, float]]:
    """(decade start, decade end, share of values) for each power of ten in [low, high]."""
    v = np.asarray(values, dtype=np.float64)
    edges = [low]
    k = math.floor(math.log10(low)) + 1
    while 10.0 ** k < high:
        edges.append(10.0 ** k)
        k += 1
    edges.append(high)
    counts, _ = np.histogram(v, bins=edges)
    total = max(1, v.size)
    return [(edges[i], edges[i + 1], counts[i] / total) for i in range(len(counts))]


def narrow_space(space: SearchSpace, results: list, region: dict | None = None,
                 top_k: int | None = None, pad: float = 0.1) -> SearchSpace:
    """Coarse to fine: the next round's space around a selected region or the k best trials.

    ``region`` maps parameter names to (low, high) in parameter values; ``top_k`` takes the
    best k finished trials by validation loss. Each parameter keeps its scale; the new range
    spans the chosen trials, padded by ``pad`` of its width on the sampling axis, and never
    leaves the old range.
    """
    chosen = [r for r in results if r.status == "ok" and r.val_loss is not None]
    if region:
        def inside(r):
            return all(lo <= r.params[n] <= hi for n, (lo, hi) in region.items()
                       if n in r.params)
        chosen = [r for r in chosen if inside(r)]
    if top_k:
        chosen = sorted(chosen, key=lambda r: r.val_loss)[:top_k]
    if not chosen:
        raise SearchSpaceError("no finished trial lies in the selection: nothing to narrow to")
    new = []
    for p in space:
        values = [r.params[p.name] for r in chosen]
        if p.scale == "choice":
            new.append(Param(p.name, "choice", [v for v in p.low if v in values]))
            continue
        u = p.to_unit(values)
        a, b = float(u.min()), float(u.max())
        ua, ub = p.unit_bounds
        width = max(b - a, 0.05 * (ub - ua))
        a, b = max(ua, a - pad * width), min(ub, b + pad * width)
        lo, hi = float(p.from_unit(a)), float(p.from_unit(b))
        if p.scale == "int":
            lo, hi = math.floor(lo), math.ceil(hi)
        if p.scale == "pow2":
            lo, hi = 2 ** math.floor(math.log2(lo)), 2 ** math.ceil(math.log2(hi))
        if lo >= hi:                 # all chosen trials share one value: keep a small range
            lo, hi = p.low, p.high
        new.append(Param(p.name, p.scale, lo, hi))
    return SearchSpace(new)


# A trial's TrainConfig and whether its net has BN: the registry's rule.
apply_params = registry.apply_search

