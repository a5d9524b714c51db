"""Softmax class regions of the BN net and the no-BN net, side by side, under the data."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout

from ..plotting import cache_axes
from ..theme import CLASS_COLORS, RUN_COLORS, RUN_LABELS, class_rgb_array
from .base import Panel

UNKNOWN_RGB = np.array([170.0, 170.0, 170.0])     # a diverged net has no regions: grey
PALE = 0.85          # how far a 1/C-confident pixel is washed toward white


def region_image(probs: np.ndarray, classes: int) -> np.ndarray:
    """(R, R, C) probabilities → (R, R, 3) uint8: the winning class's colour, paler when unsure."""
    colours = class_rgb_array(classes)
    finite = np.all(np.isfinite(probs), axis=-1)
    p = np.where(finite[..., None], probs, 0.0)
    winner = np.argmax(p, axis=-1)
    conf = p.max(axis=-1)
    # Confidence 1/C (a coin toss) → pale; confidence 1 → full colour.
    strength = np.clip((conf - 1.0 / classes) / (1.0 - 1.0 / classes), 0.0, 1.0)
    wash = PALE * (1.0 - strength)[..., None]
    rgb = colours[winner] * (1.0 - wash) + 255.0 * wash
    rgb[~finite] = UNKNOWN_RGB
    return rgb.astype(np.uint8)


class DecisionRegionsPanel(Panel):
    title = "Decision regions"
    name = "decision_regions"
    area = "center"
    help_text = ("Each pixel is coloured by the class the softmax output a = e^z / Σe^z picks "
                 "there, washed out where the net is unsure (its largest a is close to 1/C). "
                 "Left: the net with batch norm; right: its twin without. Filled dots are "
                 "training points, hollow ones validation points. Click anywhere to see z, e^z "
                 "and a for that point in the softmax inspector.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.view = pg.GraphicsLayoutWidget()
        self.plot_items: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.train_scatter: dict[str, pg.ScatterPlotItem] = {}
        self.val_scatter: dict[str, pg.ScatterPlotItem] = {}
        self.markers: dict[str, pg.ScatterPlotItem] = {}
        for col, name in enumerate(("bn", "no_bn")):
            p = self.view.addPlot(row=0, col=col)
            p.setAspectLocked(True)
            cache_axes(p)
            p.showGrid(x=False, y=False)
            p.setLabel("bottom", "x₁ (standardised)")
            p.setLabel("left", "x₂ (standardised)")
            p.setMenuEnabled(True)
            img = pg.ImageItem(axisOrder="row-major")
            p.addItem(img)
            self.val_scatter[name] = pg.ScatterPlotItem(size=7, pen=pg.mkPen(width=1.5),
                                                        brush=pg.mkBrush(255, 255, 255, 200))
            self.train_scatter[name] = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#202020",
                                                                               width=0.8))
            p.addItem(self.val_scatter[name])
            p.addItem(self.train_scatter[name])
            marker = pg.ScatterPlotItem(size=18, symbol="+", pen=pg.mkPen("k", width=3),
                                        brush=None)
            p.addItem(marker)
            self.plot_items[name], self.images[name], self.markers[name] = p, img, marker
        self.plot_items["no_bn"].setXLink(self.plot_items["bn"])
        self.plot_items["no_bn"].setYLink(self.plot_items["bn"])
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.RichText)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend)
        legend_row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.view, 1)
        lay.addLayout(legend_row)
        self._grid_key = None
        self._classes = 2
        self._titles = {}
        model.datasetChanged.connect(self.on_dataset)
        model.snapshotReady.connect(self.on_snapshot)
        model.pointSelected.connect(self.on_point)
        self._set_titles({})

    # ---- model events -----------------------------------------------------------------
    def on_dataset(self, split) -> None:
        self._classes = int(split.classes)
        brushes_train = [pg.mkBrush(CLASS_COLORS[c % 8]) for c in split.y_train]
        pens_val = [pg.mkPen(CLASS_COLORS[c % 8], width=2) for c in split.y_val]
        for name in self.plot_items:
            self.train_scatter[name].setData(split.X_train[:, 0], split.X_train[:, 1],
                                             brush=brushes_train)
            self.val_scatter[name].setData(split.X_val[:, 0], split.X_val[:, 1], pen=pens_val)
            for img in self.images.values():
                img.clear()
            self.markers[name].setData([], [])
        X = np.concatenate([split.X_train, split.X_val])
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.15 * (hi - lo).max()
        self.plot_items["bn"].setRange(xRange=(lo[0] - pad, hi[0] + pad),
                                       yRange=(lo[1] - pad, hi[1] + pad), padding=0)
        self._grid_key = None
        names = split.class_names
        self.legend.setText("Classes: " + "  ".join(
            f'<span style="color:{CLASS_COLORS[c % 8]}; font-size:16px">■</span> {names[c]}'
            for c in range(len(names))) + "   ● training   ○ validation")

    def on_snapshot(self, snap) -> None:
        grid = snap.extra.get("grid")
        self._set_titles({n: r.diverged_at for n, r in snap.runs.items()})
        if grid is None or grid is self._grid_key:
            return
        self._grid_key = grid
        x0, x1, y0, y1 = grid["extent"]
        for name, probs in grid["probs"].items():
            if name not in self.images or probs.shape[-1] != self._classes:
                continue
            img = self.images[name]
            img.setImage(region_image(probs, self._classes), autoLevels=False, levels=(0, 255))
            img.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))

    def on_point(self, xy) -> None:
        for marker in self.markers.values():
            marker.setData([float(xy[0])], [float(xy[1])])

    def _set_titles(self, diverged: dict) -> None:
        if diverged == self._titles and self._titles:
            return
        self._titles = dict(diverged) or {"bn": None, "no_bn": None}
        for name, p in self.plot_items.items():
            text = f"Net {RUN_LABELS[name]}"
            if diverged.get(name) is not None:
                text += f" — diverged at step {diverged[name]}"
            p.setTitle(text, color=RUN_COLORS[name], size="13pt")

    # ---- clicks -----------------------------------------------------------------------
    def _on_click(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        pos = event.scenePos()
        for p in self.plot_items.values():
            if p.vb.sceneBoundingRect().contains(pos):
                point = p.vb.mapSceneToView(pos)
                self.model.select_point((point.x(), point.y()))
                event.accept()
                return

    def plots(self) -> dict:
        return dict(self.plot_items)
