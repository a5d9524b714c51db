"""Toy 2-D datasets, CSV import, user-drawn points, and the standardised train/validation split.

Every generator is seeded: the same arguments give the same arrays. Problems with the user's
input raise ``DatasetError`` whose message is one line naming the problem (and the CSV line).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATASETS = ("moons", "blobs", "circles", "spirals", "xor", "checkerboard")
DEFAULT_CLASSES = {"moons": 2, "blobs": 4, "circles": 2, "spirals": 3, "xor": 2,
                   "checkerboard": 2}
FIXED_CLASSES = {"moons": 2, "xor": 2}          # these shapes only make sense with two classes
MAX_CLASSES = 8
MIN_ROWS = 10
MISSING = {"", "na", "nan", "n/a", "null", "none", "?", "-"}


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


# ---- generators --------------------------------------------------------------------------
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
    if name not in _GENERATORS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    c = DEFAULT_CLASSES[name] if classes is None else int(classes)
    if name in FIXED_CLASSES and c != FIXED_CLASSES[name]:
        raise DatasetError(f"{name} always has {FIXED_CLASSES[name]} classes (asked for {c})")
    if not 2 <= c <= MAX_CLASSES:
        raise DatasetError(f"classes must be between 2 and {MAX_CLASSES} (asked for {c})")
    if int(n) < MIN_ROWS:
        raise DatasetError(f"need at least {MIN_ROWS} points (asked for {n})")
    if int(n) < 2 * c:
        raise DatasetError(f"need at least 2 points per class ({2 * c} for {c} classes)")
    if not (noise >= 0 and math.isfinite(noise)):
        raise DatasetError(f"noise must be ≥ 0 (got {noise})")
    rng = np.random.default_rng([int(seed), DATASETS.index(name)])
    X, y = _GENERATORS[name](int(n), float(noise), c, rng)
    order = rng.permutation(len(y))
    return Dataset(np.ascontiguousarray(X[order], dtype=np.float64),
                   y[order].astype(np.int64), [str(i) for i in range(c)], name)


def from_points(points, labels, class_names=None) -> Dataset:
    """The user's own clicked points; needs ≥ 10 points in ≥ 2 classes."""
    X = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(labels)
    if X.shape[0] != labels.shape[0]:
        raise DatasetError("every point needs exactly one label")
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


# ---- CSV ----------------------------------------------------------------------------------
def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{path.name}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path.name}: is a folder, not a CSV file") from None
    except OSError as e:
        raise DatasetError(f"{path.name}: cannot be read ({e.strerror or e})") from None
    if b"\x00" in raw[:8192]:
        raise DatasetError(f"{path.name}: looks like a binary file, not CSV text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DatasetError(f"{path.name}: not UTF-8 text (is it a binary file?)") from None


def _delimiter(text: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _pick_columns(columns: str | None, header: list[str] | None, width: int, name: str):
    if columns is None:
        return 0, 1, width - 1
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
            known = f"; columns are {', '.join(header)}" if header else ""
            raise DatasetError(f"{name}: unknown column {p!r}{known}")
    return tuple(picked)


def load_csv(path, columns: str | None = None) -> Dataset:
    """Two numeric feature columns and a label column; header optional; labels may be strings.

    Rows with a missing value are skipped and counted; anything else malformed is an error
    naming the line.
    """
    path = Path(path)
    text = _read_text(path)
    rows = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text),
                                                    delimiter=_delimiter(text)), start=1)
            if any(f.strip() for f in r)]
    if not rows:
        raise DatasetError(f"{path.name}: the file is empty")
    width = len(rows[0][1])
    if width < 3:
        raise DatasetError(f"{path.name}: line {rows[0][0]} has {width} column(s); need two "
                           "feature columns and a label column")
    first = [f.strip() for f in rows[0][1]]
    # A header is a first row whose would-be feature fields are not numbers.
    header = first if not all(_is_number(f) or f.lower() in MISSING for f in first[:-1]) else None
    body = rows[1:] if header is not None else rows
    if not body:
        raise DatasetError(f"{path.name}: only a header, no data rows")
    c1, c2, cl = _pick_columns(columns, header, width, path.name)
    feats, labels, skipped = [], [], 0
    for line, r in body:
        if len(r) != width:
            raise DatasetError(f"{path.name}: line {line} has {len(r)} fields, expected {width}")
        fields = [r[c1].strip(), r[c2].strip(), r[cl].strip()]
        if any(f.lower() in MISSING for f in fields):
            skipped += 1
            continue
        try:
            x = (float(fields[0]), float(fields[1]))
        except ValueError:
            bad = fields[0] if not _is_number(fields[0]) else fields[1]
            col = header[c1 if not _is_number(fields[0]) else c2] if header else \
                str((c1 if not _is_number(fields[0]) else c2) + 1)
            raise DatasetError(f"{path.name}: line {line}: feature column {col} is not a "
                               f"number ({bad!r})") from None
        if not all(math.isfinite(v) for v in x):
            skipped += 1
            continue
        feats.append(x)
        labels.append(fields[2])
    if len(feats) < MIN_ROWS:
        raise DatasetError(f"{path.name}: only {len(feats)} usable rows; need at least {MIN_ROWS}"
                           + (f" ({skipped} skipped for missing values)" if skipped else ""))
    names = _label_order(labels)
    if len(names) < 2:
        raise DatasetError(f"{path.name}: only one class ({names[0]!r}); need at least 2")
    index = {n: i for i, n in enumerate(names)}
    y = np.array([index[lb] for lb in labels], dtype=np.int64)
    return Dataset(np.array(feats, dtype=np.float64), y, names, path.name, skipped)


def _label_order(labels: list[str]) -> list[str]:
    """Numeric labels in numeric order (so 2 < 10), strings alphabetically."""
    unique = set(labels)
    if all(_is_number(lb) for lb in unique):
        return sorted(unique, key=float)
    return sorted(unique)


# ---- split ---------------------------------------------------------------------------------
def split_and_standardize(ds: Dataset, val_fraction: float = 0.25, seed: int = 0) -> Split:
    """Stratified, seeded split; both parts standardised with the training part's statistics."""
    if not 0.0 < val_fraction < 1.0:
        raise DatasetError("the validation fraction must be between 0 and 1")
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
    mean = ds.X[tr].mean(axis=0)
    std = ds.X[tr].std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    return Split((ds.X[tr] - mean) / std, ds.y[tr], (ds.X[va] - mean) / std, ds.y[va],
                 mean, std, ds.classes, list(ds.class_names))
