"""Every trial, not only the best: all learning curves coloured by a parameter (log colour
scale for log-scale parameters), what a median-stopping rule would have stopped and the
compute it would have saved (core/search/analysis.py), and parallel coordinates."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QPainterPath
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from bn_studio.core.search import SearchSpace, TrialResult
from bn_studio.core.search.analysis import median_stopping

from ...plotting import cache_axes
from ...wrapped_label import WrappedLabel

COLORMAP = "viridis"
STOPPED_ALPHA = 50           # a stopped trial's curve fades to this (of 255)
WARMUP_TRIALS = 5            # Optuna's MedianPruner default (n_startup_trials)
WARMUP_SHARE = 0.1           # and no stopping in a trial's first 10 % of steps: at step 0
#                              every net is untrained, its loss says nothing yet
COLOR_LEVELS = 64            # curves are drawn in this many shades of the colour map
REDRAW_MS = 500              # new results are drawn together, at most this often


class CurveBundle(pg.GraphicsObject):
    """Many polylines as ONE item: per shade, one path of all its curves (pyqtgraph's
    arrayToQPath with a connect array that breaks between curves). Adding a pyqtgraph item
    per trial made 2,000 trials take 14 s to show (each addItem re-lays the view out)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[tuple[QPainterPath, object]] = []
        self.rect = QRectF()

    def set_curves(self, xs: list, ys: list, pens: list) -> None:
        """Curve k is (xs[k], ys[k]) drawn with pens[k]; curves with the same pen (same
        object) share a path. Non-finite points are left out (the line breaks there)."""
        self.prepareGeometryChange()
        groups: dict[int, tuple[object, list, list]] = {}
        for x, y, pen in zip(xs, ys, pens):
            entry = groups.setdefault(id(pen), (pen, [], []))
            entry[1].append(x)
            entry[2].append(y)
        self.paths, self.rect = [], QRectF()
        for pen, gx, gy in groups.values():
            x, y, connect = _joined(gx, gy)
            if x.size:
                path = pg.arrayToQPath(x, y, connect=connect)
                self.paths.append((path, pen))
                self.rect = self.rect.united(path.boundingRect())
        self.update()

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter, *_args) -> None:
        for path, pen in self.paths:
            painter.setPen(pen)
            painter.drawPath(path)


def _curve(r: TrialResult) -> dict:
    """A trained trial's learning curve (only trials that trained are drawn)."""
    assert r.curve is not None
    return r.curve


def log_ticks(lo: float, hi: float) -> list | None:
    """Ticks of a log axis over 10^lo … 10^hi: 1, 2, 5 × 10^k labelled, at most about six
    (pyqtgraph labels every minor tick of a short log range, and they pile up)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return None
    for mantissas in ((1, 2, 5), (1, 3), (1,)):
        values = [m * 10.0 ** k for k in range(int(np.floor(lo)), int(np.ceil(hi)) + 1)
                  for m in mantissas]
        shown = [v for v in values if lo <= np.log10(v) <= hi]
        if len(shown) <= 6:
            break
    if len(shown) > 6:                                   # many decades: every other one
        shown = shown[::-(-len(shown) // 6)]
    return [[(float(np.log10(v)), f"{v:g}") for v in shown], []]


def _joined(xs: list, ys: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Curves end to end, finite points only, and where each point connects to the next."""
    parts_x, parts_y, parts_c = [], [], []
    for x, y in zip(xs, ys):
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        index = np.flatnonzero(ok)
        if not index.size:
            continue
        connect = np.zeros(index.size, dtype=bool)
        connect[:-1] = np.diff(index) == 1           # a dropped point breaks the line
        parts_x.append(x[index])
        parts_y.append(y[index])
        parts_c.append(connect)
    if not parts_x:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    return np.concatenate(parts_x), np.concatenate(parts_y), np.concatenate(parts_c)


def unit_values(space: SearchSpace, name: str, results: list[TrialResult]) -> np.ndarray:
    """Each result's ``name`` on its sampling axis scaled to 0 … 1 (log10 for log scales):
    the colour scale and the parallel-coordinates axis."""
    p = space[name]
    u = p.to_unit([r.params[name] for r in results])
    lo, hi = p.unit_bounds
    return np.clip((np.asarray(u, dtype=np.float64) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)


class AllTrialsView(QWidget):
    """Curves of every trial, the median-stopping replay and parallel coordinates."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.space: SearchSpace | None = None
        self.results: list[TrialResult] = []     # the search model's list, never a copy
        self.cmap = pg.colormap.get(COLORMAP)
        self.pending = QTimer(self)               # new results drawn together
        self.pending.setSingleShot(True)
        self.pending.setInterval(REDRAW_MS)
        self.pending.timeout.connect(self.redraw)
        self.stale = False
        self.color_by = QComboBox()
        self.color_by.setToolTip("Colour every curve by this parameter (log scale for α, "
                                 "1 − β and powers of two)")
        self.color_by.currentIndexChanged.connect(lambda _i: self.redraw())
        self.stopping = QCheckBox("median stopping")
        self.stopping.setToolTip(
            "Replay a median-stopping rule (Optuna's default pruner): after the first "
            f"{WARMUP_TRIALS} trials and the first {WARMUP_SHARE:.0%} of the steps, stop a trial "
            "as soon as its best loss so far is worse than the median of the earlier trials "
            "at the same step")
        self.stopping.setChecked(True)
        self.stopping.toggled.connect(lambda _on: self.redraw())
        self.curves = pg.PlotWidget()
        item = self.curves.getPlotItem()
        cache_axes(item)
        item.setLogMode(y=True)
        item.setLabel("bottom", "step")
        item.setLabel("left", "validation loss (log axis)")
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        item.getViewBox().sigYRangeChanged.connect(
            lambda _vb, r: item.getAxis("left").setTicks(log_ticks(*r)))
        item.setYRange(-1.0, 0.5, padding=0)             # 0.1 … 3 until curves come
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=self.cmap, interactive=False,
                                   width=12)
        item.layout.addItem(self.bar, 2, 5)           # beside the plot, as pyqtgraph's examples
        self.stops = pg.ScatterPlotItem(symbol="o", size=8, pen=pg.mkPen("#d62728", width=1.5),
                                        brush=None)
        self.curves.addItem(self.stops)
        self.bundle = CurveBundle()
        self.curves.addItem(self.bundle)
        self.summary = WrappedLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.parallel = pg.PlotWidget()
        pitem = self.parallel.getPlotItem()
        pitem.hideAxis("left")
        pitem.setMouseEnabled(x=False, y=False)
        pitem.hideButtons()
        pitem.getAxis("bottom").setTicks([[]])            # the parameters' names, once known
        self.parallel.setToolTip("Parallel coordinates: one line per finished trial across "
                                 "every parameter (on its sampling scale) and the validation "
                                 "loss (log scale), coloured as the curves above")
        self.parallel_bundle = CurveBundle()
        self.parallel.addItem(self.parallel_bundle)
        self.parallel_items: list = []
        for w in (self.curves, self.parallel):
            w.setMinimumHeight(160)     # with the summary, the page fits a 768 px screen
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("colour by"))
        row.addWidget(self.color_by, 1)
        row.addWidget(self.stopping)
        lay.addLayout(row)
        lay.addWidget(self.curves, 3)
        lay.addWidget(self.summary)
        lay.addWidget(self.parallel, 2)
        self.redraw()

    def reset(self, space: SearchSpace, results: list[TrialResult]) -> None:
        """Show a search of ``space`` whose results are ``results`` (the model's list)."""
        self.space, self.results = space, results
        self.color_by.blockSignals(True)
        self.color_by.clear()
        self.color_by.addItems([p.name for p in space if p.scale != "choice"] or
                               [p.name for p in space])
        self.color_by.blockSignals(False)
        if self.isVisible():
            self.redraw()
        else:
            self.stale = True

    def add(self, _new: list[TrialResult]) -> None:
        """Rows were added to the results list: drawn within REDRAW_MS, or when the tab
        is next shown (the median-stopping replay looks at every trial)."""
        if self.isVisible():
            if not self.pending.isActive():
                self.pending.start()
        else:
            self.stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale:
            self.redraw()

    def redraw(self) -> None:
        self.stale = False
        self.pending.stop()
        trained = sorted((r for r in self.results if r.curve and r.curve.get("step")),
                         key=lambda r: r.trial)
        self._draw_curves(trained)
        self._draw_parallel()

    def _pens(self, faded: bool = False, width: float = 1.5) -> list:
        colors = self.cmap.map(np.linspace(0.0, 1.0, COLOR_LEVELS), mode="qcolor")
        for c in colors:
            if faded:
                c.setAlpha(STOPPED_ALPHA)
        return [pg.mkPen(c, width=width) for c in colors]

    def _draw_curves(self, trained: list[TrialResult]) -> None:
        self.stops.setData([], [])
        self.bundle.set_curves([], [], [])
        name = self.color_by.currentText()
        if not trained or self.space is None or not name:
            self.summary.setText("Launch a search: every trial's learning curve appears "
                                 "here as it ends, with what median stopping would have "
                                 "stopped; below, parallel coordinates.")
            return
        curves = [_curve(r) for r in trained]
        shade = np.rint(unit_values(self.space, name, trained) * (COLOR_LEVELS - 1)).astype(int)
        last = max(c["step"][-1] for c in curves)
        report = median_stopping([(c["step"], c["val_loss"]) for c in curves],
                                 warmup_trials=WARMUP_TRIALS, warmup_steps=WARMUP_SHARE * last)
        show_stops = self.stopping.isChecked()
        pens, faded = self._pens(), self._pens(faded=True)
        spots, xs, ys, curve_pens = [], [], [], []
        for curve, k, stop in zip(curves, shade, report.stopped_at):
            steps = np.asarray(curve["step"], dtype=np.float64)
            loss = np.array([np.nan if v is None or v <= 0 else v for v in curve["val_loss"]],
                            dtype=np.float64)
            y = np.log10(loss)                    # the log axis' own coordinates
            pen = pens[k]
            if show_stops and stop is not None:
                pen = faded[k]
                i = int(np.searchsorted(steps, stop))
                if np.isfinite(y[i]):
                    spots.append((stop, y[i]))
            xs.append(steps)
            ys.append(y)
            curve_pens.append(pen)
        self.bundle.set_curves(xs, ys, curve_pens)
        finite = np.concatenate(ys)
        finite = finite[np.isfinite(finite)]
        if finite.size:            # the losses' own range (a diverged 1e10 does not flatten it)
            lo = float(finite.min())
            hi = min(float(finite.max()), lo + 4.0)
            self.curves.setYRange(lo, max(hi, lo + 0.3), padding=0.05)
        if spots:
            self.stops.setData(*np.array(spots).T)
        p = self.space[name]
        lo, hi = p.unit_bounds
        self.bar.setLevels((lo, hi))
        labels = {"log": f"log₁₀ {name}", "one_minus_log": f"−log₁₀(1 − {name})",
                  "pow2": f"log₂ {name}"}
        self.bar.axis.setLabel(labels.get(p.scale, name))
        self.summary.setText(self.stopping_text(report, trained) if show_stops else "")

    @staticmethod
    def stopping_text(report, trained: list[TrialResult]) -> str:
        if report.stopped == 0:
            return (f"A median-stopping rule would have stopped none of these {len(trained)} "
                    "trials.")
        best = min((r for r in trained if r.status == "ok" and r.val_loss is not None),
                   key=lambda r: r.val_loss if r.val_loss is not None else math.inf,
                   default=None)
        kept = best is None or report.stopped_at[trained.index(best)] is None
        return (f"<span style='color:#d62728'>○</span> A median-stopping rule would have "
                f"stopped <b>{report.stopped} of {len(trained)}</b> trials (faded; ○ where it "
                f"would have) and saved <b>{report.saved_share:.0%}</b> of the training steps; the "
                f"best trial {'would still have finished' if kept else 'would have been stopped'}"
                ".")

    def _draw_parallel(self) -> None:
        for item in self.parallel_items:
            self.parallel.removeItem(item)
        self.parallel_items = []
        self.parallel_bundle.set_curves([], [], [])
        done = [r for r in self.results if r.status == "ok" and r.val_loss is not None]
        if self.space is None or not done:
            return
        names = [p.name for p in self.space]
        columns = [unit_values(self.space, n, done) for n in names]
        loss = np.log10(np.array([r.val_loss for r in done], dtype=np.float64))
        span = float(loss.max() - loss.min()) or 1.0
        columns.append((loss - loss.min()) / span)
        ys = np.array(columns).T                           # one row per trial
        name = self.color_by.currentText() or names[0]
        shade = np.rint(unit_values(self.space, name, done) * (COLOR_LEVELS - 1)).astype(int)
        pens = self._pens(width=1.2)
        x = np.arange(len(names) + 1, dtype=np.float64)
        best_last = np.argsort(-loss)                      # the best drawn last, on top
        self.parallel_bundle.set_curves([x] * len(done), list(ys[best_last]),
                                        [pens[k] for k in shade[best_last]])
        for i in range(len(x)):
            axis = pg.InfiniteLine(pos=x[i], angle=90, pen=pg.mkPen("#888888"))
            self.parallel.addItem(axis)
            self.parallel_items.append(axis)
        for i, n in enumerate(names):
            p = self.space[n]
            lo, hi = ("", "") if p.scale == "choice" else (f"{p.low:.3g}", f"{p.high:.3g}")
            self._axis_ends(x[i], lo, hi)
        self._axis_ends(x[-1], f"{10 ** loss.min():.3g}", f"{10 ** loss.max():.3g}")
        self.parallel.getAxis("bottom").setTicks([[(float(i), n) for i, n in
                                                   enumerate([*names, "val loss"])]])
        self.parallel.setXRange(-0.3, len(names) + 0.3, padding=0)
        self.parallel.setYRange(-0.22, 1.22, padding=0)

    def _axis_ends(self, x: float, low: str, high: str) -> None:
        for y, text, anchor in ((0.0, low, (0.5, 0.0)), (1.0, high, (0.5, 1.0))):
            label = pg.TextItem(text, anchor=anchor, color="#888888")
            label.setPos(x, y - 0.02 if y == 0 else y + 0.02)
            self.parallel.addItem(label)
            self.parallel_items.append(label)
