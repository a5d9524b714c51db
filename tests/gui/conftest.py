import pytest

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
def _module_window(qapp):
    with pytest.MonkeyPatch.context() as patch:        # as _training_worker does per test
        patch.setattr(model_module, "TrainingWorker", InProcessWorker)
        win = MainWindow()
    win.show()
    yield win
    win.close()


@pytest.fixture
def shared_window(_module_window):
    """One studio window shared by a module's tests that only switch its theme or size it
    (building a window costs a second or more); each test gets it back light and at the
    size it had."""
    size = _module_window.size()
    yield _module_window
    _module_window.set_theme("light")
    _module_window.resize(size)


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
