"""The frame budget: panels' redraws spread over the display timer's ticks.

Every panel drawing every snapshot took ~80 ms of GUI-thread time per frame with every panel
on screen (12 fps, and the event loop blocked for as long). While training, a panel instead
asks for a redraw here (``request``), at most so many a second. At each display tick the
redraws that must move on every frame (the curves: ``first``) run; the others run in turn,
oldest first, as long as the time saved for them lasts: each tick adds the budget to it. A
request made again while one waits replaces it (the newest state is drawn) and keeps its
place, so every panel gets its turn and ends on the last state. A paused or replayed state
is drawn at once by the panels, not from here.

A redraw's cost is the time it takes plus the repaint it causes, which Qt runs after it for
every view it changed: the window reports each repaint (``painted``) and the budget learns
what each redraw adds. A redraw of the decision regions takes ~2 ms and its repaint ~7 more;
counted as 2 ms, it overran the frames it ran in. Costs are known before a redraw runs, so a
dear one waits until enough time is saved instead of overrunning a frame.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

# Time per tick for the redraws other than the first ones (the curves), with their repaints:
# at 60 ticks a second, a quarter of the GUI thread. The curves redraw at every tick and the
# receiver thread unpacks every snapshot in the same process (it shares the GIL). With every
# panel shown at 1920x1080 (benchmarks/gui_live.py, 2 slow cores), 4 ms gave 51-54 frames a
# second and event-loop stalls of 22-30 ms at the 99th percentile, the other panels redrawing
# 1.3-2.2 times a second; 6 ms: 50-51 fps, 32-36 ms, ~3 a second; 8 ms: 47 fps, 32-41 ms.
BUDGET_MS = 4.0
SAVED_TICKS = 4             # unspent budget carried over: at most 4 ticks' worth (or more
                            # if one redraw costs more)
SMOOTHING = 0.2             # weight of the newest measurement in a cost's moving average


class FrameBudget:
    """Queued redraws keyed by what they draw; ``run`` draws the due ones within a budget."""

    def __init__(self, budget_ms: float = BUDGET_MS, clock=time.perf_counter,
                 defer: Callable[[Callable[[], object]], None] | None = None) -> None:
        """``defer(f)``: call ``f`` at a later turn of the event loop (None: run a tick's
        redraws in one go)."""
        self.budget_s = budget_ms / 1000.0
        self._clock = clock
        self._defer = defer
        self._tick = 0                              # ticks started (a stale turn stops)
        self._saved = 0.0                           # time the other redraws may still take
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

    def clear(self) -> None:
        """Drop every waiting request and a tick's waiting turn (the window closes)."""
        self._pending.clear()
        self._tick += 1

    def pending(self, key: Hashable) -> bool:
        return key in self._pending

    def cost(self, key: Hashable) -> float | None:
        """Seconds a redraw of ``key`` is expected to take with its repaint (None: never run)."""
        if key not in self._draw_s:
            return None
        paint = self._base_paint_s if key in self._first else self._paint_s.get(key)
        return self._draw_s[key] + (paint or 0.0)

    def run(self) -> int:
        """Start a tick: the first requests run now, whatever they cost; the others, oldest
        first, while the time saved for them lasts. Each tick adds the budget to it, unspent
        time carries over (up to SAVED_TICKS ticks' worth, or what the dearest redraw
        costs), so a dear redraw waits until enough is saved instead of overrunning a
        frame. With ``defer``, each other redraw runs at a turn of the event loop of its
        own, after the repaint of the one before: the loop is never held for a tick's
        redraws and repaints at once (user input, timers, the receiver thread get in
        between). Returns how many ran now."""
        self._tick += 1
        self._saved = min(self._saved + self.budget_s, self._most_saved())
        self._unpainted = []                    # a tick with no repaint after it: forgotten
        return self._run_due(self._tick, deferred=False)

    def _most_saved(self) -> float:
        dearest = max((c for c in map(self.cost, self._pending) if c is not None), default=0.0)
        return max(SAVED_TICKS * self.budget_s, dearest)

    def _run_due(self, tick: int, deferred: bool) -> int:
        if tick != self._tick:                  # a newer tick (or a flush) took over
            return 0
        done = 0
        for key in list(self._pending):
            now = self._clock()
            if now < self._last_run.get(key, -1e18) + self._interval.get(key, 0.0):
                continue
            first = key in self._first
            if not first:
                expected = self.cost(key)
                if self._saved <= 0 or (expected is not None and expected > self._saved):
                    break                       # the oldest waits: none overtakes it
                if self._defer is not None and (done or not deferred):
                    self._defer(lambda: self._run_due(tick, deferred=True))
                    break
            draw = self._pending.pop(key, None)
            if draw is None:                    # cancelled by a redraw that ran before it
                continue
            self._last_run[key] = now
            draw()
            self._count(key, self._clock() - now)
            self._unpainted.append(key)
            if not first:
                self._saved -= self.cost(key) or 0.0
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
        self._tick += 1                         # a turn the last tick left waiting: nothing
        while self._pending:
            key, draw = self._pending.popitem(last=False)
            self._last_run[key] = start = self._clock()
            draw()
            self._count(key, self._clock() - start)
        self._unpainted = []                    # the repaint after a flush teaches nothing


def _average(old: float | None, new: float) -> float:
    return new if old is None else old + SMOOTHING * (new - old)
