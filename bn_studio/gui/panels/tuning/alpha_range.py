"""'BN tolerates a wider range of α': both twins' final validation loss against α on a log
axis, from one search where every trial trains the BN and the no-BN net on the same draws.

Diverged trials are drawn on the top edge (× in the twin's colour); each twin's good range
(every α within 10 % of its best loss, core/search/analysis.py) is a thick bar at that
10 % level. A twin that never left chance (best loss near ln C) or diverged at every α gets
no bar and no width: it is flagged, with the chance level drawn as a dashed line.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from bn_studio.core.search import TrialResult
from bn_studio.core.search.analysis import (ALPHA_RANGE, ALPHA_TRIALS, GOOD_WITHIN,
                                            alpha_range_report, twin_points)

from ...plotting import add_legend, cache_axes
from ...theme import RUN_COLORS, RUN_LABELS
from .controls import eta_text

SEARCH = "alpha_range"    # this view's search in the studio's SearchModel
TWINS = ("bn", "no_bn")
TOP_PAD = 1.4             # diverged trials sit this far above the worst finished loss


class AlphaRangeView(QWidget):
    """The plot, a Run button and one line per twin: its good range in decades."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.run_button = QPushButton("Run α-range search")
        self.run_button.setToolTip(
            "Train every α of a log grid from 1e-3 to 10 twice, with and without BN, on the "
            "same initial weights and batches, and compare the range of good α")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.trials = QSpinBox()
        self.trials.setRange(5, 200)
        self.trials.setValue(ALPHA_TRIALS)
        self.trials.setToolTip("α values on the log grid (each trained as twins)")
        self.status = QLabel("Press Run: each α trains with and without BN.")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        cache_axes(item)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.plot.setLogMode(x=True, y=True)        # losses span decades at the edges
        self.plot.setLabel("bottom", "learning rate α (log axis) — × diverged, on the top edge")
        self.plot.setLabel("left", "final validation loss (log axis)")
        self.plot.setMinimumHeight(220)
        self.plot.setXRange(*np.log10(ALPHA_RANGE), padding=0.02)
        self.plot.setYRange(-1.0, 0.5, padding=0)          # 0.1 … 3 until results come
        # Bottom left, the corner this plot leaves empty: a small α learns slowly (a high
        # loss), diverged α sit on the top edge and the no-BN curve often runs along ln C.
        self.legend = add_legend(self.plot, offset=(5, -5))
        self.lines, self.diverged, self.bars = {}, {}, {}
        for twin in TWINS:
            color = RUN_COLORS[twin]
            self.lines[twin] = self.plot.plot(
                pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6, symbolBrush=color,
                symbolPen=None, connect="finite", name=RUN_LABELS[twin])
            self.diverged[twin] = self.plot.plot(pen=None, symbol="x", symbolSize=13,
                                                 symbolPen=pg.mkPen(color, width=1.5),
                                                 symbolBrush=color)
            # the good range at its 10 % level; BN's wider bar stays visible under the other
            width = 9 if twin == "bn" else 4
            self.bars[twin] = self.plot.plot(pen=pg.mkPen(color, width=width))
        # Named in the legend, not by a label on the line: the no-BN curve runs along the
        # line, and a label there sat under the legend when the plot's top was near ln C.
        chance_pen = pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine)
        self.chance = pg.InfiniteLine(angle=0, movable=False, pen=chance_pen)
        self.chance.setVisible(False)
        self.plot.addItem(self.chance, ignoreBounds=True)
        self._chance_sample = pg.PlotDataItem(pen=chance_pen)     # the legend's sample only
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        row.addWidget(QLabel("α values"))
        row.addWidget(self.trials)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.summary)

    def follow(self, searches, classes) -> None:
        """Show the search model's α-range search as it runs; ``classes()`` is the data's C
        (a twin near ln C is flagged as never leaving chance)."""
        self._searches, self._classes = searches, classes
        searches.started.connect(self._on_started)
        searches.resultsAdded.connect(self._on_results)
        searches.progressChanged.connect(self._on_progress)
        searches.finished.connect(self._on_finished)
        self.cancel_button.clicked.connect(self._cancel)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _cancel(self) -> None:
        self._searches.cancel(SEARCH)

    def _on_started(self, name: str) -> None:
        if name == SEARCH:
            self.clear()

    def _on_results(self, name: str, _new: list) -> None:
        if name == SEARCH:
            self.show_results(self._searches.results(name), classes=self._classes())

    def _on_progress(self, name: str, pr) -> None:
        if name == SEARCH:
            self.status.setText(self.status_text(
                self._searches.results(name), pr, not self._searches.running(name),
                self._searches.run(name).search.cancelled))

    def _on_finished(self, name: str) -> None:
        if name == SEARCH:
            self.set_running(False)
            error = self._searches.run(name).search.error
            if error:
                self.status.setText(f"The search stopped: {error}")

    def _show_chance(self, shown: bool) -> None:
        self.chance.setVisible(shown)
        listed = self.legend.getLabel(self._chance_sample) is not None
        if shown and not listed:
            self.legend.addItem(self._chance_sample, "chance (ln C)")
        elif listed and not shown:
            self.legend.removeItem(self._chance_sample)

    def clear(self) -> None:
        for items in (self.lines, self.diverged, self.bars):
            for item in items.values():
                item.setData([], [])
        self._show_chance(False)
        self.summary.setText("")

    def show_results(self, results: list[TrialResult], classes: int | None = None) -> dict:
        """Draw both twins from a twins search over α; returns the report it shows. With
        ``classes``, a twin whose best loss is near ln C (chance) is flagged, not credited."""
        points = {twin: twin_points(results, twin) for twin in TWINS}
        finite = np.concatenate([loss[np.isfinite(loss)] for _, loss in points.values()])
        top = float(finite.max()) * TOP_PAD if finite.size else 1.0
        report = alpha_range_report(results, classes=classes)
        for k, twin in enumerate(TWINS):
            alpha, loss = points[twin]
            self.lines[twin].setData(alpha, loss)
            gone = alpha[~np.isfinite(loss)]
            # the twins' × one above the other on the top edge, not on top of each other
            self.diverged[twin].setData(gone, np.full(gone.size, top / (1.12 ** k)))
            rep = report[twin]
            if rep["decades"] is not None:
                level = rep["best_loss"] * (1.0 + GOOD_WITHIN)
                lo, hi = rep["good_low"], rep["good_high"]
                if hi <= lo:                             # one good α: a visible tick
                    lo, hi = lo / 10 ** 0.05, hi * 10 ** 0.05
                self.bars[twin].setData([lo, hi], [level, level])
            else:
                self.bars[twin].setData([], [])
        chance = report["bn"]["chance_loss"]
        flagged = any(report[t]["verdict"] == "chance" for t in TWINS)
        self._show_chance(bool(chance) and flagged)
        if chance:
            self.chance.setPos(np.log10(chance))
        if finite.size:
            low = float(finite.min()) / 1.3
            self.plot.setYRange(np.log10(low), np.log10(top * 1.1), padding=0)
        self.summary.setText(self.summary_text(report))
        return report

    @staticmethod
    def status_text(results: list[TrialResult], pr, finished: bool, cancelled: bool) -> str:
        """Progress counted per twin (a trial is one α trained twice, and the twins diverge
        at different α): "Finished: 25 of 25 α done (with BN: 25 ok, 0 diverged; …)"."""
        ran = [r for r in results if r.status in ("ok", "diverged", "failed")]
        parts = []
        for twin in TWINS:
            outcomes = [r.twin(twin) for r in ran]
            n = {s: sum(t is not None and t.status == s for t in outcomes)
                 for s in ("ok", "diverged", "failed")}
            parts.append(f"{RUN_LABELS[twin]}: {n['ok']} ok, {n['diverged']} diverged"
                         + (f", {n['failed']} failed" if n["failed"] else ""))
        done = f"{len(ran)} of {pr.total} α done ({'; '.join(parts)})"
        if finished:
            return f"{'Cancelled' if cancelled else 'Finished'}: {done}"
        if cancelled:
            return f"Cancelling… {done}"
        return f"{done}, {pr.running} running, {pr.remaining} waiting{eta_text(pr)}"

    @staticmethod
    def summary_text(report: dict) -> str:
        lines = []
        for twin in TWINS:
            r = report[twin]
            color = RUN_COLORS[twin]
            head = f"<span style='color:{color}'>■</span> <b>{RUN_LABELS[twin]}</b>: "
            if r["verdict"] == "diverged":
                lines.append(head + f"<b>diverged at every α</b> ({r['diverged']} of "
                             f"{r['trials']}): no range of good α")
                continue
            if r["verdict"] == "chance":
                lines.append(head + f"<b>never left chance</b>: best loss {r['best_loss']:.3f}"
                             f" ≈ ln C = {r['chance_loss']:.3f}, the loss of guessing, so no "
                             f"α is good (a flat curve is not a wide range); "
                             f"{r['diverged']} of {r['trials']} diverged")
                continue
            lines.append(head + f"good α {r['good_low']:.2g} … {r['good_high']:.2g} "
                         f"(<b>{r['decades']:.2f} decades</b> within 10 % of its best loss "
                         f"{r['best_loss']:.3f}); {r['diverged']} of {r['trials']} diverged")
        return "<br>".join(lines)
