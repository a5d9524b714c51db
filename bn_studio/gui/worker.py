"""The training worker: a plain thread that owns the TwinTrainer and publishes snapshots.

The GUI never touches the live networks. It sends commands (play, pause, step, reset, speed)
through a queue and, on its own display timer, picks up only the newest snapshot; snapshots
that nobody looked at are simply replaced, so a slow screen never slows training down.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

import numpy as np

from bn_studio.core.trainer import Snapshot, TrainConfig, TwinTrainer

log = logging.getLogger(__name__)

SNAPSHOT_INTERVAL_S = 1 / 40        # publish a little faster than the 30 fps display timer
GRID_INTERVAL_S = 0.2               # decision regions are the costly part: 5 per second
GRID_RESOLUTION = 90
GRID_MARGIN = 0.6                   # extra room around the data, in standardised units


class TrainingWorker:
    """Owns the trainer on a background thread; every public method is safe to call from the GUI."""

    def __init__(self) -> None:
        self._commands: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._fresh = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bn-studio-trainer", daemon=True)
        self.playing = False
        self.steps_per_second: float | None = None      # None: as fast as possible
        self.max_steps: int | None = None               # pause by itself after this many steps
        self.error: str | None = None
        self._trainer: TwinTrainer | None = None
        self._grid_extent = (-3.0, 3.0, -3.0, 3.0)
        self._grid_time = 0.0
        self._grid: dict | None = None
        self._thread.start()

    # ---- commands (GUI thread) --------------------------------------------------------
    def reset(self, config: TrainConfig, split) -> None:
        self._commands.put(("reset", (config, split)))

    def play(self) -> None:
        self.playing = True         # at once, so the GUI's buttons never lag the command
        self._commands.put(("play", None))

    def pause(self) -> None:
        self.playing = False
        self._commands.put(("pause", None))

    def step(self, n: int = 1) -> None:
        self.playing = False
        self._commands.put(("step", n))

    def set_speed(self, steps_per_second: float | None) -> None:
        self.steps_per_second = steps_per_second

    def latest(self) -> Snapshot | None:
        """The newest snapshot if it is new since the last call, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._latest

    def peek(self) -> Snapshot | None:
        with self._lock:
            return self._latest

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued command has been handled (for tests and screenshots)."""
        done = threading.Event()
        self._commands.put(("notify", done))
        return done.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._commands.put(("quit", None))
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # ---- the loop (worker thread) -------------------------------------------------------
    def _loop(self) -> None:
        last_publish = 0.0
        while not self._stop.is_set():
            block = not (self.playing and self._trainer is not None)
            try:
                cmd, arg = self._commands.get(block=block, timeout=0.1 if block else None)
            except queue.Empty:
                cmd, arg = None, None
            if cmd is not None:
                try:
                    self._handle(cmd, arg)
                except Exception as e:     # a bad config must never kill the worker
                    log.exception("training command %s failed", cmd)
                    self.error = str(e)
                    self.playing = False
                    self._publish(force=True)
                continue
            if not self.playing or self._trainer is None:
                continue
            t0 = time.perf_counter()
            try:
                self._trainer.step()
            except Exception as e:
                log.exception("training step failed")
                self.error = str(e)
                self.playing = False
                self._publish(force=True)
                continue
            if self._trainer.all_diverged or (
                    self.max_steps is not None and self._trainer.step_count >= self.max_steps):
                self.playing = False
                self._publish(force=True)
                continue
            now = time.perf_counter()
            if now - last_publish >= SNAPSHOT_INTERVAL_S:
                self._publish()
                last_publish = time.perf_counter()
            if self.steps_per_second:
                delay = 1.0 / self.steps_per_second - (time.perf_counter() - t0)
                if delay > 0:
                    self._stop.wait(delay)

    def _handle(self, cmd: str, arg) -> None:
        if cmd == "reset":
            config, split = arg
            self.error = None
            self._trainer = TwinTrainer(config, split)
            self._grid_extent = _extent(split)
            self._grid = None
            self._publish(force=True)
        elif cmd == "play":
            self.playing = self._trainer is not None
        elif cmd == "pause":
            self.playing = False
            self._publish(force=True)
        elif cmd == "step":
            self.playing = False
            if self._trainer is not None:
                for _ in range(int(arg)):
                    self._trainer.step()
                self._publish(force=True)
        elif cmd == "notify":
            arg.set()

    def _publish(self, force: bool = False) -> None:
        if self._trainer is None:
            return
        snap = self._trainer.snapshot()
        now = time.perf_counter()
        if force or self._grid is None or now - self._grid_time >= GRID_INTERVAL_S:
            self._grid = self._decision_grid(snap)
            self._grid_time = now
        snap.extra["grid"] = self._grid
        snap.extra["error"] = self.error
        snap.extra["playing"] = self.playing
        with self._lock:
            self._latest = snap
            self._fresh = True

    def _decision_grid(self, snap: Snapshot) -> dict:
        """Class probabilities of both nets on a regular grid over the data (eval mode)."""
        x0, x1, y0, y1 = self._grid_extent
        xs = np.linspace(x0, x1, GRID_RESOLUTION)
        ys = np.linspace(y0, y1, GRID_RESOLUTION)
        gx, gy = np.meshgrid(xs, ys)
        pts = np.column_stack([gx.ravel(), gy.ravel()])
        probs = {}
        for name, run in snap.runs.items():
            with np.errstate(all="ignore"):
                p = run.net.predict_proba(pts)
            probs[name] = p.reshape(GRID_RESOLUTION, GRID_RESOLUTION, -1)
        return {"extent": self._grid_extent, "probs": probs, "step": snap.step}


def _extent(split) -> tuple[float, float, float, float]:
    X = np.concatenate([split.X_train, split.X_val])
    lo, hi = X.min(axis=0) - GRID_MARGIN, X.max(axis=0) + GRID_MARGIN
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
