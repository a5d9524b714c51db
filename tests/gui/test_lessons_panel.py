"""Each lesson loads, sets the studio up, runs its experiment for a few steps offscreen."""

import pytest

from bn_studio.core import lessons as L


@pytest.fixture
def win(make_window):
    return make_window()


def test_walk_through_every_lesson(win, qtbot):
    p = win.panels["lessons"]
    win.show_start_page()
    assert "Welcome" in p.title_label.text()
    p.next_button.click()                               # "Start lesson 1"
    for i, les in enumerate(L.LESSONS):
        assert p.current.id == les.id
        assert les.title in p.title_label.text()
        if les.dataset:
            assert win.model.dataset.name == les.dataset["name"]
        for key, value in les.config.items():
            assert getattr(win.model.config, key) == value
        win.model.flush()
        before = win.model.snapshot.step           # lesson 2 keeps the studio as it was
        win.model.step(5)
        win.model.flush()
        assert win.model.snapshot.step == before + 5
        p.show_answer.click()
        assert p.answer.isVisibleTo(p)
        if i < len(L.LESSONS) - 1:
            p.next_button.click()
    assert not p.next_button.isEnabled()


def test_lesson_experiments_compute_with_the_core(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("scales")
    assert abs(p.scale_values["lr_uniform"][-1][2] - 0.9) < 0.05
    win.start_lesson("bn_by_hand")
    win.model.step(3)
    win.model.flush()
    p.new_minibatch()
    p.set_identity()
    assert abs(p.bn_values["z_tilde"] - p.bn_z).max() < 1e-8
    win.start_lesson("test_time")
    win.model.step(30)
    win.model.flush()
    res = p.measure_test_time()
    assert res["batch"] == 8 and "eval mode" in p.tt_label.text()
    win.start_lesson("why_bn")
    win.model.step(10)
    win.model.flush()
    x0 = win.model.split.X_train[0].copy()
    win.model.shift_inputs((1.5, 1.0))
    win.model.step(5)
    win.model.flush()
    assert win.model.snapshot.step == 15                # shifted without a reset
    assert abs(win.model.split.X_train[0][0] - x0[0] - 1.5) < 1e-9


def test_grid_vs_random_lesson_runs_both_searches(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("grid_vs_random")
    win.model.set_config(win.model.config.replace(hidden=(4,)))
    p.run_grid_vs_random()
    qtbot.waitUntil(lambda: p.gvr_button.isEnabled(), timeout=120000)
    assert "5 distinct" in p.gvr_label.text() and "25 distinct" in p.gvr_label.text()
