"""The tuning panel: random search on the right scale, run in background processes, live.

The GUI only reads finished trials (the search's own thread talks to the worker processes),
so the window stays responsive however long the trials take.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from bn_studio.core.search import (PARAM_NAMES, SCALES, Param, Search, SearchSpace,
                                   SearchSpaceError, SearchSpec, apply_params, best_result,
                                   decade_shares, distinct_values, export_csv, narrow_space)

from ..plotting import cache_axes
from .base import Panel

POLL_INTERVAL_MS = 200
PREVIEW_SAMPLES = 1000
DEFAULT_SPACE = [Param("lr", "log", 1e-4, 1.0), Param("beta1", "one_minus_log", 0.9, 0.999),
                 Param("hidden", "int", 50, 100)]
DIVERGED_BRUSH = "#d62728"
OK_BRUSH = "#1f77b4"


class _NumItem(QTableWidgetItem):
    """A table cell that sorts by number (None last) instead of by text."""

    def __init__(self, value) -> None:
        super().__init__("" if value is None else (f"{value:.4g}" if isinstance(value, float)
                                                    else str(value)))
        self.value = value

    def __lt__(self, other) -> bool:
        a, b = self.value, getattr(other, "value", None)
        if a is None or b is None:
            return b is None and a is not None
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


class TuningPanel(Panel):
    title = "Tuning"
    name = "tuning"
    area = "right"
    help_text = ("Random search, as the course recommends: each trial trains a fresh network "
                 "with hyperparameters drawn at random — on a log scale for the learning rate "
                 "(each decade as likely), as 1 − β on a log scale for β (β = 0.9 … 0.999 "
                 "averages over 10 … 1000 values), uniformly for hidden units. The preview shows "
                 "what each scale samples. Trials run in background processes; drag a region "
                 "in the scatter and press 'Next round' to search more finely there.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.search: Search | None = None
        self.results: list[dict] = []
        self.space_used: SearchSpace | None = None

        # space editor
        self.space_table = QTableWidget(0, 4)
        self.space_table.setHorizontalHeaderLabels(["parameter", "scale", "low", "high"])
        self.space_table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.space_table.verticalHeader().setVisible(False)
        self.space_table.setMinimumHeight(130)
        self.space_table.setMaximumHeight(170)
        self.space_table.setToolTip("One row per hyperparameter: its name, the scale it is "
                                    "sampled on, and its range")
        self.space_table.itemSelectionChanged.connect(self.update_preview)
        self.space_table.itemChanged.connect(lambda _item: self.update_preview())
        add, remove = QPushButton("+ parameter"), QPushButton("− parameter")
        add.clicked.connect(lambda: self.add_row(Param("momentum", "one_minus_log", 0.8, 0.99)))
        remove.clicked.connect(self.remove_row)
        self.preview = pg.PlotWidget()
        self.preview.setFixedHeight(160)
        self.preview.setMouseEnabled(x=False, y=False)
        self.preview.hideButtons()
        cache_axes(self.preview.getPlotItem())
        self.preview_hist = self.preview.plot(stepMode="center", fillLevel=0,
                                              brush=pg.mkBrush(31, 119, 180, 120),
                                              pen=pg.mkPen("#1f77b4"))
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        # A splitter pane ignores a wrapped label's height-for-width: reserve two lines, or
        # the text is drawn over the preview's axis.
        self.preview_label.setMinimumHeight(2 * self.preview_label.fontMetrics().lineSpacing() + 6)

        # run controls
        self.trials = self._spin(1, 500, 20, "How many trials (networks) to train")
        self.steps = self._spin(10, 20000, 300, "Training steps per trial")
        self.workers = self._spin(1, max(1, os.cpu_count() or 1) * 2, os.cpu_count() or 1,
                                  "Worker processes (one per CPU core is best)")
        self.strategy = QComboBox()
        self.strategy.addItems(["random", "grid"])
        self.strategy.setToolTip("Random search tries a new value of every parameter in every "
                                 "trial; a grid tries only a few values of each")
        self.launch = QPushButton("Launch search")
        self.launch.clicked.connect(self.launch_search)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_search)
        self.progress = QProgressBar()
        self.progress_label = QLabel("No search yet.")
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)

        # results
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.x_param = QComboBox()
        self.x_param.setToolTip("Which parameter to plot the validation loss against")
        self.x_param.currentIndexChanged.connect(lambda _: self.update_scatter())
        self.scatter_plot = pg.PlotWidget()
        self.scatter_plot.setLabel("left", "validation loss")
        cache_axes(self.scatter_plot.getPlotItem())
        # A PlotDataItem (not a bare ScatterPlotItem) so that the plot's log x mode applies.
        self.scatter = pg.PlotDataItem(pen=None, symbolSize=9)
        self.scatter_plot.addItem(self.scatter)
        self.region = pg.LinearRegionItem(movable=True)
        self.region.setZValue(-10)
        self.region.setVisible(False)
        self.scatter_plot.addItem(self.region)
        self.curve_plot = pg.PlotWidget(title="best trial: validation loss")
        self.curve_plot.setLabel("bottom", "step")
        # Honest minimum sizes: in a short dock the panel scrolls instead of crushing plots.
        for w in (self.scatter_plot, self.curve_plot):
            w.setMinimumHeight(190)
        self.table.setMinimumHeight(120)
        self.best_curve = self.curve_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.grid_label = QLabel()
        self.grid_label.setWordWrap(True)
        self.next_round = QPushButton("Next round from selection")
        self.next_round.setToolTip("Narrow the space to the region dragged in the scatter (or "
                                   "the 5 best trials), keeping each parameter's scale")
        self.next_round.clicked.connect(self.next_round_from_selection)
        self.apply_best_button = QPushButton("Apply best")
        self.apply_best_button.setToolTip("Load the best trial's settings into the training view")
        self.apply_best_button.clicked.connect(self.apply_best)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv_dialog)
        for b in (self.next_round, self.apply_best_button, self.export_button):
            b.setEnabled(False)

        self._layout(add, remove)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)
        for p in DEFAULT_SPACE:
            self.add_row(p)
        self.space_table.selectRow(0)
        self.update_preview()

    def _layout(self, add, remove) -> None:
        top = QWidget()
        t = QVBoxLayout(top)
        t.setContentsMargins(0, 0, 0, 0)
        t.addWidget(self.space_table)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        t.addLayout(row)
        t.addWidget(self.preview)
        t.addWidget(self.preview_label)
        settings = QHBoxLayout()
        for label, w in (("trials", self.trials), ("steps", self.steps),
                         ("workers", self.workers), ("", self.strategy)):
            if label:
                settings.addWidget(QLabel(label))
            settings.addWidget(w)
        t.addLayout(settings)
        run = QHBoxLayout()
        run.addWidget(self.launch)
        run.addWidget(self.cancel_button)
        run.addWidget(self.progress, 1)
        t.addLayout(run)
        t.addWidget(self.progress_label)
        t.addWidget(self.error)
        bottom = QWidget()
        b = QVBoxLayout(bottom)
        b.setContentsMargins(0, 0, 0, 0)
        sc = QHBoxLayout()
        sc.addWidget(QLabel("loss vs"))
        sc.addWidget(self.x_param, 1)
        b.addLayout(sc)
        plots = QHBoxLayout()
        plots.addWidget(self.scatter_plot, 3)
        plots.addWidget(self.curve_plot, 2)
        b.addLayout(plots, 2)
        b.addWidget(self.grid_label)
        actions = QHBoxLayout()
        for w in (self.next_round, self.apply_best_button, self.export_button):
            actions.addWidget(w)
        b.addLayout(actions)
        b.addWidget(self.table, 2)
        split = QSplitter(Qt.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)

    @staticmethod
    def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
        s = QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        s.setToolTip(tip)
        return s

    # ---- the space editor ---------------------------------------------------------------
    def add_row(self, p: Param) -> None:
        self.space_table.blockSignals(True)     # no previews of a half-built row
        try:
            self._add_row(p)
        finally:
            self.space_table.blockSignals(False)

    def _add_row(self, p: Param) -> None:
        r = self.space_table.rowCount()
        self.space_table.insertRow(r)
        name = QComboBox()
        name.addItems(list(PARAM_NAMES))
        name.setCurrentText(p.name)
        scale = QComboBox()
        scale.addItems(list(SCALES))
        scale.setCurrentText(p.scale)
        scale.setToolTip("linear: uniform · int: uniform integers · log: uniform in log10 "
                         "(learning rate) · one_minus_log: 1 − β uniform in log10 (β of an "
                         "EWMA) · pow2: powers of two · choice: one of a list, e.g. 0,1")
        for w in (name, scale):
            w.currentIndexChanged.connect(lambda _=0, row=r: self._row_edited(row))
        self.space_table.setCellWidget(r, 0, name)
        self.space_table.setCellWidget(r, 1, scale)
        if p.scale == "choice":
            low, high = ",".join(str(v) for v in p.low), ""
        else:
            low, high = f"{p.low:g}", f"{p.high:g}"
        self.space_table.setItem(r, 2, QTableWidgetItem(low))
        self.space_table.setItem(r, 3, QTableWidgetItem(high))

    def _row_edited(self, row: int) -> None:
        self.space_table.selectRow(row)
        self.update_preview()

    def remove_row(self) -> None:
        r = self.space_table.currentRow()
        if r >= 0 and self.space_table.rowCount() > 1:
            self.space_table.removeRow(r)
            self.update_preview()

    def row_param(self, r: int) -> Param:
        name = self.space_table.cellWidget(r, 0).currentText()
        scale = self.space_table.cellWidget(r, 1).currentText()
        low = (self.space_table.item(r, 2).text() if self.space_table.item(r, 2) else "").strip()
        high = (self.space_table.item(r, 3).text() if self.space_table.item(r, 3) else "").strip()
        text = f"{name}=choice:{low}" if scale == "choice" else f"{name}={scale}:{low}:{high}"
        return Param.parse(text)

    def space_from_table(self) -> SearchSpace:
        return SearchSpace([self.row_param(r) for r in range(self.space_table.rowCount())])

    def set_space(self, space: SearchSpace) -> None:
        self.space_table.setRowCount(0)
        for p in space:
            self.add_row(p)
        self.space_table.selectRow(0)
        self.update_preview()

    def update_preview(self) -> None:
        """1 000 samples of the selected row's scale, with the share per decade."""
        r = max(0, self.space_table.currentRow())
        if self.space_table.rowCount() == 0 or self.space_table.cellWidget(r, 0) is None:
            return
        try:
            p = self.row_param(r)
        except SearchSpaceError as e:
            self.preview_label.setText(f"<span style='color:#c0392b'>{e}</span>")
            self.preview_hist.setData([0, 1], [0])
            return
        values = np.array(p.sample(np.random.default_rng(0), PREVIEW_SAMPLES), dtype=object)
        plot = self.preview.getPlotItem()
        if p.scale == "choice":
            labels = list(p.low)
            counts = np.array([np.sum(values == v) for v in labels], dtype=float)
            plot.setLogMode(x=False)
            self.preview_hist.setData(np.arange(len(labels) + 1) - 0.5, counts)
            plot.getAxis("bottom").setTicks([[(i, str(v)) for i, v in enumerate(labels)]])
            self.preview_label.setText(f"{p.name}: each of {len(labels)} values about equally "
                                       "often.")
            return
        plot.getAxis("bottom").setTicks(None)
        v = values.astype(np.float64)
        if p.scale == "one_minus_log":
            x, label = 1.0 - v, f"1 − {p.name} (log axis)"
        else:
            x, label = v, p.name + (" (log axis)" if p.log_axis else "")
        use_log = p.scale in ("log", "one_minus_log", "pow2")
        data = np.log10(x) if use_log else x
        edges = np.linspace(data.min(), data.max() + 1e-12, 31)
        counts, _ = np.histogram(data, bins=edges)
        plot.setLogMode(x=use_log)
        self.preview_hist.setData(10 ** edges if use_log else edges, counts)
        plot.setLabel("bottom", label)
        plot.enableAutoRange()
        text = [f"<b>{p.describe()}</b>: {PREVIEW_SAMPLES} samples."]
        if p.scale in ("log", "linear") and p.low > 0 and p.high / p.low >= 100:
            shares = decade_shares(v, p.low, p.high)
            text.append("Share per decade: " + ", ".join(
                f"{a:g}–{b:g}: {s:.0%}" for a, b, s in shares))
            if p.scale == "linear":
                text.append("A uniform draw wastes most trials on the top decade — use log.")
        if p.scale == "one_minus_log":
            mid = 1.0 - math.sqrt((1.0 - p.low) * (1.0 - p.high))
            text.append(f"{np.mean(v >= mid):.0%} of samples are ≥ {mid:.4g}: β near 1 is where "
                        "it matters, since the EWMA averages about 1/(1 − β) values "
                        f"({1 / (1 - p.low):.0f} at {p.low:g}, {1 / (1 - p.high):.0f} at "
                        f"{p.high:g}).")
        self.preview_label.setText(" ".join(text))

    # ---- running ----------------------------------------------------------------------
    def launch_search(self) -> bool:
        self.error.setText("")
        if self.search is not None and not self.search.finished.is_set():
            return False
        try:
            space = self.space_from_table()
            spec = SearchSpec(space, self.trials.value(),
                              self.model.config.replace(steps=self.steps.value()),
                              seed=self.model.config.seed, strategy=self.strategy.currentText())
            self.search = Search(spec, self.model.split, workers=self.workers.value())
        except (SearchSpaceError, ValueError) as e:
            self.error.setText(str(e))
            return False
        self.space_used = space
        self.results = []
        self._setup_results_view(space)
        self.search.start()
        self.launch.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, self.search.total)
        self.progress.setValue(0)
        self.timer.start()
        self.poll()
        return True

    def cancel_search(self) -> None:
        if self.search is not None:
            self.search.cancel()
            self.progress_label.setText("Cancelling…")

    def shutdown(self) -> None:
        """Closing the window: stop the search and its processes; finished trials are kept."""
        self.timer.stop()
        if self.search is not None:
            self.search.cancel()
            self.search.join(5)

    def poll(self) -> None:
        if self.search is None:
            return
        new = self.search.poll()
        if new:
            self.results.extend(new)
            self._add_rows(new)
            self.update_scatter()
            self._show_best()
        pr = self.search.progress()
        self.progress.setValue(pr.done)
        eta = "" if pr.eta_seconds is None else f" — about {pr.eta_seconds:.0f} s left"
        c = pr.counts
        self.progress_label.setText(
            f"{pr.done} done ({c['ok']} ok, {c['diverged']} diverged, {c['failed']} failed, "
            f"{c['cancelled']} cancelled), {pr.running} running, {pr.remaining} waiting{eta}")
        if self.search.finished.is_set() and not self.search.poll():
            self.timer.stop()
            self.launch.setEnabled(True)
            self.cancel_button.setEnabled(False)
            if self.search.error:
                self.error.setText(f"The search stopped: {self.search.error}")
            self.progress_label.setText("Finished: " + self.progress_label.text())
        has_best = best_result(self.results) is not None
        self.apply_best_button.setEnabled(has_best)
        self.next_round.setEnabled(has_best)
        self.export_button.setEnabled(bool(self.results))

    # ---- results views ----------------------------------------------------------------
    def _setup_results_view(self, space: SearchSpace) -> None:
        names = [p.name for p in space]
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.table.setColumnCount(4 + len(names))
        self.table.setHorizontalHeaderLabels(["trial", "status", *names, "val loss", "val acc"])
        self.x_param.blockSignals(True)
        self.x_param.clear()
        self.x_param.addItems(names)
        self.x_param.blockSignals(False)
        self.region.setVisible(False)
        self.scatter.setData([], [])
        self.best_curve.setData([], [])
        grid = space.grid(self.trials.value())
        dv = distinct_values(space.sample(self.trials.value(), 0))
        dg = distinct_values(grid)
        self.grid_label.setText(
            "Distinct values tried — random: " + ", ".join(f"{n} {dv[n]}" for n in names)
            + f"; a grid of {len(grid)} trials: " + ", ".join(f"{n} {dg[n]}" for n in names)
            + ". If only one parameter matters, random search tries many more values of it.")

    def _add_rows(self, results: list[dict]) -> None:
        names = [p.name for p in self.space_used]
        self.table.setSortingEnabled(False)
        for r in results:
            i = self.table.rowCount()
            self.table.insertRow(i)
            cells = [r["trial"], r["status"], *[r["params"][n] for n in names],
                     r["val_loss"], r["val_accuracy"]]
            for j, v in enumerate(cells):
                item = _NumItem(v)
                if r["status"] == "diverged":
                    item.setForeground(pg.mkColor(DIVERGED_BRUSH))
                if r.get("error"):
                    item.setToolTip(r["error"])
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)

    def _x_values(self, p: Param, results: list[dict]) -> np.ndarray:
        """What the scatter's x axis shows: the value, 1 − β for β-like scales, or an index."""
        v = np.array([float(r["params"][p.name]) if p.scale != "choice" else
                      p.low.index(r["params"][p.name]) for r in results], dtype=np.float64)
        return 1.0 - v if p.scale == "one_minus_log" else v

    @staticmethod
    def _log_x(p: Param) -> bool:
        return p.scale in ("log", "one_minus_log", "pow2")

    def update_scatter(self) -> None:
        if self.space_used is None or not self.results:
            return
        name = self.x_param.currentText()
        try:
            p = self.space_used[name]
        except KeyError:
            return
        shown = [r for r in self.results if r["status"] in ("ok", "diverged")]
        if not shown:
            return
        x = self._x_values(p, shown)
        finite = [r["val_loss"] for r in shown if r["status"] == "ok" and r["val_loss"] is not None]
        top = (max(finite) * 1.15 + 0.05) if finite else 1.0
        y = np.array([r["val_loss"] if r["status"] == "ok" and r["val_loss"] is not None
                      else top for r in shown])
        brushes = [pg.mkBrush(OK_BRUSH if r["status"] == "ok" else DIVERGED_BRUSH)
                   for r in shown]
        symbols = ["o" if r["status"] == "ok" else "x" for r in shown]
        log_x = self._log_x(p)
        if self.scatter_plot.getPlotItem().ctrl.logXCheck.isChecked() != log_x:
            self.scatter_plot.setLogMode(x=log_x)
            self.region.setVisible(False)
        self.scatter.setData(x, y, symbolBrush=brushes, symbol=symbols,
                             symbolPen=pg.mkPen("#202020", width=0.5))
        if log_x:
            x = np.log10(x)            # the view's coordinates on a log axis
        label = f"1 − {name}" if p.scale == "one_minus_log" else name
        self.scatter_plot.setLabel("bottom", label + "   — red × = diverged, drawn at the top")
        if not self.region.isVisible():
            lo, hi = float(np.min(x)), float(np.max(x))
            span = (hi - lo) or 1.0
            self.region.setRegion((lo + 0.25 * span, hi - 0.25 * span))
            self.region.setVisible(True)

    def _show_best(self) -> None:
        best = best_result(self.results)
        if best is None or not best.get("curve"):
            return
        c = best["curve"]
        y = np.array([np.nan if v is None else v for v in c["val_loss"]], dtype=np.float64)
        self.best_curve.setData(np.asarray(c["step"], dtype=np.float64), y)
        params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in best["params"].items())
        self.curve_plot.setTitle(f"best: trial {best['trial']} ({params}), "
                                 f"val loss {best['val_loss']:.3f}", size="9pt")

    # ---- actions ----------------------------------------------------------------------
    def selected_region(self) -> dict:
        """The dragged region in parameter values, for the parameter on the x axis."""
        name = self.x_param.currentText()
        p = self.space_used[name]
        a, b = self.region.getRegion()       # view coordinates: log10 on a log axis
        if p.scale == "one_minus_log":
            lo, hi = 1.0 - 10.0 ** b, 1.0 - 10.0 ** a
        elif p.log_axis:
            lo, hi = 10.0 ** a, 10.0 ** b
        elif p.scale == "choice":
            lo, hi = a, b
            return {}
        else:
            lo, hi = a, b
        return {name: (min(lo, hi), max(lo, hi))}

    def next_round_from_selection(self) -> bool:
        if self.space_used is None:
            return False
        region = self.selected_region() if self.region.isVisible() else {}
        try:
            new = narrow_space(self.space_used, self.results, region=region or None,
                               top_k=None if region else 5)
        except SearchSpaceError as e:
            self.error.setText(str(e))
            return False
        self.set_space(new)
        self.error.setText("")
        self.progress_label.setText("Space narrowed to the selection: press Launch for the next "
                                    "round.")
        return True

    def apply_best(self) -> bool:
        best = best_result(self.results)
        if best is None:
            return False
        config, _bn = apply_params(self.model.config, best["params"])
        self.model.set_config(config.replace(seed=self.model.config.seed))
        self.model.message.emit(f"Applied trial {best['trial']}'s settings to the training view")
        return True

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export trials", "trials.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path) -> None:
        try:
            export_csv(self.results, path, [p.name for p in self.space_used])
        except OSError as e:
            self.error.setText(f"Could not write {path}: {e.strerror or e}")

    # ---- workspaces -------------------------------------------------------------------
    def workspace_state(self) -> dict:
        try:
            space = self.space_from_table().to_list()
        except SearchSpaceError:
            space = self.space_used.to_list() if self.space_used else []
        return {"space": space, "trials": self.trials.value(), "steps": self.steps.value(),
                "strategy": self.strategy.currentText(),
                "searched_space": self.space_used.to_list() if self.space_used else None,
                "results": [r for r in self.results if r["status"] != "cancelled"]}

    def apply_workspace(self, state: dict) -> None:
        if state.get("space"):
            self.set_space(SearchSpace.from_list(state["space"]))
        self.trials.setValue(int(state.get("trials", self.trials.value())))
        self.steps.setValue(int(state.get("steps", self.steps.value())))
        self.strategy.setCurrentText(state.get("strategy", "random"))
        if state.get("searched_space") and state.get("results"):
            self.space_used = SearchSpace.from_list(state["searched_space"])
            self._setup_results_view(self.space_used)
            self.results = list(state["results"])
            self._add_rows(self.results)
            self.update_scatter()
            self._show_best()
            has_best = best_result(self.results) is not None
            self.apply_best_button.setEnabled(has_best)
            self.next_round.setEnabled(has_best)
            self.export_button.setEnabled(True)

    def plots(self) -> dict:
        return {"preview": self.preview.getPlotItem(),
                "scatter": self.scatter_plot.getPlotItem(),
                "best_curve": self.curve_plot.getPlotItem()}
