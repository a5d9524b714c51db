"""The studio window: decision regions in the centre, panels in docks, transport in the toolbar."""

from __future__ import annotations

import importlib
import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDockWidget, QLabel, QMainWindow, QMessageBox,
                               QToolBar, QWidget)

from .model import FIRST_RUN_HINT, StudioModel

log = logging.getLogger(__name__)

# (module under bn_studio.gui.panels, class name), in the order their docks are added.
PANEL_CLASSES = [
    ("decision_regions", "DecisionRegionsPanel"),
    ("datasets", "DatasetsPanel"),
    ("network", "NetworkPanel"),
    ("curves", "CurvesPanel"),
    ("histograms", "HistogramsPanel"),
    ("test_time_bn", "TestTimeBNPanel"),
    ("softmax_inspector", "SoftmaxInspectorPanel"),
    ("tuning", "TuningPanel"),
]

# Speeds offered in the toolbar: training steps per second (None = as fast as possible).
SPEEDS = [("Max speed", None), ("300 steps/s", 300.0), ("100 steps/s", 100.0),
          ("30 steps/s", 30.0), ("10 steps/s", 10.0), ("2 steps/s", 2.0)]


def available_panels() -> list[type]:
    classes = []
    for module, cls in PANEL_CLASSES:
        try:
            mod = importlib.import_module(f"bn_studio.gui.panels.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"bn_studio.gui.panels.{module}":
                raise
            continue
        classes.append(getattr(mod, cls))
    return classes


class MainWindow(QMainWindow):
    def __init__(self, model: StudioModel | None = None) -> None:
        super().__init__()
        self.setWindowTitle("BN Studio")
        self.model = model or StudioModel(self)
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks
                            | QMainWindow.AllowNestedDocks)
        self._build_toolbar()
        self._build_panels()
        self._build_statusbar()
        self.model.playingChanged.connect(self._on_playing)
        self.model.snapshotReady.connect(self._on_snapshot)
        self.model.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.model.errorOccurred.connect(self._show_error)
        self.resize(1600, 1000)
        self.model.datasetChanged.emit(self.model.split)
        self.model.configChanged.emit(self.model.config)
        self.model.reset()

    # ---- building ---------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        tb = QToolBar("Transport", self)
        tb.setObjectName("transport")
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.TopToolBarArea, tb)
        self.act_play = QAction("▶ Play", self, checkable=True)
        self.act_play.setShortcut(QKeySequence(Qt.Key_Space))
        self.act_play.setToolTip("Train both nets continuously (Space)")
        self.act_play.triggered.connect(lambda on: self.model.play() if on else self.model.pause())
        self.act_step = QAction("Step", self)
        self.act_step.setShortcuts([QKeySequence(Qt.Key_S), QKeySequence(Qt.Key_Right)])
        self.act_step.setToolTip("One mini-batch step for both nets (S or →)")
        self.act_step.triggered.connect(lambda: self.model.step(1))
        self.act_reset = QAction("Reset", self)
        self.act_reset.setShortcut(QKeySequence(Qt.Key_R))
        self.act_reset.setToolTip("New initial weights from the seed; step 0 (R)")
        self.act_reset.triggered.connect(self.model.reset)
        for a in (self.act_play, self.act_step, self.act_reset):
            tb.addAction(a)
        tb.addSeparator()
        self.speed = QComboBox(self)
        self.speed.setToolTip("How many training steps per second; slow it down to watch "
                              "single updates")
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.currentIndexChanged.connect(
            lambda i: self.model.set_speed(self.speed.itemData(i)))
        tb.addWidget(QLabel(" Speed: "))
        tb.addWidget(self.speed)
        tb.addSeparator()
        self.hint = QLabel("  " + FIRST_RUN_HINT)
        self.hint.setObjectName("hint")
        tb.addWidget(self.hint)
        self.toolbar = tb

    def _build_panels(self) -> None:
        areas = {"left": Qt.LeftDockWidgetArea, "right": Qt.RightDockWidgetArea,
                 "bottom": Qt.BottomDockWidgetArea}
        first_in_area: dict[str, QDockWidget] = {}
        for cls in available_panels():
            panel = cls(self.model, self)
            self.panels[panel.name] = panel
            if panel.area == "center":
                self.setCentralWidget(panel)
                continue
            dock = QDockWidget(panel.title, self)
            dock.setObjectName(f"dock_{panel.name}")
            dock.setWidget(panel)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            self.addDockWidget(areas[panel.area], dock)
            if panel.area in first_in_area and panel.area != "left":
                self.tabifyDockWidget(first_in_area[panel.area], dock)
            first_in_area.setdefault(panel.area, dock)
            self.docks[panel.name] = dock
        for dock in first_in_area.values():
            dock.raise_()

    def _build_statusbar(self) -> None:
        self.step_label = QLabel("step 0")
        self.step_label.setObjectName("step_label")
        self.statusBar().addPermanentWidget(self.step_label)

    # ---- reacting -----------------------------------------------------------------------
    def _on_playing(self, playing: bool) -> None:
        self.act_play.setChecked(playing)
        self.act_play.setText("⏸ Pause" if playing else "▶ Play")

    def _on_snapshot(self, snap) -> None:
        parts = [f"step {snap.step}"]
        for name, run in snap.runs.items():
            if run.diverged_at is not None:
                label = "BN" if name == "bn" else "no BN"
                parts.append(f"{label}: diverged at step {run.diverged_at}")
        self.step_label.setText("   ".join(parts))

    def _show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)
        if self.isVisible():
            # open(), not exec(): the message never blocks the event loop (or a test).
            box = QMessageBox(QMessageBox.Warning, "BN Studio", text, QMessageBox.Ok, self)
            box.setAttribute(Qt.WA_DeleteOnClose)
            box.open()

    def closeEvent(self, event) -> None:
        for panel in self.panels.values():
            close = getattr(panel, "shutdown", None)
            if close is not None:
                close()
        self.model.shutdown()
        super().closeEvent(event)
