"""Toy 2-D datasets, CSV import, user-drawn points, and the standardised train/validation split.

Every generator is seeded: the same arguments give the same arrays. Problems with the user's
input raise ``DatasetError`` whose message is one line naming the problem (and the CSV line).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import stat
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import csv_io, limits

DATASETS = ("moons", "blobs", "circles", "spirals", "xor", "checkerboard")
DEFAULT_CLASSES = {"moons": 2, "blobs": 4, "circles": 2, "spirals": 3, "xor": 2,
                   "checkerboard": 2}
FIXED_CLASSES = {"moons": 2, "xor": 2}          # these shapes only make sense with two classes
MAX_CLASSES = limits.MAX_CLASSES
MIN_ROWS = limits.MIN_POINTS
MISSING = {"", "na", "nan", "n/a", "null", "none", "?", "-"}
SAMPLE_ROWS = 100             # rows looked at to find the header and the numeric columns
PROGRESS_ROWS = 65_536        # the careful reader reports progress this often


class DatasetError(ValueError):
    """Unusable data; ``str(e)`` is one line for the user."""


@dataclass
class Dataset:
    X: np.ndarray                 # (N, 2) float64
    y: np.ndarray                 # (N,) int64 in 0..C-1
    class_names: list[str]
    name: str
    skipped_rows: int = 0

    @property
    def classes(self) -> int:
        return len(self.class_names)


@dataclass
class Split:
    """Train/validation split, both standardised with the training split's mean and std."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    classes: int
    class_names: list[str]

    def standardize(self, X) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.std

    def unstandardize(self, Xs) -> np.ndarray:
        return np.asarray(Xs, dtype=np.float64) * self.std + self.mean


def _counts(n: int, c: int) -> list[int]:
    """n split into c nearly equal parts."""
    return [n // c + (1 if i < n % c else 0) for i in range(c)]


def _moons(n, noise, c, rng):
    n0, n1 = _counts(n, 2)
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n1)
    a = np.column_stack([np.cos(t0), np.sin(t0)])
    b = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.concatenate([a, b]) + rng.normal(0, noise * 0.5, (n, 2))
    return X, np.repeat([0, 1], [n0, n1])


def _blobs(n, noise, c, rng):
    angles = 2 * np.pi * np.arange(c) / c
    centres = 3.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    sizes = _counts(n, c)
    y = np.repeat(np.arange(c), sizes)
    X = centres[y] + rng.normal(0, 0.5 + 2.0 * noise, (n, 2))
    return X, y


def _circles(n, noise, c, rng):
    sizes = _counts(n, c)
    y = np.repeat(np.arange(c), sizes)
    radius = 1.0 + y
    t = rng.uniform(0, 2 * np.pi, n)
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])
    return X + rng.normal(0, noise * 0.6, (n, 2)), y


def _spirals(n, noise, c, rng):
    sizes = _counts(n, c)
    y = np.repeat(np.arange(c), sizes)
    r = np.concatenate([np.linspace(0.15, 1.0, s) for s in sizes])
    turn = 1.5 * np.pi                      # three quarters of a turn per arm
    t = 2 * np.pi * y / c + turn * r + rng.normal(0, noise * 0.5, n)
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X + rng.normal(0, noise * 0.05, (n, 2)), y


def _xor(n, noise, c, rng):
    X = rng.uniform(-1, 1, (n, 2))
    X += np.sign(X) * 0.05                  # a small gap along the axes
    y = (X[:, 0] * X[:, 1] < 0).astype(np.int64)
    return X + rng.normal(0, noise * 0.15, (n, 2)), y


def _checkerboard(n, noise, c, rng):
    # A k×k board with k ≥ C, so that (i + j) mod C gives every class its share of cells.
    k = max(4, c)
    X = rng.uniform(0, k, (n, 2))
    cells = np.floor(X).astype(np.int64)
    y = (cells[:, 0] + cells[:, 1]) % c
    return (X - k / 2) * (4.0 / k) + rng.normal(0, noise * 0.1, (n, 2)), y


_GENERATORS = {"moons": _moons, "blobs": _blobs, "circles": _circles, "spirals": _spirals,
               "xor": _xor, "checkerboard": _checkerboard}


def make_dataset(name: str, n: int = 400, noise: float = 0.2, classes: int | None = None,
                 seed: int = 0) -> Dataset:
    """A seeded toy dataset of ``n`` 2-D points in ``classes`` roughly balanced classes."""
    if not isinstance(name, str) or name not in _GENERATORS:
        raise DatasetError(f"unknown dataset {limits.shown(name)}; choose one of "
                           f"{', '.join(DATASETS)}")
    c = DEFAULT_CLASSES[name] if classes is None else \
        limits.check_int(classes, "classes", exc=DatasetError)
    if name in FIXED_CLASSES and c != FIXED_CLASSES[name]:
        raise DatasetError(f"{name} always has {FIXED_CLASSES[name]} classes (asked for {c})")
    if not 2 <= c <= MAX_CLASSES:
        raise DatasetError(f"classes must be between 2 and {MAX_CLASSES} (asked for {c})")
    n = limits.check_int(n, "n", exc=DatasetError)
    if n < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} points (asked for {n})")
    limits.check_points(n, "n (points)", DatasetError)
    if n < 2 * c:
        raise DatasetError(f"need at least 2 points per class ({2 * c} for {c} classes)")
    noise = limits.check_float(noise, "noise", exc=DatasetError)
    if not noise >= 0:
        raise DatasetError(f"noise must be ≥ 0 (got {noise})")
    seed = limits.check_seed(seed, "the data seed", DatasetError)
    rng = np.random.default_rng([int(seed), DATASETS.index(name)])
    X, y = _GENERATORS[name](int(n), float(noise), c, rng)
    order = rng.permutation(len(y))
    return Dataset(np.ascontiguousarray(X[order], dtype=np.float64),
                   y[order].astype(np.int64), [str(i) for i in range(c)], name)


def from_points(points, labels, class_names=None) -> Dataset:
    """The user's own clicked points; needs ≥ 10 points in ≥ 2 classes."""
    X = np.asarray(points, dtype=np.float64)
    if X.size and (X.ndim != 2 or X.shape[1] != 2):
        raise DatasetError(f"points must be (x, y) pairs; got an array of shape {X.shape}")
    X = X.reshape(-1, 2)
    labels = np.asarray(labels)
    if labels.ndim != 1 or X.shape[0] != labels.shape[0]:
        raise DatasetError("every point needs exactly one label")
    limits.check_int(X.shape[0], "drawn points", high=limits.MAX_POINTS, exc=DatasetError,
                     limit="the limit on points")
    if X.shape[0] < MIN_ROWS:
        raise DatasetError(f"draw at least {MIN_ROWS} points (you have {X.shape[0]})")
    if not np.all(np.isfinite(X)):
        raise DatasetError("points must have finite coordinates")
    present = np.unique(labels)
    if present.size < 2:
        raise DatasetError("draw points of at least 2 classes (you have only 1)")
    y = np.searchsorted(present, labels).astype(np.int64)
    names = ([str(class_names[int(p)]) for p in present] if class_names is not None
             else [str(p) for p in present])
    return Dataset(X, y, names, "drawn")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _is_missing(text: str) -> bool:
    return text.lower() in MISSING


def _mostly_numbers(fields) -> bool:
    """A column of numbers with perhaps a typo or two (so the typo gets its own line error)."""
    present = [f for f in fields if not _is_missing(f)]
    return bool(present) and 2 * sum(map(_is_number, present)) >= len(present)


def _open_csv(path: Path) -> io.TextIOWrapper:
    """The file as UTF-8 text with universal line endings (CR-only too), opened only if it is
    a regular file within the size limit: a FIFO would block, /dev/zero never ends."""
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))   # a FIFO opens at once
    except FileNotFoundError:
        raise DatasetError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{name}: is a folder, not a CSV file") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise DatasetError(f"{name}: is a folder, not a CSV file")
        if not stat.S_ISREG(st.st_mode):
            raise DatasetError(f"{name}: not a regular file (a pipe or a device); "
                               "save the data to a .csv file first")
        limits.check_file_size(st.st_size, name, limits.MAX_CSV_BYTES, DatasetError, "CSV file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        head = raw.read(8192)
    except OSError as e:
        raw.close()
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    if b"\x00" in head:
        raw.close()
        raise DatasetError(f"{name}: looks like a binary file, not CSV text")
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _delimiter(text: str) -> str:
    """The one of , ; tab that splits the first line into most fields (quotes respected)."""
    first = next((ln for ln in io.StringIO(text[:65536], newline="") if ln.strip()), "")
    widths = {d: len(next(csv.reader([first], delimiter=d), [])) for d in (",", ";", "\t")}
    return max(widths, key=widths.get)          # on a tie the comma, listed first, wins


def _narrow_lines(f, delimiter: str, name: str):
    """The file's lines, refusing one with more delimiters than the column limit before the
    csv module splits it (8 million fields on one line would take 700 MB)."""
    for number, line in enumerate(f, start=1):
        if line.count(delimiter) >= limits.MAX_CSV_COLUMNS:
            raise DatasetError(f"{name}: line {number} has more than {limits.MAX_CSV_COLUMNS:,} "
                               f"columns; the limit on columns is {limits.MAX_CSV_COLUMNS:,}")
        yield line


def _sniff(f: io.TextIOWrapper, name: str) -> str:
    """The delimiter, from the first 64 KiB of text."""
    try:
        sample = f.read(65536)
        f.seek(0)
    except UnicodeDecodeError:
        raise DatasetError(f"{name}: not UTF-8 text (is it a binary file?)") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    return _delimiter(sample)


def _read_rows(f: io.TextIOWrapper, name: str, delimiter: str):
    """Non-blank rows as (line number in the file, stripped fields), one at a time, so a large
    file never sits in memory as lists of strings. Errors name the line."""
    reader = None
    try:
        reader = csv.reader(_narrow_lines(f, delimiter, name), delimiter=delimiter)
        for r in reader:
            if any(v.strip() for v in r):
                yield reader.line_num, [v.strip() for v in r]
    except UnicodeDecodeError:
        raise DatasetError(f"{name}: not UTF-8 text (is it a binary file?)") from None
    except csv.Error as e:
        why = (f"a field is larger than {limits.MAX_FIELD_BYTES / 2**20:g} MiB (the limit on "
               "field size)" if "field limit" in str(e) else str(e))
        raise DatasetError(f"{name}: line {max(1, reader.line_num)}: {why}") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None


def _has_header(rows, columns: str | None) -> bool:
    """A first row with a word where the rows below hold numbers (or naming all ``columns``)."""
    first = rows[0][1]
    names = [p.strip() for p in columns.split(",")] if columns else []
    if names and not any(map(_is_number, names)) and all(n in first for n in names):
        return True
    below = [r for _, r in rows[1:1 + SAMPLE_ROWS] if len(r) == len(first)]
    words = [j for j, f in enumerate(first) if not _is_number(f) and not _is_missing(f)]
    if not below:                               # a lone row: a header if a feature is a word
        return any(j < len(first) - 1 for j in words)
    return any(_mostly_numbers([r[j] for r in below]) for j in words)


def _pick_columns(columns: str | None, header: list[str] | None, body, width: int, name: str):
    """(feature, feature, label) column indices from ``columns`` or the defaults."""
    if columns is None:
        return _default_columns(body, width)
    parts = [p.strip() for p in columns.split(",")]
    if len(parts) != 3:
        raise DatasetError(f"--columns needs three names or indices X1,X2,LABEL (got {columns!r})")
    picked = []
    for p in parts:
        if header is not None and p in header:
            picked.append(header.index(p))
        elif p.lstrip("-").isdigit() and -width <= int(p) < width:
            picked.append(int(p) % width)
        else:
            known = f"; columns are {_listed(header)}" if header else \
                f"; the file has no header, use indices 0..{width - 1}"
            raise DatasetError(f"{name}: unknown column {p!r}{known}")
    if len(set(picked)) < 3:
        raise DatasetError(f"{name}: --columns {columns!r} names a column twice; "
                           "need two feature columns and a different label column")
    return tuple(picked)


def _listed(names: list[str], most: int = 12) -> str:
    shown = ", ".join(limits.shown(n)[1:-1] for n in names[:most])
    return shown + (f", … ({len(names):,} in all)" if len(names) > most else "")


def _default_columns(body, width: int):
    """The first two numeric columns as features (skipping e.g. an id), the last as label."""
    label = width - 1
    sample = [r for _, r in body[:SAMPLE_ROWS] if len(r) == width]
    numeric = []
    for j in range(label):                      # two are enough: 100k columns stay fast
        if len(numeric) < 2 and _mostly_numbers([r[j] for r in sample]):
            numeric.append(j)
    rest = [j for j in range(label) if j not in set(numeric)][:2]
    c1, c2 = (numeric + rest)[:2]               # too few numeric: the parse names the bad field
    return c1, c2, label


def _column_name(j: int, header: list[str] | None) -> str:
    return f"column {header[j]!r}" if header else f"column {j + 1} (counting from 1)"


def _parse_rows(body, cols, width: int, header, name: str, where=None):
    """Features (array of x1, x2 pairs), each row's label code, the labels in order of first
    appearance and the count of rows skipped for missing values. Yields the fraction read
    (``where()``) every PROGRESS_ROWS rows."""
    c1, c2, cl = cols
    feats, codes, table, skipped = array("d"), array("q"), {}, 0
    for count, (line, r) in enumerate(body, start=1):
        if count > limits.MAX_POINTS:
            raise DatasetError(f"{name}: more than {limits.MAX_POINTS:,} data rows; the limit "
                               f"on points is {limits.MAX_POINTS:,}")
        if where is not None and count % PROGRESS_ROWS == 0:
            yield where()
        if len(r) != width:
            raise DatasetError(f"{name}: line {line} has {len(r)} fields, expected {width}")
        fields = (r[c1], r[c2], r[cl])
        if any(_is_missing(f) for f in fields):
            skipped += 1
            continue
        try:
            x = (float(fields[0]), float(fields[1]))
        except ValueError:
            j = c1 if not _is_number(fields[0]) else c2
            raise DatasetError(f"{name}: line {line}: {_column_name(j, header)} is not a "
                               f"number ({limits.shown(r[j])})") from None
        if not (math.isfinite(x[0]) and math.isfinite(x[1])):
            skipped += 1                        # NaN and ±inf count as missing
            continue
        feats.extend(x)
        codes.append(table.setdefault(fields[2], len(table)))
    return np.frombuffer(feats, dtype=np.float64).reshape(-1, 2), \
        np.frombuffer(codes, dtype=np.int64), table, skipped


def load_csv(path, columns: str | None = None) -> Dataset:
    """Two numeric feature columns and a label column; header optional; labels may be strings.

    Rows with a missing value are skipped and counted; anything else malformed is an error
    naming the line, so the caller can keep the data it already has.
    """
    steps = load_csv_steps(path, columns)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def load_csv_steps(path, columns: str | None = None):
    """``load_csv`` as a generator: it yields the fraction of the file read (0 … 1) now and
    then and returns the Dataset, so a GUI worker can show progress and stop between yields.

    Plain files go the fast way (csv_io: NumPy over chunks of bytes); on anything unusual
    the csv module reads the file row by row, which decides every error message.
    """
    path = Path(path)
    name = path.name
    saved_limit = csv.field_size_limit(limits.MAX_FIELD_BYTES)
    try:
        parsed = yield from _load_fast(path, columns, name)
        if parsed is None:
            with _open_csv(path) as f:
                parsed = yield from _load_rows(f, columns, name)
    finally:
        csv.field_size_limit(saved_limit)
    X, codes, table, skipped = parsed
    if len(codes) < MIN_ROWS:
        raise DatasetError(f"{name}: only {len(codes)} usable rows; need at least {MIN_ROWS}"
                           + (f" ({skipped} skipped for missing values)" if skipped else ""))
    names = _label_order(list(table))
    if len(names) < 2:
        raise DatasetError(f"{name}: only one class ({limits.shown(names[0])}); need at least 2")
    if len(names) > MAX_CLASSES:
        raise DatasetError(f"{name}: {len(names):,} different labels; the limit on classes is "
                           f"{MAX_CLASSES} (is the last column really the label? see --columns)")
    order = {n: i for i, n in enumerate(names)}
    remap = np.array([order[lb] for lb in table], dtype=np.int64)
    return Dataset(np.ascontiguousarray(X, dtype=np.float64), remap[codes], names, name,
                   skipped)


def _plan(rows, columns: str | None, name: str):
    """(width, header or None, the first data rows, the chosen columns) from the first rows."""
    head = list(itertools.islice(rows, SAMPLE_ROWS + 1))
    if not head:
        raise DatasetError(f"{name}: the file is empty")
    width = len(head[0][1])
    if width < 3:
        raise DatasetError(f"{name}: line {head[0][0]} has {width} column(s); need two "
                           "feature columns and a label column")
    limits.check_columns(width, name, DatasetError)
    header = head[0][1] if _has_header(head, columns) else None
    first = head[1:] if header is not None else head
    if not first:
        raise DatasetError(f"{name}: only a header, no data rows")
    cols = _pick_columns(columns, header, first, width, name)
    return width, header, first, cols


def _load_rows(f: io.TextIOWrapper, columns: str | None, name: str):
    """The careful way, row by row with the csv module: the first rows decide the header and
    the columns, the rest are parsed as they are read."""
    rows = _read_rows(f, name, _sniff(f, name))
    width, header, first, cols = _plan(rows, columns, name)
    size = max(1, os.fstat(f.fileno()).st_size)
    return (yield from _parse_rows(itertools.chain(first, rows), cols, width, header, name,
                                   where=lambda: min(1.0, f.buffer.tell() / size)))


def _load_fast(path: Path, columns: str | None, name: str):
    """The fast way (csv_io), or None when the file needs the careful one. The first rows are
    still read by the csv module, so the header, the columns and their errors are the same."""
    with _open_csv(path) as f:
        delimiter = _sniff(f, name)
        rows = _read_rows(f, name, delimiter)
        width, header, first, cols = _plan(rows, columns, name)
        header_lines = first[0][0] - 1 if header is not None else 0
        try:
            reader = csv_io.FastReader(
                delimiter, width, cols, header_lines, MISSING, limits.MAX_POINTS, MAX_CLASSES,
                lambda text, skip: _careful_chunk(text, skip, delimiter, width, cols, name))
            raw = f.buffer
            raw.seek(0)
            size = max(1, os.fstat(raw.fileno()).st_size)
            yield 0.0
            if size > csv_io.WHOLE_FILE_BYTES or not reader.whole(path, raw.read()):
                raw.seek(0)
                for chunk in csv_io.read_chunks(raw):
                    reader.feed(chunk)
                    yield min(1.0, raw.tell() / size)
        except csv_io.NotSimple:
            return None
        except csv_io.RowLimit:
            raise DatasetError(f"{name}: more than {limits.MAX_POINTS:,} data rows; the limit "
                               f"on points is {limits.MAX_POINTS:,}") from None
    out = reader.out
    X = np.concatenate(out.X) if out.X else np.empty((0, 2))
    codes = np.concatenate(out.codes) if out.codes else np.empty(0, dtype=np.int64)
    return X, codes, out.labels, out.skipped


def _careful_chunk(text: str, skip: int, delimiter: str, width: int, cols, name: str):
    """Rows of one chunk the C reader refused, read as the careful reader reads them:
    (features, label per row, skipped, rows). Any error: the whole file goes the careful
    way, so that the message names the right line."""
    lines = text.split("\n")[skip:]
    try:
        body = ((i, r) for i, r in enumerate(csv.reader(_narrow_lines(lines, delimiter, name),
                                                        delimiter=delimiter))
                if any(v.strip() for v in r))
        rows = [(i, [v.strip() for v in r]) for i, r in body]
        parse = _parse_rows(rows, cols, width, None, name)
        while True:
            next(parse)
    except StopIteration as done:
        X, codes, table, skipped = done.value
    except (DatasetError, csv.Error):
        raise csv_io.NotSimple from None
    labels = list(table)
    return X, [labels[c] for c in codes], skipped, len(rows)


def _label_order(labels: list[str]) -> list[str]:
    """Numeric labels in numeric order (so 2 < 10), strings alphabetically."""
    unique = set(labels)
    if all(_is_number(lb) for lb in unique):
        return sorted(unique, key=float)
    return sorted(unique)


def split_and_standardize(ds: Dataset, val_fraction: float = 0.25, seed: int = 0) -> Split:
    """Stratified, seeded split; both parts standardised with the training part's statistics."""
    if not 0.0 < val_fraction < 1.0:
        raise DatasetError("the validation fraction must be between 0 and 1")
    check_dataset(ds)
    rng = np.random.default_rng([int(seed), 7])
    train_idx, val_idx = [], []
    for c in range(ds.classes):
        idx = rng.permutation(np.flatnonzero(ds.y == c))
        if idx.size < 2:
            raise DatasetError(f"class {ds.class_names[c]!r} has {idx.size} point(s); "
                               "each class needs at least 2")
        n_val = min(max(1, int(round(idx.size * val_fraction))), idx.size - 1)
        val_idx.append(idx[:n_val])
        train_idx.append(idx[n_val:])
    tr = rng.permutation(np.concatenate(train_idx))
    va = rng.permutation(np.concatenate(val_idx))
    with np.errstate(all="ignore"):            # 1e300 overflows: refused just below
        mean = ds.X[tr].mean(axis=0)
        std = ds.X[tr].std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        X_train, X_val = (ds.X[tr] - mean) / std, (ds.X[va] - mean) / std
    if not (np.all(np.isfinite(std)) and np.all(np.isfinite(X_train))
            and np.all(np.isfinite(X_val))):
        raise DatasetError(f"{ds.name}: the values are too large to standardise (mean or "
                           "standard deviation overflows); rescale the features")
    return Split(X_train, ds.y[tr], X_val, ds.y[va], mean, std, ds.classes,
                 list(ds.class_names))


def check_dataset(ds: Dataset) -> None:
    """Shapes, labels and sizes a trainer can use: N × 2 finite features, labels 0..C−1 with
    2..MAX_CLASSES names, at most MAX_POINTS points (a workspace can hold anything)."""
    X, y = ds.X, ds.y
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != 2:
        raise DatasetError(f"{ds.name}: the features must be N × 2 (x, y) pairs; got shape "
                           f"{getattr(X, 'shape', '?')}")
    if not isinstance(y, np.ndarray) or y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise DatasetError(f"{ds.name}: every point needs exactly one label")
    limits.check_int(X.shape[0], f"{ds.name}: points", high=limits.MAX_POINTS, exc=DatasetError,
                     limit="the limit on points")
    limits.check_int(len(ds.class_names), f"{ds.name}: classes", 2, MAX_CLASSES, DatasetError,
                     "the limit on classes")
    if y.size and (y.min() < 0 or y.max() >= len(ds.class_names)):
        raise DatasetError(f"{ds.name}: labels must be 0 … {len(ds.class_names) - 1}, one per "
                           "class name")
    if not np.all(np.isfinite(X)):
        raise DatasetError(f"{ds.name}: points must have finite coordinates")


@dataclass(frozen=True)
class DatasetSpec:
    """A generated dataset as the gallery and the command line describe it."""

    name: str = "spirals"
    n: int = 600
    noise: float = 0.2
    classes: int | None = None
    seed: int = 0

    def make(self) -> Dataset:
        return make_dataset(self.name, n=self.n, noise=self.noise, classes=self.classes,
                            seed=self.seed)
