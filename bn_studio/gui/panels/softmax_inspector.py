"""For the clicked point: the logits z, t = e^(z − max z) and a = t / Σt of both nets, as bars."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout

from bn_studio.core.losses import softmax_parts

from ..plotting import cache_axes
from ..theme import CLASS_COLORS, RUN_COLORS, RUN_LABELS
from .base import Panel

REFRESH_INTERVAL_S = 0.1          # while training, recompute at most 10 times per second
ROWS = (("z", "z = logits"), ("t", "t = e^(z − max z)"), ("a", "a = t / Σt"))


class SoftmaxInspectorPanel(Panel):
    title = "Softmax inspector"
    name = "softmax_inspector"
    area = "right"
    help_text = ("For the point you clicked, the output layer computes one number z per class "
                 "(z = W·a + b). Softmax exponentiates them, t = e^z (shifted by max z so it "
                 "never overflows), and divides by their sum, a = t / Σt: the probabilities of "
                 "the classes, which add up to 1. The largest a wins.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.prompt = QLabel("Click anywhere on a decision-region plot to see how each net turns "
                             "its logits z into probabilities:  z → t = e^z → a = t / Σt.")
        self.prompt.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget()
        self.bars: dict[tuple[str, str], pg.BarGraphItem] = {}
        self.texts: dict[tuple[str, str], list[pg.TextItem]] = {}
        self.plot_items: dict[str, pg.PlotItem] = {}
        for col, run in enumerate(("bn", "no_bn")):
            for row, (key, label) in enumerate(ROWS):
                p = self.view.addPlot(row=row, col=col)
                p.setTitle(f"{RUN_LABELS[run]}: {label}" if row == 0 else label,
                           color=RUN_COLORS[run] if row == 0 else None, size="10pt")
                p.setMouseEnabled(x=False, y=False)
                p.hideButtons()
                cache_axes(p)
                p.getAxis("bottom").setTicks([[]])
                bar = pg.BarGraphItem(x=[], height=[], width=0.7)
                p.addItem(bar)
                if key == "z":
                    p.addLine(y=0, pen=pg.mkPen("#888", width=1))
                self.bars[(run, key)] = bar
                self.texts[(run, key)] = []
                self.plot_items[f"{run}_{key}"] = p
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.prompt)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.caption)
        self._values: dict = {}
        self._last = 0.0
        self._class_names: list[str] = []
        model.pointSelected.connect(lambda _xy: self.refresh())
        model.snapshotReady.connect(self._on_snapshot)
        model.datasetChanged.connect(self._on_dataset)

    def _on_dataset(self, split) -> None:
        self._class_names = list(split.class_names)
        self._values = {}
        for bar in self.bars.values():
            bar.setOpts(x=[], height=[])
        for items in self.texts.values():
            for t in items:
                t.setText("")
        self.caption.setText("")

    def _on_snapshot(self, snap) -> None:
        if self.model.selected_point is None or time.perf_counter() - self._last < \
                REFRESH_INTERVAL_S:
            return
        self.refresh()

    def current_values(self) -> dict:
        return self._values

    def refresh(self) -> None:
        """Recompute z, t, a for the selected point with the newest frozen nets and redraw."""
        snap, xy = self.model.snapshot, self.model.selected_point
        if snap is None or xy is None:
            return
        self._last = time.perf_counter()
        x = np.asarray(xy, dtype=np.float64).reshape(1, 2)
        values, lines = {}, []
        for run_name in ("bn", "no_bn"):
            run = snap.runs.get(run_name)
            if run is None:
                continue
            with np.errstate(all="ignore"):
                z = run.net.logits(x, train=False).astype(np.float64)
            if not np.all(np.isfinite(z)):
                values[run_name] = None
                lines.append(f"<b style='color:{RUN_COLORS[run_name]}'>{RUN_LABELS[run_name]}"
                             "</b>: diverged, its outputs are not numbers")
                self._draw(run_name, None)
                continue
            t, a = softmax_parts(z)
            values[run_name] = {"z": z[0], "t": t[0], "a": a[0]}
            self._draw(run_name, values[run_name])
            k = int(np.argmax(a[0]))
            name = self._class_names[k] if k < len(self._class_names) else str(k)
            note = (f" (diverged at step {run.diverged_at}: these are its last weights)"
                    if run.diverged_at is not None else "")
            lines.append(f"<b style='color:{RUN_COLORS[run_name]}'>{RUN_LABELS[run_name]}</b>: "
                         f"predicts class <b style='color:{CLASS_COLORS[k % 8]}'>{name}</b> "
                         f"with a = {a[0, k]:.3f}{note}")
        self._values = values
        self.prompt.setText(f"Point x = ({x[0, 0]:.2f}, {x[0, 1]:.2f}) (standardised), "
                            f"step {snap.step}.  z → t = e^z → a = t / Σt; a sums to 1.")
        self.caption.setText("<br>".join(lines))

    def _draw(self, run: str, vals: dict | None) -> None:
        for key, _ in ROWS:
            bar, p = self.bars[(run, key)], self.plot_items[f"{run}_{key}"]
            texts = self.texts[(run, key)]
            if vals is None:
                bar.setOpts(x=[], height=[])
                for t in texts:
                    t.setText("")
                continue
            v = vals[key]
            c = v.size
            xs = np.arange(c)
            bar.setOpts(x=xs, height=v, width=0.7,
                        brushes=[pg.mkBrush(CLASS_COLORS[i % 8]) for i in range(c)])
            while len(texts) < c:
                t = pg.TextItem(anchor=(0.5, 1.0), color="#202020")
                p.addItem(t)
                texts.append(t)
            fmt = "{:.2f}" if key == "z" else "{:.3f}"
            for i, t in enumerate(texts):
                if i < c:
                    t.setText(fmt.format(v[i]))
                    t.setPos(i, max(v[i], 0.0))
                else:
                    t.setText("")
            lo = min(0.0, float(v.min()))
            hi = max(0.0, float(v.max()))
            span = (hi - lo) or 1.0
            p.setXRange(-0.6, c - 0.4, padding=0)
            p.setYRange(lo - 0.05 * span, hi + 0.5 * span, padding=0)
            p.getAxis("bottom").setTicks([[(i, self._class_names[i] if i < len(
                self._class_names) else str(i)) for i in range(c)]])

    def plots(self) -> dict:
        return dict(self.plot_items)
