"""The studio's state as one Qt object that every panel subscribes to (napari-style model/view).

Panels never talk to each other: they read the model's signals and call its methods. The model
owns the training worker and a 60 fps display timer that emits only the newest snapshot.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from bn_studio.core import limits
from bn_studio.core.data.datasets import Dataset, DatasetError, DatasetSpec, split_and_standardize
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET, DEFAULT_SPEED
from bn_studio.core.training.params import BY_NAME, LIVE
from bn_studio.core.measure.snapshot import Snapshot
from bn_studio.core.training.trainer import TrainConfig, split_for
from bn_studio.live.worker import TrainingWorker

from .frames import FrameBudget
from .search_model import SearchModel
from .timeline import Replay

log = logging.getLogger(__name__)

REDRAW_INTERVAL_MS = 16       # a frame per refresh of a 60 Hz display
# A panel's redraw waits this long after the one before (FrameBudget's defer). At 0 ms it
# was a posted event: Qt sends the events posted while it sends posted events in the same
# pass, so a tick's redraws and repaints could still follow one another with no timer (a
# click, the display tick) in between. With every panel shown (benchmarks/gui_live.py's
# setup, 3 runs each, alternating) 0.4-0.8 % of a 5 ms timer's firings were over 17 ms
# late, against 1.4-2.3 %.
DEFER_MS = 2
LATE_LOOK_MS = 3              # a tick with no new snapshot looks again this much later,
LATE_LOOKS = 3                # up to this many times (the next tick is 16 ms after it)


class StudioModel(QObject):
    """Dataset, training config and training state; panels connect to the signals."""

    datasetChanged = Signal(object)     # Split (standardised train/val data, class names)
    configChanged = Signal(object)      # TrainConfig
    snapshotReady = Signal(object)      # Snapshot: newest only, from the display timer
    pointSelected = Signal(object)      # np.ndarray (2,) in standardised input coordinates
    pointCleared = Signal()             # no point selected (new data: the old one meant another)
    playingChanged = Signal(bool)
    speedChanged = Signal(object)       # steps per second, None = as fast as possible
    message = Signal(str)               # one-line status for the status bar
    errorOccurred = Signal(str)         # something the user must read (bad input, divergence)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = TrainingWorker()
        self.replay = Replay(self)          # the timeline: stored snapshots shown while paused
        self.searches = SearchModel(self)      # every search; panels that show them are views
        # Panels' live redraws, spread over the ticks, one per turn of the event loop.
        self.frames = FrameBudget(defer=lambda f: QTimer.singleShot(DEFER_MS, self, f))
        # The default run (core/defaults.py): the app opens with it and `bn-studio train`
        # with no options runs it.
        self.spec: DatasetSpec | None = DEFAULT_DATASET
        self.dataset: Dataset = DEFAULT_DATASET.make()
        self.split = split_and_standardize(self.dataset, seed=0)
        self.config: TrainConfig = DEFAULT_CONFIG
        self.snapshot: Snapshot | None = None
        self.selected_point: np.ndarray | None = None
        self._reported_divergence: set[str] = set()
        self._last_error: str | None = None
        self.speed: float | None = None
        self.set_speed(DEFAULT_SPEED)
        self._ticks = 0                     # display ticks so far (a late look of an old
        self.timer = QTimer(self)           # one stops when the next has come)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(REDRAW_INTERVAL_MS)
        self.timer.timeout.connect(self._poll)
        self.timer.start()

    def set_spec(self, spec: DatasetSpec) -> bool:
        """Generate a dataset from the gallery; on bad settings keep the current one."""
        try:
            ds = spec.make()
        except DatasetError as e:
            self.errorOccurred.emit(str(e))
            return False
        self.spec = spec
        return self.set_dataset(ds, keep_spec=True)

    def set_dataset(self, dataset: Dataset, keep_spec: bool = False, split=None) -> bool:
        """Use an imported or drawn dataset; nothing changes if it cannot be split. ``split``:
        its split_and_standardize(dataset, seed=0), if already made (off the GUI thread); made
        anew if the config feeds the inputs unstandardised."""
        try:
            if split is None or not self.config.standardize:
                split = split_for(dataset, self.config)
        except DatasetError as e:
            self.errorOccurred.emit(str(e))
            return False
        try:
            limits.check_app_points(dataset.X.shape[0], dataset.name)
            limits.check_trainer_size(dataset.X.shape[0], self.config.hidden)
        except ValueError as e:
            self.errorOccurred.emit(str(e) if str(e).startswith(dataset.name)
                                    else f"{dataset.name}: {e}")
            return False
        if not keep_spec:
            self.spec = None
        self.dataset, self.split = dataset, split
        self.clear_point()
        if dataset.skipped_rows:
            self.message.emit(f"{dataset.name}: skipped {dataset.skipped_rows} rows with "
                              "missing values")
        self.datasetChanged.emit(split)
        self.reset()
        return True

    def set_config(self, config: TrainConfig, reset: bool = True, live: bool = False) -> None:
        """New settings. ``live`` (the user's edits): if the twins have trained and only live
        settings changed (α, β's, λ, decay, BN's β), they change mid-run, marked on the
        curves; otherwise (a lesson, a workspace, a new network) a reset."""
        try:
            limits.check_trainer_size(self.dataset.X.shape[0], config.hidden)
        except ValueError as e:                 # keep the config that works; panels show it
            self._report(str(e))
            self.configChanged.emit(self.config)
            return
        changes = self._live_changes(config) if live else []
        split = self._split_for(config)
        if split is None:
            self.configChanged.emit(self.config)
            return
        self.config = config
        if split is not self.split:
            self.split = split
            self.clear_point()
            self.datasetChanged.emit(split)
            changes, reset = [], True           # other inputs: the nets start again
        self.configChanged.emit(config)
        if changes:
            for name, value in changes:
                self.worker.change(name, value)
            names = [BY_NAME[n].label_for(config.optimizer) if n in BY_NAME else n
                     for n, _ in changes]              # the panel's names, not "lr"
            self.message.emit("Changed " + ", ".join(f"{n} to {v:g}" for n, (_, v) in
                                                     zip(names, changes))
                              + " while training: marked on the curves (Reset starts over)")
        elif reset:
            self.reset()

    def _split_for(self, config: TrainConfig):
        """The split ``config``'s nets see (standardised or not, x₂'s scale): the current
        one if that does not change; None (said in one line) if it cannot be made."""
        old = self.config
        if config.standardize and old.standardize or (
                (config.standardize, config.x2_scale) == (old.standardize, old.x2_scale)):
            return self.split           # standardising undoes any x₂ scale
        try:
            return split_for(self.dataset, config)
        except DatasetError as e:
            self._report(str(e))
            return None

    def _live_changes(self, config: TrainConfig) -> list[tuple[str, float]]:
        """The (name, value) pairs to change mid-run, or [] if a reset is needed."""
        if self.snapshot is None or self.snapshot.step == 0 or config == self.config:
            return []
        old, new = self.config.to_dict(), config.to_dict()
        differ = [k for k in new if new[k] != old[k]]
        if not all(k in LIVE for k in differ):
            return []
        return [(k, float(new[k])) for k in differ]

    def reset(self) -> None:
        was_playing = self.playing
        self._reported_divergence.clear()
        self.worker.pause()
        self.worker.reset(self.config, self.split)
        if was_playing:
            self.worker.play()

    def play(self) -> None:
        self.replay.live()
        self.worker.play()
        self.playingChanged.emit(True)

    def pause(self) -> None:
        self.worker.pause()
        self.playingChanged.emit(False)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, n: int = 1) -> None:
        self.worker.step(n)
        self.playingChanged.emit(False)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Training steps per second while playing (None: as fast as the machine goes)."""
        if steps_per_second == self.speed:
            return
        self.speed = steps_per_second
        self.worker.set_speed(steps_per_second)
        self.speedChanged.emit(steps_per_second)

    def shift_inputs(self, offset, validation_only: bool = False) -> None:
        """Covariate shift without a reset: the nets keep training on moved inputs (or, with
        ``validation_only``, on the same inputs while they are evaluated on moved ones)."""
        c = np.asarray(offset, dtype=np.float64).reshape(1, 2)
        moved = 0.0 if validation_only else c
        self.split = dataclasses.replace(self.split, X_train=self.split.X_train + moved,
                                         X_val=self.split.X_val + c)
        self.worker.shift_inputs(c[0], validation_only)
        self.datasetChanged.emit(self.split)
        what = ("validation inputs only: a shift at test time, training goes on unshifted"
                if validation_only else "a covariate shift, training goes on")
        self.message.emit(f"Inputs shifted by ({c[0, 0]:+.1f}, {c[0, 1]:+.1f}): {what}")

    def select_point(self, xy) -> None:
        self.selected_point = np.asarray(xy, dtype=np.float64).reshape(2)
        self.pointSelected.emit(self.selected_point)

    def clear_point(self) -> None:
        """Forget the selected point (it was clicked on other data)."""
        if self.selected_point is not None:
            self.selected_point = None
            self.pointCleared.emit()

    def show_unit_maps(self, on: bool) -> None:
        """Have the training process draw every hidden unit's picture (Snapshot.unit_maps)
        while ``on`` (only while a panel shows them: they cost training time)."""
        self.worker.show_unit_maps(on)

    @property
    def playing(self) -> bool:
        """Whether the run trains: what the user last asked for until the training process
        has answered it, then what the process says (it also pauses by itself)."""
        return self.worker.playing

    def newest(self):
        """The newest snapshot of the run, even while the timeline shows a stored one."""
        return self.worker.peek()

    def pause_at(self, step: int | None) -> None:
        """Have the training process pause by itself once it reaches ``step`` (None: never)."""
        self.worker.set_max_steps(step)

    @property
    def training_alive(self) -> bool:
        """Whether the training process still runs (it ends only with the model, or a crash)."""
        return self.worker.alive

    @property
    def stored(self):
        """The run's stored snapshots (core.replay.SnapshotRing) that the timeline replays."""
        return self.worker.replay

    def flush(self, timeout: float = 10.0) -> None:
        """Wait for the worker to finish queued commands, then deliver the newest snapshot."""
        self.worker.wait_idle(timeout)
        self._show_newest()
        self.frames.flush()

    def shutdown(self) -> None:
        self.timer.stop()
        self.frames.clear()
        self.searches.shutdown()
        self.worker.stop()

    def _report(self, text: str) -> None:
        log.error("%s", text)
        self.errorOccurred.emit(text)

    def _recover(self, failures: list[str]) -> None:
        """The training process could not build a trainer: say why (window and log), then
        start afresh from the first-run dataset and network, unless those were what failed."""
        for text in failures:
            self._report(text)
        if self.config == DEFAULT_CONFIG and self.spec == DEFAULT_DATASET:
            return
        self.spec, self.dataset = DEFAULT_DATASET, DEFAULT_DATASET.make()
        self.split = split_and_standardize(self.dataset, seed=0)
        self.config = DEFAULT_CONFIG
        self.datasetChanged.emit(self.split)
        self.configChanged.emit(self.config)
        self.message.emit("Training restarted with the first-run dataset and network.")
        self.reset()

    def _poll(self) -> None:
        """The display tick: the newest snapshot, then the redraws panels asked for, as many
        as fit this tick (FrameBudget). While training, a tick that finds no new snapshot
        looks again a few ms later (LATE_LOOKS): snapshots come ~75 a second but not evenly,
        and one that came just after a tick waited for the next, a frame missed (56 frames
        a second from 62 ticks)."""
        self._ticks += 1
        self._look(self._ticks, LATE_LOOKS)

    def _look(self, tick: int, looks_left: int) -> None:
        if tick != self._ticks:             # the next tick came first: it goes on
            return
        if not self._show_newest() and looks_left > 0 and self.worker.playing:
            QTimer.singleShot(LATE_LOOK_MS, self, lambda: self._look(tick, looks_left - 1))
            return
        self.frames.run()                   # once a tick, shown or not

    def _show_newest(self) -> bool:
        """Emit the newest snapshot if there is one not shown yet; whether there was."""
        failures = self.worker.failures()
        if failures:
            self._recover(failures)
        snap = self.worker.latest()
        shown = snap is not None and not self.replay.holds(snap)
        if shown:
            self.snapshot = snap
            self._tell(snap)
        if self.worker.paused_by_itself():
            self.playingChanged.emit(False)
        if shown:
            self.snapshotReady.emit(snap)
        return shown

    def _tell(self, snap) -> None:
        """Say what is new in ``snap``: an error, a net that diverged (once each)."""
        err = snap.error
        if err and err != self._last_error:
            self.errorOccurred.emit(err)
        self._last_error = err
        for name, run in snap.runs.items():
            if run.diverged_at is not None and name not in self._reported_divergence:
                self._reported_divergence.add(name)
                label = "with BN" if name == "bn" else "without BN"
                # Short: the status bar shares its line with the replay bar, and the hint
                # already says what to do about it.
                self.message.emit(f"The net {label} diverged at step {run.diverged_at}; "
                                  "the other keeps training.")
