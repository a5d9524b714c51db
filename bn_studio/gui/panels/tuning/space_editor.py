"""The tuning panel's space editor: one row per hyperparameter (name, scale, range) and a
preview of what the selected row's scale samples."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from bn_studio.core.nn.optim import ignored_message, ignored_params
from bn_studio.core.search import (PARAM_NAMES, SCALES, Param, SearchSpace, SearchSpaceError,
                                   decade_shares, suggested_param)

from ...plain_text import escape
from ...plotting import cache_axes

PREVIEW_SAMPLES = 1000
# What the scale column shows for each of core's scale names (a table cell is narrow).
SCALE_LABELS = {"linear": "linear", "int": "integer", "log": "log", "one_minus_log": "1 − β, log",
                "pow2": "2ᵏ", "choice": "choice"}


class SpaceEditor(QWidget):
    """Edits a SearchSpace; ``changed`` fires on every edit. ``optimizer()`` names the
    optimizer in use: a parameter it ignores is refused in the preview."""

    changed = Signal()

    def __init__(self, optimizer: Callable[[], str], parent=None) -> None:
        super().__init__(parent)
        self.optimizer = optimizer
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["parameter", "scale", "low", "high"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(130)
        self.table.setMaximumHeight(170)
        self.table.setToolTip("One row per hyperparameter: its name, the scale it is "
                              "sampled on, and its range")
        self.table.itemSelectionChanged.connect(self.update_preview)
        self.table.itemChanged.connect(lambda _item: self._edited())
        add, remove = QPushButton("+ parameter"), QPushButton("− parameter")
        add.clicked.connect(self.add_suggested_row)
        remove.clicked.connect(self.remove_row)
        self.preview = pg.PlotWidget()
        self.preview.setFixedHeight(140)
        self.preview.setMouseEnabled(x=False, y=False)
        self.preview.hideButtons()
        cache_axes(self.preview.getPlotItem())
        for axis in ("left", "bottom"):                 # 0.7, not 700 (x0.001)
            self.preview.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self.preview_hist = self.preview.plot(stepMode="center", fillLevel=0,
                                              brush=pg.mkBrush(31, 119, 180, 120),
                                              pen=pg.mkPen("#1f77b4"))
        self.preview_label = QLabel()
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview_label.setWordWrap(True)
        # A splitter pane ignores a wrapped label's height-for-width: reserve two lines, or
        # the text is drawn over the preview's axis.
        self.preview_label.setMinimumHeight(2 * self.preview_label.fontMetrics().lineSpacing() + 6)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.preview)
        lay.addWidget(self.preview_label)

    def _edited(self) -> None:
        self.update_preview()
        self.changed.emit()

    def add_row(self, p: Param) -> None:
        self.table.blockSignals(True)     # no previews of a half-built row
        try:
            self._add_row(p)
        finally:
            self.table.blockSignals(False)

    def _add_row(self, p: Param) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        name = QComboBox()
        name.addItems(list(PARAM_NAMES))
        name.setCurrentText(p.name)
        scale = QComboBox()
        for key in SCALES:
            scale.addItem(SCALE_LABELS.get(key, key), key)
        _show_scale(scale, p.scale)
        scale.setToolTip("linear: uniform · integer: uniform integers · log: uniform in log10 "
                         "(learning rate) · 1 − β, log: 1 − β uniform in log10 (β of an "
                         "EWMA) · 2ᵏ: powers of two · choice: one of a list, e.g. 0,1")
        # The widget, not the row index: rows move when one above is removed.
        name.currentIndexChanged.connect(lambda _=0, w=name: self._name_changed(w))
        scale.currentIndexChanged.connect(lambda _=0, w=scale: self._row_edited(w))
        self.table.setCellWidget(r, 0, name)
        self.table.setCellWidget(r, 1, scale)
        self._set_range(r, p)

    def _set_range(self, r: int, p: Param) -> None:
        if p.scale == "choice":
            low, high = ",".join(str(v) for v in p.low), ""
        else:
            low, high = f"{p.low:g}", f"{p.high:g}"
        self.table.setItem(r, 2, QTableWidgetItem(low))
        self.table.setItem(r, 3, QTableWidgetItem(high))

    def _row_of(self, widget) -> int:
        for r in range(self.table.rowCount()):
            if widget in (self.table.cellWidget(r, 0), self.table.cellWidget(r, 1)):
                return r
        return -1

    def _row_edited(self, widget) -> None:
        r = self._row_of(widget)
        if r >= 0:
            self.table.selectRow(r)
        self._edited()

    def _name_changed(self, widget) -> None:
        """A new parameter starts on its own scale and range (lr's 1e-4…1 is no β)."""
        r = self._row_of(widget)
        if r < 0:
            return
        p = suggested_param(widget.currentText())
        self.table.blockSignals(True)
        try:
            scale = self._combo(r, 1)
            scale.blockSignals(True)
            _show_scale(scale, p.scale)
            scale.blockSignals(False)
            self._set_range(r, p)
        finally:
            self.table.blockSignals(False)
        self._row_edited(widget)

    def add_suggested_row(self) -> None:
        """A row for the first parameter not yet searched that the optimizer reads."""
        used = {self._combo(r, 0).currentText() for r in range(self.table.rowCount())}
        ignored = set(ignored_params(self.optimizer(), PARAM_NAMES))
        free = [n for n in PARAM_NAMES if n not in used and n not in ignored]
        if free:
            self.add_row(suggested_param(free[0]))
            self.table.selectRow(self.table.rowCount() - 1)
            self._edited()

    def remove_row(self) -> None:
        r = self.table.currentRow()
        if r >= 0 and self.table.rowCount() > 1:
            self.table.removeRow(r)
            self._edited()

    def _combo(self, r: int, c: int) -> QComboBox:
        """The parameter (c = 0) or scale (c = 1) box of row r."""
        box = self.table.cellWidget(r, c)
        assert isinstance(box, QComboBox)
        return box

    def _text(self, r: int, c: int) -> str:
        item = self.table.item(r, c)
        return (item.text() if item else "").strip()

    def row_param(self, r: int) -> Param:
        name = self._combo(r, 0).currentText()
        scale = self._combo(r, 1).currentData()
        low, high = self._text(r, 2), self._text(r, 3)
        text = f"{name}=choice:{low}" if scale == "choice" else f"{name}={scale}:{low}:{high}"
        return Param.parse(text)

    def space(self) -> SearchSpace:
        return SearchSpace([self.row_param(r) for r in range(self.table.rowCount())])

    def set_space(self, space: SearchSpace) -> None:
        self.table.setRowCount(0)
        for p in space:
            self.add_row(p)
        self.table.selectRow(0)
        self._edited()

    def update_preview(self) -> None:
        """1 000 samples of the selected row's scale, with the share per decade."""
        r = max(0, self.table.currentRow())
        if self.table.rowCount() == 0 or self.table.cellWidget(r, 0) is None:
            return
        try:
            p = self.row_param(r)
            if ignored_params(self.optimizer(), [p.name]):
                raise SearchSpaceError(ignored_message(self.optimizer(), p.name))
        except SearchSpaceError as e:
            self.preview_label.setText(f"<span style='color:#c0392b'>{escape(e)}</span>")
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


def _show_scale(combo: QComboBox, scale: str) -> None:
    combo.setCurrentIndex(max(0, combo.findData(scale)))
