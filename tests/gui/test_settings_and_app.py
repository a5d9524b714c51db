"""What persists between launches, and what the app does with an unexpected error."""

import logging
import sys

from PySide6.QtCore import Qt

from bn_studio.core.trainer import TrainConfig
from bn_studio.gui import logs, settings
from bn_studio.gui.main_window import MainWindow
from bn_studio.gui.model import DatasetSpec


def test_settings_round_trip(qtbot):
    settings.settings().clear()
    first = MainWindow(restore=True)
    qtbot.addWidget(first)
    first.model.set_spec(DatasetSpec("circles", n=300, noise=0.1, classes=3, seed=2))
    first.model.set_config(TrainConfig(hidden=(12, 12), activation="tanh", lr=0.03))
    first.set_theme("dark")
    first.docks["curves"].setFloating(False)
    first.addDockWidget(Qt.LeftDockWidgetArea, first.docks["curves"])
    first.show()
    first.close()                     # saves
    second = MainWindow(restore=True)
    qtbot.addWidget(second)
    try:
        assert second.model.spec == DatasetSpec("circles", n=300, noise=0.1, classes=3, seed=2)
        assert second.model.config.hidden == (12, 12)
        assert second.model.config.activation == "tanh"
        assert second.theme == "dark"
        assert second.dockWidgetArea(second.docks["curves"]) == Qt.LeftDockWidgetArea
        second.reset_layout()
        assert second.dockWidgetArea(second.docks["curves"]) == Qt.BottomDockWidgetArea
    finally:
        second.set_theme("light")
        second.close()
        settings.settings().clear()


def test_broken_settings_are_ignored(qtbot):
    s = settings.settings()
    s.setValue("config", "{not json")
    s.setValue("dataset", '{"name": "nope"}')
    win = MainWindow(restore=True)
    qtbot.addWidget(win)
    try:
        assert win.model.config is not None and win.model.dataset is not None
    finally:
        win.close()
        settings.settings().clear()


def test_uncaught_exception_goes_to_log_and_dialog(tmp_path, monkeypatch):
    shown = []
    path = logs.setup_logging()
    old = sys.excepthook
    try:
        logs.install_excepthook(lambda title, text: shown.append((title, text)))
        try:
            raise RuntimeError("boom in a slot")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = old
    assert shown and "boom in a slot" in shown[0][1]
    for h in logging.getLogger().handlers:
        h.flush()
    assert "boom in a slot" in path.read_text()


def test_help_overlay_and_about_open(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    try:
        win.show_help("histograms")
        from bn_studio.gui.help_overlay import HelpOverlay
        overlays = win.panels["histograms"].findChildren(HelpOverlay)
        assert overlays and "percentiles" in overlays[0].text()
        win.show_about()
    finally:
        win.close()
