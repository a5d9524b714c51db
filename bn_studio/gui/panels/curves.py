"""Loss and accuracy of both twins over training steps (train and validation)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout

from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel

MAX_POINTS_DRAWN = 4000      # pyqtgraph downsamples longer curves for drawing


class CurvesPanel(Panel):
    title = "Loss and accuracy"
    name = "curves"
    area = "bottom"
    help_text = ("Training loss on each mini-batch (thin) and validation loss (thick) for the "
                 "net with batch norm (blue) and without (red), and validation accuracy below. "
                 "Both nets start from the same weights and see the same mini-batches.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.loss_plot = self.layout_widget.addPlot(row=0, col=0, title="Loss")
        self.acc_plot = self.layout_widget.addPlot(row=0, col=1, title="Validation accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.getViewBox().setMouseEnabled(y=False)
        for p in (self.loss_plot, self.acc_plot):
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setLabel("bottom", "step")
            p.setDownsampling(auto=True, mode="peak")
            p.setClipToView(True)
        self.loss_plot.addLegend(offset=(-10, 10))
        self.train_items, self.val_items, self.acc_items = {}, {}, {}
        for name, color in RUN_COLORS.items():
            light = pg.mkColor(color)
            light.setAlpha(90)
            self.train_items[name] = self.loss_plot.plot(pen=pg.mkPen(light, width=1))
            self.val_items[name] = self.loss_plot.plot(
                pen=pg.mkPen(color, width=2.5), name=f"val loss, {RUN_LABELS[name]}")
            self.acc_items[name] = self.acc_plot.plot(
                pen=pg.mkPen(color, width=2.5), name=RUN_LABELS[name])
        self.diverged_lines = {name: pg.InfiniteLine(angle=90, movable=False,
                                                     pen=pg.mkPen(RUN_COLORS[name], width=1,
                                                                  style=Qt.DashLine))
                               for name in RUN_COLORS}
        for line in self.diverged_lines.values():
            line.setVisible(False)
            self.loss_plot.addItem(line, ignoreBounds=True)
        self.log_y = QCheckBox("log loss axis")
        self.log_y.setToolTip("Show the loss on a logarithmic axis: late, small improvements "
                              "become visible")
        self.log_y.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        controls = QHBoxLayout()
        controls.addWidget(self.log_y)
        controls.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(controls)
        lay.addWidget(self.layout_widget)
        model.snapshotReady.connect(self.on_snapshot)

    def on_snapshot(self, snap) -> None:
        for name in RUN_COLORS:
            run = snap.runs.get(name)
            if run is None:
                continue
            tc, ec = run.train_curve, run.eval_curve
            self.train_items[name].setData(tc[:, 0], _positive(tc[:, 1]))
            self.val_items[name].setData(ec[:, 0], _positive(ec[:, 3]))
            self.acc_items[name].setData(ec[:, 0], ec[:, 4])
            line = self.diverged_lines[name]
            line.setVisible(run.diverged_at is not None)
            if run.diverged_at is not None:
                line.setValue(run.diverged_at)

    def plots(self) -> dict:
        return {"loss": self.loss_plot, "accuracy": self.acc_plot}

    def curves_table(self) -> tuple[list[str], np.ndarray]:
        """Header and rows of every evaluated point of both nets, for CSV export."""
        snap = self.model.snapshot
        header = ["net", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
        rows = []
        if snap is not None:
            for name, run in snap.runs.items():
                for r in run.eval_curve:
                    rows.append([name, *r.tolist()])
        return header, rows


def _positive(v: np.ndarray) -> np.ndarray:
    """Non-finite losses (a diverged run) are not drawn; a log axis needs values > 0."""
    out = np.where(np.isfinite(v), v, np.nan)
    return np.maximum(out, 1e-12)
