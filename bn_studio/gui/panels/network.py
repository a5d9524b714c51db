"""Network and optimizer settings, bound to the model's TrainConfig (changes reset training)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QSlider, QSpinBox, QVBoxLayout, QWidget)

from .base import Panel

APPLY_DELAY_MS = 400            # settle time after the last change before training resets
LR_MIN_LOG10, LR_MAX_LOG10 = -5.0, 2.0
LR_TICKS_PER_DECADE = 20
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512)


class NetworkPanel(Panel):
    title = "Network and optimizer"
    name = "network"
    area = "left"
    help_text = ("The architecture both twins share and how they learn. The net with BN puts a "
                 "batch-norm layer after every hidden Dense layer (whose bias is then dropped: "
                 "β takes its role). Any change here starts training again from step 0.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self._updating = False
        self.layers = QSpinBox()
        self.layers.setRange(0, 6)
        self.layers.setToolTip("Number of hidden layers. 0 = softmax regression: linear "
                               "decision boundaries")
        self.width_box = QSpinBox()
        self.width_box.setRange(2, 256)
        self.width_box.setToolTip("Units in every hidden layer")
        self.widths = QLineEdit()
        self.widths.setPlaceholderText("or per layer, e.g. 64,32,16")
        self.widths.setToolTip("Optional: a width for each hidden layer, comma-separated; "
                               "overrides the two boxes above")
        self.activation = QComboBox()
        self.activation.addItems(["relu", "tanh", "sigmoid"])
        self.activation.setToolTip("g(z) of the hidden layers; sigmoid and tanh saturate, which "
                                   "is where batch norm helps most")
        self.optimizer = QComboBox()
        self.optimizer.addItems(["sgd", "momentum", "rmsprop", "adam"])
        self.optimizer.setToolTip("sgd: W ← W − α·dW. momentum: an EWMA of the gradients. "
                                  "RMSprop: divide by the root of an EWMA of squared gradients. "
                                  "Adam: both, bias-corrected")
        self.lr_slider = QSlider(Qt.Horizontal)
        self.lr_slider.setRange(int(LR_MIN_LOG10 * LR_TICKS_PER_DECADE),
                                int(LR_MAX_LOG10 * LR_TICKS_PER_DECADE))
        self.lr_slider.setToolTip("Learning rate α on a log scale (1e-5 … 100): each decade "
                                  "gets the same room, because α = 0.001 and 0.01 differ as "
                                  "much as 0.1 and 1")
        self.lr_label = QLabel()
        self.lr_label.setMinimumWidth(70)
        self.momentum = self._beta_box("Momentum β: the gradient EWMA averages about "
                                       "1/(1 − β) steps (0.9 → 10)")
        self.beta1 = self._beta_box("Adam β₁: EWMA of the gradients (first moment)")
        self.beta2 = self._beta_box("β₂: EWMA of the squared gradients (RMSprop, Adam)", 4)
        self.batch = QComboBox()
        for b in BATCH_SIZES:
            self.batch.addItem(str(b), b)
        self.batch.setToolTip("Mini-batch size: BN's μ and σ² are estimated from this many "
                              "examples, so small batches make them noisy")
        self.l2 = QDoubleSpinBox()
        self.l2.setRange(0.0, 1.0)
        self.l2.setDecimals(4)
        self.l2.setSingleStep(0.001)
        self.l2.setToolTip("L2 regularisation λ: adds λ·W to each weight gradient")
        self.decay = QDoubleSpinBox()
        self.decay.setRange(0.0, 10.0)
        self.decay.setDecimals(3)
        self.decay.setSingleStep(0.01)
        self.decay.setToolTip("Learning-rate decay: α = α₀ / (1 + decay_rate · epoch)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the initial weights and of the mini-batch order; both "
                             "twins share it")
        self.bn_decay = self._beta_box("β of the running (test-time) averages of BN: "
                                       "running ← β·running + (1 − β)·batch", 3)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        width_row = QHBoxLayout()
        width_row.addWidget(self.layers)
        width_row.addWidget(QLabel("× width"))
        width_row.addWidget(self.width_box)
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.lr_slider, 1)
        lr_row.addWidget(self.lr_label)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.addRow("Hidden layers", _wrap(width_row))
        form.addRow("", self.widths)
        form.addRow("Activation", self.activation)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", _wrap(lr_row))
        self.row_momentum = ("Momentum β", self.momentum)
        self.row_beta1 = ("Adam β₁", self.beta1)
        self.row_beta2 = ("β₂", self.beta2)
        for label, w in (self.row_momentum, self.row_beta1, self.row_beta2):
            form.addRow(label, w)
        form.addRow("Batch size", self.batch)
        form.addRow("L2 λ", self.l2)
        form.addRow("LR decay", self.decay)
        form.addRow("BN running β", self.bn_decay)
        form.addRow("Seed", self.seed)
        self.form = form
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(self.error)
        lay.addStretch(1)

        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self.apply)
        for w in (self.layers, self.width_box):
            w.valueChanged.connect(self._uniform_width_changed)
        self.seed.valueChanged.connect(self._changed)
        for w in (self.momentum, self.beta1, self.beta2, self.l2, self.decay, self.bn_decay):
            w.valueChanged.connect(self._changed)
        for w in (self.activation, self.optimizer, self.batch):
            w.currentIndexChanged.connect(self._changed)
        self.widths.editingFinished.connect(self._changed)
        self.lr_slider.valueChanged.connect(self._on_lr_moved)
        model.configChanged.connect(self.set_controls)
        model.datasetChanged.connect(lambda _split: self._summarise(self.model.config))
        self.set_controls(model.config)

    @staticmethod
    def _beta_box(tip: str, decimals: int = 3) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 0.9999)
        box.setDecimals(decimals)
        box.setSingleStep(0.01)
        box.setToolTip(tip)
        return box

    # ---- controls ↔ config --------------------------------------------------------------
    def lr_value(self) -> float:
        return float(f"{10 ** (self.lr_slider.value() / LR_TICKS_PER_DECADE):.3g}")

    def _on_lr_moved(self, _v: int) -> None:
        self.lr_label.setText(f"α = {self.lr_value():g}")
        self._changed()

    def _uniform_width_changed(self, *_a) -> None:
        """Touching layers × width means one width for all: drop the per-layer list."""
        if not self._updating:
            self.widths.clear()
        self._changed()

    def _changed(self, *_a) -> None:
        self._update_visibility()
        if not self._updating:
            self._apply_timer.start()

    def _update_visibility(self) -> None:
        opt = self.optimizer.currentText()
        shown = {"momentum": opt == "momentum", "beta1": opt == "adam",
                 "beta2": opt in ("adam", "rmsprop")}
        for key, (_, w) in (("momentum", self.row_momentum), ("beta1", self.row_beta1),
                            ("beta2", self.row_beta2)):
            self.form.setRowVisible(w, shown[key])

    def hidden_from_controls(self) -> tuple[int, ...]:
        text = self.widths.text().strip()
        if text:
            try:
                widths = tuple(int(t) for t in text.replace(" ", "").split(",") if t)
            except ValueError:
                raise ValueError(f"widths must be whole numbers like 64,32 (got {text!r})")
            if any(w < 1 or w > 1024 for w in widths):
                raise ValueError("each width must be between 1 and 1024")
            return widths
        return (self.width_box.value(),) * self.layers.value()

    def config_from_controls(self):
        return self.model.config.replace(
            hidden=self.hidden_from_controls(), activation=self.activation.currentText(),
            optimizer=self.optimizer.currentText(), lr=self.lr_value(),
            momentum=self.momentum.value(), beta1=self.beta1.value(), beta2=self.beta2.value(),
            batch=int(self.batch.currentData()), l2=self.l2.value(), decay=self.decay.value(),
            seed=self.seed.value(), bn_decay=self.bn_decay.value())

    def apply(self) -> None:
        """Push the controls to the model; a bad combination keeps the old config."""
        self._apply_timer.stop()
        try:
            config = self.config_from_controls()
        except ValueError as e:
            self.error.setText(str(e))
            return
        self.error.setText("")
        if config != self.model.config:
            self.model.set_config(config)

    def set_controls(self, config) -> None:
        """Show ``config`` without triggering a new apply (external changes: apply best, files)."""
        self._updating = True
        try:
            hidden = tuple(config.hidden)
            uniform = len(set(hidden)) <= 1
            self.layers.setValue(len(hidden))
            if hidden:
                self.width_box.setValue(hidden[0])
            self.widths.setText("" if uniform else ",".join(str(h) for h in hidden))
            self.activation.setCurrentText(config.activation)
            self.optimizer.setCurrentText(config.optimizer)
            self.lr_slider.setValue(round(math.log10(config.lr) * LR_TICKS_PER_DECADE))
            self.lr_label.setText(f"α = {config.lr:g}")
            self.momentum.setValue(config.momentum)
            self.beta1.setValue(config.beta1)
            self.beta2.setValue(config.beta2)
            i = self.batch.findData(config.batch)
            if i < 0:
                self.batch.addItem(str(config.batch), config.batch)
                i = self.batch.count() - 1
            self.batch.setCurrentIndex(i)
            self.l2.setValue(config.l2)
            self.decay.setValue(config.decay)
            self.seed.setValue(config.seed)
            self.bn_decay.setValue(config.bn_decay)
        finally:
            self._updating = False
        self._update_visibility()
        self.error.setText("")
        self._summarise(config)

    def _summarise(self, config) -> None:
        c = self.model.split.classes
        arch = " → ".join(["2", *[str(h) for h in config.hidden], str(c)])
        if config.hidden:
            self.summary.setText(f"{arch} ({config.activation}); the twin with BN adds batch "
                                 "norm after each hidden Dense layer (no bias).")
        else:
            self.summary.setText(f"{arch}: no hidden layer — softmax regression, linear "
                                 "boundaries; both twins are identical.")


def _wrap(layout) -> QWidget:
    w = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    w.setLayout(layout)
    return w
