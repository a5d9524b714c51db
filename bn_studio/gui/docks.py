"""The window's docks: which panels exist, where they dock, and how big the docks start."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar

if TYPE_CHECKING:
    from .panels.base import Panel

# (module under bn_studio.gui.panels, class name), in the order their docks are added.
PANEL_CLASSES = [
    ("decision_regions", "DecisionRegionsPanel"),
    ("datasets", "DatasetsPanel"),
    ("network", "NetworkPanel"),
    ("curves", "CurvesPanel"),
    ("histograms", "HistogramsPanel"),
    ("unit_maps", "UnitMapsPanel"),
    ("diagnostics", "DiagnosticsPanel"),
    ("bn_at_test_time", "TestTimeBNPanel"),
    ("softmax_inspector", "SoftmaxInspectorPanel"),
    ("tuning", "TuningPanel"),
    ("lessons.panel", "LessonsPanel"),
]

# Dock sizes as shares of the window's width/height, within pixel bounds, so the decision
# regions keep a usable centre from 1366×768 up to a projector's 1920×1080.
DOCK_WIDTH_LEFT = (0.22, 280, 380)     # wider on a big screen: lessons to read
DOCK_WIDTH_RIGHT = (0.36, 420, 640)
DOCK_HEIGHT_BOTTOM = (0.3, 210, 300)
SCREEN_SHARE = 0.9          # a first launch takes at most 90 % of the available screen
DEFAULT_SIZE = (1600, 1000)

AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea,
         "right": Qt.DockWidgetArea.RightDockWidgetArea,
         "bottom": Qt.DockWidgetArea.BottomDockWidgetArea}


def available_panels() -> list[type[Panel]]:
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


def _dock_for(win: QMainWindow, panel) -> QDockWidget:
    # Tabbed docks share one bar; at 1366×768 the right bar is ~440 px, so long titles
    # were cut to "Hidde…", "T…": a panel with a long title gives a short one for its tab.
    dock = QDockWidget(panel.tab_title or panel.title, win)
    dock.setObjectName(f"dock_{panel.name}")
    # Panels scroll rather than overlap their neighbours or hold the window larger than a
    # laptop or projector screen (1366×768) when space is short.
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    if panel.area == "left":
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    return dock


def whole_tab_names(bar: QTabBar) -> None:
    """A dock tab bar shows every panel's name whole: with six panels open at 1366×768 the
    right bar cut them all ("Histog…", "Diagno…", "Tu…"); arrows scroll it instead."""
    bar.setElideMode(Qt.TextElideMode.ElideNone)
    bar.setUsesScrollButtons(True)
    bar.setExpanding(False)


def build_panels(win) -> dict[str, QDockWidget]:
    """Make every available panel: the centre one as the central widget, the others in docks
    (fills ``win.panels`` and ``win.docks``); returns the first dock of each area."""
    first_in_area: dict[str, QDockWidget] = {}
    for cls in available_panels():
        panel = cls(win.model, win)
        win.panels[panel.name] = panel
        if panel.area == "center":
            win.setCentralWidget(panel)
            continue
        dock = _dock_for(win, panel)
        win.addDockWidget(AREAS[panel.area], dock)
        partner = win.docks.get(getattr(panel, "tabify_with", ""))
        if partner is not None:
            win.tabifyDockWidget(partner, dock)
        elif panel.area in first_in_area and panel.area != "left":
            win.tabifyDockWidget(first_in_area[panel.area], dock)
        first_in_area.setdefault(panel.area, dock)
        win.docks[panel.name] = dock
        if getattr(panel, "start_hidden", False):       # opened from the View menu
            dock.hide()
    for dock in first_in_area.values():
        dock.raise_()
    # Side docks run the full height; the curves sit under the decision regions only.
    for corner, area in ((Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                         (Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                         (Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea),
                         (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)):
        win.setCorner(corner, area)
    return first_in_area


def size_docks(win, first_in_area: dict[str, QDockWidget], width: int, height: int) -> None:
    """Dock sizes for a window of width × height (shares of it, within pixel bounds)."""
    sizes = {"left": (DOCK_WIDTH_LEFT, width, Qt.Orientation.Horizontal),
             "right": (DOCK_WIDTH_RIGHT, width, Qt.Orientation.Horizontal),
             "bottom": (DOCK_HEIGHT_BOTTOM, height, Qt.Orientation.Vertical)}
    for area, dock in first_in_area.items():
        (share, lo, hi), total, orientation = sizes[area]
        win.resizeDocks([dock], [int(min(hi, max(lo, share * total)))], orientation)


LESSON_HEIGHT_SHARE = 2 / 3     # of the left column, for a lesson being read there
READER_SIZE = (0.36, 460, 560, 0.85)    # a popped-out lesson: width share, bounds; height share


def room_for_lessons(win) -> None:
    """A lesson opened in the left column gets two thirds of its height (the network panel
    below keeps a third and scrolls), unless the user already gave it more."""
    lessons, network = win.docks.get("lessons"), win.docks.get("network")
    if (lessons is None or network is None or lessons.isFloating() or not network.isVisible()
            or win.dockWidgetArea(lessons) != Qt.DockWidgetArea.LeftDockWidgetArea
            or win.dockWidgetArea(network) != Qt.DockWidgetArea.LeftDockWidgetArea):
        return
    total = lessons.height() + network.height()
    if lessons.height() < 0.6 * total:
        want = int(LESSON_HEIGHT_SHARE * total)
        win.resizeDocks([lessons, network], [want, total - want], Qt.Orientation.Vertical)


def hide_stale_tab_bars(win) -> None:
    """Hide the main window's dock tab bars that name a floating dock. When a dock leaves a
    tab group (Lessons popped out) Qt can leave the group's old bars shown, over the dock
    that stays ("Dataset | Lessons" twice over the dataset gallery at 1920×1080)."""
    floating = {d.windowTitle() for d in win.docks.values() if d.isFloating()}
    for bar in win.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        titles = {bar.tabText(i) for i in range(bar.count())}
        if bar.isVisible() and titles & floating:
            bar.hide()


def pop_out_lessons(win, out: bool) -> None:
    """The lesson pane as its own window beside the studio (room to read on a small screen),
    or back in its dock."""
    dock = win.docks.get("lessons")
    if dock is None:
        return
    dock.show()
    dock.setFloating(out)
    if not out:
        dock.raise_()
        return
    screen = win.screen() or QGuiApplication.primaryScreen()
    avail = screen.availableGeometry() if screen is not None else win.geometry()
    share, lo, hi, tall = READER_SIZE
    w = int(min(hi, max(lo, share * avail.width())))
    h = int(tall * avail.height())
    dock.resize(w, h)
    dock.move(avail.right() - w - 8, avail.top() + (avail.height() - h) // 2)


def screen_size(win) -> tuple[int, int]:
    """The default size shrunk to SCREEN_SHARE of the available screen (and the window
    centred on it)."""
    screen = win.screen() or QGuiApplication.primaryScreen()
    w, h = DEFAULT_SIZE
    if screen is not None:
        avail = screen.availableGeometry()
        w = int(avail.width() * SCREEN_SHARE)
        h = int(avail.height() * SCREEN_SHARE)
        win.move(avail.x() + (avail.width() - w) // 2, avail.y() + (avail.height() - h) // 2)
    return w, h


def reset_layout(win, default_state) -> None:
    """Every dock back where it was on first launch, sized for the window as it is."""
    for dock in win.docks.values():
        dock.setFloating(False)
        dock.show()
    # restoreState leaves the tab bars it replaces visible where they were (an old
    # Dataset/Lessons bar then covers the network panel's title): hide them first; the
    # restored layout shows the bars it uses.
    for bar in win.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        bar.hide()
    win.restoreState(default_state)
    win.size_docks(win.width(), win.height())
    # The saved state's heights give way to size hints: with the drawing canvas open the
    # dataset panel took all but 3 rows of the network panel. The stacked left docks share
    # the height equally instead (a tab group counts once: its shown tab).
    left = [d for d in win.docks.values()
            if win.dockWidgetArea(d) == Qt.DockWidgetArea.LeftDockWidgetArea and d.isVisible()]
    if len(left) > 1:
        total = sum(d.height() for d in left)
        win.resizeDocks(left, [total // len(left)] * len(left), Qt.Orientation.Vertical)
