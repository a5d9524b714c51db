"""One trial: what it reports (``TrialResult``) and how it runs (``run_trial``).

A result is typed in the code and a plain JSON object on disk, on the command line and on
its way back from a worker: ``to_dict()`` gives the keys and order the SQLite store,
workspaces and the CLI have always used; ``from_dict()`` reads them back and checks every
field's type, so a worker (or a file) can hand over only numbers, text and lists.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import math
import numbers
import time
from dataclasses import dataclass

from .. import limits
from ..training.trainer import TrainConfig, train_single
from .space import apply_params


class Status(enum.StrEnum):
    """How a trial ended; a plain string on disk and in JSON ("ok", "diverged", …)."""

    OK = "ok"
    DIVERGED = "diverged"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        """Ran to the end or diverged: needs no re-run (failed and cancelled run again)."""
        return self in (Status.OK, Status.DIVERGED)


STATUSES = tuple(s.value for s in Status)
MAX_TEXT = 2000          # an error message or a text parameter a result may carry
TWIN_KEYS = ("status", "val_loss", "val_accuracy", "diverged_at")
CURVE_POINTS = 200       # a result keeps at most this many points of its learning curve
CURVE_KEYS = ("step", "train_loss", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class TwinOutcome:
    """How one of a trial's twins (the BN or the no-BN net) ended."""

    status: str
    val_loss: float | None = None
    val_accuracy: float | None = None
    diverged_at: int | None = None

    @classmethod
    def of(cls, res: dict) -> TwinOutcome:
        return cls(*(res[k] for k in TWIN_KEYS))


@dataclass(frozen=True)
class TrialResult:
    """A finished (ok, diverged), failed or cancelled trial.

    ``curve`` is the net's learning curve, thinned to at most CURVE_POINTS evaluations:
    {"step": [...], "train_loss": [...], "val_loss": [...], "val_accuracy": [...]}, None for
    a trial that never trained. With twins the usual fields describe the BN net and ``bn``
    / ``no_bn`` describe each twin.
    """

    trial: int
    seed: int
    params: dict
    status: Status
    val_loss: float | None = None
    val_accuracy: float | None = None
    diverged_at: int | None = None
    error: str | None = None
    curve: dict | None = None
    seconds: float = 0.0
    bn: TwinOutcome | None = None
    no_bn: TwinOutcome | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @property
    def finished(self) -> bool:
        """Ran to the end or diverged: needs no re-run."""
        return self.status.is_finished

    @property
    def net(self) -> str:
        """Which net the trial trained: "BN", "no BN" or "both" (twins)."""
        if self.bn is not None:
            return "both"
        return "no BN" if self.params.get("bn", 1) in (0, False) else "BN"

    def twin(self, name: str) -> TwinOutcome | None:
        """"bn" or "no_bn": that twin's outcome (None without twins)."""
        return self.bn if name == "bn" else self.no_bn

    def replace(self, **changes) -> TrialResult:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """The JSON object: trial, seed, params, status, val_loss, val_accuracy, diverged_at,
        error, curve, seconds, then with twins bn_status … no_bn_diverged_at."""
        d = {f: getattr(self, f) for f in BASE_FIELDS}
        d.update(self.twin_dict())
        return d

    def twin_dict(self) -> dict:
        """The twins' keys (bn_status, bn_val_loss, …, no_bn_diverged_at), {} without twins."""
        out = {}
        for name in ("bn", "no_bn"):
            t = self.twin(name)
            if t is not None:
                out.update({f"{name}_{k}": getattr(t, k) for k in TWIN_KEYS})
        return out

    @classmethod
    def from_dict(cls, d: dict) -> TrialResult:
        """A result from its JSON object (missing keys take their defaults), every field's
        type checked: ValueError with one line for anything else."""
        if not isinstance(d, dict):
            raise ValueError("a trial result must be an object")
        fields = {f: d[f] for f in BASE_FIELDS if f in d}
        for name in ("bn", "no_bn"):
            if f"{name}_status" in d:
                fields[name] = TwinOutcome.of({k: d.get(f"{name}_{k}") for k in TWIN_KEYS})
        for key in ("trial", "seed", "params", "status"):
            if key not in fields:
                raise ValueError(f"a trial result has no {key}")
        _check(fields)
        fields["status"] = Status(fields["status"])
        return cls(**fields)


BASE_FIELDS = tuple(f.name for f in dataclasses.fields(TrialResult) if f.name not in
                    ("bn", "no_bn"))


def _number(v, whole: bool = False, low: float | None = None) -> bool:
    """A finite real number (a whole one if ``whole``), not a bool, at least ``low``."""
    kind = type(v)
    if kind is int or (kind is float and not whole):     # JSON's own: no ABC check needed
        pass
    elif isinstance(v, bool) or not isinstance(v, numbers.Integral if whole else numbers.Real):
        return False
    try:
        return math.isfinite(v) and (low is None or v >= low)
    except OverflowError:                   # a JSON integer of hundreds of digits
        return False


def _check(f: dict) -> None:
    """Every field of a result is of its type and within bounds (one line if not)."""
    def bad(what: str) -> ValueError:
        return ValueError(f"a trial result's {what}")
    if not _number(f["trial"], True, 0) or f["trial"] >= limits.MAX_TRIALS:
        raise bad(f"trial must be a whole number 0 … {limits.MAX_TRIALS - 1:,}")
    if not _number(f["seed"], True, 0) or f["seed"] > limits.MAX_SEED:
        raise bad("seed must be a whole number ≥ 0")
    if f["status"] not in STATUSES:
        raise bad(f"status is unknown ({limits.shown(f['status'])})")
    if not isinstance(f["params"], dict) or not all(
            isinstance(k, str) and len(k) <= 100 and
            (_number(v) or (isinstance(v, str) and len(v) <= MAX_TEXT))
            for k, v in f["params"].items()) or len(f["params"]) > 100:
        raise bad("params must map names to numbers")
    for key, whole in (("val_loss", False), ("val_accuracy", False), ("diverged_at", True)):
        v = f.get(key)
        if v is not None and not _number(v, whole):
            raise bad(f"{key} must be a number or null")
    if "seconds" in f and not _number(f["seconds"], low=0):
        raise bad("seconds must be a number ≥ 0")
    error = f.get("error")
    if error is not None and (not isinstance(error, str) or len(error) > MAX_TEXT):
        raise bad(f"error must be text of at most {MAX_TEXT:,} characters")
    for name in ("bn", "no_bn"):
        t = f.get(name)
        if t is not None and (t.status not in STATUSES or not all(
                v is None or _number(v) for v in (t.val_loss, t.val_accuracy, t.diverged_at))):
            raise bad(f"{name}_* outcome is not usable")
    _check_curve(f.get("curve"))


def _finite_or_none(values: list) -> bool:
    """Every value a finite number or None; JSON's own types are recognised at C speed
    (10,000 curves in a workspace), anything else is checked one by one."""
    if not set(map(type, values)) <= _PLAIN:
        return all(v is None or _number(v) for v in values)
    try:
        return all(map(math.isfinite, [v for v in values if v is not None]))
    except OverflowError:                   # a JSON integer of hundreds of digits
        return False


_PLAIN = {int, float, type(None)}


def _check_curve(curve) -> None:
    if curve is None:
        return
    if not isinstance(curve, dict) or not set(curve) <= set(CURVE_KEYS) or \
            not isinstance(curve.get("step"), list):
        raise ValueError("a trial result's curve must be lists of steps and losses")
    n = len(curve["step"])
    for values in curve.values():
        if not isinstance(values, list) or len(values) != n or n > 10 * CURVE_POINTS or \
                not _finite_or_none(values):
            raise ValueError("a trial result's curve must be lists of steps and losses")


def as_result(r) -> TrialResult:
    """A TrialResult from a TrialResult or its JSON object."""
    return r if isinstance(r, TrialResult) else TrialResult.from_dict(r)


def blank_result(index: int, seed: int, params: dict, status: str,
                 error: str | None = None) -> TrialResult:
    """A trial that produced no metrics: failed (with why) or cancelled."""
    return TrialResult(index, int(seed), params, Status(status), error=error)


def thin_curve(curve: dict | None, points: int = CURVE_POINTS) -> dict | None:
    """At most ``points`` evaluations of a curve: every k-th (a regular step grid) and the
    last one."""
    n = len(curve["step"]) if curve else 0
    if n <= points:
        return curve
    assert curve is not None                            # n > points > 0
    stride = -(-(n - 1) // (points - 1))              # ceil: the last one fits in
    keep = list(range(0, n - 1, stride)) + [n - 1]
    return {k: [curve[k][i] for i in keep] for k in CURVE_KEYS if k in curve}


def outcome(index: int, seed: int, params: dict, res: dict, no_bn: dict | None = None,
            seconds: float = 0.0) -> TrialResult:
    """The result of a trained trial from train_single's dict (and the no-BN twin's)."""
    bn, no = (None, None) if no_bn is None else (TwinOutcome.of(res), TwinOutcome.of(no_bn))
    return TrialResult(index, int(seed), params, Status(res["status"]), res["val_loss"],
                       res["val_accuracy"], res["diverged_at"], curve=thin_curve(res["curve"]),
                       seconds=seconds, bn=bn, no_bn=no)


def run_trial(split, base: TrainConfig, index: int, seed: int, params: dict) -> TrialResult:
    """Train one fresh network; never raises: a problem is a 'failed' result with its message."""
    t0 = time.perf_counter()
    try:
        config, bn = apply_params(base, params)
        res = train_single(config.replace(seed=int(seed)), split, batch_norm=bn)
        out = outcome(index, seed, params, res)
    except Exception as e:
        out = blank_result(index, seed, params, "failed", f"{e.__class__.__name__}: {e}")
    return out.replace(seconds=round(time.perf_counter() - t0, 4))


def best_result(results: list[TrialResult]) -> TrialResult | None:
    """The finished trial with the lowest validation loss (ties: the earlier trial)."""
    ok = [r for r in results if r.status == "ok" and r.val_loss is not None]
    return min(ok, key=lambda r: (r.val_loss, r.trial)) if ok else None


def export_csv(results: list[TrialResult], path, param_names: list[str],
               extra: tuple[str, ...] = ()) -> None:
    """One row per trial: trial, seed, status, one column per param, val_loss, val_accuracy,
    then the ``extra`` result keys (the twins' bn_val_loss, no_bn_val_loss, …, or "net":
    which net the trial trained)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["trial", "seed", "status", *param_names, "val_loss", "val_accuracy", *extra])
        for r in sorted(results, key=lambda r: r.trial):
            twins = {**r.twin_dict(), "net": r.net}
            w.writerow([r.trial, r.seed, r.status,
                        *[r.params.get(n, "") for n in param_names],
                        "" if r.val_loss is None else r.val_loss,
                        "" if r.val_accuracy is None else r.val_accuracy,
                        *["" if twins.get(k) is None else twins[k] for k in extra]])
