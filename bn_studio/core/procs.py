"""Process helpers: child processes that share the cores politely and leave signals to the
parent (search workers, the GUI's training process)."""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator, MutableMapping
import os
import signal
import threading

BLAS_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_ENV_LOCK = threading.Lock()


def one_blas_thread_by_default(environ: MutableMapping[str, str] | None = None
                               ) -> dict[str, str]:
    """One BLAS thread for this process unless the user chose a number: sets every variable
    of BLAS_THREAD_VARS not set already and returns those it set. Only NumPy imported
    afterwards heeds it (BLAS reads them when it loads). Small matrices gain nothing from
    more threads, and on a shared machine the extra threads mostly wait for each other."""
    env = os.environ if environ is None else environ
    added = {k: "1" for k in BLAS_THREAD_VARS if not env.get(k)}
    env.update(added)
    return added


@contextlib.contextmanager
def single_blas_thread(keep_user_choice: bool = False) -> Iterator[None]:
    """Processes started inside inherit one BLAS thread each, so workers sharing the cores
    do not oversubscribe them; the parent's environment is restored afterwards.
    ``keep_user_choice``: a variable the user set keeps its value."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARS}
        if keep_user_choice:
            one_blas_thread_by_default()
        else:
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
def terminal_signals_blocked() -> Iterator[None]:
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



_stops_before_handlers: list[int] = []


def note_stop_signals() -> None:
    """Until the app installs its own handlers, a stop signal is only noted (stop_noted).
    Raised as KeyboardInterrupt, a Ctrl-C during start-up landed inside PySide's imports or a
    Qt callback, which report it and go on: the signal was lost and the app ran on. A signal
    the caller's shell ignores (``nohup``, a background job) stays ignored."""
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            signal.signal(sig, lambda signum, _frame: _stops_before_handlers.append(signum))


def stop_noted() -> int | None:
    """The first stop signal noted since note_stop_signals(), if any."""
    return _stops_before_handlers[0] if _stops_before_handlers else None


def _loaded_symbols() -> ctypes.CDLL | None:
    # The symbols already loaded, libc's among them: no library search (find_library runs
    # ldconfig, ~5 ms at every import of this module). Windows has no such handle.
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):
        return None


def _glibc(libc: ctypes.CDLL | None, name: str, *argtypes: type) -> Callable[..., int] | None:
    fn = getattr(libc, name, None)          # None: not glibc (macOS, Windows, musl)
    if fn is not None:
        fn.argtypes, fn.restype = list(argtypes), ctypes.c_int
    return fn


_LIBC = _loaded_symbols()
_TRIM = _glibc(_LIBC, "malloc_trim", ctypes.c_size_t)
_MALLOPT = _glibc(_LIBC, "mallopt", ctypes.c_int, ctypes.c_int)
M_MMAP_THRESHOLD = -3               # mallopt's parameter number (malloc.h)
LARGE_BLOCK_BYTES = 128 << 10       # glibc's own starting threshold


def return_large_blocks(threshold: int = LARGE_BLOCK_BYTES) -> bool:
    """Give blocks of ``threshold`` bytes and more mappings of their own, handed back to the
    system when freed (glibc; elsewhere nothing: returns False). glibc raises its threshold
    to the size of each such block freed, up to 32 MB, and then keeps later large blocks
    (bounded histories thinned and regrown, snapshot messages) in its heap, where the holes
    they leave stay resident. For the GUI process, which runs for hours."""
    if _MALLOPT is None:
        return False
    return bool(_MALLOPT(M_MMAP_THRESHOLD, threshold))


def release_free_memory() -> bool:
    """Give the pages of freed memory back to the system (glibc's malloc_trim; elsewhere
    nothing: returns False). A thread that unpickles arrays all day leaves its malloc arena
    full of free chunks between live ones, which glibc keeps: the GUI process grew by
    megabytes an hour of training while what it held stayed the same. Releases the GIL
    (ctypes) while it walks the heaps."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
