"""Softmax class regions of the BN net and the no-BN net, side by side, under the data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (QColor, QFontMetricsF, QPainter, QPen, QPixmap, QPolygonF,
                           QTextDocument)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from bn_studio.core import limits
from bn_studio.core.measure.grid import data_extent

from ..plain_text import Rich, escape as _escape
from ..plotting import (axis_name, cache_axes, cache_pixmap, input_names, scatter_sample,
                        steady_title)
from ..theme import CLASS_COLORS, DIVERGED_COLOR, RUN_COLORS, RUN_LABELS, class_rgb_array
from .base import Panel

UNKNOWN_RGB = np.array([150.0, 150.0, 150.0])     # probabilities that are not numbers: grey
PALE = 0.85          # how far a 1/C-confident pixel is washed toward white
DIVERGED_WASH = 0.45  # a diverged net's last regions: grey shades, washed toward white
TITLE_SIZE = "13pt"
LEFT_AXIS_PX = 50
LABEL_MARGIN_PX = 16      # a label text item's own margins, and some air
NOTE_COLOR = "#606060"
LEGEND_FONT_PX = 15
POINT_SIZE_PX = 7
VAL_SIZE_PX = 11      # validation diamonds: class-coloured, a white ring, a black edge
VAL_EDGE = "#000000"
VAL_RING = "#ffffff"
TRAIN_EDGE = "#202020"
LEGEND_GREY = "#9a9a9a"   # the legend's markers stand for any class colour
MARKER_SIZE_PX = 20


def region_image(probs: np.ndarray, classes: int | None = None,
                 diverged: bool = False) -> np.ndarray:
    """(R, R', C) probabilities → (R, R', 3) uint8: the winning class's colour, paler when unsure.

    Pixels whose probabilities are not finite are grey; a diverged net is drawn in grey shades
    (its regions are those of its last weights, not of a trained net).
    """
    probs = np.asarray(probs, dtype=np.float64)
    classes = int(classes or probs.shape[-1])
    colours = class_rgb_array(max(classes, 1))
    finite = np.all(np.isfinite(probs), axis=-1)
    p = np.where(finite[..., None], probs, 0.0)
    winner = np.minimum(np.argmax(p, axis=-1), colours.shape[0] - 1)
    conf = p.max(axis=-1)
    if classes > 1:
        # Confidence 1/C (a coin toss) → pale; confidence 1 → full colour.
        strength = np.clip((conf - 1.0 / classes) / (1.0 - 1.0 / classes), 0.0, 1.0)
    else:
        strength = np.ones_like(conf)
    wash = PALE * (1.0 - strength)[..., None]
    rgb = colours[winner] * (1.0 - wash) + 255.0 * wash
    if diverged:
        grey = rgb @ np.array([0.299, 0.587, 0.114])
        rgb = np.repeat(grey[..., None], 3, axis=-1) * (1 - DIVERGED_WASH) + 255 * DIVERGED_WASH
    rgb[~finite] = UNKNOWN_RGB
    return np.clip(rgb, 0, 255).astype(np.uint8)


MAX_STRETCH = 1.3          # the most one axis unit may be stretched against the other


def grid_rect(extent, shape) -> QRectF:
    """The image rectangle in data coordinates: the grid's nodes (linspace over the extent,
    ends included) are pixel centres, so the rectangle reaches half a pixel beyond the extent."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    rows, cols = shape[0], shape[1]
    dx = (x1 - x0) / (cols - 1) if cols > 1 else 1.0
    dy = (y1 - y0) / (rows - 1) if rows > 1 else 1.0
    return QRectF(x0 - dx / 2, y0 - dy / 2, (x1 - x0) + dx, (y1 - y0) + dy)


def marker_html(symbol: str, fill: str, size: int = 14) -> str:
    """An inline image of a plot marker for a rich-text legend, drawn as the plots draw it:
    "o" a training dot, "d" a validation diamond (white ring, black edge)."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    c, r = size / 2, size / 2 - 1.5
    if symbol == "d":
        def diamond(rad):
            return QPolygonF([QPointF(c, c - rad), QPointF(c + rad, c), QPointF(c, c + rad),
                              QPointF(c - rad, c)])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(VAL_EDGE))
        p.drawPolygon(diamond(r + 1))
        p.setPen(QPen(QColor(VAL_RING), 1.5))
        p.setBrush(QColor(fill))
        p.drawPolygon(diamond(r - 1))
    else:
        p.setPen(QPen(QColor(TRAIN_EDGE), 1))
        p.setBrush(QColor(fill))
        p.drawEllipse(QPointF(c, c), r - 2, r - 2)
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    pm.save(buf, "PNG")
    return (f'<img src="data:image/png;base64,{bytes(data.toBase64().data()).decode()}" '
            f'width="{size}" height="{size}">')



def input_shifts(split) -> tuple[float, float]:
    """How far each input's training mean sits from 0: standardised data have mean 0, so a
    nonzero mean is a shift (lesson 4's button); 0.0 where there is none."""
    if not split.X_train.size or not split.standardized:     # raw data: no shift to show
        return (0.0, 0.0)
    means = np.mean(split.X_train, axis=0)
    x, y = (float(m) if np.isfinite(m) and abs(m) > 0.05 else 0.0 for m in means[:2])
    return x, y

class DecisionRegionsPanel(Panel):
    title = "Decision regions"
    name = "decision_regions"
    area = "center"
    help_text = ("Each pixel is coloured by the class the softmax output a = e^z / Σe^z picks "
                 "there, washed out where the net is unsure (its largest a is close to 1/C). "
                 "Left: the net with batch norm; right: its twin without. Round dots are "
                 "training points, diamonds (ringed in white) validation points, each filled "
                 "with its class colour. Click anywhere to see z, e^z and a for that point in "
                 "the softmax inspector.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setToolTip("Click a point to see how each net's softmax decides there "
                             "(Softmax inspector)")
        self.plot_items: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.train_scatter: dict[str, pg.ScatterPlotItem] = {}
        self.val_scatter: dict[str, pg.ScatterPlotItem] = {}
        self.val_edges: dict[str, pg.ScatterPlotItem] = {}
        self.markers: dict[str, tuple[pg.ScatterPlotItem, pg.ScatterPlotItem]] = {}
        for col, name in enumerate(("bn", "no_bn")):
            p = self.view.addPlot(row=0, col=col)
            p.disableAutoRange()
            cache_axes(p)
            # One fixed width for both y axes, room for "−1.5" and the label beside it: sized
            # from its ticks, the no-BN plot's axis drew its label over them.
            p.getAxis("left").setWidth(LEFT_AXIS_PX)
            steady_title(p, _title(name, f"diverged at step {limits.MAX_STEPS}",
                                   DIVERGED_COLOR), color=RUN_COLORS[name], size=TITLE_SIZE)
            img = pg.ImageItem(axisOrder="row-major")
            img.setZValue(-10)
            p.addItem(img)
            # Validation diamonds over the training dots (fewer, and the ones that judge the
            # net): filled with the class colour, ringed white and edged black so they show
            # on any region colour and differ from the dark-edged dots.
            edge = pg.ScatterPlotItem(size=VAL_SIZE_PX + 4, symbol="d", pen=None,
                                      brush=pg.mkBrush(VAL_EDGE), antialias=True)
            val = pg.ScatterPlotItem(size=VAL_SIZE_PX, symbol="d", antialias=True,
                                     pen=pg.mkPen(VAL_RING, width=1))
            train = pg.ScatterPlotItem(size=POINT_SIZE_PX, symbol="o",
                                       pen=pg.mkPen(TRAIN_EDGE, width=0.8))
            p.addItem(train)
            p.addItem(edge)
            p.addItem(val)
            # The dots change only with the dataset, the regions under them 5 times a second:
            # drawn point by point, the dots were half of each repaint (~2.5 of 6.7 ms).
            cache_pixmap(train, edge, val)
            self.val_edges[name] = edge
            # A black cross on a white one: visible on every class colour.
            under = pg.ScatterPlotItem(size=MARKER_SIZE_PX + 4, symbol="+",
                                       pen=pg.mkPen("w", width=5), brush=None)
            over = pg.ScatterPlotItem(size=MARKER_SIZE_PX, symbol="+",
                                      pen=pg.mkPen("k", width=2.5), brush=None)
            for m in (under, over):
                m.setZValue(10)
                p.addItem(m)
            self.plot_items[name], self.images[name] = p, img
            self.train_scatter[name], self.val_scatter[name] = train, val
            self.markers[name] = (under, over)
        self.plot_items["no_bn"].setXLink(self.plot_items["bn"])
        self.plot_items["no_bn"].setYLink(self.plot_items["bn"])
        self._range_extent: tuple[float, float, float, float] | None = None
        self._features = ("x₁", "x₂")
        self._standardized = True
        self.plot_items["bn"].getViewBox().sigResized.connect(lambda _: self._on_resized())
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet(f"font-size: {LEGEND_FONT_PX}px")
        self.legend.setToolTip("Each class keeps its colour in every panel. Pale regions: "
                               "the net is unsure (its largest probability a is near 1/C). "
                               "Grey: a diverged net.")
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.view, 1)
        lay.addLayout(legend_row)
        self._grid = None
        self._extent: tuple[float, ...] | None = None
        self._classes = 2
        self._no_hidden = False
        self._title_key: tuple[Any, ...] | None = None
        model.datasetChanged.connect(self.on_dataset)
        model.configChanged.connect(self.on_config)
        self.connect_snapshots(self.on_snapshot)
        model.pointSelected.connect(self.on_point)
        model.pointCleared.connect(self._clear_markers)
        self._set_titles({})
        # Start from whatever the model already holds (a panel may be built after the signals).
        if getattr(model, "config", None) is not None:
            self.on_config(model.config)
        if getattr(model, "split", None) is not None:
            self.on_dataset(model.split)
        if getattr(model, "snapshot", None) is not None:
            self.on_snapshot(model.snapshot)
        if getattr(model, "selected_point", None) is not None:
            self.on_point(model.selected_point)

    def on_dataset(self, split) -> None:
        self._classes = max(1, int(split.classes))
        self._features = input_names(split)
        self._standardized = split.standardized
        self._shifts = input_shifts(split)
        self._label_axes()
        (Xt, yt), (Xv, yv), self.shown_note = scatter_sample(split)     # big data: a sample
        brushes = [pg.mkBrush(c) for c in CLASS_COLORS[:8]]   # shared: one symbol per class
        train_brushes = [brushes[int(c) % 8] for c in yt]
        val_brushes = [brushes[int(c) % 8] for c in yv]
        for name in self.plot_items:
            self.train_scatter[name].setData(Xt[:, 0], Xt[:, 1], brush=train_brushes)
            self.val_scatter[name].setData(Xv[:, 0], Xv[:, 1], brush=val_brushes)
            self.val_edges[name].setData(Xv[:, 0], Xv[:, 1])
            self.images[name].clear()
            for m in self.markers[name]:
                m.setData([], [])
        X = np.concatenate([split.X_train, split.X_val])
        if X.size and np.all(np.isfinite(X)):
            self._set_range(data_extent(X))
        self._grid = None
        self._extent = None
        names = list(split.class_names)
        classes = "&nbsp;&nbsp;".join(
            f'<span style="color:{CLASS_COLORS[c % 8]}">■</span>&nbsp;{_escape(names[c])}'
            for c in range(len(names)))
        self._legend_parts = (f"<b>Classes:</b>&nbsp;{classes}",
                              f"{marker_html('o', LEGEND_GREY)}&nbsp;training&nbsp;&nbsp;"
                              f"{marker_html('d', LEGEND_GREY)}&nbsp;validation{self.shown_note}")
        self._show_legend()

    def _show_legend(self) -> None:
        """The classes, then the markers: on one line where it fits, else the markers on a
        line of their own (Qt breaks a line after an inline image even before &nbsp;, which
        left a marker at one line's end and its word on the next)."""
        classes, markers = getattr(self, "_legend_parts", ("", ""))
        one_line = f"{classes}&nbsp;&nbsp;&nbsp;&nbsp;{markers}"
        doc = QTextDocument()
        doc.setDefaultFont(self.legend.font())
        doc.setDocumentMargin(0)
        doc.setHtml(one_line)
        fits = doc.idealWidth() <= self.legend.contentsRect().width()
        text = one_line if fits else f"{classes}<br>{markers}"
        if self.legend.text() != text:
            self.legend.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_legend()

    def on_config(self, config) -> None:
        self._no_hidden = len(getattr(config, "hidden", (1,))) == 0
        self._title_key = None
        self._set_titles(self._diverged(self.model.snapshot))

    def on_snapshot(self, snap) -> None:
        diverged = self._diverged(snap)
        self._set_titles(diverged)
        grid = snap.grid if snap is not None else None
        if grid is None or grid is self._grid:
            return
        self._grid = grid
        extent = tuple(float(v) for v in grid.extent)
        shape = None
        for name, probs in grid.probs.items():
            if name not in self.images or probs.ndim != 3 or probs.shape[-1] != self._classes:
                continue                       # a grid of the previous dataset: wait for the next
            img = self.images[name]
            img.setImage(region_image(probs, self._classes, diverged.get(name) is not None),
                         autoLevels=False, levels=(0, 255))
            img.setRect(grid_rect(extent, probs.shape))
            shape = probs.shape
        if shape is not None and extent != self._extent:
            self._extent = extent
            r = grid_rect(extent, shape)
            self._set_range((r.left(), r.right(), r.top(), r.bottom()))

    def _clear_markers(self) -> None:
        for pair in self.markers.values():
            for m in pair:
                m.setData([], [])

    def on_point(self, xy) -> None:
        x, y = float(xy[0]), float(xy[1])
        for pair in self.markers.values():
            for m in pair:
                m.setData([x], [y])

    def _diverged(self, snap) -> dict:
        if snap is None:
            return {}
        return {n: r.diverged_at for n, r in snap.runs.items()}

    def _on_resized(self) -> None:
        self._fit_range()
        self._label_axes()

    def _label_axes(self) -> None:
        """The features' names under and beside the plots, elided to each plot's own size (a
        long name centred under the right-hand plot ran past the panel's edge)."""
        shifts = getattr(self, "_shifts", (0.0, 0.0))
        for p in self.plot_items.values():
            vb = p.getViewBox()
            for side, name, px, shift in (("bottom", self._features[0], vb.width(), shifts[0]),
                                          ("left", self._features[1], vb.height(), shifts[1])):
                axis = p.getAxis(side)
                metrics = QFontMetricsF(axis.label.font())
                fit = px - LABEL_MARGIN_PX if px > 40 else None
                if shift:            # lesson 4's shift: the inputs are no longer standardised
                    text = self._shifted_name(name, shift, fit, metrics)
                else:
                    text = axis_name(name, self._standardized, fit_px=fit, metrics=metrics)
                if axis.labelText != text:
                    p.setLabel(side, text)

    @staticmethod
    def _shifted_name(name: str, shift: float, fit: float | None, metrics) -> str:
        """"x₁ (standardised, +1.5 shift)", or "x₁ (+1.5 shift)" where that does not fit."""
        for note in (f" (standardised, {shift:+.1f} shift)", f" ({shift:+.1f} shift)"):
            room = None if fit is None else fit - metrics.horizontalAdvance(note)
            if room is None or room >= metrics.horizontalAdvance(name[:1] + "…"):
                break
        return axis_name(name, standardised=False, fit_px=room, metrics=metrics) + note

    def _set_range(self, extent) -> None:
        x0, x1, y0, y1 = extent
        if not all(np.isfinite([x0, x1, y0, y1])) or x1 <= x0 or y1 <= y0:
            return
        self._range_extent = (x0, x1, y0, y1)
        self._fit_range()

    def _fit_range(self) -> None:
        """Show the data's extent, filling the plot: one unit of x₁ and of x₂ may differ in
        pixels by up to MAX_STRETCH (a locked 1:1 aspect left ~40 % of a tall plot blank);
        beyond that the shorter side's range widens so shapes are not distorted more.
        Unstandardised inputs fill the plot whatever their scales (x₂ × 100 would be a thin
        strip; the axes' numbers and names show the scales)."""
        if self._range_extent is None:
            return
        x0, x1, y0, y1 = self._range_extent
        vb = self.plot_items["bn"].getViewBox()
        w_px, h_px = max(1.0, vb.width()), max(1.0, vb.height())
        ratio = (w_px / (x1 - x0)) / (h_px / (y1 - y0))      # x pixels per unit / y pixels
        stretch = MAX_STRETCH if self._standardized else math.inf
        if ratio > stretch:
            half = 0.5 * w_px / (h_px / (y1 - y0) * MAX_STRETCH)
            x0, x1 = 0.5 * (x0 + x1) - half, 0.5 * (x0 + x1) + half
        elif ratio < 1.0 / stretch:
            half = 0.5 * h_px / (w_px / (x1 - x0) * MAX_STRETCH)
            y0, y1 = 0.5 * (y0 + y1) - half, 0.5 * (y0 + y1) + half
        self.plot_items["bn"].setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _set_titles(self, diverged: dict) -> None:
        key = (tuple(sorted(diverged.items())), self._no_hidden)
        if key == self._title_key:
            return
        self._title_key = key
        for name, p in self.plot_items.items():
            if diverged.get(name) is not None:
                text = _title(name, f"diverged at step {diverged[name]}", DIVERGED_COLOR)
            elif self._no_hidden:
                text = _title(name, "no hidden layer: nothing to normalise", NOTE_COLOR)
            else:
                text = _title(name)
            p.setTitle(text, color=RUN_COLORS[name], size=TITLE_SIZE)

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        for p in self.plot_items.values():
            if p.vb.sceneBoundingRect().contains(pos):
                point = p.vb.mapSceneToView(pos)
                if np.isfinite(point.x()) and np.isfinite(point.y()):
                    self.model.select_point((point.x(), point.y()))
                    event.accept()
                return

    def region_rgb_at(self, name: str, xy) -> np.ndarray | None:
        """The colour drawn under the data point ``xy`` on plot ``name`` (None off the image)."""
        img = self.images[name]
        if img.image is None:
            return None
        p = img.mapFromView(QPointF(float(xy[0]), float(xy[1])))
        col, row = int(np.floor(p.x())), int(np.floor(p.y()))
        h, w = img.image.shape[:2]
        if not (0 <= row < h and 0 <= col < w):
            return None
        return np.array(img.image[row, col, :3])

    plot_labels = {"both": "Both nets side by side", "bn": "Net with BN",
                   "no_bn": "Net without BN"}

    def plots(self) -> dict:
        return {"both": self.view.ci, **self.plot_items}


def _title(name: str, note: str | None = None, color: str = "") -> Rich:
    """"Net with BN", and a smaller note under it (the app's own markup)."""
    text = f"Net {RUN_LABELS[name]}"
    if note:
        text += f"<br><span style='font-size:10pt; color:{color}'>{note}</span>"
    return Rich(text)
