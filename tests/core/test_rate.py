"""The training rate measured in the training process, and the reason it falls behind."""

import pytest

from bn_studio.core.measure.rate import RateMeter, rate_text, why_behind


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _run(meter, clock, steps, wall_s, cpu_s, gap_s=0.0, publish_s=0.0):
    """``steps`` steps of ``wall_s`` seconds each (``cpu_s`` on the CPU), ``gap_s`` idle and
    ``publish_s`` publishing after each."""
    for _ in range(steps):
        clock.now += wall_s
        meter.stepped(wall_s, cpu_s)
        clock.now += publish_s
        meter.published(publish_s, publish_s * cpu_s / wall_s)
        clock.now += gap_s


def test_a_machine_that_keeps_up_reads_the_speed_asked():
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(60.0)
    _run(meter, clock, 70, wall_s=0.004, cpu_s=0.004, gap_s=1 / 60 - 0.004)
    r = meter.reading
    assert r.steps_per_second == pytest.approx(60.0)
    assert r.step_seconds == pytest.approx(0.004) and r.cpu_share == pytest.approx(1.0)
    assert not r.behind and why_behind(r) is None
    assert rate_text(r) == "60 steps/s now"


def test_a_slow_step_says_how_long_one_step_takes():
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(60.0)
    _run(meter, clock, 6, wall_s=0.25, cpu_s=0.25)
    r = meter.reading
    assert r.steps_per_second == pytest.approx(4.0)
    assert rate_text(r) == "only 4.0 of 60 steps/s"
    why = why_behind(r)
    assert why.startswith("Only 4.0 of 60 steps/s: ")
    assert "one step of both nets takes 250 ms" in why and "here: 4 steps/s at most" in why


def test_a_busy_computer_is_named_when_the_steps_got_little_cpu():
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(60.0)
    _run(meter, clock, 6, wall_s=0.25, cpu_s=0.05)
    why = why_behind(meter.reading)
    assert "busy with other work" in why and "20 % of a CPU core" in why


def test_slow_pictures_on_a_busy_computer_blame_the_computer():
    """Publishing took the time, but only because the process got little CPU."""
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(60.0)
    _run(meter, clock, 30, wall_s=0.01, cpu_s=0.002, publish_s=0.03)
    r = meter.reading
    assert r.overhead_share > 0.5 and r.cpu_share == pytest.approx(0.2)
    assert "busy with other work" in why_behind(r)


def test_time_spent_drawing_regions_is_named_when_it_dominates():
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(300.0)
    _run(meter, clock, 30, wall_s=0.01, cpu_s=0.01, publish_s=0.03)
    r = meter.reading
    assert r.steps_per_second == pytest.approx(25.0)
    assert r.overhead_share == pytest.approx(0.75)
    assert "drawing the pictures takes 75 % of the time" in why_behind(r)


def test_a_pause_is_not_counted_and_max_speed_never_falls_behind():
    clock = Clock()
    meter = RateMeter(clock)
    meter.started(None)
    _run(meter, clock, 3, wall_s=0.1, cpu_s=0.1)
    assert meter.reading is None                    # less than a window since Play
    meter.stopped()
    clock.now += 3600                               # an hour paused
    meter.started(None)
    _run(meter, clock, 12, wall_s=0.1, cpu_s=0.1)
    r = meter.reading
    assert r.steps_per_second == pytest.approx(10.0)
    assert r.target is None and not r.behind and why_behind(r) is None
    assert rate_text(None) == "" and why_behind(None) is None
