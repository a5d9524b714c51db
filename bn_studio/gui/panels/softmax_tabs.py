"""The softmax inspector's extra tabs: shift and temperature, and loss and gradient (the
per-class maps are in class_maps.py). Each draws what the core (core/softmax_parts.py)
computes for the logits z the inspector found at the clicked point."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QTabBar, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider

from bn_studio.core.nn.softmax_parts import (ShiftedSoftmax, loss_gradient, one_hot, point_loss,
                                             shifted_softmax)

from ..plain_text import Rich, escape
from ..plotting import cache_axes, steady_title
from ..theme import CLASS_COLORS, DIVERGED_COLOR, RUN_COLORS, RUN_LABELS

RUNS = ("bn", "no_bn")
SHIFT_RANGE = 50.0                 # c in ±50: e^(z + 50) is still a float64 for these z
LOG_T_RANGE = (-1.3, 1.3)          # T from 0.05 to 20, on a log slider
LOG_T_STEPS = 260
PLOT_HEIGHT_PX = 110


class CompactAxis(pg.AxisItem):
    """Tick labels with 3 significant digits, so a diverged net's 1e13 logits still fit."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        return [f"{v * scale:.3g}" for v in values]


def fmt(v: float, digits: int) -> str:
    """A number for a bar or the table: fixed decimals, or 3 significant digits when huge."""
    if not np.isfinite(v):
        return "not a number" if np.isnan(v) else ("+∞" if v > 0 else "−∞")
    if abs(v) >= 1e4:
        return f"{v:.3g}"
    return f"{v:.{digits}f}"


class PlotView(pg.GraphicsLayoutWidget):
    """A plot area that asks for its minimum height only: the dock's height is shared out by
    the layout, not by the scene's size (which would make a 768-px-high screen scroll)."""

    def sizeHint(self) -> QSize:
        return QSize(300, max(self.minimumHeight(), 120))


def bar_plot(view: pg.GraphicsLayoutWidget, row: int, title: str) -> pg.PlotItem:
    p = view.addPlot(row=row, col=0, axisItems={"left": CompactAxis("left")})
    steady_title(p)
    p.setTitle(title, size="10pt")
    p.setMouseEnabled(x=False, y=False)
    p.setMenuEnabled(False)
    p.hideButtons()
    p.disableAutoRange()
    cache_axes(p)
    p.getAxis("left").setWidth(52)
    p.addLine(y=0, pen=pg.mkPen("#888", width=1))
    return p


def fit_y(p: pg.PlotItem, values: np.ndarray, lo: float | None = None,
          hi: float | None = None) -> None:
    v = values[np.isfinite(values)]
    vmin = min(0.0, float(v.min())) if v.size else 0.0
    vmax = max(0.0, float(v.max())) if v.size else 1.0
    vmin = vmin if lo is None else lo
    vmax = vmax if hi is None else hi
    span = (vmax - vmin) or 1.0
    p.setYRange(vmin - 0.06 * span, vmax + 0.1 * span, padding=0)


def class_ticks(p: pg.PlotItem, names: list[str], c: int) -> None:
    p.setXRange(-0.6, c - 0.4, padding=0)
    p.getAxis("bottom").setTicks([[(i, names[i] if i < len(names) else str(i))
                                   for i in range(c)]])


class PageTabs(QWidget):
    """A tab bar over pages of which only the shown one is laid out. QTabWidget asks for
    the tallest page's height (for word-wrapped text, whatever the size policy), so in a
    scrolling dock every short page would scroll in a tall page's height."""

    currentChanged = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.bar = QTabBar()
        self.bar.setDocumentMode(True)
        self.bar.setExpanding(False)
        self._pages: list[QWidget] = []
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.addWidget(self.bar)
        self.bar.currentChanged.connect(self._show)

    def addTab(self, page: QWidget, label: str) -> None:
        self._pages.append(page)
        self._lay.addWidget(page, 1)
        page.setVisible(len(self._pages) == 1)
        self.bar.addTab(label)

    def setTabToolTip(self, i: int, tip: str) -> None:
        self.bar.setTabToolTip(i, tip)

    def _show(self, index: int) -> None:
        for i, page in enumerate(self._pages):
            page.setVisible(i == index)
        self.currentChanged.emit(index)

    def count(self) -> int:
        return len(self._pages)

    def widget(self, i: int) -> QWidget:
        return self._pages[i]

    def currentIndex(self) -> int:
        return self.bar.currentIndex()

    def currentWidget(self) -> QWidget | None:
        i = self.bar.currentIndex()
        return self._pages[i] if 0 <= i < len(self._pages) else None

    def setCurrentIndex(self, i: int) -> None:
        self.bar.setCurrentIndex(i)


class ShiftTemperatureTab(QWidget):
    """One net's z + c, t = e^((z + c)/T) unshifted, and a = t / Σt, with a slider for c and
    one for T: moving c rescales every t by e^(c/T) and leaves a alone."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.run = QComboBox()
        for run in RUNS:
            self.run.addItem(f"Net {RUN_LABELS[run]}", run)
        self.run.setToolTip("Whose logits z to play with")
        self.shift = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.shift.setRange(-SHIFT_RANGE, SHIFT_RANGE)
        self.shift.setSingleStep(0.5)  # type: ignore[arg-type]  # stubs: int; a float slider
        self.shift.setValue(0.0)
        self.shift.setToolTip("c is added to every logit: t changes, a does not")
        self.temp = QSlider(Qt.Orientation.Horizontal)
        self.temp.setRange(0, LOG_T_STEPS)
        self.temp.setValue(self._t_to_slider(1.0))
        self.temp.setToolTip("a = softmax(z / T): T > 1 flattens the probabilities, "
                             "T < 1 sharpens them")
        self.temp_label = QLabel()
        self.temp_label.setMinimumWidth(64)
        self.max_button = QPushButton("c = −max z")
        self.max_button.setToolTip("The shift the stable softmax uses: the largest t becomes 1")
        self.max_button.clicked.connect(self.shift_by_max)
        self.t1_button = QPushButton("T = 1")
        self.t1_button.clicked.connect(lambda: self.temp.setValue(self._t_to_slider(1.0)))
        grid = QGridLayout()
        grid.addWidget(QLabel("Net"), 0, 0)
        grid.addWidget(self.run, 0, 1, 1, 2)
        grid.addWidget(QLabel("shift c"), 1, 0)
        grid.addWidget(self.shift, 1, 1)
        grid.addWidget(self.max_button, 1, 2)
        grid.addWidget(QLabel("temp. T"), 2, 0)
        temp_row = QHBoxLayout()
        temp_row.addWidget(self.temp, 1)
        temp_row.addWidget(self.temp_label)
        grid.addLayout(temp_row, 2, 1)
        grid.addWidget(self.t1_button, 2, 2)
        grid.setColumnStretch(1, 1)
        self.view = PlotView()
        self.view.setMinimumHeight(3 * PLOT_HEIGHT_PX)
        self.plots = {key: bar_plot(self.view, row, title) for row, (key, title) in enumerate(
            (("u", "z + c"), ("t", "t = e^((z + c)/T), not shifted"),
             ("a", "a = t / Σt")))}
        self.bars = {key: pg.BarGraphItem(x=[], height=[], width=0.7) for key in self.plots}
        for key, p in self.plots.items():
            p.addItem(self.bars[key])
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setStyleSheet("font-size: 13px")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(grid)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.caption)
        self._z: dict = {}
        self._names: list[str] = []
        self.result: ShiftedSoftmax | None = None
        for signal in (self.shift.valueChanged, self.temp.valueChanged,
                       self.run.currentIndexChanged):
            signal.connect(lambda *_: self.redraw())
        self.redraw()

    @staticmethod
    def _t_to_slider(T: float) -> int:
        lo, hi = LOG_T_RANGE
        return round((math.log10(T) - lo) / (hi - lo) * LOG_T_STEPS)

    @property
    def temperature(self) -> float:
        lo, hi = LOG_T_RANGE
        return float(10 ** (lo + (hi - lo) * self.temp.value() / LOG_T_STEPS))

    def set_temperature(self, T: float) -> None:
        self.temp.setValue(self._t_to_slider(T))

    def shift_by_max(self) -> None:
        z = self._z.get(self.run.currentData())
        if z is not None:
            self.shift.setValue(float(np.clip(-z.max(), -SHIFT_RANGE, SHIFT_RANGE)))

    def set_logits(self, z_by_run: dict, names: list[str]) -> None:
        """{run: z or None}: the logits at the clicked point (None: not finite numbers)."""
        self._z = {k: v for k, v in z_by_run.items() if v is not None}
        self._names = names
        self.redraw()

    def redraw(self) -> None:
        T = self.temperature
        self.temp_label.setText(f"T = {T:.2g}")
        run = self.run.currentData()
        z = self._z.get(run)
        if z is None:
            for bar in self.bars.values():
                bar.setOpts(x=[], height=[])
            self.result = None
            self.caption.setText("Click a point on the decision regions: its logits z appear "
                                 "here." if not self._z else
                                 f"<span style='color:{DIVERGED_COLOR}'>This net's outputs at "
                                 "the point are not numbers (it diverged).</span>")
            return
        c = float(self.shift.value())
        s = self.result = shifted_softmax(z, c, T)
        n = z.size
        xs = np.arange(n, dtype=np.float64)
        brushes = [pg.mkBrush(CLASS_COLORS[i % 8]) for i in range(n)]
        finite_t = s.t[np.isfinite(s.t)]
        # An overflowed t (inf) is drawn to the top of the axis in the "diverged" colour.
        top = float(finite_t.max()) if finite_t.size and finite_t.max() > 0 else 1.0
        shown = {"u": z + c, "t": np.where(np.isfinite(s.t), s.t, 1.08 * top), "a": s.a}
        for key, v in shown.items():
            self.bars[key].setOpts(x=xs, height=v, width=0.7, brushes=(
                [pg.mkBrush(DIVERGED_COLOR) if not np.isfinite(s.t[i]) else brushes[i]
                 for i in range(n)] if key == "t" else brushes))
            class_ticks(self.plots[key], self._names, n)
        self.plots["t"].setTitle(Rich("t = e^((z + c)/T), not shifted" + (
            f"<span style='color:{DIVERGED_COLOR}'>: overflows (∞)</span>" if s.overflow
            else "")), size="10pt")
        fit_y(self.plots["u"], shown["u"])
        fit_y(self.plots["t"], shown["t"], lo=0.0)
        fit_y(self.plots["a"], shown["a"], lo=0.0, hi=1.0)
        self.caption.setText(self._caption(z, c, T, s))

    def _caption(self, z, c, T, s) -> str:
        C = z.size
        lines = []
        if s.overflow:
            lines.append(f"<b style='color:{DIVERGED_COLOR}'>e^((z + c)/T) overflows</b> "
                         "(above 1.8e308): t / Σt is not a number. The stable softmax first "
                         "shifts by −max z, where the largest t is 1; press “c = −max z”.")
        else:
            lines.append(f"Σt = {fmt(s.total, 4)}. Adding c multiplies every t by "
                         f"e^(c/T) = {fmt(math.exp(c / T) if c / T < 700 else math.inf, 3)}; "
                         "the factor cancels in t / Σt, so <b>a does not change</b>. "
                         "That is why e^(z − max z) is exact, not an approximation: it is "
                         "this shift with c = −max z, which keeps the largest t at 1.")
        top = int(np.argmax(s.a))
        lines.append(f"T = {T:.2g}: a<sub>max</sub> = {s.a[top]:.3f} "
                     f"(uniform would be 1/{C} = {1 / C:.3f}). T &gt; 1 flattens a toward "
                     "uniform, T &lt; 1 sharpens it toward the largest z (T → 0: one-hot).")
        return "<br>".join(lines)


class LossGradientTab(QWidget):
    """For a true class y: each net's loss −log a_y and its gradient a − y, as grouped bars."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.true_class = QComboBox()
        self.true_class.setToolTip("The true class y; a click picks the class of the nearest "
                                   "data point")
        self.nearest = QLabel()
        self.nearest.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("true class y"))
        row.addWidget(self.true_class)
        row.addWidget(self.nearest, 1)
        self.loss = QLabel()
        self.loss.setTextFormat(Qt.TextFormat.RichText)
        self.loss.setWordWrap(True)
        self.loss.setStyleSheet("font-size: 14px")
        self.view = PlotView()
        self.view.setMinimumHeight(2 * PLOT_HEIGHT_PX + 20)
        self.plots = {"a": bar_plot(self.view, 0, "a, and y (outlined)"),
                      "grad": bar_plot(self.view, 1, Rich("∂(−log a<sub>y</sub>)/∂z = a − y"))}
        self.bars: dict[tuple[str, str], pg.BarGraphItem] = {}
        for key, p in self.plots.items():
            for run in RUNS:
                bar = pg.BarGraphItem(x=[], height=[], width=0.36,
                                      brush=pg.mkBrush(RUN_COLORS[run]))
                p.addItem(bar)
                self.bars[(key, run)] = bar
        self.target = pg.BarGraphItem(x=[], height=[], width=0.9, brush=None,
                                      pen=pg.mkPen("#888", width=1.5, style=Qt.PenStyle.DashLine))
        self.plots["a"].addItem(self.target)
        self.plots["a"].setYRange(-0.04, 1.1, padding=0)
        self.plots["grad"].setYRange(-1.08, 1.08, padding=0)
        legend = QLabel(" ".join(f"<span style='color:{RUN_COLORS[r]}'>■ {RUN_LABELS[r]}</span>"
                                 for r in RUNS))
        self.caption = QLabel(
            "The gradient of the loss with respect to z is a − y: lowering the loss means "
            "raising the true class's z (in proportion to 1 − a<sub>y</sub>) and lowering each "
            "other z (in proportion to a<sub>k</sub>). z is not a parameter: backpropagation "
            "passes a − y on to the weights W and biases b that make z. The loss is above 0 "
            "for every finite z and tends to 0 as a<sub>y</sub> → 1. (T = 1 here: the loss "
            "the nets train on.)")
        for label in (legend, self.caption):
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(row)
        lay.addWidget(self.loss)
        lay.addWidget(legend)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.caption)
        self._z: dict = {}
        self._names: list[str] = []
        self.values: dict = {}
        self.true_class.currentIndexChanged.connect(lambda _i: self.redraw())

    def set_classes(self, names: list[str]) -> None:
        self._names = list(names)
        self.true_class.blockSignals(True)
        self.true_class.clear()
        for i, n in enumerate(self._names):
            self.true_class.addItem(str(n), i)
        self.true_class.blockSignals(False)

    def set_true_class(self, y: int, note: str = "") -> None:
        self.nearest.setText(note)
        if self.true_class.currentIndex() == y:
            self.redraw()
        else:
            self.true_class.setCurrentIndex(y)

    def set_logits(self, z_by_run: dict) -> None:
        self._z = dict(z_by_run)
        self.redraw()

    def redraw(self) -> None:
        y = self.true_class.currentIndex()
        self.values = {}
        sizes = [z.size for z in self._z.values() if z is not None]
        if y < 0 or not sizes:
            for bar in list(self.bars.values()) + [self.target]:
                bar.setOpts(x=[], height=[])
            self.loss.setText("")
            return
        C = max(sizes)
        parts = []
        for i, run in enumerate(RUNS):
            z = self._z.get(run)
            xs = np.arange(C) + (i - 0.5) * 0.38
            label = f"<b style='color:{RUN_COLORS[run]}'>{RUN_LABELS[run]}</b>"
            if z is None or y >= z.size:
                for key in self.plots:
                    self.bars[(key, run)].setOpts(x=[], height=[])
                parts.append(f"{label}: no numbers")
                continue
            grad = loss_gradient(z, y)
            a = grad + one_hot(y, z.size)
            loss = point_loss(z, y)
            self.values[run] = {"loss": loss, "grad": grad, "a": a}
            self.bars[("a", run)].setOpts(x=xs, height=a, width=0.36)
            self.bars[("grad", run)].setOpts(x=xs, height=grad, width=0.36)
            parts.append(f"{label}: −log a<sub>y</sub> = {fmt(loss, 3)} "
                         f"(a<sub>y</sub> = {fmt(a[y], 3)})")
        self.target.setOpts(x=[y], height=[1.0], width=0.9)
        for p in self.plots.values():
            class_ticks(p, self._names, C)
        name = self._names[y] if y < len(self._names) else str(y)
        self.loss.setText(f"Loss for y = <b style='color:{CLASS_COLORS[y % 8]}'>"
                          f"{escape(name)}</b>: " + "; ".join(parts))
