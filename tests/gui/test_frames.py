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


def work(clock, done, name, ms):
    def draw():
        done.append(name)
        clock.t += ms / 1000
    return draw


def test_a_tick_stops_before_a_redraw_whose_known_cost_would_overrun_the_budget():
    clock, done = Clock(), []
    frames = FrameBudget(budget_ms=5.0, clock=clock)
    for name in "abc":
        frames.request(name, work(clock, done, name, 3.0))
    assert frames.run() == 2                # 5 ms saved: a (3 ms), b (cost unknown), -1 left
    assert done == ["a", "b"] and frames.pending("c")
    frames.request("a", work(clock, done, "a", 3.0))     # a again: behind c
    assert frames.run() == 1                # 4 ms saved: c (3 ms); a is known to take 3 > 1
    assert done == ["a", "b", "c"] and frames.pending("a")
    assert frames.run() == 1 and done[-1] == "a"         # 6 ms saved: a's turn


def test_the_repaint_a_redraw_causes_counts_in_its_cost():
    """The regions draw in 1 ms and make the repaint after them 8 ms longer than the curves'
    own: with 4 ms a tick for them they redraw at 4 ticks of 9, not at every tick (as their
    draw time alone would allow), while the curves redraw at every tick."""
    clock, done = Clock(), []
    frames = FrameBudget(budget_ms=4.0, clock=clock)

    def tick(*names):
        for name in names:
            frames.request(name, work(clock, done, name, 1.0), first=name == "curves")
        done.clear()
        frames.run()
        frames.painted((2 + 8 * ("regions" in done)) / 1000)
        return list(done)
    assert tick("curves") == ["curves"]                        # the curves' own repaint: 2 ms
    assert tick("curves", "regions") == ["curves", "regions"]  # never ran: cost unknown
    assert frames.cost("curves") == pytest.approx(0.003)
    assert frames.cost("regions") == pytest.approx(0.009)      # 1 ms + 10 - 2 ms of repaint
    shown = [tick("curves", "regions") for _ in range(18)]
    assert all(s[0] == "curves" for s in shown)
    assert sum("regions" in s for s in shown) == 8


def test_with_defer_each_other_redraw_runs_at_a_turn_of_its_own_and_a_new_tick_drops_the_rest():
    clock, done, turns = Clock(), [], []
    frames = FrameBudget(budget_ms=50.0, clock=clock, defer=turns.append)
    frames.request("curves", work(clock, done, "curves", 1.0), first=True)
    for name in "ab":
        frames.request(name, work(clock, done, name, 1.0))
    assert frames.run() == 1 and done == ["curves"]    # the others: at later turns
    turns.pop(0)()
    assert done == ["curves", "a"]                     # one, then the repaint after it
    frames.request("c", work(clock, done, "c", 1.0))
    frames.run()                                       # a new tick before b's turn came
    turns.pop(0)()                                     # the old tick's turn: nothing
    assert done == ["curves", "a"]
    turns.pop(0)()                                     # the new tick's: b, then c
    turns.pop(0)()
    assert done == ["curves", "a", "b", "c"] and not turns


def test_repaints_no_redraw_caused_teach_nothing():
    clock, done = Clock(), []
    frames = FrameBudget(budget_ms=9.0, clock=clock)
    frames.request("a", work(clock, done, "a", 1.0))
    frames.run()
    frames.painted(0.004)                   # a's repaint: 4 ms
    frames.painted(0.050)                   # a hover, a resize: nothing drawn from here
    frames.request("a", work(clock, done, "a", 1.0))
    frames.flush()
    frames.painted(0.050)                   # after a flush: every panel at once
    assert frames.cost("a") == pytest.approx(0.005)


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


class Arrivals:
    """A worker stand-in: ``latest`` answers None until its ``after``-th call, then a
    snapshot; training (``playing``) unless told otherwise."""

    def __init__(self, model, after: int, playing: bool = True) -> None:
        self.calls, self.after, self.playing = 0, after, playing
        self.snap = model.snapshot
        self.real = model.worker

    def latest(self):
        self.calls += 1
        return self.snap if self.calls == self.after else None

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("after, shown", [(1, 1), (3, 1), (5, 0)])
def test_a_tick_with_no_new_snapshot_looks_again_before_the_budget_runs_once(
        model, qtbot, monkeypatch, after, shown):
    # A snapshot that comes 1 or 2 late looks after a tick is shown in that tick; after
    # the last late look (the 4th look in all) none is; the budget runs once either way.
    from bn_studio.gui import model as model_module
    model.reset()
    model.step()
    model.flush()
    model.timer.stop()
    assert model.snapshot is not None
    stand_in = Arrivals(model, after)
    monkeypatch.setattr(model, "worker", stand_in)
    emitted, runs = [], []
    model.snapshotReady.connect(emitted.append)
    monkeypatch.setattr(model.frames, "run", lambda: runs.append(len(emitted)))
    model._poll()
    qtbot.waitUntil(lambda: bool(runs), timeout=1000)
    qtbot.wait(3 * model_module.LATE_LOOK_MS * model_module.LATE_LOOKS)
    assert len(emitted) == shown and runs == [shown]
    assert stand_in.calls == min(after, 1 + model_module.LATE_LOOKS)


def test_paused_or_overtaken_by_the_next_tick_no_late_look_runs(model, qtbot, monkeypatch):
    model.reset()
    model.flush()
    model.timer.stop()
    runs = []
    monkeypatch.setattr(model.frames, "run", lambda: runs.append(1))
    monkeypatch.setattr(model, "worker", Arrivals(model, after=99, playing=False))
    model._poll()                                   # paused: nothing to wait for
    assert runs == [1]
    monkeypatch.setattr(model, "worker", Arrivals(model, after=99))
    model._poll()
    model._poll()                                   # the next tick before the late looks
    qtbot.waitUntil(lambda: len(runs) == 2, timeout=1000)
    qtbot.wait(30)
    assert len(runs) == 2                           # the first tick's looks stopped
