"""One trial: what it reports (``TrialResult``) and how it runs (``run_trial``).

A result is typed in the code and a plain JSON object on disk and on the command line:
``to_dict()`` gives the keys and order the SQLite store, workspaces and the CLI have always
used, ``from_dict()`` reads them back.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from dataclasses import dataclass

from ..trainer import TrainConfig, train_single
from .space import apply_params

STATUSES = ("ok", "diverged", "failed", "cancelled")
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
    def of(cls, res: dict) -> "TwinOutcome":
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
    status: str
    val_loss: float | None = None
    val_accuracy: float | None = None
    diverged_at: int | None = None
    error: str | None = None
    curve: dict | None = None
    seconds: float = 0.0
    bn: TwinOutcome | None = None
    no_bn: TwinOutcome | None = None

    @property
    def finished(self) -> bool:
        """Ran to the end or diverged: needs no re-run."""
        return self.status in ("ok", "diverged")

    def twin(self, name: str) -> TwinOutcome | None:
        """"bn" or "no_bn": that twin's outcome (None without twins)."""
        return self.bn if name == "bn" else self.no_bn

    def replace(self, **changes) -> "TrialResult":
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
    def from_dict(cls, d: dict) -> "TrialResult":
        """A result from its JSON object; missing keys take their defaults."""
        fields = {f: d[f] for f in BASE_FIELDS if f in d}
        for name in ("bn", "no_bn"):
            if f"{name}_status" in d:
                fields[name] = TwinOutcome(*(d.get(f"{name}_{k}") for k in TWIN_KEYS))
        return cls(**fields)

    # A read-only bridge for callers written for the old result dicts (the CLI's report):
    # r["val_loss"] and r.get("bn_status") read the same values as to_dict() holds.
    def __getitem__(self, key: str):
        d = self.to_dict()
        return d[key]

    def get(self, key: str, default=None):
        return self.to_dict().get(key, default)


BASE_FIELDS = tuple(f.name for f in dataclasses.fields(TrialResult) if f.name not in
                    ("bn", "no_bn"))


def as_result(r) -> TrialResult:
    """A TrialResult from a TrialResult or its JSON object."""
    return r if isinstance(r, TrialResult) else TrialResult.from_dict(r)


def blank_result(index: int, seed: int, params: dict, status: str,
                 error: str | None = None) -> TrialResult:
    """A trial that produced no metrics: failed (with why) or cancelled."""
    return TrialResult(index, int(seed), params, status, error=error)


def thin_curve(curve: dict | None, points: int = CURVE_POINTS) -> dict | None:
    """At most ``points`` evaluations of a curve: every k-th (a regular step grid) and the
    last one."""
    n = len(curve["step"]) if curve else 0
    if n <= points:
        return curve
    stride = -(-(n - 1) // (points - 1))              # ceil: the last one fits in
    keep = list(range(0, n - 1, stride)) + [n - 1]
    return {k: [curve[k][i] for i in keep] for k in CURVE_KEYS if k in curve}


def outcome(index: int, seed: int, params: dict, res: dict, no_bn: dict | None = None,
            seconds: float = 0.0) -> TrialResult:
    """The result of a trained trial from train_single's dict (and the no-BN twin's)."""
    twins = {} if no_bn is None else {"bn": TwinOutcome.of(res), "no_bn": TwinOutcome.of(no_bn)}
    return TrialResult(index, int(seed), params, res["status"], res["val_loss"],
                       res["val_accuracy"], res["diverged_at"], curve=thin_curve(res["curve"]),
                       seconds=seconds, **twins)


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
    then the ``extra`` result keys (e.g. the twins' bn_val_loss, no_bn_val_loss, …)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["trial", "seed", "status", *param_names, "val_loss", "val_accuracy", *extra])
        for r in sorted(results, key=lambda r: r.trial):
            twins = r.twin_dict()
            w.writerow([r.trial, r.seed, r.status,
                        *[r.params.get(n, "") for n in param_names],
                        "" if r.val_loss is None else r.val_loss,
                        "" if r.val_accuracy is None else r.val_accuracy,
                        *["" if twins.get(k) is None else twins[k] for k in extra]])
