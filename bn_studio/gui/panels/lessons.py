"""Guided lessons: each sets up the studio, says what to watch, runs an experiment and asks a
question the plots answer. The lessons themselves are data (bn_studio.core.lessons)."""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSlider, QStackedWidget, QVBoxLayout, QWidget)

from bn_studio.core import lessons as L
from bn_studio.core.search import Search, SearchSpec, best_result
from bn_studio.core.stats import histogram

from ..model import DatasetSpec
from ..plotting import add_legend, cache_axes
from .base import Panel

WELCOME = ("<h3>Welcome to BN Studio</h3><p>Two copies of the same network train side by side on "
           "the same data: one with batch normalization, one without. Six short lessons walk "
           "through the ideas: pick one below, or just press Play and explore.</p>")


def _label(text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.RichText)
    return lab


def _plot(height: int = 170) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setFixedHeight(height)
    w.setMouseEnabled(x=False, y=False)
    w.hideButtons()
    cache_axes(w.getPlotItem())
    return w


class LessonsPanel(Panel):
    title = "Lessons"
    name = "lessons"
    area = "left"
    tabify_with = "datasets"
    help_text = ("Guided experiments, one idea each: grid vs random search, picking the scale, "
                 "batch norm by hand, why batch norm helps, batch norm at test time, softmax.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.current: L.Lesson | None = None
        self.chooser = QComboBox()
        self.chooser.addItem("Choose a lesson…", None)
        for les in L.LESSONS:
            self.chooser.addItem(les.title, les.id)
        self.chooser.activated.connect(
            lambda i: self.start(self.chooser.itemData(i)) if self.chooser.itemData(i) else None)
        self.title_label = _label(WELCOME)
        self.steps_label = _label()
        self.stack = QStackedWidget()
        self.experiments = {"welcome": QWidget()}
        self.stack.addWidget(self.experiments["welcome"])
        for name, build in (("grid_vs_random", self._build_grid_vs_random),
                            ("scales", self._build_scales), ("bn_by_hand", self._build_bn),
                            ("why_bn", self._build_why), ("test_time", self._build_test_time),
                            ("softmax", self._build_softmax)):
            w = QWidget()
            build(QVBoxLayout(w))
            self.experiments[name] = w
            self.stack.addWidget(w)
        self.question = _label()
        self.answer = _label()
        self.answer.setVisible(False)
        self.show_answer = QPushButton("Show answer")
        self.show_answer.clicked.connect(lambda: self.answer.setVisible(True))
        self.prev_button, self.next_button = QPushButton("◀ Previous"), QPushButton("Next ▶")
        self.prev_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(+1))
        nav = QHBoxLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)

        body = QWidget()
        lay = QVBoxLayout(body)
        for w in (self.chooser, self.title_label, self.steps_label, self.stack, self.question,
                  self.show_answer, self.answer):
            lay.addWidget(w)
        lay.addLayout(nav)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._search_timer = QTimer(self)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self._poll_searches)
        self._searches: dict[str, Search] = {}
        self._show_welcome()
        model.pointSelected.connect(self._on_point)

    # ---- navigation ---------------------------------------------------------------------
    def _show_welcome(self) -> None:
        self.title_label.setText(WELCOME)
        self.steps_label.setText("<br>".join(les.title for les in L.LESSONS))
        self.stack.setCurrentWidget(self.experiments["welcome"])
        for w in (self.question, self.show_answer, self.answer):
            w.setVisible(False)
        self.prev_button.setEnabled(False)
        self.next_button.setText("Start lesson 1 ▶")

    def go(self, delta: int) -> None:
        ids = [les.id for les in L.LESSONS]
        i = -1 if self.current is None else ids.index(self.current.id)
        j = min(max(0, i + delta), len(ids) - 1)
        self.start(ids[j])

    def start(self, lesson_id: str) -> None:
        """Set the studio up for a lesson and show its text and experiment."""
        les = L.lesson(lesson_id)
        self.current = les
        self._cancel_searches()
        if les.dataset is not None:
            self.model.set_spec(DatasetSpec(**les.dataset))
        if les.config:
            from bn_studio.core.trainer import TrainConfig
            self.model.set_config(TrainConfig(**{**L_DEFAULTS, **les.config}))
        self.chooser.setCurrentIndex(self.chooser.findData(les.id))
        self.title_label.setText(f"<h3>{les.title}</h3><p>{les.intro}</p>")
        self.steps_label.setText("<ol>" + "".join(f"<li>{s}</li>" for s in les.steps) + "</ol>")
        self.question.setText(f"<b>Question:</b> {les.question}")
        self.answer.setText(f"<b>Answer:</b> {les.answer}")
        for w in (self.question, self.show_answer):
            w.setVisible(True)
        self.answer.setVisible(False)
        self.stack.setCurrentWidget(self.experiments[les.experiment])
        ids = [x.id for x in L.LESSONS]
        self.prev_button.setEnabled(ids.index(les.id) > 0)
        self.next_button.setEnabled(ids.index(les.id) < len(ids) - 1)
        self.next_button.setText("Next ▶")
        window = self.window()
        if hasattr(window, "raise_panel"):
            window.raise_panel(les.panel)
            window.raise_panel(self.name)
        if les.experiment == "scales":
            self.update_scales()
        if les.experiment == "bn_by_hand":
            self.new_minibatch()

    def shutdown(self) -> None:
        self._cancel_searches()

    # ---- lesson 1: grid vs random ------------------------------------------------------
    def _build_grid_vs_random(self, lay) -> None:
        self.gvr_button = QPushButton("Run both searches")
        self.gvr_button.clicked.connect(self.run_grid_vs_random)
        self.gvr_label = _label("Each trial trains the network for 150 steps.")
        self.gvr_plot = _plot(190)
        self.gvr_plot.setLogMode(x=True)
        self.gvr_plot.setLabel("bottom", "learning rate α")
        self.gvr_plot.setLabel("left", "val loss")
        add_legend(self.gvr_plot, offset=(5, 5))
        self.gvr_items = {
            "grid": self.gvr_plot.plot(pen=None, symbol="s", symbolSize=9, symbolBrush="#ff7f0e",
                                       name="grid (5 × 5)"),
            "random": self.gvr_plot.plot(pen=None, symbol="o", symbolSize=7,
                                         symbolBrush="#1f77b4", name="random (25)")}
        for w in (self.gvr_button, self.gvr_label, self.gvr_plot):
            lay.addWidget(w)

    def run_grid_vs_random(self) -> None:
        self._cancel_searches()
        base = self.model.config.replace(steps=150, eval_every=50)
        plans = L.grid_vs_random_plans()
        for strategy in ("grid", "random"):
            spec = SearchSpec(L.GRID_VS_RANDOM_SPACE, len(plans[strategy]), base, seed=0,
                              strategy=strategy)
            s = Search(spec, self.model.split, workers=max(1, (os.cpu_count() or 2) // 2))
            self._searches[strategy] = s
            s.start()
        self.gvr_button.setEnabled(False)
        self._search_timer.start()
        self._poll_searches()

    def _poll_searches(self) -> None:
        lines = []
        for strategy, s in self._searches.items():
            results = s.results
            shown = [r for r in results if r["status"] == "ok" and r["val_loss"] is not None]
            if shown:
                self.gvr_items[strategy].setData([r["params"]["lr"] for r in shown],
                                                 [r["val_loss"] for r in shown])
            best = best_result(results)
            lrs = len({r["params"]["lr"] for r in results})
            lines.append(f"<b>{strategy}</b>: {len(results)}/{s.total} trials, {lrs} distinct α"
                         + (f", best val loss {best['val_loss']:.3f} (α = "
                            f"{best['params']['lr']:.3g})" if best else ""))
        self.gvr_label.setText("<br>".join(lines))
        if self._searches and all(s.finished.is_set() for s in self._searches.values()):
            self._search_timer.stop()
            self.gvr_button.setEnabled(True)

    def _cancel_searches(self) -> None:
        self._search_timer.stop()
        for s in self._searches.values():
            s.cancel()
        for s in self._searches.values():
            s.join(5)
        if hasattr(self, "gvr_button"):
            self.gvr_button.setEnabled(True)

    # ---- lesson 2: scales --------------------------------------------------------------
    def _build_scales(self, lay) -> None:
        self.scales_plot = _plot(180)
        self.scales_plot.setLabel("left", "share of samples")
        add_legend(self.scales_plot, offset=(5, 5))
        self.scales_bars = {
            "uniform": pg.BarGraphItem(x=[], height=[], width=0.4, brush="#ff7f0e",
                                       name="uniform"),
            "log": pg.BarGraphItem(x=[], height=[], width=0.4, brush="#1f77b4", name="log")}
        for item in self.scales_bars.values():
            self.scales_plot.addItem(item)
        self.scales_label = _label()
        lay.addWidget(_label("α in 1e-4 … 1: share of 1 000 samples per decade"))
        lay.addWidget(self.scales_plot)
        lay.addWidget(self.scales_label)

    def update_scales(self) -> None:
        c = L.scale_comparison()
        self.scale_values = c
        x = np.arange(len(c["lr_log"]))
        self.scales_bars["uniform"].setOpts(x=x - 0.2, height=[s for *_, s in c["lr_uniform"]])
        self.scales_bars["log"].setOpts(x=x + 0.2, height=[s for *_, s in c["lr_log"]])
        self.scales_plot.getAxis("bottom").setTicks(
            [[(i, f"{a:g}–{b:g}") for i, (a, b, _) in enumerate(c["lr_log"])]])
        w = c["windows"]
        self.scales_label.setText(
            f"Uniform: {c['lr_uniform'][-1][2]:.0%} of α in 0.1 … 1; log: "
            f"{c['lr_log'][-1][2]:.0%}.<br>β in 0.9 … 0.999: linear puts "
            f"{c['beta_linear_ge_099']:.0%} of samples ≥ 0.99, 1 − β on a log scale "
            f"{c['beta_log_ge_099']:.0%}.<br>EWMA window 1/(1 − β): "
            + ", ".join(f"β = {b} → {v:.0f} values" for b, v in w.items()))

    # ---- lesson 3: BN by hand ----------------------------------------------------------
    def _build_bn(self, lay) -> None:
        self.gamma = QSlider(Qt.Horizontal)
        self.gamma.setRange(5, 300)
        self.gamma.setValue(100)
        self.beta = QSlider(Qt.Horizontal)
        self.beta.setRange(-300, 300)
        self.beta.setValue(0)
        self.gamma.setToolTip("γ: the learnable scale of the normalised values")
        self.beta.setToolTip("β: the learnable shift (it replaces the Dense layer's bias)")
        for s in (self.gamma, self.beta):
            s.valueChanged.connect(lambda _v: self.update_bn())
        grid = QGridLayout()
        self.gamma_label, self.beta_label = QLabel(), QLabel()
        grid.addWidget(self.gamma_label, 0, 0)
        grid.addWidget(self.gamma, 0, 1)
        grid.addWidget(self.beta_label, 1, 0)
        grid.addWidget(self.beta, 1, 1)
        new = QPushButton("New mini-batch")
        new.clicked.connect(self.new_minibatch)
        ident = QPushButton("γ = √(σ²+ε), β = μ")
        ident.setToolTip("These values undo the normalisation: z̃ = z")
        ident.clicked.connect(self.set_identity)
        row = QHBoxLayout()
        row.addWidget(new)
        row.addWidget(ident)
        self.bn_plot = _plot(170)
        add_legend(self.bn_plot, offset=(5, 5))
        self.bn_in = self.bn_plot.plot(stepMode="center", fillLevel=0, pen="#7f7f7f",
                                       brush=(127, 127, 127, 80), name="z (input)")
        self.bn_out = self.bn_plot.plot(stepMode="center", fillLevel=0, pen="#1f77b4",
                                        brush=(31, 119, 180, 90), name="z̃ (output)")
        self.bn_label = _label()
        lay.addLayout(row)
        lay.addLayout(grid)
        lay.addWidget(self.bn_plot)
        lay.addWidget(self.bn_label)
        self.bn_z = np.zeros(2)
        self._bn_rng = np.random.default_rng(0)

    def new_minibatch(self) -> None:
        """One unit's z over a fresh training mini-batch, from the BN net as it is now."""
        split = self.model.split
        n = min(self.model.config.batch, split.X_train.shape[0])
        idx = self._bn_rng.choice(split.X_train.shape[0], size=max(2, n), replace=False)
        snap = self.model.snapshot
        if snap is not None and snap.runs["bn"].net.hidden:
            net = snap.runs["bn"].net.clone()
            net.forward(split.X_train[idx].astype(net.flat_params.dtype), train=True)
            self.bn_z = net.hidden[0].Z[:, 0].astype(np.float64)
        else:
            self.bn_z = split.X_train[idx, 0] * 2.0 + 1.0
        self.update_bn()

    def set_identity(self) -> None:
        v = L.bn_by_hand(self.bn_z)
        self.gamma.setValue(int(round(v["identity_gamma"] * 100)))
        self.beta.setValue(int(round(v["identity_beta"] * 100)))
        self.update_bn(exact=(v["identity_gamma"], v["identity_beta"]))

    def update_bn(self, exact=None) -> None:
        g, b = exact if exact else (self.gamma.value() / 100, self.beta.value() / 100)
        self.gamma_label.setText(f"γ = {g:.2f}")
        self.beta_label.setText(f"β = {b:+.2f}")
        v = L.bn_by_hand(self.bn_z, g, b)
        self.bn_values = v
        lo = min(self.bn_z.min(), v["z_tilde"].min(), -3.0)
        hi = max(self.bn_z.max(), v["z_tilde"].max(), 3.0)
        edges = np.linspace(lo, hi, 31)
        self.bn_in.setData(edges, histogram(self.bn_z, edges, density=False))
        self.bn_out.setData(edges, histogram(v["z_tilde"], edges, density=False))
        first = ", ".join(f"{z:.2f}→{zn:.2f}→{zt:.2f}"
                          for z, zn, zt in zip(self.bn_z[:3], v["z_norm"][:3], v["z_tilde"][:3]))
        self.bn_label.setText(
            f"mini-batch of {self.bn_z.size}: μ = {v['mu']:.3f}, σ² = {v['var']:.3f}<br>"
            f"z → z_norm = (z − μ)/√(σ² + ε) → z̃ = γ·z_norm + β: {first} …<br>"
            f"max |z̃ − z| = {np.abs(v['z_tilde'] - self.bn_z).max():.2e}")

    # ---- lesson 4: why BN helps --------------------------------------------------------
    def _build_why(self, lay) -> None:
        play = QPushButton("Play / pause")
        play.clicked.connect(self.model.toggle_play)
        shift = QPushButton("Shift the inputs (covariate shift)")
        shift.setToolTip("Add (1.5, 1.0) to every input from now on, without resetting")
        shift.clicked.connect(lambda: self.model.shift_inputs((1.5, 1.0)))
        lay.addWidget(play)
        lay.addWidget(shift)
        lay.addWidget(_label("Watch the percentile bands of layer 1 in the histograms panel "
                             "and the loss curves right after the shift."))

    # ---- lesson 5: test time -----------------------------------------------------------
    def _build_test_time(self, lay) -> None:
        self.tt_batch = QComboBox()
        for b in (2, 8, 128):
            self.tt_batch.addItem(f"batch size {b}", b)
        self.tt_batch.setCurrentIndex(1)
        self.tt_batch.activated.connect(lambda _i: self._apply_test_time())
        self.tt_beta = QComboBox()
        for d in (0.5, 0.9, 0.99):
            self.tt_beta.addItem(f"EWMA β = {d}", d)
        self.tt_beta.setCurrentIndex(1)
        self.tt_beta.activated.connect(lambda _i: self._apply_test_time())
        play = QPushButton("Train 500 steps")
        play.clicked.connect(lambda: self.model.step(500))
        measure = QPushButton("Measure")
        measure.clicked.connect(self.measure_test_time)
        self.tt_label = _label()
        for w in (self.tt_batch, self.tt_beta, play, measure, self.tt_label):
            lay.addWidget(w)

    def _apply_test_time(self) -> None:
        self.model.set_config(self.model.config.replace(batch=int(self.tt_batch.currentData()),
                                                        bn_decay=float(self.tt_beta.currentData())))

    def measure_test_time(self) -> dict | None:
        snap = self.model.snapshot
        if snap is None:
            return None
        split = self.model.split
        res = L.train_vs_eval_accuracy(snap.runs["bn"].net, split.X_val, split.y_val,
                                       batch=self.model.config.batch)
        self.tt_label.setText(
            f"step {snap.step}, batch {res['batch']}: validation accuracy with each mini-batch's "
            f"own statistics (train mode) {res['train_mode']:.3f}; with the running averages "
            f"(eval mode) {res['eval_mode']:.3f}.")
        return res

    # ---- lesson 6: softmax -------------------------------------------------------------
    def _build_softmax(self, lay) -> None:
        buttons = (("No hidden layer", lambda: self._softmax_config(hidden=())),
                   ("Two hidden layers", lambda: self._softmax_config(hidden=(32, 32))),
                   ("Two classes (C = 2)", lambda: self._softmax_classes(2)),
                   ("Four classes (C = 4)", lambda: self._softmax_classes(4)))
        grid = QGridLayout()
        for i, (text, slot) in enumerate(buttons):
            b = QPushButton(text)
            b.clicked.connect(slot)
            grid.addWidget(b, i // 2, i % 2)
        lay.addLayout(grid)
        self.sm_label = _label("Click a point on the decision regions.")
        lay.addWidget(self.sm_label)

    def _softmax_config(self, hidden) -> None:
        self.model.set_config(self.model.config.replace(hidden=tuple(hidden)))
        self.model.play()

    def _softmax_classes(self, c: int) -> None:
        self.model.set_spec(DatasetSpec("blobs", n=600, noise=0.2, classes=c))
        self.model.play()

    def _on_point(self, xy) -> None:
        if self.current is None or self.current.experiment != "softmax":
            return
        snap = self.model.snapshot
        if snap is None:
            return
        z = snap.runs["bn"].net.logits(np.asarray(xy).reshape(1, 2)).astype(np.float64)[0]
        if z.size == 2:
            v = L.logistic_equivalence(z)
            self.sm_label.setText(f"C = 2: z = ({z[0]:.2f}, {z[1]:.2f}); softmax a₁ = "
                                  f"{v['a1']:.4f}; logistic σ(z₁ − z₀) = {v['sigmoid']:.4f} — "
                                  "the same number.")
        else:
            self.sm_label.setText(f"C = {z.size}: see z, e^z and a in the Softmax inspector. "
                                  "Press 'Two classes' to compare with logistic regression.")


# Settings a lesson does not name keep these values, so lessons do not inherit odd leftovers.
L_DEFAULTS = {"hidden": (32, 32), "activation": "relu", "optimizer": "adam", "lr": 0.01,
              "batch": 64, "eval_every": 10}
