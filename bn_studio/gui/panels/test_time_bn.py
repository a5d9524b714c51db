"""Test-time batch norm: mini-batch statistics vs the running (EWMA) statistics used at test time,
and predicting one example in training mode (impossible) vs evaluation mode."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout)

from bn_studio.core.layers import BatchNormError
from bn_studio.core.losses import softmax

from ..plotting import SteppedRange, Throttle, cache_axes, decimate
from ..theme import CLASS_COLORS, RUN_COLORS, RUN_LABELS
from .base import Panel

BN_DECAYS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
REDRAW_HZ = 10          # statistics per unit and their history: 10 redraws a second is plenty
BATCH_COLOR = "#ff7f0e"
RUNNING_COLOR = "#1f77b4"


class TestTimeBNPanel(Panel):
    __test__ = False          # not a pytest test class, despite the name

    title = "Test-time BN"
    name = "test_time_bn"
    area = "right"
    help_text = ("During training, batch norm normalises each unit with the mean μ and variance "
                 "σ² of the current mini-batch. At test time there may be a single example, whose "
                 "variance is undefined, so BN uses running averages kept during training: "
                 "running ← β·running + (1 − β)·batch, an exponentially weighted average over "
                 "roughly the last 1/(1 − β) mini-batches.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which hidden layer's batch-norm statistics to show")
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Which unit (feature) of that layer to follow over time")
        self.decay_box = QComboBox()
        for d in BN_DECAYS:
            self.decay_box.addItem(f"β = {d}  (≈ {1 / (1 - d):.0f} batches)", d)
        self.decay_box.setToolTip("β of the running averages: larger β averages over more "
                                  "mini-batches (1/(1 − β)), so it is smoother but slower to "
                                  "follow the changing weights. Changing it resets training.")
        self.layer_box.currentIndexChanged.connect(lambda _: self._redraw())
        self.unit_box.valueChanged.connect(lambda _: self._redraw())
        self.decay_box.activated.connect(self._on_decay)
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(QLabel("layer"))
        row.addWidget(self.layer_box)
        row.addWidget(QLabel("unit"))
        row.addWidget(self.unit_box)
        row.addStretch(1)
        form.addRow(row)
        form.addRow("EWMA β:", self.decay_box)

        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumHeight(360)
        self.p_mean = self.view.addPlot(row=0, col=0, title="μ per unit: batch vs running")
        self.p_var = self.view.addPlot(row=0, col=1, title="σ² per unit: batch vs running")
        self.p_mean_t = self.view.addPlot(row=1, col=0, title="μ of the unit over steps")
        self.p_var_t = self.view.addPlot(row=1, col=1, title="σ² of the unit over steps")
        for p in (self.p_mean, self.p_var):
            p.setLabel("bottom", "unit")
        for p in (self.p_mean_t, self.p_var_t):
            p.setLabel("bottom", "step")
        self.ranges = {}
        for p in (self.p_mean, self.p_var, self.p_mean_t, self.p_var_t):
            cache_axes(p)
            self.ranges[p] = SteppedRange(p, grow_x=p in (self.p_mean_t, self.p_var_t))
        self._range_key = None
        self.p_mean.addLegend(offset=(5, 5))
        self.batch_mean = self.p_mean.plot(pen=None, symbol="o", symbolSize=6,
                                           symbolBrush=BATCH_COLOR, name="mini-batch")
        self.run_mean = self.p_mean.plot(pen=None, symbol="x", symbolSize=8,
                                         symbolPen=pg.mkPen(RUNNING_COLOR, width=2),
                                         name="running (EWMA)")
        self.batch_var = self.p_var.plot(pen=None, symbol="o", symbolSize=6,
                                         symbolBrush=BATCH_COLOR)
        self.run_var = self.p_var.plot(pen=None, symbol="x", symbolSize=8,
                                       symbolPen=pg.mkPen(RUNNING_COLOR, width=2))
        self.batch_mean_t = self.p_mean_t.plot(pen=pg.mkPen(BATCH_COLOR, width=1))
        self.run_mean_t = self.p_mean_t.plot(pen=pg.mkPen(RUNNING_COLOR, width=2.5))
        self.batch_var_t = self.p_var_t.plot(pen=pg.mkPen(BATCH_COLOR, width=1))
        self.run_var_t = self.p_var_t.plot(pen=pg.mkPen(RUNNING_COLOR, width=2.5))

        self.predict_button = QPushButton("Predict one validation example")
        self.predict_button.setToolTip("Run a single example through the BN net, once in "
                                       "training mode (batch statistics) and once in evaluation "
                                       "mode (running statistics). Or click a point on the "
                                       "decision-region plot.")
        self.predict_button.clicked.connect(self.predict_random)
        self.result = QLabel("Click a point on a decision-region plot, or press the button, to "
                             "predict one example.")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.explain)
        lay.addLayout(form)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.predict_button)
        lay.addWidget(self.result)
        self._snap = None
        self._throttle = Throttle(REDRAW_HZ)
        self._last_step = -1
        self._layers = -1
        self._val_index = 0
        model.snapshotReady.connect(self.on_snapshot)
        model.configChanged.connect(self.on_config)
        model.pointSelected.connect(lambda xy: self.show_prediction(xy))

    # ---- config -----------------------------------------------------------------------
    def on_config(self, cfg) -> None:
        d = cfg.bn_decay
        i = self.decay_box.findData(d)
        if i < 0:
            self.decay_box.addItem(f"β = {d}  (≈ {1 / (1 - d):.0f} batches)", d)
            i = self.decay_box.count() - 1
        self.decay_box.setCurrentIndex(i)
        self.explain.setText(
            f"Training normalises with each mini-batch's μ and σ² (batch size {cfg.batch}). "
            f"Test time uses running averages: running ← {d}·running + {1 - d:.3g}·batch, "
            f"i.e. about the last {1 / (1 - d):.0f} mini-batches.")
        n = len(cfg.hidden)
        if n != self._layers:
            self._layers = n
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for i in range(n):
                self.layer_box.addItem(f"hidden layer {i + 1}", i)
            self.layer_box.blockSignals(False)
        if n == 0:
            self.explain.setText("This network has no hidden layer, so it has no batch norm. "
                                 "Add hidden layers in 'Network and optimizer'.")

    def _on_decay(self, index: int) -> None:
        d = float(self.decay_box.itemData(index))
        if d != self.model.config.bn_decay:
            self.model.set_config(self.model.config.replace(bn_decay=d))

    def set_decay(self, d: float) -> None:
        i = self.decay_box.findData(d)
        self.decay_box.setCurrentIndex(i)
        self._on_decay(i)

    # ---- drawing ----------------------------------------------------------------------
    def on_snapshot(self, snap) -> None:
        new_run = self._snap is None or snap.step < self._snap.step
        self._snap = snap
        # Throttled while training; a paused or stepped state is always drawn in full.
        if new_run or not snap.extra.get("playing") or self._throttle.ready():
            self._redraw()

    def _layer(self):
        snap = self._snap
        if snap is None or "bn" not in snap.runs:
            return None
        layers = snap.runs["bn"].layers
        i = self.layer_box.currentIndex()
        if not layers or i < 0 or i >= len(layers):
            return None
        return layers[i]

    def _redraw(self) -> None:
        layer = self._layer()
        if layer is None or layer.running_mean is None:
            for item in (self.batch_mean, self.run_mean, self.batch_var, self.run_var,
                         self.batch_mean_t, self.run_mean_t, self.batch_var_t, self.run_var_t):
                item.setData([], [])
            return
        f = layer.running_mean.size
        u = self.unit_box.value()
        key = (self._snap.extra.get("run_id"), self.layer_box.currentIndex(), u)
        if key != self._range_key or self._snap.step < self._last_step:   # reset or new view
            self._range_key = key
            for r in self.ranges.values():
                r.reset()
            for p in (self.p_mean, self.p_var):
                p.setXRange(-0.5, f - 0.5, padding=0)
            self.p_mean_t.setTitle(f"μ of unit {u} over steps")
            self.p_var_t.setTitle(f"σ² of unit {u} over steps")
        self._last_step = self._snap.step
        if self.unit_box.maximum() != f - 1:
            self.unit_box.setMaximum(f - 1)
        units = np.arange(f)
        self.batch_mean.setData(units, layer.batch_mean)
        self.run_mean.setData(units, layer.running_mean)
        self.batch_var.setData(units, layer.batch_var)
        self.run_var.setData(units, layer.running_var)
        self.ranges[self.p_mean].update(None, np.concatenate([layer.batch_mean,
                                                               layer.running_mean]))
        self.ranges[self.p_var].update(None, np.concatenate([layer.batch_var,
                                                              layer.running_var]))
        h = layer.running_history
        if h is None or h.shape[0] == 0:
            for item in (self.batch_mean_t, self.run_mean_t, self.batch_var_t, self.run_var_t):
                item.setData([], [])
            return
        steps, bm, bv, rm, rv = decimate(h[:, 0], h[:, 1 + u], h[:, 1 + f + u],
                                         h[:, 1 + 2 * f + u], h[:, 1 + 3 * f + u])
        self.batch_mean_t.setData(steps, bm)
        self.batch_var_t.setData(steps, bv)
        self.run_mean_t.setData(steps, rm)
        self.run_var_t.setData(steps, rv)
        self.ranges[self.p_mean_t].update(steps[-1:], np.concatenate([bm, rm]))
        self.ranges[self.p_var_t].update(steps[-1:], np.concatenate([bv, rv]))

    # ---- one example --------------------------------------------------------------------
    def predict_one(self, xy) -> dict:
        """Train mode on one example (an error, with its reason) and eval mode (probabilities)."""
        snap = self._snap or self.model.snapshot
        if snap is None:
            return {}
        x = np.asarray(xy, dtype=np.float64).reshape(1, 2)
        out = {"x": x[0]}
        bn_net = snap.runs["bn"].net.clone()        # a train-mode pass would touch its stats
        try:
            bn_net.forward(x.astype(bn_net.flat_params.dtype), train=True)
            out["train_error"] = None
        except BatchNormError as e:
            out["train_error"] = str(e)
        for name, run in snap.runs.items():
            with np.errstate(all="ignore"):
                out[f"eval_{name}"] = softmax(run.net.logits(x, train=False).astype(np.float64))[0]
        return out

    def predict_random(self) -> None:
        split = self.model.split
        self._val_index = (self._val_index + 1) % split.X_val.shape[0]
        self.model.select_point(split.X_val[self._val_index])

    def show_prediction(self, xy) -> None:
        res = self.predict_one(xy)
        if not res:
            return
        names = self.model.split.class_names
        lines = [f"<b>One example</b> x = ({res['x'][0]:.2f}, {res['x'][1]:.2f})"]
        if not self.model.config.hidden:
            lines.append("This network has no hidden layer, hence no batch norm.")
        elif res["train_error"]:
            lines.append("<b>Training mode</b>: impossible — the mean of one example is the "
                         "example itself and its variance is 0 (undefined as a sample variance), "
                         "so Z_norm = (z − μ)/√(σ² + ε) carries no information. "
                         "That is why BN keeps running statistics.")
        for name in ("bn", "no_bn"):
            p = res.get(f"eval_{name}")
            if p is None:
                continue
            if len(p) != len(names):        # a snapshot from before a dataset switch
                continue
            if not np.all(np.isfinite(p)):
                lines.append(f"<span style='color:{RUN_COLORS[name]}'>{RUN_LABELS[name]}</span>:"
                             " diverged, no prediction")
                continue
            k = int(np.argmax(p))
            probs = ", ".join(f"<span style='color:{CLASS_COLORS[i % 8]}'>{names[i]}: "
                              f"{v:.3f}</span>" for i, v in enumerate(p))
            mode = "evaluation mode, running μ/σ²" if name == "bn" else "no BN"
            lines.append(f"<span style='color:{RUN_COLORS[name]}'><b>{RUN_LABELS[name]}</b></span>"
                         f" ({mode}): class <b>{names[k]}</b> — a = {probs}")
        self.result.setText("<br>".join(lines))

    def plots(self) -> dict:
        return {"batch_vs_running_mean": self.p_mean, "batch_vs_running_var": self.p_var,
                "mean_over_steps": self.p_mean_t, "var_over_steps": self.p_var_t}
