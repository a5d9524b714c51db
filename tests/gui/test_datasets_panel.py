"""The dataset panel: gallery clicks, knobs, drawn points and CSV import change the model's data."""

import pytest
from PySide6.QtCore import Qt

from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import DATASETS, DEFAULT_CLASSES, FIXED_CLASSES, DatasetSpec
from bn_studio.gui.panels.datasets import DatasetsPanel


@pytest.fixture
def panel(make_panel):
    return make_panel(DatasetsPanel)


def click_item(qtbot, panel, name):
    for i in range(panel.gallery.count()):
        item = panel.gallery.item(i)
        if item.data(Qt.UserRole) == name:
            rect = panel.gallery.visualItemRect(item)
            qtbot.mouseClick(panel.gallery.viewport(), Qt.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"no gallery item {name}")


def test_clicking_each_thumbnail_switches_the_dataset(panel, model, qtbot):
    assert panel.gallery.count() == len(DATASETS)
    for name in DATASETS:
        if model.spec is not None and model.spec.name == name:
            continue
        with qtbot.waitSignal(model.datasetChanged, timeout=2000):
            click_item(qtbot, panel, name)
        assert model.dataset.name == name
        assert model.dataset.classes == DEFAULT_CLASSES[name]
        assert model.spec.name == name
        assert [i.data(Qt.UserRole) for i in panel.gallery.selectedItems()] == [name]
        assert name in panel.info.text()


def test_info_shows_the_standardisation_from_the_start(panel, model):
    text = panel.info.text()
    assert f"N = {model.dataset.X.shape[0]}" in text
    assert f"{abs(model.split.mean[0]):.2f}" in text and f"{model.split.std[1]:.2f}" in text


def test_a_negative_mean_reads_plus_not_minus_minus(panel, model):
    assert model.split.mean[0] < -0.005          # spirals' x₁ mean is −0.02
    text = panel.info.text()
    assert f"(x₁ + {-model.split.mean[0]:.2f})" in text
    assert "− -" not in text and "−-" not in text


def test_n_slider_changes_the_dataset_once_after_the_debounce(panel, model, qtbot):
    changes = []
    model.datasetChanged.connect(changes.append)
    for n in (300, 310, 320):               # keyboard-like steps: one regeneration at the end
        panel.n_slider.setValue(n)
    assert changes == []
    qtbot.waitUntil(lambda: model.dataset.X.shape[0] == 320, timeout=3000)
    assert len(changes) == 1 and model.spec.n == 320


def test_noise_and_seed_knobs_regenerate(panel, model, qtbot):
    X = model.dataset.X.copy()
    panel.seed_box.setValue(7)
    panel.noise_slider.setValue(0.05)
    qtbot.waitUntil(lambda: model.spec.seed == 7, timeout=3000)
    assert model.spec.noise == pytest.approx(0.05)
    assert model.dataset.X.shape == X.shape and (model.dataset.X != X).any()


def test_fixed_class_datasets_disable_the_classes_box(panel, model):
    name = next(iter(FIXED_CLASSES))
    panel.select_dataset(name)
    assert not panel.classes_box.isEnabled()
    assert "always has 2 classes" in panel.classes_box.toolTip()
    panel.select_dataset("blobs")
    assert panel.classes_box.isEnabled()
    panel.classes_box.setValue(6)
    panel.apply_spec()
    assert model.dataset.classes == 6


def test_drawn_points_of_two_classes_become_the_dataset(panel, model):
    for i in range(12):
        panel.draw.add_point(i / 4 - 1.5, (i % 3) - 1, cls=i % 2)
    assert panel.use_drawn_points()
    assert model.dataset.X.shape == (12, 2) and model.dataset.classes == 2
    assert model.spec is None and panel.gallery.selectedItems() == []
    assert not panel.error.text()


def test_drawn_points_of_one_class_are_refused_and_the_data_kept(panel, model, qtbot):
    before = model.dataset
    for i in range(12):
        panel.draw.add_point(i / 4 - 1.5, 0.5, cls=1)
    with qtbot.waitSignal(model.errorOccurred, timeout=1000):
        assert not panel.use_drawn_points()
    assert "2 classes" in panel.error.text() and panel.error.isVisible()
    assert model.dataset is before


def test_removing_and_clearing_drawn_points(panel):
    panel.draw.add_point(0, 0, cls=0)
    panel.draw.add_point(2, 2, cls=1)
    panel.draw.remove_nearest(1.8, 1.9)
    assert panel.draw.points == [(0.0, 0.0)] and panel.draw.labels == [0]
    panel.draw.clear_points()
    assert panel.draw.points == [] and "no points" in panel.draw.count.text()


def test_good_csv_is_loaded_and_skipped_rows_reported(panel, model, tmp_path):
    good = tmp_path / "good.csv"
    rows = "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(30))
    good.write_text("x,y,label\n" + rows + "1,,a\n,2,b\n3,4,\n")
    assert panel.import_csv(good)
    assert model.dataset.name == "good.csv" and model.dataset.X.shape == (30, 2)
    assert "skipped 3 rows" in panel.info.text()
    assert not panel.error.text()


def test_ragged_csv_names_the_line_and_keeps_the_data(panel, model, qtbot, tmp_path):
    before = model.dataset
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,l\n" + "1,2,a\n" * 6 + "1,2\n" + "3,4,b\n" * 6)
    with qtbot.waitSignal(model.errorOccurred, timeout=1000) as sig:
        assert not panel.import_csv(bad)
    assert "line 8" in panel.error.text() and "line 8" in sig.args[0]
    assert model.dataset is before


def test_after_a_csv_import_the_generator_knobs_are_off_with_the_reason(panel, model,
                                                                        tmp_path, qtbot):
    good = tmp_path / "good.csv"
    good.write_text("x,y,label\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(30)))
    assert panel.n_slider.isEnabled() and panel.knobs_note.isHidden()
    assert panel.import_csv(good)
    for w in (panel.n_slider, panel.noise_slider, panel.classes_box, panel.seed_box):
        assert not w.isEnabled()
    assert not panel.knobs_note.isHidden() and "do not apply" in panel.knobs_note.text()
    click_item(qtbot, panel, "blobs")
    assert panel.n_slider.isEnabled() and panel.classes_box.isEnabled()
    assert panel.knobs_note.isHidden()


def test_an_old_error_is_cleared_when_a_file_then_loads(panel, model, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,l\n" + "1,2,a\n" * 6 + "1,2\n")
    assert not panel.import_csv(bad)
    assert panel.error.text() and not panel.error.isHidden()
    good = tmp_path / "good.csv"
    good.write_text("x,y,label\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(30)))
    assert model.set_dataset(load_csv(good))          # loaded another way (a workspace)
    assert not panel.error.text() and panel.error.isHidden()


def test_knobs_follow_an_external_dataset_change(panel, model):
    model.set_spec(DatasetSpec("circles", n=420, noise=0.3, classes=3, seed=5))
    assert panel.n_slider.value() == 420 and panel.seed_box.value() == 5
    assert panel.noise_slider.value() == pytest.approx(0.3)
    assert panel.classes_box.value() == 3
    assert [i.data(Qt.UserRole) for i in panel.gallery.selectedItems()] == ["circles"]


def test_dragging_the_n_slider_regenerates_once_on_release(panel, model, qtbot):
    changes = []
    model.datasetChanged.connect(changes.append)
    panel.n_slider.setSliderDown(True)
    for n in (1000, 1500, 2000):
        panel.n_slider.setValue(n)
    qtbot.wait(500)                          # longer than the debounce: still dragging
    assert changes == []
    panel.n_slider.setSliderDown(False)      # the release
    assert len(changes) == 1 and model.dataset.X.shape[0] == 2000


def test_unticking_standardise_feeds_the_nets_the_scaled_data(panel, model, qtbot):
    assert panel.inputs.standardize_box.isChecked() and model.split.standardized
    panel.inputs.scale_box.setValue(100.0)            # standardising undoes it: same split
    assert model.config.x2_scale == 100.0 and model.split.standardized
    with qtbot.waitSignal(model.datasetChanged, timeout=2000):
        panel.inputs.standardize_box.setChecked(False)
    assert not model.config.standardize and not model.split.standardized
    raw = model.dataset.X
    assert abs(model.split.X_train[:, 1]).max() == pytest.approx(100 * abs(raw[:, 1]).max(),
                                                                 rel=0.05)
    assert "not</b> standardised" in panel.info.text() and "x₂ × 100" in panel.info.text()
    model.step(3)                                   # the training process trains on it
    model.flush()
    assert model.snapshot.step == 3 and not model.snapshot.config.standardize
    with qtbot.waitSignal(model.datasetChanged, timeout=2000):
        panel.inputs.standardize_box.setChecked(True)
    assert model.split.standardized and "inputs standardised" in panel.info.text()


def test_the_inputs_row_follows_a_config_from_elsewhere(panel, model):
    model.set_config(model.config.replace(standardize=False, x2_scale=3.0))
    assert not panel.inputs.standardize_box.isChecked()
    assert panel.inputs.scale_box.value() == 3.0
    model.set_config(model.config.replace(standardize=True, x2_scale=1.0))
    assert panel.inputs.standardize_box.isChecked() and panel.inputs.scale_box.value() == 1.0
