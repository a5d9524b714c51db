"""What a finished search shows: the range of good learning rates of each twin, what a
median-stopping rule would have stopped (and saved), and which searched parameters mattered
most. NumPy only; the views draw these."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .space import Param, SearchSpace
from .trials import TrialResult

GOOD_WITHIN = 0.10        # "good": a loss within 10 % of the best
CHANCE_WITHIN = 0.10      # a best loss within 10 % of ln C (guessing) never left chance


def twin_points(results: list[TrialResult], twin: str, param: str = "lr"
                ) -> tuple[np.ndarray, np.ndarray]:
    """(α, final validation loss) of one twin ("bn" or "no_bn") for every trial that ran;
    the loss is NaN where that twin diverged. Sorted by α."""
    pts = []
    for r in results:
        t = r.twin(twin)
        if t is None or t.status not in ("ok", "diverged") or param not in r.params:
            continue
        loss = t.val_loss if t.status == "ok" and t.val_loss is not None else np.nan
        pts.append((float(r.params[param]), float(loss)))
    a = np.array(sorted(pts), dtype=np.float64).reshape(-1, 2)
    return a[:, 0], a[:, 1]


def good_range(alpha, loss, within: float = GOOD_WITHIN) -> tuple[float, float] | None:
    """The lowest and highest α whose loss is within ``within`` of the best loss (NaN, a
    diverged trial, is never good); None if no trial finished."""
    alpha = np.asarray(alpha, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    finite = np.isfinite(loss)
    if not finite.any():
        return None
    best = float(np.min(loss[finite]))
    good = alpha[finite & (loss <= best + within * abs(best))]
    return float(good.min()), float(good.max())


def median_loss(losses) -> np.ndarray:
    """Per α, the median over seeds of the final loss (rows: seeds, columns: α), a diverged
    run counting as worst; NaN where most seeds diverged."""
    a = np.asarray(losses, dtype=np.float64)
    m = np.median(np.where(np.isfinite(a), a, np.inf), axis=0)
    return np.where(np.isfinite(m), m, np.nan)


def good_range_decades(alpha, loss, within: float = GOOD_WITHIN) -> float:
    """The width of ``good_range`` in decades (log10 high − log10 low); 0 for one good
    trial, NaN if none finished."""
    r = good_range(alpha, loss, within)
    return float("nan") if r is None else float(np.log10(r[1]) - np.log10(r[0]))


def alpha_range_report(results: list[TrialResult], param: str = "lr",
                       within: float = GOOD_WITHIN, classes: int | None = None) -> dict:
    """Per twin: the good α range, its width in decades, the best loss and how many trials
    diverged — the numbers behind 'BN tolerates a wider range of α'.

    ``verdict`` says whether the range counts: "learned", or "chance" (given ``classes``:
    the best loss is within CHANCE_WITHIN of ln C, the loss of guessing, so every α is
    equally useless and the flat curve would look like a wide range), or "diverged" (no α
    finished). Only a twin that learned gets a range (good_low, good_high, decades); the
    others get None there, never a width."""
    chance = math.log(classes) if classes else None
    out = {}
    for twin in ("bn", "no_bn"):
        a, loss = twin_points(results, twin, param)
        finite = np.isfinite(loss)
        best = float(np.min(loss[finite])) if finite.any() else None
        if best is None:
            verdict = "diverged"
        elif chance is not None and best >= (1.0 - CHANCE_WITHIN) * chance:
            verdict = "chance"
        else:
            verdict = "learned"
        r = good_range(a, loss, within) if verdict == "learned" else None
        out[twin] = {"trials": int(a.size), "diverged": int(np.sum(~finite)),
                     "best_loss": best, "chance_loss": chance, "verdict": verdict,
                     "good_low": None if r is None else r[0],
                     "good_high": None if r is None else r[1],
                     "decades": None if r is None else float(np.log10(r[1] / r[0]))}
    return out


@dataclass(frozen=True)
class StoppingReport:
    """What a median-stopping rule would have done to a search's trials, in the order they
    ran: the step each was stopped at (None: ran to its end) and the training steps saved."""

    stopped_at: list
    steps_run: int
    steps_saved: int

    @property
    def saved_share(self) -> float:
        total = self.steps_run + self.steps_saved
        return self.steps_saved / total if total else 0.0

    @property
    def stopped(self) -> int:
        return sum(s is not None for s in self.stopped_at)


def median_stopping(curves: list, warmup_trials: int = 5, warmup_steps: int = 0,
                    ) -> StoppingReport:
    """Optuna's median pruner, replayed on finished learning curves.

    ``curves`` are (steps, val_losses) per trial in the order the trials started. At each
    evaluation step ≥ ``warmup_steps``, a trial whose best loss so far is worse than the
    median of the earlier trials' best-so-far at that step (over the earlier trials that
    reached it, and only once ``warmup_trials`` of them have) is stopped there. A trial that
    diverged (a NaN/None loss) counts as infinitely bad from that step on. Earlier trials
    are compared as they ran in full: the rule only reads what was recorded.

    Every step of the union of the curves' steps is a column; the earlier trials' values in
    each column are counted in a Fenwick tree over their sorted order, all columns at once,
    so 10,000 curves take about a second rather than hours.
    """
    n = len(curves)
    grid = np.unique(np.concatenate([np.asarray(s, dtype=np.int64) for s, _ in curves]
                                    or [np.zeros(0, np.int64)]))
    g = grid.size
    best = np.full((n, g), np.nan)                    # NaN: the trial has no such step
    ends, last_col = np.zeros(n, dtype=np.int64), np.full(n, -1)
    for i, (steps, losses) in enumerate(curves):
        steps = np.asarray(steps, dtype=np.int64)
        loss = np.array([np.nan if v is None else v for v in losses], dtype=np.float64)
        bad = np.logical_or.accumulate(~np.isfinite(loss))   # diverged: bad from then on
        cols = np.searchsorted(grid, steps)
        best[i, cols] = np.where(bad, np.inf, np.minimum.accumulate(np.where(bad, np.inf,
                                                                            loss)))
        if steps.size:
            ends[i], last_col[i] = steps[-1], cols[-1]
    stopped_at = _first_stops(best, grid, last_col, max(1, warmup_trials), warmup_steps)
    run = sum(int(e) if s is None else s for e, s in zip(ends, stopped_at))
    saved = sum(0 if s is None else int(e) - s for e, s in zip(ends, stopped_at))
    return StoppingReport(stopped_at, run, saved)


STOP_BLOCK = 128         # trials decided together: the earlier blocks are counted at once


def _first_stops(best: np.ndarray, grid: np.ndarray, last_col: np.ndarray, need: int,
                 warmup_steps: float) -> list:
    """median_stopping's rule on best-so-far columns (NaN: no such step): for each trial the
    first step where it is worse than the median of the earlier trials there, or None.

    Each column's values are ranked once; then, a block of trials at a time, "how many
    earlier values are below x" is a cumulative count over the ranks already seen (earlier
    blocks) plus a comparison within the block. x > median is decided by that count alone
    unless x falls between the two middle values of an even count (then it is computed)."""
    n, g = best.shape
    out: list[int | None] = [None] * n
    if not n or not g:
        return out
    present = ~np.isnan(best)
    filled = np.where(present, best, np.inf)
    order = np.argsort(filled, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(filled, order, axis=0)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[:, None], axis=0)
    # How many values of the column are < x: the rank of the first value equal to x.
    starts = np.ones((n, g), dtype=bool)
    starts[1:] = sorted_vals[1:] != sorted_vals[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n)[:, None], 0), axis=0)
    below = np.take_along_axis(first, rank, axis=0)
    earlier = np.cumsum(present, axis=0) - present    # earlier trials that reached the step
    seen = np.zeros((g, n + 1), dtype=np.int32)       # 1 at rank+1 of every value counted
    cols = np.arange(g)
    not_last = np.ones((n, g), dtype=bool)
    has_last = last_col >= 0
    not_last[np.flatnonzero(has_last), last_col[has_last]] = False
    candidates = present & not_last & (grid >= warmup_steps)[None, :] & (earlier >= need)
    for b0 in range(0, n, STOP_BLOCK):
        b1 = min(n, b0 + STOP_BLOCK)
        counted = np.cumsum(seen, axis=1)             # counted[c, k]: values with rank < k
        less = np.take_along_axis(counted, below[b0:b1].T, axis=1).T
        rb, pb = rank[b0:b1], present[b0:b1]
        inside = (rb[None, :, :] < below[b0:b1][:, None, :]) & pb[None, :, :]
        inside &= np.tri(b1 - b0, k=-1, dtype=bool)[:, :, None]    # only the earlier ones
        less += inside.sum(axis=1)
        m = earlier[b0:b1]
        worse = less >= m // 2 + 1
        tie = (m % 2 == 0) & (less == m // 2) & candidates[b0:b1]
        for j, c in zip(*np.nonzero(tie)):            # x between the two middle values
            i = b0 + j
            prior = best[:i, c][present[:i, c]]
            worse[j, c] = best[i, c] > np.median(prior)
        stop = worse & candidates[b0:b1]
        for j in np.flatnonzero(stop.any(axis=1)):
            out[b0 + j] = int(grid[np.argmax(stop[j])])
        seen[np.broadcast_to(cols, rb.shape)[pb], rb[pb] + 1] = 1
    return out


def result_curves(results: list[TrialResult]) -> list[tuple[list, list]]:
    """(steps, val_losses) of every trial that trained, by trial index."""
    return [(r.curve["step"], r.curve["val_loss"]) for r in sorted(results, key=lambda r: r.trial)
            if r.curve and r.curve.get("step")]


ALPHA_RANGE = (1e-3, 10.0)   # four decades: from too slow to learn to diverging without BN
ALPHA_TRIALS = 25            # a grid on the log axis: α six steps per decade


def alpha_range_spec(base, trials: int = ALPHA_TRIALS, seed: int = 0,
                     alpha: tuple[float, float] = ALPHA_RANGE):
    """The α-range search: α on a log grid, every trial as twins (BN and no BN on the same
    draws). A grid, not random draws: with one parameter it spaces α evenly, so the good
    range's width is measured to the same resolution everywhere; ``seed`` varies each trial's
    initial weights and batches."""
    from .runner import SearchSpec
    from .space import Param, SearchSpace
    return SearchSpec(SearchSpace([Param("lr", "log", *alpha)]), trials, base, seed=seed,
                      strategy="grid", twins=True)


IMPORTANCE_BINS = 5          # bands of equal width on each parameter's search scale
IMPORTANCE_MIN_TRIALS = 8    # fewer finished trials say nothing about what matters


@dataclass(frozen=True)
class Importance:
    """How much one parameter explains of a search's final losses.

    ``share``: the share of the spread (variance) of the trials' loss ranks that the mean
    rank of each band of the parameter explains; ``chance``: what a parameter with no effect
    explains on average by luck, (bands − 1)/(trials − 1); ``score``: the share beyond
    chance, 0 (no effect) … 1 (the bands alone order the trials)."""

    name: str
    share: float
    chance: float
    bands: int
    trials: int

    @property
    def score(self) -> float:
        return max(0.0, (self.share - self.chance) / (1.0 - self.chance))


def loss_ranks(losses) -> np.ndarray:
    """Each loss's place in the order, 0 = lowest; ties (and every NaN, a diverged trial:
    worse than any loss) share their average place, so no outlier outweighs the rest."""
    y = np.asarray(losses, dtype=np.float64)
    y = np.where(np.isfinite(y), y, np.inf)
    ranks = np.empty(y.size)
    ranks[np.argsort(y, kind="stable")] = np.arange(y.size)
    _, tie, counts = np.unique(y, return_inverse=True, return_counts=True)
    return (np.bincount(tie, ranks) / counts)[tie]


def explained_share(bands, y) -> float:
    """The correlation ratio η²: the between-band sum of squares of ``y`` over its total
    (0 when y does not vary)."""
    y = np.asarray(y, dtype=np.float64)
    _, band = np.unique(np.asarray(bands), return_inverse=True)
    total = float(np.sum((y - y.mean()) ** 2))
    if total <= 0.0:
        return 0.0
    means = np.bincount(band, y) / np.bincount(band)
    between = float(np.sum(np.bincount(band) * (means - y.mean()) ** 2))
    return between / total


def bands_of(p: Param, values, bands: int) -> np.ndarray:
    """Which of ``bands`` equal bands of the parameter's search scale (its sampling axis:
    log10 α, −log10(1 − β), log2 of a batch size, the width itself) each value lies in; a
    choice's values are their own bands."""
    u = p.to_unit(values)
    if p.scale == "choice":
        return u.astype(np.int64)
    lo, hi = p.unit_bounds
    k = np.floor((u - lo) / (hi - lo) * bands) if hi > lo else np.zeros_like(u)
    return np.clip(k, 0, bands - 1).astype(np.int64)


def param_importance(results: list[TrialResult], space: SearchSpace, twin: str | None = None,
                     bands: int = IMPORTANCE_BINS) -> list[Importance]:
    """Which parameters mattered, most first (ties in the space's order): for each, the
    trials that finished are split into ``bands`` equal bands of its search scale, and
    the bands' mean loss rank is compared with the spread of all ranks (``Importance``).
    ``twin`` ("bn"/"no_bn") reads that twin's loss; a diverged trial ranks last. [] with
    fewer than IMPORTANCE_MIN_TRIALS finished trials, or a parameter absent from them."""
    names = [p.name for p in space if p.scale != "choice" or len(p.low) > 1]   # varied
    rows = []
    for r in results:
        t = r.twin(twin) if twin else r
        if t is None or t.status not in ("ok", "diverged") or any(n not in r.params
                                                                  for n in names):
            continue
        loss = t.val_loss if t.status == "ok" and t.val_loss is not None else np.nan
        rows.append((r.params, loss))
    n = len(rows)
    if n < IMPORTANCE_MIN_TRIALS or not names:
        return []
    y = loss_ranks([loss for _, loss in rows])
    k = max(2, min(bands, n // 4))             # at least about four trials per band
    out = []
    for name in names:
        p = space[name]
        band = bands_of(p, [params[name] for params, _ in rows], k)
        used = np.unique(band).size
        out.append(Importance(name, explained_share(band, y), (used - 1) / (n - 1), used, n))
    order = {name: i for i, name in enumerate(names)}
    return sorted(out, key=lambda imp: (-imp.score, order[imp.name]))
