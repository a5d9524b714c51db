"""Workspaces with a large imported CSV through the window: saved as a reference to the file,
reopened in the background like an import; a missing or changed file is one message and the
rest of the workspace still opens."""

import json
import threading

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from bn_studio.core import limits
from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels import datasets as datasets_panel
from bn_studio.workspace import WorkspaceError

ROWS = 300


@pytest.fixture(autouse=True)
def small_inline_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_INLINE_POINTS", 50)


@pytest.fixture
def win(fresh_shared_window):
    return fresh_shared_window()


def write_csv(path, rows=ROWS, shift=0.0):
    path.write_text("x1,x2,label\n" + "".join(
        f"{i / 37 + shift:.5f},{(i * 7) % 13 - 6:.2f},{'pq'[i % 2]}\n" for i in range(rows)))
    return path


def imported(win, qtbot, csv):
    win.panels["datasets"].start_import(csv)
    qtbot.waitUntil(lambda: win.model.dataset.name == csv.name, timeout=20_000)
    return win.model.dataset


def test_a_big_import_round_trips_through_the_window(win, qtbot, tmp_path):
    ds = imported(win, qtbot, write_csv(tmp_path / "big.csv"))
    win.model.set_config(TrainConfig(hidden=(7,), lr=0.05))
    win.save_workspace_to(tmp_path / "ws.json")
    doc = json.loads((tmp_path / "ws.json").read_text())
    assert doc["dataset"]["kind"] == "csv" and doc["dataset"]["points"] == ROWS
    win.model.set_spec(DatasetSpec("moons"))
    win.model.set_config(TrainConfig(hidden=(3,)))
    win.open_workspace_from(tmp_path / "ws.json")
    assert win.model.config.hidden == (7,)              # the rest opens at once
    assert win.panels["datasets"].importing             # the file is read in the background
    qtbot.waitUntil(lambda: win.model.dataset.name == "big.csv", timeout=20_000)
    assert f"Read big.csv ({ROWS:,} points)" in win.statusBar().currentMessage()
    np.testing.assert_array_equal(win.model.dataset.X, ds.X)
    np.testing.assert_array_equal(win.model.dataset.y, ds.y)
    assert win.model.spec is None and win.model.config.hidden == (7,)


def test_a_missing_file_is_one_message_and_the_rest_opens(win, qtbot, tmp_path):
    csv = write_csv(tmp_path / "gone.csv")
    imported(win, qtbot, csv)
    win.model.set_config(TrainConfig(hidden=(6,)))
    win.save_workspace_to(tmp_path / "ws.json")
    csv.unlink()
    win.model.set_spec(DatasetSpec("circles"))
    win.model.set_config(TrainConfig(hidden=(3,)))
    with qtbot.waitSignal(win.model.errorOccurred, timeout=20_000) as sig:
        win.open_workspace_from(tmp_path / "ws.json")
    text = sig.args[0]
    assert "gone.csv is missing" in text and str(csv) in text and "\n" not in text
    assert "rest of the workspace opened" in text
    assert win.model.config.hidden == (6,) and win.model.spec == DatasetSpec("circles")
    assert text in win.panels["datasets"].error.text()
    boxes = [b for b in win.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "gone.csv is missing" in boxes[-1].text()


def test_waiting_for_a_changed_file_raises_after_the_rest_opened(win, qtbot, tmp_path):
    csv = write_csv(tmp_path / "d.csv")
    imported(win, qtbot, csv)
    win.model.set_config(TrainConfig(hidden=(5,)))
    win.save_workspace_to(tmp_path / "ws.json")
    write_csv(csv, shift=1.0)
    win.model.set_config(TrainConfig(hidden=(3,)))
    with pytest.raises(WorkspaceError, match="has changed since the workspace was saved"):
        win.open_workspace_from(tmp_path / "ws.json", wait=True)
    assert win.model.config.hidden == (5,)


def test_saving_warns_if_the_imported_file_changed_since(win, qtbot, tmp_path):
    csv = write_csv(tmp_path / "d.csv")
    imported(win, qtbot, csv)
    write_csv(csv, rows=ROWS + 5)
    with qtbot.waitSignal(win.statusBar().messageChanged, timeout=5000,
                          check_params_cb=lambda t: "but" in t) as sig:
        win.save_workspace_to(tmp_path / "ws.json")
    assert "has changed" in sig.args[0] and "d.csv" in sig.args[0]
    assert json.loads((tmp_path / "ws.json").read_text())["dataset"]["kind"] == "csv"


def test_saving_while_the_file_is_read_keeps_the_reference(win, qtbot, tmp_path, monkeypatch):
    imported(win, qtbot, write_csv(tmp_path / "d.csv"))
    win.save_workspace_to(tmp_path / "ws.json")
    before = json.loads((tmp_path / "ws.json").read_text())["dataset"]
    gate = threading.Event()
    real = datasets_panel._workspace_steps

    def slow(ref, folder):
        while not gate.is_set():
            yield 0.1
            gate.wait(0.01)
        return (yield from real(ref, folder))
    monkeypatch.setattr(datasets_panel, "_workspace_steps", slow)
    win.model.set_spec(DatasetSpec("moons"))
    win.open_workspace_from(tmp_path / "ws.json")
    assert win.panels["datasets"].importing
    win.save_workspace_to(tmp_path / "again.json")
    gate.set()
    qtbot.waitUntil(lambda: win.model.dataset.name == "d.csv", timeout=20_000)
    again = json.loads((tmp_path / "again.json").read_text())["dataset"]
    assert again == before and again["kind"] == "csv"


def test_an_old_workspace_with_inline_points_opens_in_the_window(win, tmp_path):
    (tmp_path / "old.json").write_text(json.dumps({
        "format": "bn-studio-workspace", "version": 1, "config": {"hidden": [4]},
        "dataset": {"kind": "points", "name": "old", "X": [[i, i % 4] for i in range(30)],
                    "y": [i % 3 for i in range(30)], "class_names": ["a", "b", "c"]}}))
    win.open_workspace_from(tmp_path / "old.json")
    assert win.model.dataset.name == "old" and win.model.dataset.classes == 3


def test_unstandardised_inputs_are_saved_and_reopened(win, tmp_path):
    win.model.set_config(win.model.config.replace(standardize=False, x2_scale=100.0))
    win.save_workspace_to(tmp_path / "raw.json")
    assert json.loads((tmp_path / "raw.json").read_text())["config"]["x2_scale"] == 100.0
    win.model.set_config(win.model.config.replace(standardize=True, x2_scale=1.0))
    assert win.model.split.standardized
    win.open_workspace_from(tmp_path / "raw.json")
    assert not win.model.config.standardize and win.model.config.x2_scale == 100.0
    assert not win.model.split.standardized
    assert not win.panels["datasets"].inputs.standardize_box.isChecked()


@pytest.mark.slow
def test_screenshot_waits_for_the_file_and_names_a_missing_one(qapp, tmp_path, capsys,
                                                               monkeypatch):
    from bn_studio import workspace
    from bn_studio.cli import main
    from bn_studio.gui.main_window import MainWindow
    from bn_studio.core.data import csv_source
    csv = write_csv(tmp_path / "d.csv")
    section = workspace.dataset_section(csv_source.load_sourced(csv), tmp_path)
    workspace.save_workspace(tmp_path / "ws.json", {"config": {"hidden": [6]},
                                                     "dataset": section})
    assert main(["screenshot", str(tmp_path / "ok.png"), "--workspace",
                 str(tmp_path / "ws.json"), "--steps", "2", "--size", "600x400"]) == 0
    capsys.readouterr()
    csv.unlink()

    def no_window(*args, **kwargs):
        raise AssertionError("a window was built for a workspace that cannot open")
    monkeypatch.setattr(MainWindow, "__init__", no_window)     # refused in a moment
    assert main(["screenshot", str(tmp_path / "bad.png"), "--workspace",
                 str(tmp_path / "ws.json"), "--size", "600x400"]) == 2
    err = capsys.readouterr().err.strip()
    assert "d.csv is missing" in err and "\n" not in err
    assert not (tmp_path / "bad.png").exists()


def test_cancelling_the_read_keeps_the_data_in_use_and_says_so(win, qtbot, tmp_path,
                                                                monkeypatch):
    imported(win, qtbot, write_csv(tmp_path / "d.csv"))
    win.save_workspace_to(tmp_path / "ws.json")

    def endless(ref, folder):
        while True:
            yield 0.5
    monkeypatch.setattr(datasets_panel, "_workspace_steps", endless)
    win.model.set_spec(DatasetSpec("circles"))
    win.open_workspace_from(tmp_path / "ws.json")
    panel = win.panels["datasets"]
    qtbot.waitUntil(lambda: panel.import_cancel.isVisible(), timeout=5000)
    panel.import_cancel.click()
    assert not panel.importing and panel.pending_reference is None
    assert "Stopped reading d.csv" in win.statusBar().currentMessage()
    assert win.model.spec == DatasetSpec("circles")
