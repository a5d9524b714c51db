"""The studio window as a user drives it: open, transport, switch data, close mid-training."""

import gc
import multiprocessing as mp
import random
import weakref

import numpy as np
import pytest
import shiboken6
from PySide6.QtWidgets import (QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox,
                               QToolButton)

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.main_window import MainWindow

SMALL = TrainConfig(hidden=(8, 8), batch=16, eval_every=5)


@pytest.fixture
def window(fresh_shared_window):
    return fresh_shared_window(SMALL)


def menu_actions(menu):
    """Every action reachable from the menu bar, through submenus."""
    out = []
    for a in menu.actions():
        out.append(a)
        if a.menu() is not None:
            out += menu_actions(a.menu())
    return out


PANELS = {"decision_regions": "DecisionRegionsPanel", "datasets": "DatasetsPanel",
          "network": "NetworkPanel", "curves": "CurvesPanel", "histograms": "HistogramsPanel",
          "test_time_bn": "TestTimeBNPanel", "softmax_inspector": "SoftmaxInspectorPanel",
          "tuning": "TuningPanel", "lessons": "LessonsPanel", "unit_maps": "UnitMapsPanel",
          "diagnostics": "DiagnosticsPanel"}


def test_every_panel_is_present_in_its_own_dock(window):
    """A panel module that fails to import is skipped by the window: this names all nine;
    the decision regions are the central widget, every other panel has a dock."""
    assert {name: type(p).__name__ for name, p in window.panels.items()} == PANELS
    assert window.centralWidget() is window.panels["decision_regions"]
    assert set(window.docks) == set(PANELS) - {"decision_regions"}
    for name, dock in window.docks.items():
        panel = window.panels[name]
        assert dock.widget().widget() is panel
        assert dock.windowTitle() == (panel.tab_title or panel.title) != "Panel"
        if panel.area == "right":                       # tabbed: five tabs fit 440 px
            assert len(dock.windowTitle()) <= 12, dock.windowTitle()


def test_step_and_reset_change_the_step_counter(window, qtbot):
    window.act_step.trigger()
    window.model.flush()
    assert window.model.snapshot.step == 1
    window.model.step(9)
    window.model.flush()
    assert window.model.snapshot.step == 10
    assert "step 10" in window.step_label.text()
    window.act_reset.trigger()
    window.model.flush()
    assert window.model.snapshot.step == 0


@pytest.mark.real_worker
def test_play_then_pause(window, qtbot):
    window.act_play.trigger()
    assert window.act_play.isChecked()
    qtbot.waitUntil(lambda: window.model.snapshot is not None and window.model.snapshot.step > 5,
                    timeout=5000)
    window.act_play.trigger()
    assert not window.act_play.isChecked()
    window.model.flush()
    paused_at = window.model.snapshot.step
    qtbot.wait(200)
    window.model.flush()
    assert window.model.snapshot.step == paused_at


@pytest.mark.parametrize("name", ["moons", "blobs", "circles", "spirals", "xor", "checkerboard"])
def test_switching_dataset_redraws(window, qtbot, name):
    seen = []
    window.model.datasetChanged.connect(seen.append)
    assert window.model.set_spec(DatasetSpec(name, n=200))
    window.model.step(3)
    window.model.flush()
    assert seen and window.model.dataset.name == name
    snap = window.model.snapshot
    assert snap.step == 3
    qtbot.wait(50)
    split = window.model.split
    dr = window.panels["decision_regions"]
    x, y = dr.train_scatter["bn"].getData()
    np.testing.assert_array_equal(x, split.X_train[:, 0])
    np.testing.assert_array_equal(y, split.X_train[:, 1])
    assert snap.grid.probs["bn"].shape[-1] == split.classes
    assert dr.images["bn"].image is not None and dr.images["bn"].image.shape[:2] == \
        snap.grid.probs["bn"].shape[:2]
    x, _ = window.panels["curves"].train_items["bn"].getData()
    np.testing.assert_array_equal(x, [1, 2, 3])          # the new run's curve, not the old


@pytest.mark.real_worker
def test_the_toolbar_follows_a_run_that_pauses_by_itself(window, qtbot):
    """The training process stops unasked (here at a step limit; also when both nets have
    diverged): the toolbar says Play again, and the model knows it is paused."""
    window.model.worker.set_max_steps(20)
    window.act_play.trigger()
    qtbot.waitUntil(lambda: not window.act_play.isChecked(), timeout=20_000)
    window.model.flush()
    assert window.model.snapshot.step == 20 and not window.model.playing
    assert window.act_play.text() == "Play" and not window.model.snapshot.playing


@pytest.mark.real_worker
def test_closing_during_training_leaves_no_training_process_and_frees_the_window(qtbot):
    """Closing mid-run stops the training process, and nothing keeps the closed window alive
    (a slot naming it kept it, with its ~4,000 widgets, and every later theme switch
    re-polished them); freeing it does not crash."""
    win = MainWindow()
    model = win.model
    model.set_config(SMALL)
    win.show()
    model.play()
    qtbot.waitUntil(lambda: model.snapshot is not None and model.snapshot.step > 0,
                    timeout=20_000)
    assert [p.name for p in mp.active_children()] == ["bn-studio-trainer"]
    win.close()
    assert not model.worker.alive and mp.active_children() == []
    alive = weakref.ref(win)
    del win
    gc.collect()
    qtbot.wait(1)
    assert alive() is None


def test_huge_learning_rate_reports_divergence_and_keeps_going(window, qtbot):
    messages = []
    window.model.message.connect(messages.append)
    window.model.set_config(SMALL.replace(optimizer="sgd", lr=1e4))
    window.model.step(30)
    window.model.flush()
    runs = window.model.snapshot.runs
    assert runs["no_bn"].diverged_at is not None
    assert any("diverged at step" in m for m in messages)
    assert "diverged at step" in window.step_label.text()


@pytest.mark.slow
def test_monkey_clicks_every_control(make_window, qtbot, monkeypatch):
    """A few hundred random clicks, keys and value changes on every control raise nothing."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
    # Modal dialogs would wait for a human: answer them as if the user cancelled.
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    monkeypatch.setattr(QDialog, "exec", lambda self: 0)
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)
    for name in ("about", "information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: 0))
    window = make_window(SMALL)         # its own: the clicks leave anything anywhere
    rng = random.Random(0)
    actions = [a for a in menu_actions(window.menuBar()) + window.toolbar.actions()
               if a.isEnabled() and not a.menu()]
    widgets = window.findChildren(QAbstractButton) + window.findChildren(QComboBox) + \
        window.findChildren(QAbstractSlider) + window.findChildren(QAbstractSpinBox)
    assert len(widgets) > 10
    for i in range(300):
        kind = rng.random()
        if kind < 0.3 and actions:
            a = rng.choice(actions)
            if "Quit" in a.text() or "Exit" in a.text():
                continue
            a.trigger()
        else:
            w = rng.choice(widgets)
            # Panels rebuild some widgets (e.g. one plot row per layer): skip deleted ones.
            if not shiboken6.isValid(w) or not (w.isEnabled() and w.isVisible()):
                continue
            if isinstance(w, QToolButton) and w.menu():
                # Its menu would run a modal loop in C++ that no monkeypatch reaches: fill
                # it as opening it would, without the loop.
                w.menu().aboutToShow.emit()
            elif isinstance(w, QAbstractButton):
                w.click()
            elif isinstance(w, QComboBox) and w.count():
                w.setCurrentIndex(rng.randrange(w.count()))
            elif isinstance(w, QAbstractSlider):
                w.setValue(rng.randint(int(w.minimum()), int(w.maximum())))
            elif isinstance(w, QAbstractSpinBox):
                w.stepBy(rng.choice([-3, -1, 1, 3]))
        if i % 20 == 0:
            qtbot.wait(10)
    window.model.pause()
    window.model.flush()
    assert window.model.worker.alive
