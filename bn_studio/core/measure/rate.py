"""The training rate as measured where training runs, and why it falls behind the speed asked.

The speed box asks for a rate (say 60 steps/s); a loaded machine may give 4. The training
process times its own steps (wall clock and CPU time) and the rest of its work (snapshots,
decision regions, unit pictures), and every snapshot carries the last reading, so the window
shows the rate that is real and can say what holds it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 1.0              # a reading covers about this much time while playing
BEHIND_SHARE = 0.85         # below this share of the speed asked, the rate "falls behind"
BUSY_CPU_SHARE = 0.7        # a step that got less of a core than this: other programs ran
OVERHEAD_SHARE = 0.3        # snapshots and regions taking more of the time than this


@dataclass(frozen=True)
class RateReading:
    """One reading: steps per second over the last window, what one step cost (wall and
    CPU seconds), and the share of the window spent on snapshots and decision regions."""

    steps_per_second: float
    step_seconds: float         # wall time of one training step of both nets
    cpu_share: float            # CPU time / wall time of the work (< 1: the CPU was taken)
    overhead_share: float       # share of the window spent publishing (regions, pictures)
    target: float | None        # the speed asked (None: as fast as the machine goes)

    @property
    def behind(self) -> bool:
        return self.target is not None and self.steps_per_second < BEHIND_SHARE * self.target


class RateMeter:
    """Fed by the training loop (``started``, ``stepped``, ``published``); ``reading`` is the
    last full window's, None until one has passed since Play."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.reading: RateReading | None = None
        self.target: float | None = None
        self._start: float | None = None
        self._steps = 0
        self._step_wall = self._step_cpu = self._other = self._other_cpu = 0.0

    def started(self, target: float | None) -> None:
        """Play (or a new speed): a fresh window from the next step, so a pause is never
        counted as slowness."""
        self.target = target
        self.reading = None
        self._start = None

    def stopped(self) -> None:
        self.reading = None
        self._start = None

    def stepped(self, wall_s: float, cpu_s: float) -> None:
        """One training step took ``wall_s`` seconds, ``cpu_s`` of them on the CPU. A window
        runs from the end of one step to the end of a later one, so it counts whole steps."""
        if self._start is None:
            self._open(self.clock())
            return
        self._steps += 1
        self._step_wall += wall_s
        self._step_cpu += cpu_s
        now = self.clock()
        span = now - self._start
        if span >= WINDOW_S:
            n = self._steps
            wall = self._step_wall + self._other
            self.reading = RateReading(
                steps_per_second=n / span,
                step_seconds=self._step_wall / n,
                cpu_share=min(1.0, (self._step_cpu + self._other_cpu) / wall) if wall > 0
                else 1.0,
                overhead_share=min(1.0, self._other / span),
                target=self.target)
            self._open(now)

    def published(self, wall_s: float, cpu_s: float | None = None) -> None:
        """A snapshot (with regions or unit pictures, perhaps) took ``wall_s`` seconds,
        ``cpu_s`` of them on the CPU (None: all)."""
        self._other += wall_s
        self._other_cpu += wall_s if cpu_s is None else cpu_s

    def _open(self, now: float) -> None:
        self._start = now
        self._steps = 0
        self._step_wall = self._step_cpu = self._other = self._other_cpu = 0.0


def rate_text(r: RateReading | None) -> str:
    """The short text beside the speed box: the rate measured now."""
    if r is None:
        return ""
    rate = r.steps_per_second
    shown = f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"
    if r.behind:
        return f"only {shown} of {r.target:g} steps/s"
    return f"{shown} steps/s now"


def why_behind(r: RateReading | None) -> str | None:
    """One sentence saying why the rate falls behind the speed asked, or None if it keeps up."""
    if r is None or not r.behind:
        return None
    got = f"{r.steps_per_second:.1f}" if r.steps_per_second < 10 else f"{r.steps_per_second:.0f}"
    # Short: the status bar's line beside the replay bar (1366×768 cut a longer one).
    head = f"Only {got} of {r.target:g} steps/s: "
    if r.cpu_share < BUSY_CPU_SHARE:
        return head + (f"the computer is busy with other work (training got "
                       f"{100 * r.cpu_share:.0f} % of a CPU core).")
    if r.overhead_share > OVERHEAD_SHARE:
        return head + (f"drawing the pictures takes {100 * r.overhead_share:.0f} % of the "
                       "time (close Hidden units, or use a smaller net).")
    most = 1.0 / r.step_seconds if r.step_seconds > 0 else float("inf")
    return head + (f"one step of both nets takes {1000 * r.step_seconds:.0f} ms here: "
                   f"{most:.0f} steps/s at most with this network.")
