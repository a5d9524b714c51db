"""The studio window: decision regions in the centre, panels in docks, transport in the toolbar."""

from __future__ import annotations

import importlib
import logging

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow,
                               QMessageBox, QScrollArea, QSizePolicy, QToolBar, QWidget)

from bn_studio.core.datasets import DATASETS
from bn_studio.workspace import (WorkspaceError, check_workspace, load_workspace,
                                 save_workspace)

from . import exports
from .hint import HintState, hint_text, is_default_run
from .model import StudioModel
from .theme import RUN_LABELS

log = logging.getLogger(__name__)

# (module under bn_studio.gui.panels, class name), in the order their docks are added.
PANEL_CLASSES = [
    ("decision_regions", "DecisionRegionsPanel"),
    ("datasets", "DatasetsPanel"),
    ("network", "NetworkPanel"),
    ("curves", "CurvesPanel"),
    ("histograms", "HistogramsPanel"),
    ("unit_maps", "UnitMapsPanel"),
    ("bn_at_test_time", "TestTimeBNPanel"),
    ("softmax_inspector", "SoftmaxInspectorPanel"),
    ("tuning", "TuningPanel"),
    ("lessons", "LessonsPanel"),
]

# Dock sizes as shares of the window's width/height, within pixel bounds, so the decision
# regions keep a usable centre from 1366×768 up to a projector's 1920×1080.
DOCK_WIDTH_LEFT = (0.22, 280, 330)
DOCK_WIDTH_RIGHT = (0.36, 420, 640)
DOCK_HEIGHT_BOTTOM = (0.3, 210, 300)
SCREEN_SHARE = 0.9          # a first launch takes at most 90 % of the available screen
DEFAULT_SIZE = (1600, 1000)
HINT_MIN_WIDTH_PX = 320
TIMELINE_MIN_WIDTH_PX = 420

# Speeds offered in the toolbar: training steps per second (None = as fast as possible).
SPEEDS = [("Max speed", None), ("300 steps/s", 300.0), ("100 steps/s", 100.0),
          ("60 steps/s", 60.0), ("30 steps/s", 30.0), ("10 steps/s", 10.0),
          ("2 steps/s", 2.0)]


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
    """``restore=True`` (the app) brings back the last layout, dataset, network and theme."""

    def __init__(self, model: StudioModel | None = None, restore: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("BN Studio")
        self.model = model or StudioModel(self)
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.theme = "light"
        self.workspace_path: Path | None = None
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks
                            | QMainWindow.AllowNestedDocks)
        self._build_toolbar()
        self._build_panels()
        self._default_state = self.saveState()
        self._build_menus()
        self._build_statusbar()
        self.model.playingChanged.connect(self._on_playing)
        self.model.snapshotReady.connect(self._on_snapshot)
        self.model.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.model.errorOccurred.connect(self._show_error)
        self.model.speedChanged.connect(self._on_speed)
        self.model.configChanged.connect(lambda _: self._on_settings())
        self.model.datasetChanged.connect(lambda _: self._on_settings())
        self._on_speed(self.model.speed)
        self.fit_to_screen()
        self.model.datasetChanged.emit(self.model.split)
        self.model.configChanged.emit(self.model.config)
        self._save_settings_on_close = restore
        self._layout_restored = False
        if restore:
            from . import settings
            first_launch = not settings.has_saved_state()
            settings.restore_window(self)
            self._layout_restored = not first_launch
            if first_launch and "lessons" in self.panels:
                self.show_start_page()
        self.model.reset()

    def showEvent(self, event) -> None:
        # Dock sizes set before the first show (or before a theme's style sheet re-polished
        # the widgets) do not stick: size them once more for the window as shown.
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            self.size_docks(self.width(), self.height())

    # ---- building ---------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        tb = QToolBar("Transport", self)
        tb.setObjectName("transport")
        tb.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.addToolBar(Qt.TopToolBarArea, tb)
        self.act_play = QAction("Play", self, checkable=True)
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
        from .resources import toolbar_icon
        for a, icon in ((self.act_play, "play"), (self.act_step, "step"),
                        (self.act_reset, "reset")):
            a.setIcon(toolbar_icon(icon))
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
        self.hint = QLabel()
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setMinimumWidth(HINT_MIN_WIDTH_PX)
        # Room for two lines from the start, so a longer hint never moves the panels below.
        self.hint.setFixedHeight(2 * self.hint.fontMetrics().lineSpacing() + 6)
        self.hint.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(self.hint)
        self.toolbar = tb
        self._hint_state: HintState | None = None
        self._default_run = False       # the app's default dataset and network (for the hint)

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
            # Panels scroll rather than overlap their neighbours or hold the window larger
            # than a laptop or projector screen (1366×768) when space is short.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.NoFrame)
            if panel.area == "left":
                scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
            scroll.setWidget(panel)
            dock.setWidget(scroll)
            dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable
                             | QDockWidget.DockWidgetClosable)
            self.addDockWidget(areas[panel.area], dock)
            partner = self.docks.get(getattr(panel, "tabify_with", ""))
            if partner is not None:
                self.tabifyDockWidget(partner, dock)
            elif panel.area in first_in_area and panel.area != "left":
                self.tabifyDockWidget(first_in_area[panel.area], dock)
            first_in_area.setdefault(panel.area, dock)
            self.docks[panel.name] = dock
            if getattr(panel, "start_hidden", False):       # opened from the View menu
                dock.hide()
        for dock in first_in_area.values():
            dock.raise_()
        # Side docks run the full height; the curves sit under the decision regions only.
        for corner, area in ((Qt.TopLeftCorner, Qt.LeftDockWidgetArea),
                             (Qt.BottomLeftCorner, Qt.LeftDockWidgetArea),
                             (Qt.TopRightCorner, Qt.RightDockWidgetArea),
                             (Qt.BottomRightCorner, Qt.RightDockWidgetArea)):
            self.setCorner(corner, area)
        self._first_in_area = first_in_area

    def size_docks(self, width: int, height: int) -> None:
        """Dock sizes for a window of width × height (shares of it, within pixel bounds)."""
        sizes = {"left": (DOCK_WIDTH_LEFT, width, Qt.Horizontal),
                 "right": (DOCK_WIDTH_RIGHT, width, Qt.Horizontal),
                 "bottom": (DOCK_HEIGHT_BOTTOM, height, Qt.Vertical)}
        for area, dock in self._first_in_area.items():
            (share, lo, hi), total, orientation = sizes[area]
            self.resizeDocks([dock], [int(min(hi, max(lo, share * total)))], orientation)

    def fit_to_screen(self, size: tuple[int, int] | None = None) -> None:
        """``size``, or the default size shrunk to SCREEN_SHARE of the available screen."""
        if size is None:
            screen = self.screen() or QGuiApplication.primaryScreen()
            w, h = DEFAULT_SIZE
            if screen is not None:
                avail = screen.availableGeometry()
                w = int(avail.width() * SCREEN_SHARE)
                h = int(avail.height() * SCREEN_SHARE)
                self.move(avail.x() + (avail.width() - w) // 2,
                          avail.y() + (avail.height() - h) // 2)
            size = (w, h)
        self.resize(*size)
        self.size_docks(*size)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&Open workspace…", self.open_workspace_dialog, QKeySequence.Open,
                     "Load a saved dataset, network, optimizer and search")
        self._action(file, "&Save workspace", self.save_workspace_dialog, QKeySequence.Save,
                     "Save the dataset, network, optimizer and search to a JSON file")
        self._action(file, "Save workspace &as…", lambda: self.save_workspace_dialog(ask=True),
                     QKeySequence.SaveAs)
        if "lessons" in self.panels:
            self._action(file, "Open &lesson…", self.open_lesson_dialog, None,
                         "Open a lesson pack (JSON): a teacher's lesson with its own data, "
                         "settings, question and answer")
        file.addSeparator()
        datasets = self.panels.get("datasets")
        if datasets is not None and hasattr(datasets, "import_csv_dialog"):
            self._action(file, "&Import CSV…", datasets.import_csv_dialog, None,
                         "Two numeric feature columns and a label column")
        export = file.addMenu("&Export")
        self._action(export, "Whole window as PNG…", self.export_figure_dialog, None,
                     "A picture of the window as it is now")
        self._action(export, "Curves as CSV…", lambda: self.export_table_dialog("curves"))
        self._action(export, "Per-layer statistics as CSV…",
                     lambda: self.export_table_dialog("layer_stats"))
        export.addSeparator()
        for name, panel in self.panels.items():
            plots = panel.plots()
            if not plots:
                continue
            sub = export.addMenu(panel.title)
            for key in plots:
                self._action(sub, f"{key} as PNG or SVG…",
                             lambda _=False, n=name, k=key: self.export_plot_dialog(n, k))
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.Quit)

        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        themes = QActionGroup(self)
        for theme in ("light", "dark"):
            a = QAction(f"{theme.capitalize()} theme", self, checkable=True)
            a.setChecked(theme == self.theme)
            a.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            themes.addAction(a)
            view.addAction(a)
        self.theme_actions = themes
        view.addSeparator()
        self._action(view, "Reset layout", self.reset_layout, None,
                     "Put every panel back where it was on first launch")
        lessons = self.panels.get("lessons")
        if lessons is not None:
            menu = bar.addMenu("&Lessons")
            self._action(menu, "Start page", lambda: self.show_start_page())
            menu.addSeparator()
            from bn_studio.core.lessons import LESSONS
            for les in LESSONS:
                self._action(menu, les.title, lambda _=False, i=les.id: self.start_lesson(i),
                             None, les.intro)
        data = bar.addMenu("&Data")
        for i, name in enumerate(DATASETS, start=1):
            self._action(data, f"&{i} {name}", lambda _=False, n=name: self.select_dataset(n),
                         QKeySequence(str(i)), f"Switch to the {name} dataset ({i})")

        help_ = bar.addMenu("&Help")
        for name, panel in self.panels.items():
            if panel.help_text:
                self._action(help_, f"What am I looking at: {panel.title}",
                             lambda _=False, n=name: self.show_help(n))
        help_.addSeparator()
        self._action(help_, "&About BN Studio", self.show_about)

    def _action(self, menu, text, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(shortcut)
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    # ---- menu actions -------------------------------------------------------------------
    def raise_panel(self, name: str) -> None:
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def start_lesson(self, lesson_id: str) -> None:
        self.raise_panel("lessons")
        self.panels["lessons"].start(lesson_id)
        self.update_hint()

    def show_start_page(self) -> None:
        self.raise_panel("lessons")
        self.panels["lessons"]._show_welcome()

    def select_dataset(self, name: str) -> None:
        panel = self.panels.get("datasets")
        if panel is not None and hasattr(panel, "select_dataset"):
            panel.select_dataset(name)
        else:
            from .model import DatasetSpec
            self.model.set_spec(DatasetSpec(name))

    def set_theme(self, theme: str) -> None:
        from .theme import apply_theme
        self.theme = apply_theme(theme, self)
        for a in getattr(self, "theme_actions", QActionGroup(self)).actions():
            a.setChecked(a.text().lower().startswith(self.theme))

    def reset_layout(self) -> None:
        from PySide6.QtWidgets import QTabBar
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        # restoreState leaves the tab bars it replaces visible where they were (an old
        # Dataset/Lessons bar then covers the network panel's title): hide them first; the
        # restored layout shows the bars it uses.
        for bar in self.findChildren(QTabBar, options=Qt.FindDirectChildrenOnly):
            bar.hide()
        self.restoreState(self._default_state)
        self.size_docks(self.width(), self.height())
        # The saved state's heights give way to size hints: with the drawing canvas open the
        # dataset panel took all but 3 rows of the network panel. The stacked left docks
        # share the height equally instead (a tab group counts once: its shown tab).
        left = [d for d in self.docks.values()
                if self.dockWidgetArea(d) == Qt.LeftDockWidgetArea and d.isVisible()]
        if len(left) > 1:
            total = sum(d.height() for d in left)
            self.resizeDocks(left, [total // len(left)] * len(left), Qt.Vertical)

    def workspace_state(self) -> dict:
        import dataclasses
        model = self.model
        state = {"config": model.config.to_dict()}
        if model.spec is not None:
            state["dataset"] = {"kind": "generated", **dataclasses.asdict(model.spec)}
        else:
            ds = model.dataset
            state["dataset"] = {"kind": "points", "name": ds.name, "X": ds.X, "y": ds.y,
                                "class_names": list(ds.class_names)}
        state["search"] = model.searches.workspace_state()
        return state

    def apply_workspace(self, doc: dict) -> None:
        """Load a workspace document: the whole document is checked first (check_workspace),
        so on any problem nothing changes and the user is told why in one line."""
        from .model import DatasetSpec
        ws = check_workspace(doc)
        if ws.dataset is not None:
            from bn_studio.core import limits
            limits.check_app_points(ws.dataset.X.shape[0], "workspace", WorkspaceError)
        ok = (self.model.set_dataset(ws.dataset) if ws.dataset is not None
              else self.model.set_spec(DatasetSpec(**ws.generated)))
        if not ok:                      # checked above, so only if the data changed under us
            raise WorkspaceError("workspace's dataset cannot be used")
        self.model.set_config(ws.config)
        if ws.search:
            self.model.searches.apply_workspace(ws.search)

    def save_workspace_to(self, path) -> None:
        save_workspace(path, self.workspace_state())
        self.workspace_path = Path(path)
        self.statusBar().showMessage(f"Saved workspace {Path(path).name}", 5000)

    def open_workspace_from(self, path) -> None:
        self.apply_workspace(load_workspace(path))
        self.workspace_path = Path(path)
        self.statusBar().showMessage(f"Opened workspace {Path(path).name}", 5000)

    def save_workspace_dialog(self, ask: bool = False) -> None:
        path = self.workspace_path
        if ask or path is None:
            name, _ = QFileDialog.getSaveFileName(self, "Save workspace", "workspace.json",
                                                  "BN Studio workspace (*.json)")
            if not name:
                return
            path = Path(name)
        try:
            self.save_workspace_to(path)
        except (OSError, ValueError) as e:
            self._show_error(f"Could not save the workspace: {e}")

    def open_workspace_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open workspace", "",
                                              "BN Studio workspace (*.json);;All files (*)")
        if not name:
            return
        try:
            self.open_workspace_from(name)
        except WorkspaceError as e:
            self._show_error(str(e))

    def open_lesson_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open lesson", "",
                                              "BN Studio lesson (*.json);;All files (*)")
        if name:
            self.open_lesson_from(name)

    def open_lesson_from(self, path):
        """Start the lesson in a pack file; a bad file gets one line (from the lessons panel)."""
        self.raise_panel("lessons")
        les = self.panels["lessons"].open_pack(path)
        self.update_hint()
        return les

    def export_plot_dialog(self, panel_name: str, key: str) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export plot", f"{panel_name}_{key}.png",
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if not name:
            return
        try:
            exports.export_plot(self.panels[panel_name].plots()[key], name)
            self.statusBar().showMessage(f"Exported {Path(name).name}", 5000)
        except exports.ExportError as e:
            self._show_error(str(e))

    def export_table_dialog(self, which: str) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export CSV", f"{which}.csv", "CSV (*.csv)")
        if not name:
            return
        try:
            self.export_table(which, name)
        except exports.ExportError as e:
            self._show_error(str(e))

    def export_table(self, which: str, path) -> Path:
        panel, method = {"curves": ("curves", "curves_table"),
                         "layer_stats": ("histograms", "layer_stats_table")}[which]
        header, rows = getattr(self.panels[panel], method)()
        out = exports.export_table(path, header, rows)
        self.statusBar().showMessage(f"Exported {out.name}", 5000)
        return out

    def export_figure_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export window", "bn-studio.png",
                                              "PNG image (*.png)")
        if name:
            try:
                exports.export_widget(self, name)
            except exports.ExportError as e:
                self._show_error(str(e))

    def show_help(self, name: str) -> None:
        from .help_overlay import HelpOverlay
        panel = self.panels[name]
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()
        HelpOverlay.show_over(panel, panel.title, panel.help_text)

    def show_about(self) -> None:
        import platform

        import numpy as np
        import PySide6
        import pyqtgraph as pg

        from bn_studio import __version__
        text = (f"<h3>BN Studio {__version__}</h3>"
                "<p>Watch batch normalization, softmax regression and hyperparameter search "
                "while a real network trains.</p>"
                f"<p>Python {platform.python_version()} · NumPy {np.__version__} · "
                f"PySide6 {PySide6.__version__} · pyqtgraph {pg.__version__}</p>")
        box = QMessageBox(QMessageBox.Information, "About BN Studio", text, QMessageBox.Ok, self)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()

    def _build_statusbar(self) -> None:
        self.step_label = QLabel("step 0")
        self.step_label.setObjectName("step_label")
        # The replay bar lives in the status bar: no height taken from the panels at 1366×768.
        from .timeline import TimelineBar
        self.timeline = TimelineBar(self.model, self)
        self.timeline.setMinimumWidth(TIMELINE_MIN_WIDTH_PX)
        self.statusBar().addPermanentWidget(self.timeline)
        self.statusBar().addPermanentWidget(self.step_label)

    # ---- reacting -----------------------------------------------------------------------
    def _on_playing(self, playing: bool) -> None:
        from .resources import toolbar_icon
        self.act_play.setChecked(playing)
        self.act_play.setText("Pause" if playing else "Play")
        self.act_play.setIcon(toolbar_icon("pause" if playing else "play"))
        self.update_hint()

    def _on_speed(self, steps_per_second) -> None:
        i = self.speed.findData(steps_per_second)
        if i < 0:
            self.speed.addItem(f"{steps_per_second:g} steps/s", steps_per_second)
            i = self.speed.count() - 1
        if i != self.speed.currentIndex():
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(i)
            self.speed.blockSignals(False)

    def _on_settings(self) -> None:
        # Whether this is the default run changes only with the data or the network: decided
        # here, not on every frame.
        self._default_run = is_default_run(self.model.spec, self.model.config)
        self.update_hint()

    def update_hint(self) -> None:
        """Set the toolbar hint from the state now (only when it changes: it is set per frame)."""
        model, snap = self.model, self.model.snapshot
        lessons = self.panels.get("lessons")
        lesson = getattr(lessons, "current", None)
        diverged = ()
        if snap is not None:
            diverged = tuple((RUN_LABELS[name], run.diverged_at)
                             for name, run in snap.runs.items() if run.diverged_at is not None)
        state = HintState(playing=bool(model.worker.playing),
                          step=snap.step if snap is not None else 0,
                          default_run=self._default_run,
                          diverged=diverged,
                          lesson=getattr(lesson, "title", None))
        if state != self._hint_state:
            self._hint_state = state
            text = hint_text(state)
            if text != self.hint.text():
                self.hint.setText(text)
                self.hint.setToolTip(text)

    def _on_snapshot(self, snap) -> None:
        self.update_hint()
        parts = [f"step {snap.step}"]
        latest = None if snap.live else self.model.worker.peek()
        if latest is not None:
            parts = [f"replay: step {snap.step} of {latest.step}"]
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
        if self._save_settings_on_close:
            from . import settings
            settings.save_window(self)
        for panel in self.panels.values():
            close = getattr(panel, "shutdown", None)
            if close is not None:
                close()
        self.model.shutdown()
        super().closeEvent(event)
