"""Lesson pages about batch norm itself: one mini-batch by hand (lesson 3), why it helps
(lesson 4: gradient sizes, covariate shift, noisy BN and the smoothness of the loss) and a
tenfold α mid-run (lesson 7)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QLabel, QPushButton,
                               QSlider)

from bn_studio.core.lessons import numbers as L
from bn_studio.core.lessons.pack import Lesson
from bn_studio.core.search.analysis import alpha_range_report, alpha_range_spec
from bn_studio.core.measure.stats import histogram

from ...model import DatasetSpec
from superqt import QFlowLayout

from ...plotting import add_legend
from ...theme import RUN_COLORS, RUN_LABELS
from .widgets import _label, _plot, _pow10

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from ..base import Panel as _Host
else:
    _Host = object


class BnPages(_Host):
    """Lessons 3, 4 and 7 of the lessons panel (a mixin: it uses the panel's model)."""

    current: Lesson | None      # set up by LessonsPanel

    def _build_bn(self, lay) -> None:
        self.gamma = QSlider(Qt.Orientation.Horizontal)
        self.gamma.setRange(5, 300)
        self.gamma.setValue(100)
        self.beta = QSlider(Qt.Orientation.Horizontal)
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
        row = QFlowLayout()         # wraps in a narrow lesson pane instead of widening it
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

    def _build_why(self, lay) -> None:
        play = QPushButton("Play / pause")
        play.clicked.connect(self.model.toggle_play)
        dx, dy = L.SHIFT_OFFSET
        shift = QPushButton("Shift the inputs")
        shift.setToolTip(f"Add ({dx:g}, {dy:g}) to every input, training and validation alike, "
                         "from now on, without resetting: the input distribution moves "
                         "(a covariate shift over time)")
        shift.clicked.connect(self.shift_why_inputs)
        self.grad_plot = _plot(170)
        self.grad_plot.setLogMode(y=True)
        self.grad_plot.setLabel("bottom", "hidden layer")
        self.grad_plot.setLabel("left", "‖dW‖")
        self.grad_plot.setToolTip(L.GRADIENT_TIP)
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
        high = QPushButton(L.HIGH_LR_BUTTON)
        high.setToolTip("The lesson's deep net with ReLU and plain SGD at this α, noisy BN off, "
                        "inputs unshifted (restarts training)")
        high.clicked.connect(self.try_high_lr)
        lay.addWidget(high)
        # What the last button did to the run: no switch stays on unannounced.
        self.why_state = _label()
        lay.addWidget(self.why_state)
        self._build_smoothness(lay)

    def _build_smoothness(self, lay) -> None:
        """The second explanation: noisy BN (the shift re-created) and the loss's smoothness."""
        lay.addWidget(_label("<b>Two explanations.</b> (1) BN helps by reducing internal "
                             "covariate shift (Ioffe & Szegedy 2015): each layer's inputs keep "
                             "a steady mean and variance. (2) BN makes the loss landscape "
                             "smoother (Santurkar et al. 2018). Test (1): put the shift back "
                             "with noise, and see if BN still helps."))
        self.noisy_box = QCheckBox("Noisy BN")       # short: a check box does not wrap
        self.noisy_box.setToolTip("The net with BN only, after Santurkar et al. (2018): every "
                                  "BN unit's output is multiplied by s ∈ [0.5, 1.5] and shifted "
                                  "by m ∈ [−0.5, 0.5], drawn anew for each unit at every step "
                                  "(the same for all examples of the mini-batch). Restarts "
                                  "training.")
        self.noisy_box.toggled.connect(self.set_noisy_bn)
        lay.addWidget(self.noisy_box)
        lay.addWidget(_label("Noisy BN: after every BN unit of the net with BN, a new random "
                             "scale s ∈ [0.5, 1.5] and shift m ∈ [−0.5, 0.5] for each unit at "
                             "every step."))
        self.smooth_plot = _plot(170)
        self.smooth_plot.setLogMode(y=True)
        self.smooth_plot.setLabel("bottom", "step")
        self.smooth_plot.setLabel("left", "loss spread")
        self.smooth_plot.getAxis("left").enableAutoSIPrefix(False)
        self.smooth_plot.setToolTip("Every 10 steps, on that step's mini-batch: the loss after "
                                    "steps of α·0.5, 1, 2 and 4 along the gradient; plotted is "
                                    "max − min (log scale). Small: the loss changes predictably "
                                    "along the way the optimizer goes.")
        self.smooth_items = {
            run: self.smooth_plot.plot(pen=pg.mkPen(RUN_COLORS[run], width=2),
                                       name=RUN_LABELS[run]) for run in ("bn", "no_bn")}
        self.smooth_label = _label()
        lay.addWidget(self.smooth_plot)
        lay.addWidget(self.smooth_label)

    def set_noisy_bn(self, on: bool) -> None:
        if bool(on) != self.model.config.noisy_bn:
            self._restart_why(self.model.config.replace(noisy_bn=bool(on)),
                              f"Noisy BN {'on' if on else 'off'}")

    def shift_why_inputs(self) -> None:
        """Lesson 4's covariate shift: every input moves, the run goes on."""
        self.model.shift_inputs(L.SHIFT_OFFSET)
        self._why_shifted = True
        step = self.model.snapshot.step if self.model.snapshot is not None else 0
        dx, dy = L.SHIFT_OFFSET
        self.why_state.setText(f"<i>Inputs shifted by ({dx:+g}, {dy:+g}) at step {step}, "
                               "training and validation alike; training goes on. Any restart "
                               "in this lesson unshifts them.</i>")

    def unshift_why_inputs(self) -> bool:
        """The lesson's own data again (unshifted), if the shift button moved it."""
        if not getattr(self, "_why_shifted", False):
            return False
        self._why_shifted = False
        return self.model.set_spec(self._why_spec)

    def _restart_why(self, config, what: str) -> None:
        """A restart in lesson 4: from the lesson's unshifted data, and said so."""
        unshifted = self.unshift_why_inputs()
        self.model.set_config(config)
        self.noisy_box.blockSignals(True)
        self.noisy_box.setChecked(config.noisy_bn)
        self.noisy_box.blockSignals(False)
        notes = [what, "training restarted from step 0"]
        if unshifted:
            notes.append("inputs unshifted")
        self.why_state.setText("<i>" + "; ".join(notes) + ".</i>")

    def _reset_why(self) -> None:
        les = self.current
        assert les is not None                      # the why-BN lesson is the one open
        self._why_spec = DatasetSpec(**les.dataset) if les.dataset else self.model.spec
        self._why_shifted = False
        self.noisy_box.blockSignals(True)
        self.noisy_box.setChecked(self.model.config.noisy_bn)
        self.noisy_box.blockSignals(False)
        self.why_state.setText("")
        for item in self.smooth_items.values():
            item.setData([], [])
        self.smooth_label.setText("Loss spread along the gradient: press Play.")

    def update_smoothness(self, snap) -> None:
        """Each twin's loss spread along its gradient over the run so far (log axis)."""
        lines, shown = [], []
        for run, item in self.smooth_items.items():
            r = snap.runs.get(run)
            h = getattr(r, "smoothness", None)
            if h is None or not len(h):
                item.setData([], [])
                continue
            ok = np.isfinite(h[:, 1]) & (h[:, 1] > 0)
            item.setData(h[ok, 0], h[ok, 1])
            shown.extend(h[ok, 1])
            recent = h[-10:, 1]
            recent = recent[np.isfinite(recent)]
            if recent.size:
                lines.append(f"<span style='color:{RUN_COLORS[run]}'>━</span> "
                             f"{RUN_LABELS[run]}: median of the last {recent.size}: "
                             f"{float(np.median(recent)):.3g}")
        if shown:       # whole decades with short labels: none clipped at the top
            lo = int(np.floor(np.log10(min(shown))))
            hi = max(lo + 1, int(np.ceil(np.log10(max(shown)))))
            self.smooth_plot.setYRange(lo, hi, padding=0.05)
            self.smooth_plot.getAxis("left").setTicks(
                [[(k, _pow10(10.0 ** k)) for k in range(lo, hi + 1)]])
        noisy = " (noisy BN on)" if snap.config.noisy_bn else ""
        self.smooth_label.setText(f"Loss spread along the gradient, step {snap.step}{noisy}:"
                                  "<br>" + "<br>".join(lines))

    def _build_lr_jump(self, lay) -> None:
        again = QPushButton("Run it again from step 0")
        again.setToolTip("Reset both nets and play: the change happens again at its step")
        again.clicked.connect(self._replay_lr_jump)
        self.jump_label = _label("Press Play: α changes by itself at the dotted line.")
        lay.addWidget(again)
        lay.addWidget(self.jump_label)

    def _start_lr_jump(self, window) -> None:
        """A diverging loss reaches 1e9: on a log axis the other curves stay readable."""
        curves = getattr(window, "panels", {}).get("curves")
        if curves is not None and hasattr(curves, "log_y"):
            curves.log_y.setChecked(True)
        self.jump_label.setText("Press Play: α changes by itself at the dotted line.")

    def _build_alpha_range(self, lay) -> None:
        run = QPushButton("Run the α sweep")
        run.setToolTip("Train both twins at 25 learning rates (log grid 0.001 … 10) in the "
                       "background; the Tuning panel's 'α range' tab plots them")
        run.clicked.connect(self.run_alpha_range)
        self.alpha_label = _label("The sweep runs in the Tuning panel; Cancel is there too.")
        lay.addWidget(run)
        lay.addWidget(self.alpha_label)

    def run_alpha_range(self) -> bool:
        """Start the tuning panel's α-range search with the lesson's network, data and steps
        per trial (its pack's), seeded like the net."""
        window = self.window()
        tuning = getattr(window, "panels", {}).get("tuning")
        if tuning is None:
            self.alpha_label.setText("This lesson needs the Tuning panel.")
            return False
        if hasattr(window, "raise_panel"):
            window.raise_panel("tuning")
        cfg = self.model.config
        started = tuning.show_alpha_range(alpha_range_spec(cfg, seed=cfg.seed))
        self.alpha_label.setText("Running: watch the points arrive in the Tuning panel." if started
                                 else "A sweep is already running (or could not start: the "
                                      "Tuning panel says why).")
        return started

    def on_alpha_range_finished(self) -> None:
        """The sweep ended: say so here too, with what the plot shows (never 'Running')."""
        run = self.model.searches.run("alpha_range")
        if run is None or run.search is None:
            return
        if run.search.error:
            self.alpha_label.setText(
                f"The sweep stopped: {html.escape(run.search.error, quote=False)}")
            return
        rep = alpha_range_report(run.results, classes=self.model.split.classes)
        verb = "Cancelled" if run.search.cancelled else "Done"
        lines = [f"{verb}: {len(run.results)} of {run.total} α. Read the plot in the Tuning "
                 "panel:"]
        for twin in ("bn", "no_bn"):
            r = rep[twin]
            if r["verdict"] == "learned":
                state = f"good range {r['decades']:.1f} decades"
            elif r["verdict"] == "chance":
                state = "never left chance (no range)"
            else:
                state = "diverged at every α"
            lines.append(f"<span style='color:{RUN_COLORS[twin]}'>━</span> {RUN_LABELS[twin]}: "
                         f"{state}, {r['diverged']} of {r['trials']} diverged")
        self.alpha_label.setText("<br>".join(lines))

    def _replay_lr_jump(self) -> None:
        les = self.current
        if les is not None and les.config:
            self.model.set_config(les.train_config())
        self.model.play()

    def update_lr_jump(self, snap) -> None:
        """Where the run is: α now, the scheduled change, each twin diverged or how well."""
        # The run's plan (the model's config); snap.config.changes also lists the user's edits.
        planned = ", ".join(f"α → {v:g} at step {s}" for s, n, v in self.model.config.changes
                            if n == "lr") or "none"
        lines = [f"Step {snap.step}, α = {snap.config.lr:g} (planned: {planned})"]
        for run in ("bn", "no_bn"):
            r = snap.runs.get(run)
            if r is None:
                continue
            if r.diverged_at is not None:
                state = f"<b>diverged at step {r.diverged_at}</b>"
            elif len(r.eval_curve):
                state = f"validation accuracy {r.eval_curve[-1, 4]:.2f}"
            else:
                state = "not started"
            lines.append(f"<span style='color:{RUN_COLORS[run]}'>━</span> "
                         f"{RUN_LABELS[run]}: {state}")
        self.jump_label.setText("<br>".join(lines))

    def try_high_lr(self) -> None:
        """The lesson's net with ReLU and plain SGD at a high α; noisy BN off, data unshifted."""
        les = self.current
        base = les.train_config() if les is not None and les.config else self.model.config
        self._restart_why(base.replace(noisy_bn=False, **L.HIGH_LR_CONFIG),
                          f"{L.HIGH_LR_BUTTON}, noisy BN off")
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

