"""Replay: thinned stored snapshots of the run, so every view can be scrubbed back in time.

The ring keeps a snapshot's "now" (histograms, BN statistics, the frozen nets, the grid's
extent), not its histories: those only grow, so the newest snapshot holds them all and a
replayed view borrows them (``restore``). Memory stays bounded: when the ring is full it
keeps every other frame (the first always) and then stores new ones half as densely, like
stats.Series does for the curves; the frame count also shrinks for wide nets (a byte budget).
"""

from __future__ import annotations

import threading

import numpy as np

from .grid import GRID_RESOLUTION, DecisionGrid, decision_grid
from .snapshot import Snapshot, copy_parts, histories, map_histories
from .unit_maps import twin_unit_maps

REPLAY_FRAMES = 256             # at most this many stored snapshots per run ...
REPLAY_BYTES = 32 << 20         # ... and about this much memory for them
MIN_FRAMES = 16


def frame_of(snap: Snapshot) -> Snapshot:
    """What the ring stores of ``snap``: its parts without the histories (empty arrays of the
    same width), its packed nets without a built MLP, and its grid without the probabilities
    (recomputed from the nets on replay)."""
    frame = copy_parts(snap)
    map_histories(frame, lambda key, rows: np.empty((0,) + rows.shape[1:], rows.dtype))
    for run in frame.runs.values():
        run.packed = run.packed.bare()      # not the MLP a reader built
    if snap.grid is not None:
        frame.grid = DecisionGrid(snap.grid.extent, {}, snap.grid.step)
    frame.unit_maps = None                  # recomputed on replay if a panel shows them
    return frame


def frame_nbytes(frame: Snapshot) -> int:
    """About the memory one stored frame keeps alive: the packed nets, plus a few kB of
    histograms and statistics per layer."""
    return sum(run.packed.nbytes + 4096 * max(1, len(run.layers))
               for run in frame.runs.values())


class SnapshotRing:
    """Stored frames of one run, oldest first, evenly thinned; safe to use from two threads
    (the worker's receiver adds, the GUI reads)."""

    def __init__(self, max_frames: int = REPLAY_FRAMES, max_bytes: int = REPLAY_BYTES) -> None:
        self.max_frames, self.max_bytes = max_frames, max_bytes
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._frames: list[Snapshot] = []
            self.capacity = self.max_frames
            self.gap = 1            # the fewest steps between two stored frames

    def add(self, snap: Snapshot) -> None:
        """Store ``snap`` if it is at least ``gap`` steps past the last frame (the newest
        state itself is the live one); a new run or an earlier step starts afresh."""
        with self._lock:
            frames = self._frames
            if frames and (snap.run_id != frames[-1].run_id or snap.step < frames[-1].step):
                frames.clear()
                self.gap = 1
            if frames and 0 < snap.step - frames[-1].step < self.gap:
                return                              # too close: most snapshots end here
            frame = frame_of(snap)
            if not frames:
                fit = self.max_bytes // max(1, frame_nbytes(frame))
                self.capacity = max(MIN_FRAMES, min(self.max_frames, int(fit)) // 2 * 2)
            if frames and frame.step == frames[-1].step:
                frames[-1] = frame                  # the newest state of that step
            else:
                frames.append(frame)
            if len(frames) > self.capacity:
                self._halve()

    def _halve(self) -> None:
        """Keep every other frame (the first always), then store half as densely."""
        kept = self._frames[::2]
        span = kept[-1].step - kept[0].step
        self.gap = max(2 * self.gap, int(np.ceil(span / max(1, len(kept) - 1))))
        self._frames = kept

    def frames(self) -> list[Snapshot]:
        with self._lock:
            return list(self._frames)

    def steps(self) -> np.ndarray:
        with self._lock:
            return np.array([f.step for f in self._frames], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._frames)

    def spread(self, upto_step: int, n: int) -> list[Snapshot]:
        """Up to ``n`` frames before ``upto_step``, evenly spaced in steps from the first,
        oldest first (the overlay and offset views of the histograms)."""
        frames = [f for f in self.frames() if f.step < upto_step]
        if not frames or n <= 0:
            return []
        steps = np.array([f.step for f in frames], dtype=np.float64)
        targets = np.linspace(steps[0], upto_step, n + 1)[:-1]
        picks = np.unique([int(np.argmin(np.abs(steps - t))) for t in targets])
        return [frames[i] for i in picks]


def restore(frame: Snapshot, latest: Snapshot | None,
            resolution: int | None = None) -> Snapshot:
    """A drawable snapshot of ``frame``: its own state, the decision regions of its nets
    recomputed, and the newest histories of the run (curves show the whole run; views mark
    the frame's step). ``live`` is False so views can tell a replay from training."""
    view = copy_parts(frame)
    for run in view.runs.values():
        run.packed = run.packed.bare()      # the view's readers build its MLP, not the frame's
    if latest is not None and latest.run_id == frame.run_id:
        full = histories(latest)
        map_histories(view, lambda key, rows: full.get(key, rows))
    if frame.grid is not None:
        if resolution is None and latest is not None and latest.grid is not None \
                and latest.grid.probs:
            resolution = next(iter(latest.grid.probs.values())).shape[0]
        nets = {name: run.net for name, run in view.runs.items()}
        view.grid = decision_grid(nets, frame.grid.extent, frame.step,
                                  resolution or GRID_RESOLUTION)
    if latest is not None and latest.unit_maps is not None and view.runs:
        nets = {name: run.net for name, run in view.runs.items()}
        view.unit_maps = twin_unit_maps(nets, latest.unit_maps.extent, frame.step,
                                        frame.config.activation)
    view.live = False
    view.playing = False
    return view
