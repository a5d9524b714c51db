"""Big data in the window: a CSV loads on a worker thread with progress and Cancel, errors
arrive as one line, and the decision regions draw a stratified sample with its count."""

import threading

import numpy as np
import pytest

from bn_studio.core.data import csv_io, csv_read, datasets
from bn_studio.core.data.datasets import Dataset
from bn_studio.gui.panels import datasets as datasets_panel
from bn_studio.gui.panels.datasets import DatasetsPanel
from bn_studio.gui.panels.decision_regions import DecisionRegionsPanel
from bn_studio.gui.plotting import scatter_sample


@pytest.fixture
def panel(make_panel):
    return make_panel(DatasetsPanel)


def write_rows(path, n, labels="ab"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    path.write_text("x,y,label\n" + "".join(f"{a:.5f},{b:.5f},{labels[i % len(labels)]}\n"
                                            for i, (a, b) in enumerate(X)))
    return path


def test_an_import_runs_off_the_gui_thread_with_progress(panel, model, qtbot, tmp_path,
                                                         monkeypatch):
    path = write_rows(tmp_path / "big.csv", 20_000)
    with open(path, "a") as f:
        f.write("1.0,,a\n")                    # a missing value: read in chunks, with progress
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 16_384)
    threads, progress = [], []
    real = csv_read.load_csv_steps

    def spy(p, columns=None):
        threads.append(threading.current_thread())
        return (yield from real(p, columns))

    monkeypatch.setattr(datasets_panel, "load_csv_steps", spy)
    panel.import_progress.valueChanged.connect(progress.append)
    panel.start_import(path)
    assert panel.importing and panel.import_row.isVisibleTo(panel)
    assert not panel.import_button.isEnabled()
    qtbot.waitUntil(lambda: model.dataset.name == "big.csv", timeout=20_000)
    assert threads and threads[0] is not threading.main_thread()
    assert progress and max(progress) > 0
    assert not panel.importing and not panel.import_row.isVisibleTo(panel)
    assert panel.import_button.isEnabled() and model.dataset.X.shape == (20_000, 2)
    assert model.dataset.skipped_rows == 1


def test_cancel_keeps_the_data_in_use(panel, model, qtbot, tmp_path, monkeypatch):
    path = write_rows(tmp_path / "big.csv", 2_000)
    gate = threading.Event()
    real = csv_read.load_csv_steps

    def slow(p, columns=None):
        yield 0.0
        gate.wait(10)                          # held until the test has pressed Cancel
        return (yield from real(p, columns))

    monkeypatch.setattr(datasets_panel, "load_csv_steps", slow)
    before = model.dataset
    panel.start_import(path)
    panel.import_cancel.click()
    gate.set()
    qtbot.wait(500)
    assert model.dataset is before and not panel.importing
    assert not panel.import_row.isVisibleTo(panel) and not panel.error.text()


def test_a_bad_file_in_the_background_gives_one_line(panel, model, qtbot, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,l\n" + "1,2,a\n" * 6 + "1,2\n" + "3,4,b\n" * 6)
    before = model.dataset
    with qtbot.waitSignal(model.errorOccurred, timeout=10_000) as sig:
        panel.start_import(bad)
    assert "line 8" in sig.args[0] and "\n" not in sig.args[0]
    assert "line 8" in panel.error.text() and model.dataset is before
    assert not panel.importing and panel.import_button.isEnabled()


def big_split(n):
    rng = np.random.default_rng(1)
    y = (np.arange(n) % 3 == 0).astype(np.int64)
    y[:2] = 2                                  # a rare class: 2 of n points
    ds = Dataset(rng.normal(size=(n, 2)), y, ["a", "b", "rare"], "big.csv")
    return datasets.split_and_standardize(ds)


def test_the_scatter_sample_keeps_every_class_and_the_share_of_the_splits():
    split = big_split(40_000)
    (Xt, yt), (Xv, yv), note = scatter_sample(split, k=1000)
    assert abs(len(yt) - 1000) <= 3 and set(yt) == {0, 1, 2} and 2 in set(yv)
    assert len(yv) == pytest.approx(1000 * len(split.y_val) / len(split.y_train), abs=3)
    assert f"of {len(split.y_train):,} training" in note
    small = big_split(600)
    (Xt, yt), (Xv, yv), note = scatter_sample(small, k=1000)
    assert len(yt) == len(small.y_train) and len(yv) == len(small.y_val) and note == ""


def test_decision_regions_draw_a_sample_and_say_so(make_panel, model):
    split = big_split(60_000)
    model.set_dataset(Dataset(split.unstandardize(np.concatenate([split.X_train, split.X_val])),
                              np.concatenate([split.y_train, split.y_val]), ["a", "b", "rare"],
                              "big.csv"))
    panel = make_panel(DecisionRegionsPanel)
    assert len(panel.train_scatter["bn"].data) <= 5000 + 3
    assert len(panel.train_scatter["bn"].fragmentAtlas) <= 3     # one symbol per class
    n_train = len(model.split.y_train)
    assert n_train > 40_000 and f"of {n_train:,} training" in panel.legend.text()
