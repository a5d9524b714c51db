"""Network and optimizer settings, bound to the model's TrainConfig (changes reset training)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QSlider, QSpinBox, QVBoxLayout, QWidget)

from .base import Panel

APPLY_DELAY_MS = 400            # settle time after the last change before training resets
LR_MIN_LOG10, LR_MAX_LOG10 = -4.0, 1.0      # the slider spans α = 1e-4 … 10
LR_TICKS_PER_DECADE = 20
WIDTH_MIN, WIDTH_MAX = 4, 256   # the "× width" box; other widths go in the per-layer text
MAX_LAYERS = 6
BATCH_SIZES = (2, 4, 8, 16, 32, 64, 128, 256, 512)
ERROR_COLOR = "#c0392b"


class _TrimmedSpinBox(QDoubleSpinBox):
    """A float box that shows 0.9 rather than 0.90000 but keeps enough decimals for 0.99995."""

    def textFromValue(self, value: float) -> str:
        text = f"{value:.{self.decimals()}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text


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
        self._shown = model.config              # the config the controls were last set from
        self._lr = model.config.lr
        self._lr_text = ""

        self.layers = QSpinBox()
        self.layers.setRange(0, MAX_LAYERS)
        self.layers.setToolTip("Number of hidden layers L. 0 = softmax regression: only "
                               "straight decision boundaries")
        self.width_box = QSpinBox()
        self.width_box.setRange(WIDTH_MIN, WIDTH_MAX)
        self.width_box.setToolTip("Units n^[l] in every hidden layer")
        self.widths = QLineEdit()
        self.widths.setPlaceholderText("or per layer, e.g. 64,32,16")
        self.widths.setToolTip("Optional: one width per hidden layer, comma-separated (press "
                               "Enter); overrides the two boxes above")
        self.activation = QComboBox()
        self.activation.addItems(["relu", "tanh", "sigmoid"])
        self.activation.setToolTip("g(z) of the hidden layers. sigmoid and tanh saturate (their "
                                   "slope is ~0 for large |z|), which is where batch norm's "
                                   "centred inputs help most")
        self.optimizer = QComboBox()
        self.optimizer.addItems(["sgd", "momentum", "rmsprop", "adam"])
        self.optimizer.setToolTip("sgd: W ← W − α·dW.  momentum: step along an EWMA of the "
                                  "gradients.  RMSprop: divide by the root of an EWMA of the "
                                  "squared gradients.  Adam: both, bias-corrected")

        self.lr_slider = QSlider(Qt.Horizontal)
        self.lr_slider.setRange(int(LR_MIN_LOG10 * LR_TICKS_PER_DECADE),
                                int(LR_MAX_LOG10 * LR_TICKS_PER_DECADE))
        self.lr_slider.setPageStep(LR_TICKS_PER_DECADE // 2)
        self.lr_slider.setToolTip("Learning rate α on a log scale (1e-4 … 10): every decade "
                                  "gets the same room, because going from 0.001 to 0.01 matters "
                                  "as much as going from 0.1 to 1")
        self.lr_edit = QLineEdit()
        self.lr_edit.setFixedWidth(64)
        self.lr_edit.setToolTip("The learning rate α; type any positive value (e.g. 3e-3) "
                                "and press Enter")
        self.lr_label = self.lr_edit            # older name, kept for callers and tests

        self.momentum = self._beta_box("Momentum β: the step follows an EWMA of the "
                                       "gradients, v ← β·v + (1 − β)·dW, which averages about "
                                       "1/(1 − β) steps (0.9 → the last 10)")
        self.beta1 = self._beta_box("Adam β₁: EWMA of the gradients (first moment), "
                                    "about 1/(1 − β₁) steps; 0.9 is the usual choice")
        self.beta2 = self._beta_box("β₂: EWMA of the squared gradients, s ← β₂·s + "
                                    "(1 − β₂)·dW²; the step is divided by √s. 0.999 "
                                    "averages about 1000 steps")
        self.batch = QComboBox()
        self.batch.setEditable(True)
        self.batch.setInsertPolicy(QComboBox.NoInsert)
        self.batch.lineEdit().setValidator(QIntValidator(0, 1_000_000, self))
        for b in BATCH_SIZES:
            self.batch.addItem(str(b), b)
        self.batch.setToolTip("Mini-batch size m: examples per gradient step. BN's μ and σ² are "
                              "computed from these m examples, so small batches make them "
                              "noisy (at m = 2 every normalised value is ±1; at m = 1 σ² = 0 "
                              "and every input maps to β). Pick or type")
        self.l2 = _TrimmedSpinBox()
        self.l2.setRange(0.0, 10.0)
        self.l2.setDecimals(6)
        self.l2.setSingleStep(0.001)
        self.l2.setToolTip("L2 regularisation λ: adds λ·W to each weight gradient, so large "
                           "weights shrink (weight decay). The course writes (λ/m)·W for the "
                           "cost term (λ/2m)·Σ‖W‖²; this λ already includes the 1/m")
        self.decay = _TrimmedSpinBox()
        self.decay.setRange(0.0, 100.0)
        self.decay.setDecimals(4)
        self.decay.setSingleStep(0.01)
        self.decay.setToolTip("Learning-rate decay: α = α₀ / (1 + decay_rate · epoch), so the "
                              "steps shrink as training goes on (0 = constant α)")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the initial weights and of the mini-batch order; both "
                             "twins share it, so the same seed gives the same curves")
        self.bn_decay = self._beta_box("β of BN's running averages, used at test time: "
                                       "running μ ← β·running μ + (1 − β)·batch μ, running σ² "
                                       "← β·running σ² + (1 − β)·m/(m − 1)·batch σ². 0.9 "
                                       "averages about the last 10 batches. Not BN's learned "
                                       "shift β; PyTorch's momentum is 1 − β")
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setWordWrap(True)
        self.error.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setToolTip("Input features → hidden widths → one softmax output per class")

        width_row = QHBoxLayout()
        width_row.addWidget(self.layers)
        width_row.addWidget(QLabel("× width"))
        width_row.addWidget(self.width_box)
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.lr_slider, 1)
        lr_row.addWidget(QLabel("α ="))
        lr_row.addWidget(self.lr_edit)
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
        self.batch.lineEdit().editingFinished.connect(self._changed)
        self.widths.editingFinished.connect(self._changed)
        self.lr_slider.valueChanged.connect(self._on_lr_moved)
        self.lr_slider.sliderReleased.connect(self.apply)
        self.lr_edit.editingFinished.connect(self._on_lr_typed)
        model.configChanged.connect(self.set_controls)
        model.datasetChanged.connect(lambda _split: self._summarise(self.model.config))
        self.set_controls(model.config)

    @staticmethod
    def _beta_box(tip: str) -> QDoubleSpinBox:
        box = _TrimmedSpinBox()
        box.setRange(0.0, 0.99999)
        box.setDecimals(5)
        box.setSingleStep(0.01)
        box.setToolTip(tip)
        return box

    # ---- learning rate --------------------------------------------------------------------
    def _show_lr(self, lr: float, move_slider: bool = True) -> None:
        self._lr = float(lr)
        self._lr_text = f"{self._lr:.4g}"
        self.lr_edit.setText(self._lr_text)
        if move_slider and self._lr > 0 and math.isfinite(self._lr):
            was = self._updating
            self._updating = True
            try:
                self.lr_slider.setValue(round(math.log10(self._lr) * LR_TICKS_PER_DECADE))
            finally:
                self._updating = was

    def _on_lr_moved(self, v: int) -> None:
        if self._updating:
            return
        self._show_lr(float(f"{10 ** (v / LR_TICKS_PER_DECADE):.3g}"), move_slider=False)
        if self.lr_slider.isSliderDown():
            self._apply_timer.stop()        # dragging: apply once, on release
        else:
            self._changed()

    def _on_lr_typed(self) -> None:
        text = self.lr_edit.text().strip()
        if text == self._lr_text:
            return
        try:
            self._show_lr(float(text))
        except ValueError:
            pass                            # apply() names the problem
        self._changed()

    def lr_value(self) -> float:
        text = self.lr_edit.text().strip()
        if text == self._lr_text:
            return self._lr
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"learning rate must be a number such as 0.01 (got {text!r})")

    # ---- controls ↔ config --------------------------------------------------------------
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
        self.row_beta2_label().setText("Adam β₂" if opt == "adam" else "RMSprop β₂")

    def row_beta2_label(self) -> QLabel:
        return self.form.labelForField(self.beta2)

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

    def batch_from_controls(self) -> int:
        text = self.batch.currentText().strip()
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"batch size must be a whole number (got {text!r})")

    def _exact(self, box: QDoubleSpinBox, field: str) -> float:
        """The box's value, or the config's own value if the box only shows it rounded."""
        shown = getattr(self._shown, field)
        if abs(box.value() - round(shown, box.decimals())) < 0.5 * 10 ** -box.decimals():
            return shown
        return box.value()

    def config_from_controls(self):
        """A TrainConfig from the controls; raises ValueError with a readable message."""
        return self.model.config.replace(
            hidden=self.hidden_from_controls(), activation=self.activation.currentText(),
            optimizer=self.optimizer.currentText(), lr=self.lr_value(),
            momentum=self._exact(self.momentum, "momentum"),
            beta1=self._exact(self.beta1, "beta1"), beta2=self._exact(self.beta2, "beta2"),
            batch=self.batch_from_controls(), l2=self._exact(self.l2, "l2"),
            decay=self._exact(self.decay, "decay"), seed=self.seed.value(),
            bn_decay=self._exact(self.bn_decay, "bn_decay"))

    def apply(self) -> bool:
        """Push the controls to the model; a bad combination keeps the old config."""
        self._apply_timer.stop()
        try:
            config = self.config_from_controls()
        except ValueError as e:
            self._show_error(str(e))
            return False
        self._show_error("")
        if config != self.model.config:
            self.model.set_config(config, live=True)
        return True

    def set_controls(self, config) -> None:
        """Show ``config`` without triggering a new apply (external changes: apply best, files)."""
        self._apply_timer.stop()            # an external change wins over unapplied edits
        self._updating = True
        self._shown = config
        try:
            hidden = tuple(config.hidden)
            fits_boxes = (len(set(hidden)) <= 1 and len(hidden) <= MAX_LAYERS
                          and all(WIDTH_MIN <= h <= WIDTH_MAX for h in hidden))
            self.layers.setValue(min(len(hidden), MAX_LAYERS))
            if hidden:
                self.width_box.setValue(hidden[0])
            self.widths.setText("" if fits_boxes else ",".join(str(h) for h in hidden))
            self.activation.setCurrentText(config.activation)
            self.optimizer.setCurrentText(config.optimizer)
            self._show_lr(config.lr)
            self.momentum.setValue(config.momentum)
            self.beta1.setValue(config.beta1)
            self.beta2.setValue(config.beta2)
            i = self.batch.findData(config.batch)
            if i < 0:
                self.batch.setEditText(str(config.batch))
            else:
                self.batch.setCurrentIndex(i)
                self.batch.setEditText(str(config.batch))
            self.l2.setValue(config.l2)
            self.decay.setValue(config.decay)
            self.seed.setValue(config.seed)
            self.bn_decay.setValue(config.bn_decay)
        finally:
            self._updating = False
        self._update_visibility()
        self._show_error("")
        self._summarise(config)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _summarise(self, config) -> None:
        c = self.model.split.classes
        d = self.model.split.X_train.shape[1]
        arch = " → ".join([str(d), *[str(h) for h in config.hidden], str(c)])
        if config.hidden:
            self.summary.setText(f"{arch} ({config.activation}); twin: the same with BN after "
                                 "each hidden Dense (no bias)")
        else:
            self.summary.setText(f"{arch}: no hidden layer, softmax regression (straight "
                                 "boundaries); both twins are the same net")


def _wrap(layout) -> QWidget:
    w = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    w.setLayout(layout)
    return w
