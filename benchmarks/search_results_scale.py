"""Opening a workspace that holds N search results, in an offscreen window.

Writes a workspace whose tuning search has N results (each a learning curve of P points: 51
for a 1,000-step trial evaluated every 20 steps, so that 10,000 of them fit the 16 MiB
workspace limit), opens it in a fresh window (File → Open's
code path) and prints one JSON object: seconds to read and show it (the Results tab: table,
scatter, best curve), seconds to draw the Every-trial tab (every curve, the median-stopping
replay, parallel coordinates) when it is shown, the plot items that tab holds, and the
workspace's size. Usage: python benchmarks/search_results_scale.py [--results 10000] [--points 51]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def workspace(n: int, points: int = 51, seed: int = 0) -> dict:
    from bn_studio.core.search import Param, SearchSpace
    rng = np.random.default_rng(seed)
    space = SearchSpace([Param("lr", "log", 1e-4, 1.0), Param("hidden", "int", 4, 64)])
    steps = [int(v) for v in np.linspace(0, 1000, points)]
    results = []
    for i in range(n):
        start, end = rng.uniform(0.6, 0.8), rng.uniform(0.02, 0.7)
        loss = (end + (start - end) * np.exp(-np.linspace(0, 1, len(steps)) * rng.uniform(1, 8)))
        loss = [round(float(v), 6) for v in loss]
        results.append({"trial": i, "seed": int(rng.integers(0, 2**31)),
                        "params": {"lr": float(10 ** rng.uniform(-4, 0)),
                                   "hidden": int(rng.integers(4, 65))},
                        "status": "ok", "val_loss": loss[-1], "val_accuracy": 0.9,
                        "diverged_at": None, "error": None, "seconds": 0.5,
                        "curve": {"step": steps, "val_loss": loss}})
    return {"space": space.to_list(), "trials": n, "steps": 1000, "strategy": "random",
            "searched_space": space.to_list(), "results": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--results", type=int, default=10000)
    ap.add_argument("--points", type=int, default=51)
    args = ap.parse_args()
    from PySide6.QtWidgets import QApplication

    from bn_studio.gui.app import make_application
    from bn_studio.gui.main_window import MainWindow
    from bn_studio.gui.panels.tuning.all_trials import CurveBundle
    app = make_application([])
    win = MainWindow()
    win.resize(1366, 768)
    win.show()
    app.processEvents()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "w.bnstudio.json"
        win.save_workspace_to(path)
        doc = json.loads(path.read_text())
        doc["search"] = workspace(args.results, args.points)
        path.write_text(json.dumps(doc))
        size = path.stat().st_size
        t0, c0 = time.perf_counter(), time.process_time()
        win.open_workspace_from(path, wait=True)
        app.processEvents()
        opened, opened_cpu = time.perf_counter() - t0, time.process_time() - c0
    t = win.panels["tuning"]
    win.raise_panel("tuning")
    t0, c0 = time.perf_counter(), time.process_time()
    t.tabs.setCurrentWidget(t.every)
    app.processEvents()
    every, every_cpu = time.perf_counter() - t0, time.process_time() - c0
    items = [i for i in t.every.curves.getPlotItem().items]
    out = {"benchmark": "search_results_scale", "results": args.results,
           "curve_points": args.points,
           "workspace_mb": round(size / 2**20, 1), "open_seconds": round(opened, 2),
           "open_cpu_seconds": round(opened_cpu, 2),
           "every_trial_tab_seconds": round(every, 2),
           "every_trial_tab_cpu_seconds": round(every_cpu, 2),
           "table_rows": t.view.table.rowCount(),
           "every_trial_plot_items": len(items),
           "curve_bundles": sum(isinstance(i, CurveBundle) for i in items),
           "load": os.getloadavg()[0]}
    win.close()
    QApplication.processEvents()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
