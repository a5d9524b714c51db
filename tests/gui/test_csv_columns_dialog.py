"""Import CSV shows the file's columns: the class column guessed from the data, the user's
pick of two features and the label, read in the background, the names on the axes, kept in
the workspace; bad input is one line and the data in use stays."""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.gui.panels.datasets import DatasetsPanel


@pytest.fixture
def panel(make_panel):
    return make_panel(DatasetsPanel)


def _import(panel, model, qtbot, dialog):
    """Press Import and wait for the background read."""
    with qtbot.waitSignal(model.datasetChanged, timeout=20_000):
        dialog.buttons.button(QDialogButtonBox.Ok).click()


def test_iris_shows_its_columns_and_the_picked_features_reach_the_data(panel, model, qtbot,
                                                                       iris_csv):
    dialog = panel.choose_columns(iris_csv)
    assert dialog.isVisible() and dialog.choice() == (0, 1, 4)
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert names == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    assert dialog.table.item(4, 1).text() == "text" and dialog.table.item(0, 1).text() == "number"
    assert dialog.table.item(4, 4).text() == "the label"
    assert "species: 3 classes: Iris-setosa (50)" in dialog.status.text()
    assert [dialog.x1_box.itemText(i) for i in range(dialog.x1_box.count())] == names[:4]
    dialog.best_button.click()
    assert dialog.choice() == (2, 3, 4)
    assert dialog.columns_arg() == "petal_length,petal_width,species"
    _import(panel, model, qtbot, dialog)
    ds = model.dataset
    assert ds.feature_names == ("petal_length", "petal_width") and ds.classes == 3
    assert ds.source.columns == "petal_length,petal_width,species"
    assert model.split.feature_names == ("petal_length", "petal_width")
    assert "petal_length ← (petal_length" in panel.info.text()


def test_wine_guesses_its_first_column_as_the_class(panel, model, qtbot, wine_csv):
    dialog = panel.choose_columns(wine_csv)
    assert dialog.choice() == (1, 2, 0)
    assert dialog.label_box.currentText() == "class"
    assert "class: 3 classes" in dialog.status.text()
    assert dialog.table.rowCount() == 14
    _import(panel, model, qtbot, dialog)
    assert model.dataset.class_names == ["1", "2", "3"]
    assert model.dataset.feature_names == ("alcohol", "malic_acid")


def test_a_label_column_with_too_many_values_disables_import_with_one_line(panel, iris_csv):
    dialog = panel.choose_columns(iris_csv)
    dialog.set_choice(2, 3, 0)                      # sepal length as the "label"
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    assert not ok.isEnabled()
    assert "sepal_length has 35 different values; the limit on classes is 8" in \
        dialog.status.text()
    dialog.set_choice(2, 3, 4)
    assert ok.isEnabled()


def test_names_from_the_file_are_plain_text(panel, tmp_path):
    path = tmp_path / "html.csv"
    rows = "".join(f"{i},{i % 7},{'ab'[i % 2]}\n" for i in range(30))
    path.write_text("<b>bold</b>,<img src=x>,<i>cls</i>\n" + rows)
    dialog = panel.choose_columns(path)
    assert dialog.table.item(0, 0).text() == "<b>bold</b>"
    assert dialog.x1_box.currentText() == "<b>bold</b>"
    assert dialog.status.textFormat() == Qt.PlainText
    assert dialog.status.text().startswith("<i>cls</i>: 2 classes")
    assert dialog.summary.textFormat() == Qt.PlainText


@pytest.mark.parametrize("text, words", [
    ("name,city,kind\n" + "ann,oslo,a\nbob,rome,b\n" * 10, "no numeric column"),
    ("x,y\n" + "1,2\n" * 20, "need two feature columns and a label column"),
])
def test_a_file_with_nothing_to_pick_is_one_line_and_the_data_stays(panel, model, qtbot,
                                                                    tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    before = model.dataset
    with qtbot.waitSignal(model.errorOccurred, timeout=1000) as sig:
        assert panel.choose_columns(path) is None
    assert words in sig.args[0] and "\n" not in sig.args[0]
    assert words in panel.error.text() and model.dataset is before


def test_one_class_in_a_whole_file_disables_import(panel, tmp_path):
    """(The sample of a long file may miss a class: there the reader, which reads every row,
    has the last word.)"""
    path = tmp_path / "one.csv"
    path.write_text("x,y,c\n" + "".join(f"{i},{i * 2},a\n" for i in range(20)))
    dialog = panel.choose_columns(path)
    assert dialog.status.text() == "c has only one value (a): need at least 2 classes"
    assert not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()    # the whole file


def test_reimporting_the_same_file_starts_from_the_columns_in_use(panel, model, qtbot,
                                                                  iris_csv):
    assert panel.import_csv(iris_csv, "petal_width,sepal_length,species")
    dialog = panel.choose_columns(iris_csv)
    assert dialog.choice() == (3, 0, 4)


def test_cancel_in_the_dialog_changes_nothing(panel, model, qtbot, iris_csv):
    before = model.dataset
    dialog = panel.choose_columns(iris_csv)
    dialog.buttons.button(QDialogButtonBox.Cancel).click()
    qtbot.wait(50)
    assert model.dataset is before and not panel.importing


def test_the_workspace_keeps_the_feature_names_and_the_columns(make_window, qtbot, iris_csv,
                                                              tmp_path):
    win = make_window()
    panel = win.panels["datasets"]
    assert panel.import_csv(iris_csv, "petal_length,petal_width,species")
    saved = tmp_path / "ws.json"
    win.save_workspace_to(saved)
    section = json.loads(saved.read_text())["dataset"]
    assert section["feature_names"] == ["petal_length", "petal_width"]
    win.model.set_spec(DatasetSpec("moons"))
    assert win.model.dataset.feature_names == ("x₁", "x₂")
    win.open_workspace_from(saved, wait=True)
    assert win.model.dataset.feature_names == ("petal_length", "petal_width")
    win.resize(1600, 1000)                          # room for the whole name
    axis = win.panels["decision_regions"].plot_items["bn"].getAxis("bottom")
    qtbot.waitUntil(lambda: axis.labelText == "petal_length (standardised)", timeout=5000)
    assert "Across: petal_length; up: petal_width" in win.panels["unit_maps"].header.text()
    win.model.step(5)
    win.model.flush()
    win.model.select_point(win.model.split.X_val[0])
    qtbot.waitUntil(lambda: "petal_length = " in
                    win.panels["softmax_inspector"].prompt.text(), timeout=5000)
    raw = win.model.split.unstandardize(win.model.split.X_val[:1])[0]
    assert f"petal_width = {raw[1]:.2f}" in win.panels["softmax_inspector"].prompt.text()
    assert "petal_length = " in win.panels["test_time_bn"].result.text()
