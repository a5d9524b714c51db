"""The frame budget: panels' redraws spread over the display timer's ticks.

Every panel drawing every snapshot took ~80 ms of GUI-thread time per frame with every panel
on screen (12 fps, and the event loop blocked for as long). While training, a panel instead
asks for a redraw here (``request``), at most so many a second; after each display tick the
model runs the redraws that are due, oldest first, until the tick's budget is spent, and the
rest wait for the next tick in the same order. A request made again while one waits replaces
it (the newest state is drawn) and keeps its place, so every panel gets its turn and ends on
the last state. A paused or replayed state is drawn at once by the panels, not from here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

# Redraw work per tick: it, the repaint it causes (as long again, or more) and the snapshots
# the receiver thread unpacks (it shares the GIL) fit a 60 Hz frame. 5 ms kept the window at
# 45-50 ticks a second with every panel shown at 1920x1080 (benchmarks/gui_live.py); 3 ms
# gives 57-59, the panels other than the curves then redrawing 4-6 times a second.
BUDGET_MS = 3.0


class FrameBudget:
    """Queued redraws keyed by what they draw; ``run`` draws the due ones within a budget."""

    def __init__(self, budget_ms: float = BUDGET_MS, clock=time.perf_counter) -> None:
        self.budget_s = budget_ms / 1000.0
        self._clock = clock
        self._pending: OrderedDict[Hashable, Callable[[], None]] = OrderedDict()  # turn order
        self._interval: dict[Hashable, float] = {}
        self._last_run: dict[Hashable, float] = {}
        self.runs: dict[Hashable, int] = {}                    # redraws done, per key
        self.seconds: dict[Hashable, float] = {}               # and the time they took

    def request(self, key: Hashable, draw: Callable[[], None], per_second: float = 0.0,
                first: bool = False) -> None:
        """Have ``draw`` run at a coming tick, at most ``per_second`` times a second for this
        key (0: as often as the budget allows). It replaces a waiting request of ``key``
        (in its place); ``first``: ahead of every other (what must move on every frame)."""
        self._pending[key] = draw
        if first:
            self._pending.move_to_end(key, last=False)
        self._interval[key] = 1.0 / per_second if per_second > 0 else 0.0

    def cancel(self, key: Hashable) -> None:
        """Drop ``key``'s waiting request (its state was drawn at once)."""
        self._pending.pop(key, None)

    def pending(self, key: Hashable) -> bool:
        return key in self._pending

    def run(self) -> int:
        """Run due requests, oldest first, until the budget is spent (at least one if any is
        due); returns how many ran."""
        start = now = self._clock()
        done = 0
        for key in list(self._pending):
            if done and now - start >= self.budget_s:
                break
            if now < self._last_run.get(key, -1e18) + self._interval.get(key, 0.0):
                continue
            draw = self._pending.pop(key, None)
            if draw is None:                    # cancelled by a redraw that ran before it
                continue
            self._last_run[key] = now
            draw()
            done += 1
            then, now = now, self._clock()
            self._count(key, now - then)
        return done

    def _count(self, key: Hashable, seconds: float) -> None:
        self.runs[key] = self.runs.get(key, 0) + 1
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def flush(self) -> None:
        """Run every waiting request now, whatever its rate (a pause, a test, an export)."""
        while self._pending:
            key, draw = self._pending.popitem(last=False)
            self._last_run[key] = start = self._clock()
            draw()
            self._count(key, self._clock() - start)
