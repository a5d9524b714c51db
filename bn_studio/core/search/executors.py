"""Where trials run: our own process pool (one trial or group per task) or a Dask cluster.

``run_processes`` and ``run_dask`` are ``Search.run`` for one trial per task; grouped tasks
(the population executor, twins) use the same pool from groups.py.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import time
from multiprocessing.connection import wait as wait_connections
from typing import Callable

from ..procs import STOP_SIGNALS, single_blas_thread, terminal_signals_blocked
from .trials import TrialResult, blank_result, run_trial

CANCEL_JOIN_S = 1.0      # a cancelled worker gets this long to exit before it is killed
WORKER_DIED = "worker process died"
POLL_S = 0.1             # how often the search loop looks at the cancel flag
DASK_RESUBMITS = 2       # a trial lost on a Dask cluster is submitted again this many times

log = logging.getLogger(__name__)


def run_processes(search) -> None:
    """Every pending trial of ``search`` on the process pool, one trial per task."""
    run_pool(search, list(search.plan))


def run_pool(search, tasks: list) -> None:
    """Every task on the process pool, results recorded trial by trial as they come. A task
    is one trial (index, seed, params) or a group of them (groups.TrialGroup: a list back)."""
    pending = list(tasks)
    pool = _Pool(min(search.workers, len(pending)), search.split, search.spec.base)
    try:
        while (pending or pool.busy) and not search.cancelled:
            for w in pool.idle():
                if not pending:
                    break
                try:
                    w.submit(pending[0])
                except OSError:          # it died while idle: the task never started
                    w.task = None
                    pool.replace(w)
                    continue
                search.mark_running(_trials(pending.pop(0)))
            for w, result in pool.collect(timeout=POLL_S, respawn=lambda: bool(pending)
                                          and not search.cancelled):
                for r in result if isinstance(result, list) else [result]:
                    search.record(cancelled_if_stopped(search, r))
    finally:
        for task in pool.close():
            for trial in _trials(task):
                search.record(blank_result(*trial, status="cancelled"))


def _trials(task) -> list:
    """The trials of a task: a group's, or the one trial it is."""
    return list(getattr(task, "trials", None) or [task])


def cancelled_if_stopped(search, r: TrialResult) -> TrialResult:
    """A worker killed because the search was cancelled: that trial was cancelled."""
    if search.cancelled and (r.error or "").startswith(WORKER_DIED):
        return blank_result(r.trial, r.seed, r.params, "cancelled")
    return r


def run_dask(search) -> None:
    """Every trial on the cluster; a trial lost with its worker (or with the scattered
    data) is submitted again, up to DASK_RESUBMITS times, rather than failing the rest."""
    from distributed import Client, wait
    client = search.scheduler if not isinstance(search.scheduler, str) else \
        Client(search.scheduler, timeout="10s")
    futures = {}
    data = {"split": None}

    def submit(trial):
        if data["split"] is None or data["split"].status != "finished":
            data["split"] = client.scatter(search.split, broadcast=True)
        index, seed, params = trial
        f = client.submit(run_trial, data["split"], search.spec.base, index, seed, params,
                          pure=False, key=f"bn-studio-trial-{index}-{time.time_ns()}")
        futures[f] = trial
        return f

    resubmits: dict[int, int] = {}
    try:
        for trial in search.plan:
            submit(trial)
            search.mark_running([trial])
        left = set(futures)
        while left and not search.cancelled:
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
                    if resubmits.get(trial[0], 0) < DASK_RESUBMITS and not search.cancelled:
                        resubmits[trial[0]] = resubmits.get(trial[0], 0) + 1
                        log.warning("trial %d lost on the cluster (%s); submitting it "
                                    "again", trial[0], why)
                        left.add(submit(trial))
                        continue
                    r = blank_result(*trial, status="failed", error=why)
                search.record(r)
    finally:
        unfinished = [f for f in futures if search.is_running(futures[f][0])]
        if unfinished:
            client.cancel(unfinished)
        for f in unfinished:
            search.record(blank_result(*futures[f], status="cancelled"))
        if isinstance(search.scheduler, str):
            client.close()


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
                ) -> list[tuple[_Worker, TrialResult | list]]:
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

    def _died(self, w: _Worker, respawn: bool) -> TrialResult | list:
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

