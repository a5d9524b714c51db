"""The frame budget spreads live redraws over the display ticks and always ends on the newest
state; a paused state is drawn at once and no older redraw overwrites it afterwards."""

import dataclasses

import numpy as np
import pytest

from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.frames import FrameBudget
from bn_studio.gui.panels.histograms import HistogramsPanel
from studio_helpers import advance


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_requests_run_oldest_first_and_a_repeat_replaces_the_waiting_one_in_place():
    frames, done = FrameBudget(), []
    frames.request("a", lambda: done.append("a1"))
    frames.request("b", lambda: done.append("b"))
    frames.request("a", lambda: done.append("a2"))      # newer state of a, same turn
    frames.flush()
    assert done == ["a2", "b"]
    assert frames.runs == {"a": 1, "b": 1}


def test_a_tick_stops_when_its_budget_is_spent_and_the_rest_run_at_the_next():
    clock, done = Clock(), []
    frames = FrameBudget(budget_ms=5.0, clock=clock)

    def work(name, ms):
        def draw():
            done.append(name)
            clock.t += ms / 1000
        return draw
    for name in "abc":
        frames.request(name, work(name, 3.0))
    assert frames.run() == 2                # 3 ms, then 6 ms ≥ 5: c waits
    assert done == ["a", "b"] and frames.pending("c")
    frames.request("a", work("a", 3.0))     # a again: behind c, whose turn comes first
    assert frames.run() == 2
    assert done == ["a", "b", "c", "a"]


def test_one_redraw_runs_even_if_it_alone_is_over_the_budget():
    clock, done = Clock(), []
    frames = FrameBudget(budget_ms=1.0, clock=clock)
    frames.request("big", lambda: (done.append(1), setattr(clock, "t", clock.t + 0.05)))
    assert frames.run() == 1 and done == [1]
    assert frames.run() == 0                # nothing waits: nothing runs


def test_a_rate_limit_delays_a_key_without_holding_up_the_others():
    clock, done = Clock(), []
    frames = FrameBudget(clock=clock)
    frames.request("slow", lambda: done.append("slow"), per_second=5)
    frames.run()
    frames.request("slow", lambda: done.append("slow again"), per_second=5)
    frames.request("fast", lambda: done.append("fast"))
    clock.t = 0.1                           # 100 ms later: slow may not run for 100 ms more
    frames.run()
    assert done == ["slow", "fast"] and frames.pending("slow")
    clock.t = 0.2
    frames.run()
    assert done == ["slow", "fast", "slow again"]


def test_cancel_drops_a_waiting_redraw():
    frames, done = FrameBudget(), []
    frames.request("a", lambda: done.append("a"))
    frames.cancel("a")
    frames.cancel("never asked")
    frames.flush()
    assert done == []


CONFIG = TrainConfig(hidden=(8, 6), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(HistogramsPanel, CONFIG, (640, 700))


def test_a_live_panel_waits_for_its_turn_and_ends_on_the_newest_state(model, panel, qtbot):
    first = advance(model, 5, qtbot)
    later = advance(model, 10, qtbot)
    paused = advance(model, 10, qtbot)          # drawn at once

    def shows(snap):
        return np.allclose(panel.rows[0]["plain"].getData()[1],
                           snap.runs["no_bn"].layers[0].z_hist)
    for snap in (first, later):                 # frames while training: drawn in turn
        model.snapshotReady.emit(dataclasses.replace(snap, playing=True))
    assert shows(paused)                        # nothing drawn before its turn
    qtbot.waitUntil(lambda: shows(later), timeout=2000)
    qtbot.wait(100)
    assert shows(later)                         # the older one was replaced, never drawn


def test_a_paused_state_is_drawn_at_once_and_no_waiting_redraw_overwrites_it(model, panel,
                                                                            qtbot):
    older = advance(model, 5, qtbot)
    paused = advance(model, 10, qtbot)
    model.snapshotReady.emit(dataclasses.replace(older, playing=True))   # waits for its turn
    model.snapshotReady.emit(paused)                                     # training stopped
    np.testing.assert_allclose(panel.rows[1]["bn"].getData()[1],
                               paused.runs["bn"].layers[1].out_hist)
    model.frames.flush()                        # whatever still waited runs now
    qtbot.wait(50)
    for i, row in enumerate(panel.rows):
        np.testing.assert_allclose(row["plain"].getData()[1],
                                   paused.runs["no_bn"].layers[i].z_hist)
        np.testing.assert_allclose(row["band_bn"][1].getData()[0][-1], paused.step)


def test_a_hidden_panel_draws_the_newest_snapshot_when_shown(model, panel, qtbot):
    advance(model, 5, qtbot)
    panel.hide()
    newest = advance(model, 10, qtbot)
    model.snapshotReady.emit(dataclasses.replace(newest, playing=True))
    panel.show()
    qtbot.waitUntil(lambda: np.allclose(panel.rows[0]["plain"].getData()[1],
                                        newest.runs["no_bn"].layers[0].z_hist), timeout=2000)


def test_a_redraw_waiting_when_the_panel_is_hidden_never_draws_over_a_newer_state(
        model, panel, qtbot):
    older = advance(model, 5, qtbot)
    newest = advance(model, 10, qtbot)
    model.snapshotReady.emit(dataclasses.replace(older, playing=True))   # waits for its turn
    panel.hide()
    model.snapshotReady.emit(newest)           # paused while hidden: kept for the show
    panel.show()                               # draws the newest at once
    model.frames.flush()                       # nothing older may come after it
    np.testing.assert_allclose(panel.rows[0]["plain"].getData()[1],
                               newest.runs["no_bn"].layers[0].z_hist)
