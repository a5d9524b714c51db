"""Per hidden layer: the no-BN net's pre-activations beside the BN net's normalised outputs,
live on fixed bins, and their 15/50/85th percentiles over time (the BN paper's figure 1)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout

from ..plotting import Band, SteppedRange, Throttle, cache_axes, decimate
from ..theme import RUN_COLORS
from .base import Panel

ROW_HEIGHT_PX = 170
BANDS_HZ = 5            # the percentile evolution moves slowly: redraw it 5 times a second
HEADROOM = 1.15


def _fill(color: str, alpha: int) -> pg.QtGui.QColor:
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return c


class HistogramsPanel(Panel):
    title = "Hidden-layer histograms"
    name = "histograms"
    area = "right"
    help_text = ("One row per hidden layer. Left: the distribution of the pre-activations Z = W·a "
                 "of the net without BN. Middle: the same layer of the net with BN after "
                 "normalising, Z̃ = γ·(Z − μ)/√(σ² + ε) + β. The bins are fixed at reset, so you "
                 "see the distributions move. Right: the 15th, 50th and 85th percentiles over "
                 "training steps — without BN they drift (internal covariate shift), with BN "
                 "they stay put. Tick 'activations' to see a = g(z) instead, e.g. sigmoid "
                 "saturating at 0 and 1.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.show_act = QCheckBox("show activations a = g(z) instead")
        self.show_act.setToolTip("Histogram of the activation output instead of its input: "
                                 "shows saturation of sigmoid/tanh units")
        self.show_act.toggled.connect(lambda _: self._redraw_last())
        self.note = QLabel()
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.show_act)
        top.addStretch(1)
        self.view = pg.GraphicsLayoutWidget()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.view)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.scroll, 1)
        self.rows: list[dict] = []
        self._n_layers = -1
        self._edges_key = None
        self._bands_key = None
        self._last = None
        self._bands_throttle = Throttle(BANDS_HZ)
        model.snapshotReady.connect(self.on_snapshot)
        model.configChanged.connect(lambda cfg: self._build(len(cfg.hidden)))

    # ---- layout -----------------------------------------------------------------------
    def _build(self, n_layers: int) -> None:
        if n_layers == self._n_layers:
            return
        self._n_layers = n_layers
        self._edges_key = None
        self.view.clear()
        self.rows = []
        self.note.setText("This network has no hidden layer: nothing to normalise. Add hidden "
                          "layers in 'Network and optimizer'." if n_layers == 0 else "")
        for i in range(n_layers):
            row = {}
            label = f"layer {i + 1}"
            p_plain = self.view.addPlot(row=i, col=0)
            p_plain.setTitle(f"{label}: Z without BN", color=RUN_COLORS["no_bn"], size="9pt")
            p_bn = self.view.addPlot(row=i, col=1)
            p_bn.setTitle(f"{label}: Z̃ with BN", color=RUN_COLORS["bn"], size="9pt")
            p_band = self.view.addPlot(row=i, col=2)
            p_band.setTitle(f"{label}: 15/50/85th percentiles", size="9pt")
            for p in (p_plain, p_bn, p_band):
                cache_axes(p)
                p.setMouseEnabled(x=False, y=False)
                p.hideButtons()
                p.getAxis("left").setWidth(34)
            for p in (p_plain, p_bn):
                p.getAxis("left").setStyle(showValues=False)
            row["plain"] = p_plain.plot(stepMode="center", fillLevel=0,
                                        pen=pg.mkPen(RUN_COLORS["no_bn"], width=1.5),
                                        brush=_fill(RUN_COLORS["no_bn"], 90))
            row["bn"] = p_bn.plot(stepMode="center", fillLevel=0,
                                  pen=pg.mkPen(RUN_COLORS["bn"], width=1.5),
                                  brush=_fill(RUN_COLORS["bn"], 90))
            for run in ("no_bn", "bn"):
                band = Band(p_band, _fill(RUN_COLORS[run], 60))
                med = p_band.plot(pen=pg.mkPen(RUN_COLORS[run], width=2))
                row[f"band_{run}"] = (band, med)
            p_band.setLabel("bottom", "step")
            row["plots"] = (p_plain, p_bn, p_band)
            row["band_range"] = SteppedRange(p_band)
            row["ymax"] = [0.0, 0.0]
            self.rows.append(row)
        self.view.setMinimumHeight(ROW_HEIGHT_PX * max(1, n_layers))

    # ---- drawing ----------------------------------------------------------------------
    def on_snapshot(self, snap) -> None:
        self._last = snap
        self._build(len(snap.runs["bn"].layers))
        key = (snap.extra.get("run_id"), self.show_act.isChecked())
        if key != self._edges_key:          # new bins (reset): fix the x ranges once
            self._edges_key = key
            for i, row in enumerate(self.rows):
                p_plain, p_bn, _ = row["plots"]
                edges_plain = snap.out_edges[i] if self.show_act.isChecked() else snap.z_edges[i]
                p_plain.setXRange(edges_plain[0], edges_plain[-1], padding=0)
                p_bn.setXRange(snap.out_edges[i][0], snap.out_edges[i][-1], padding=0)
                row["ymax"] = [0.0, 0.0]
                row["band_range"].reset()
        act = self.show_act.isChecked()
        plain_run, bn_run = snap.runs["no_bn"], snap.runs["bn"]
        bands_now = (self._bands_throttle.ready() or key != self._bands_key
                     or not snap.extra.get("playing"))
        self._bands_key = key
        for i, row in enumerate(self.rows):
            lp, lb = plain_run.layers[i], bn_run.layers[i]
            plain_counts = lp.a_hist if act else lp.z_hist
            plain_edges = snap.out_edges[i] if act else snap.z_edges[i]
            bn_counts = lb.a_hist if act else lb.out_hist
            self._set_hist(row, 0, row["plain"], plain_edges, plain_counts)
            self._set_hist(row, 1, row["bn"], snap.out_edges[i], bn_counts)
            if bands_now:
                self._draw_bands(row, snap.step, lp.bands, lb.bands)

    def _draw_bands(self, row, step, plain_bands, bn_bands) -> None:
        row["band_range"].update(np.array([step], dtype=np.float64),
                                 np.concatenate([plain_bands[:, 1:].ravel(),
                                                 bn_bands[:, 1:].ravel()]))
        for run, b in (("no_bn", plain_bands), ("bn", bn_bands)):
            band, med = row[f"band_{run}"]
            if b.shape[0]:
                x, p15, p50, p85 = decimate(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
                band.set_data(x, p15, p85)
                med.setData(x, p50)
            else:
                band.set_data(np.empty(0), np.empty(0), np.empty(0))
                med.setData([], [])

    def _set_hist(self, row, k, item, edges, counts) -> None:
        if counts is None or not np.all(np.isfinite(counts)):
            item.setData(edges, np.zeros(edges.size - 1))
            return
        item.setData(edges, counts)
        top = float(counts.max()) * HEADROOM if counts.size else 1.0
        # The y range only grows between resets, so bars do not jump every frame.
        if top > row["ymax"][k]:
            row["ymax"][k] = top
            row["plots"][k].setYRange(0, top, padding=0)

    def _redraw_last(self) -> None:
        if self._last is not None:
            self.on_snapshot(self._last)

    def plots(self) -> dict:
        out = {}
        for i, row in enumerate(self.rows, start=1):
            p_plain, p_bn, p_band = row["plots"]
            out.update({f"layer{i}_no_bn": p_plain, f"layer{i}_bn": p_bn,
                        f"layer{i}_bands": p_band})
        return out

    def layer_stats_table(self) -> tuple[list[str], list[list]]:
        """Per layer and net: the latest 15/50/85th percentiles of Z (no BN) or Z̃ (BN)."""
        header = ["layer", "net", "step", "p15", "p50", "p85"]
        rows = []
        snap = self.model.snapshot
        if snap is not None:
            for name, run in snap.runs.items():
                for i, layer in enumerate(run.layers, start=1):
                    if layer.bands.shape[0]:
                        step, p15, p50, p85 = layer.bands[-1].tolist()
                        rows.append([i, name, int(step), p15, p50, p85])
        return header, rows
