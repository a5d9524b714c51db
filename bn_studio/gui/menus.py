"""The window's menu bar: File, View, Lessons, Data and Help, each entry calling the window."""

from __future__ import annotations

import weakref
from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from bn_studio.core.data.datasets import DATASETS


def call(win, method: str, *args) -> Callable[..., None]:
    """A slot that calls ``win.method(*args)`` (ignoring what the signal sends) and does not
    keep the window alive: a lambda naming the window, connected to a signal of one of its
    own children, kept it and its ~4,000 widgets after it closed (PySide holds the slot)."""
    ref = weakref.ref(win)

    def slot(*_signal_args) -> None:
        target = ref()
        if target is not None:
            getattr(target, method)(*args)
    return slot


def add_action(win, menu, text, slot, shortcut=None, tip: str = "") -> QAction:
    a = QAction(text, win)
    if shortcut is not None:
        a.setShortcut(shortcut)
    if tip:
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.triggered.connect(slot)
    menu.addAction(a)
    return a


def build_menus(win) -> None:
    bar = win.menuBar()
    _file_menu(win, bar.addMenu("&File"))
    _view_menu(win, bar.addMenu("&View"))
    if win.panels.get("lessons") is not None:
        menu = bar.addMenu("&Lessons")
        add_action(win, menu, "Start page", call(win, "show_start_page"))
        menu.addSeparator()
        from bn_studio.core.lessons.numbers import LESSONS
        for les in LESSONS:
            add_action(win, menu, les.title, call(win, "start_lesson", les.id),
                       None, les.intro)
    data = bar.addMenu("&Data")
    for i, name in enumerate(DATASETS, start=1):
        add_action(win, data, f"&{i} {name}", call(win, "select_dataset", name),
                   QKeySequence(str(i)), f"Switch to the {name} dataset ({i})")
    help_ = bar.addMenu("&Help")
    for name, panel in win.panels.items():
        if panel.help_text:
            add_action(win, help_, f"What am I looking at: {panel.title}",
                       call(win, "show_help", name))
    help_.addSeparator()
    add_action(win, help_, "&About BN Studio", win.show_about)


def _file_menu(win, file) -> None:
    add_action(win, file, "&Open workspace…", win.open_workspace_dialog,
               QKeySequence.StandardKey.Open,
               "Load a saved dataset, network, optimizer and search")
    add_action(win, file, "&Save workspace", win.save_workspace_dialog,
               QKeySequence.StandardKey.Save,
               "Save the dataset, network, optimizer and search to a JSON file")
    add_action(win, file, "Save workspace &as…", call(win, "save_workspace_dialog", True),
               QKeySequence.StandardKey.SaveAs)
    if "lessons" in win.panels:
        add_action(win, file, "Open &lesson…", win.open_lesson_dialog, None,
                   "Open a lesson pack (JSON): a teacher's lesson with its own data, "
                   "settings, question and answer")
    file.addSeparator()
    datasets = win.panels.get("datasets")
    if datasets is not None and hasattr(datasets, "import_csv_dialog"):
        add_action(win, file, "&Import CSV…", datasets.import_csv_dialog, None,
                   "Two numeric feature columns and a label column")
    export = file.addMenu("&Export")
    add_action(win, export, "Whole window as PNG…", win.export_figure_dialog, None,
               "A picture of the window as it is now")
    add_action(win, export, "Run as animation (GIF or MP4)…", win.export_animation_dialog, None,
               "The decision regions and a layer's histograms through the stored steps, for "
               "slides and course pages")
    add_action(win, export, "Curves as CSV…", call(win, "export_table_dialog", "curves"))
    add_action(win, export, "Per-layer statistics as CSV…",
               call(win, "export_table_dialog", "layer_stats"))
    if "diagnostics" in win.panels:
        add_action(win, export, "Update ratios as CSV…",
                   call(win, "export_table_dialog", "diagnostics"), None,
                   "Every recorded log10 update-to-data ratio, per net, step and layer")
    if "tuning" in win.panels:
        add_action(win, export, "Parameter importance as CSV…",
                   call(win, "export_table_dialog", "importance"), None,
                   "Which searched parameters mattered most in the search the Tuning panel "
                   "shows")
    export.addSeparator()
    for name, panel in win.panels.items():
        plots = panel.plots()
        if not plots:
            continue
        sub = export.addMenu(panel.title)
        labels = getattr(panel, "plot_labels", {})
        for key in plots:
            add_action(win, sub, f"{labels.get(key, key)} as PNG or SVG…",
                       call(win, "export_plot_dialog", name, key))
    file.addSeparator()
    add_action(win, file, "&Quit", win.close, QKeySequence.StandardKey.Quit)


def _view_menu(win, view) -> None:
    for dock in win.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    themes = QActionGroup(win)
    for theme in ("light", "dark"):
        a = QAction(f"{theme.capitalize()} theme", win, checkable=True)
        a.setChecked(theme == win.theme)
        a.triggered.connect(call(win, "set_theme", theme))
        themes.addAction(a)
        view.addAction(a)
    win.theme_actions = themes
    view.addSeparator()
    add_action(win, view, "Reset layout", win.reset_layout, None,
               "Put every panel back where it was on first launch")
