"""Live-training smoothness of the studio window, every panel visible (run it in a real X
window: xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb python ...).

Prints one JSON object:
- frames_per_second: snapshots drawn by the display timer per second while training;
- panel_draws_per_second: how often each panel (or part of one) was redrawn from the frame
  budget (gui/frames.py) meanwhile, and panel_draw_ms the time each redraw took;
- gui_cpu_ms_per_frame: CPU time of the GUI thread per frame (less sensitive to the load of
  the machine than frames_per_second), with the load average before the run;
- stall_p99_ms / stall_max_ms: lateness of a 5 ms timer (how long the event loop was blocked);
- steps_per_second_gui / _headless and their ratio: training throughput with and without the GUI,
  same config, measured back to back in this run;
- rss_growth_mb: resident memory of the GUI process after a long run minus after warm-up
  (trainer_rss_growth_mb: the same for the training process); rss_growth_after_first_fifth_mb:
  after the long run minus after its first fifth (the replay store and histories, which fill
  to their bounds early, apart).
With --data FILE.csv the window first imports that file (as Import CSV…) and the JSON adds
data_rows, import_seconds and the peak RSS of both processes (peak_rss_mb, trainer_peak_rss_mb).
Usage: python benchmarks/gui_live.py [--seconds 10] [--long-steps 100000] [--size WxH]
       [--data FILE.csv]      (--size: the window; default: the whole screen)
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROBE_INTERVAL_MS = 5


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def headless_steps_per_second(config, split, seconds: float) -> float:
    try:
        from bn_studio.core.training.trainer import TwinTrainer
    except ImportError:                 # a version from before core's sub-packages
        from bn_studio.core.trainer import TwinTrainer  # type: ignore[no-redef]
    t = TwinTrainer(config, split)
    for _ in range(50):
        t.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t.step()
        n += 1
    return n / (time.perf_counter() - t0)


def window_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected WIDTHxHEIGHT, e.g. 1366x768") from None
    if not (320 <= w <= 10000 and 240 <= h <= 10000):
        raise argparse.ArgumentTypeError(f"{text!r}: from 320x240 to 10000x10000")
    return w, h


def show_every_panel(win) -> None:
    """Untabify the docks so that every panel is on screen and drawing."""
    from PySide6.QtCore import Qt
    columns = {"left": Qt.LeftDockWidgetArea, "right": Qt.RightDockWidgetArea,
               "bottom": Qt.BottomDockWidgetArea}
    for name, dock in win.docks.items():
        area = columns.get(win.panels[name].area, Qt.RightDockWidgetArea)
        win.removeDockWidget(dock)
        win.addDockWidget(area, dock)
        dock.show()


def panel_draws(frames, elapsed: float) -> dict:
    """Redraws a second and milliseconds per redraw of each panel part (frame budget keys
    are (panel name, id, part))."""
    rate, cost = {}, {}
    for key, n in sorted(frames.runs.items(), key=lambda kv: (kv[0][0], str(kv[0][2]))):
        name = f"{key[0]}" if key[2] == "snapshot" else f"{key[0]} {key[2]}"
        rate[name] = round(n / elapsed, 1)
        cost[name] = round(1000 * frames.seconds[key] / n, 2)
    return {"panel_draws_per_second": rate, "panel_draw_ms": cost}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    ap.add_argument("--long-steps", type=int, default=100_000, help="steps for the memory run")
    ap.add_argument("--data", metavar="FILE.csv", help="import this CSV file first")
    ap.add_argument("--size", metavar="WxH", type=window_size,
                    help="window size (default: the screen's available area)")
    args = ap.parse_args()
    load = os.getloadavg()

    from PySide6.QtCore import QElapsedTimer, QTimer
    from bn_studio.gui.app import make_application
    from bn_studio.gui.main_window import MainWindow

    app = make_application()
    win = MainWindow()
    screen = app.primaryScreen().availableGeometry()
    size = args.size or (screen.width(), screen.height())
    win.resize(*size)
    show_every_panel(win)
    win.show()
    model = win.model
    imported = {}
    if args.data:
        t0 = time.perf_counter()
        if not win.panels["datasets"].import_csv(args.data):
            raise SystemExit(win.panels["datasets"].error.text())
        imported = {"data_rows": int(model.dataset.X.shape[0]),
                    "import_seconds": round(time.perf_counter() - t0, 2)}
    config, split = model.config, model.split
    app.processEvents()

    frames: list[float] = []
    on_frame = model.snapshotReady.connect(lambda s: frames.append(time.perf_counter()))
    lateness = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setInterval(PROBE_INTERVAL_MS)

    def on_probe():
        lateness.append(max(0.0, clock.nsecsElapsed() / 1e6 - PROBE_INTERVAL_MS))
        clock.restart()

    probe.timeout.connect(on_probe)

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    model.set_speed(None)                       # as fast as it goes: throughput is measured
    model.play()
    pump(1.5)                                   # warm-up: first frames, caches, layouts
    frames.clear()
    model.flush()
    step0 = model.snapshot.step
    frame_budget = getattr(model, "frames", None)     # None: a version without one
    if frame_budget is not None:
        frame_budget.runs.clear()
        frame_budget.seconds.clear()
    clock.start()
    probe.start()
    t0, cpu0 = time.perf_counter(), time.thread_time()
    pump(args.seconds)
    elapsed, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    probe.stop()
    # Frames of the measurement only: the long run's would count in the CPU per frame (and
    # in the memory it measures).
    model.snapshotReady.disconnect(on_frame)
    n_frames = len(frames)
    draws = panel_draws(frame_budget, elapsed) if frame_budget is not None else {}
    model.flush()
    gui_sps = (model.snapshot.step - step0) / elapsed
    fps = n_frames / elapsed
    lat = np.array(lateness[1:] or [0.0])

    # Long run for memory: train at full speed, keep drawing, compare RSS.
    child = model.worker._proc.pid          # the training process: its memory counts too
    rss0, child0 = rss_mb(), rss_mb(child)
    target = model.snapshot.step + args.long_steps
    fifth = model.snapshot.step + args.long_steps // 5
    rss_fifth = None
    t_long = time.perf_counter()
    while model.snapshot.step < target and not model.snapshot.runs["bn"].diverged_at:
        pump(0.5)
        if rss_fifth is None and model.snapshot.step >= fifth:
            rss_fifth = rss_mb()
        if time.perf_counter() - t_long > 1800:
            break
    rss1, child1 = rss_mb(), rss_mb(child)
    peaks = {"peak_rss_mb": round(rss_mb(field="VmHWM"), 1),
             "trainer_peak_rss_mb": round(rss_mb(child, "VmHWM"), 1)}
    long_steps_run = model.snapshot.step - (target - args.long_steps)
    model.pause()
    win.close()
    app.processEvents()

    headless = headless_steps_per_second(config, split, args.seconds)
    print(json.dumps({
        "benchmark": "gui_live",
        "config": {"hidden": list(config.hidden), "activation": config.activation,
                   "batch": config.batch, "dataset": getattr(model.dataset, "name", "?")},
        "panels": sorted(win.panels),
        "seconds": args.seconds,
        "window": list(size), "screen": [screen.width(), screen.height()],
        "platform": os.environ.get("QT_QPA_PLATFORM", ""),
        "load_average_before": [round(v, 2) for v in load],
        "frames_per_second": round(fps, 1),
        "gui_cpu_ms_per_frame": round(1000 * cpu / max(1, n_frames), 2),
        **draws,
        "stall_p99_ms": round(float(np.percentile(lat, 99)), 2),
        "stall_max_ms": round(float(lat.max()), 2),
        "steps_per_second_gui": round(gui_sps, 1),
        "steps_per_second_headless": round(headless, 1),
        "gui_over_headless": round(gui_sps / headless, 3),
        "long_run_steps": int(long_steps_run),
        "rss_start_mb": round(rss0, 1),
        "rss_end_mb": round(rss1, 1),
        "rss_growth_mb": round(rss1 - rss0, 1),
        # The timeline's stored snapshots and the histories fill up to their bounds early in
        # a run: growth after the first fifth tells a leak from that.
        "rss_growth_after_first_fifth_mb": (round(rss1 - rss_fifth, 1)
                                            if rss_fifth is not None else None),
        "trainer_rss_start_mb": round(child0, 1),
        "trainer_rss_growth_mb": round(child1 - child0, 1),
        **imported, **peaks,
    }))


if __name__ == "__main__":
    main()
