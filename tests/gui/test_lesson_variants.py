"""Lessons 12-14: each pauses at its stop, its choosers restart the run one way or another,
it keeps a row per run, and its switches do not follow the learner out."""

import pytest

from bn_studio.gui.panels.lessons import variants as V


@pytest.fixture
def win(make_window):
    return make_window()


@pytest.fixture
def pauses(win, monkeypatch):
    got = []
    real = win.model.pause_at
    monkeypatch.setattr(win.model, "pause_at", lambda s: (got.append(s), real(s)))
    return got


def _pick(box, value) -> None:
    box.setCurrentIndex(box.findData(value))
    box.activated.emit(box.currentIndex())


def _train_to_stop(win, steps: int) -> None:
    win.model.step(steps)
    win.model.flush()


def test_lesson_12_compares_the_running_averages_with_one_pass(win, pauses, monkeypatch):
    monkeypatch.setitem(V.STOPS, "test_estimates", (5, 8))
    p = win.panels["lessons"]
    win.start_lesson("test_estimates")
    assert p.stack.currentWidget() is p.experiments["test_estimates"]
    assert pauses[-1] == 5 and p.est_decay.currentData() == 0.99
    _pick(p.est_decay, 0.9)
    assert win.model.config.bn_decay == 0.9 and pauses[-1] == 5
    _train_to_stop(win, 5)
    assert "one pass over the training set" in p.est_live.text()
    assert "<td>0.9</td><td>5</td>" in p.est_table.text()
    xs, _ = p.est_curves["full"].getData()
    assert xs is not None and xs[-1] == 5


def test_lesson_13_moves_bn_after_g_and_shows_a_kept_bias_standing_still(win, pauses,
                                                                        monkeypatch):
    monkeypatch.setitem(V.STOPS, "bn_placement", (4, 6))
    p = win.panels["lessons"]
    win.start_lesson("bn_placement")
    assert win.model.config.dtype == "float64" and not win.model.config.bn_after_g
    _pick(p.place_where, True)
    assert win.model.config.bn_after_g and not p.place_bias.isEnabled()
    _train_to_stop(win, 4)
    assert "BN after g" in p.place_table.text()
    _pick(p.place_where, False)
    p.place_bias.setChecked(True)
    cfg = win.model.config
    assert cfg.bn_keep_bias and not cfg.bn_after_g and pauses[-1] == 4
    _train_to_stop(win, 4)
    assert "largest |db|" in p.place_live.text()
    assert "BN before g, b kept" in p.place_table.text()
    win.show_start_page()                   # the switches and the pause are undone
    assert pauses[-1] is None
    assert not win.model.config.bn_keep_bias and not win.model.config.bn_after_g


def test_lesson_14_keeps_a_row_per_batch_size_and_statistics(win, pauses, monkeypatch):
    monkeypatch.setitem(V.STOPS, "minibatch_noise", (6, 6))
    p = win.panels["lessons"]
    win.start_lesson("minibatch_noise")
    assert win.model.config.batch == 8 and pauses[-1] == 6
    _train_to_stop(win, 6)
    _pick(p.noise_stats, "train_set")
    assert win.model.config.bn_stats == "train_set"
    _train_to_stop(win, 6)
    text = p.noise_table.text()
    assert "step 6" in text and "<td>8</td><td>batch</td>" in text
    assert "<td>8</td><td>train set</td>" in text
    win.start_lesson("test_estimates")      # a lesson with settings of its own
    assert win.model.config.bn_stats == "batch"
