import pytest
from PySide6.QtWidgets import QWidget

from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET, DEFAULT_SPEED
from bn_studio.gui import model as model_module
from bn_studio.gui.main_window import MainWindow
from bn_studio.gui.model import StudioModel

from in_process_worker import InProcessWorker


@pytest.fixture(scope="session", autouse=True)
def _wheel_guard_from_the_start(qapp):
    """The app installs its wheel guard before it builds a widget (make_application); so do
    the GUI tests. Installed later, the guard sweeps every widget hundreds of earlier tests
    left behind, and one full run crashed (SIGSEGV) in that sweep."""
    from bn_studio.gui import lazy_menus, main_thread_gc, wheel_guard
    wheel_guard.install(qapp)
    main_thread_gc.install()            # as the app does: no collection on worker threads
    lazy_menus.install()                # as the app does: plot menus built on first use


@pytest.fixture(autouse=True)
def _training_worker(request, monkeypatch):
    """Every studio model of a GUI test trains on a thread of the test process behind the same
    protocol (in_process_worker.py), unless the test is marked ``real_worker``. Workers a test
    left running (a window it never closed) are stopped after it."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    started = []

    class Worker(InProcessWorker):
        def __init__(self) -> None:
            super().__init__()
            started.append(self)

    monkeypatch.setattr(model_module, "TrainingWorker", Worker)
    yield
    for worker in started:
        worker.stop()


@pytest.fixture
def model(qtbot):
    """A studio model with its training worker; shut down after the test."""
    m = StudioModel()
    yield m
    m.shutdown()


@pytest.fixture
def make_panel(model, qtbot):
    """``make_panel(PanelClass, config=None, size=None)``: one panel on ``model``, shown."""
    panels = []

    def make(cls, config=None, size=None):
        if config is not None:
            model.set_config(config)
        panel = cls(model)
        qtbot.addWidget(panel)
        if size is not None:
            panel.resize(*size)
        panel.show()
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close()


@pytest.fixture(scope="module")
def _module_window(qapp, request):
    """One studio window for a module's tests, shown; a module's SHARED_WINDOW_SIZE, if it
    has one, sizes it as a first launch on that screen would (fit_to_screen)."""
    with pytest.MonkeyPatch.context() as patch:        # as _training_worker does per test
        patch.setattr(model_module, "TrainingWorker", InProcessWorker)
        win = MainWindow()
    size = getattr(request.module, "SHARED_WINDOW_SIZE", None)
    if size is not None:
        win.fit_to_screen(size)
    win.show()
    yield win
    win.close()


@pytest.fixture
def shared_window(_module_window):
    """One studio window shared by a module's tests that only switch its theme, size it or
    open what they close again (building a window costs a second or more); each test gets
    it back light and at the size it had."""
    size = _module_window.size()
    yield _module_window
    _module_window.set_theme("light")
    _module_window.resize(size)


def _controls(win) -> dict:
    """What the window's controls say (value, enabled, shown), by widget: a used window that
    shows the same as a new one has nothing left over that a test could lean on."""
    from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox,
                                   QComboBox, QLineEdit, QScrollBar)

    state = {}
    rows = win.panels["tuning"].editor.table.viewport()    # compared as search settings
    for w in win.findChildren(QWidget):
        if w.parentWidget() is rows:
            continue
        if isinstance(w, QComboBox):
            value = w.currentText()
        elif isinstance(w, QAbstractButton) and w.isCheckable():
            value = w.isChecked()
        elif isinstance(w, QAbstractSpinBox):
            value = w.text()
        elif isinstance(w, QAbstractSlider) and not isinstance(w, QScrollBar):
            value = w.value()
        elif isinstance(w, QLineEdit) and not isinstance(w.parentWidget(),
                                                         (QAbstractSpinBox, QComboBox)):
            value = w.text()
        else:
            continue
        state[id(w)] = (w, value, w.isEnabled(), w.isVisible())
    return state


def _layout(win) -> dict:
    """Where each dock is: floating, shown, its area, whether its tab is in front (one
    behind sits off the window). Not its pixels: a dock's least size follows what it
    shows (a lesson's search space widens the tuning dock), so the same layout can differ
    by a few pixels."""
    return {name: (d.isFloating(), d.isVisible(), win.dockWidgetArea(d),
                   d.isVisible() and d.x() >= 0 and d.y() >= 0)
            for name, d in win.docks.items()}


@pytest.fixture(scope="module")
def _module_window_fresh(_module_window):
    """The module window's size and controls as built, before any test used it."""
    win = _module_window
    win.model.flush()
    tuning = win.panels["tuning"]
    tuning._sync_settings()                    # the search editor's defaults
    return {"size": win.size(), "search_settings": dict(win.model.searches.settings),
            "workers": tuning.workers.value(), "progress": tuning.progress_label.text(),
            "shown": {DEFAULT_CONFIG: (_controls(win), _layout(win))}}


def reset_window(win, fresh, config=DEFAULT_CONFIG) -> None:
    """Bring a used studio window back to what a new one shows: no dialog, no search, the
    start page, the first-run dataset and ``config``'s nets at step 0 (as
    ``make_window(config)`` shows them), paused, live, at the default
    speed, the default dock layout, light, at its first size, every control as ``fresh``
    (_module_window_fresh) recorded it."""
    from PySide6.QtWidgets import QApplication, QDialog

    from bn_studio.core.search import default_space

    search_settings = dict(fresh["search_settings"])
    if config.optimizer != DEFAULT_CONFIG.optimizer:    # the untouched space follows it
        search_settings["space"] = default_space(config.optimizer).to_list()
    for dialog in win.findChildren(QDialog):
        if dialog.isVisible():
            dialog.close()
    for _ in range(20):                         # modal boxes another test left, stacked
        modal = QApplication.activeModalWidget()
        if modal is None:
            break
        if isinstance(modal, QDialog):
            modal.done(0)                       # close() is ignored by a box with no Esc
        else:
            modal.close()
        QApplication.processEvents()
    # Nothing is painted meanwhile: the test paints what it looks at (a third of a reset's
    # time was painting states no one saw).
    win.setUpdatesEnabled(False)
    try:
        _reset_state(win, fresh, search_settings, config)
    finally:
        win.setUpdatesEnabled(True)
    _check_reset(win, fresh, search_settings, config)


def _reset_state(win, fresh, search_settings, config) -> None:
    from PySide6.QtWidgets import QApplication

    from bn_studio.gui.panels.tuning.controls import apply_settings

    model = win.model
    lessons = win.panels["lessons"]
    lessons._cancel_searches()                  # the lesson's own grid and random searches
    for run in model.searches.runs.values():
        if run.search is not None:
            run.search.cancel()
    for run in model.searches.runs.values():
        if run.search is not None:
            assert run.search.join(30), f"the {run.name} search did not stop"
    model.searches.poll()                       # the views hear that they ended
    model.searches.runs.clear()                 # a new window has run no search yet
    model.searches.kept.clear()
    model.searches.store_dir = None             # the app's own folder, as a new window
    model.searches.historyChanged.emit()
    win.show_start_page()                       # undoes a lesson's shift, pause, locks
    win.panels["curves"].log_y.setChecked(False)    # lessons 7 and 9 turn it on
    win.panels["histograms"].mode_box.setCurrentIndex(0)    # "this step" only
    model.pause()
    model.pause_at(None)
    model.replay.live()
    model.set_speed(DEFAULT_SPEED)
    model.set_config(config, reset=False)       # set_spec resets: once is enough
    model.set_spec(DEFAULT_DATASET)             # a fresh split: no shift, no drawn points
    tuning = win.panels["tuning"]
    tuning.tabs.setCurrentIndex(0)              # lessons open its other tabs
    apply_settings(tuning, search_settings)     # lessons fill the editor with their space
    tuning._sync_settings()
    tuning.workers.setValue(fresh["workers"])
    tuning.error.setText("")
    tuning.progress_label.setText(fresh["progress"])
    datasets = win.panels["datasets"]
    datasets.draw_toggle.setChecked(False)
    datasets.draw.clear_points()
    win.workspace_path = None
    win.set_theme("light")
    win.resize(fresh["size"])
    # reset_layout shows every dock for a moment: the hidden panels that ask the worker for
    # extra numbers while shown (unit pictures: a second) ask once the layout is back.
    askers = [p for p in win.panels.values() if hasattr(p, "_ask_worker")]
    for panel in askers:
        panel._ask_worker = lambda on: None
    try:
        win.reset_layout()
    finally:
        for panel in askers:
            del panel._ask_worker
    for panel in askers:
        panel._ask_worker(panel.isVisible())
    QApplication.processEvents()                # the docks take their sizes
    win.statusBar().clearMessage()
    model.flush()


def _check_reset(win, fresh, search_settings, config) -> None:
    from PySide6.QtWidgets import QApplication

    model, lessons, size = win.model, win.panels["lessons"], fresh["size"]
    assert model.config == config and model.spec == DEFAULT_DATASET
    assert model.snapshot is not None and model.snapshot.step == 0 and not model.playing
    assert model.replay.index is None and model.selected_point is None
    assert not any(model.searches.running(name) for name in model.searches.runs)
    assert model.searches.settings == search_settings
    assert lessons.current is None and win.theme == "light" and win.size() == size
    assert QApplication.activeModalWidget() is None
    # Every control and dock as the new window showed them (for another config: as the
    # first reset to it did, so no test starts from what an earlier one left).
    if config not in fresh["shown"]:
        fresh["shown"][config] = (_controls(win), _layout(win))
    controls, layout = fresh["shown"][config]
    assert _layout(win) == layout
    now = _controls(win)
    # A control on a page no one sees (a lesson's) is set when its page opens.
    changed = [(type(w).__name__, w.toolTip()[:40], was, now[key][1:])
               for key, (w, *was) in controls.items()
               if was[2] and key in now and now[key][1:] != tuple(was)]
    assert not changed, f"controls the reset left changed (was, now): {changed}"


@pytest.fixture
def fresh_shared_window(_module_window, _module_window_fresh):
    """``fresh_shared_window(config=None)``: the module's studio window reset (reset_window)
    to what ``make_window(config)`` shows, for tests that use a window as a user would but
    need nothing only a new window has (its construction, a first launch, saved settings)."""
    def reset(config=None):
        reset_window(_module_window, _module_window_fresh, config or DEFAULT_CONFIG)
        return _module_window
    return reset


@pytest.fixture
def make_window(qtbot):
    """``make_window(config=None)``: the whole studio window, shown; closed after the test."""
    windows = []

    def make(config=None):
        win = MainWindow()
        qtbot.addWidget(win)
        if config is not None:
            win.model.set_config(config)
        win.show()
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()
