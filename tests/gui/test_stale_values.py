"""Nothing shown belongs to earlier data: the classes box, the drawing canvas and the
inspectors follow the data in use."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.gui.panels.datasets import DatasetsPanel


@pytest.fixture
def panel(make_panel):
    return make_panel(DatasetsPanel)


def test_the_disabled_classes_box_shows_the_classes_of_the_imported_data(panel, model,
                                                                         iris_csv):
    assert model.set_spec(DatasetSpec("blobs", classes=4))
    assert panel.classes_box.value() == 4
    assert panel.import_csv(iris_csv)
    assert not panel.classes_box.isEnabled() and panel.classes_box.value() == 3
    panel.select_dataset("blobs")                       # the gallery's default C again
    assert panel.classes_box.isEnabled() and panel.classes_box.value() == 4


def test_drawn_points_beside_other_data_are_marked_not_in_use(panel, model, iris_csv):
    rng = np.random.default_rng(0)
    for k, (x, y) in enumerate(rng.uniform(-2, 2, (12, 2))):
        panel.draw.add_point(x, y, k % 2)
    assert "not in use" in panel.draw.count.text()
    assert panel.use_drawn_points()
    assert panel.draw.in_use and panel.draw.count.text().endswith("in use")
    assert panel.draw.scatter.opacity() == 1.0
    assert panel.import_csv(iris_csv)
    assert not panel.draw.in_use and len(panel.draw.points) == 12        # kept: the user's work
    assert "not in use: training on iris.csv" in panel.draw.count.text()
    assert panel.draw.scatter.opacity() < 1.0


def test_inspectors_forget_a_point_clicked_on_earlier_data(make_window, qtbot, iris_csv):
    win = make_window()
    model = win.model
    model.step(3)
    model.flush()
    model.select_point(model.split.X_val[0])
    inspector, test_time = win.panels["softmax_inspector"], win.panels["test_time_bn"]
    qtbot.waitUntil(lambda: inspector.current_values() != {}, timeout=5000)
    assert "One example" in test_time.result.text()
    assert win.panels["datasets"].import_csv(iris_csv)
    assert model.selected_point is None
    assert inspector.current_values() == {} and not inspector.view.isVisible()
    assert "One example" not in test_time.result.text()
    marks = win.panels["decision_regions"].markers["bn"][1].getData()[0]
    assert len(marks) == 0
    model.shift_inputs((0.5, 0.0))                       # the same data, moved: kept
    model.select_point((0.1, 0.2))
    model.shift_inputs((0.5, 0.0))
    assert model.selected_point is not None
