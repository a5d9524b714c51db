import atexit
import os
import shutil
import sys
import tempfile

import pytest

# Tests never need a screen: Qt renders offscreen unless the caller chose a platform.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the user's real settings and logs out of reach: QSettings and the log file go here.
_home = tempfile.mkdtemp(prefix="bn-studio-tests-")
atexit.register(shutil.rmtree, _home, ignore_errors=True)    # every run left one in /tmp
os.environ["XDG_CONFIG_HOME"] = os.path.join(_home, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_home, "data")


@pytest.fixture(autouse=True)
def _light_theme_at_the_start(request):
    """Each test starts light: with the app's light style sheet if it uses a module's shared
    window (the app runs styled, and the window's reset leaves it light), unstyled otherwise.
    The sheet is set at the start of a test and only when it differs: setting one re-polishes
    every widget alive (a quarter of a second with a window open), and clearing it after
    every shared-window test only for the next reset to set it again cost a minute of the
    suite. A theme is app-wide (Qt style sheet, pyqtgraph defaults). Imports nothing new."""
    widgets = sys.modules.get("PySide6.QtWidgets")
    app = widgets.QApplication.instance() if widgets is not None else None
    if app is not None:
        sheet = ""
        if "_module_window" in request.fixturenames:
            from bn_studio.gui.resources import style_sheet
            sheet = style_sheet("light")
        if app.styleSheet() != sheet:
            app.setStyleSheet(sheet)
    if "pyqtgraph" in sys.modules:
        from bn_studio.gui.theme import apply_pyqtgraph_theme
        apply_pyqtgraph_theme("light")


@pytest.fixture(scope="session")
def settings_window():
    """``settings_window()``: a fresh stand-in for the main window as settings.restore_window
    sees it (a model starting from the first run; geometry and layout never restore), so the
    settings reader can be fed any saved values without building the real window."""
    from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET

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


# Class means and standard deviations of the features of Fisher's iris data (4 features,
# 3 species, 50 each) and of the UCI wine data (13 features, 3 cultivars, class first): the
# column picker's tests write files shaped like them (seeded Gaussians, not the real rows).
IRIS_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_CLASSES = {"Iris-setosa": ((5.01, 0.35), (3.43, 0.38), (1.46, 0.17), (0.25, 0.11)),
                "Iris-versicolor": ((5.94, 0.52), (2.77, 0.31), (4.26, 0.47), (1.33, 0.20)),
                "Iris-virginica": ((6.59, 0.64), (2.97, 0.32), (5.55, 0.55), (2.03, 0.27))}
WINE_COLUMNS = ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
                "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
                "color_intensity", "hue", "od280_od315", "proline")
WINE_CLASSES = {1: (59, ((13.74, .46), (2.01, .69), (2.46, .23), (17.0, 2.5), (106, 10),
                         (2.84, .34), (2.98, .40), (.29, .07), (1.90, .41), (5.53, 1.24),
                         (1.06, .12), (3.16, .36), (1116, 221))),
                2: (71, ((12.28, .54), (1.93, 1.02), (2.24, .32), (20.2, 3.3), (94.5, 16.8),
                         (2.26, .55), (2.08, .71), (.36, .12), (1.63, .60), (3.09, .92),
                         (1.06, .20), (2.79, .50), (520, 158))),
                3: (48, ((13.15, .53), (3.33, 1.09), (2.44, .18), (21.4, 2.3), (99.3, 10.9),
                         (1.68, .36), (.78, .29), (.45, .12), (1.15, .41), (7.40, 2.31),
                         (.68, .11), (1.68, .27), (630, 115)))}


def _gaussian_rows(rng, moments, n):
    return [[max(0.01, rng.normal(m, s)) for m, s in moments] for _ in range(n)]


@pytest.fixture
def iris_csv(tmp_path):
    """An iris-shaped CSV: 4 numeric columns, then the species (text), sorted by species."""
    import numpy as np
    rng = np.random.default_rng(0)
    lines = [",".join(IRIS_COLUMNS) + ",species"]
    for species, moments in IRIS_CLASSES.items():
        lines += [",".join(f"{v:.1f}" for v in row) + f",{species}"
                  for row in _gaussian_rows(rng, moments, 50)]
    path = tmp_path / "iris.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def wine_csv(tmp_path):
    """A wine-shaped CSV: the class (1, 2, 3) first, then 13 numeric columns."""
    import numpy as np
    rng = np.random.default_rng(1)
    lines = ["class," + ",".join(WINE_COLUMNS)]
    for cls, (n, moments) in WINE_CLASSES.items():
        lines += [f"{cls}," + ",".join(f"{v:.2f}" for v in row)
                  for row in _gaussian_rows(rng, moments, n)]
    path = tmp_path / "wine.csv"
    path.write_text("\n".join(lines) + "\n")
    return path
