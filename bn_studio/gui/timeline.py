"""Replay the run: a timeline slider that scrubs every panel together while training is paused.

The worker's receiver stores thinned snapshots (core.replay.SnapshotRing); ``Replay`` turns
stored frame i into a drawable snapshot (core.replay.restore) and hands it to every panel
through the model's usual ``snapshotReady``, marked ``live = False`` so time plots can draw a
cursor at its step. Play, Step, Reset or "Live" return to the newest state.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget
from superqt.utils import QSignalThrottler

from bn_studio.core.measure.replay import restore

SCRUB_HZ = 20           # a drag recomputes both nets' decision regions: 20 times a second
STEP_ROOM = "step 999999"   # the step label is never narrower: runs go on for hours


class Replay(QObject):
    """Which stored frame the panels show (``index``; None: the newest, live)."""

    changed = Signal(object)        # the replayed step, or None when back to live

    def __init__(self, model) -> None:
        super().__init__(model)
        self.model = model
        self.index: int | None = None
        self._from: tuple | None = None     # (run, step) of the newest state when it began

    @property
    def ring(self):
        return self.model.stored

    def show(self, index: int) -> bool:
        """Show stored frame ``index`` in every panel; only while paused. An index past the
        stored frames is the newest state (live). Returns whether a stored frame is shown."""
        frames = self.ring.frames()
        latest = self.model.newest()
        if self.model.playing or not frames or latest is None:
            return False
        index = max(0, int(index))
        if index >= len(frames):
            self.live()
            return False
        view = restore(frames[index], latest)
        if self.index is None:
            self._from = (latest.run_id, latest.step)
        self.index = index
        self.model.snapshot = view
        self.changed.emit(view.step)
        self.model.snapshotReady.emit(view)
        return True

    def live(self) -> None:
        """Back to the newest state."""
        if self.index is None:
            return
        self.index = None
        self.changed.emit(None)
        latest = self.model.newest()
        if latest is not None:
            self.model.snapshot = latest
            self.model.snapshotReady.emit(latest)

    def holds(self, snap) -> bool:
        """While replaying, the same state published again (a flush, a pause) is not shown;
        any newer state (a step, a change, a reset) ends the replay and is."""
        if self.index is None:
            return False
        if (snap.run_id, snap.step) == self._from:
            return True
        self.index = None
        self.changed.emit(None)
        return False


class TimelineBar(QWidget):
    """Replay slider over the stored snapshots (its last stop: the newest) and a Live button;
    the window's step label says which step is shown."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline")
        self.slider.setToolTip("Pause, then drag to replay the run: every panel shows the "
                               "stored state of that step; curves mark it with a cursor")
        self.slider.setRange(0, 0)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the newest state of the run")
        self.live_button.clicked.connect(model.replay.live)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Replay:"))
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.live_button)
        self._pending = 0
        self._throttle = QSignalThrottler(parent=self)
        self._throttle.setTimeout(int(1000 / SCRUB_HZ))
        self._throttle.triggered.connect(lambda: model.replay.show(self._pending))
        self.slider.valueChanged.connect(self._on_slider)
        model.snapshotReady.connect(self._on_snapshot)
        model.playingChanged.connect(self._on_playing)
        model.replay.changed.connect(lambda _: self._set_enabled())
        self._set_enabled()

    def _on_slider(self, value: int) -> None:
        self._pending = value
        self._throttle.throttle()

    def _on_snapshot(self, snap) -> None:
        if self.model.playing:              # disabled while training: nothing to move
            return
        n = len(self.model.replay.ring)
        if snap.live:                           # the stored frames, then the newest state
            self.slider.blockSignals(True)
            self.slider.setRange(0, n)
            self.slider.setValue(n)
            self.slider.blockSignals(False)
        self._set_enabled()

    def _on_playing(self, playing: bool) -> None:
        if not playing and self.model.snapshot is not None:
            self._on_snapshot(self.model.snapshot)
        self._set_enabled()

    def _set_enabled(self) -> None:
        paused = not self.model.playing
        self.slider.setEnabled(paused and len(self.model.replay.ring) > 0)
        self.live_button.setEnabled(self.model.replay.index is not None)


class StepLabel(QLabel):
    """The status bar's "step N", as wide as STEP_ROOM from step 0: the room left for the
    status bar's messages (why the rate falls behind) stays the same as the run goes on,
    instead of shrinking with every new digit and cutting them."""

    def __init__(self, parent=None) -> None:
        super().__init__("step 0", parent)
        self.setObjectName("step_label")
        self._fit()

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def _fit(self) -> None:
        """Hold the label at its size hint. A label of fixed size changes its text without
        asking its parents for a new layout: the step changes 10 times a second, and each
        change re-laid out the status bar and then the whole window (every dock repainted)."""
        hint = self.sizeHint()
        if self.minimumSize() != hint or self.maximumSize() != hint:
            self.setFixedSize(hint)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        m = self.contentsMargins()
        room = self.fontMetrics().horizontalAdvance(STEP_ROOM) + m.left() + m.right()
        return QSize(max(hint.width(), room), hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()
