"""Hyperparameter search: random (or grid) trials on the right scale, run in worker processes.

The course's lesson, as code: sample at random rather than on a grid, and sample each
hyperparameter on the scale where its effect is even — the learning rate log-uniformly,
β of an EWMA as 1 − β on a log scale. Every trial's parameters and seed are drawn before any
trial runs, so a result never depends on which worker ran it or when.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import math
import numbers
import multiprocessing as mp
import os
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_connections
from typing import Callable

import numpy as np

from ..optim import OPTIMIZER_BETAS, ignored_message, ignored_params
from ..trainer import TrainConfig, train_single  # noqa: F401  (TrainConfig: annotations)

SCALES = ("linear", "int", "log", "one_minus_log", "pow2", "choice")
PARAM_NAMES = ("lr", "beta1", "beta2", "momentum", "hidden", "layers", "batch", "l2", "decay",
               "bn", "bn_decay")
INTEGER_PARAMS = ("hidden", "layers", "batch", "bn")
STATUSES = ("ok", "diverged", "failed", "cancelled")
CANCEL_JOIN_S = 1.0      # a cancelled worker gets this long to exit before it is killed
WORKER_DIED = "worker process died"
POLL_S = 0.1             # how often the search loop looks at the cancel flag
DASK_RESUBMITS = 2       # a trial lost on a Dask cluster is submitted again this many times

BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_ENV_LOCK = threading.Lock()

log = logging.getLogger(__name__)


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
    low: float | list | tuple | None = None
    high: float | None = None

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
    def from_dict(cls, d: dict) -> "Param":
        if d.get("scale") == "choice":
            return cls(d["name"], "choice", list(d["values"]))
        return cls(d["name"], d["scale"], d["low"], d["high"])

    @classmethod
    def parse(cls, text: str) -> "Param":
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
        out = [{}]
        for p, values in zip(self.params, axes):
            out = [{**t, p.name: v} for t in out for v in values]
        return out

    def to_list(self) -> list[dict]:
        return [p.to_dict() for p in self.params]

    @classmethod
    def from_list(cls, items: list[dict]) -> "SearchSpace":
        return cls([Param.from_dict(d) for d in items])


# A sensible first range for each parameter: the tuning panel's default space and the range
# a row gets when its parameter is chosen.
SUGGESTED_PARAMS = {
    "lr": ("log", 1e-4, 1.0), "momentum": ("one_minus_log", 0.9, 0.999),
    "beta1": ("one_minus_log", 0.8, 0.99), "beta2": ("one_minus_log", 0.99, 0.9999),
    "hidden": ("int", 50, 100), "layers": ("int", 1, 4), "batch": ("pow2", 16, 256),
    "l2": ("log", 1e-5, 1e-1), "decay": ("log", 1e-4, 1e-1), "bn": ("choice", [0, 1], None),
    "bn_decay": ("one_minus_log", 0.9, 0.999)}


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


def narrow_space(space: SearchSpace, results: list[dict], region: dict | None = None,
                 top_k: int | None = None, pad: float = 0.1) -> SearchSpace:
    """Coarse to fine: the next round's space around a selected region or the k best trials.

    ``region`` maps parameter names to (low, high) in parameter values; ``top_k`` takes the
    best k finished trials by validation loss. Each parameter keeps its scale; the new range
    spans the chosen trials, padded by ``pad`` of its width on the sampling axis, and never
    leaves the old range.
    """
    chosen = [r for r in results if r.get("status") == "ok" and r.get("val_loss") is not None]
    if region:
        def inside(r):
            return all(lo <= r["params"][n] <= hi for n, (lo, hi) in region.items()
                       if n in r["params"])
        chosen = [r for r in chosen if inside(r)]
    if top_k:
        chosen = sorted(chosen, key=lambda r: r["val_loss"])[:top_k]
    if not chosen:
        raise SearchSpaceError("no finished trial lies in the selection: nothing to narrow to")
    new = []
    for p in space:
        values = [r["params"][p.name] for r in chosen]
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


def apply_params(base: TrainConfig, params: dict) -> tuple[TrainConfig, bool]:
    """A TrainConfig with the trial's parameters, and whether the trial's net has BN.

    ``hidden`` sets the width of every hidden layer, ``layers`` their number; ``bn`` (0/1)
    says whether the net has batch norm; the others replace the config field of that name.
    """
    changes, bn = {}, True
    for name, value in params.items():
        if name not in PARAM_NAMES:
            raise ValueError(f"unknown parameter {name!r}; use one of {', '.join(PARAM_NAMES)}")
        if name == "bn":
            if value not in (0, 1):                      # True/False compare equal to 1/0
                raise ValueError(f"bn must be 0 (no batch norm) or 1, not {value!r}")
            bn = bool(value)
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a number, not {value!r}")
        if name == "batch":
            changes[name] = int(round(value))
        elif name not in ("hidden", "layers"):
            changes[name] = float(value)
    if "hidden" in params or "layers" in params:     # independent of the parameters' order
        widths = list(base.hidden)
        width = int(round(params.get("hidden", widths[0] if widths else 64)))
        layers = int(round(params.get("layers", len(widths) or 1)))
        if "hidden" in params:
            widths = [width] * layers
        else:                        # more layers repeat the last width; fewer drop the tail
            widths = (widths + [widths[-1] if widths else width] * layers)[:layers]
        if layers < 0:
            raise ValueError("layers must be ≥ 0")
        changes["hidden"] = tuple(widths)
    return base.replace(**changes), bn


def run_trial(split, base: TrainConfig, index: int, seed: int, params: dict) -> dict:
    """Train one fresh network; never raises: a problem is a 'failed' result with its message."""
    t0 = time.perf_counter()
    out = {"trial": index, "seed": int(seed), "params": params, "status": "failed",
           "val_loss": None, "val_accuracy": None, "diverged_at": None, "error": None,
           "curve": None, "seconds": 0.0}
    try:
        config, bn = apply_params(base, params)
        res = train_single(config.replace(seed=int(seed)), split, batch_norm=bn)
        out.update(status=res["status"], val_loss=res["val_loss"],
                   val_accuracy=res["val_accuracy"], diverged_at=res["diverged_at"],
                   curve=res["curve"])
    except Exception as e:
        out["error"] = f"{e.__class__.__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - t0, 4)
    return out


class StoreError(Exception):
    """A trial store that cannot be used (locked by another search, damaged, read-only);
    the message is one line for the user."""


class TrialStore:
    """Finished trials in SQLite, one row each, written as they end (a crash loses at most the
    trials that were running).

    A file store is held with an exclusive lock for as long as it is open: one search writes
    to it at a time, and a second one is refused at once rather than both running every trial
    and overwriting each other's spec. A damaged or read-only file is refused the same way.
    """

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        self.path = str(path)
        self.name = os.path.basename(self.path) or self.path
        self.lock = threading.Lock()
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=0)
        except sqlite3.Error as e:
            raise StoreError(f"{self.name}: cannot open ({e})") from None
        try:
            self._open()
        except sqlite3.Error as e:
            self.db.close()
            raise StoreError(self._why(e)) from None

    def _open(self) -> None:
        if self.path != ":memory:":
            self.db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self.db.execute("BEGIN EXCLUSIVE")          # held until close(): one writer
            if self.db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("damaged")
            self.db.commit()
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS trials (trial INTEGER PRIMARY KEY, seed INTEGER, "
                "status TEXT, params TEXT, val_loss REAL, val_accuracy REAL, diverged_at "
                "INTEGER, error TEXT, curve TEXT, seconds REAL)")
            # A write now, so a read-only file is found before the search, not after it.
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', 'bn-studio-trials')")
        self.results()                  # a table of another shape or undecodable rows
        self.spec()

    def _why(self, e: sqlite3.Error) -> str:
        text = str(e)
        if "locked" in text:
            return (f"{self.name}: another search is using this file; wait for it to end or "
                    "choose another --out")
        if "readonly" in text or "read-only" in text:
            return f"{self.name}: the file is read-only; choose another --out"
        return f"{self.name}: not a usable search file ({text or e.__class__.__name__})"

    def _query(self, sql: str):
        try:
            with self.lock:
                return self.db.execute(sql).fetchall()
        except sqlite3.Error as e:
            raise StoreError(self._why(e)) from None

    def spec(self) -> dict | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'spec'")
        try:
            spec = json.loads(rows[0][0]) if rows else None
        except (TypeError, ValueError, RecursionError):
            spec = "damaged"
        if spec is not None and not isinstance(spec, dict):
            raise StoreError(f"{self.name}: not a usable search file (its spec is damaged)")
        return spec

    def set_spec(self, spec: dict) -> None:
        with self.lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('spec', ?)", (json.dumps(spec),))

    def add(self, r: dict) -> None:
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r["trial"], r["seed"], r["status"], json.dumps(r["params"]), r["val_loss"],
                 r["val_accuracy"], r["diverged_at"], r["error"], json.dumps(r["curve"]),
                 r["seconds"]))

    def results(self) -> list[dict]:
        rows = self._query("SELECT trial, seed, status, params, val_loss, val_accuracy, "
                           "diverged_at, error, curve, seconds FROM trials ORDER BY trial")
        try:
            out = [{"trial": t, "seed": s, "status": st, "params": json.loads(p),
                    "val_loss": vl, "val_accuracy": va, "diverged_at": d, "error": e,
                    "curve": json.loads(c), "seconds": sec}
                   for t, s, st, p, vl, va, d, e, c, sec in rows]
        except (TypeError, ValueError, RecursionError):
            raise StoreError(f"{self.name}: not a usable search file (a trial row is "
                             "damaged)") from None
        if any(r["status"] not in STATUSES or not isinstance(r["params"], dict) for r in out):
            raise StoreError(f"{self.name}: not a usable search file (a trial row is damaged)")
        return out

    def finished(self) -> set[int]:
        """Trials that need no re-run: ok or diverged. A cancelled trial, or one that failed
        (say, its worker was killed), runs again on resume."""
        return {r[0] for r in self._query("SELECT trial FROM trials WHERE status IN "
                                          "('ok', 'diverged')")}

    def close(self) -> None:
        with self.lock:
            self.db.close()


def export_csv(results: list[dict], path, param_names: list[str],
               extra: tuple[str, ...] = ()) -> None:
    """One row per trial: trial, seed, status, one column per param, val_loss, val_accuracy,
    then the ``extra`` result keys (e.g. the twins' bn_val_loss, no_bn_val_loss, …)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["trial", "seed", "status", *param_names, "val_loss", "val_accuracy", *extra])
        for r in sorted(results, key=lambda r: r["trial"]):
            w.writerow([r["trial"], r["seed"], r["status"],
                        *[r["params"].get(n, "") for n in param_names],
                        "" if r["val_loss"] is None else r["val_loss"],
                        "" if r["val_accuracy"] is None else r["val_accuracy"],
                        *["" if r.get(k) is None else r[k] for k in extra]])


def split_fingerprint(split) -> str:
    """A short hash of a split's arrays: resuming refuses a search whose data changed."""
    h = hashlib.sha1()
    for a in (split.X_train, split.y_train, split.X_val, split.y_val):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def best_result(results: list[dict]) -> dict | None:
    ok = [r for r in results if r["status"] == "ok" and r["val_loss"] is not None]
    return min(ok, key=lambda r: (r["val_loss"], r["trial"])) if ok else None


@dataclass
class SearchSpec:
    """Everything that determines a search's trials (resume refuses a different one)."""

    space: SearchSpace
    trials: int
    base: TrainConfig
    seed: int = 0
    strategy: str = "random"
    twins: bool = False          # train the BN and the no-BN net of every trial

    def __post_init__(self) -> None:
        if self.strategy not in ("random", "grid"):
            raise SearchSpaceError("strategy must be random or grid")
        if self.twins and any(p.name == "bn" for p in self.space):
            raise SearchSpaceError("twins train every trial with and without BN: "
                                   "drop the bn parameter")
        if self.trials < 1:
            raise SearchSpaceError("a search needs at least 1 trial")
        for p in self.space:
            for value in p.extremes():
                try:
                    apply_params(self.base, {p.name: value})
                except (TypeError, ValueError) as e:
                    raise SearchSpaceError(f"{p.describe()}: {e}".splitlines()[0]) from None
        for name in ignored_params(self.base.optimizer, [p.name for p in self.space]):
            raise SearchSpaceError(ignored_message(self.base.optimizer, name))

    def plan(self) -> list[tuple[int, int, dict]]:
        """(trial index, seed, params) for every trial, all drawn before any runs."""
        params = (self.space.sample(self.trials, self.seed) if self.strategy == "random"
                  else self.space.grid(self.trials))
        seeds = np.random.default_rng([self.seed, 23]).integers(0, 2**31 - 1, len(params))
        return [(i, int(s), p) for i, (s, p) in enumerate(zip(seeds, params))]

    def to_dict(self) -> dict:
        d = {"space": self.space.to_list(), "trials": self.trials,
             "base": self.base.to_dict(), "seed": self.seed, "strategy": self.strategy}
        return {**d, "twins": True} if self.twins else d   # older files stay comparable


@dataclass
class Progress:
    """How far a search is: trials done (incl. cancelled), running, not started; ETA in s."""

    done: int = 0
    running: int = 0
    remaining: int = 0
    total: int = 0
    eta_seconds: float | None = None
    counts: dict = field(default_factory=lambda: {s: 0 for s in STATUSES})


class Search:
    """Runs a search's trials on worker processes (or a Dask cluster) from a background thread.

    ``start()`` returns at once; ``poll()`` hands over the results finished since the last call
    (a GUI timer calls it; ``on_result`` is the push alternative, called on the search thread);
    ``progress()`` says how far it is; ``cancel()`` stops everything within about a second and
    leaves no child process; ``join(timeout)`` waits; ``finished`` is set at the end and
    ``error`` then holds a one-line message if the executor itself failed. ``run()`` does the
    whole search in the calling thread and returns every result by trial.

    A result is a JSON-able dict: trial (the index), seed, params, status (ok, diverged,
    failed, cancelled), val_loss, val_accuracy, diverged_at, error, curve, seconds.
    ``scheduler`` is a Dask scheduler address or a ``distributed.Client``. With
    ``executor="population"`` each task trains a group of trials of one structure together
    (core/search_groups.py): the same results, about twice the trials per second.
    """

    def __init__(self, spec: SearchSpec, split, *, workers: int | None = None,
                 store: TrialStore | None = None, resume: bool = False,
                 scheduler=None, dataset_info: dict | None = None,
                 on_result: Callable[[dict], None] | None = None,
                 executor: str = "trial") -> None:
        from .groups import EXECUTORS
        if executor not in EXECUTORS:
            raise SearchSpaceError(f"executor must be one of {', '.join(EXECUTORS)}")
        self.executor = executor         # "population": trials of one structure train together
        self.spec, self.split = spec, split
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.store = store or TrialStore()
        self.scheduler = scheduler
        self.on_result = on_result
        stored = self.store.spec()
        full_spec = json.loads(json.dumps({**spec.to_dict(), "data": dataset_info or {}}))
        if stored is not None and resume and stored != full_spec:
            raise SearchSpaceError("--resume: this file holds a different search (space, "
                                   "trials, settings or data differ); use a new --out file")
        if stored is not None and not resume and self.store.results():
            raise SearchSpaceError("the output file already holds a search; add --resume to "
                                   "continue it or choose another --out file")
        self.store.set_spec(full_spec)
        done = self.store.finished() if resume else set()
        full_plan = spec.plan()
        self.total = len(full_plan)
        self.plan = [t for t in full_plan if t[0] not in done]
        self.results: list[dict] = [r for r in self.store.results() if r["trial"] in done]
        self._new: list[dict] = []
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict = {}
        self._t0 = None
        self._finished_here = 0
        self.error: str | None = None
        self.finished = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="bn-studio-search", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return self.finished.is_set()

    def poll(self) -> list[dict]:
        with self._lock:
            new, self._new = self._new, []
        return new

    def progress(self) -> Progress:
        with self._lock:
            done = len(self.results)
            running = len(self._running)
            counts = {s: sum(r["status"] == s for r in self.results) for s in STATUSES}
        total = self.total
        remaining = max(0, total - done - running)
        eta = None
        if self._t0 is not None and self._finished_here:
            per_trial = (time.perf_counter() - self._t0) / self._finished_here
            eta = per_trial * (remaining + running / 2)
        return Progress(done, running, remaining, total, eta, counts)

    def _record(self, r: dict) -> None:
        self.store.add(r)
        with self._lock:
            self.results.append(r)
            self._new.append(r)
            self._finished_here += 1
        if self.on_result is not None:
            self.on_result(r)

    def run(self) -> list[dict]:
        """Run every trial of the plan in the calling thread; returns all results by trial.
        A problem with the executor itself (say, an unreachable Dask scheduler) ends the run
        and is kept, as one line, in ``self.error``."""
        self._t0 = time.perf_counter()
        try:
            if self._cancel.is_set() or not self.plan:
                pass
            elif self.executor == "population" or self.spec.twins:
                from .groups import run_groups
                run_groups(self)
            elif self.scheduler:
                self._run_dask()
            else:
                self._run_processes()
        except Exception as e:
            self.error = f"{e.__class__.__name__}: {e}".splitlines()[0]
            log.debug("search stopped", exc_info=True)
        finally:
            self.finished.set()
        return sorted(self.results, key=lambda r: r["trial"])

    def _run_processes(self) -> None:
        pending = list(self.plan)
        pool = _Pool(min(self.workers, len(pending)), self.split, self.spec.base)
        try:
            while (pending or pool.busy) and not self._cancel.is_set():
                for w in pool.idle():
                    if not pending:
                        break
                    try:
                        w.submit(pending[0])
                    except OSError:          # it died while idle: the trial never started
                        w.task = None
                        pool.replace(w)
                        continue
                    trial = pending.pop(0)
                    with self._lock:
                        self._running[trial[0]] = trial
                for w, result in pool.collect(timeout=POLL_S, respawn=lambda: bool(pending)
                                              and not self._cancel.is_set()):
                    if self._cancel.is_set() and result.get("error", "") and \
                            result["error"].startswith(WORKER_DIED):
                        result = _blank_result(result["trial"], result["seed"],
                                               result["params"], status="cancelled")
                    with self._lock:
                        self._running.pop(result["trial"], None)
                    self._record(result)
        finally:
            running = pool.close()
            for trial in running:
                with self._lock:
                    self._running.pop(trial[0], None)
                self._record(_blank_result(*trial, status="cancelled"))

    def _run_dask(self) -> None:
        """Every trial on the cluster; a trial lost with its worker (or with the scattered
        data) is submitted again, up to DASK_RESUBMITS times, rather than failing the rest."""
        from distributed import Client, wait
        client = self.scheduler if not isinstance(self.scheduler, str) else \
            Client(self.scheduler, timeout="10s")
        futures = {}
        data = {"split": None}

        def submit(trial):
            if data["split"] is None or data["split"].status != "finished":
                data["split"] = client.scatter(self.split, broadcast=True)
            index, seed, params = trial
            f = client.submit(run_trial, data["split"], self.spec.base, index, seed, params,
                              pure=False, key=f"bn-studio-trial-{index}-{time.time_ns()}")
            futures[f] = trial
            return f

        resubmits: dict[int, int] = {}
        try:
            for trial in self.plan:
                submit(trial)
                with self._lock:
                    self._running[trial[0]] = trial
            left = set(futures)
            while left and not self._cancel.is_set():
                try:
                    done = wait(list(left), timeout=POLL_S, return_when="FIRST_COMPLETED").done
                except TimeoutError:                 # nothing finished yet: look at cancel
                    continue
                for f in done:
                    left.discard(f)
                    trial = futures.pop(f)
                    try:
                        r = f.result()
                    except Exception as e:           # run_trial never raises: the cluster did
                        why = f"{e.__class__.__name__}: {e}".splitlines()[0]
                        if resubmits.get(trial[0], 0) < DASK_RESUBMITS and \
                                not self._cancel.is_set():
                            resubmits[trial[0]] = resubmits.get(trial[0], 0) + 1
                            log.warning("trial %d lost on the cluster (%s); submitting it "
                                        "again", trial[0], why)
                            left.add(submit(trial))
                            continue
                        r = _blank_result(*trial, status="failed", error=why)
                    with self._lock:
                        self._running.pop(trial[0], None)
                    self._record(r)
        finally:
            unfinished = [f for f in futures if futures[f][0] in self._running]
            if unfinished:
                client.cancel(unfinished)
            for f in unfinished:
                trial = futures[f]
                with self._lock:
                    self._running.pop(trial[0], None)
                self._record(_blank_result(*trial, status="cancelled"))
            if isinstance(self.scheduler, str):
                client.close()


def _blank_result(index: int, seed: int, params: dict, status: str,
                  error: str | None = None) -> dict:
    """A trial that produced no metrics: failed (with why) or cancelled."""
    return {"trial": index, "seed": int(seed), "params": params, "status": status,
            "val_loss": None, "val_accuracy": None, "diverged_at": None, "error": error,
            "curve": None, "seconds": 0.0}


def _worker_main(conn) -> None:
    """A worker: receive the data and base config once, then (index, seed, params) tasks, and
    send back each result, until told to stop (None) or the pipe closes.

    Ctrl-C in a terminal reaches the whole process group; the parent alone decides what it
    means (cancel), so a worker ignores SIGINT rather than dying as a 'failed' trial."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from .groups import run_task          # a trial, or a group of trials
    try:
        split, base = conn.recv()
    except (EOFError, OSError):
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            conn.send(run_task(split, base, task))
        except (BrokenPipeError, OSError, KeyboardInterrupt):
            return


class _Worker:
    """One worker process and the pipe to it; ``task`` is the trial it runs (None: idle)."""

    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,),
                                name="bn-studio-search-worker", daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple | None = None

    def load(self, split, base) -> None:
        """Hand over the data (after start, so starting never waits on a full pipe)."""
        self.conn.send((split, base))

    def submit(self, task: tuple) -> None:
        self.task = task
        self.conn.send(task)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass


@contextlib.contextmanager
def single_blas_thread():
    """Processes started inside inherit one BLAS thread each, so workers sharing the cores
    do not oversubscribe them; the parent's environment is restored afterwards."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARS}
        os.environ.update({k: "1" for k in saved})
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


STOP_SIGNALS = tuple(int(getattr(signal, n)) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))
TERMINAL_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGHUP") if hasattr(signal, n))


@contextlib.contextmanager
def terminal_signals_blocked():
    """Processes started inside begin with Ctrl-C and hang-up blocked (the mask survives
    exec), so a signal to the whole process group reaches only the parent, which cancels
    the search and stops its workers itself, even one still importing NumPy."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()   # starting it later would unblock SIGINT in this thread
    old = signal.pthread_sigmask(signal.SIG_BLOCK, TERMINAL_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class _Pool:
    """Our own small process pool: it knows which trial each worker runs, so a worker that
    dies marks only its own trial failed and is replaced (a stock pool breaks entirely)."""

    def __init__(self, n: int, split, base) -> None:
        self.ctx = mp.get_context("spawn")
        self.split, self.base = split, base
        self.workers = [self._spawn(load=False) for _ in range(n)]
        for w in self.workers:       # all started first: they import NumPy side by side
            w.load(split, base)

    def _spawn(self, load: bool = True) -> _Worker:
        """A fresh worker with one BLAS thread: W workers on W cores must not oversubscribe.
        The variables are read when the child imports NumPy, so they are set around start()."""
        with single_blas_thread(), terminal_signals_blocked():
            w = _Worker(self.ctx)
        if load:
            w.load(self.split, self.base)
        return w

    @property
    def busy(self) -> bool:
        return any(w.task is not None for w in self.workers)

    def idle(self) -> list[_Worker]:
        return [w for w in self.workers if w.task is None]

    def collect(self, timeout: float, respawn: Callable[[], bool] = lambda: True
                ) -> list[tuple[_Worker, dict]]:
        """Results that arrived within ``timeout``; a dead worker's trial comes back failed,
        and the worker is replaced if ``respawn()`` says trials are still waiting."""
        busy = [w for w in self.workers if w.task is not None]
        if not busy:
            return []
        handles = {w.conn: w for w in busy}
        handles.update({w.proc.sentinel: w for w in busy})
        out = []
        for ready in wait_connections(list(handles), timeout):
            w = handles[ready]
            if w.task is None:
                continue
            try:
                if w.conn.poll():            # a result sent just before the worker ended counts
                    out.append((w, w.conn.recv()))
                    w.task = None
                    continue
            except (EOFError, OSError):
                pass
            if not w.proc.is_alive() or ready is not w.conn:
                out.append((w, self._died(w, respawn())))
        return out

    def replace(self, w: _Worker) -> None:
        """Swap a worker that can no longer take tasks for a fresh one."""
        w.conn.close()
        w.proc.kill()
        w.proc.join(0.5)
        self.workers[self.workers.index(w)] = self._spawn()

    def _died(self, w: _Worker, respawn: bool) -> dict:
        """The worker's process ended mid-trial: the trial failed, a fresh worker replaces it."""
        w.proc.join(0.5)
        code = w.proc.exitcode
        why = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit code {code}")
        # SIGTERM to the whole process group (a service stopping, `kill -- -PGID`) reaches the
        # workers before the parent's own handler cancels: that trial was stopped, not broken.
        stopped = code is not None and -code in STOP_SIGNALS
        from .groups import blank_task
        result = blank_task(w.task, status="cancelled" if stopped else "failed",
                            error=f"{WORKER_DIED} ({why})")
        w.task = None
        w.conn.close()
        if respawn:
            self.workers[self.workers.index(w)] = self._spawn()
        else:
            self.workers.remove(w)
        return result

    def close(self) -> list[tuple]:
        """Stop every worker (terminate the busy ones); returns the trials that were running."""
        running = [w.task for w in self.workers if w.task is not None]
        for w in self.workers:
            if w.task is None:
                w.stop()
            else:
                w.proc.terminate()
        deadline = time.perf_counter() + CANCEL_JOIN_S
        for w in self.workers:
            w.proc.join(max(0.05, deadline - time.perf_counter()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(0.5)
            w.conn.close()
        return running

