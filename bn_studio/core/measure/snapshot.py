"""What the trainer publishes: typed snapshots of both twins, drawable from another thread.

A field that grows with the run (a curve, a band, a running-statistics history) is marked
with ``history_field()``: the worker sends only its new rows and re-assembles them, the
replay keeps the latest of each, and ``map_histories`` walks them all, so adding a live
history is one line here (a 2-D array whose column 0 is the step) plus the maths that fills it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .grid import DecisionGrid
from .rate import RateReading

if TYPE_CHECKING:
    from ..nn.network import MLP, PackedNet
    from ..training.trainer import TrainConfig
    from .unit_maps import UnitMaps

HISTORY = {"history": True}     # a growing (T, 1 + k) array, column 0 the step
NESTED = {"nested": True}       # a dict or list of snapshot parts that hold histories

# A bounded history holds at most 512 KiB of float64 (both processes keep one of each: ~35
# of them for the default net), but never fewer rows than MIN_HISTORY_ROWS. Wide per-unit
# histories (γ, β, running statistics) get 512-1024 rows: a plot draws at most 1500 points
# (plotting.MAX_POINTS) and these fill docks a few hundred pixels wide. At 2 MiB each they
# made ~18 MB per process that kept filling for the first 40k steps.
HISTORY_FLOATS = 1 << 16
MIN_HISTORY_ROWS = 512


def history_field(**kwargs):
    """A dataclass field that is a growing history (see the module docstring)."""
    return field(metadata=HISTORY, **kwargs)


def bounded_rows(width: int, rows: int | None) -> int | None:
    """Row limit of a bounded history ``width`` floats wide: ``rows``, fewer for wide rows
    (per-unit statistics of a wide layer), a power of two so thinning halves it cleanly."""
    if rows is None:
        return None
    fit = max(MIN_HISTORY_ROWS, HISTORY_FLOATS // max(1, width))
    limit = min(rows, fit)
    return 1 << max(2, limit.bit_length() - 1)


@dataclass
class LayerSnapshot:
    """What one hidden layer of one net looked like on the last training batch."""

    z_hist: np.ndarray                  # density of the dense output Z (before BN) on fixed bins
    out_hist: np.ndarray | None         # density of the BN output Z̃ (BN net only)
    a_hist: np.ndarray                  # density of the activation A
    bands: np.ndarray = history_field()  # (T, 1 + 3): step, 15/50/85th percentile of Z̃ (or Z)
    batch_mean: np.ndarray | None = None
    batch_var: np.ndarray | None = None
    running_mean: np.ndarray | None = None
    running_var: np.ndarray | None = None
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    # (T, 1 + 4·F): step, batch μ, batch σ², running μ, running σ²
    running_history: np.ndarray | None = history_field(default=None)
    # How many values of Z, Z̃ and A fell below / above the fixed bins (drawn as off-chart
    # counts), out of ``n_values`` (batch × units).
    z_off: tuple[int, int] = (0, 0)
    out_off: tuple[int, int] = (0, 0)
    a_off: tuple[int, int] = (0, 0)
    n_values: int = 0


@dataclass
class RunSnapshot:
    name: str
    packed: PackedNet                   # the net, a frozen copy: read it as ``net``
    train_curve: np.ndarray = history_field()   # (T, 2): step, batch loss
    eval_curve: np.ndarray = history_field()    # (T, 5): step, train loss/acc, val loss/acc
    diverged_at: int | None = None
    layers: list[LayerSnapshot] = field(default_factory=list, metadata=NESTED)
    last_loss: float = float("nan")
    # ‖dW‖ of each hidden layer's weights on the last training batch: tiny values in the first
    # layers are vanishing gradients (a plateau), whatever the histograms look like.
    grad_norms: np.ndarray | None = None
    # (T, 2): step, loss spread along the gradient (TwinTrainer's smoothness_every)
    smoothness: np.ndarray | None = history_field(default=None)

    @property
    def net(self) -> MLP:
        """The frozen net (built on first use): safe to evaluate from another thread."""
        return self.packed.net


@dataclass
class Snapshot:
    step: int
    config: TrainConfig
    runs: dict[str, RunSnapshot] = field(metadata=NESTED)
    z_edges: list[np.ndarray] = field(default_factory=list)   # fixed bins per layer for Z
    out_edges: list[np.ndarray] = field(default_factory=list)  # ... for Z̃ and A
    rate: RateReading | None = None     # the training rate measured while playing (rate.py)
    changes: tuple = ()                 # (step, name, value) of every mid-run change so far
    # Filled in the GUI process by the worker's receiver, not by the trainer:
    grid: DecisionGrid | None = None    # the newest decision regions (computed ~5 times a second)
    playing: bool = False               # the trainer is running (not paused)
    error: str | None = None            # the last command the trainer refused, one line
    run_id: int = 0                     # new with every reset
    live: bool = True                   # False: a stored snapshot the timeline replays
    unit_maps: UnitMaps | None = None   # both twins' unit pictures, when a panel asks
    # run → diagnostics.RunDiagnostics (gradients, update ratios, γ/β), when a panel asks
    diagnostics: dict | None = field(default=None, metadata=NESTED)


def map_histories(obj, fn: Callable[[tuple, np.ndarray], np.ndarray], key: tuple = ()) -> None:
    """Replace every history of ``obj`` (a snapshot or a part of one) by ``fn(key, rows)``;
    ``key`` names the history, e.g. ("runs", "bn", "layers", 0, "bands")."""
    for name, is_history in _marked_fields(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if is_history:
            setattr(obj, name, fn(key + (name,), value))
        else:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, part in items:
                map_histories(part, fn, key + (name, k))


_MARKED: dict[type, tuple[tuple[str, bool], ...]] = {}


def _marked_fields(cls: type) -> tuple[tuple[str, bool], ...]:
    """(name, is a history) of the history and nested fields of dataclass ``cls``, once per
    class: the receiver walks every snapshot (75 a second), and dataclasses.fields is slow."""
    marked = _MARKED.get(cls)
    if marked is None:
        marked = _MARKED[cls] = tuple(
            (f.name, bool(f.metadata.get("history"))) for f in dataclasses.fields(cls)
            if f.metadata.get("history") or f.metadata.get("nested"))
    return marked


def histories(obj) -> dict[tuple, np.ndarray]:
    """Every history of ``obj`` by its key (see map_histories)."""
    out: dict[tuple, np.ndarray] = {}

    def keep(key, rows):
        out[key] = rows
        return rows
    map_histories(obj, keep)
    return out


def copy_parts(obj):
    """A copy of ``obj`` down through its nested parts (arrays and nets are shared), so its
    histories and fields can be replaced without touching the original."""
    new = copy.copy(obj)
    for name, is_history in _marked_fields(type(obj)):
        value = getattr(obj, name)
        if not is_history and value is not None:
            if isinstance(value, dict):
                setattr(new, name, {k: copy_parts(v) for k, v in value.items()})
            else:
                setattr(new, name, [copy_parts(v) for v in value])
    return new
