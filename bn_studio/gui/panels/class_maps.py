"""The softmax inspector's per-class maps: P(class k | x) over the input plane for each net,
one small image per class, from the decision grid the worker computes for the decision
regions (nothing is recomputed here)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..theme import RUN_COLORS, RUN_LABELS, class_rgb
from .decision_regions import grid_rect
from .softmax_tabs import RUNS, PlotView

MAP_COLUMNS = 4                    # per-class maps per row (more classes wrap)
MAP_SIZE_PX = 150                  # a map's largest side


def probability_lut(c: int) -> np.ndarray:
    """(256, 4) uint8: white at probability 0 up to class c's colour at 1."""
    rgb = np.array(class_rgb(c), dtype=np.float64)
    s = np.linspace(0.0, 1.0, 256)[:, None]
    out = 255.0 * (1 - s) + rgb * s
    return np.column_stack([out, np.full(256, 255.0)]).astype(np.uint8)


class ClassMapsTab(QWidget):
    """P(class k | x) over the input plane, one small image per class and net, from the
    decision grid the worker already computed for the decision regions."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.note = QLabel()
        self.set_features("")
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.setWordWrap(True)
        self.view = PlotView()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.note)
        lay.addWidget(self.view)
        lay.addStretch(1)
        self.images: dict[tuple[str, int], pg.ImageItem] = {}
        self.labels: dict[tuple[str, int], pg.TextItem] = {}
        self.markers: list[pg.ScatterPlotItem] = []
        self._layout_key: tuple[int, tuple[str, ...]] | None = None
        self._rows_cols = (2, 1)
        self._grid = None                  # the grid drawn (held, so identity means "same")
        self._names: list[str] = []

    def _build(self, classes: int) -> None:
        self.view.clear()
        self.view.ci.layout.setSpacing(6)
        self.images, self.labels, self.markers = {}, {}, []
        cols = min(classes, MAP_COLUMNS)
        rows_per_net = math.ceil(classes / cols)
        row = 0
        for run in RUNS:
            self.view.addLabel(f"Net {RUN_LABELS[run]}", row=row, col=0, colspan=cols,
                               color=RUN_COLORS[run], size="10pt")
            self.view.ci.layout.setRowMaximumHeight(row, 24)     # a title, not a map's row
            row += 1
            for k in range(classes):
                r, c = row + k // cols, k % cols
                vb = self.view.addViewBox(row=r, col=c, enableMouse=False)
                vb.setMenuEnabled(False)
                vb.setBorder(pg.mkPen("#999999", width=1))    # white maps on white: an edge
                img = pg.ImageItem(axisOrder="row-major")
                img.setLookupTable(probability_lut(k))
                img.setLevels((0.0, 1.0))
                vb.addItem(img)
                name = self._names[k] if k < len(self._names) else str(k)
                text = pg.TextItem(f"a[{name}]", color="#202020", anchor=(0, 0))
                vb.addItem(text)
                self.images[(run, k)] = img
                self.labels[(run, k)] = text
                marker = pg.ScatterPlotItem(size=10, symbol="+", pen=pg.mkPen("k", width=2))
                vb.addItem(marker)
                self.markers.append(marker)
            row += rows_per_net
        self._layout_key = (classes, tuple(self._names))
        self._rows_cols = (2 * rows_per_net, cols)
        self._fit_height()

    def _fit_height(self) -> None:
        """Rows as tall as a map is wide (up to MAP_SIZE_PX), not the tab's whole height."""
        rows, cols = self._rows_cols
        side = min(MAP_SIZE_PX, max(40, (self.width() - 20) // max(cols, 1) - 6))
        self.view.setFixedHeight(rows * side + 2 * 30)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def set_features(self, axes_html: str) -> None:
        """Say which feature runs along which side of the maps (plane_html)."""
        self.note.setText("Each image is one class's probability a<sub>k</sub> over the input "
                          "plane: white 0, full class colour 1. The cross is the clicked "
                          f"point. Together the maps add up to 1 at every pixel. {axes_html}")

    def set_classes(self, names: list[str]) -> None:
        self._names = [str(n) for n in names]
        self._grid = None

    def set_grid(self, grid, point=None) -> None:
        """Draw ``grid`` (core.grid.DecisionGrid: probs[run] is (R, R, C)) if it is new; mark
        ``point``."""
        if grid is None or not grid.probs:
            return
        probs = grid.probs
        classes = max(p.shape[-1] for p in probs.values())
        if self._layout_key != (classes, tuple(self._names)):
            self._build(classes)
            self._grid = None
        if grid is not self._grid:
            self._grid = grid
            for run in RUNS:
                p = probs.get(run)
                for k in range(classes):
                    img = self.images[(run, k)]
                    if p is None or k >= p.shape[-1]:
                        img.clear()
                        continue
                    plane = np.nan_to_num(np.asarray(p[..., k], dtype=np.float32), nan=0.0)
                    img.setImage(plane, levels=(0.0, 1.0), autoLevels=False)
                    rect = grid_rect(grid.extent, plane.shape)
                    img.setRect(rect)
                    img.getViewBox().setRange(rect, padding=0)
                    self.labels[(run, k)].setPos(rect.left(), rect.bottom())   # top left
        for m in self.markers:
            m.setData(pos=[] if point is None else [tuple(point)])
