"""What a training run reports, decided once for every engine: when it has diverged, how many
steps it ran, and its result as plain JSON-able data (the CLI's per-twin summary and a search
trial's result, curve included).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

DIVERGENCE_FACTOR = 1e6     # a loss above this × the first loss counts as diverged (DESIGN §2)
STATUSES = ("ok", "diverged", "cancelled")


def loss_diverged(loss: np.ndarray | float, first_loss: np.ndarray | float) -> Any:
    """A loss that is NaN/inf or above DIVERGENCE_FACTOR × the run's first loss (a number, or
    one per member: then an array of bools)."""
    return ~np.isfinite(loss) | (loss > DIVERGENCE_FACTOR * np.maximum(first_loss, 1e-12))


def params_broken(w: np.ndarray) -> Any:
    """Parameters an update has made non-finite (one flat vector, or one per member row)."""
    return ~np.all(np.isfinite(w), axis=-1)


def steps_run(diverged_at: int | None, step: int) -> int:
    """Steps that trained: a diverged run's last good step, else the step counter."""
    return (diverged_at - 1) if diverged_at else step


def number(x: float) -> float | None:
    """JSON has no NaN/inf: report those as null."""
    return float(x) if np.isfinite(x) else None


def run_result(last_loss: float, val_loss: float, val_accuracy: float,
               diverged_at: int | None, step: int, seconds: float = 0.0) -> dict[str, Any]:
    """The CLI's per-run JSON: final train loss, val loss/accuracy, steps run, divergence."""
    return {"final_train_loss": number(last_loss), "val_loss": number(val_loss),
            "val_accuracy": number(val_accuracy), "steps_run": steps_run(diverged_at, step),
            "diverged_at": diverged_at, "seconds": round(seconds, 4)}


def trial_result(summary: dict[str, Any], status: str, evals: ArrayLike) -> dict[str, Any]:
    """A search trial's result: ``run_result``'s keys, its status and its learning curve
    from the (step, train loss, train acc, val loss, val acc) evaluations."""
    curve = np.asarray(evals, dtype=np.float64).reshape(-1, 5)
    return {**summary, "status": status, "curve": {
        "step": curve[:, 0].astype(int).tolist(),
        "train_loss": [number(v) for v in curve[:, 1]],
        "val_loss": [number(v) for v in curve[:, 3]],
        "val_accuracy": [number(v) for v in curve[:, 4]]}}
