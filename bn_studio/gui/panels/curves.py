"""Loss and accuracy of both twins over training steps (train and validation)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout

from bn_studio.core.training.params import symbol

from ..plotting import SteppedRange, cache_axes, decimate, envelope, points_across, set_cursors
from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel

CHANGE_COLOR = "#8c6d00"        # mid-run changes: a dark gold, apart from both twins' colours
CURSOR_COLOR = "#808080"        # the replayed step (timeline): readable on both themes


class CurvesPanel(Panel):
    title = "Loss and accuracy"
    name = "curves"
    live_first = True         # the curves move on every frame: drawn first at each tick
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
        for p in (self.loss_plot, self.acc_plot):
            cache_axes(p)
        self.loss_range = SteppedRange(self.loss_plot)
        self.acc_range = SteppedRange(self.acc_plot, grow_y=False)
        self._last_step = -1
        self.train_items, self.val_items, self.acc_items = {}, {}, {}
        self._eval_drawn: dict[str, tuple] = {}     # what the validation curves show
        for name, color in RUN_COLORS.items():
            light = pg.mkColor(color)
            light.setAlpha(90)
            self.train_items[name] = self.loss_plot.plot(pen=pg.mkPen(light, width=1))
            self.val_items[name] = self.loss_plot.plot(
                pen=pg.mkPen(color, width=2.5), name=f"val loss, {RUN_LABELS[name]}")
            self.acc_items[name] = self.acc_plot.plot(
                pen=pg.mkPen(color, width=2.5), name=RUN_LABELS[name])
        self.diverged_lines = {name: pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(RUN_COLORS[name], width=1.5,
                                                  style=Qt.PenStyle.DashLine),
            label="", labelOpts={"position": 0.9 if name == "bn" else 0.75,
                                 "color": RUN_COLORS[name], "anchors": [(0, 0), (0, 0)]})
            for name in RUN_COLORS}
        self._diverged: set[str] = set()
        for line in self.diverged_lines.values():
            line.setVisible(False)
            self.loss_plot.addItem(line, ignoreBounds=True)
        # The step the timeline replays: a cursor on both plots, hidden while live.
        self.cursors = []
        for p in (self.loss_plot, self.acc_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=2))
            line.setVisible(False)
            p.addItem(line, ignoreBounds=True)
            self.cursors.append(line)
        self._change_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._changes_shown: tuple = ()
        self.log_y = QCheckBox("log loss axis")
        self.log_y.setToolTip("Show the loss on a logarithmic axis: late, small improvements "
                              "become visible")
        self.log_y.toggled.connect(self._set_log)
        # The key sits beside the check box: inside a narrow plot a legend hides curves or is
        # cut off. Two fixed lines fit a 1366×768 dock (a word-wrapped label would ask the
        # layout for its height at zero width and make the dock scroll).
        key = "&nbsp;&nbsp;".join(f"<b style='color:{RUN_COLORS[n]}'>━ {RUN_LABELS[n]}</b>"
                                  for n in RUN_COLORS)
        self.key = QLabel(f"{key}<br>thick: validation, thin: each mini-batch")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setToolTip("Thick lines: validation loss; thin lines: the loss on each "
                            "training mini-batch")
        self.key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        controls = QHBoxLayout()
        controls.addWidget(self.log_y)
        controls.addSpacing(12)
        controls.addWidget(self.key, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(controls)
        lay.addWidget(self.layout_widget)
        self.connect_snapshots(self.on_snapshot)

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.loss_range.reset()
        if self.model.snapshot is not None:
            self.on_snapshot(self.model.snapshot)

    def _moves_less_than_a_pixel(self, snap) -> bool:
        """While training: the steps since the last drawn frame would add less than one
        pixel to the curves and no net diverged since, so redrawing would change nothing."""
        if not (snap.playing and getattr(snap, "live", True)) or snap.step < self._last_step:
            return False
        lo, hi = self.loss_plot.viewRange()[0]
        px_per_step = self.loss_plot.getViewBox().width() / max(hi - lo, 1e-9)
        diverged = {name for name, run in snap.runs.items() if run.diverged_at is not None}
        return (snap.step - self._last_step) * px_per_step < 1.0 and \
            getattr(snap, "changes", ()) == self._changes_shown and diverged == self._diverged

    def on_snapshot(self, snap) -> None:
        live = getattr(snap, "live", True)
        if self._moves_less_than_a_pixel(snap):
            return
        if live and snap.step < self._last_step:           # a reset: ranges start over
            self.loss_range.reset()
            self.acc_range.reset()
        if live:
            self._last_step = snap.step
        set_cursors(self.cursors, None if live else snap.step)     # a replay: whole run, marked
        losses: list[tuple] = []
        exploded: list[tuple] = []
        # Two points a pixel: the curves redraw at every frame, and 1500 points on a plot
        # 300 px wide cost five times what shows.
        most = points_across(self.loss_plot)
        for name in RUN_COLORS:
            run = snap.runs.get(name)
            if run is None:
                continue
            t_step, t_loss = envelope(run.train_curve[:, 0], run.train_curve[:, 1], most)
            e_step, e_loss, e_acc = decimate(run.eval_curve[:, 0], run.eval_curve[:, 3],
                                             run.eval_curve[:, 4], max_points=most)
            self.train_items[name].setData(t_step, _positive(t_loss))
            # The validation rows come every eval_every steps, not every frame: most frames
            # have none new, and a setData costs ~0.5 ms (4 of the 6 a frame).
            drawn = (getattr(snap, "run_id", 0), len(e_step), e_step[-1] if len(e_step) else None)
            if drawn != self._eval_drawn.get(name):
                self._eval_drawn[name] = drawn
                self.val_items[name].setData(e_step, _positive(e_loss))
                self.acc_items[name].setData(e_step, e_acc)
            (losses if run.diverged_at is None else exploded).append((run, t_loss, e_loss))
            line = self.diverged_lines[name]
            line.setVisible(run.diverged_at is not None)
            if run.diverged_at is not None:
                line.setValue(run.diverged_at)
                line.label.setFormat("diverged (off the chart)")     # colour: which net
        self._mark_changes(getattr(snap, "changes", ()))
        values = self._range_values(losses, exploded)
        if self.log_y.isChecked():
            values = np.log10(values)
        steps = np.array([max(snap.step, self._last_step)], dtype=np.float64)
        self.loss_range.update(steps, values)
        self.acc_range.update(steps, None)

    def _range_values(self, kept: list, exploded: list) -> np.ndarray:
        """The losses the y axis must show. A diverged net's loss explodes (to 1e5 and more)
        before it is caught: counted in full it flattens every other curve into a line at 0,
        so its values count only up to the other nets' largest loss (or 4× its own starting
        loss); the dashed line marks the step it diverged. A new divergence redraws the
        range from scratch (the range otherwise only grows)."""
        names = {run.name for run, *_ in exploded}
        if names - self._diverged:
            self.loss_range.reset()
        self._diverged = names

        def finite(arrays):
            v = np.concatenate(arrays) if arrays else np.empty(0)
            return v[np.isfinite(v) & (v > 0)]
        values = finite([c for _, t, e in kept for c in (t, e)])
        for run, t, e in exploded:
            start = run.eval_curve[0, 3] if len(run.eval_curve) else np.nan
            cap = max(float(values.max()) if values.size else 0.0,
                      4.0 * start if np.isfinite(start) else 0.0) or np.inf
            own = finite([t, e])
            values = np.concatenate([values, own[own <= cap]])
        return values

    def _mark_changes(self, changes: tuple) -> None:
        """A labelled vertical line on both plots at every mid-run change (one per step)."""
        if changes == self._changes_shown:
            return
        self._changes_shown = changes
        for plot, line in self._change_lines:
            plot.removeItem(line)
        self._change_lines = []
        by_step: dict[int, list[str]] = {}
        for step, name, value in changes:
            by_step.setdefault(int(step), []).append(f"{symbol(name)}={value:g}")
        for step, parts in by_step.items():
            for plot, labelled in ((self.loss_plot, True), (self.acc_plot, False)):
                line = pg.InfiniteLine(
                    pos=step, angle=90, movable=False,
                    pen=pg.mkPen(CHANGE_COLOR, width=1.5, style=Qt.PenStyle.DotLine),
                    label=", ".join(parts) if labelled else None,
                    labelOpts={"position": 0.92, "color": CHANGE_COLOR,
                               "anchors": [(0, 0), (0, 0)]})
                plot.addItem(line, ignoreBounds=True)
                self._change_lines.append((plot, line))

    def plots(self) -> dict:
        return {"loss": self.loss_plot, "accuracy": self.acc_plot}

    def curves_table(self) -> tuple[list[str], list[list]]:
        """Header and rows of every evaluated point of both nets, for CSV export."""
        snap = self.model.snapshot
        header = ["net", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy"]
        rows: list[list] = []
        if snap is not None:
            for name, run in snap.runs.items():
                for r in run.eval_curve:
                    rows.append([name, *r.tolist()])
        return header, rows


def _positive(v: np.ndarray) -> np.ndarray:
    """Non-finite losses (a diverged run) are not drawn; a log axis needs values > 0."""
    out = np.where(np.isfinite(v), v, np.nan)
    return np.maximum(out, 1e-12)
