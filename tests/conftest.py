import os
import sys
import tempfile

import pytest

# Tests never need a screen: Qt renders offscreen unless the caller chose a platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the user's real settings and logs out of reach: QSettings and the log file go here.
_home = tempfile.mkdtemp(prefix="bn-studio-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")


@pytest.fixture(autouse=True)
def _unthemed_after_each_test():
    """A theme is app-wide (Qt style sheet, pyqtgraph defaults): put it back after every test
    that touched one, so the next test starts light and unstyled. Imports nothing new."""
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is not None and app.styleSheet():
        app.setStyleSheet("")
    if "pyqtgraph" in sys.modules:
        from bn_studio.gui.theme import apply_pyqtgraph_theme
        apply_pyqtgraph_theme("light")


@pytest.fixture(scope="session")
def settings_window():
    """``settings_window()``: a fresh stand-in for the main window as settings.restore_window
    sees it (a model starting from the first run; geometry and layout never restore), so the
    settings reader can be fed any saved values without building the real window."""
    from bn_studio.core.defaults import DEFAULT_CONFIG, DEFAULT_DATASET

    class Model:
        config, spec = DEFAULT_CONFIG, DEFAULT_DATASET

        def set_spec(self, spec):
            spec.make()             # what the real model does first
            self.spec = spec
            return True

        def set_config(self, config):
            self.config = config

    class Window:
        def __init__(self):
            self.model = Model()

        def restoreGeometry(self, g):
            return False

        def restoreState(self, s, version):
            return False

    return Window
