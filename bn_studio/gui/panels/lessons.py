"""Guided lessons: each sets up the studio, says what to watch, runs an experiment and asks a
question the plots answer. The lessons themselves are data (bn_studio.core.lessons)."""

from __future__ import annotations

import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSlider, QVBoxLayout, QWidget)

from bn_studio.core import lessons as L
from bn_studio.core.search import Search, SearchSpec, best_result
from bn_studio.core.stats import histogram

from ..model import DatasetSpec
from ..plotting import add_legend, cache_axes
from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel

WELCOME = ("<h3>Welcome to BN Studio</h3><p>Two copies of the same network train side by side on "
           "the same data: one with batch normalization, one without. Six short lessons walk "
           "through the ideas: pick one below, or just press Play and explore.</p>")


def _label(text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.RichText)
    return lab


STALE_SEARCH = ("<br><i>The network or data changed since these searches ran: run them "
                "again to compare on the current settings.</i>")
GVR_KEYS = {"grid": "<span style='color:#ff7f0e'>■</span>",      # the plot's symbols
            "random": "<span style='color:#1f77b4'>●</span>"}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pow10(v: float) -> str:
    """1e-4 → '10⁻⁴', 1 → '1': short decade labels that fit side by side."""
    k = int(round(np.log10(v)))
    return "1" if k == 0 else "10" + str(k).translate(SUPERSCRIPT)


class _Pages(QWidget):
    """Like QStackedWidget, but only the current page takes room (hidden pages do not count
    in the layout): a short lesson gets no gaps sized for the tallest one, and wrapped text
    gets its height for the actual width."""

    def __init__(self) -> None:
        super().__init__()
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._current: QWidget | None = None

    def addWidget(self, w: QWidget) -> None:          # noqa: N802 (QStackedWidget's name)
        self._lay.addWidget(w)
        w.setVisible(self._current is None)
        if self._current is None:
            self._current = w

    def setCurrentWidget(self, w: QWidget) -> None:   # noqa: N802
        for i in range(self._lay.count()):
            page = self._lay.itemAt(i).widget()
            page.setVisible(page is w)
        self._current = w

    def currentWidget(self) -> QWidget | None:        # noqa: N802
        return self._current


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
        self.chooser.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(16)      # long titles elide, not widen the dock
        self.chooser.addItem("Choose a lesson…", None)
        for les in L.LESSONS:
            self.chooser.addItem(les.title, les.id)
        self.chooser.activated.connect(
            lambda i: self.start(self.chooser.itemData(i)) if self.chooser.itemData(i) else None)
        self.title_label = _label(WELCOME)
        self.steps_label = _label()
        self.stack = _Pages()
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
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        model.searches.resultsAdded.connect(lambda name, _new: self._on_search(name))
        model.searches.finished.connect(self._on_search)
        self._searches: dict[str, Search] = {}
        self._show_welcome()
        model.pointSelected.connect(self._on_point)
        model.snapshotReady.connect(self._on_snapshot)
        model.configChanged.connect(lambda _cfg: self._mark_stale())
        model.datasetChanged.connect(lambda _split: self._mark_stale())

    # ---- navigation ---------------------------------------------------------------------
    def _show_welcome(self) -> None:
        self.current = None
        self.title_label.setText(WELCOME)
        self.steps_label.setText("<br>".join(les.title for les in L.LESSONS))
        self._show_page("welcome")
        for w in (self.question, self.show_answer, self.answer):
            w.setVisible(False)
        self.prev_button.setEnabled(False)
        self.next_button.setText("Start lesson 1 ▶")
        self.scroll_to_top()

    def _show_page(self, name: str) -> None:
        self.stack.setCurrentWidget(self.experiments[name])

    def scroll_to_top(self) -> None:
        """A new lesson opens at its title, not where the previous one was scrolled to."""
        self.scroll.verticalScrollBar().setValue(0)

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
        self._show_page(les.experiment)
        ids = [x.id for x in L.LESSONS]
        self.prev_button.setEnabled(ids.index(les.id) > 0)
        self.next_button.setEnabled(ids.index(les.id) < len(ids) - 1)
        self.next_button.setText("Next ▶")
        window = self.window()
        if hasattr(window, "raise_panel"):
            window.raise_panel(les.panel)
            window.raise_panel(self.name)
        self.model.set_speed(les.speed)     # a lesson sets its pace (None: as fast as it goes)
        if les.experiment == "scales":
            self.update_scales()
        if les.experiment == "bn_by_hand":
            self.new_minibatch()
        if les.experiment == "softmax":
            self.show_worked_example()
        if les.experiment == "test_time":
            self._reset_test_time()
        self.scroll_to_top()

    def shutdown(self) -> None:
        self._cancel_searches()

    # ---- lesson 1: grid vs random ------------------------------------------------------
    def _build_grid_vs_random(self, lay) -> None:
        self.gvr_button = QPushButton("Run both searches")
        self.gvr_button.clicked.connect(self.run_grid_vs_random)
        self.gvr_label = _label("Each trial trains the network for 150 steps with its own α and "
                                "learning-rate decay.")
        self.gvr_tally_label = _label()
        self.gvr_plot = _plot(190)
        # Log loss too: diverging trials (loss ≫ 1) must not squash the ones near the best α.
        self.gvr_plot.setLogMode(x=True, y=True)
        # Fixed room beyond 1e-4 … 10 so the end labels (10⁻⁴, 10¹) are not clipped.
        self.gvr_plot.setXRange(-4.4, 1.4, padding=0)
        self.gvr_plot.enableAutoRange(x=False)
        self.gvr_plot.setLabel("bottom", "learning rate α")
        self.gvr_plot.setLabel("left", "val loss")
        self.gvr_plot.getAxis("bottom").setTicks([[(k, _pow10(10.0 ** k) if k < -2 else
                                                    f"{10.0 ** k:g}")
                                                   for k in range(-4, 2)]])
        self.gvr_plot.getAxis("left").setTicks([[(float(np.log10(v)), f"{v:g}")
                                                 for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 5)]])
        self.gvr_items = {
            "grid": self.gvr_plot.plot(pen=None, symbol="s", symbolSize=9, symbolBrush="#ff7f0e",
                                       name="grid (5 × 5)"),
            "random": self.gvr_plot.plot(pen=None, symbol="o", symbolSize=7,
                                         symbolBrush="#1f77b4", name="random (25)")}
        best = pg.InfiniteLine(pos=0.0, angle=90, movable=False,
                               pen=pg.mkPen("#888888", width=1, style=Qt.DashLine),
                               label="best α ≈ 1", labelOpts={"position": 0.92,
                                                               "color": "#888888"})
        self.gvr_plot.addItem(best, ignoreBounds=True)
        self.gvr_seed = 0
        self.gvr_tally = {"runs": 0, "random": 0}
        for w in (self.gvr_button, self.gvr_label, self.gvr_tally_label, self.gvr_plot):
            lay.addWidget(w)

    def run_grid_vs_random(self) -> None:
        """Both searches of lesson 1 with the next seed; the tally says how often random won."""
        self._cancel_searches()
        base = self.model.config.replace(steps=150, eval_every=50)
        self._gvr_counted = False
        self._gvr_run_seed = self.gvr_seed
        self.gvr_seed += 1
        for strategy in ("grid", "random"):
            spec = SearchSpec(L.GRID_VS_RANDOM_SPACE, 25, base, seed=self._gvr_run_seed,
                              strategy=strategy)
            s = self.model.searches.start(f"lesson-{strategy}", spec, self.model.split,
                                          workers=max(1, (os.cpu_count() or 2) // 2)).search
            self._searches[strategy] = s
        self.gvr_button.setEnabled(False)
        self.gvr_button.setText("Running…")
        self._poll_searches()

    def _poll_searches(self) -> None:
        lines = [f"Seed {self._gvr_run_seed}:"] if self._searches else []
        bests = {}
        for strategy, s in self._searches.items():
            results = self.model.searches.results(f"lesson-{strategy}")
            shown = [r for r in results if r["status"] == "ok" and r["val_loss"] is not None]
            if shown:
                self.gvr_items[strategy].setData([r["params"]["lr"] for r in shown],
                                                 [r["val_loss"] for r in shown])
            else:
                self.gvr_items[strategy].setData([], [])
            best = bests[strategy] = best_result(results)
            lrs = len({r["params"]["lr"] for r in results})
            key = GVR_KEYS[strategy]
            lines.append(f"{key} <b>{strategy}</b>: {len(results)}/{s.total} trials, "
                         f"{lrs} distinct α"
                         + (f", best val loss {best['val_loss']:.3f} (α = "
                            f"{best['params']['lr']:.2g})" if best else ""))
        self.gvr_label.setText("<br>".join(lines))
        if self._searches and all(self.model.searches.run(f"lesson-{k}").reported
                                  for k in self._searches):     # every result delivered
            self.gvr_button.setEnabled(True)
            self.gvr_button.setText("Run both searches again (next seed)")
            if not self._gvr_counted and all(bests.get(k) for k in ("grid", "random")) and all(
                    len(s.results) == s.total for s in self._searches.values()):
                self._gvr_counted = True
                self.gvr_tally["runs"] += 1
                self.gvr_tally["random"] += (bests["random"]["val_loss"]
                                             < bests["grid"]["val_loss"])
                t = self.gvr_tally
                self.gvr_tally_label.setText(
                    f"Random search found the lower loss in <b>{t['random']} of {t['runs']}</b> "
                    "runs so far (over 10 seeds: 8 of 10).")

    def _on_search(self, name: str) -> None:
        if name.startswith("lesson-") and self._searches:
            self._poll_searches()

    def _cancel_searches(self) -> None:
        for s in self._searches.values():
            s.cancel()
        for s in self._searches.values():
            s.join(5)
        if hasattr(self, "gvr_button"):
            self.gvr_button.setEnabled(True)
            self.gvr_button.setText("Run both searches")

    # ---- lesson 2: scales --------------------------------------------------------------
    def _build_scales(self, lay) -> None:
        self.scales_plot = _plot(180)
        self.scales_plot.setLabel("left", "share (%)")
        self.scales_plot.getAxis("left").enableAutoSIPrefix(False)     # 80 %, not "800 (x0.001)"
        self.scales_plot.setYRange(0, 108, padding=0)     # room for the "100" label
        self.scales_plot.getAxis("left").setTicks([[(v, str(v)) for v in (0, 25, 50, 75, 100)]])
        self.scales_plot.setXRange(-1.0, 3.8, padding=0)
        self.scales_plot.setLabel("bottom", "α")
        add_legend(self.scales_plot, offset=(5, 5))
        self.scales_bars = {
            "uniform": pg.BarGraphItem(x=[], height=[], width=0.4, brush="#ff7f0e",
                                       name="uniform"),
            "log": pg.BarGraphItem(x=[], height=[], width=0.4, brush="#1f77b4", name="log")}
        for item in self.scales_bars.values():
            self.scales_plot.addItem(item)
        self.scales_label = _label()
        lay.addWidget(_label("α in 1e-4 … 1: share of 1 000 samples per decade, uniform vs "
                             "log scale"))
        lay.addWidget(self.scales_plot)
        lay.addWidget(self.scales_label)

    def update_scales(self) -> None:
        c = L.scale_comparison()
        self.scale_values = c
        x = np.arange(len(c["lr_log"]))
        self.scales_bars["uniform"].setOpts(x=x - 0.2,
                                            height=[100 * s for *_, s in c["lr_uniform"]])
        self.scales_bars["log"].setOpts(x=x + 0.2, height=[100 * s for *_, s in c["lr_log"]])
        # Decade edges as ticks between the bar pairs: short labels that never overlap.
        edges = [a for a, _, _ in c["lr_log"]] + [c["lr_log"][-1][1]]
        self.scales_plot.getAxis("bottom").setTicks(
            [[(i - 0.5, _pow10(e)) for i, e in enumerate(edges)]])
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
        h_in = histogram(self.bn_z, edges, density=False)
        h_out = histogram(v["z_tilde"], edges, density=False)
        self.bn_in.setData(edges, h_in)
        self.bn_out.setData(edges, h_out)
        # Headroom above the tallest bar: the legend sits there instead of over the bars.
        self.bn_plot.setYRange(0, 1.8 * max(1.0, float(h_in.max()), float(h_out.max())),
                               padding=0)
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
        shift.setToolTip("Add (1.5, 1.0) to every input, training and validation, from now on, "
                         "without resetting")
        shift.clicked.connect(lambda: self.model.shift_inputs((1.5, 1.0)))
        self.grad_plot = _plot(170)
        self.grad_plot.setLogMode(y=True)
        self.grad_plot.setLabel("bottom", "hidden layer")
        self.grad_plot.setLabel("left", "‖dW‖")
        self.grad_plot.setToolTip("Size of each hidden layer's weight gradient on the last "
                                  "mini-batch (log scale). Without BN the first layers get "
                                  "gradients 10–100× smaller: they barely learn (vanishing "
                                  "gradients), so the loss stalls.")
        self.grad_plot.getAxis("left").enableAutoSIPrefix(False)
        self.grad_items = {
            run: self.grad_plot.plot(pen=pg.mkPen(RUN_COLORS[run], width=2), symbol="o",
                                     symbolSize=7, symbolBrush=RUN_COLORS[run],
                                     symbolPen=None, name=RUN_LABELS[run])
            for run in ("bn", "no_bn")}
        self.grad_label = _label()
        lay.addWidget(play)
        lay.addWidget(self.grad_plot)
        lay.addWidget(self.grad_label)
        lay.addWidget(shift)
        lay.addWidget(_label("After the shift, watch the thick (validation) and thin "
                             "(mini-batch) loss curves of each net."))
        high = QPushButton("ReLU, plain SGD, α = 1")
        high.setToolTip("Same deep net with ReLU and plain SGD at α = 1 (restarts training)")
        high.clicked.connect(self.try_high_lr)
        lay.addWidget(high)

    def try_high_lr(self) -> None:
        self.model.set_config(self.model.config.replace(**L.HIGH_LR_CONFIG))
        self.model.play()

    def update_gradients(self, snap) -> None:
        """Per-layer weight-gradient norms of both nets from the snapshot (lesson 4)."""
        norms = {run: snap.runs[run].grad_norms for run in ("bn", "no_bn")
                 if run in snap.runs and snap.runs[run].grad_norms is not None}
        if not norms:
            return
        lines, shown = [], []
        for run, g in norms.items():
            g = np.asarray(g, dtype=np.float64)
            ok = np.isfinite(g) & (g > 0)
            layers = np.arange(1, g.size + 1)
            self.grad_items[run].setData(layers[ok], g[ok])
            shown.extend(g[ok])
            lines.append(f"<span style='color:{RUN_COLORS[run]}'>●</span> {RUN_LABELS[run]}: "
                         + ", ".join(f"{v:.2g}" for v in g))
        n = len(next(iter(norms.values())))
        self.grad_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(1, n + 1)]])
        self.grad_plot.setXRange(0.7, n + 0.3, padding=0)
        if shown:       # whole decades, labelled 10⁻³, 10⁻², …: sizes compare at a glance
            lo = int(np.floor(np.log10(min(shown))))
            hi = max(lo + 1, int(np.ceil(np.log10(max(shown)))))
            self.grad_plot.setYRange(lo, hi, padding=0.05)
            self.grad_plot.getAxis("left").setTicks(
                [[(k, _pow10(10.0 ** k)) for k in range(lo, hi + 1)]])
        self.grad_label.setText(f"‖dW‖ per layer at step {snap.step}, layer 1 first:<br>"
                                + "<br>".join(lines))

    def _on_snapshot(self, snap) -> None:
        if self.current is not None and self.current.experiment == "why_bn":
            self.update_gradients(snap)

    # ---- lesson 5: test time -----------------------------------------------------------
    def _build_test_time(self, lay) -> None:
        self.tt_batch = QComboBox()
        for b in (2, 8, 128):
            self.tt_batch.addItem(f"batch size {b}", b)
        self.tt_batch.setCurrentIndex(1)
        self.tt_batch.setToolTip("Mini-batch size m. At m = 2 BN maps every unit to ±1. "
                                 "Changing it resets training.")
        self.tt_batch.activated.connect(lambda _i: self._apply_test_time())
        self.tt_beta = QComboBox()
        for d in (0.5, 0.9, 0.99):
            self.tt_beta.addItem(f"EWMA β = {d}", d)
        self.tt_beta.setCurrentIndex(1)
        self.tt_beta.setToolTip("β of BN's running averages (PyTorch's momentum is 1 − β; not "
                                "BN's learned shift β). Changing it resets training.")
        self.tt_beta.activated.connect(lambda _i: self._apply_test_time())
        play = QPushButton("Train 500 steps")
        play.clicked.connect(lambda: self.model.step(500))
        measure = QPushButton("Measure")
        measure.setToolTip("Validation accuracy of the net as it is now: with batch statistics, "
                           "with running statistics, and of the net without BN")
        measure.clicked.connect(self.measure_test_time)
        row = QHBoxLayout()
        row.addWidget(play)
        row.addWidget(measure)
        self.tt_label = _label("Train, then press 'Measure'.")
        self.tt_point = _label("Click a point on the decision regions to predict it inside two "
                               "different mini-batches.")
        for w in (self.tt_batch, self.tt_beta):
            lay.addWidget(w)
        lay.addLayout(row)
        for w in (self.tt_label, self.tt_point):
            lay.addWidget(w)

    def _reset_test_time(self) -> None:
        cfg = self.model.config
        for box, value in ((self.tt_batch, cfg.batch), (self.tt_beta, cfg.bn_decay)):
            i = box.findData(value)
            if i >= 0:
                box.setCurrentIndex(i)
        self._tt_measured = False
        self.tt_label.setText("Train, then press 'Measure'.")

    def _apply_test_time(self) -> None:
        self.model.set_config(self.model.config.replace(batch=int(self.tt_batch.currentData()),
                                                        bn_decay=float(self.tt_beta.currentData())))

    def _mark_stale(self) -> None:
        """Settings changed (training restarts): an old measurement no longer applies."""
        done = self._searches and all(x.finished.is_set() for x in self._searches.values())
        if done and STALE_SEARCH not in self.gvr_label.text():
            self.gvr_label.setText(self.gvr_label.text() + STALE_SEARCH)
        if getattr(self, "_tt_measured", False):
            self._tt_measured = False
            self.tt_label.setText("<i>Settings changed, training restarted: the last "
                                  "measurement is gone. Train, then press 'Measure' again.</i>")

    def measure_test_time(self) -> dict | None:
        snap = self.model.snapshot
        if snap is None:
            return None
        split = self.model.split
        res = L.train_vs_eval_accuracy(snap.runs["bn"].net, split.X_val, split.y_val,
                                       batch=self.model.config.batch)
        if "no_bn" in snap.runs:
            plain = snap.runs["no_bn"].net.logits(split.X_val)
            res["no_bn"] = float(np.mean(np.argmax(plain, axis=1) == split.y_val))
        self._tt_measured = True
        self.tt_label.setText(
            f"<b>Step {snap.step}, batch {res['batch']}</b>, validation accuracy of the net with "
            f"BN:<br>each mini-batch's own statistics (train mode) <b>{res['train_mode']:.3f}</b>"
            f"<br>running averages (eval mode) <b>{res['eval_mode']:.3f}</b>"
            + (f"<br>the net without BN: <b>{res['no_bn']:.3f}</b>" if "no_bn" in res else ""))
        self.scroll.ensureWidgetVisible(self.tt_label)
        return res

    def show_point_in_two_batches(self, xy) -> dict | None:
        """One point predicted in training mode inside two random mini-batches, and in eval."""
        snap = self.model.snapshot
        if snap is None or "bn" not in snap.runs or not snap.config.hidden:
            return None
        split = self.model.split
        batch = max(2, self.model.config.batch)
        seed = int(self._bn_rng.integers(1 << 30))
        try:
            v = L.one_point_in_two_batches(snap.runs["bn"].net, np.asarray(xy), split.X_train,
                                           batch, seed)
        except ValueError:                  # a snapshot from before a dataset switch
            return None
        names = list(split.class_names)

        def fmt(p):
            c = int(np.argmax(p))
            return f"class {names[c] if c < len(names) else c} (a = {p[c]:.3f})"
        self.tt_point.setText(
            f"Point ({xy[0]:.2f}, {xy[1]:.2f}) in training mode, batch statistics:<br>"
            f"inside batch A: {fmt(v['batch_a'])}; inside batch B: {fmt(v['batch_b'])}<br>"
            f"(max |Δa| = {np.abs(v['batch_a'] - v['batch_b']).max():.3f}: it depends on the "
            f"other {batch - 1} examples). Eval mode, running statistics: {fmt(v['eval'])}.")
        return v

    # ---- lesson 6: softmax -------------------------------------------------------------
    def _build_softmax(self, lay) -> None:
        # Short labels: two per row must fit the narrow dock without a horizontal scroll bar.
        buttons = (("No hidden layer", lambda: self._softmax_config(hidden=())),
                   ("2 hidden layers", lambda: self._softmax_config(hidden=(32, 32))),
                   ("Two classes", lambda: self._softmax_classes(2)),
                   ("Four classes", lambda: self._softmax_classes(4)))
        grid = QGridLayout()
        for i, (text, slot) in enumerate(buttons):
            b = QPushButton(text)
            b.clicked.connect(slot)
            grid.addWidget(b, i // 2, i % 2)
        lay.addLayout(grid)
        self.sm_worked = _label()
        self.sm_label = _label("Click a point on the decision regions.")
        lay.addWidget(self.sm_worked)
        lay.addWidget(self.sm_label)

    def show_worked_example(self) -> dict:
        """The course's z = [5, 2, −1, 3] with true class 0, every number from the core."""
        w = L.softmax_worked_example()

        def vec(v, f="{:.3g}"):
            return "(" + ", ".join(f.format(x).replace("-", "−") for x in v) + ")"
        self.sm_worked.setText(
            f"<b>Worked example</b>, z = {vec(w['z'], '{:g}')}, true class 0 (y = "
            f"{vec(w['y'], '{:g}')}):<br>t = e^z = {vec(w['t'], '{:.4g}')}, Σt = "
            f"{w['t_sum']:.1f}<br>a = t/Σt = {vec(w['a'])}; hardmax = "
            f"{vec(w['hardmax'], '{:g}')}<br>L = −Σ y log a = −log {w['a'][0]:.3f} = "
            f"{w['loss']:.3f}; dz = a − y = {vec(w['dz'], '{:+.3f}')}<br>"
            f"<i>The inspector computes t = e^(z − max z) = {vec(w['t_shifted'])}: the same a, "
            f"without overflow for large z.</i>")
        return w

    def _softmax_config(self, hidden) -> None:
        self.model.set_config(self.model.config.replace(hidden=tuple(hidden)))
        self.model.play()

    def _softmax_classes(self, c: int) -> None:
        self.model.set_spec(DatasetSpec("blobs", n=600, noise=0.2, classes=c))
        self.model.play()

    def _on_point(self, xy):
        if self.current is not None and self.current.experiment == "test_time":
            return self.show_point_in_two_batches(xy)
        if self.current is None or self.current.experiment != "softmax":
            return None
        snap = self.model.snapshot
        if snap is None:
            return None
        z = snap.runs["bn"].net.logits(np.asarray(xy).reshape(1, 2)).astype(np.float64)[0]
        if z.size == 2:
            v = L.logistic_equivalence(z)
            v["z"] = z
            self.sm_label.setText(f"C = 2: z = ({z[0]:.2f}, {z[1]:.2f}); softmax a₁ = "
                                  f"{v['a1']:.4f}; logistic σ(z₁ − z₀) = {v['sigmoid']:.4f} — "
                                  "the same number.")
            return v
        else:
            self.sm_label.setText(f"C = {z.size}: see z, e^z and a in the Softmax inspector. "
                                  "Press 'Two classes' to compare with logistic regression.")
        return None


# Settings a lesson does not name keep these values, so lessons do not inherit odd leftovers.
L_DEFAULTS = {"hidden": (32, 32), "activation": "relu", "optimizer": "adam", "lr": 0.01,
              "batch": 64, "eval_every": 10}
