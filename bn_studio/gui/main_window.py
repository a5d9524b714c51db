"""The studio window: decision regions in the centre, panels in docks, transport in the toolbar."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import (QDialog, QDockWidget, QFileDialog, QMainWindow,
                               QMessageBox, QSizePolicy, QTabBar)

from bn_studio.core.limits import one_line
from bn_studio.core.measure.rate import rate_text, why_behind
from bn_studio.workspace import (WorkspaceError, check_workspace, load_workspace,
                                 save_workspace)

from . import docks, exports, main_thread_gc, workspace_data
from .export_runner import ExportRunner
from .hint import HintState, hint_text, is_default_run
from .menus import build_menus
from .model import StudioModel
from .plain_text import message_box, plain_labels, tooltip
from .plotting import FreesPlotsFirst
from .theme import RUN_LABELS
from .toolbar import RATE_TOOLTIP, build_toolbar

if TYPE_CHECKING:
    from .panels.base import Panel
    from .panels.lessons.panel import LessonsPanel

log = logging.getLogger(__name__)

TIMELINE_MIN_WIDTH_PX = 420
STATUS_HZ = 10

class MainWindow(FreesPlotsFirst, QMainWindow):
    """``restore=True`` (the app) brings back the last layout, dataset, network and theme."""

    def __init__(self, model: StudioModel | None = None, restore: bool = False) -> None:
        super().__init__()
        self.setWindowTitle("BN Studio")
        self.model = model or StudioModel(self)
        self.panels: dict[str, Panel] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.theme = "light"
        self.workspace_path: Path | None = None
        self.exporter = ExportRunner(self)
        self.exporter.finished.connect(self._exported)
        self.exporter.failed.connect(self._show_error)
        dock = QMainWindow.DockOption
        self.setDockOptions(dock.AnimatedDocks | dock.AllowTabbedDocks | dock.AllowNestedDocks)
        self._behind: str | None = None             # why the rate falls behind, if it does
        self._hint_state: HintState | None = None
        self._default_run = False       # the app's default dataset and network (for the hint)
        # The transport bar: Play, Step, Reset, speed, rate, hint.
        (self.toolbar, self.act_play, self.act_step, self.act_reset, self.speed,
         self.rate_label, self.hint) = build_toolbar(self, self.model)
        self._build_panels()
        self._default_state = self.saveState()
        self._build_menus()
        self._build_statusbar()
        self.model.playingChanged.connect(self._on_playing)
        self.model.snapshotReady.connect(self._on_snapshot)
        self.model.message.connect(self.show_status)
        self.model.errorOccurred.connect(self._show_error)
        self.model.speedChanged.connect(self._on_speed)
        self.model.configChanged.connect(self._on_settings)
        self.model.datasetChanged.connect(self._on_settings)
        plain_labels(self)      # text from files never renders as HTML (plain_text.py)
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

    def event(self, event) -> bool:
        # The dock tab bars are made by the layout when docks are tabbed (any time the user
        # drags one): each is set up as it is first polished, after the layout set it up.
        if event.type() == QEvent.Type.ChildPolished and isinstance(event.child(), QTabBar):
            docks.whole_tab_names(event.child())
        if event.type() == QEvent.Type.UpdateRequest:
            # Qt repaints every changed view of the window here, after the display tick
            # changed them: the frame budget learns what each panel's redraw costs in all.
            start = time.perf_counter()
            handled = super().event(event)
            self.model.frames.painted(time.perf_counter() - start)
            return handled
        return super().event(event)

    def showEvent(self, event) -> None:
        # Dock sizes set before the first show (or before a theme's style sheet re-polished
        # the widgets) do not stick: size them once more for the window as shown.
        super().showEvent(event)
        main_thread_gc.freeze_startup()
        if not self._layout_restored:
            self._layout_restored = True
            self.size_docks(self.width(), self.height())

    def _build_panels(self) -> None:
        self._first_in_area = docks.build_panels(self)
        lessons, dock = self.panels.get("lessons"), self.docks.get("lessons")
        if lessons is not None and dock is not None and hasattr(lessons, "show_popped_out"):
            dock.topLevelChanged.connect(lessons.show_popped_out)
        for d in self.docks.values():       # once the layout has settled
            d.topLevelChanged.connect(self._tab_bars_later)

    def _tab_bars_later(self, *_floating) -> None:
        QTimer.singleShot(0, lambda: docks.hide_stale_tab_bars(self))

    def room_for_lessons(self) -> None:
        docks.room_for_lessons(self)

    def pop_out_lessons(self, out: bool) -> None:
        docks.pop_out_lessons(self, out)

    def size_docks(self, width: int, height: int) -> None:
        """Dock sizes for a window of width × height (shares of it, within pixel bounds)."""
        docks.size_docks(self, self._first_in_area, width, height)

    def fit_to_screen(self, size: tuple[int, int] | None = None) -> None:
        """``size``, or the default size shrunk to SCREEN_SHARE of the available screen."""
        size = size or docks.screen_size(self)
        self.resize(*size)
        self.size_docks(*size)

    def _build_menus(self) -> None:
        build_menus(self)

    def raise_panel(self, name: str) -> None:
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def _lessons(self) -> LessonsPanel:
        from .panels.lessons.panel import LessonsPanel
        panel = self.panels["lessons"]
        assert isinstance(panel, LessonsPanel)
        return panel

    def start_lesson(self, lesson_id: str) -> None:
        self.raise_panel("lessons")
        self._lessons().start(lesson_id)
        self.update_hint()

    def show_start_page(self) -> None:
        self.raise_panel("lessons")
        self._lessons()._show_welcome()

    def select_dataset(self, name: str) -> None:
        panel = self.panels.get("datasets")
        if panel is not None and hasattr(panel, "select_dataset"):
            panel.select_dataset(name)
        else:
            from bn_studio.core.data.datasets import DatasetSpec
            self.model.set_spec(DatasetSpec(name))

    def set_theme(self, theme: str) -> None:
        from .theme import apply_theme
        self.theme = apply_theme(theme, self)
        for a in getattr(self, "theme_actions", QActionGroup(self)).actions():
            a.setChecked(a.text().lower().startswith(self.theme))

    def reset_layout(self) -> None:
        docks.reset_layout(self, self._default_state)

    def workspace_state(self, folder=None) -> dict:
        """What a workspace saved in ``folder`` holds (the dataset: workspace_data)."""
        model = self.model
        state = {"config": model.config.to_dict()}
        state["dataset"] = workspace_data.dataset_state(self, folder)
        state["search"] = model.searches.workspace_state()
        return state

    def apply_workspace(self, doc: dict, folder=None, wait: bool = True) -> str:
        """Load a workspace document: the whole document is checked first (check_workspace),
        so on any problem nothing changes and the user is told why in one line. A dataset
        that refers to a CSV file is read after the rest opened (workspace_data)."""
        from bn_studio.core.data.datasets import DatasetSpec
        ws = check_workspace(doc)
        if ws.reference is not None:
            return workspace_data.open_reference(self, ws, folder, wait)
        if ws.dataset is not None:
            from bn_studio.core import limits
            limits.check_app_points(ws.dataset.X.shape[0], "workspace", WorkspaceError)
        if ws.dataset is not None:
            ok = self.model.set_dataset(ws.dataset)
        else:
            assert ws.generated is not None         # one of the three is set (Workspace)
            ok = self.model.set_spec(DatasetSpec(**ws.generated))
        if not ok:                      # checked above, so only if the data changed under us
            raise WorkspaceError("workspace's dataset cannot be used")
        self.model.set_config(ws.config)
        if ws.search:
            self.model.searches.apply_workspace(ws.search)
        return ""

    def save_workspace_to(self, path) -> None:
        state = self.workspace_state(Path(path).parent)
        save_workspace(path, state)
        self.workspace_path = Path(path)
        self.show_status(f"Saved workspace {Path(path).name}", 5000)
        note = workspace_data.saved_note(state, path)
        if note:
            self._show_error(note)

    def open_workspace_from(self, path, wait: bool = False) -> None:
        """``wait``: read a referred data file here (else in the background)."""
        more = self.apply_workspace(load_workspace(path), Path(path).parent, wait)
        self.workspace_path = Path(path)
        self.show_status(f"Opened workspace {Path(path).name}{more}", 5000)

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
        les = self._lessons().open_pack(path)
        self.update_hint()
        return les

    def export_plot_dialog(self, panel_name: str, key: str) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export plot", f"{panel_name}_{key}.png",
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if name:
            self.export_plot(panel_name, key, name)

    def export_plot(self, panel_name: str, key: str, path) -> None:
        """Read the plot now, write the file on a worker thread (exports.export_runner)."""
        panel = self.panels[panel_name]
        if hasattr(panel, "catch_up"):
            panel.catch_up()                # a hidden panel skipped the newest snapshots
        target = panel.plots()[key]
        if callable(target) and target() is None and panel.empty_export:
            self.raise_panel(panel_name)
            self._show_error(f"{Path(path).name}: {panel.empty_export}")
            return
        try:
            job = exports.prepare_plot(target, path)
        except exports.ExportError as e:
            self._show_error(str(e))
            return
        self.exporter.start(job, path, f"Writing {Path(path).name}…")

    def export_animation_dialog(self) -> None:
        """File → Export → Run as animation: the stored steps as a GIF or MP4."""
        from .animation_dialog import AnimationDialog
        latest = self.model.newest()
        frames = self.model.stored.frames()
        if latest is None or latest.step == 0 or not frames:
            self._show_error("Nothing to animate yet: train for a while first (the animation "
                             "shows the steps the replay stored)")
            return
        dialog = AnimationDialog(self, len(frames), frames[0].step, latest.step,
                                 len(latest.config.hidden))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.export_animation(dialog.path(), dialog.settings())

    def export_animation(self, path, settings) -> None:
        """Draw the frames here (a few at a time between events), encode and write them on a
        worker thread; progress and Cancel in the export dialog."""
        from .animation import (FORMATS, MAX_GIF_FRAMES, MAX_MP4_FRAMES, AnimationError,
                                AnimationFeeder, encode_frames)
        path = Path(path)
        latest = self.model.newest()
        frames = self.model.stored.frames()
        try:
            if latest is None or not frames:
                raise AnimationError("Nothing to animate yet: train for a while first")
            if FORMATS.get(path.suffix.lower()) is None:
                raise AnimationError(f"{path.name}: choose a .gif or .mp4 file name")
            settings = settings.checked()
            most = MAX_GIF_FRAMES if path.suffix.lower() == ".gif" else MAX_MP4_FRAMES
            feeder = AnimationFeeder(self.model, frames, latest, settings, most)
        except exports.ExportError as e:
            self._show_error(str(e))
            return
        started = self.exporter.start(
            lambda: encode_frames(feeder.queue, len(feeder.frames), path, settings), path,
            f"Drawing and encoding {len(feeder.frames)} frames…", on_cancel=feeder.stop)
        if not started:
            feeder.stop()
            return
        self.exporter.ended.connect(feeder.stop, Qt.ConnectionType.SingleShotConnection)
        feeder.start()
        self.animation = feeder         # kept alive until the next one

    def _exported(self, path) -> None:
        size = Path(path).stat().st_size
        self.statusBar().showMessage(f"Exported {Path(path).name} ({size / 1024:,.0f} kB)", 8000)

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
                         "layer_stats": ("histograms", "layer_stats_table"),
                         "diagnostics": ("diagnostics", "diagnostics_table"),
                         "importance": ("tuning", "importance_table")}[which]
        header, rows = getattr(self.panels[panel], method)()
        out = exports.export_table(path, header, rows)
        self.show_status(f"Exported {out.name}", 5000)
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
        from .help_overlay import about_html
        message_box(self, QMessageBox.Icon.Information, "About BN Studio", about_html(), rich=True)

    def _build_statusbar(self) -> None:
        from .timeline import StepLabel, TimelineBar
        self.step_label = StepLabel()
        self._status_snap = None
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(int(1000 / STATUS_HZ))
        self._status_timer.timeout.connect(self._show_status)
        # The replay bar lives in the status bar: no height taken from the panels at 1366×768.
        self.timeline = TimelineBar(self.model, self)
        self.timeline.setMinimumWidth(TIMELINE_MIN_WIDTH_PX)
        # Not expanding: the status bar's messages (why the rate falls behind) get the rest;
        # at 1366×768 the bar took it all and cut them mid-sentence.
        self.timeline.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.statusBar().addPermanentWidget(self.timeline)
        self.statusBar().addPermanentWidget(self.step_label)

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

    def _on_settings(self, *_changed) -> None:
        # Whether this is the default run changes only with the data or the network: decided
        # here, not on every frame.
        self._default_run = is_default_run(self.model.spec, self.model.config)
        self.update_hint()

    def update_hint(self) -> None:
        """Set the toolbar hint from the state now (only when it changes: it is set per frame)."""
        model, snap = self.model, self.model.snapshot
        lessons = self.panels.get("lessons")
        lesson = getattr(lessons, "current", None)
        diverged: tuple[tuple[str, int], ...] = ()
        if snap is not None:
            diverged = tuple((RUN_LABELS[name], run.diverged_at)
                             for name, run in snap.runs.items() if run.diverged_at is not None)
        state = HintState(playing=model.playing,
                          step=snap.step if snap is not None else 0,
                          default_run=self._default_run,
                          diverged=diverged,
                          lesson=getattr(lesson, "title", None))
        if state != self._hint_state:
            self._hint_state = state
            text = hint_text(state)
            if text != self.hint.text():
                self.hint.setText(text)
                self.hint.setToolTip(tooltip(text))

    def _on_snapshot(self, snap) -> None:
        self.update_hint()
        self._status_snap = snap
        # While training the step label and the rate change at most STATUS_HZ times a
        # second: a number that changes 60 times a second cannot be read, and each change
        # re-lays out and repaints its whole bar. A paused or replayed state shows at once.
        if snap.playing and snap.live and self._status_timer.isActive():
            return
        self._show_status()
        if snap.playing and snap.live:
            self._status_timer.start()

    def _show_status(self) -> None:
        snap = self._status_snap
        if snap is None:
            return
        if snap.live:
            self.show_rate(snap.rate)
        text = self._status_text(snap)
        if self.step_label.text() != text:
            self.step_label.setText(text)

    def _status_text(self, snap) -> str:
        parts = [f"step {snap.step}"]
        latest = None if snap.live else self.model.newest()
        if latest is not None:
            parts = [f"replay: step {snap.step} of {latest.step}"]
        for name, run in snap.runs.items():
            if run.diverged_at is not None:
                label = "BN" if name == "bn" else "no BN"
                parts.append(f"{label}: diverged at step {run.diverged_at}")
        return "   ".join(parts)

    def show_status(self, text: str, ms: int = 10000) -> None:
        self.statusBar().showMessage(one_line(text), ms)

    def show_rate(self, reading) -> None:
        """The measured rate beside the speed box; when it falls behind the rate asked, why
        (in the tooltip, and once in the status bar when it starts)."""
        text = rate_text(reading)
        if text != self.rate_label.text():
            self.rate_label.setText(text)
        why = why_behind(reading)
        if why != self._behind:
            if self._behind and self.statusBar().currentMessage() == self._behind:
                self.statusBar().clearMessage()         # paused or caught up: old news
            self._behind = why
            self.rate_label.setProperty("behind", why is not None)
            self.rate_label.setStyleSheet("color: #d35400;" if why else "")
            self.rate_label.setToolTip(why or RATE_TOOLTIP)
            if why:
                self.statusBar().showMessage(why, 15000)

    def _show_error(self, text: str) -> None:
        self.show_status(text, 15000)
        if self.isVisible():
            # open(), not exec(): the message never blocks the event loop (or a test).
            message_box(self, QMessageBox.Icon.Warning, "BN Studio", text)

    def closeEvent(self, event) -> None:
        self.exporter.cancel()
        if self._save_settings_on_close:
            from . import settings
            settings.save_window(self)
        for panel in self.panels.values():
            close = getattr(panel, "shutdown", None)
            if close is not None:
                close()
        self.model.shutdown()
        super().closeEvent(event)
