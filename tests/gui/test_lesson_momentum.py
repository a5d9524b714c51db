"""Lesson 15: its button runs the lesson's network at every β in the background (one seed),
fills the table and both plots, and cancels."""

import pytest

from bn_studio.core.lessons import numbers as L
from bn_studio.gui.panels.lessons.momentum import BETA_SEARCH


@pytest.fixture
def win(make_window):
    return make_window()


def test_lesson_15_runs_every_beta_with_one_seed_and_plots_both_axes(win, qtbot, monkeypatch):
    monkeypatch.setattr(L, "BETA_STEPS", 20)
    p = win.panels["lessons"]
    win.start_lesson("beta_sensitivity")
    assert p.stack.currentWidget() is p.experiments["beta_sensitivity"]
    assert win.model.config.optimizer == "momentum"
    assert p.run_beta_sensitivity()
    run = win.model.searches.run(BETA_SEARCH)
    assert run.spec.base.steps == 20 and {s for _, s, _ in run.spec.plan()} == {
        win.model.config.seed}
    qtbot.waitUntil(lambda: not win.model.searches.running(BETA_SEARCH), timeout=120000)
    qtbot.waitUntil(lambda: p.beta_label.text().startswith("Done"), timeout=10000)
    assert p.beta_progress.value() == len(L.BETA_VALUES)
    assert p.beta_table.text().count("<tr>") == len(L.BETA_VALUES) + 1
    assert "<td>0.9995</td><td>0.0005</td>" in p.beta_table.text()
    xs, ys = p.beta_plots["linear"].getData()
    lx, ly = p.beta_plots["log"].getData()
    assert list(xs) == pytest.approx(L.BETA_VALUES)
    assert list(10 ** lx) == pytest.approx([1 - b for b in L.BETA_VALUES])   # log axis
    assert list(ly) == list(ys) and all(y > 0 for y in ys)
    assert p.beta_button.text().endswith("again")


def test_lesson_15s_button_cancels_its_runs(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("beta_sensitivity")
    assert p.run_beta_sensitivity()
    assert p.beta_button.text() == "Cancel"
    assert not p.run_beta_sensitivity()          # the same button, pressed again
    qtbot.waitUntil(lambda: not win.model.searches.running(BETA_SEARCH), timeout=60000)
    qtbot.waitUntil(lambda: p.beta_label.text().startswith("Cancelled"), timeout=10000)


def test_lesson_15_says_so_when_the_optimizer_is_not_momentum(win):
    p = win.panels["lessons"]
    win.start_lesson("beta_sensitivity")
    win.model.set_config(win.model.config.replace(optimizer="adam"))
    assert not p.run_beta_sensitivity()
    assert "momentum optimizer" in p.beta_label.text()
    assert win.model.searches.run(BETA_SEARCH) is None
