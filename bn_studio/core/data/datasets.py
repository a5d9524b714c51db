"""Toy 2-D datasets, user-drawn points, and the standardised train/validation split (CSV
import is csv_read.py's).

Every generator is seeded: the same arguments give the same arrays. Problems with the user's
input raise ``DatasetError`` whose message is one line naming the problem (and the CSV line).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import limits

if TYPE_CHECKING:
    from .csv_source import CsvSource

DATASETS = ("moons", "blobs", "circles", "spirals", "xor", "checkerboard")
DEFAULT_CLASSES = {"moons": 2, "blobs": 4, "circles": 2, "spirals": 3, "xor": 2,
                   "checkerboard": 2}
FIXED_CLASSES = {"moons": 2, "xor": 2}          # these shapes only make sense with two classes
MAX_CLASSES = limits.MAX_CLASSES
MIN_ROWS = limits.MIN_POINTS
FEATURE_NAMES = ("x₁", "x₂")                    # the toy datasets' (and drawn points') axes


class DatasetError(ValueError):
    """Unusable data; ``str(e)`` is one line for the user."""


@dataclass
class Dataset:
    X: np.ndarray                 # (N, 2) float64
    y: np.ndarray                 # (N,) int64 in 0..C-1
    class_names: list[str]
    name: str
    skipped_rows: int = 0
    source: CsvSource | None = None    # the file it was imported from
    feature_names: tuple[str, str] = FEATURE_NAMES     # the columns x₁, x₂ came from

    @property
    def classes(self) -> int:
        return len(self.class_names)


@dataclass
class Split:
    """Train/validation split, both standardised with the training split's mean and std
    (``standardized``), or as the data are with x₂ times 1/std[1] (not)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    classes: int
    class_names: list[str]
    feature_names: tuple[str, str] = FEATURE_NAMES
    standardized: bool = True

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


def split_and_standardize(ds: Dataset, val_fraction: float = 0.25, seed: int = 0, *,
                          standardize: bool = True, x2_scale: float = 1.0) -> Split:
    """Stratified, seeded split; both parts standardised with the training part's statistics.
    ``standardize=False``: the inputs as they are, x₂ times ``x2_scale`` (then ``mean`` is 0
    and ``std`` is (1, 1/x2_scale), so ``standardize``/``unstandardize`` still map the data's
    coordinates to the nets' and back). Standardising undoes any scale, so it ignores it."""
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
        if standardize:
            mean = ds.X[tr].mean(axis=0)
            std = ds.X[tr].std(axis=0)
            std = np.where(std > 1e-12, std, 1.0)
        else:
            mean, std = np.zeros(2), np.array([1.0, 1.0 / float(x2_scale)])
        X_train, X_val = (ds.X[tr] - mean) / std, (ds.X[va] - mean) / std
    if not (np.all(np.isfinite(std)) and np.all(np.isfinite(X_train))
            and np.all(np.isfinite(X_val))):
        if not standardize:
            raise DatasetError(f"{ds.name}: the values × the x₂ scale overflow; lower the "
                               "x₂ scale or standardise the inputs")
        raise DatasetError(f"{ds.name}: the values are too large to standardise (mean or "
                           "standard deviation overflows); rescale the features")
    return Split(X_train, ds.y[tr], X_val, ds.y[va], mean, std, ds.classes,
                 list(ds.class_names), (ds.feature_names[0], ds.feature_names[1]),
                 bool(standardize))


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
