"""Lesson 15's page, momentum β near 1: the lesson's run at five β in the background (a grid
search with one seed for all, so only β differs), a table of β, 1 − β and the final loss, and
the loss against β (linear axis) and against 1 − β (log axis). A mixin of the lessons panel."""

from __future__ import annotations

import html
import math
import os
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtWidgets import QProgressBar, QPushButton

from bn_studio.core.lessons import numbers as L

from .variants import _table
from .widgets import _label, _plot

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from ..base import Panel as _Host
else:
    _Host = object

BETA_SEARCH = "lesson-beta"     # the search's name in the model (not the Tuning panel's)
BETA_COLOR = "#1f77b4"


def _beta_text(b: float) -> str:
    return f"{b:.4f}".rstrip("0")


class MomentumPages(_Host):
    """Lesson 15 of the lessons panel: ``self.model`` comes from it."""

    def _build_beta_sensitivity(self, lay) -> None:
        self.beta_button = QPushButton(f"Run the {len(L.BETA_VALUES)} β")
        self.beta_button.setToolTip(
            f"Train the lesson's network {L.BETA_STEPS} steps at each momentum β ("
            + ", ".join(_beta_text(b) for b in L.BETA_VALUES) + ") in the background, every "
            "run from the same weights and mini-batches; press again to cancel")
        self.beta_button.clicked.connect(self.run_beta_sensitivity)
        self.beta_progress = QProgressBar()
        self.beta_progress.setRange(0, len(L.BETA_VALUES))
        self.beta_progress.setValue(0)
        self.beta_progress.setFormat("%v of %m runs")
        self.beta_label = _label("Nothing run yet.")
        self.beta_plots = {}
        for key, bottom in (("linear", "momentum β"), ("log", "1 − β (log axis)")):
            plot = _plot(140)
            plot.setLabel("bottom", bottom)
            plot.setLabel("left", "val. loss")
            plot.setLogMode(x=key == "log", y=False)
            for side in ("bottom", "left"):     # no "(x0.001)" scale beside the labels
                plot.getAxis(side).enableAutoSIPrefix(False)
            if key == "log":
                plot.getAxis("bottom").setTicks([[(k, f"{10.0 ** k:g}") for k in (-4, -3, -2,
                                                                                -1)]])
            self.beta_plots[key] = plot.plot([], [], pen=pg.mkPen(BETA_COLOR, width=1),
                                             symbol="o", symbolSize=8,
                                             symbolBrush=BETA_COLOR)
            self.beta_plots[key + "_widget"] = plot
        self.beta_table = _label()
        for w in (self.beta_button, self.beta_progress, self.beta_label,
                  self.beta_plots["linear_widget"], self.beta_plots["log_widget"],
                  self.beta_table):
            lay.addWidget(w)
        self.model.searches.resultsAdded.connect(
            lambda name, _new: self._show_beta() if name == BETA_SEARCH else None)
        self.model.searches.finished.connect(
            lambda name: self._show_beta() if name == BETA_SEARCH else None)

    def run_beta_sensitivity(self) -> bool:
        """Start the five runs (the button cancels them while they run)."""
        searches = self.model.searches
        if searches.running(BETA_SEARCH):
            searches.cancel(BETA_SEARCH)
            self.beta_label.setText("Cancelling…")
            return False
        cfg = self.model.config
        if cfg.optimizer != "momentum":
            self.beta_label.setText("This lesson needs the momentum optimizer: choose the "
                                    "lesson again to restore its settings.")
            return False
        try:
            searches.start(BETA_SEARCH, L.beta_sensitivity_spec(cfg, seed=cfg.seed),
                           self.model.split, workers=max(1, (os.cpu_count() or 2) // 2))
        except ValueError as e:        # SearchSpaceError is one; one line for the user
            self.beta_label.setText(html.escape(str(e).splitlines()[0], quote=False))
            return False
        self._show_beta()
        return True

    def cancel_beta_sensitivity(self) -> None:
        if self.model.searches.running(BETA_SEARCH):
            self.model.searches.cancel(BETA_SEARCH)

    def _show_beta(self) -> None:
        searches = self.model.searches
        run = searches.run(BETA_SEARCH)
        if run is None:
            return
        running = searches.running(BETA_SEARCH)
        self.beta_button.setText("Cancel" if running else
                                 f"Run the {len(L.BETA_VALUES)} β again")
        done = sorted(run.results, key=lambda r: r.params["momentum"])
        self.beta_progress.setValue(len(done))
        ok = [r for r in done if r.status == "ok" and r.val_loss is not None
              and math.isfinite(r.val_loss)]
        betas = [float(r.params["momentum"]) for r in ok]
        losses = [float(r.val_loss) for r in ok]
        self.beta_plots["linear"].setData(betas, losses)
        self.beta_plots["log"].setData([1 - b for b in betas], losses)
        rows = [(_beta_text(r.params["momentum"]), f"{1 - r.params['momentum']:.4g}",
                 f"{r.val_loss:.4f}" if r in ok else str(r.status)) for r in done]
        self.beta_table.setText(
            f"Final validation loss after {L.BETA_STEPS} steps:"
            + _table(("β", "1 − β", "val. loss"), rows) if rows else "")
        if running:
            self.beta_label.setText(f"Training run {len(done) + 1} of {run.search.total}…"
                                    if run.search is not None else "Running…")
        elif run.search is not None and run.search.error:
            self.beta_label.setText("The runs stopped: "
                                    + html.escape(run.search.error, quote=False))
        else:
            verb = "Cancelled" if run.cancelled else "Done"
            self.beta_label.setText(f"{verb}: {len(done)} of {len(L.BETA_VALUES)} runs.")
