"""The dataset gallery: toy datasets as thumbnails, their knobs, draw-your-own and CSV import."""

from __future__ import annotations

import html
import os

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QScrollArea, QSpinBox, QVBoxLayout)
from superqt import QLabeledDoubleSlider, QLabeledSlider

from bn_studio.core.data import csv_read, csv_source
from bn_studio.core.data.csv_preview import preview_csv
from bn_studio.core.data.csv_read import load_csv, load_csv_steps
from bn_studio.core.data.datasets import (DATASETS, DEFAULT_CLASSES, FIXED_CLASSES, MAX_CLASSES,
                                          DatasetError, DatasetSpec, make_dataset)

from ..plain_text import escape
from ..theme import CLASS_COLORS
from .base import Panel
from .csv_columns_dialog import CsvColumnsDialog
from .csv_import import CsvImportRow
from .draw_box import DrawBox
from .input_controls import InputControls

THUMB_PX = 64
APPLY_DELAY_MS = 350            # settle time after a keyboard/typed change before regenerating
N_MIN, N_MAX = 50, 5000
ERROR_COLOR = "#c0392b"

DESCRIPTIONS = {
    "moons": "two interleaving half circles (always 2 classes)",
    "blobs": "C Gaussian blobs on a circle: almost linearly separable",
    "circles": "C concentric rings: needs a non-linear boundary",
    "spirals": "C spiral arms: hard, needs several hidden layers",
    "xor": "the XOR pattern: opposite quadrants share a class (always 2 classes)",
    "checkerboard": "a checkerboard coloured with C classes: many small regions",
}


def thumbnail(name: str, size: int = THUMB_PX) -> QIcon:
    """A small picture of the dataset: its points in the class colours."""
    ds = make_dataset(name, n=300, noise=0.1, seed=0)
    X = ds.X
    lo, hi = X.min(axis=0), X.max(axis=0)
    P = (X - lo) / np.where(hi - lo > 0, hi - lo, 1) * (size - 8) + 4
    pix = QPixmap(size, size)
    pix.fill(QColor("white"))
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    for (x, y), c in zip(P, ds.y):
        painter.setBrush(QColor(CLASS_COLORS[c % len(CLASS_COLORS)]))
        painter.drawEllipse(int(x) - 2, size - int(y) - 2, 4, 4)
    painter.end()
    return QIcon(pix)


def _minus(mean: float) -> str:
    """"− 0.31" or "+ 0.02" for subtracting ``mean``: never "− -0.02"."""
    m = round(float(mean), 2)
    return f"+ {-m:.2f}" if m < 0 else f"− {abs(m):.2f}"


def classes_tooltip(name: str | None) -> str:
    if name in FIXED_CLASSES:
        return (f"{name} always has {FIXED_CLASSES[name]} classes: its shape only makes sense "
                "with two")
    if name is None:
        return ("The classes of the data in use (from its labels). C of a gallery dataset "
                "applies once you pick one above")
    return (f"Number of classes C (2–{MAX_CLASSES}): {DESCRIPTIONS.get(name, name)}. The "
            "softmax output layer has one unit per class")


def _workspace_steps(ref, folder):
    try:
        return (yield from csv_source.read_reference_steps(ref, folder))
    except DatasetError as e:
        raise DatasetError(f"{e}. {WITHOUT_DATA}") from None


WITHOUT_DATA = "The rest of the workspace opened; the data in use stays."


class DatasetsPanel(Panel):
    title = "Dataset"
    name = "datasets"
    area = "left"
    help_text = ("Pick a toy dataset: 2-D points x = (x₁, x₂) in C classes. N, noise and the "
                 "number of classes change it; the data is split 75/25 into training and "
                 "validation, and both inputs are standardised (mean 0, variance 1) with the "
                 "training statistics (untick 'Standardise' to feed them as they are, x₂ "
                 "scaled by 'x₂ ×'). You can also draw your own points or import a CSV.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self._updating = False
        self.gallery = QListWidget()
        self.gallery.setViewMode(QListWidget.ViewMode.IconMode)
        self.gallery.setIconSize(QSize(THUMB_PX, THUMB_PX))
        self.gallery.setGridSize(QSize(THUMB_PX + 30, THUMB_PX + 26))
        self.gallery.setMovement(QListWidget.Movement.Static)
        self.gallery.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.gallery.setFixedHeight(2 * (THUMB_PX + 28) + 8)
        self.gallery.setToolTip("Click a dataset to train on it (keys 1–6)")
        for i, name in enumerate(DATASETS, start=1):
            item = QListWidgetItem(thumbnail(name), name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"<b>{name}</b> (key {i}): {DESCRIPTIONS.get(name, '')}")
            self.gallery.addItem(item)
        self.gallery.itemClicked.connect(
            lambda item: self.select_dataset(item.data(Qt.ItemDataRole.UserRole)))

        self.n_slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.n_slider.setRange(N_MIN, N_MAX)
        self.n_slider.setSingleStep(10)
        self.n_slider.setPageStep(100)
        self.n_slider.setToolTip("Number of points N (75 % for training, 25 % for validation). "
                                 "Drag, or type a number in the box")
        self.noise_slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.noise_slider.setRange(0.0, 1.0)
        self.noise_slider.setSingleStep(0.01)  # type: ignore[arg-type]  # stubs: int; a float slider
        self.noise_slider.setDecimals(2)
        self.noise_slider.setToolTip("Noise: how far the points scatter around the ideal "
                                     "shape (0 = clean, 1 = the classes overlap a lot)")
        self.classes_box = QSpinBox()
        self.classes_box.setRange(2, MAX_CLASSES)
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 9999)
        self.seed_box.setToolTip("Seed of the data: the same seed gives exactly the same points; "
                                 "change it to see another sample of the same shape")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("N", self.n_slider)
        form.addRow("noise", self.noise_slider)
        form.addRow("classes C", self.classes_box)
        form.addRow("data seed", self.seed_box)
        self.inputs = InputControls(model)
        form.addRow("inputs", self.inputs)
        # Imported or drawn data has no generator: the knobs are off, and this says why.
        self.knobs_note = QLabel("N, noise, C and the seed make the gallery's datasets; they "
                                 "do not apply to imported or drawn points (C shows their "
                                 "classes). Pick a dataset above to use them.")
        self.knobs_note.setWordWrap(True)
        self.knobs_note.setStyleSheet("font-style: italic")
        self.knobs_note.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(APPLY_DELAY_MS)
        self._timer.timeout.connect(self.apply_spec)
        for s in (self.n_slider, self.noise_slider):
            s.valueChanged.connect(self._slider_changed)
            s.sliderReleased.connect(self.apply_spec)
        self.classes_box.valueChanged.connect(self._knob_changed)
        self.seed_box.valueChanged.connect(self._knob_changed)

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setToolTip("The network never sees the raw x: each feature is shifted by the "
                             "training mean and divided by the training standard deviation, so "
                             "the inputs have mean 0 and variance 1 (the validation points use "
                             "the same numbers)")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.hide()
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setToolTip("A CSV file with numeric columns and a class column "
                                      "(labels may be text; a header is optional): you pick "
                                      "the two features and the label. Rows with missing "
                                      "values are skipped")
        self.import_button.clicked.connect(self.import_csv_dialog)
        self.import_row = CsvImportRow()
        self.import_row.loaded.connect(self._loaded)
        self.import_row.failed.connect(self._refuse)
        self.import_row.running.connect(lambda on: self.import_button.setEnabled(not on))
        self._reading = None                # the workspace reference being read, if any
        self.import_progress = self.import_row.progress
        self.import_cancel = self.import_row.cancel_button
        self.import_cancel.clicked.connect(self._stopped)

        self.draw_toggle = QCheckBox("Draw your own points")
        self.draw_toggle.setToolTip("Show a canvas where you click your own training points")
        self.draw = DrawBox(model)
        self.draw.use_button.clicked.connect(self.use_drawn_points)
        self.draw_toggle.toggled.connect(self.draw.setVisible)
        # In a short dock the canvas opens below the fold: bring it into view.
        self.draw_toggle.toggled.connect(
            lambda on: self._scroll_to(self.draw_toggle, top=True) if on else None)
        self.draw.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.gallery)
        lay.addLayout(form)
        lay.addWidget(self.knobs_note)
        lay.addWidget(self.info)
        lay.addWidget(self.import_button)
        lay.addWidget(self.import_row)
        lay.addWidget(self.draw_toggle)
        lay.addWidget(self.draw)
        lay.addWidget(self.error)           # under "Import CSV…" and under "Use these points"
        lay.addStretch(1)
        model.datasetChanged.connect(self.on_dataset)
        self._show_spec(model.spec)
        self.on_dataset(model.split)

    def select_dataset(self, name: str) -> bool:
        """Switch to a generated dataset with the current knobs (its default C if C is fixed)."""
        classes = self.classes_box.value()
        if name in FIXED_CLASSES:
            classes = FIXED_CLASSES[name]
        elif self.model.spec is None or self.model.spec.name != name:
            classes = DEFAULT_CLASSES[name]
        return self._apply(DatasetSpec(name, n=self.n_slider.value(),
                                       noise=round(float(self.noise_slider.value()), 2),
                                       classes=classes, seed=self.seed_box.value()))

    def _slider_changed(self, *_a) -> None:
        """While a slider is dragged nothing regenerates; the release applies once."""
        if self._updating:
            return
        if self.n_slider.isSliderDown() or self.noise_slider.isSliderDown():
            self._timer.stop()
        else:
            self._timer.start()

    def _knob_changed(self, *_a) -> None:
        if not self._updating:
            self._timer.start()

    def apply_spec(self) -> bool:
        """Regenerate the current gallery dataset with the knobs' values.

        With drawn or imported data there is no generator: the knobs apply to the next gallery
        click instead, and the data in use stays.
        """
        self._timer.stop()
        spec = self.model.spec
        if spec is None:
            return False
        classes = FIXED_CLASSES.get(spec.name, self.classes_box.value())
        new = DatasetSpec(spec.name, n=self.n_slider.value(),
                          noise=round(float(self.noise_slider.value()), 2), classes=classes,
                          seed=self.seed_box.value())
        if new == spec:
            return True
        return self._apply(new)

    def _apply(self, spec: DatasetSpec) -> bool:
        self._timer.stop()
        ok = self._shows_errors(lambda: self.model.set_spec(spec))
        if ok:
            self._show_spec(spec)
        return ok

    def _show_spec(self, spec: DatasetSpec | None) -> None:
        """Show ``spec`` in the knobs without regenerating (signals are ignored meanwhile)."""
        self._updating = True
        try:
            if spec is not None:
                self.n_slider.setValue(int(spec.n))
                self.noise_slider.setValue(float(spec.noise))
                self.classes_box.setValue(spec.classes or DEFAULT_CLASSES[spec.name])
                self.seed_box.setValue(int(spec.seed))
                for i in range(self.gallery.count()):
                    item = self.gallery.item(i)
                    if item.data(Qt.ItemDataRole.UserRole) == spec.name:
                        self.gallery.setCurrentItem(item)
            else:
                self.gallery.setCurrentRow(-1)
                self.gallery.clearSelection()
                # Off, but true: the classes of the data in use (not the last gallery C).
                self.classes_box.setValue(self.model.dataset.classes)
            name = spec.name if spec is not None else None
            for w in (self.n_slider, self.noise_slider, self.seed_box):
                w.setEnabled(spec is not None)
            self.classes_box.setEnabled(spec is not None and name not in FIXED_CLASSES)
            self.classes_box.setToolTip(classes_tooltip(name))
            self.knobs_note.setVisible(spec is None)
        finally:
            self._updating = False

    def import_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", "",
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.choose_columns(path)

    def choose_columns(self, path) -> CsvColumnsDialog | None:
        """Show the file's columns (a sample read here: bounded, quick) and let the user pick
        the features and the label; Import reads the file in the background (start_import).
        A file with nothing to pick from gets one line instead; the data in use stays."""
        self._show_error("")
        try:
            preview = preview_csv(path)
        except DatasetError as e:
            self._refuse(str(e))
            return None
        dialog = CsvColumnsDialog(preview, self._previous_choice(path, preview), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start_import(path, dialog.columns_arg()))
        self.columns_dialog = dialog
        dialog.open()                   # not exec(): the window (and a test) goes on
        return dialog

    def _previous_choice(self, path, preview):
        """The columns the data in use was read with, if it came from this file."""
        source = getattr(self.model.dataset, "source", None)
        if source is None or source.path != os.path.abspath(path):
            return None
        try:
            cols = csv_read.pick_columns(source.columns, preview.header, preview.rows)
        except DatasetError:
            return None
        return cols if cols[0] in preview.numeric and cols[1] in preview.numeric else None

    def import_csv(self, path, columns: str | None = None) -> bool:
        """Load a CSV here and now (scripts, tests, ``screenshot --data``), with ``columns``
        as the command line's ``--columns``; on any problem show the one-line reason and keep
        the current data. The dialog loads in the background (start_import)."""
        try:
            ds = csv_source.load_sourced(path, load_csv, columns)
        except DatasetError as e:
            self._refuse(str(e))
            return False
        return self._shows_errors(lambda: self.model.set_dataset(ds))

    def start_import(self, path, columns: str | None = None) -> None:
        """Load a CSV on a worker thread with progress and Cancel; the window stays live.
        The data in use changes only when the whole file has loaded. The file's size and
        SHA-256 and the columns chosen go with the data, so that a workspace can refer to
        the file."""
        self._show_error("")
        self._reading = None
        # Looked up here, not in csv_import: tests replace this module's load_csv_steps.
        self.import_row.start(path, lambda p: csv_source.sourced_steps(p, load_csv_steps,
                                                                       columns))

    def start_reading(self, ref, folder) -> None:
        """Read a workspace's data file (csv_source.CsvReference) as an import is read; if
        it cannot give the saved data back, one line says why and the data in use stays."""
        self._show_error("")
        self.import_row.start(ref, lambda r: _workspace_steps(r, folder))
        self._reading = ref
        self._scroll_to(self.import_row)

    def _scroll_to(self, widget, top: bool = False) -> None:
        """Scroll the dock to ``widget`` (the progress, an error below the fold); ``top``:
        with ``widget`` at the top (what follows it comes into view too)."""
        scroll = self.parent()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parent()
        if scroll is None:
            return

        def show() -> None:                         # once the layout has placed it
            if top:
                y = widget.mapTo(scroll.widget(), widget.rect().topLeft()).y()
                scroll.verticalScrollBar().setValue(y)
            else:
                scroll.ensureWidgetVisible(widget)
        QTimer.singleShot(0, show)

    @property
    def pending_reference(self):
        """The workspace's data file being read: saving now stores it, not the data in use."""
        return self._reading if self.importing else None

    def _loaded(self, ds, split) -> None:
        ref, self._reading = self._reading, None
        if self._shows_errors(lambda: self.model.set_dataset(ds, split=split)) and ref:
            self.model.message.emit(csv_source.moved_note(ref, ds)
                                    or f"Read {ds.name} ({ds.X.shape[0]:,} points)")

    @property
    def importing(self) -> bool:
        return self.import_row.importing

    def cancel_import(self) -> None:
        """Stop a background import (it stops between chunks); the data in use stays."""
        self.import_row.cancel()
        self._stopped()

    def _stopped(self) -> None:
        ref, self._reading = self._reading, None
        if ref is not None:
            self.model.message.emit(f"Stopped reading {ref.name}: the data in use stays")

    def _refuse(self, text: str) -> None:
        self._show_error(text)
        self._scroll_to(self.error)
        self.model.errorOccurred.emit(text)

    def use_drawn_points(self) -> bool:
        """Train on the drawn points; too few points or one class only keeps the old data."""
        try:
            ds = self.draw.dataset()
        except DatasetError as e:
            self._show_error(str(e))
            self.model.errorOccurred.emit(str(e))
            return False
        ok = self._shows_errors(lambda: self.model.set_dataset(ds))
        self.draw.redraw()
        return ok

    def on_dataset(self, split) -> None:
        ds = self.model.dataset
        mean, std = np.asarray(split.mean), np.asarray(split.std)
        lines = [f"<b>{escape(ds.name)}</b>: N = {ds.X.shape[0]:,}, C = {ds.classes} · "
                 f"{split.X_train.shape[0]:,} train / {split.X_val.shape[0]:,} validation"]
        if ds.skipped_rows:
            lines.append(f"skipped {ds.skipped_rows:,} rows with missing values")
        names = [html.escape(n) for n in split.feature_names]     # from the file: plain
        if split.standardized:
            lines.append("inputs standardised with the training split:")
            lines += [f"&nbsp;&nbsp;{n} ← ({n} {_minus(m)}) / {s:.2f}"
                      for n, m, s in zip(names, mean, std)]
        else:
            scales = [f" × {1 / s:g}" if s != 1.0 else "" for s in std]
            lines.append("inputs <b>not</b> standardised: the nets see "
                         + ", ".join(n + k for n, k in zip(names, scales)))
            lines += [f"&nbsp;&nbsp;{n}{k}: {lo:.2f} … {hi:.2f}" for n, k, lo, hi in zip(
                names, scales, split.X_train.min(axis=0), split.X_train.max(axis=0))]
        self.info.setText("<br>".join(lines))
        self.draw.redraw()                  # in use, or a draft beside other data
        self._show_error("")            # data that loaded makes an earlier refusal old news
        editing = (self._timer.isActive() or self.n_slider.isSliderDown()
                   or self.noise_slider.isSliderDown())
        if not editing:        # follow a workspace, the settings or a lesson
            self._show_spec(self.model.spec)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _shows_errors(self, change) -> bool:
        """Run a model change; if the model refuses it, show the reason in this panel."""
        errors: list[str] = []
        self.model.errorOccurred.connect(errors.append)
        try:
            ok = change()
        finally:
            self.model.errorOccurred.disconnect(errors.append)
        self._show_error(errors[-1] if errors else "")
        return ok
