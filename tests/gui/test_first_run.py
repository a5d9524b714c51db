"""The first five minutes: one definition of the default run, a teaching pace, a hint that
follows the state, a window that fits the screen, screenshots through the live path."""

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from bn_studio.cli import build_parser, config_from_args, dataset_from_args
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET, DEFAULT_SPEED
from bn_studio.gui.hint import (DEFAULT_LATER, DEFAULT_START, DEFAULT_WATCH, HintState,
                                hint_text, is_default_run)
from bn_studio.gui.docks import SCREEN_SHARE


def test_train_with_no_options_runs_the_apps_default_run(model):
    args = build_parser().parse_args(["train"])
    assert config_from_args(args) == model.config == DEFAULT_CONFIG
    assert model.spec == DEFAULT_DATASET
    ds = dataset_from_args(args)
    np.testing.assert_array_equal(ds.X, model.dataset.X)
    np.testing.assert_array_equal(ds.y, model.dataset.y)


def test_the_app_starts_at_the_teaching_pace_and_the_toolbar_follows_the_model(
        fresh_shared_window):
    win = fresh_shared_window()             # its speed box as a new window's (reset_window)
    assert 50 <= DEFAULT_SPEED <= 100
    assert win.model.speed == DEFAULT_SPEED == win.speed.currentData()
    win.model.set_speed(10.0)                 # e.g. a lesson slows it down
    assert win.speed.currentData() == 10.0
    win.speed.setCurrentIndex(win.speed.findData(None))     # the user picks Max speed
    assert win.model.speed is None


@pytest.mark.parametrize("state, expected", [
    (HintState(False, 0, True), DEFAULT_START),
    (HintState(True, 300, True), DEFAULT_WATCH),
    (HintState(True, 5000, True), DEFAULT_LATER),
])
def test_the_default_runs_hint_says_what_the_run_shows_at_that_moment(state, expected):
    assert hint_text(state) == expected


def test_the_hint_names_divergence_a_lesson_and_a_pause():
    diverged = hint_text(HintState(True, 40, True, diverged=(("without BN", 37),)))
    assert "without BN diverged at step 37" in diverged and "Lower the learning rate" in diverged
    assert "Lesson 3. Batch norm" in hint_text(HintState(True, 5, False, lesson="3. Batch norm"))
    paused = hint_text(HintState(False, 120, False))
    assert paused.startswith("Paused at step 120")
    assert "Paused" not in hint_text(HintState(True, 120, False))


def test_only_the_default_dataset_and_network_count_as_the_default_run():
    assert is_default_run(DEFAULT_DATASET, DEFAULT_CONFIG.replace(steps=0))
    assert not is_default_run(DEFAULT_DATASET, DEFAULT_CONFIG.replace(lr=0.1))
    assert not is_default_run(None, DEFAULT_CONFIG)


@pytest.mark.real_worker
def test_the_window_hint_follows_play_pause_and_divergence(make_window, qtbot):
    win = make_window()
    win.model.flush()
    qtbot.wait(50)
    assert win.hint.text() == DEFAULT_START
    win.model.play()
    assert win.hint.text() == DEFAULT_WATCH
    # Wait for the worker's steps and the display timer rather than a fixed time: the
    # machine may be busy.
    qtbot.waitUntil(lambda: win.model.snapshot is not None and win.model.snapshot.step > 0,
                    timeout=20000)
    win.model.pause()
    win.model.flush()
    qtbot.waitUntil(lambda: win.hint.text().startswith("Paused at step"), timeout=5000)
    win.model.set_config(DEFAULT_CONFIG.replace(optimizer="sgd", lr=1e5, activation="relu"))
    win.model.step(20)
    win.model.flush()
    qtbot.waitUntil(lambda: "diverged at step" in win.hint.text(), timeout=5000)


def test_a_first_launch_takes_at_most_90_percent_of_the_screen(shared_window):
    win = shared_window                     # at the size it opened with
    avail = win.screen().availableGeometry()
    assert win.width() <= SCREEN_SHARE * avail.width() + 1
    assert win.height() <= SCREEN_SHARE * avail.height() + 1


def _shot(tmp_path, name, *args):
    out = tmp_path / name
    run = subprocess.run([sys.executable, "-m", "bn_studio.cli", "screenshot", str(out),
                          "--panel", "curves", "--size", "900x700", *args],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    return QImage(str(out))


@pytest.mark.slow
def test_screenshot_play_goes_through_the_live_path(tmp_path, qapp):
    still = _shot(tmp_path, "still.png", "--steps", "0")
    live = _shot(tmp_path, "live.png", "--play", "1.5")
    assert not still.isNull() and still.size() == live.size()
    assert still != live            # curves drawn after real steps, not the step-0 picture


@pytest.mark.real_worker
def test_a_learning_rate_edit_mid_run_changes_the_twins_without_a_reset(make_window, qtbot):
    win = make_window()
    model = win.model
    model.set_config(DEFAULT_CONFIG.replace(hidden=(8, 8)))
    model.step(30)
    model.flush()
    model.set_config(model.config.replace(lr=2.0, momentum=0.8), live=True)
    model.step(10)
    model.flush()
    qtbot.wait(50)
    snap = model.snapshot
    assert snap.step == 40                                     # not a reset
    assert snap.changes == ((30, "lr", 2.0), (30, "momentum", 0.8))
    curves = win.panels["curves"]
    labels = [line.label.toPlainText() for _, line in curves._change_lines
              if getattr(line, "label", None) is not None]
    assert [line.value() for _, line in curves._change_lines] == [30, 30]
    assert labels == ["α=2, β=0.8"]
    model.set_config(model.config.replace(hidden=(4,)), live=True)   # a new shape: reset
    model.flush()
    assert model.snapshot.step == 0 and model.snapshot.changes == ()


def test_the_toolbar_shows_the_rate_the_training_process_measures(fresh_shared_window,
                                                                    qtbot):
    """Not the rate asked for: the one measured over the last second, carried in the snapshot
    (whatever it is on this machine); paused, nothing."""
    from bn_studio.core.measure.rate import rate_text
    win = fresh_shared_window(DEFAULT_CONFIG.replace(hidden=(8,)))
    win.model.play()
    qtbot.waitUntil(lambda: win.model.snapshot is not None
                    and win.model.snapshot.rate is not None, timeout=30000)
    rate = win.model.snapshot.rate
    assert rate.target == win.model.speed and rate.steps_per_second > 0
    # The label follows at the next drawn frame (the display timer), not on arrival.
    qtbot.waitUntil(lambda: win.rate_label.text() == rate_text(win.model.snapshot.rate) != "",
                    timeout=5000)
    win.model.pause()
    win.model.flush()
    qtbot.waitUntil(lambda: win.rate_label.text() == "", timeout=5000)


def test_a_rate_that_falls_behind_says_why_in_the_tooltip_and_the_status_bar(
        fresh_shared_window):
    from bn_studio.core.measure.rate import RateReading
    from bn_studio.gui.toolbar import RATE_TOOLTIP
    win = fresh_shared_window()
    slow = RateReading(steps_per_second=4.0, step_seconds=0.05, cpu_share=0.2,
                       overhead_share=0.05, target=60.0)
    win.show_rate(slow)
    assert win.rate_label.text() == "only 4.0 of 60 steps/s"
    assert "busy with other work" in win.rate_label.toolTip()
    assert win.statusBar().currentMessage() == win.rate_label.toolTip()
    win.show_rate(RateReading(60.0, 0.004, 1.0, 0.05, 60.0))
    assert win.rate_label.text() == "60 steps/s now"
    assert win.rate_label.toolTip() == RATE_TOOLTIP


def test_play_steps_stops_the_live_path_at_exactly_step_n(fresh_shared_window, qapp):
    """screenshot --play-steps: Reset, Play through the display timer, and the training
    process pauses by itself at step N, whatever the machine's speed; the state is the one
    N single steps give."""
    from bn_studio.gui.app import _play_live_steps
    config = DEFAULT_CONFIG.replace(hidden=(8, 8))
    win = fresh_shared_window(config)
    win.model.set_speed(None)                   # as fast as it goes: the most overshoot
    _play_live_steps(qapp, win.model, 37)
    live = win.model.newest()
    assert live.step == 37 and not win.model.playing
    win.model.reset()
    win.model.step(37)                          # the same run, stepped (not played)
    win.model.flush()
    stepped = win.model.newest()
    for name in ("bn", "no_bn"):
        np.testing.assert_array_equal(live.runs[name].train_curve,
                                      stepped.runs[name].train_curve)


def test_play_steps_is_checked_before_a_window_opens():
    from bn_studio.cli import build_parser
    from bn_studio.errors import UsageError
    from bn_studio.gui.app import check_screenshot_args
    args = build_parser().parse_args(["screenshot", "x.png", "--play-steps", "-3"])
    with pytest.raises(UsageError, match="--play-steps"):
        check_screenshot_args(args)
    with pytest.raises(SystemExit):                 # one or the other
        build_parser().parse_args(["screenshot", "x.png", "--play", "2", "--play-steps", "5"])


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_every_hint_fits_the_toolbar_uncut(shared_window, qtbot, size):
    """At 1366×768 the paused default-run hint took three lines in a box of two: its first
    and last lines were cut."""
    from bn_studio.gui.hint import widest_hints
    win = shared_window                     # sized below, docks and all
    win.set_theme("light")                  # the app's style sheet: an italic hint
    win.fit_to_screen((int(size[0] * SCREEN_SHARE), int(size[1] * SCREEN_SHARE)))
    qtbot.wait(50)
    hint = win.hint
    fm = hint.fontMetrics()
    for text in widest_hints():
        hint.setText(text)
        needed = fm.boundingRect(0, 0, hint.contentsRect().width(), 10**6, Qt.TextWordWrap,
                                 text).height()
        assert needed <= hint.contentsRect().height(), text


def test_a_reason_for_falling_behind_fits_the_status_bar_at_1366x768(shared_window, qtbot):
    """At 1366×768 the replay bar took all the width it could and cut "Only 2.3 of the 60
    steps/s asked: the computer is busy … (training got 12 % of a" mid-sentence; and the step
    label widened with every digit, so a reason that fitted at step 0 was cut later on."""
    from bn_studio.core.measure.rate import RateReading, why_behind
    win = shared_window
    win.set_theme("light")
    win.fit_to_screen((int(1366 * SCREEN_SHARE), int(768 * SCREEN_SHARE)))
    qtbot.wait(50)
    width = win.statusBar().fontMetrics().horizontalAdvance
    worst = max((why_behind(RateReading(steps_per_second=2.3, target=300.0, cpu_share=share,
                                        step_seconds=step, overhead_share=over))
                 for share, step, over in ((0.12, 0.001, 0.0), (1.0, 0.001, 0.75),
                                           (1.0, 0.25, 0.0))), key=width)
    for step in ("step 0", "step 123456"):      # a long run's step: the same room
        win.step_label.setText(step)
        win.statusBar().showMessage(worst)
        qtbot.wait(20)
        room = win.timeline.geometry().left() - 12
        assert width(worst) <= room, (step, worst)
