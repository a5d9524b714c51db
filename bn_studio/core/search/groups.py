"""The one kind of task a worker runs: a group of trials (a single trial is a group of one).

With the population executor, trials of one structure are trained as one batched population
(core/population.py) in one task; with twins, each trial trains the BN and the no-BN net on
the same draws. Results are the same whatever the number of workers. Executors (executors.py)
send groups out; a worker answers with ``run_plain``, checked in the parent by ``results_of``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..training.trainer import TrainConfig, train_single
from .space import apply_params
from .trials import TrialResult, blank_result, outcome, run_trial

log = logging.getLogger(__name__)

EXECUTORS = ("trial", "population")
DEFAULT_EXECUTOR = "trial"     # in the window and on the command line: the same numbers
MIN_TASKS = 8            # a plan is cut into at least this many groups (when it has the trials),
#                          so results stream in as groups finish and every worker has work
GROUP_SIZE = 32          # members of one population task: as fast per trial as 64 or 100 (the
#                          step is bound by memory traffic, not NumPy's per-call cost) and twice
#                          the tasks, so results stream sooner and workers share the load better


@dataclass(frozen=True)
class TrialGroup:
    """One task for a worker: trials trained together as a population (or one after the
    other), each as twins (BN and no-BN net on the same draws) if ``twins``."""

    trials: tuple[tuple[int, int, dict], ...]      # (index, seed, params) of each trial
    population: bool = True
    twins: bool = False


def single_only(base: TrainConfig) -> bool:
    """Settings only the single-trial path implements (the batched population learns γ and
    β, keeps BN before g without b and uses batch statistics)."""
    return (base.freeze_bn_affine or base.bn_after_g or base.bn_keep_bias
            or base.bn_stats != "batch")


def plan_groups(plan: list[tuple], base: TrainConfig, *, population: bool = True,
                twins: bool = False, size: int = GROUP_SIZE) -> list[TrialGroup]:
    """Tasks for a plan: trials of one structure (depth, activation, optimizer, batch, …)
    in groups of up to ``size`` (fewer, so that there are MIN_TASKS groups, when the plan is
    small), the costliest groups first; depends on the plan only, never on the workers, so
    results do not depend on the worker count. Widths may differ within
    a group (padded; sorted by width so padding stays small): the batched path rounds in
    another order than one trial per task, so results agree to ~1e-15 relative in float64
    and to ~1e-4 in float32 after 500 steps (benchmarks/search_throughput.py measures it)."""
    if not population or single_only(base):     # the population does not implement these
        return [TrialGroup((t,), population=False, twins=twins) for t in plan]
    from ..training.population import structure_key
    size = max(1, min(size, len(plan) // MIN_TASKS))
    buckets: dict[tuple, list] = {}
    for t in plan:
        try:
            config, bn = apply_params(base, t[2])
            key, width = structure_key(config, bn), config.hidden
        except (TypeError, ValueError):          # run alone: run_trial reports why it failed
            key, width = ("invalid", t[0]), ()
        buckets.setdefault(key, []).append((width, t[0], t))
    groups = []
    for members in buckets.values():
        members.sort(key=lambda m: (m[0], m[1]))
        for i in range(0, len(members), size):
            chunk = members[i:i + size]
            cost = len(chunk) * (max(max(m[0], default=1) for m in chunk) + 8) ** 2
            groups.append((-cost, chunk[0][1], TrialGroup(tuple(m[2] for m in chunk),
                                                          twins=twins)))
    return [g for _, _, g in sorted(groups, key=lambda g: g[:2])]


def run_twin_trial(split, base: TrainConfig, index: int, seed: int,
                   params: dict) -> TrialResult:
    """run_trial for the BN and the no-BN net from one seed (same weights, same batches):
    the usual fields describe the BN net; ``bn`` and ``no_bn`` describe each."""
    t0 = time.perf_counter()
    try:
        config, _ = apply_params(base, params)
        config = config.replace(seed=int(seed))
        out = outcome(index, seed, params, train_single(config, split, batch_norm=True),
                      train_single(config, split, batch_norm=False))
    except Exception as e:
        out = blank_result(index, seed, params, "failed", f"{e.__class__.__name__}: {e}")
    return out.replace(seconds=round(time.perf_counter() - t0, 4))


def run_group(split, base: TrainConfig, group: TrialGroup) -> list[TrialResult]:
    """Every trial of a group, as run_trial (or run_twin_trial) would report it; a group
    that cannot be trained together falls back to one trial at a time (same messages)."""
    one = run_twin_trial if group.twins else run_trial
    if not group.population or len(group.trials) == 1:
        return [one(split, base, *t) for t in group.trials]
    from ..training.population import train_population
    t0 = time.perf_counter()
    try:
        configs, flags = [], set()
        for _index, seed, params in group.trials:
            config, bn = apply_params(base, params)
            configs.append(config.replace(seed=int(seed)))
            flags.add(bn)
        if len(flags) != 1:
            raise ValueError("a group mixes nets with and without BN")
        nets = (True, False) if group.twins else tuple(flags)
        trained = {bn: train_population(configs, split, batch_norm=bn) for bn in nets}
    except Exception:
        log.debug("population failed; running its trials one by one", exc_info=True)
        return [one(split, base, *t) for t in group.trials]
    seconds = round((time.perf_counter() - t0) / len(group.trials), 4)
    if group.twins:
        return [outcome(*t, trained[True][k], trained[False][k], seconds=seconds)
                for k, t in enumerate(group.trials)]
    return [outcome(*t, trained[nets[0]][k], seconds=seconds)
            for k, t in enumerate(group.trials)]


def run_plain(split, base: TrainConfig, group: TrialGroup) -> list[dict]:
    """What a worker sends back: every trial of the group as plain data (numbers, text,
    lists), checked in the parent by ``results_of``, never an object."""
    return [r.to_dict() for r in run_group(split, base, group)]


def blank_group(group: TrialGroup, status: str, error: str | None = None) -> list[TrialResult]:
    """Every trial of a group that produced no metrics: failed (with why) or cancelled."""
    return [blank_result(*t, status=status, error=error) for t in group.trials]


def results_of(group: TrialGroup, plain) -> list[TrialResult]:
    """A worker's answer for ``group`` as results: exactly one checked result per trial of
    the group, or every trial failed with one line saying why."""
    try:
        if not isinstance(plain, list) or len(plain) != len(group.trials):
            raise ValueError("not one result per trial")
        out = [TrialResult.from_dict(d) for d in plain]
        for r, (index, seed, _params) in zip(out, group.trials):
            if r.trial != index or r.seed != seed:
                raise ValueError("results for other trials")
        return out
    except (ValueError, TypeError) as e:
        log.warning("unusable answer from a worker: %s", e)
        return blank_group(group, "failed", f"unusable answer from a worker: {e}")
