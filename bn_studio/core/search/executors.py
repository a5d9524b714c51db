"""Where trials run: our own process pool or a Dask cluster, behind one protocol.

An executor only runs tasks: ``run(tasks, on_result, should_stop, on_start)`` sends every
task (a groups.TrialGroup, the only kind) to a worker, calls ``on_start(task)`` when one is
handed out and ``on_result(result)`` for every trial as it ends, stops handing out work once
``should_stop()`` says so, and before it returns reports every trial it did not finish as
cancelled. It knows nothing of the Search that plans and records (runner.py).

A worker answers with plain data (groups.run_plain: numbers, text, lists) that the parent
checks (groups.results_of) before anything reads it.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from multiprocessing.connection import wait as wait_connections
from typing import Protocol

from ..procs import STOP_SIGNALS, single_blas_thread, terminal_signals_blocked
from .groups import TrialGroup, blank_group, results_of, run_plain
from .trials import TrialResult

CANCEL_JOIN_S = 1.0      # a cancelled worker gets this long to exit before it is killed
WORKER_DIED = "worker process died"
POLL_S = 0.1             # how often the search loop looks at the cancel flag
DASK_RESUBMITS = 2       # a task lost on a Dask cluster is submitted again this many times

log = logging.getLogger(__name__)

OnResult = Callable[[TrialResult], None]
OnStart = Callable[[TrialGroup], None]


def _nothing(_task: TrialGroup) -> None:
    pass


class Executor(Protocol):
    def run(self, tasks: list[TrialGroup], on_result: OnResult,
            should_stop: Callable[[], bool], on_start: OnStart = _nothing) -> None: ...


class SchedulerLost(RuntimeError):
    """The Dask scheduler went away mid-search (one line for the user)."""


class ProcessPool:
    """Tasks on ``workers`` worker processes of our own (see _Pool for why not a stock pool)."""

    def __init__(self, split, base, workers: int) -> None:
        self.split, self.base, self.workers = split, base, max(1, int(workers))

    def run(self, tasks: list[TrialGroup], on_result: OnResult,
            should_stop: Callable[[], bool], on_start: OnStart = _nothing) -> None:
        pending = list(tasks)
        if not pending:
            return
        pool = _Pool(min(self.workers, len(pending)), self.split, self.base)

        def report(results: list[TrialResult]) -> None:
            for r in results:
                if should_stop() and (r.error or "").startswith(WORKER_DIED):
                    r = r.replace(status="cancelled", error=None)   # killed by the cancel
                on_result(r)
        try:
            while (pending or pool.busy) and not should_stop():
                for w in pool.idle():
                    if not pending:
                        break
                    try:
                        w.submit(pending[0])
                    except OSError:          # it died while idle: the task never started
                        w.task = None
                        pool.replace(w)
                        continue
                    on_start(pending.pop(0))
                for _w, results in pool.collect(timeout=POLL_S, respawn=lambda: bool(pending)
                                               and not should_stop()):
                    report(results)
        finally:
            for task in pool.close():
                report(blank_group(task, "cancelled"))


class DaskCluster:
    """Tasks on a Dask cluster (``scheduler``: an address or a ``distributed.Client``).

    One loop: a task lost with its worker, or with the worker holding the scattered data, is
    submitted again (the data scattered anew) up to DASK_RESUBMITS times; a scheduler that
    goes away ends the search with one line (SchedulerLost). Results come back as plain data,
    but Dask still unpickles them in this process: connect only to workers you trust."""

    def __init__(self, scheduler, split, base) -> None:
        self.scheduler, self.split, self.base = scheduler, split, base
        self._data = None

    def run(self, tasks: list[TrialGroup], on_result: OnResult,
            should_stop: Callable[[], bool], on_start: OnStart = _nothing) -> None:
        from distributed import Client
        own = isinstance(self.scheduler, str)
        client = Client(self.scheduler, timeout="10s") if own else self.scheduler
        futures: dict = {}                      # future → (task number, task)
        resubmits: dict[int, int] = {}
        try:
            for k, task in enumerate(tasks):
                futures[self._submit(client, k, task)] = (k, task)
                on_start(task)
            while futures and not should_stop():
                for f in self._done(client, futures, self._lost):
                    k, task = futures.pop(f)
                    try:
                        results = results_of(task, f.result())
                    except Exception as e:            # lost with a worker or with the data
                        if "scheduler-connection-lost" in str(e):
                            raise SchedulerLost(self._lost()) from None
                        why = _one_line(e)
                        if resubmits.get(k, 0) < DASK_RESUBMITS and not should_stop():
                            resubmits[k] = resubmits.get(k, 0) + 1
                            log.warning("task %d lost on the cluster (%s); submitting it "
                                        "again", k, why)
                            futures[self._submit(client, k, task)] = (k, task)
                            continue
                        results = blank_group(task, "failed", why)
                    for r in results:
                        on_result(r)
        finally:
            self._close(client, futures, own, on_result)

    def _lost(self) -> str:
        where = self.scheduler if isinstance(self.scheduler, str) else \
            getattr(getattr(self.scheduler, "scheduler", None), "address", None)
        where = f"the Dask scheduler at {where}" if where else "the Dask scheduler"
        return f"lost the connection to {where} (did it stop?)"

    def _submit(self, client, k: int, task: TrialGroup):
        """Send a task, scattering the data first if no worker holds it any more."""
        if self._data is None or self._data.status != "finished":
            self._data = client.scatter(self.split, broadcast=True, hash=False)
        return client.submit(run_plain, self._data, self.base, task, pure=False,
                             key=f"bn-studio-task-{k}-{time.time_ns()}")

    @staticmethod
    def _done(client, futures: dict, lost: Callable[[], str]) -> list:
        """The futures that ended (finished, failed or cancelled) within POLL_S."""
        from distributed import wait
        if client.status not in ("running", "connecting"):
            raise SchedulerLost(lost())
        try:
            wait(list(futures), timeout=POLL_S, return_when="FIRST_COMPLETED")
        except (TimeoutError, CancelledError):    # a cancelled one is among the done ones
            pass
        except OSError:
            raise SchedulerLost(lost()) from None
        return [f for f in futures if f.done()]

    @staticmethod
    def _close(client, futures: dict, own: bool, on_result: OnResult) -> None:
        """Cancel what is still out and report its trials cancelled; a client we opened is
        closed. The scheduler may be gone: nothing here may raise."""
        if futures:
            try:
                client.cancel(list(futures))
            except Exception:
                log.debug("cancel on the cluster failed", exc_info=True)
        for _k, task in futures.values():
            for r in blank_group(task, "cancelled"):
                on_result(r)
        if own:
            try:
                client.close(timeout=2)
            except Exception:
                log.debug("closing the Dask client failed", exc_info=True)


def _one_line(e: BaseException) -> str:
    text = f"{e.__class__.__name__}: {e}" if str(e) else e.__class__.__name__
    return text.splitlines()[0][:300]


def _worker_main(conn) -> None:
    """A worker: receive the data and base config once, then tasks (trial groups), and send
    back each answer as plain data, until told to stop (None) or the pipe closes.

    Ctrl-C in a terminal reaches the whole process group; the parent alone decides what it
    means (cancel), so a worker ignores SIGINT rather than dying as a 'failed' trial."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
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
            conn.send(run_plain(split, base, task))
        except (BrokenPipeError, OSError, KeyboardInterrupt):
            return


class _Worker:
    """One worker process and the pipe to it; ``task`` is the group it runs (None: idle)."""

    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child,),
                                name="bn-studio-search-worker", daemon=True)
        self.proc.start()
        child.close()
        self.task: TrialGroup | None = None

    def load(self, split, base) -> None:
        """Hand over the data (after start, so starting never waits on a full pipe)."""
        self.conn.send((split, base))

    def submit(self, task: TrialGroup) -> None:
        self.task = task
        self.conn.send(task)

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass


class _Pool:
    """Our own small process pool: it knows which task each worker runs, so a worker that
    dies marks only its own trials failed and is replaced (a stock pool breaks entirely)."""

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
                ) -> list[tuple[_Worker, list[TrialResult]]]:
        """Answers that arrived within ``timeout``, checked; a dead worker's trials come back
        failed, and the worker is replaced if ``respawn()`` says tasks are still waiting."""
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
                if w.conn.poll():            # an answer sent just before the worker ended counts
                    out.append((w, results_of(w.task, w.conn.recv())))
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

    def _died(self, w: _Worker, respawn: bool) -> list[TrialResult]:
        """The worker's process ended mid-task: its trials failed, a fresh worker replaces it."""
        w.proc.join(0.5)
        code = w.proc.exitcode
        why = (f"killed by signal {-code}" if code is not None and code < 0
               else f"exit code {code}")
        # SIGTERM to the whole process group (a service stopping, `kill -- -PGID`) reaches the
        # workers before the parent's own handler cancels: that trial was stopped, not broken.
        stopped = code is not None and -code in STOP_SIGNALS
        assert w.task is not None, "only a busy worker dies mid-task"
        results = blank_group(w.task, "cancelled" if stopped else "failed",
                              f"{WORKER_DIED} ({why})")
        w.task = None
        w.conn.close()
        if respawn:
            self.workers[self.workers.index(w)] = self._spawn()
        else:
            self.workers.remove(w)
        return results

    def close(self) -> list[TrialGroup]:
        """Stop every worker (terminate the busy ones); returns the tasks that were running."""
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
