"""One small control per hyperparameter kind (core/params.py's ``widget``), in napari's style:
``show(value)`` sets it from the config without a signal reaching the form, ``value()`` reads
it back (ValueError with a readable line), ``changed`` fires when the user edits it, ``rows``
are what the form lays out. ``control_for(hyper)`` picks the control."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit,
                               QSlider, QSpinBox, QWidget)

from bn_studio.core.training import params


class _TrimmedSpinBox(QDoubleSpinBox):
    """A float box that shows 0.9 rather than 0.90000 but keeps enough decimals for 0.99995."""

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


class Control(QObject):
    """Base: ``widget`` is the main widget (its row is hidden with it)."""

    changed = Signal()
    applyNow = Signal()             # an edit that is finished already (a released slider)

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(parent)
        self.hyper = hyper
        self.updating = False       # show() in progress: edits are not the user's
        self.widget: QWidget | None = None

    @property
    def rows(self) -> list[tuple[str, QWidget]]:
        assert self.widget is not None, "every control builds its widget"
        return [(self.hyper.label, self.widget)]

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def show(self, value) -> None:
        self.updating = True
        try:
            self._show(value)
        finally:
            self.updating = False

    def _emit(self, *_a) -> None:
        if not self.updating:
            self.changed.emit()


class ChoiceControl(Control):
    widget: QComboBox

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        self.widget = QComboBox()
        self.widget.addItems(list(hyper.choices))
        self.widget.setToolTip(hyper.tip)
        self.widget.currentIndexChanged.connect(self._emit)

    def _show(self, value) -> None:
        self.widget.setCurrentText(value)

    def value(self):
        return self.widget.currentText()


class FloatControl(Control):
    """A spin box; a value the box can only show rounded reads back exactly as it was set."""

    widget: _TrimmedSpinBox

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        ui = hyper.ui
        self.widget = box = _TrimmedSpinBox()
        box.setRange(hyper.low or 0.0, ui["max"])
        box.setDecimals(ui["decimals"])
        box.setSingleStep(ui["step"])
        box.setToolTip(hyper.tip)
        box.valueChanged.connect(self._emit)
        self.shown = None

    def _show(self, value) -> None:
        self.shown = value
        self.widget.setValue(value)

    def value(self) -> float:
        box = self.widget
        if self.shown is not None and \
                abs(box.value() - round(self.shown, box.decimals())) < 0.5 * 10 ** -box.decimals():
            return self.shown
        return box.value()


class IntControl(Control):
    widget: QSpinBox

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        self.widget = QSpinBox()
        self.widget.setRange(int(hyper.low or 0), hyper.ui["max"])
        self.widget.setToolTip(hyper.tip)
        self.widget.valueChanged.connect(self._emit)

    def _show(self, value) -> None:
        self.widget.setValue(value)

    def value(self) -> int:
        return self.widget.value()


class BatchControl(Control):
    """An editable list of the usual sizes: pick one or type any."""

    widget: QComboBox

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        self.widget = box = QComboBox()
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        edit = box.lineEdit()
        assert edit is not None                 # an editable combo box has one
        edit.setValidator(QIntValidator(0, 1_000_000, box))
        for b in hyper.ui["sizes"]:
            box.addItem(str(b), b)
        box.setToolTip(hyper.tip)
        box.currentIndexChanged.connect(self._emit)
        edit.editingFinished.connect(self._emit)

    def _show(self, value) -> None:
        i = self.widget.findData(value)
        if i >= 0:
            self.widget.setCurrentIndex(i)
        self.widget.setEditText(str(value))

    def value(self) -> int:
        text = self.widget.currentText().strip()
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"batch size must be a whole number (got {text!r})") from None


class LogControl(Control):
    """A slider on log10 of the value (each decade the same room) and a box to type any value;
    dragging shows the value and applies once, on release."""

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        ui = hyper.ui
        self.ticks = ui["ticks_per_decade"]
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(int(ui["min_log10"] * self.ticks), int(ui["max_log10"] * self.ticks))
        self.slider.setPageStep(self.ticks // 2)
        self.slider.setToolTip(hyper.tip)
        self.edit = QLineEdit()
        self.edit.setFixedWidth(64)
        self.edit.setToolTip(f"The {hyper.help}; type any positive value (e.g. 3e-3) and "
                             "press Enter")
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("α ="))
        row.addWidget(self.edit)
        self.widget = _wrap(row)
        self._value, self._text = math.nan, ""
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self.applyNow)
        self.edit.editingFinished.connect(self._typed)

    def _show(self, value, move_slider: bool = True) -> None:
        self._value = float(value)
        self._text = f"{self._value:.4g}"
        self.edit.setText(self._text)
        if move_slider and self._value > 0 and math.isfinite(self._value):
            was, self.updating = self.updating, True
            try:
                self.slider.setValue(round(math.log10(self._value) * self.ticks))
            finally:
                self.updating = was

    @property
    def dragging(self) -> bool:
        return self.slider.isSliderDown()

    def _moved(self, v: int) -> None:
        if self.updating:
            return
        self._show(float(f"{10 ** (v / self.ticks):.3g}"), move_slider=False)
        self.changed.emit()

    def _typed(self) -> None:
        text = self.edit.text().strip()
        if text == self._text:
            return
        try:
            self._show(float(text))
        except ValueError:
            pass                            # value() names the problem
        self.changed.emit()

    def value(self) -> float:
        text = self.edit.text().strip()
        if text == self._text:
            return self._value
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"learning rate must be a number such as 0.01 (got {text!r})") \
                from None


class WidthsControl(Control):
    """Layers × width for one width in every layer, or a comma-separated width per layer (which
    wins when not empty); touching layers × width clears the per-layer list."""

    def __init__(self, hyper, parent=None) -> None:
        super().__init__(hyper, parent)
        # The registry's bounds (core/limits.py's), as every other way in checks them.
        self.max_layers, self.min_width, self.max_width = (hyper.ui["max_layers"],
                                                           int(hyper.low), int(hyper.high))
        self.layers = QSpinBox()
        self.layers.setRange(0, self.max_layers)
        self.layers.setToolTip(hyper.tip)
        self.width_box = QSpinBox()
        self.width_box.setRange(self.min_width, self.max_width)
        self.width_box.setToolTip("Units n^[l] in every hidden layer")
        self.widths = QLineEdit()
        self.widths.setPlaceholderText("or per layer, e.g. 64,32,16")
        self.widths.setToolTip("Optional: one width per hidden layer, comma-separated (press "
                               "Enter); overrides the two boxes above")
        row = QHBoxLayout()
        row.addWidget(self.layers)
        row.addWidget(QLabel("× width"))
        row.addWidget(self.width_box)
        self.widget = _wrap(row)
        for w in (self.layers, self.width_box):
            w.valueChanged.connect(self._uniform_changed)
        self.widths.editingFinished.connect(self._emit)

    @property
    def rows(self) -> list[tuple[str, QWidget]]:
        return [*super().rows, ("", self.widths)]

    def _uniform_changed(self, *_a) -> None:
        if not self.updating:
            self.widths.clear()
        self._emit()

    def _show(self, hidden) -> None:
        hidden = tuple(hidden)
        fits_boxes = (len(set(hidden)) <= 1 and len(hidden) <= self.max_layers
                      and all(self.min_width <= h <= self.max_width for h in hidden))
        self.layers.setValue(min(len(hidden), self.max_layers))
        if hidden:
            self.width_box.setValue(hidden[0])
        self.widths.setText("" if fits_boxes else ",".join(str(h) for h in hidden))

    def value(self) -> tuple[int, ...]:
        text = self.widths.text().strip()
        if text:
            try:
                widths = tuple(int(t) for t in text.replace(" ", "").split(",") if t)
            except ValueError:
                raise ValueError(f"widths must be whole numbers like 64,32 (got {text!r})") \
                    from None
            return params.check("hidden", widths)
        return (self.width_box.value(),) * self.layers.value()


CONTROLS = {"choice": ChoiceControl, "beta": FloatControl, "float": FloatControl,
            "int": IntControl, "batch": BatchControl, "log": LogControl,
            "widths": WidthsControl}


def control_for(hyper, parent=None) -> Control:
    return CONTROLS[hyper.widget](hyper, parent)


def _wrap(layout) -> QWidget:
    w = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    w.setLayout(layout)
    return w
