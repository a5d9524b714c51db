"""Per hidden layer: the no-BN net's pre-activations beside the BN net's normalised outputs,
live on fixed bins, and their 15/50/85th percentiles over time (the BN paper's figure 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QScrollArea,
                               QVBoxLayout)

from ..plain_text import Rich
from ..plotting import (Band, SparseAxis, SteppedRange, cache_axes, decimate,
                        LayerRows, set_cursors, steady_title)
from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel
from .histogram_data import activation, finite, layer_histograms

ROW_HEIGHT_PX = 175
BANDS_HZ = 5            # the percentile evolution moves slowly: redraw it 5 times a second
LIVE_HZ = 30            # the histograms of the newest mini-batch: 30 a second while training
HEADROOM = 1.15         # the tallest bar reaches ~87 % of the plot's height
SHRINK_BELOW = 0.7      # the y range shrinks once the tallest bar uses less than 70 % of it ...
SHRINK_RATE = 0.2       # ... closing 20 % of the gap per frame (smooth, ~0.3 s at 30 fps)
TITLE_SIZE = "10pt"
OFF_CHART_LINE = 0.16   # the height of one line of off-chart text, as a share of the y range
CURSOR_COLOR = "#808080"    # the replayed step (timeline), as on the curves
# Earlier steps (TensorBoard's histogram modes): how many, and in offset mode how far each
# older one is lifted, as a share of the y range of the newest.
TRAIL_STEPS = 6
OFFSET_SHARE = 0.3
HISTORY_MODES = (("this step", "now"), ("overlay earlier steps", "overlay"),
                 ("offset earlier steps", "offset"))


def _span(text: str, run: str) -> str:
    return f"<span style='color:{RUN_COLORS[run]}'>{text}</span>"


def _fill(color: str, alpha: int) -> pg.QtGui.QColor:
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return c


class HistogramsPanel(Panel):
    title = "Hidden-layer histograms"
    tab_title = "Histograms"
    name = "histograms"
    live_hz = LIVE_HZ
    area = "right"
    help_text = ("One row per hidden layer. Left: the distribution of the pre-activations "
                 "Z = W·a + b of the net without BN. Middle: the same layer of the net with BN "
                 "after normalising, Z̃ = γ·(Z − μ)/√(σ² + ε) + β: on each mini-batch every "
                 "unit's Z̃ has mean β and standard deviation γ (about), by construction. The "
                 "bins are fixed at reset, so you see the distributions move. Right: the 15th, "
                 "50th and 85th percentiles over training steps. 'Internal covariate shift' is "
                 "about what a layer receives: the activations a = g(Z̃) of the layer before "
                 "(with BN) or g(Z) (without) — tick 'activations' to see them. BN was proposed "
                 "to keep them steady (Ioffe & Szegedy 2015); Santurkar et al. (2018) argue "
                 "that this is not why it helps and that it makes the loss smoother instead. "
                 "Lesson 4 tests both on this app's net: BN still helps with noise that "
                 "shifts its layers' inputs at every step, and the loss-spread plot supports "
                 "the smoother loss only in part.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.show_act = QCheckBox("show activations A = g(Z) instead")
        self.show_act.setToolTip("Histogram of the activation output A = g(Z) instead of its "
                                 "input: sigmoid and tanh units that pile up at their flat ends "
                                 "(saturation) have gradients near 0 and learn slowly")
        self.show_act.toggled.connect(lambda _: self._redraw_last())
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.mode_box = QComboBox()
        for label, mode in HISTORY_MODES:
            self.mode_box.addItem(label, mode)
        self.mode_box.setToolTip(
            "As in TensorBoard: 'overlay' draws the histograms of earlier steps faintly on the "
            "same axes (older: fainter); 'offset' stacks them, older ones higher up, the "
            "newest at the bottom. The dashed outline is the distribution at step 0.")
        self.mode_box.currentIndexChanged.connect(lambda _: self._redraw_last())
        top = QHBoxLayout()
        top.addWidget(self.show_act)
        top.addStretch(1)
        top.addWidget(self.mode_box)
        self.view = pg.GraphicsLayoutWidget()
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.view)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.scroll_area, 1)
        self.rows: list[dict] = []
        self._layer_rows = LayerRows(self.view, ROW_HEIGHT_PX, self._make_row)
        self._n_layers = -1
        self._edges_key: tuple[Any, ...] | None = None
        self._bands_key: tuple[Any, ...] | None = None
        self._last = None
        self._bands_args: tuple[Any, Any] | None = None
        self._stale_run = None
        self._note = ""
        self.connect_snapshots(self.on_snapshot)
        model.configChanged.connect(self.on_config)
        self._build(len(model.config.hidden))
        if model.snapshot is not None:
            self.on_snapshot(model.snapshot)

    def on_config(self, cfg) -> None:
        # Snapshots of the run before this change may still arrive: they are not drawn if
        # their layers no longer match, so the rows are not rebuilt back and forth.
        if self._last is not None:
            self._stale_run = self._last.run_id
        self._build(len(cfg.hidden))

    def _build(self, n_layers: int) -> None:
        if n_layers == self._n_layers:
            return
        self._n_layers = n_layers
        self._edges_key = None              # the next snapshot sets every row's ranges
        self._note = ("This network has no hidden layer: nothing to normalise. Add hidden "
                      "layers in 'Network and optimizer'." if n_layers == 0 else "")
        self.note.setText(self._note)
        self.rows = self._layer_rows.fit(n_layers)
        self._set_titles()

    def _make_row(self, i: int) -> dict:
        """Layer ``i + 1``'s row: Z without BN, Z̃ with BN, their percentile bands."""
        row: dict[str, Any] = {}
        label = f"layer {i + 1}"
        label_item = self.view.addLabel(label, row=i, col=0, angle=-90, size=TITLE_SIZE,
                                        bold=True)
        p_plain = self.view.addPlot(row=i, col=1)
        p_bn = self.view.addPlot(row=i, col=2)
        p_band = self.view.addPlot(row=i, col=3, axisItems={"bottom": SparseAxis("bottom")})
        for p in (p_plain, p_bn, p_band):
            steady_title(p)
        p_band.setToolTip("Thick line: the median (50th percentile) of the layer's values "
                          "on the last mini-batch. Shaded band: from the 15th to the 85th "
                          "percentile. Red: Z of the net without BN; blue: Z̃ of the net "
                          "with BN, after normalising (as in figure 1 of the batch-norm "
                          "paper). Z̃ is centred by construction: compare Z with Z, not "
                          "with Z̃, to judge drift.")
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
        self._add_history_items(row, (p_plain, p_bn), p_band)
        row["plots"] = (p_plain, p_bn, p_band)
        row["items"] = (label_item, p_plain, p_bn, p_band)
        row["label"] = label
        row["band_range"] = SteppedRange(p_band)
        row["ymax"] = [0.0, 0.0]
        return row

    @staticmethod
    def _add_history_items(row: dict, hist_plots, p_band) -> None:
        """Items for earlier steps (behind the newest) and the step-0 outline, made once."""
        row["first"], row["trail"], row["stack"] = [], [], 0
        for plot, run in zip(hist_plots, ("no_bn", "bn")):
            first = plot.plot(stepMode="center",
                              pen=pg.mkPen(_fill(RUN_COLORS[run], 170), width=1.2,
                                           style=Qt.PenStyle.DashLine))
            first.setZValue(5)
            first.setVisible(False)
            trail = []
            for _ in range(TRAIL_STEPS):
                item = plot.plot(stepMode="center")
                item.setZValue(-5)
                item.setVisible(False)
                trail.append(item)
            row["first"].append(first)
            row["trail"].append(trail)
        row["cursor"] = pg.InfiniteLine(angle=90, movable=False,
                                        pen=pg.mkPen(CURSOR_COLOR, width=2))
        row["cursor"].setVisible(False)
        p_band.addItem(row["cursor"], ignoreBounds=True)

    def _set_titles(self) -> None:
        act = self.show_act.isChecked()
        plain_tip = ("A = g(Z) of the net without BN on the last mini-batch. For sigmoid and "
                     "tanh, mass piled up at the ends of the range means saturated units: "
                     "their gradient g'(Z) is nearly 0, so they barely learn." if act else
                     "Z = W·A_prev + b of the net without BN on the last mini-batch: the input "
                     "of the activation. The bins are fixed at reset, so drift shows as a move; "
                     "the share of values beyond them is written at the top corners "
                     "(← left of the chart, → right of it).")
        bn_tip = ("A = g(Z̃) of the net with BN on the last mini-batch: BN keeps the input "
                  "of g centred, away from the flat ends (unless γ and β learn otherwise)."
                  if act else
                  "Z̃ = γ·(Z − μ)/√(σ² + ε) + β of the net with BN on the last mini-batch: "
                  "normalised with the batch's mean μ and variance σ², then scaled by γ and "
                  "shifted by β (both learned).")
        for row in self.rows:
            p_plain, p_bn, p_band = row["plots"]
            plain, bn = ("g(Z)", "g(Z̃)") if act else ("Z", "Z̃")
            p_band.setTitle(Rich(f"{_span(plain, 'no_bn')}, {_span(bn, 'bn')} by step"),
                            size=TITLE_SIZE)
            p_plain.setTitle(f"{'A = g(Z)' if act else 'Z'} without BN",
                             color=RUN_COLORS["no_bn"], size=TITLE_SIZE)
            p_bn.setTitle(f"{'A = g(Z̃)' if act else 'Z̃'} with BN",
                          color=RUN_COLORS["bn"], size=TITLE_SIZE)
            p_plain.setToolTip(plain_tip)
            p_bn.setToolTip(bn_tip)

    def on_snapshot(self, snap) -> None:
        """While training this runs at most ``live_hz`` times a second in the frame budget
        (base.Panel: a mini-batch's histogram at 60 Hz is flicker), the newest always drawn
        last; a paused or replayed state at once."""
        self._draw(snap)

    def _draw(self, snap) -> None:
        if "bn" not in snap.runs or "no_bn" not in snap.runs:
            return
        n_layers = len(snap.runs["bn"].layers)
        run_id = snap.run_id
        if self._stale_run is not None:
            if run_id == self._stale_run and n_layers != self._n_layers:
                return                      # an old run's snapshot after a config change
            if run_id != self._stale_run:
                self._stale_run = None
        self._last = snap
        self._build(n_layers)
        diverged = [f"the net {RUN_LABELS[name]} diverged at step {run.diverged_at}"
                    for name, run in snap.runs.items() if run.diverged_at is not None]
        note = self._note
        if diverged and self.rows:
            text = "; ".join(diverged)
            note = (text[0].upper() + text[1:] + ". A diverged net's histograms show its last "
                    "mini-batch; the corners give the share of values beyond the fixed bins.")
        if note != self.note.text():
            self.note.setText(note)
        act = self.show_act.isChecked()
        g = activation(snap.config.activation) if act else None
        key = (snap.run_id, act)
        shown = [layer_histograms(snap, i, g) for i in range(len(self.rows))]
        if key != self._edges_key:          # new bins (reset): fix the x ranges once
            self._edges_key = key
            for row, hists in zip(self.rows, shown):
                for plot, (edges, _, _) in zip(row["plots"], hists):
                    plot.setXRange(edges[0], edges[-1], padding=0)
                row["ymax"] = [0.0, 0.0]
                row["band_range"].reset()
        plain_run, bn_run = snap.runs["no_bn"], snap.runs["bn"]
        # While training each layer's row is drawn in its own turn of the frame budget.
        later = bool(snap.playing and snap.live)
        for i, (row, hists) in enumerate(zip(self.rows, shown)):
            n_values = (plain_run.layers[i].n_values, bn_run.layers[i].n_values)
            if later:
                self.draw_later(f"row {i}", lambda r=row, h=hists, n=n_values:
                                self._draw_row(r, h, n))
            else:
                self.cancel_later(f"row {i}")
                self._draw_row(row, hists, n_values)
        self._bands_args = (snap, g)
        # While training the bands redraw at most BANDS_HZ times a second, in their own turn
        # of the frame budget (the last state always drawn); a paused state or a new run at
        # once.
        if key != self._bands_key or not snap.playing:
            self._bands_key = key
            self.cancel_later("bands")
            self._draw_all_bands()
        else:
            self.draw_later("bands", self._draw_all_bands, BANDS_HZ)

    def _draw_row(self, row, hists, n_values) -> None:
        if not any(row is r for r in self.rows):        # a row hidden since
            return
        for k, (item, (edges, counts, off)) in enumerate(zip((row["plain"], row["bn"]), hists)):
            self._set_hist(row, k, item, edges, counts)
            self._set_off_chart(row, k, edges, off, n_values[k])

    def _draw_all_bands(self) -> None:
        if self._bands_args is None:
            return
        snap, g = self._bands_args
        if len(snap.runs["bn"].layers) != len(self.rows):
            return                          # rows fitted to another depth since: the next draws
        plain_run, bn_run = snap.runs["no_bn"], snap.runs["bn"]
        for i, row in enumerate(self.rows):
            self._draw_bands(row, snap.step, plain_run.layers[i].bands,
                             bn_run.layers[i].bands, g)
            set_cursors([row["cursor"]], None if snap.live else snap.step)
        self._draw_history(snap, g)

    def _stored(self, snap) -> tuple:
        """(step-0 frame or None, earlier frames for the mode) of this run, from the replay
        ring (core.replay), with as many layers as the rows."""
        replay = getattr(self.model, "replay", None)
        ring = getattr(replay, "ring", None)
        if ring is None:
            return None, []

        def fits(f):
            return f.run_id == snap.run_id and len(f.runs["bn"].layers) == len(self.rows)
        frames = ring.frames()
        first = frames[0] if frames and frames[0].step == 0 and fits(frames[0]) else None
        mode = self.mode_box.currentData()
        earlier = [f for f in ring.spread(snap.step, TRAIL_STEPS) if fits(f)] \
            if mode != "now" else []
        return first, earlier

    def _draw_history(self, snap, g) -> None:
        """The step-0 outline and, in overlay or offset mode, earlier steps' histograms."""
        first, earlier = self._stored(snap)
        offset = self.mode_box.currentData() == "offset"
        n = len(earlier)
        for i, row in enumerate(self.rows):
            row["stack"] = n if offset else 0
            hists0 = layer_histograms(first, i, g) if first is not None else None  # step 0
            older = [layer_histograms(f, i, g) for f in earlier]
            # The step-0 outline changes only with the run or the view: set it once for each.
            outline_key = (id(first), g is not None, offset, snap.step > 0)
            new_outline = outline_key != row.get("first_key")
            row["first_key"] = outline_key
            for k, run in enumerate(("no_bn", "bn")):
                outline = row["first"][k]
                if new_outline:
                    outline.setVisible(hists0 is not None and not offset and snap.step > 0)
                if new_outline and outline.isVisible() and hists0 is not None:
                    edges, counts, _ = hists0[k]
                    outline.setData(edges, finite(counts))
                lift = OFFSET_SHARE * row["ymax"][k]
                for j, item in enumerate(row["trail"][k]):
                    item.setVisible(j < n)
                    if j >= n:
                        continue
                    edges, counts, _ = older[j][k]
                    age = (n - j) / n                       # 1: the oldest shown
                    if offset:
                        base = (n - j) * lift
                        item.setData(edges, finite(counts) + base, fillLevel=base,
                                     brush=_fill(RUN_COLORS[run], 35),
                                     pen=pg.mkPen(_fill(RUN_COLORS[run], 150), width=1))
                    else:
                        item.setData(edges, finite(counts), fillLevel=None, brush=None,
                                     pen=pg.mkPen(_fill(RUN_COLORS[run],
                                                        int(200 - 150 * age)), width=1))
            for k in (0, 1):
                self._set_y(row, k)

    def _draw_bands(self, row, step, plain_bands, bn_bands, g=None) -> None:
        if g is not None:       # percentiles commute with an increasing g: A's are g(Z's)
            plain_bands, bn_bands = (np.column_stack([b[:, 0], g[0](b[:, 1:])]) if b.shape[0]
                                     else b for b in (plain_bands, bn_bands))
        row["band_range"].update(np.array([step], dtype=np.float64),
                                 np.concatenate([plain_bands[:, 1:].ravel(),
                                                 bn_bands[:, 1:].ravel()]))
        for run, b in (("no_bn", plain_bands), ("bn", bn_bands)):
            band, med = row[f"band_{run}"]
            if b.shape[0] and not np.all(np.isfinite(b)):     # a diverged net: drop bad rows
                b = b[np.all(np.isfinite(b), axis=1)]
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
        top = float(counts.max()) * HEADROOM if counts.size else 0.0
        row["ymax"][k] = self._follow(row["ymax"][k], top)
        self._set_y(row, k)

    @staticmethod
    def _y_top(row, k) -> float:
        """The top of the y range: the newest histogram's, plus the stack in offset mode."""
        return row["ymax"][k] * (1.0 + OFFSET_SHARE * row["stack"])

    def _set_y(self, row, k) -> None:
        top = self._y_top(row, k)
        shown = row.setdefault("y_shown", [None, None])
        if shown[k] != top:                 # a new range re-renders the axis: only on change
            shown[k] = top
            row["plots"][k].setYRange(0, top, padding=0)

    @staticmethod
    def _follow(current: float, top: float) -> float:
        """The y range's new top: up at once (no bar is ever cut), down smoothly once the
        tallest bar uses less than SHRINK_BELOW of the plot (a spread-out distribution stays
        readable instead of squashed flat under an old peak)."""
        if top <= 0.0:
            return current if current > 0.0 else 1.0
        if top > current:
            return top
        if top < SHRINK_BELOW * current:
            return current + SHRINK_RATE * (top - current)
        return current

    def _set_off_chart(self, row, k, edges, off, n_values) -> None:
        """'←12%' / '30%→' at the top corners: the share of values beyond the fixed bins,
        so a distribution that drifts off the chart is still accounted for."""
        plot = row["plots"][k]
        labels = row.setdefault("off", {}).get(k)
        if labels is None:
            labels = [pg.TextItem(anchor=(0, 0)), pg.TextItem(anchor=(1, 0))]
            for t in labels:
                t.setZValue(10)
                plot.addItem(t, ignoreBounds=True)
            row["off"][k] = labels
        ymax = self._y_top(row, k)
        for side, (label, count, x) in enumerate(zip(labels, off, (edges[0], edges[-1]))):
            if count <= 0 or n_values <= 0:
                text = ""
            else:
                share = 100.0 * count / n_values
                pct = f"{share:.0f}%" if share >= 1 else "<1%"
                text = f"←{pct}" if side == 0 else f"{pct}→"
            # Set only on change: new text re-lays out an HTML document, every frame.
            if text != getattr(label, "shown_text", None):
                label.shown_text = text
                label.setText(text, color=RUN_COLORS["no_bn" if k == 0 else "bn"])
            # The right-hand count sits a line lower: in a narrow plot both fit side by side
            # only if they do not meet in the middle.
            pos = (float(x), ymax * (1.0 - OFF_CHART_LINE * side))
            if text and pos != getattr(label, "shown_pos", None):
                label.shown_pos = pos
                label.setPos(*pos)

    def _redraw_last(self) -> None:
        self._set_titles()
        if self._last is not None:
            self._draw(self._last)

    plot_labels = {"all_layers": "All layers"}

    def plots(self) -> dict:
        out = {"all_layers": self.view.ci} if self.rows else {}
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
