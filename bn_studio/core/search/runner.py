"""A search: its spec (everything that determines its trials) and ``Search``, which plans
them, hands them to an executor (executors.py) and records each result as it ends."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn.optim import ignored_message, ignored_params
from ..training.trainer import TrainConfig
from .executors import DaskCluster, Executor, ProcessPool, SchedulerLost
from .groups import DEFAULT_EXECUTOR, EXECUTORS, TrialGroup, plan_groups
from .space import SearchSpace, SearchSpaceError, apply_params
from .store import TrialStore
from .trials import STATUSES, TrialResult, blank_result

if TYPE_CHECKING:
    from ..data.datasets import Split

log = logging.getLogger(__name__)


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

    def plan(self) -> list[tuple[int, int, dict[str, Any]]]:
        """(trial index, seed, params) for every trial, all drawn before any runs."""
        params = (self.space.sample(self.trials, self.seed) if self.strategy == "random"
                  else self.space.grid(self.trials))
        seeds = np.random.default_rng([self.seed, 23]).integers(0, 2**31 - 1, len(params))
        return [(i, int(s), p) for i, (s, p) in enumerate(zip(seeds, params))]

    def to_dict(self) -> dict[str, Any]:
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
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})




class Search:
    """Plans a search's trials and records each result as it ends; an executor runs them.

    ``start()`` runs it from a background thread and returns at once; ``poll()`` hands over
    the results recorded since the last call (a resumed search's earlier results first; a GUI
    timer calls it; ``on_result`` is the push alternative, called on the search thread);
    ``progress()`` says how far it is; ``cancel()`` stops everything within about a second and
    leaves no child process; ``join(timeout)`` waits; ``finished`` is set at the end and
    ``error`` then holds a one-line message if the executor itself failed. ``run()`` does the
    whole search in the calling thread and returns every result by trial.

    The results live in the store (memory unless given a file), not here: ``results`` reads
    them back. ``scheduler`` (a Dask address or ``distributed.Client``) runs the tasks on a
    cluster, else on ``workers`` processes. With ``executor="population"`` each task trains a
    group of trials of one structure together (groups.py).
    """

    def __init__(self, spec: SearchSpec, split: Split, *, workers: int | None = None,
                 store: TrialStore | None = None, resume: bool = False,
                 scheduler: Any = None, dataset_info: dict[str, Any] | None = None,
                 on_result: Callable[[TrialResult], None] | None = None,
                 executor: str = DEFAULT_EXECUTOR) -> None:
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
        if stored is not None and not resume and self.store.count():
            raise SearchSpaceError("the output file already holds a search; add --resume to "
                                   "continue it or choose another --out file")
        self.store.set_spec(full_spec)
        earlier = [r for r in self.store.results() if r.finished] if resume else []
        full_plan = spec.plan()
        self.total = len(full_plan)
        self._kept = {r.trial for r in earlier}          # trials this search's results are
        self.plan = [t for t in full_plan if t[0] not in self._kept]
        self.tasks = plan_groups(self.plan, spec.base, population=executor == "population",
                                 twins=spec.twins)
        self._new: list[TrialResult] = list(earlier)
        self._counts = {s: sum(r.status == s for r in earlier) for s in STATUSES}
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: set[int] = set()
        self._t0: float | None = None
        self._finished_here = 0
        self.error: str | None = None
        self.finished = threading.Event()

    def executor_for_run(self) -> Executor:
        """Where the tasks run: the Dask cluster if given one, else our process pool."""
        if self.scheduler:
            return DaskCluster(self.scheduler, self.split, self.spec.base)
        return ProcessPool(self.split, self.spec.base, self.workers)

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

    def poll(self) -> list[TrialResult]:
        with self._lock:
            new, self._new = self._new, []
        return new

    @property
    def results(self) -> list[TrialResult]:
        """Every result of this search so far, by trial (read back from the store)."""
        with self._lock:
            kept = set(self._kept)
        return [r for r in self.store.results() if r.trial in kept]

    def progress(self) -> Progress:
        with self._lock:
            done = sum(self._counts.values())
            running = len(self._running)
            counts = dict(self._counts)
        total = self.total
        remaining = max(0, total - done - running)
        eta = None
        if self._t0 is not None and self._finished_here:
            per_trial = (time.perf_counter() - self._t0) / self._finished_here
            eta = per_trial * (remaining + running / 2)
        return Progress(done, running, remaining, total, eta, counts)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _started(self, task: TrialGroup) -> None:
        with self._lock:
            self._running.update(t[0] for t in task.trials)

    def record(self, r: TrialResult) -> None:
        """A trial ended (finished, failed or cancelled): stored at once, then handed on."""
        self.store.add(r)
        with self._lock:
            self._running.discard(r.trial)
            if r.trial not in self._kept:
                self._kept.add(r.trial)
                self._counts[r.status] += 1
            self._new.append(r)
            self._finished_here += 1
        if self.on_result is not None:
            self.on_result(r)

    def run(self) -> list[TrialResult]:
        """Run every task of the plan in the calling thread; returns all results by trial.
        A problem with the executor itself (say, an unreachable Dask scheduler) ends the run
        and is kept, as one line, in ``self.error``."""
        self._t0 = time.perf_counter()
        try:
            if not self._cancel.is_set() and self.tasks:
                self.executor_for_run().run(self.tasks, self.record, self._cancel.is_set,
                                            self._started)
        except SchedulerLost as e:
            self.error = str(e)
        except Exception as e:
            self.error = f"{e.__class__.__name__}: {e}".splitlines()[0][:300]
            log.debug("search stopped", exc_info=True)
        finally:
            self._cancel_unfinished()
            self.finished.set()
        return self.results

    def _cancel_unfinished(self) -> None:
        """Trials an executor that failed left running: cancelled, so resume runs them."""
        with self._lock:
            left = sorted(self._running)
        by_index = {t[0]: t for t in self.plan}
        for i in left:
            self.record(blank_result(*by_index[i], status="cancelled"))
