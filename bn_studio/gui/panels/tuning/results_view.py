"""The tuning panel's results: a table of trials, validation loss against a parameter (drag
a range for the next round) and the best trial's learning curve."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from bn_studio.core.search import Param, SearchSpace, TrialResult, best_result, distinct_values

from ...plain_text import escape, tooltip
from ...plotting import cache_axes
from ...wrapped_label import WrappedLabel

DIVERGED_BRUSH = "#d62728"
OK_BRUSH = "#1f77b4"
TABLE_MIN_ROWS = 4           # results rows visible without scrolling the table (it grows
#                              into any room the dock has; 4 keep a 768 px screen unscrolled)


class _SelectViewBox(pg.ViewBox):
    """Dragging with the left button selects an x range (``on_select(lo, hi)`` in view
    coordinates) instead of panning; the wheel still zooms."""

    def __init__(self, on_select, **kwargs) -> None:
        super().__init__(**kwargs)
        self.on_select = on_select

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
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
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other) -> bool:
        a, b = self.value, getattr(other, "value", None)
        if a is None or b is None:
            return b is None and a is not None
        try:
            return bool(a < b)          # Qt's sort needs a bool (NumPy's would crash it)
        except TypeError:
            return str(a) < str(b)


class ResultsView(QWidget):
    """Shows one search's trials; ``reset`` for a new search, ``add`` as trials end."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.space: SearchSpace | None = None
        self.results: list[TrialResult] = []       # the search model's list, never a copy
        self.steps = 1000
        self.twins = False
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        # Each column as wide as its header and numbers (stretched, the columns of a narrow
        # dock cut "0.04123" to "0.04…" and "momentum" to "omentu"); the table scrolls
        # sideways when they do not fit, the last column takes what is left.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.x_param = QComboBox()
        self.x_param.setToolTip("Which parameter to plot the validation loss against")
        self.x_param.currentIndexChanged.connect(self._x_param_changed)
        self.scatter_plot = pg.PlotWidget(viewBox=_SelectViewBox(self.select_x_range))
        self.scatter_plot.setLabel("left", "validation loss")
        self.scatter_plot.setToolTip("Drag across the plot to select a range of the parameter "
                                     "for the next round")
        cache_axes(self.scatter_plot.getPlotItem())
        # A PlotDataItem (not a bare ScatterPlotItem) so that the plot's log x mode applies.
        self.scatter = pg.PlotDataItem(pen=None, symbolSize=9)          # ok trials
        self.diverged = pg.PlotDataItem(pen=None, symbolSize=9)         # diverged ones
        self._ok_brush, self._diverged_brush = pg.mkBrush(OK_BRUSH), pg.mkBrush(DIVERGED_BRUSH)
        self._edge = pg.mkPen("#202020", width=0.5)
        self.scatter_plot.addItem(self.scatter)
        self.scatter_plot.addItem(self.diverged)
        self.region = pg.LinearRegionItem(movable=True)
        self.region.setZValue(-10)
        self.region.setVisible(False)
        self.scatter_plot.addItem(self.region)
        self.curve_plot = pg.PlotWidget(title="best trial")     # short: fits a narrow dock
        self.curve_plot.setLabel("bottom", "step")
        self.curve_plot.setLabel("left", "validation loss")
        for w in (self.scatter_plot, self.curve_plot):          # 0.7, not 700 (x0.001)
            for axis in ("left", "bottom"):
                w.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self._set_step_axis()
        # Padded, so the top tick label is not cut in half before the first trial.
        self.scatter_plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.05)
        self.best_label = WrappedLabel()
        self.best_label.setTextFormat(Qt.TextFormat.RichText)
        self.best_label.setWordWrap(True)          # the best trial's settings, never clipped
        self.best_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Honest minimum sizes: in a short dock the panel scrolls instead of crushing plots.
        for w in (self.scatter_plot, self.curve_plot):
            w.setMinimumHeight(140)
        rows = TABLE_MIN_ROWS + 1                   # + the header
        self.table.setMinimumHeight(rows * self.table.verticalHeader().defaultSectionSize() + 4)
        self.best_curve = self.curve_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.grid_label = WrappedLabel()
        self.grid_label.setWordWrap(True)
        self.button_row = QHBoxLayout()            # the panel adds its buttons here
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        sc = QHBoxLayout()
        sc.addWidget(QLabel("loss vs"))
        sc.addWidget(self.x_param, 1)
        lay.addLayout(sc)
        plots = QHBoxLayout()
        plots.addWidget(self.scatter_plot, 3)
        plots.addWidget(self.curve_plot, 2)
        lay.addLayout(plots, 2)
        lay.addWidget(self.best_label)
        lay.addWidget(self.grid_label)
        lay.addLayout(self.button_row)
        lay.addWidget(self.table, 2)

    def reset(self, space: SearchSpace, trials: int, steps: int,
              results: list[TrialResult], twins: bool = False) -> None:
        """Views for a search of ``space`` (``trials`` trials of ``steps`` steps) whose
        results are ``results`` — the search model's list, read here, never copied: ``add``
        then draws only the rows it is given."""
        self.space, self.results, self.steps, self.twins = space, results, steps, twins
        names = self._param_columns()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        headers = ["trial", "net", "status", *names, "loss", "acc"]
        if twins:
            headers += ["no-BN loss", "no-BN acc"]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        for j, h in enumerate(headers):                  # short labels fit a narrow dock
            if h.endswith(("loss", "acc")):
                net = "the no-BN net's " if h.startswith("no-BN") else ""
                self._header_tip(j, f"{net}validation "
                                    f"{'loss' if h.endswith('loss') else 'accuracy'}")
        self._header_tip(1, "Which net the trial trained: BN (batch norm after every hidden "
                            "layer), no BN, or both (the same draws with and without BN; val "
                            "loss is the BN net's)")
        # Best first: rows added later are sorted in by the header's indicator.
        self.table.horizontalHeader().setSortIndicator(headers.index("loss"),
                                                       Qt.SortOrder.AscendingOrder)
        self.x_param.blockSignals(True)
        self.x_param.clear()
        self.x_param.addItems([p.name for p in space])
        self.x_param.blockSignals(False)
        self.region.setVisible(False)
        self.scatter.setData([], [])
        self.diverged.setData([], [])
        self.best_curve.setData([], [])
        self.best_label.setText("")
        self._set_step_axis()
        self.scatter_plot.enableAutoRange()
        names = [p.name for p in space]
        grid = space.grid(trials)
        dv = distinct_values(space.sample(trials, 0))
        dg = distinct_values(grid)
        self.grid_label.setText(
            "Distinct values tried — random: " + ", ".join(f"{n} {dv[n]}" for n in names)
            + f"; a grid of {len(grid)} trials: " + ", ".join(f"{n} {dg[n]}" for n in names)
            + ". If only one parameter matters, random search tries many more values of it.")

    def _header_tip(self, column: int, tip: str) -> None:
        item = self.table.horizontalHeaderItem(column)     # set by the header labels
        if item is not None:
            item.setToolTip(tip)

    def _param_columns(self) -> list[str]:
        """The searched parameters the table shows ("bn" is the net column)."""
        return [p.name for p in self.space if p.name != "bn"] if self.space else []

    def add(self, new: list[TrialResult]) -> None:
        """Trials appended to the results list: their rows, then the scatter and the best
        so far (one call each, over the list)."""
        self._add_rows(new)
        self.update_scatter()
        self._show_best()

    def _add_rows(self, results: list[TrialResult]) -> None:
        names = self._param_columns()
        self.table.setSortingEnabled(False)
        self.table.setUpdatesEnabled(False)
        for r in results:
            i = self.table.rowCount()
            self.table.insertRow(i)
            cells = [r.trial, r.net, str(r.status), *[r.params.get(n) for n in names],
                     r.val_loss, r.val_accuracy]
            if self.twins:
                cells += [r.no_bn.val_loss, r.no_bn.val_accuracy] if r.no_bn else [None, None]
            for j, v in enumerate(cells):
                item = _NumItem(v)
                if r.status == "diverged":
                    item.setForeground(pg.mkColor(DIVERGED_BRUSH))
                if r.error:
                    item.setToolTip(tooltip(r.error))
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)
        self.table.setUpdatesEnabled(True)

    def _x_values(self, p: Param, results: list[TrialResult]) -> np.ndarray:
        """What the scatter's x axis shows: the value, 1 − β for β-like scales, or an index."""
        v = np.array([float(r.params[p.name]) if p.scale != "choice" else
                      p.low.index(r.params[p.name]) for r in results], dtype=np.float64)
        return 1.0 - v if p.scale == "one_minus_log" else v

    @staticmethod
    def _log_x(p: Param) -> bool:
        return p.scale in ("log", "one_minus_log", "pow2")

    def update_scatter(self) -> None:
        if self.space is None or not self.results:
            return
        name = self.x_param.currentText()
        try:
            p = self.space[name]
        except KeyError:
            return
        shown = [r for r in self.results if r.finished]
        if not shown:
            return
        x = self._x_values(p, shown)
        finite = [r.val_loss for r in shown if r.status == "ok" and r.val_loss is not None]
        top = (max(finite) * 1.15 + 0.05) if finite else 1.0
        y = np.array([r.val_loss if r.status == "ok" and r.val_loss is not None else top
                      for r in shown])
        ok = np.array([r.status == "ok" for r in shown])
        log_x = self._log_x(p)
        if self.scatter_plot.getPlotItem().ctrl.logXCheck.isChecked() != log_x:
            self.scatter_plot.setLogMode(x=log_x)
            self.region.setVisible(False)
        # Two items of one style each: per-point brushes cost seconds at 10,000 trials.
        self.scatter.setData(x[ok], y[ok], symbol="o", symbolBrush=self._ok_brush,
                             symbolPen=self._edge)
        self.diverged.setData(x[~ok], y[~ok], symbol="x", symbolBrush=self._diverged_brush,
                              symbolPen=self._edge)
        if log_x:
            x = np.log10(x)            # the view's coordinates on a log axis
        label = f"1 − {name}" if p.scale == "one_minus_log" else name
        self.scatter_plot.setLabel("bottom", label + " — red × diverged (top)")

    def _x_param_changed(self, _index: int) -> None:
        self.region.setVisible(False)          # a range of another parameter
        self.update_scatter()

    def select_x_range(self, lo: float, hi: float) -> None:
        """A drag across the scatter: the band for 'Next round' (none before the first)."""
        if self.space is None or not self.results:
            return
        self.region.setRegion((lo, hi))
        self.region.setVisible(True)

    def _show_best(self) -> None:
        best = best_result(self.results)
        if best is None or not best.curve:
            return
        c = best.curve
        y = np.array([np.nan if v is None else v for v in c["val_loss"]], dtype=np.float64)
        steps = np.asarray(c["step"], dtype=np.float64)
        self.best_curve.setData(steps, y)
        if steps.size:
            self.curve_plot.setXRange(0, max(float(steps[-1]), 10.0), padding=0.02)
        params = ", ".join(f"{escape(k)} = {escape(format_number(v))}"
                           for k, v in best.params.items() if k != "bn")
        nets = "both nets" if best.net == "both" else f"{best.net} net"
        self.best_label.setText(f"<b>Best so far: trial {best.trial}</b> ({nets}) — "
                                f"{params}; "
                                f"validation loss {format_number(best.val_loss)}, accuracy "
                                f"{format_number(best.val_accuracy)}")

    def selected_region(self) -> dict:
        """The dragged region in parameter values, for the parameter on the x axis."""
        name = self.x_param.currentText()
        assert self.space is not None               # a region is dragged over results
        p = self.space[name]
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

    def set_steps(self, steps: int) -> None:
        self.steps = steps
        self._set_step_axis()

    def _set_step_axis(self) -> None:
        """The best trial's curve runs over 0 … steps: whole steps, even before any trial."""
        self.curve_plot.enableAutoRange(x=False)
        self.curve_plot.setXRange(0, self.steps, padding=0.02)
