"""Saving and reopening a workspace whose dataset is a million-row CSV (a reference to the file).

Writes N rows like csv_scale.py and prints one JSON object:
- core: seconds to import (read + SHA-256), to save the workspace (the reference, the data's
  SHA-256 and the check that the file is unchanged) and to reopen it (load, check, find, hash,
  read and compare), the workspace's size in bytes, whether the points came back equal, and
  this process's peak RSS (both datasets held);
- gui (offscreen window in a subprocess): the same through the window (import in the
  background, File → Save, File → Open read in the background), the longest the event loop
  stalled while the file was imported and while it was read again (both end with the
  window taking the million points on its own thread), and the process's peak RSS (VmHWM).
Usage: python benchmarks/workspace_scale.py [--rows 1000000] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from csv_scale import write_rows

GUI = r"""
import json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from pathlib import Path
from PySide6.QtCore import QElapsedTimer, QTimer
from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.gui.app import make_application
from bn_studio.gui.main_window import MainWindow
csv, folder = Path(sys.argv[1]), Path(sys.argv[2])
app = make_application([])
win = MainWindow()
win.show()
def wait(cond, limit=300):
    t0 = time.perf_counter()
    while not cond() and time.perf_counter() - t0 < limit:
        app.processEvents()
        time.sleep(0.002)
gaps, clock = [0], QElapsedTimer()
tick = QTimer()
tick.setInterval(10)
tick.timeout.connect(lambda: (gaps.append(clock.restart())))
out = {}
clock.start(); tick.start()
t0 = time.perf_counter()
win.panels["datasets"].start_import(csv)
wait(lambda: win.model.dataset.name == csv.name)
out["import_seconds"] = round(time.perf_counter() - t0, 3)
tick.stop()
out["import_longest_event_loop_stall_ms"] = max(gaps[1:] or [0])
gaps[:] = [0]
X = win.model.dataset.X.copy()
t0 = time.perf_counter()
win.save_workspace_to(folder / "gui.json")
out["save_seconds"] = round(time.perf_counter() - t0, 3)
win.model.set_spec(DatasetSpec("moons"))
clock.start(); tick.start()
t0 = time.perf_counter()
win.open_workspace_from(folder / "gui.json")
out["open_returns_seconds"] = round(time.perf_counter() - t0, 3)
wait(lambda: win.model.dataset.name == csv.name)
out["reopen_seconds"] = round(time.perf_counter() - t0, 3)
tick.stop()
out["longest_event_loop_stall_ms"] = max(gaps[1:] or [0])
out["equal"] = bool((win.model.dataset.X == X).all())
peak = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")]
out["peak_rss_mb"] = round(int(peak[0].split()[1]) / 1024, 1)
win.close()
print(json.dumps(out))
"""


def timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - t0, 3)


def core(csv: Path, folder: Path) -> dict:
    from bn_studio import workspace
    from bn_studio.core.data import csv_source
    ds, t_import = timed(lambda: csv_source.load_sourced(csv))
    path = folder / "core.json"

    def save():
        section = workspace.dataset_section(ds, folder)
        workspace.save_workspace(path, {"config": {}, "dataset": section})
        return workspace.stale_reference(section)
    stale, t_save = timed(save)

    def reopen():
        ws = workspace.check_workspace(workspace.load_workspace(path))
        return workspace.read_dataset(ws.reference, folder)
    again, t_open = timed(reopen)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024        # KiB on Linux
    return {"import_seconds": t_import, "save_seconds": t_save, "reopen_seconds": t_open,
            "workspace_bytes": path.stat().st_size, "stale": stale,
            "peak_rss_mb": round(peak, 1),
            "equal": bool(np.array_equal(again.X, ds.X) and np.array_equal(again.y, ds.y))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="FILE", help="write the CSV here and keep it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = Path(args.keep) if args.keep else folder / "million.csv"
        write_rows(csv, args.rows)
        result = {"rows": args.rows, "csv_bytes": csv.stat().st_size,
                  "core": core(csv, folder)}
        proc = subprocess.run([sys.executable, "-c", GUI, str(csv), str(folder)],
                              capture_output=True, text=True,
                              env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        lines = proc.stdout.strip().splitlines()
        result["gui"] = json.loads(lines[-1]) if proc.returncode == 0 and lines else \
            {"returncode": proc.returncode, "stderr": proc.stderr.strip()[-400:]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
