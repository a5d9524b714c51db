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

from bn_studio.core.optim import ignored_message, ignored_params
from bn_studio.core.search import (PARAM_NAMES, SCALES, Param, Search, SearchSpace,
                                   SearchSpaceError, SearchSpec, TrialResult, apply_params,
                                   best_result,
                                   decade_shares, default_space, distinct_values, export_csv,
                                   narrow_space, suggested_param)

from ...plotting import cache_axes
from ..base import Panel

POLL_INTERVAL_MS = 200
PREVIEW_SAMPLES = 1000
DIVERGED_BRUSH = "#d62728"
OK_BRUSH = "#1f77b4"
TABLE_MIN_ROWS = 8           # results rows visible without scrolling the table
# Steps per trial that the first-run network (deep sigmoid net, momentum) needs on each
# gallery dataset before the best trial is clearly below ln C, the loss at chance; measured
# with benchmarks/tuning_steps.py (best of 12: checkerboard 0.69 at 1 000 steps, 0.55 at
# 3 000, 0.41 at 5 000; spirals 0.23 at 300, 0.03 at 500; the rest < 0.1 at 300).
# Others (imported, drawn) get the default.
SEARCH_STEPS = {"moons": 300, "blobs": 300, "circles": 300, "spirals": 500, "xor": 300,
                "checkerboard": 5000}
DEFAULT_SEARCH_STEPS = 1000


def search_steps(dataset_name: str) -> int:
    """The tuning panel's default steps per trial for a dataset."""
    return SEARCH_STEPS.get(dataset_name, DEFAULT_SEARCH_STEPS)


class _SelectViewBox(pg.ViewBox):
    """Dragging with the left button selects an x range (``on_select(lo, hi)`` in view
    coordinates) instead of panning; the wheel still zooms."""

    def __init__(self, on_select, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_select = on_select

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        a = self.mapSceneToView(ev.buttonDownScenePos()).x()
        b = self.mapSceneToView(ev.scenePos()).x()
        self.on_select(min(a, b), max(a, b))


def format_number(value) -> str:
    """Every number in the panel with 4 significant digits, trailing zeros kept (0.6980 and
    0.7022, not 0.698 and 0.7022); whole numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:#.4g}".rstrip(".") if math.isfinite(value) else str(value)
    return str(value)


class _NumItem(QTableWidgetItem):
    """A table cell that sorts by number (None last) instead of by text."""

    def __init__(self, value) -> None:
        super().__init__(format_number(value))
        self.value = value
        if isinstance(value, (int, float)):
            self.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)

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
        self._cancelled = False
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
        add.clicked.connect(self.add_suggested_row)
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
        self.steps = self._spin(10, 20000, search_steps(model.dataset.name),
                                "Training steps per trial (the default is what the current "
                                "dataset needs before the first-run network learns)")
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
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)   # val acc too
        self.x_param = QComboBox()
        self.x_param.setToolTip("Which parameter to plot the validation loss against")
        self.x_param.currentIndexChanged.connect(self._x_param_changed)
        self.scatter_plot = pg.PlotWidget(viewBox=_SelectViewBox(self.select_x_range))
        self.scatter_plot.setLabel("left", "validation loss")
        self.scatter_plot.setToolTip("Drag across the plot to select a range of the parameter "
                                     "for the next round")
        cache_axes(self.scatter_plot.getPlotItem())
        # A PlotDataItem (not a bare ScatterPlotItem) so that the plot's log x mode applies.
        self.scatter = pg.PlotDataItem(pen=None, symbolSize=9)
        self.scatter_plot.addItem(self.scatter)
        self.region = pg.LinearRegionItem(movable=True)
        self.region.setZValue(-10)
        self.region.setVisible(False)
        self.scatter_plot.addItem(self.region)
        self.curve_plot = pg.PlotWidget(title="best trial")     # short: fits a narrow dock
        self.curve_plot.setLabel("bottom", "step")
        self.curve_plot.setLabel("left", "validation loss")
        for w in (self.preview, self.scatter_plot, self.curve_plot):   # 0.7, not 700 (x0.001)
            for axis in ("left", "bottom"):
                w.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self._set_step_axis()
        # Padded, so the top tick label is not cut in half before the first trial.
        self.scatter_plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
        self.best_label = QLabel()
        self.best_label.setWordWrap(True)          # the best trial's settings, never clipped
        self.best_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        # Honest minimum sizes: in a short dock the panel scrolls instead of crushing plots.
        for w in (self.scatter_plot, self.curve_plot):
            w.setMinimumHeight(190)
        rows = TABLE_MIN_ROWS + 1                   # + the header
        self.table.setMinimumHeight(rows * self.table.verticalHeader().defaultSectionSize() + 4)
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
        self._optimizer = model.config.optimizer
        self._dataset_name = model.dataset.name
        for p in default_space(self._optimizer):
            self.add_row(p)
        self.space_table.selectRow(0)
        self.update_preview()
        model.configChanged.connect(self.on_config)
        model.datasetChanged.connect(lambda _split: self.on_dataset())

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
        b.addWidget(self.best_label)
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
        # The widget, not the row index: rows move when one above is removed.
        name.currentIndexChanged.connect(lambda _=0, w=name: self._name_changed(w))
        scale.currentIndexChanged.connect(lambda _=0, w=scale: self._row_edited(w))
        self.space_table.setCellWidget(r, 0, name)
        self.space_table.setCellWidget(r, 1, scale)
        self._set_range(r, p)

    def _set_range(self, r: int, p: Param) -> None:
        if p.scale == "choice":
            low, high = ",".join(str(v) for v in p.low), ""
        else:
            low, high = f"{p.low:g}", f"{p.high:g}"
        self.space_table.setItem(r, 2, QTableWidgetItem(low))
        self.space_table.setItem(r, 3, QTableWidgetItem(high))

    def _row_of(self, widget) -> int:
        for r in range(self.space_table.rowCount()):
            if widget in (self.space_table.cellWidget(r, 0), self.space_table.cellWidget(r, 1)):
                return r
        return -1

    def _row_edited(self, widget) -> None:
        r = self._row_of(widget)
        if r >= 0:
            self.space_table.selectRow(r)
        self.update_preview()

    def _name_changed(self, widget) -> None:
        """A new parameter starts on its own scale and range (lr's 1e-4…1 is no β)."""
        r = self._row_of(widget)
        if r < 0:
            return
        p = suggested_param(widget.currentText())
        self.space_table.blockSignals(True)
        try:
            scale = self.space_table.cellWidget(r, 1)
            scale.blockSignals(True)
            scale.setCurrentText(p.scale)
            scale.blockSignals(False)
            self._set_range(r, p)
        finally:
            self.space_table.blockSignals(False)
        self._row_edited(widget)

    def add_suggested_row(self) -> None:
        """A row for the first parameter not yet searched that the optimizer reads."""
        used = {self.space_table.cellWidget(r, 0).currentText()
                for r in range(self.space_table.rowCount())}
        ignored = set(ignored_params(self.model.config.optimizer, PARAM_NAMES))
        free = [n for n in PARAM_NAMES if n not in used and n not in ignored]
        if free:
            self.add_row(suggested_param(free[0]))
            self.space_table.selectRow(self.space_table.rowCount() - 1)
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

    def on_config(self, config) -> None:
        """The default space follows the optimizer; a space the user edited is kept (a β the
        new optimizer ignores is then refused at launch, with one line)."""
        old, self._optimizer = self._optimizer, config.optimizer
        if old == config.optimizer:
            return
        try:
            untouched = self.space_from_table() == default_space(old)
        except SearchSpaceError:
            untouched = False
        if untouched:
            self.set_space(default_space(config.optimizer))
        else:
            self.update_preview()

    def on_dataset(self) -> None:
        """Default steps follow the dataset, unless the user chose another number."""
        old, self._dataset_name = self._dataset_name, self.model.dataset.name
        if self.steps.value() == search_steps(old):
            self.steps.setValue(search_steps(self._dataset_name))

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
            if ignored_params(self.model.config.optimizer, [p.name]):
                raise SearchSpaceError(ignored_message(self.model.config.optimizer, p.name))
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
        self._cancelled = False
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
            self._cancelled = True
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
        finished = self.search.finished.is_set()   # read first: it is set after the last result
        new = self.search.poll()
        if new:
            self.results.extend(new)
            self._add_rows(new)
            self.update_scatter()
            self._show_best()
        pr = self.search.progress()
        c = pr.counts                     # the bar, like the text, counts trials that ran
        self.progress.setValue(c["ok"] + c["diverged"] + c["failed"])
        self.progress_label.setText(self.status_text(pr, finished))
        if finished:
            self.timer.stop()
            self.launch.setEnabled(True)
            self.cancel_button.setEnabled(False)
            if self.search.error:
                self.error.setText(f"The search stopped: {self.search.error}")
        has_best = best_result(self.results) is not None
        self.apply_best_button.setEnabled(has_best)
        self.next_round.setEnabled(has_best)
        self.export_button.setEnabled(bool(self.results))

    def _set_step_axis(self) -> None:
        """The best trial's curve runs over 0 … steps: whole steps, even before any trial."""
        self.curve_plot.enableAutoRange(x=False)
        self.curve_plot.setXRange(0, self.steps.value(), padding=0.02)

    def status_text(self, pr, finished: bool) -> str:
        """One line: progress with a time estimate while running; at the end what came of it,
        without an estimate ("cancelled: 14 of 100 done", "finished: 20 of 20 done")."""
        c = pr.counts
        ran = c["ok"] + c["diverged"] + c["failed"]
        outcome = f"{c['ok']} ok, {c['diverged']} diverged, {c['failed']} failed"
        if finished:
            state = "Cancelled" if self._cancelled or c["cancelled"] else "Finished"
            return f"{state}: {ran} of {pr.total} done ({outcome})"
        if self._cancelled:
            return f"Cancelling… {ran} of {pr.total} done"
        eta = ""
        if pr.eta_seconds is not None:
            eta = (f" — about {pr.eta_seconds:.0f} s left" if pr.eta_seconds >= 1
                   else " — almost done")
        return (f"{ran} of {pr.total} done ({outcome}), {pr.running} running, "
                f"{pr.remaining} waiting{eta}")

    # ---- results views ----------------------------------------------------------------
    def _setup_results_view(self, space: SearchSpace) -> None:
        names = [p.name for p in space]
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        self.table.setColumnCount(4 + len(names))
        self.table.setHorizontalHeaderLabels(["trial", "status", *names, "val loss", "val acc"])
        # Best first: rows added later are sorted in by the header's indicator.
        self.table.horizontalHeader().setSortIndicator(2 + len(names), Qt.AscendingOrder)
        self.x_param.blockSignals(True)
        self.x_param.clear()
        self.x_param.addItems(names)
        self.x_param.blockSignals(False)
        self.region.setVisible(False)
        self.scatter.setData([], [])
        self.best_curve.setData([], [])
        self.best_label.setText("")
        self._set_step_axis()
        self.scatter_plot.enableAutoRange()
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

    def _x_param_changed(self, _index: int) -> None:
        self.region.setVisible(False)          # a range of another parameter
        self.update_scatter()

    def select_x_range(self, lo: float, hi: float) -> None:
        """A drag across the scatter: the band for 'Next round' (none before the first)."""
        if self.space_used is None or not self.results:
            return
        self.region.setRegion((lo, hi))
        self.region.setVisible(True)

    def _show_best(self) -> None:
        best = best_result(self.results)
        if best is None or not best.get("curve"):
            return
        c = best["curve"]
        y = np.array([np.nan if v is None else v for v in c["val_loss"]], dtype=np.float64)
        steps = np.asarray(c["step"], dtype=np.float64)
        self.best_curve.setData(steps, y)
        if steps.size:
            self.curve_plot.setXRange(0, max(float(steps[-1]), 10.0), padding=0.02)
        params = ", ".join(f"{k} = {format_number(v)}" for k, v in best["params"].items())
        self.best_label.setText(f"<b>Best so far: trial {best['trial']}</b> — {params}; "
                                f"validation loss {format_number(best['val_loss'])}, accuracy "
                                f"{format_number(best['val_accuracy'])}")

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
        optimizer = self.model.config.optimizer       # it may have changed since the search
        ignored = ignored_params(optimizer, best["params"])
        if ignored:
            self.error.setText(f"Not applied: {ignored_message(optimizer, ignored[0])}; choose "
                               "the optimizer this search tuned first.")
            return False
        self.error.setText("")
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
                "results": [r.to_dict() for r in self.results if r.status != "cancelled"]}

    def apply_workspace(self, state: dict) -> None:
        if state.get("space"):
            self.set_space(SearchSpace.from_list(state["space"]))
        self.trials.setValue(int(state.get("trials", self.trials.value())))
        self.steps.setValue(int(state.get("steps", self.steps.value())))
        self.strategy.setCurrentText(state.get("strategy", "random"))
        if state.get("searched_space") and state.get("results"):
            self.space_used = SearchSpace.from_list(state["searched_space"])
            self._setup_results_view(self.space_used)
            self.results = [TrialResult.from_dict(r) for r in state["results"]]
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
