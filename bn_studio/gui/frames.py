"""The frame budget: panels' redraws spread over the display timer's ticks.

Every panel drawing every snapshot took ~80 ms of GUI-thread time per frame with every panel
on screen (12 fps, and the event loop blocked for as long). While training, a panel instead
asks for a redraw here (``request``), at most so many a second; after each display tick the
model runs the redraws that are due, oldest first, while their cost fits the tick's budget,
and the rest wait for the next tick in the same order. A request made again while one waits
replaces it (the newest state is drawn) and keeps its place, so every panel gets its turn and
ends on the last state. A paused or replayed state is drawn at once by the panels, not from
here.

A redraw's cost is the time it takes plus the repaint it causes, which Qt runs after the tick
for every view changed in it: the window reports each repaint (``painted``) and the budget
learns what each redraw adds to it. Costs are known before a redraw runs, so a tick stops
before the one that would overrun it, not after: one redraw of the decision regions costs
~2 ms and its repaint ~8 more.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

# Redraws and their repaints per tick. With the snapshots the receiver thread unpacks (it
# shares the GIL) and Qt's own work, a tick fits a 60 Hz frame: measured with every panel
# shown at 1920x1080 (benchmarks/gui_live.py).
BUDGET_MS = 9.0
SMOOTHING = 0.2             # weight of the newest measurement in a cost's moving average


class FrameBudget:
    """Queued redraws keyed by what they draw; ``run`` draws the due ones within a budget."""

    def __init__(self, budget_ms: float = BUDGET_MS, clock=time.perf_counter) -> None:
        self.budget_s = budget_ms / 1000.0
        self._clock = clock
        self._pending: OrderedDict[Hashable, Callable[[], None]] = OrderedDict()  # turn order
        self._interval: dict[Hashable, float] = {}
        self._last_run: dict[Hashable, float] = {}
        self._first: set[Hashable] = set()          # drawn at every tick, ahead of the rest
        self._draw_s: dict[Hashable, float] = {}    # moving averages: a redraw's own time,
        self._paint_s: dict[Hashable, float] = {}   # what it adds to the repaint after it,
        self._base_paint_s: float | None = None     # and a repaint after the first ones alone
        self._unpainted: list[Hashable] = []        # run since the last repaint
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
            self._first.add(key)
        self._interval[key] = 1.0 / per_second if per_second > 0 else 0.0

    def cancel(self, key: Hashable) -> None:
        """Drop ``key``'s waiting request (its state was drawn at once)."""
        self._pending.pop(key, None)

    def pending(self, key: Hashable) -> bool:
        return key in self._pending

    def cost(self, key: Hashable) -> float | None:
        """Seconds a redraw of ``key`` is expected to take with its repaint (None: never run)."""
        if key not in self._draw_s:
            return None
        paint = self._base_paint_s if key in self._first else self._paint_s.get(key)
        return self._draw_s[key] + (paint or 0.0)

    def run(self) -> int:
        """Run due requests, oldest first, while their expected cost fits the budget; the
        first ones and one other (the oldest due) run whatever their cost, so every key gets
        its turn. Returns how many ran."""
        now = self._clock()
        spent, others, done = 0.0, 0, 0
        self._unpainted = []                    # a tick with no repaint after it: forgotten
        for key in list(self._pending):
            if now < self._last_run.get(key, -1e18) + self._interval.get(key, 0.0):
                continue
            first = key in self._first
            expected = self.cost(key)
            if not first and others and (spent >= self.budget_s or (
                    expected is not None and spent + expected > self.budget_s)):
                break
            draw = self._pending.pop(key, None)
            if draw is None:                    # cancelled by a redraw that ran before it
                continue
            self._last_run[key] = now
            draw()
            then, now = now, self._clock()
            self._count(key, now - then)
            self._unpainted.append(key)
            spent += self.cost(key) or 0.0
            others += not first
            done += 1
        return done

    def painted(self, seconds: float) -> None:
        """The repaint after a tick took ``seconds``: learn what its redraws add to one (the
        first ones' repaint apart, then the others', shared in proportion to their draws)."""
        keys, self._unpainted = self._unpainted, []
        if not keys:                            # a repaint no redraw caused (a hover)
            return
        others = [k for k in keys if k not in self._first]
        if not others:
            self._base_paint_s = _average(self._base_paint_s, seconds)
            return
        base = self._base_paint_s if len(others) < len(keys) else None
        extra = max(0.0, seconds - (base or 0.0))
        draws = sum(self._draw_s[k] for k in others)
        for k in others:
            share = extra * self._draw_s[k] / draws if draws > 0 else extra / len(others)
            self._paint_s[k] = _average(self._paint_s.get(k), share)

    def _count(self, key: Hashable, seconds: float) -> None:
        self.runs[key] = self.runs.get(key, 0) + 1
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds
        self._draw_s[key] = _average(self._draw_s.get(key), seconds)

    def flush(self) -> None:
        """Run every waiting request now, whatever its rate (a pause, a test, an export)."""
        while self._pending:
            key, draw = self._pending.popitem(last=False)
            self._last_run[key] = start = self._clock()
            draw()
            self._count(key, self._clock() - start)
        self._unpainted = []                    # the repaint after a flush teaches nothing


def _average(old: float | None, new: float) -> float:
    return new if old is None else old + SMOOTHING * (new - old)
