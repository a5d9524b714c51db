"""Where an imported dataset came from, so that a workspace can refer to its CSV file instead
of holding a million points, and find and check that file again when the workspace opens.

A reference names the file (its absolute path, and its path from the workspace's folder), the
import options (``columns``), the file's size and SHA-256, and what reading it gave: points,
class names and a SHA-256 of the arrays. Opening hashes the file first (a changed file is
reported without being parsed), then reads it as the import did and compares the arrays. Every
problem is one line naming the file and what differs (``SourceError``).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import limits
from ..steps import run_to_end
from .csv_read import load_csv, load_csv_steps
from .datasets import Dataset, DatasetError

HASH_CHUNK = 4 * 2**20
HEX64 = re.compile(r"[0-9a-f]{64}")


class SourceError(DatasetError):
    """A workspace's data file cannot give the saved dataset back; one line for the user."""


@dataclass(frozen=True)
class CsvSource:
    """An imported file as it was read: where (absolute), how (columns), size and SHA-256."""

    path: str
    columns: str | None
    size: int
    sha256: str


@dataclass(frozen=True)
class CsvReference:
    """A workspace's pointer to its data: the file, and what reading it gave."""

    source: CsvSource
    name: str
    relative: str | None            # from the workspace's folder (None: another drive)
    points: int
    class_names: tuple[str, ...]
    data_sha256: str


# Importing: remember the file
def sourced_steps(path, read_steps=load_csv_steps, columns: str | None = None):
    """``read_steps(path)`` (a generator of progress that returns the Dataset) with the file's
    size and SHA-256 attached as ``ds.source``; None if the file changed while it was read."""
    before = _identity(path)
    ds = yield from (read_steps(path) if columns is None else read_steps(path, columns))
    return _attach(ds, path, columns, before)


def load_sourced(path, load=load_csv, columns: str | None = None) -> Dataset:
    """``load(path)`` with ``ds.source`` attached, as ``sourced_steps``."""
    before = _identity(path)
    ds = load(path) if columns is None else load(path, columns)
    return _attach(ds, path, columns, before)


def _attach(ds: Dataset, path, columns, before) -> Dataset:
    try:
        size, digest = file_sha256(path)
    except DatasetError:
        return ds
    if before is None or _identity(path) != before or size != before[2]:
        return ds                                   # the bytes read may not be these bytes
    ds.source = CsvSource(os.path.abspath(path), columns, size, digest)
    return ds


def _identity(path):
    """What changes when a file is replaced or written: device, inode, size, mtime."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def file_sha256(path, label: str | None = None) -> tuple[int, str]:
    """(size, SHA-256 hex) of a regular file within the CSV size limit, read in chunks. Only
    the size the file reports is read: a pseudo-file that says 0 bytes (/proc) is never read,
    so one that blocks (/proc/kmsg) cannot hang this."""
    with limits.open_regular(path, limits.MAX_CSV_BYTES, SourceError, "CSV file", label) as f:
        h, size = hashlib.sha256(), 0
        left = os.fstat(f.fileno()).st_size
        try:
            while left > 0 and (chunk := f.read(min(HASH_CHUNK, left))):
                h.update(chunk)
                size += len(chunk)
                left -= len(chunk)
        except OSError as e:
            raise SourceError(f"{label or Path(path).name}: cannot be read "
                              f"({e.__class__.__name__})") from None
    return size, h.hexdigest()


def data_sha256(ds: Dataset) -> str:
    """A SHA-256 of the points and labels as the trainer gets them (little-endian 8 bytes)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ds.X, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(ds.y, dtype="<i8").tobytes())
    return h.hexdigest()


# Saving: the reference
def reference_of(ds: Dataset, folder) -> CsvReference:
    """The reference a workspace in ``folder`` stores for ``ds`` (which has a ``source``)."""
    src = ds.source
    assert src is not None, "only an imported dataset has a reference"
    return CsvReference(src, ds.name, relative_path(src.path, folder), int(ds.X.shape[0]),
                        tuple(ds.class_names), data_sha256(ds))


def relative_path(path: str, folder) -> str | None:
    """``path`` relative to a workspace saved in ``folder``, or None (another drive)."""
    try:
        return os.path.relpath(path, os.path.abspath(folder or "."))
    except ValueError:                              # another drive (Windows)
        return None


def to_dict(ref: CsvReference) -> dict:
    s = ref.source
    return {"kind": "csv", "name": ref.name, "path": s.path, "relative_path": ref.relative,
            "columns": s.columns, "bytes": s.size, "sha256": s.sha256, "points": ref.points,
            "class_names": list(ref.class_names), "data_sha256": ref.data_sha256}


def stale(source: CsvSource) -> str | None:
    """Why ``source`` no longer holds the data that was read from it, or None if it does."""
    try:
        return _differs(Path(source.path), source, "it was imported")
    except SourceError as e:
        return str(e)


# Opening: check the fields, find the file, read it, compare
def from_dict(d: dict, exc: type[Exception] = SourceError) -> CsvReference:
    """A reference from a workspace's JSON, every field checked (one line for the first bad)."""
    def text(key, most, optional=False):
        v = d.get(key)
        if optional and v is None:
            return None
        if not isinstance(v, str) or not v or len(v) > most or "\0" in v:
            raise exc(f"workspace's dataset {key} must be text of 1 to {most:,} characters, "
                      f"not {limits.shown(v)}")
        return v

    def digest(key):
        v = d.get(key)
        if not isinstance(v, str) or not HEX64.fullmatch(v):
            raise exc(f"workspace's dataset {key} must be 64 hexadecimal digits (a SHA-256), "
                      f"not {limits.shown(v)}")
        return v

    path = text("path", limits.MAX_PATH_CHARS)
    if not os.path.isabs(path):
        raise exc(f"workspace's dataset path must be absolute, not {limits.shown(path)}")
    relative = text("relative_path", limits.MAX_PATH_CHARS, optional=True)
    columns = text("columns", limits.MAX_COLUMNS_CHARS, optional=True)
    size = limits.check_int(d.get("bytes"), "workspace's dataset bytes", 1, limits.MAX_CSV_BYTES,
                            exc, "the limit on CSV file size")      # 0: never read as CSV
    points = limits.check_points(d.get("points"), "workspace's dataset points", exc)
    names = d.get("class_names")
    if (not isinstance(names, list) or not 2 <= len(names) <= limits.MAX_CLASSES
            or not all(isinstance(n, str) and len(n) <= limits.MAX_FIELD_BYTES for n in names)):
        raise exc(f"workspace's dataset class_names must be a list of 2 to "
                  f"{limits.MAX_CLASSES} names")
    return CsvReference(CsvSource(path, columns, size, digest("sha256")),
                        text("name", limits.MAX_NAME_CHARS), relative, points, tuple(names),
                        digest("data_sha256"))


def candidates(ref: CsvReference, folder) -> list[Path]:
    """Where the file may be: where it was; else where it is from the workspace's folder if
    both moved together; else next to the workspace."""
    out = [Path(ref.source.path)]
    if folder is not None:
        if ref.relative is not None:
            out.append(Path(folder) / ref.relative)
        out.append(Path(folder) / Path(ref.source.path).name)
    return list(dict.fromkeys(out))


def locate(ref: CsvReference, folder) -> Path:
    """The first place that holds the file as it was saved (same size and SHA-256); else
    SourceError saying what differs at the first place that holds a file, or that none does."""
    first_problem = None
    for place in candidates(ref, folder):
        try:
            problem = _differs(place, ref.source)
        except SourceError as e:
            if not os.path.lexists(place):
                continue
            problem = str(e)
        if problem is None:
            return place
        first_problem = first_problem or problem
    if first_problem is not None:
        raise SourceError(first_problem)
    raise SourceError(_missing_text(ref, folder))


def missing(ref: CsvReference, folder) -> str | None:
    """What ``locate`` would say if no place holds a file at all, or None: a check that reads
    no file (the command line asks it before it builds a window)."""
    if any(os.path.lexists(place) for place in candidates(ref, folder)):
        return None
    return _missing_text(ref, folder)


def _missing_text(ref: CsvReference, folder) -> str:
    return (f"The workspace's data file {ref.name} is missing: not at {ref.source.path} "
            "(moved or deleted?)" + (", nor next to the workspace" if folder is not None
                                     else ""))


def _differs(place: Path, source: CsvSource, since: str = "the workspace was saved"
             ) -> str | None:
    """Why the file at ``place`` is not the one saved (size, then SHA-256), or None."""
    label = f"The workspace's data file {place}"
    with limits.open_regular(place, limits.MAX_CSV_BYTES, SourceError, "CSV file", label) as f:
        size = os.fstat(f.fileno()).st_size
    if size != source.size:
        return f"{label} has changed since {since}: {size:,} bytes now, {source.size:,} then"
    size, digest = file_sha256(place, label)
    if size != source.size or digest != source.sha256:
        return (f"{label} has changed since {since}: the same size ({source.size:,} bytes) "
                "but other contents")
    return None


def read_reference_steps(ref: CsvReference, folder=None, read_steps=load_csv_steps):
    """The saved dataset, read again from its file (a generator of progress, as
    ``load_csv_steps``); SourceError if the file is missing, changed or reads differently."""
    place = locate(ref, folder)
    label = f"The workspace's data file {place}"
    try:
        ds = yield from sourced_steps(place, read_steps, ref.source.columns)
    except SourceError:
        raise
    except DatasetError as e:                       # the reader names the file: once is enough
        why = str(e).removeprefix(f"{place.name}: ")
        raise SourceError(f"{label}: {why}") from None
    if ds.source is None or ds.source.sha256 != ref.source.sha256:
        raise SourceError(f"{label} changed while it was being read; open the workspace again")
    if (ds.X.shape[0], tuple(ds.class_names)) != (ref.points, ref.class_names):
        raise SourceError(f"{label} now reads as {ds.X.shape[0]:,} points in "
                          f"{ds.classes} classes, the workspace saved {ref.points:,} in "
                          f"{len(ref.class_names)} (read by another version of BN Studio?)")
    if data_sha256(ds) != ref.data_sha256:
        raise SourceError(f"{label} now reads as other values than were saved (same file; "
                          "read by another version of BN Studio?)")
    return ds


def read_reference(ref: CsvReference, folder=None) -> Dataset:
    """``read_reference_steps`` run to the end (scripts, the command line, tests)."""
    return run_to_end(read_reference_steps(ref, folder))


def moved_note(ref: CsvReference, ds: Dataset) -> str | None:
    """A line for the status bar when the file was found somewhere else than saved."""
    if ds.source is not None and ds.source.path != ref.source.path:
        return f"read {ref.name} from {ds.source.path} (the workspace had {ref.source.path})"
    return None

