"""Process helpers: child processes that share the cores politely and leave signals to the
parent (search workers, the GUI's training process)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_ENV_LOCK = threading.Lock()


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

