"""The dataset gallery: toy datasets as thumbnails, their knobs, draw-your-own and CSV import."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QButtonGroup, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QListWidget, QListWidgetItem, QPushButton, QSlider,
                               QSpinBox, QVBoxLayout)

from bn_studio.core.datasets import (DATASETS, DEFAULT_CLASSES, FIXED_CLASSES, DatasetError,
                                     from_points, load_csv, make_dataset)

from ..model import DatasetSpec
from ..theme import CLASS_COLORS
from .base import Panel

THUMB_PX = 64
APPLY_DELAY_MS = 350
DRAW_RANGE = 3.0


def thumbnail(name: str, size: int = THUMB_PX) -> QIcon:
    """A small picture of the dataset: its points in the class colours."""
    ds = make_dataset(name, n=300, noise=0.1, seed=0)
    X = ds.X
    lo, hi = X.min(axis=0), X.max(axis=0)
    P = (X - lo) / np.where(hi - lo > 0, hi - lo, 1) * (size - 8) + 4
    pix = QPixmap(size, size)
    pix.fill(QColor("white"))
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    for (x, y), c in zip(P, ds.y):
        painter.setBrush(QColor(CLASS_COLORS[c % 8]))
        painter.drawEllipse(int(x) - 2, size - int(y) - 2, 4, 4)
    painter.end()
    return QIcon(pix)


class DatasetsPanel(Panel):
    title = "Dataset"
    name = "datasets"
    area = "left"
    help_text = ("Pick a toy dataset: 2-D points x = (x₁, x₂) in C classes. N, noise and the "
                 "number of classes change it; the data is split 75/25 into training and "
                 "validation, and both inputs are standardised (mean 0, variance 1) with the "
                 "training statistics. You can also draw your own points or import a CSV.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.IconMode)
        self.gallery.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.gallery.setGridSize(QSize(THUMB_PX + 30, THUMB_PX + 26))
        self.gallery.setMovement(QListWidget.Static)
        self.gallery.setResizeMode(QListWidget.Adjust)
        self.gallery.setFixedHeight(2 * (THUMB_PX + 28) + 8)
        for i, name in enumerate(DATASETS, start=1):
            item = QListWidgetItem(thumbnail(name), name)
            item.setData(Qt.UserRole, name)
            item.setToolTip(f"{name} (key {i})")
            self.gallery.addItem(item)
        self.gallery.itemClicked.connect(lambda item: self.select_dataset(item.data(Qt.UserRole)))

        self.n_slider = self._slider(50, 3000, 600, "Number of points N (75 % train, 25 % "
                                     "validation)")
        self.noise_slider = self._slider(0, 100, 20, "Noise: how much the points scatter "
                                         "around the ideal shape")
        self.classes_box = QSpinBox()
        self.classes_box.setRange(2, 8)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 9999)
        self.seed_box.setToolTip("Seed of the data: the same seed gives the same points")
        self.n_label, self.noise_label = QLabel(), QLabel()
        form = QFormLayout()
        form.addRow(self._labelled("N", self.n_label), self.n_slider)
        form.addRow(self._labelled("noise", self.noise_label), self.noise_slider)
        form.addRow("classes C", self.classes_box)
        form.addRow("data seed", self.seed_box)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(APPLY_DELAY_MS)
        self._timer.timeout.connect(self.apply_spec)
        self.n_slider.valueChanged.connect(self._knob_changed)
        self.noise_slider.valueChanged.connect(self._knob_changed)
        self.classes_box.valueChanged.connect(self._knob_changed)
        self.seed_box.valueChanged.connect(self._knob_changed)

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        self.error.setStyleSheet("color: #c0392b;")
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setToolTip("Two numeric feature columns and a label column (labels "
                                      "may be text); rows with missing values are skipped")
        self.import_button.clicked.connect(self.import_csv_dialog)

        self.draw_box = self._build_draw_box()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.gallery)
        lay.addLayout(form)
        lay.addWidget(self.info)
        lay.addWidget(self.import_button)
        lay.addWidget(self.draw_box)
        lay.addWidget(self.error)
        lay.addStretch(1)
        self._updating = False
        model.datasetChanged.connect(self.on_dataset)
        self._show_spec(model.spec)

    # ---- widgets ----------------------------------------------------------------------
    @staticmethod
    def _slider(lo: int, hi: int, value: int, tip: str) -> QSlider:
        s = QSlider(Qt.Horizontal)
        s.setRange(lo, hi)
        s.setValue(value)
        s.setToolTip(tip)
        return s

    @staticmethod
    def _labelled(text: str, value_label: QLabel) -> QLabel:
        value_label.setText(text)
        value_label.setMinimumWidth(72)
        return value_label

    def _build_draw_box(self) -> QGroupBox:
        box = QGroupBox("Draw your own")
        box.setCheckable(True)
        box.setChecked(False)
        box.setToolTip("Click to add points of the chosen class; right-click removes the "
                       "nearest point")
        self.canvas = pg.PlotWidget()
        self.canvas.setFixedHeight(220)
        self.canvas.setAspectLocked(True)
        self.canvas.setRange(xRange=(-DRAW_RANGE, DRAW_RANGE), yRange=(-DRAW_RANGE, DRAW_RANGE))
        self.canvas.setMouseEnabled(x=False, y=False)
        self.canvas.hideButtons()
        self.canvas.setMenuEnabled(False)
        self.drawn = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#202020", width=0.8))
        self.canvas.addItem(self.drawn)
        self.canvas.scene().sigMouseClicked.connect(self._canvas_click)
        self.class_buttons = QButtonGroup(self)
        row = QHBoxLayout()
        for c in range(4):
            b = QPushButton(str(c))
            b.setCheckable(True)
            b.setFixedWidth(34)
            b.setStyleSheet(f"QPushButton {{ background: {CLASS_COLORS[c]}; color: white; "
                            "font-weight: bold; } QPushButton:checked { border: 3px solid "
                            "#202020; }")
            b.setToolTip(f"Add points of class {c}")
            self.class_buttons.addButton(b, c)
            row.addWidget(b)
        self.class_buttons.button(0).setChecked(True)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear_points)
        use = QPushButton("Use these points")
        use.setToolTip("Train on the drawn points (at least 10, of at least 2 classes)")
        use.clicked.connect(self.use_drawn_points)
        row2 = QHBoxLayout()
        row2.addWidget(clear)
        row2.addWidget(use)
        lay = QVBoxLayout(box)
        lay.addLayout(row)
        lay.addWidget(self.canvas)
        lay.addLayout(row2)
        self.points: list[tuple[float, float]] = []
        self.labels: list[int] = []
        box.toggled.connect(self.canvas.setVisible)
        self.canvas.setVisible(False)
        return box

    # ---- generated data ---------------------------------------------------------------
    def select_dataset(self, name: str) -> None:
        """Switch to a generated dataset with the current knobs (its default C if C is fixed)."""
        classes = self.classes_box.value()
        if name in FIXED_CLASSES:
            classes = FIXED_CLASSES[name]
        elif self.model.spec is None or self.model.spec.name != name:
            classes = DEFAULT_CLASSES[name]
        self._apply(DatasetSpec(name, n=self.n_slider.value(),
                                noise=self.noise_slider.value() / 100.0, classes=classes,
                                seed=self.seed_box.value()))

    def _knob_changed(self, *_a) -> None:
        self._update_labels()
        if not self._updating:
            self._timer.start()

    def _update_labels(self) -> None:
        self.n_label.setText(f"N = {self.n_slider.value()}")
        self.noise_label.setText(f"noise {self.noise_slider.value() / 100:.2f}")

    def apply_spec(self) -> None:
        spec = self.model.spec
        name = spec.name if spec is not None else "spirals"
        classes = FIXED_CLASSES.get(name, self.classes_box.value())
        self._apply(DatasetSpec(name, n=self.n_slider.value(),
                                noise=self.noise_slider.value() / 100.0, classes=classes,
                                seed=self.seed_box.value()))

    def _apply(self, spec: DatasetSpec) -> None:
        self._timer.stop()
        if self._shows_errors(lambda: self.model.set_spec(spec)):
            self._show_spec(spec)

    def _show_spec(self, spec: DatasetSpec | None) -> None:
        self._updating = True
        try:
            if spec is not None:
                self.n_slider.setValue(spec.n)
                self.noise_slider.setValue(round(spec.noise * 100))
                self.classes_box.setValue(spec.classes or DEFAULT_CLASSES[spec.name])
                self.seed_box.setValue(spec.seed)
                fixed = spec.name in FIXED_CLASSES
                self.classes_box.setEnabled(not fixed)
                self.classes_box.setToolTip(f"{spec.name} always has 2 classes" if fixed else
                                            "Number of classes C (2–8); softmax has one output "
                                            "per class")
                for i in range(self.gallery.count()):
                    item = self.gallery.item(i)
                    item.setSelected(item.data(Qt.UserRole) == spec.name)
            else:
                self.gallery.clearSelection()
        finally:
            self._updating = False
        self._update_labels()

    # ---- imported / drawn data ----------------------------------------------------------
    def import_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", "",
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.import_csv(path)

    def import_csv(self, path) -> bool:
        """Load a CSV; on any problem show the one-line reason and keep the current data."""
        self.error.setText("")
        try:
            ds = load_csv(path)
        except DatasetError as e:
            self.error.setText(str(e))
            self.model.errorOccurred.emit(str(e))
            return False
        return self._shows_errors(lambda: self.model.set_dataset(ds))

    def add_point(self, x: float, y: float, cls: int | None = None) -> None:
        self.points.append((float(x), float(y)))
        self.labels.append(self.class_buttons.checkedId() if cls is None else int(cls))
        self._redraw_points()

    def remove_nearest(self, x: float, y: float) -> None:
        if not self.points:
            return
        d = np.hypot(*(np.array(self.points) - [x, y]).T)
        k = int(np.argmin(d))
        del self.points[k], self.labels[k]
        self._redraw_points()

    def clear_points(self) -> None:
        self.points, self.labels = [], []
        self._redraw_points()

    def use_drawn_points(self) -> bool:
        self.error.setText("")
        try:
            ds = from_points(self.points, self.labels,
                             class_names=[str(c) for c in range(8)])
        except DatasetError as e:
            self.error.setText(str(e))
            self.model.errorOccurred.emit(str(e))
            return False
        return self._shows_errors(lambda: self.model.set_dataset(ds))

    def _redraw_points(self) -> None:
        pts = np.array(self.points).reshape(-1, 2)
        self.drawn.setData(pts[:, 0], pts[:, 1],
                           brush=[pg.mkBrush(CLASS_COLORS[c % 8]) for c in self.labels])

    def _canvas_click(self, event) -> None:
        vb = self.canvas.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        if event.button() == Qt.LeftButton:
            self.add_point(p.x(), p.y())
        elif event.button() == Qt.RightButton:
            self.remove_nearest(p.x(), p.y())

    # ---- model events -----------------------------------------------------------------
    def on_dataset(self, split) -> None:
        ds = self.model.dataset
        self.info.setText(
            f"<b>{ds.name}</b>: N = {ds.X.shape[0]}, C = {ds.classes} · "
            f"{split.X_train.shape[0]} train / {split.X_val.shape[0]} validation<br>"
            f"inputs standardised: x₁ ← (x₁ − {split.mean[0]:.2f}) / {split.std[0]:.2f}, "
            f"x₂ ← (x₂ − {split.mean[1]:.2f}) / {split.std[1]:.2f}")
        if self.model.spec is None:
            self.gallery.clearSelection()

    def _shows_errors(self, change) -> bool:
        """Run a model change; if the model refuses it, show the reason in this panel."""
        errors: list[str] = []
        self.model.errorOccurred.connect(errors.append)
        try:
            ok = change()
        finally:
            self.model.errorOccurred.disconnect(errors.append)
        self.error.setText(errors[-1] if errors else "")
        return ok
