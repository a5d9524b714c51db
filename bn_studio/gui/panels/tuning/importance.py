"""Which parameters mattered most in the search shown: one bar per searched parameter, its
importance (core/search/analysis.py, param_importance), best first, redrawn as trials end."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from bn_studio.core.search import SearchSpace, TrialResult
from bn_studio.core.search.analysis import IMPORTANCE_MIN_TRIALS, Importance, param_importance
from bn_studio.core.training.params import symbol

from ... import exports
from ...plain_text import escape
from ...plotting import cache_axes
from ...wrapped_label import WrappedLabel

BAR_BRUSH = "#1f77b4"
TABLE_HEADER = ["parameter", "rank", "importance", "share", "chance_share", "bands", "trials"]
HOW_TO_READ = (
    "Each trial's final validation loss is ranked (a diverged trial last). For each parameter "
    "the trials are split into equal bands of its search scale (α per part of its decades, "
    "1 − β on a log scale, the width as it is); the bar is how much of the ranks' spread the "
    "bands' average rank explains, beyond what a parameter with no effect explains by luck. "
    "Open 'Results' and pick a parameter under 'loss vs' to see its loss against it.")


def label(name: str) -> str:
    """'α (lr)', 'λ (l2)', 'hidden': the symbol the curves use, then the search's name."""
    s = symbol(name)
    return name if s == name else f"{s} ({name})"


class ImportanceView(QWidget):
    """The bars, a line of status (how many trials they rest on) and the ranked list.
    ``showParam`` asks the panel to plot the loss against a parameter (Results' scatter)."""

    showParam = Signal(str)
    failed = Signal(str)                    # an export that could not be written: one line

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.space: SearchSpace | None = None
        self.ranked: list[Importance] = []
        self.twins = False
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        cache_axes(item)
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "importance (%)")
        self.plot.setXRange(0, 104, padding=0)      # room for the "100" label
        self.plot.setMinimumHeight(150)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6, brush=BAR_BRUSH)
        self.plot.addItem(self.bars)
        self.status = WrappedLabel("Launch a search (Space tab): the bars show which of its "
                                   f"parameters mattered once {IMPORTANCE_MIN_TRIALS} trials "
                                   "have finished.")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.how = WrappedLabel(HOW_TO_READ)
        self.how.setTextFormat(Qt.TextFormat.PlainText)
        self.show_top = QPushButton("Loss against the top parameter")
        self.show_top.setToolTip("Open the Results tab's scatter of the validation loss against "
                                 "the parameter that mattered most")
        self.show_top.clicked.connect(self._show_top)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("The importance of every parameter, with the share and "
                                      "chance level it comes from")
        self.export_button.clicked.connect(self.export_dialog)
        for b in (self.show_top, self.export_button):
            b.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_top)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.status)
        lay.addWidget(self.plot, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.how)

    def _show_top(self) -> None:
        if self.ranked:
            self.showParam.emit(self.ranked[0].name)

    def reset(self, space: SearchSpace | None, results: list[TrialResult],
              twins: bool = False) -> None:
        """A new search (or one reopened): its parameters' rows, empty until enough trials."""
        self.space, self.twins = space, twins
        self.update_results(results)

    def update_results(self, results: list[TrialResult]) -> None:
        """Rank the parameters over the trials so far and redraw."""
        self.ranked = ([] if self.space is None else
                       param_importance(results, self.space, twin="bn" if self.twins else None))
        self._draw()
        finished = sum(r.finished for r in results)
        if not self.ranked:
            self.status.setText(
                "Launch a search (Space tab) to see which parameters matter." if self.space is
                None else f"{finished} of at least {IMPORTANCE_MIN_TRIALS} finished trials: the "
                          "bars come once there are enough.")
        else:
            top = self.ranked[0]
            net = " (the BN net's loss)" if self.twins else ""
            self.status.setText(
                f"From {top.trials} finished trials{net}, most first: "
                + ", ".join(f"{'<b>' if i == 0 else ''}{escape(label(imp.name))} "
                            f"{100 * imp.score:.0f} %{'</b>' if i == 0 else ''}"
                            for i, imp in enumerate(self.ranked))
                + ". Few trials: the order of small bars is luck.")
        self.show_top.setEnabled(bool(self.ranked))
        self.show_top.setText(f"Loss against {label(self.ranked[0].name)}" if self.ranked
                              else "Loss against the top parameter")
        self.export_button.setEnabled(bool(self.ranked))

    def _draw(self) -> None:
        names = ([imp.name for imp in self.ranked] if self.ranked else
                 [p.name for p in self.space] if self.space is not None else [])
        n = len(names)
        y = np.arange(n - 1, -1, -1, dtype=np.float64)         # the most important on top
        width = np.array([100 * imp.score for imp in self.ranked]) if self.ranked \
            else np.zeros(n)
        self.bars.setOpts(x0=np.zeros(n), y=y, width=width, height=0.6)
        self.plot.getAxis("left").setTicks([[(float(k), label(s)) for k, s in zip(y, names)]])
        self.plot.setYRange(-0.6, max(n, 1) - 0.4, padding=0)

    def table(self) -> tuple[list[str], list[list]]:
        """The export: one row per parameter, most important first."""
        return TABLE_HEADER, [[imp.name, k + 1, round(imp.score, 4), round(imp.share, 4),
                               round(imp.chance, 4), imp.bands, imp.trials]
                              for k, imp in enumerate(self.ranked)]

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export importance", "importance.csv",
                                              "CSV (*.csv)")
        if path:
            self.export(path)

    def export(self, path) -> bool:
        header, rows = self.table()
        try:
            exports.export_table(path, header, rows)
        except exports.ExportError as e:
            self.failed.emit(str(e))
            return False
        return True
