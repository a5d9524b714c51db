"""Draw your own points: a canvas where clicks add points of the chosen class (shift-click
or right-click removes the nearest), and the dataset they make."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QButtonGroup, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout
from superqt import QFlowLayout

from bn_studio.core.data.datasets import MAX_CLASSES, Dataset, from_points

from ..theme import CLASS_COLORS

DRAW_RANGE = 3.0                # the drawing canvas spans −3..3 on both axes
DRAFT_OPACITY = 0.35            # drawn points not in use: faded


class DrawBox(QGroupBox):
    """The canvas, the class buttons, Clear and "Use these points" (``use_button``; the
    datasets panel trains on ``dataset()``). The points stay when other data is in use."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.setToolTip("Pick a class, click on the canvas to add points of it; shift-click or "
                        "right-click removes the nearest point. Then “Use these points”")
        self.canvas = pg.PlotWidget()
        self.canvas.setFixedHeight(230)
        self.canvas.setAspectLocked(True)
        self.canvas.setRange(xRange=(-DRAW_RANGE, DRAW_RANGE), yRange=(-DRAW_RANGE, DRAW_RANGE),
                             padding=0)
        self.canvas.setMouseEnabled(x=False, y=False)
        self.canvas.hideButtons()
        self.canvas.setMenuEnabled(False)
        self.canvas.showGrid(x=True, y=True, alpha=0.15)
        self.scatter = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#202020", width=0.8))
        self.canvas.addItem(self.scatter)
        self.canvas.scene().sigMouseClicked.connect(self._canvas_click)
        self.class_buttons = QButtonGroup(self)
        # A flow, not a row: eight 30 px buttons held the dock wider than a 1366×768 left
        # column, which cut off button 7 and the N and noise sliders above.
        row = QFlowLayout()
        row.setHorizontalSpacing(3)
        row.setVerticalSpacing(3)
        for c in range(MAX_CLASSES):
            color = CLASS_COLORS[c % len(CLASS_COLORS)]
            b = QPushButton(str(c))
            b.setCheckable(True)
            b.setFixedSize(30, 28)
            b.setStyleSheet(f"QPushButton {{ background: {color}; color: {_text_color_on(color)};"
                            " font-weight: bold; border: 1px solid #808080; border-radius: 3px; }"
                            " QPushButton:checked { border: 3px solid #202020; }")
            b.setToolTip(f"Clicks add points of class {c}")
            self.class_buttons.addButton(b, c)
            row.addWidget(b)
        self.class_buttons.button(0).setChecked(True)
        clear = QPushButton("Clear")
        clear.setToolTip("Remove every drawn point")
        clear.clicked.connect(self.clear_points)
        self.use_button = use = QPushButton("Use these points")
        use.setToolTip("Train on the drawn points (at least 10, of at least 2 classes)")
        self.count = QLabel()
        self.count.setWordWrap(True)
        self.count.setTextFormat(Qt.TextFormat.PlainText)     # names an imported file
        row2 = QHBoxLayout()
        row2.addWidget(clear)
        row2.addWidget(use, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addWidget(self.canvas)
        lay.addWidget(self.count)
        lay.addLayout(row2)
        self.points: list[tuple[float, float]] = []
        self.labels: list[int] = []
        self.made: Dataset | None = None    # the dataset last made from these points
        self.redraw()

    def add_point(self, x: float, y: float, cls: int | None = None) -> None:
        """Add a drawn point of class ``cls`` (the selected class button if None)."""
        self.points.append((float(x), float(y)))
        self.labels.append(self.class_buttons.checkedId() if cls is None else int(cls))
        self.redraw()

    def remove_nearest(self, x: float, y: float) -> None:
        if not self.points:
            return
        d = np.hypot(*(np.array(self.points) - [x, y]).T)
        k = int(np.argmin(d))
        del self.points[k], self.labels[k]
        self.redraw()

    def clear_points(self) -> None:
        self.points, self.labels = [], []
        self.redraw()

    def dataset(self) -> Dataset:
        """The drawn points as a dataset (DatasetError: too few points, one class only)."""
        self.made = from_points(self.points, self.labels,
                                class_names=[str(c) for c in range(MAX_CLASSES)])
        return self.made

    @property
    def in_use(self) -> bool:
        """Whether the model trains on exactly the points on the canvas."""
        return self.made is not None and self.model.dataset is self.made

    def redraw(self) -> None:
        """The drawn points; faded, and said so, while the model trains on other data (an
        import, a gallery dataset, or these points before the last edit)."""
        pts = np.array(self.points).reshape(-1, 2)
        in_use = self.in_use
        self.scatter.setData(pts[:, 0], pts[:, 1],
                               brush=[pg.mkBrush(CLASS_COLORS[c % len(CLASS_COLORS)])
                                    for c in self.labels])
        self.scatter.setOpacity(1.0 if in_use else DRAFT_OPACITY)
        if not self.points:
            self.count.setText("no points yet: click on the canvas")
            return
        counts = np.bincount(np.asarray(self.labels), minlength=1)
        per_class = ", ".join(f"class {c}: {k}" for c, k in enumerate(counts) if k)
        state = ("in use" if in_use else
                 f"not in use: training on {self.model.dataset.name}; “Use these points” "
                 "trains on them")
        self.count.setText(f"{len(self.points)} points ({per_class}), {state}")

    def _canvas_click(self, event) -> None:
        vb = self.canvas.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        removing = (event.button() == Qt.MouseButton.RightButton
                    or (event.button() == Qt.MouseButton.LeftButton
                        and event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        if removing:
            self.remove_nearest(p.x(), p.y())
        elif event.button() == Qt.MouseButton.LeftButton:
            self.add_point(p.x(), p.y())


def _text_color_on(background: str) -> str:
    """Black on light class colours (yellow, sky blue, orange), white on dark ones."""
    c = QColor(background)
    luminance = 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()
    return "#000000" if luminance > 140 else "#ffffff"
