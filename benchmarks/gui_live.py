"""Live-training smoothness of the studio window, every panel visible (offscreen is fine).

Prints one JSON object:
- frames_per_second: snapshots drawn by the display timer per second while training;
- stall_p99_ms / stall_max_ms: lateness of a 5 ms timer (how long the event loop was blocked);
- steps_per_second_gui / _headless and their ratio: training throughput with and without the GUI,
  same config, measured back to back in this run;
- rss_growth_mb: resident memory of the GUI process after a long run minus after warm-up
  (trainer_rss_growth_mb: the same for the training process).
With --data FILE.csv the window first imports that file (as Import CSV…) and the JSON adds
data_rows, import_seconds and the peak RSS of both processes (peak_rss_mb, trainer_peak_rss_mb).
Usage: QT_QPA_PLATFORM=offscreen python benchmarks/gui_live.py [--seconds 10] [--long-steps 100000]
       [--data FILE.csv]
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
    from bn_studio.core.training.trainer import TwinTrainer
    t = TwinTrainer(config, split)
    for _ in range(50):
        t.step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t.step()
        n += 1
    return n / (time.perf_counter() - t0)


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    ap.add_argument("--long-steps", type=int, default=100_000, help="steps for the memory run")
    ap.add_argument("--data", metavar="FILE.csv", help="import this CSV file first")
    args = ap.parse_args()

    from PySide6.QtCore import QElapsedTimer, QTimer
    from bn_studio.gui.app import make_application
    from bn_studio.gui.main_window import MainWindow

    app = make_application()
    win = MainWindow()
    win.resize(2200, 1400)
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

    frames = []
    model.snapshotReady.connect(lambda s: frames.append(time.perf_counter()))
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
    clock.start()
    probe.start()
    t0 = time.perf_counter()
    pump(args.seconds)
    elapsed = time.perf_counter() - t0
    probe.stop()
    model.flush()
    gui_sps = (model.snapshot.step - step0) / elapsed
    fps = len(frames) / elapsed
    lat = np.array(lateness[1:] or [0.0])

    # Long run for memory: train at full speed, keep drawing, compare RSS.
    child = model.worker._proc.pid          # the training process: its memory counts too
    rss0, child0 = rss_mb(), rss_mb(child)
    target = model.snapshot.step + args.long_steps
    t_long = time.perf_counter()
    while model.snapshot.step < target and not model.snapshot.runs["bn"].diverged_at:
        pump(0.5)
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
        "frames_per_second": round(fps, 1),
        "stall_p99_ms": round(float(np.percentile(lat, 99)), 2),
        "stall_max_ms": round(float(lat.max()), 2),
        "steps_per_second_gui": round(gui_sps, 1),
        "steps_per_second_headless": round(headless, 1),
        "gui_over_headless": round(gui_sps / headless, 3),
        "long_run_steps": int(long_steps_run),
        "rss_start_mb": round(rss0, 1),
        "rss_end_mb": round(rss1, 1),
        "rss_growth_mb": round(rss1 - rss0, 1),
        "trainer_rss_start_mb": round(child0, 1),
        "trainer_rss_growth_mb": round(child1 - child0, 1),
        **imported, **peaks,
    }))


if __name__ == "__main__":
    main()
