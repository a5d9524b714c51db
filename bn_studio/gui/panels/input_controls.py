"""The dataset panel's "Inputs" row: whether the nets see standardised inputs, and a scale for
x₂ (TrainConfig.standardize and x2_scale; lesson 10 turns one off and the other up)."""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QVBoxLayout, QWidget)

from bn_studio.core.limits import MAX_INPUT_SCALE
from bn_studio.core.training.params import BY_NAME

MIN_SCALE = 0.01                    # the box's smallest x₂ scale (the core takes any > 0)


class ScaleBox(QDoubleSpinBox):
    """A spin box that writes 100, not 100.00 (room is short in the dataset dock)."""

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"


class InputControls(QWidget):
    """A "Standardise inputs" switch and an "x₂ ×" box; either change restarts training."""

    def __init__(self, model, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.standardize_box = QCheckBox("Standardise")
        self.standardize_box.setToolTip(BY_NAME["standardize"].tip + ". Restarts training.")
        self.scale_box = ScaleBox()
        self.scale_box.setRange(MIN_SCALE, MAX_INPUT_SCALE)
        self.scale_box.setDecimals(2)
        self.scale_box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.scale_box.setKeyboardTracking(False)        # one restart per typed number
        self.scale_box.setToolTip(BY_NAME["x2_scale"].tip + ". Restarts training.")
        # Two lines: on one, the row was the widest of the dataset dock at 1366x768.
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.standardize_box)
        scale = QHBoxLayout()
        scale.addWidget(QLabel("x₂ ×"))
        scale.addWidget(self.scale_box, 1)
        lay.addLayout(scale)
        self.standardize_box.toggled.connect(self.set_standardize)
        self.scale_box.valueChanged.connect(self.set_scale)
        model.configChanged.connect(self.show_config)
        self.show_config(model.config)

    def set_standardize(self, on: bool) -> None:
        if bool(on) != self.model.config.standardize:
            self.model.set_config(self.model.config.replace(standardize=bool(on)))

    def set_scale(self, value: float) -> None:
        if float(value) != self.model.config.x2_scale:
            self.model.set_config(self.model.config.replace(x2_scale=float(value)))

    def show_config(self, config) -> None:
        """Follow the config (a lesson, a workspace, a refused change)."""
        self.standardize_box.blockSignals(True)
        self.standardize_box.setChecked(bool(config.standardize))
        self.standardize_box.blockSignals(False)
        self.scale_box.blockSignals(True)
        self.scale_box.setValue(float(config.x2_scale))
        self.scale_box.blockSignals(False)
