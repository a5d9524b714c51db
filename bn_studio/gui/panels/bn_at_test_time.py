"""Test-time batch norm: mini-batch statistics vs the running (EWMA) statistics used at test time,
and predicting one example in training mode (no use) vs evaluation mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QVBoxLayout)

from bn_studio.core.nn.layers import BatchNormError
from bn_studio.core.nn.losses import softmax
from bn_studio.core.measure.snapshot import Snapshot

from ..plain_text import Rich, escape
from ..plotting import (SteppedRange, add_legend, cache_axes, decimate, set_cursors,
                        point_html, steady_title)
from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel

BN_DECAYS = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)
REDRAW_HZ = 10          # statistics per unit and their history: 10 redraws a second is plenty
BATCH_COLOR = "#ff7f0e"
RUNNING_COLOR = "#1f77b4"
TITLE_SIZE = "10pt"
CURSOR_COLOR = "#808080"    # the replayed step (timeline), as on the curves
MIN_STAT_SPAN = 0.2     # smallest y span of the μ and σ² plots
BAR_WIDTH = 0.38        # two bars per class (with BN, without BN) side by side
ONE_EXAMPLE_TRAIN_MODE = ("no use: with the biased σ² one example gives σ² = 0, so z_norm = 0 "
                          "and every input maps to β (the unbiased σ² is undefined); and in a "
                          "batch the prediction would depend on the other examples — that is "
                          "why BN keeps running statistics")


def _factor(m: int) -> str:
    """The unbiased-variance factor m/(m − 1) as shown in the formula, e.g. '(8/7)'."""
    return f"({m}/{m - 1})" if m > 1 else "m/(m − 1)"


def _decay_label(d: float) -> str:
    return f"β = {d:g}  (≈ last {1 / (1 - d):.0f} batches)"


PREDICT_PROMPT = ("Click a point on a decision-region plot, or pick a random validation "
                  "point, to predict one example.")

class TestTimeBNPanel(Panel):
    __test__ = False          # not a pytest test class, despite the name

    title = "Test-time BN"
    name = "test_time_bn"
    live_hz = REDRAW_HZ       # statistics per unit and their history: plenty to follow
    area = "right"
    help_text = ("During training, batch norm normalises each unit with the mean μ and variance "
                 "σ² of the current mini-batch. A prediction must not depend on the other "
                 "examples in its batch, and at test time there may be a single example (its "
                 "biased σ² is 0: every input would map to β). So BN uses running averages kept "
                 "during training: running μ ← β·running μ + (1 − β)·μ_B and running σ² ← "
                 "β·running σ² + (1 − β)·m/(m − 1)·σ²_B (the unbiased estimate, as PyTorch and "
                 "the BN paper), an exponentially weighted average over roughly the last "
                 "1/(1 − β) mini-batches. This β is the EWMA's decay, not BN's learned shift β; "
                 "PyTorch's momentum is 1 − β. Top: the two kinds of statistics per unit; "
                 "middle: one unit over the training steps (at small m the running σ² sits "
                 "m/(m − 1) above the batch values: 2× at m = 2); bottom: one example predicted "
                 "in training mode (no use) and in evaluation mode.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.explain.setTextFormat(Qt.TextFormat.RichText)
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which hidden layer's batch norm to look at")
        self.unit_box = QSpinBox()
        self.unit_box.setToolTip("Which unit (feature) of that layer to follow over the steps "
                                 "(also marked by the dashed line in the top plots)")
        self.decay_box = QComboBox()
        for d in BN_DECAYS:
            self.decay_box.addItem(_decay_label(d), d)
        self.decay_box.setToolTip("β of the running averages: running ← β·running + "
                                  "(1 − β)·batch (σ² times m/(m − 1)). A larger β averages over "
                                  "more mini-batches (about 1/(1 − β)), so it is smoother but "
                                  "slower to follow the changing weights. Not BN's learned shift "
                                  "β; PyTorch's momentum is 1 − β. A change applies from the "
                                  "next step, marked on the curves.")
        self.layer_box.currentIndexChanged.connect(lambda _: self._redraw())
        self.unit_box.valueChanged.connect(lambda _: self._redraw())
        self.decay_box.activated.connect(self._on_decay)
        # Two short rows rather than one long one: the panel fits a 1366×768 dock.
        controls = QVBoxLayout()
        for pairs in ((("BN layer", self.layer_box), ("unit", self.unit_box)),
                      (("running-average", self.decay_box),)):
            row = QHBoxLayout()
            for text, w in pairs:
                label = QLabel(text)
                label.setToolTip(w.toolTip())
                row.addWidget(label)
                row.addWidget(w)
            row.addStretch(1)
            controls.addLayout(row)

        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumHeight(330)
        self.p_mean = self.view.addPlot(row=0, col=0)
        self.p_var = self.view.addPlot(row=0, col=1)
        self.p_mean_t = self.view.addPlot(row=1, col=0)
        self.p_var_t = self.view.addPlot(row=1, col=1)
        for p in (self.p_mean, self.p_var, self.p_mean_t, self.p_var_t):
            steady_title(p)
        self.p_mean.setTitle("μ per unit", size=TITLE_SIZE)
        self.p_var.setTitle("σ² per unit", size=TITLE_SIZE)
        for p in (self.p_mean, self.p_var):
            p.setLabel("bottom", "unit")
            p.setToolTip("Dots: the mean and variance of each unit's Z on the last mini-batch "
                         "(what training normalises with). Crosses: the running averages (what "
                         "evaluation normalises with).")
        for p in (self.p_mean_t, self.p_var_t):
            p.setLabel("bottom", "training step")
            p.setToolTip("Thin orange: the mini-batch statistic at each evaluation step (noisy: "
                         "each batch is a different sample). Thick blue: the running average "
                         "(smooth; it lags behind by about 1/(1 − β) batches). The running σ² "
                         "averages m/(m − 1)·σ²_B, so it sits above the batch values at small m "
                         "(about 2× at m = 2).")
        self.ranges = {}
        for p in (self.p_mean, self.p_var, self.p_mean_t, self.p_var_t):
            cache_axes(p)
            p.setMouseEnabled(x=False, y=False)
            p.hideButtons()
            # μ and σ² live on the scale of Z: at step 0 a mean of ±1e-10 must not get a
            # range of 1e-9 (and tick labels to match).
            self.ranges[p] = SteppedRange(p, grow_x=p in (self.p_mean_t, self.p_var_t),
                                          min_span=MIN_STAT_SPAN)
        self._range_key: tuple[Any, ...] | None = None
        add_legend(self.p_mean, offset=(5, 5), labelTextSize="9pt")
        add_legend(self.p_mean_t, offset=(5, 5), labelTextSize="9pt")
        self.batch_mean = self.p_mean.plot(pen=None, symbol="o", symbolSize=7,
                                           symbolPen=None, symbolBrush=BATCH_COLOR,
                                           name="mini-batch")
        self.run_mean = self.p_mean.plot(pen=None, symbol="x", symbolSize=9,
                                         symbolPen=pg.mkPen(RUNNING_COLOR, width=2),
                                         symbolBrush=RUNNING_COLOR, name="running (EWMA)")
        self.batch_var = self.p_var.plot(pen=None, symbol="o", symbolSize=7, symbolPen=None,
                                         symbolBrush=BATCH_COLOR)
        self.run_var = self.p_var.plot(pen=None, symbol="x", symbolSize=9,
                                       symbolPen=pg.mkPen(RUNNING_COLOR, width=2),
                                       symbolBrush=RUNNING_COLOR)
        self.unit_lines = []
        for p in (self.p_mean, self.p_var):
            line = pg.InfiniteLine(angle=90, movable=False,
                                   pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine))
            p.addItem(line, ignoreBounds=True)
            self.unit_lines.append(line)
        self.batch_mean_t = self.p_mean_t.plot(pen=pg.mkPen(BATCH_COLOR, width=1),
                                               name="mini-batch")
        self.run_mean_t = self.p_mean_t.plot(pen=pg.mkPen(RUNNING_COLOR, width=2.5),
                                             name="running")
        self.batch_var_t = self.p_var_t.plot(pen=pg.mkPen(BATCH_COLOR, width=1))
        self.step_cursors = []          # the step the timeline replays (hidden while live)
        for p in (self.p_mean_t, self.p_var_t):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=2))
            line.setVisible(False)
            p.addItem(line, ignoreBounds=True)
            self.step_cursors.append(line)
        self.run_var_t = self.p_var_t.plot(pen=pg.mkPen(RUNNING_COLOR, width=2.5))

        self.predict_button = QPushButton("Pick a random validation point")
        self.predict_button.setToolTip("Predict one validation example with the net with BN, "
                                       "once in training mode (mini-batch statistics) and once "
                                       "in evaluation mode (running statistics). You can also "
                                       "click a point on a decision-region plot.")
        self.predict_button.clicked.connect(self.predict_random)
        self.result = QLabel(PREDICT_PROMPT)
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.prob_view = pg.PlotWidget()
        self.prob_view.setFixedHeight(170)
        self.p_prob = self.prob_view.getPlotItem()
        steady_title(self.p_prob)
        self.p_prob.setTitle(Rich("probabilities a: " + " / ".join(
            f"<span style='color:{RUN_COLORS[n]}'>{RUN_LABELS[n]}</span>"
            for n in ("bn", "no_bn"))), size=TITLE_SIZE)
        self.p_prob.setToolTip("Softmax output a of each net for this one example, in "
                               "evaluation mode (the net with BN uses its running μ and σ²)")
        self.p_prob.setYRange(0, 1.05, padding=0)
        self.p_prob.setMouseEnabled(x=False, y=False)
        self.p_prob.hideButtons()
        self.p_prob.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        cache_axes(self.p_prob)
        self.prob_bars = {}
        for name in ("bn", "no_bn"):
            bars = pg.BarGraphItem(x=np.empty(0), height=np.empty(0), width=BAR_WIDTH,
                                   brush=RUN_COLORS[name], pen=pg.mkPen(None))
            self.p_prob.addItem(bars)
            self.prob_bars[name] = bars
        self._prob_classes = -1

        predict = QVBoxLayout()             # stacked: readable in a narrow dock
        predict.addWidget(self.predict_button)
        predict.addWidget(self.result)
        predict.addWidget(self.prob_view)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.explain)
        lay.addLayout(controls)
        lay.addWidget(self.view, 1)
        lay.addLayout(predict)
        self._snap: Snapshot | None = None
        self._last_step = -1
        self._point: np.ndarray | None = None
        self._rng = np.random.default_rng()
        self.connect_snapshots(self.on_snapshot)
        model.configChanged.connect(self.on_config)
        model.datasetChanged.connect(lambda _split: self._set_classes(force=True))
        model.pointSelected.connect(self.show_prediction)
        model.pointCleared.connect(self._forget_point)
        self.on_config(model.config)
        self._set_classes(force=True)
        if model.snapshot is not None:
            self.on_snapshot(model.snapshot)
        if model.selected_point is not None:
            self.show_prediction(model.selected_point)

    def on_config(self, cfg) -> None:
        d = cfg.bn_decay
        i = self.decay_box.findData(d)
        if i < 0:
            self.decay_box.addItem(_decay_label(d), d)
            i = self.decay_box.count() - 1
        self.decay_box.setCurrentIndex(i)
        if not cfg.hidden:
            self.explain.setText("<b>This network has no hidden layer</b>, so it has no batch "
                                 "norm: both twins are the same softmax regression. Add hidden "
                                 "layers in 'Network and optimizer'.")
        else:
            self.explain.setText(
                "During training BN normalises with the mini-batch's mean μ and variance σ² "
                f"(batch size m = {cfg.batch}). At test time a prediction must not depend on "
                "the rest of a batch, so BN uses running averages kept during training: "
                f"running μ ← {d:g}·running μ + {1 - d:.3g}·μ_B and running σ² ← {d:g}·running "
                f"σ² + {1 - d:.3g}·{_factor(cfg.batch)}·σ²_B, i.e. over about the last "
                f"<b>{1 / (1 - d):.0f}</b> mini-batches (EWMA β = {d:g}).")
        self._set_layers(len(cfg.hidden))

    def _set_layers(self, n: int) -> None:
        if n == self.layer_box.count():
            return
        keep = self.layer_box.currentIndex()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for i in range(n):
            self.layer_box.addItem(f"hidden layer {i + 1}", i)
        self.layer_box.setCurrentIndex(keep if 0 <= keep < n else 0)
        self.layer_box.blockSignals(False)
        self.layer_box.setEnabled(n > 0)
        self.unit_box.setEnabled(n > 0)

    def _on_decay(self, index: int) -> None:
        d = float(self.decay_box.itemData(index))
        if d != self.model.config.bn_decay:
            self.model.set_config(self.model.config.replace(bn_decay=d), live=True)

    def set_decay(self, d: float) -> None:
        """Choose β for the running averages as the combo box does (resets training)."""
        i = self.decay_box.findData(d)
        if i < 0:
            self.decay_box.addItem(_decay_label(d), d)
            i = self.decay_box.count() - 1
        self.decay_box.setCurrentIndex(i)
        self._on_decay(i)

    def on_snapshot(self, snap) -> None:
        """While training this runs at most ``live_hz`` times a second in the frame budget
        (base.Panel), the last state always drawn; a paused or stepped state at once."""
        self._snap = snap
        set_cursors(self.step_cursors, None if snap.live else snap.step)
        self._redraw_all()

    def _redraw_all(self) -> None:
        self._redraw()
        if self._point is not None:
            self.show_prediction(self._point)

    def _layer(self):
        snap = self._snap
        if snap is None or "bn" not in snap.runs:
            return None
        layers = snap.runs["bn"].layers
        self._set_layers(len(layers))
        i = self.layer_box.currentIndex()
        if not layers or i < 0 or i >= len(layers):
            return None
        return layers[i]

    def _clear(self) -> None:
        for item in (self.batch_mean, self.run_mean, self.batch_var, self.run_var,
                     self.batch_mean_t, self.run_mean_t, self.batch_var_t, self.run_var_t):
            item.setData([], [])

    def _redraw(self) -> None:
        layer = self._layer()
        if layer is None or layer.running_mean is None:
            self._clear()
            return
        snap = self._snap
        assert snap is not None                     # the layer is one of its nets'
        f = layer.running_mean.size
        if self.unit_box.maximum() != f - 1:
            self.unit_box.blockSignals(True)
            self.unit_box.setMaximum(f - 1)         # clamps the unit to the new width
            self.unit_box.blockSignals(False)
        u = self.unit_box.value()
        key = (snap.run_id, self.layer_box.currentIndex(), u, f)
        if key != self._range_key or snap.step < self._last_step:   # reset or new view
            self._range_key = key
            for r in self.ranges.values():
                r.reset()
            for p in (self.p_mean, self.p_var):
                p.setXRange(-0.5, f - 0.5, padding=0)
            self.p_mean_t.setTitle(f"μ of unit {u}", size=TITLE_SIZE)
            self.p_var_t.setTitle(f"σ² of unit {u}", size=TITLE_SIZE)
            for line in self.unit_lines:
                line.setValue(u)
        self._last_step = snap.step
        units = np.arange(f)
        self.batch_mean.setData(units, _finite(layer.batch_mean, f))
        self.run_mean.setData(units, _finite(layer.running_mean, f))
        self.batch_var.setData(units, _finite(layer.batch_var, f))
        self.run_var.setData(units, _finite(layer.running_var, f))
        self.ranges[self.p_mean].update(None, np.concatenate([_finite(layer.batch_mean, f),
                                                               _finite(layer.running_mean, f)]))
        self.ranges[self.p_var].update(None, np.concatenate([_finite(layer.batch_var, f),
                                                              _finite(layer.running_var, f),
                                                              [0.0]]))
        h = layer.running_history
        if h is None or h.shape[0] == 0 or h.shape[1] != 1 + 4 * f:
            for item in (self.batch_mean_t, self.run_mean_t, self.batch_var_t, self.run_var_t):
                item.setData([], [])
            for p in (self.p_mean_t, self.p_var_t):      # not the last run's step range
                self.ranges[p].update(np.array([snap.step], dtype=np.float64),
                                      np.zeros(1))
            return
        steps, bm, bv, rm, rv = decimate(h[:, 0], h[:, 1 + u], h[:, 1 + f + u],
                                         h[:, 1 + 2 * f + u], h[:, 1 + 3 * f + u])
        bm, bv, rm, rv = (np.where(np.isfinite(v), v, np.nan) for v in (bm, bv, rm, rv))
        self.batch_mean_t.setData(steps, bm, connect="finite")
        self.batch_var_t.setData(steps, bv, connect="finite")
        self.run_mean_t.setData(steps, rm, connect="finite")
        self.run_var_t.setData(steps, rv, connect="finite")
        self.ranges[self.p_mean_t].update(steps[-1:], np.concatenate([bm, rm]))
        self.ranges[self.p_var_t].update(steps[-1:], np.concatenate([bv, rv, [0.0]]))

    def predict_one(self, xy) -> dict:
        """One example through the nets: train mode (BN's error, or None) and eval-mode
        probabilities of each net (``eval_bn``, ``eval_no_bn``)."""
        snap = self._snap or self.model.snapshot
        if snap is None or "bn" not in snap.runs:
            return {}
        x = np.asarray(xy, dtype=np.float64).reshape(1, -1)
        out = {"x": x[0], "step": snap.step, "train_error": None, "train_message": None}
        bn_net = snap.runs["bn"].net.clone()        # a train-mode pass would touch its stats
        try:
            with np.errstate(all="ignore"):
                bn_net.forward(x.astype(bn_net.flat_params.dtype), train=True)
        except BatchNormError as e:
            out["train_error"] = str(e)
            out["train_message"] = ONE_EXAMPLE_TRAIN_MODE
        except ValueError as e:                     # e.g. inputs of another dataset's width
            out["train_error"] = str(e)
            out["train_message"] = str(e)
        for name, run in snap.runs.items():
            out[f"diverged_{name}"] = run.diverged_at
            try:
                with np.errstate(all="ignore"):
                    z = run.net.logits(x, train=False).astype(np.float64)
                    out[f"eval_{name}"] = softmax(z)[0]
            except ValueError:
                out[f"eval_{name}"] = None
        return out

    def predict_random(self) -> None:
        """Select a random validation example (every panel that follows the selection sees it)."""
        X = self.model.split.X_val
        if X.shape[0] == 0:
            return
        self.model.select_point(X[int(self._rng.integers(X.shape[0]))])

    def _forget_point(self) -> None:
        """The example was clicked on other data: back to the prompt, no bars."""
        self._point = None
        self.result.setText(PREDICT_PROMPT)
        for bars in self.prob_bars.values():
            bars.setOpts(x=np.empty(0), height=np.empty(0))

    def _set_classes(self, force: bool = False) -> None:
        names = list(self.model.split.class_names)
        if not force and len(names) == self._prob_classes:
            return
        self._prob_classes = len(names)
        self.p_prob.getAxis("bottom").setTicks([[(i, str(n)[:8]) for i, n in enumerate(names)]])
        self.p_prob.setXRange(-0.6, len(names) - 0.4, padding=0)
        for bars in self.prob_bars.values():
            bars.setOpts(x=np.empty(0), height=np.empty(0))

    def show_prediction(self, xy) -> None:
        if xy is None:
            return
        self._point = np.asarray(xy, dtype=np.float64)
        res = self.predict_one(self._point)
        if not res:
            return
        names = list(self.model.split.class_names)
        self._set_classes()
        lines = [f"<b>One example</b>: {point_html(self.model.split, res['x'])} at step "
                 f"{res['step']}"]
        if not self.model.config.hidden:
            lines.append("This network has no hidden layer, hence no batch norm: both nets "
                         "are the same softmax regression.")
        elif res["train_error"]:
            lines.append(f"<b>Training mode</b> (mini-batch μ, σ²): {res['train_message']}.")
        lines.append("<b>Evaluation mode</b> (running μ, σ²):" if self.model.config.hidden
                     else "<b>Prediction</b>:")
        for k, name in enumerate(("bn", "no_bn")):
            bars = self.prob_bars[name]
            p = res.get(f"eval_{name}")
            label = f"<span style='color:{RUN_COLORS[name]}'><b>{RUN_LABELS[name]}</b></span>"
            if p is None or len(p) != len(names):     # a snapshot from before a dataset switch
                bars.setOpts(x=np.empty(0), height=np.empty(0))
                lines.append(f"{label}: waiting for the new run")
                continue
            if not np.all(np.isfinite(p)):
                bars.setOpts(x=np.empty(0), height=np.empty(0))
                lines.append(f"{label}: diverged, no prediction")
                continue
            c = int(np.argmax(p))
            bars.setOpts(x=np.arange(len(p)) + (k - 0.5) * BAR_WIDTH, height=p)
            diverged = res.get(f"diverged_{name}")
            note = f" — diverged at step {diverged}, last weights" if diverged else ""
            lines.append(f"{label}: class <b>{escape(names[c])}</b> (a = {p[c]:.3f}){note}")
        self.result.setText("<br>".join(lines))

    def plots(self) -> dict:
        return {"batch_vs_running_mean": self.p_mean, "batch_vs_running_var": self.p_var,
                "mean_over_steps": self.p_mean_t, "var_over_steps": self.p_var_t,
                "one_example_probabilities": self.p_prob}


def _finite(v, f: int) -> np.ndarray:
    """A per-unit statistic with NaN where it is missing or not finite (a diverged net)."""
    if v is None:
        return np.full(f, np.nan)
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isfinite(v), v, np.nan)
