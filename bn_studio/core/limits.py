"""Every size limit of BN Studio in one place, and the checks that enforce them.

The widgets have tighter ranges; these limits guard every other way in (command line,
workspace files, saved settings, CSV files, search ranges), so that no input can make the app
or a command allocate gigabytes, hang or crash. Each ``check_*`` returns the value as the
right type or raises ``exc`` (ValueError unless the caller passes its own error class) with
one line that names the limit. README.md lists them under "Limits".
"""

from __future__ import annotations

import io
import math
import numbers
import os
import stat
from pathlib import Path

MAX_POINTS = 2_000_000         # generated, drawn, imported (CSV rows) or workspace points: 48 MB
MIN_POINTS = 10
MAX_APP_POINTS = MAX_POINTS    # the window draws a stratified sample of ≤ ~5,000 per split
MAX_WIDTH = 512                # units in one hidden layer
MAX_DEPTH = 8                  # hidden layers
MAX_UNIT_POINTS = 2**24       # points × hidden units in all: the activations of one evaluation
EVAL_CHUNK_ROWS = 16_384       # the twins' trainer evaluates whole splits this many rows at once
MAX_CLASSES = 8
MAX_CSV_BYTES = 64 * 1024 * 1024   # a million rows of up to ~67 bytes; read in 2 MiB chunks
MAX_CSV_COLUMNS = 1000
MAX_FIELD_BYTES = 1024 * 1024  # one CSV field (Python's csv module stops at 128 KiB)
MAX_WORKSPACE_BYTES = 16 * 1024 * 1024
MAX_WORKSPACE_CONTAINERS = 1_000_000   # lists and objects: 5 million empty [] take 450 MB
MAX_WORKSPACE_TEXTS = 1_000_000        # strings: 3 million short ones take 300 MB parsed
MAX_INLINE_POINTS = 100_000    # a workspace holds up to this many points (~5 MB of JSON); an
                               # imported file with more is saved as a reference to the file
MAX_PATH_CHARS = 4096          # a file path in a workspace (Linux's PATH_MAX)
MAX_NAME_CHARS = 255           # a dataset's name (its file's name) in a workspace
MAX_COLUMNS_CHARS = 1000       # the --columns text ("x1,x2,label") a workspace reads a file with
MAX_INPUT_SCALE = 1e4          # the x₂ scale's largest factor (lesson 10 uses × 100)
MAX_STEPS = 1_000_000          # training steps of one run or one search trial
MAX_CHANGES = 1000             # mid-run changes of one run: a file's or --change's, and the
#                                user's edits while the twins train (each joins the run's list)
MAX_TRIALS = 10_000            # trials of one search (all are planned before any runs)
MAX_SEED = 2**32 - 1
MAX_SCREENSHOT_PX = 4096       # each side of a screenshot
MAX_MESSAGE_CHARS = 400        # one message (an error line, a message box): what it echoes of
                               # a file (a 1 MiB class name) is cut to fit


def max_workers() -> int:
    """Worker processes for a search: more than the cores only slows every trial down."""
    return max(1, os.cpu_count() or 1)


def shown(value) -> str:
    """A value for a one-line message: never thousands of digits (str() of such an int raises)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, numbers.Integral) and abs(int(value)) >= 10**15:
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1      # about
        return f"{'a negative' if value < 0 else 'a'} {digits}-digit number"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def one_line(text, most: int = MAX_MESSAGE_CHARS) -> str:
    """The first line of ``text``, cut to ``most`` characters (… marks the cut)."""
    text = str(text)
    first = text[:most + 1].split("\n", 1)[0].rstrip("\r")
    return first if len(first) <= most else first[:most - 1] + "…"


def check_int(value, name: str, low: int | None = None, high: int | None = None,
              exc: type[Exception] = ValueError, limit: str = "") -> int:
    """A whole number in [low, high]; an integral float (600.0 from JSON) is accepted.
    ``limit`` names the limit in the message (e.g. "the limit on points")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise exc(f"{name} must be a whole number, not {shown(value)}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != math.floor(f):
            raise exc(f"{name} must be a whole number, not {shown(value)}")
        if high is not None and f > high:
            v = high + 1                        # too large: reported below without int(1e300)
        else:
            v = int(f)
    why = f" ({limit})" if limit else ""
    if low is not None and v < low:
        raise exc(f"{name} must be at least {low:,}; got {shown(value)}")
    if high is not None and v > high:
        raise exc(f"{name} must be at most {high:,}{why}; got {shown(value)}")
    return v


def check_float(value, name: str, low: float | None = None, high: float | None = None,
                exc: type[Exception] = ValueError) -> float:
    """A finite number in [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise exc(f"{name} must be a number, not {shown(value)}")
    f = float(value)
    if not math.isfinite(f):
        raise exc(f"{name} must be a finite number, not {shown(value)}")
    if (low is not None and f < low) or (high is not None and f > high):
        raise exc(f"{name} must be between {low:g} and {high:g}; got {shown(value)}"
                  if low is not None and high is not None else
                  f"{name} must be ≥ {low:g}; got {shown(value)}" if low is not None else
                  f"{name} must be ≤ {high:g}; got {shown(value)}")
    return f


def check_points(n, name: str = "points", exc: type[Exception] = ValueError) -> int:
    return check_int(n, name, MIN_POINTS, MAX_POINTS, exc, "the limit on points")


def check_app_points(n, name: str, exc: type[Exception] = ValueError) -> int:
    """Points the window can show; the command line takes up to MAX_POINTS."""
    if n > MAX_APP_POINTS:
        raise exc(f"{name}: {n:,} points; the window shows at most {MAX_APP_POINTS:,} (the "
                  f"limit on points in the app; `bn-studio train --data` takes up to "
                  f"{MAX_POINTS:,})")
    return n


def check_classes(c, name: str = "classes", exc: type[Exception] = ValueError) -> int:
    return check_int(c, name, 2, MAX_CLASSES, exc, "the limit on classes")


def check_hidden(hidden, exc: type[Exception] = ValueError) -> tuple[int, ...]:
    """Hidden widths: at most MAX_DEPTH layers of 1..MAX_WIDTH units."""
    if isinstance(hidden, (str, bytes)) or not hasattr(hidden, "__len__"):
        raise exc(f"hidden must be a list of layer widths, not {shown(hidden)}")
    if len(hidden) > MAX_DEPTH:
        raise exc(f"at most {MAX_DEPTH} hidden layers (the limit on depth); got {len(hidden):,}")
    widths = tuple(check_int(h, "a hidden layer's width", None, MAX_WIDTH, exc,
                             "the limit on width") for h in hidden)
    if any(h < 1 for h in widths):
        raise exc("every hidden layer needs at least 1 unit")
    return widths


def check_trainer_size(points: int, hidden, exc: type[Exception] = ValueError) -> None:
    """The twins' trainer passes over at most EVAL_CHUNK_ROWS rows at a time, so only that
    many count against the limit on points × units (the data itself is bounded by points)."""
    check_size(min(points, EVAL_CHUNK_ROWS), hidden, exc)


def check_size(points: int, hidden, exc: type[Exception] = ValueError) -> None:
    """Points × hidden units bounds the memory of one forward pass over the data."""
    units = sum(hidden)
    if points * units > MAX_UNIT_POINTS:
        raise exc(f"{points:,} points × {units:,} hidden units is too large (the limit on "
                  f"points × units is {MAX_UNIT_POINTS:,}); use fewer points or a smaller net")


def check_steps(steps, name: str = "steps", low: int = 0,
                exc: type[Exception] = ValueError) -> int:
    return check_int(steps, name, low, MAX_STEPS, exc, "the limit on steps")


def check_seed(seed, name: str = "seed", exc: type[Exception] = ValueError) -> int:
    return check_int(seed, name, 0, MAX_SEED, exc, "seeds are 0 … 2³² − 1")


def check_trials(trials, exc: type[Exception] = ValueError) -> int:
    n = check_int(trials, "trials", None, MAX_TRIALS, exc, "the limit on trials")
    if n < 1:
        raise exc("a search needs at least 1 trial")
    return n


def check_columns(width: int, name: str, exc: type[Exception] = ValueError) -> int:
    if width > MAX_CSV_COLUMNS:
        raise exc(f"{name}: {width:,} columns; the limit on columns is {MAX_CSV_COLUMNS:,}")
    return width


def check_file_size(nbytes: int, name: str, limit: int, exc: type[Exception] = ValueError,
                    what: str = "file") -> None:
    if nbytes > limit:
        raise exc(f"{name}: {size_text(nbytes)}; the limit on {what} size is "
                  f"{size_text(limit)}")


def size_text(nbytes: int) -> str:
    """A size in the unit that reads best: 256 KiB, 64 MiB, 1.5 GiB (never "0 MiB")."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{nbytes} bytes"


class _UpToSize(io.RawIOBase):
    """A file read no further than the size it had when opened: a file that grows while it is
    read (a log being written) stays within the limit, and a pseudo-file that says it is empty
    (/proc/kmsg, which blocks until the kernel logs something) reads as empty at once."""

    def __init__(self, fd: int, size: int) -> None:
        self._file = io.FileIO(fd, "rb")
        self._size = size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self._size - self._file.tell()
        if left <= 0:
            return 0
        with memoryview(buffer) as view:
            return self._file.readinto(view[:left]) or 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


def open_regular(path, limit: int, exc: type[Exception], what: str, label: str | None = None,
                 advice: str = "") -> io.BufferedReader:
    """A regular file of at most ``limit`` bytes, opened for reading in binary (and read no
    further than that size); ``exc`` with one line (starting with ``label``, the file's name
    unless given) for a missing file, a folder, a FIFO or device (opened without blocking: a
    FIFO would wait for a writer; its line ends with ``advice``) or a bigger file."""
    path = Path(path)
    label = label or path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise exc(f"{label}: no such file") from None
    except IsADirectoryError:
        raise exc(f"{label}: is a folder, not a {what}") from None
    except (OSError, ValueError) as e:          # ValueError: a NUL in the path
        why = getattr(e, "strerror", None) or e.__class__.__name__
        raise exc(f"{label}: cannot be read ({why})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise exc(f"{label}: is a folder, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise exc(f"{label}: not a regular file (a pipe or a device){advice}")
        check_file_size(st.st_size, label, limit, exc, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return io.BufferedReader(_UpToSize(fd, st.st_size))
    except BaseException:
        os.close(fd)
        raise


def read_small_file(path, limit: int, exc: type[Exception], what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (a workspace, a lesson pack);
    ``exc`` with one line for a missing file, a folder, a FIFO or device, or a bigger file."""
    path = Path(path)
    with open_regular(path, limit, exc, what) as f:
        try:
            return f.read(limit + 1)
        except OSError as e:
            raise exc(f"{path.name}: cannot be read ({e.__class__.__name__})") from None


def json_text(data: bytes) -> str:
    """A JSON file's text: UTF-8 (with a BOM too, as Windows editors save it), or UTF-16 or
    UTF-32 as JSON allows. UnicodeDecodeError if it is none of them."""
    import json
    return data.decode(json.detect_encoding(data))


def check_workers(workers) -> tuple[int, str | None]:
    """(workers to start, a note if the request was capped at the CPU count)."""
    n = check_int(workers, "--workers", 1)
    cap = max_workers()
    if n > cap:
        return cap, f"--workers {n:,} capped at {cap}, the number of CPU cores"
    return n, None
