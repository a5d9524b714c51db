"""Network and optimizer settings, bound to the model's TrainConfig (changes reset training).

The form is made from core/params.py: one control per hyperparameter that has a ``widget``
(param_controls.py), shown only for the optimizers that read it. Edits apply together after
a pause (superqt's qdebounced), since every applied change starts training again.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout
from superqt.utils import qdebounced

from bn_studio.core.training.params import BY_NAME, PARAMS

from .base import Panel
from .param_controls import LogControl, WidthsControl, control_for

APPLY_DELAY_MS = 400            # settle time after the last change before training resets
ERROR_COLOR = "#c0392b"
LR_TICKS_PER_DECADE = BY_NAME["lr"].ui["ticks_per_decade"]


class NetworkPanel(Panel):
    title = "Network and optimizer"
    name = "network"
    area = "left"
    help_text = ("The architecture both twins share and how they learn. The net with BN puts a "
                 "batch-norm layer after every hidden Dense layer, before the activation: "
                 "z = W·a, z̃ = BN(z), a = g(z̃) (the Dense bias is dropped: subtracting μ "
                 "cancels it, and β takes its role). Changing the layers, activation, "
                 "optimizer, batch size or seed starts training again from step 0. The "
                 "learning rate α, the optimizer's β's, L2 λ, the decay and BN's running β "
                 "change mid-run once the twins have trained (marked on the curves); Reset "
                 "starts over.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self._apply_later = qdebounced(self.apply, timeout=APPLY_DELAY_MS, parent=self)
        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.controls = {h.name: control_for(h, self) for h in PARAMS if h.widget}
        for name, control in self.controls.items():
            for label, widget in control.rows:
                form.addRow(label, widget)
            control.changed.connect(self._changed)
            control.applyNow.connect(self.apply)
            # The main widget of each control by its field's name (panel.lr_slider etc. below)
            setattr(self, name, control.widget)
        hidden, lr = self.controls["hidden"], self.controls["lr"]
        assert isinstance(hidden, WidthsControl) and isinstance(lr, LogControl)  # the registry's
        self._lr_control = lr
        self.layers, self.width_box, self.widths = hidden.layers, hidden.width_box, hidden.widths
        self.lr_slider, self.lr_edit = lr.slider, lr.edit
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error.setWordWrap(True)
        self.error.hide()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setToolTip("Input features → hidden widths → one softmax output per class")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(self.error)
        lay.addStretch(1)
        # Values the run itself changed mid-run (Snapshot.changes: a lesson's scheduled jump,
        # a live edit), shown in their controls until a reset; never applied from here.
        self._followed: dict[str, float] = {}
        model.configChanged.connect(self.set_controls)
        model.snapshotReady.connect(self.follow_changes)
        model.datasetChanged.connect(lambda _split: self._summarise(self.model.config))
        self.set_controls(model.config)

    def _changed(self) -> None:
        self._update_visibility()
        if self._lr_control.dragging:
            self._apply_later.cancel()          # dragging: apply once, on release
        else:
            self._apply_later()

    def _update_visibility(self) -> None:
        """Only the rows of what the chosen optimizer reads, labelled for it ("Adam β₂")."""
        optimizer = self.controls["optimizer"].value()
        for control in self.controls.values():
            h = control.hyper
            widget = control.widget
            assert widget is not None
            label = self.form.labelForField(widget)
            if optimizer in h.optimizers and "{opt}" in h.label and isinstance(label, QLabel):
                label.setText(h.label_for(optimizer))
            self.form.setRowVisible(widget, optimizer in h.optimizers)

    def config_from_controls(self):
        """A TrainConfig from the controls; raises ValueError with a readable message. A
        control still showing a value the run changed to itself keeps the config's value:
        that change is the run's (a Reset starts from the config again), not an edit."""
        values = {n: c.value() for n, c in self.controls.items()}
        config = self.model.config
        values.update({n: getattr(config, n) for n, v in self._followed.items()
                       if values[n] == v})
        return config.replace(**values)

    def follow_changes(self, snap) -> None:
        """Show the values the twins train with now: the last mid-run change of each
        setting, or the config's value once a reset has cleared them. Nothing is applied."""
        now = {name: value for _step, name, value in snap.changes if name in self.controls}
        if now == self._followed:
            return
        config = self.model.config
        for name in self._followed.keys() | now.keys():
            self.controls[name].show(now.get(name, getattr(config, name)))
        self._followed = now

    def apply(self) -> bool:
        """Push the controls to the model; a bad combination keeps the old config."""
        self._apply_later.cancel()
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
        self._apply_later.cancel()              # an external change wins over unapplied edits
        for name, control in self.controls.items():
            control.show(getattr(config, name))
        self._followed = {}                     # the next snapshot shows its changes again
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
