"""Lesson pages that run BN one way, then another, and keep a row per run: test-time estimates
(lesson 12), where BN sits (lesson 13) and regularisation by the mini-batch (lesson 14). A
mixin of the lessons panel, like lesson_shift.py; the numbers come from the core."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton
from superqt import QFlowLayout

from bn_studio.core.lessons import numbers as L
from bn_studio.core.nn.bn_estimates import compare_estimates, scores
from bn_studio.core.lessons.pack import Lesson

from ...plotting import add_legend
from .widgets import _label, _plot

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from PySide6.QtWidgets import QScrollArea

    from ..base import Panel as _Host
else:
    _Host = object

# Where each lesson pauses by itself, then where 'Train on' takes it (measured there:
# benchmarks/bn_claims.py).
STOPS = {"test_estimates": (300, 2000), "bn_placement": (300, 1000),
         "minibatch_noise": (1000, 1000)}
LIVE_EVERY = 0.25           # seconds between live measurements (a pass over the training set)
EWMA_COLOR, FULL_COLOR = "#ff7f0e", "#1f77b4"


def _choice(items, tip: str, on_pick) -> QComboBox:
    box = QComboBox()
    # Long items elide rather than hold the pane wider than a small screen's dock.
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    for text, value in items:
        box.addItem(text, value)
    box.setToolTip(tip)
    box.activated.connect(lambda _i: on_pick())
    return box


def _table(head: tuple[str, ...], rows: list[tuple]) -> str:
    cells = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f"<table cellspacing='0' cellpadding='3' border='1'><tr>{cells}</tr>{body}"
            "</table>")


class VariantPages(_Host):
    """Lessons 12-14 of the lessons panel: ``self.model`` and ``self.current`` come from it."""

    current: Lesson | None
    scroll_area: QScrollArea
    est_decay: QComboBox

    def _run_buttons(self, lay, lesson_id: str) -> None:
        first, last = STOPS[lesson_id]
        play = QPushButton("Play / pause")
        play.clicked.connect(self.model.toggle_play)
        row = QFlowLayout()
        row.addWidget(play)
        if last > first:
            on = QPushButton(f"Train on to step {last}")
            on.setToolTip(f"The run paused at step {first}; this trains it on to {last}")
            on.clicked.connect(lambda: self._train_on(last))
            row.addWidget(on)
        lay.addLayout(row)

    def _train_on(self, step: int) -> None:
        self.model.pause_at(step)
        self.model.play()

    def _restart_variant(self, **changes) -> None:
        """The lesson's run again from step 0 with ``changes`` (same weights and batches)."""
        self.model.set_config(self.model.config.replace(**changes))
        if self.current is not None and self.current.id in STOPS:
            self.model.pause_at(STOPS[self.current.id][0])

    def _build_test_estimates(self, lay) -> None:
        self.est_decay = _choice(
            [(f"BN running β = {d:g}", d) for d in (0.5, 0.9, 0.99, 0.999)],
            "β of BN's running averages (about the last 1/(1 − β) batches). Training restarts "
            "with the same weights and mini-batches: β changes only the test-time estimate",
            lambda: self._restart_variant(bn_decay=float(self.est_decay.currentData())))
        lay.addWidget(self.est_decay)
        self._run_buttons(lay, "test_estimates")
        self.est_live = _label()
        self.est_plot = _plot(150)
        item = self.est_plot.getPlotItem()
        item.setLabel("left", "val. accuracy")
        item.setLabel("bottom", "step")
        add_legend(item)
        self.est_curves = {k: item.plot([], [], pen=pg.mkPen(c, width=2), name=n)
                           for k, c, n in (("ewma", EWMA_COLOR, "running averages"),
                                           ("full", FULL_COLOR, "one pass"))}
        self.est_table = _label()
        for w in (self.est_live, self.est_plot, self.est_table):
            lay.addWidget(w)

    def _build_bn_placement(self, lay) -> None:
        self.place_where = _choice(
            [("BN before g: Z → BN → g", False), ("BN after g: Z → g → BN", True)],
            "Where batch norm sits in each hidden layer of the BN net. Training restarts",
            self._apply_placement)
        self.place_bias = QCheckBox("Keep b")
        self.place_bias.setToolTip("BN before g only: the layer before BN keeps its bias b; "
                                   "the page shows b's gradient and size as the net trains")
        self.place_bias.toggled.connect(lambda _on: self._apply_placement())
        lay.addWidget(self.place_where)
        lay.addWidget(self.place_bias)
        self._run_buttons(lay, "bn_placement")
        self.place_live = _label()
        self.place_table = _label()
        lay.addWidget(self.place_live)
        lay.addWidget(self.place_table)

    def _apply_placement(self) -> None:
        after = bool(self.place_where.currentData())
        self.place_bias.setEnabled(not after)
        self._restart_variant(bn_after_g=after,
                              bn_keep_bias=self.place_bias.isChecked() and not after)

    def _build_minibatch_noise(self, lay) -> None:
        self.noise_batch = _choice([(f"batch size {b}", b) for b in (8, 32, 128)],
                                   "Mini-batch size. Training restarts",
                                   self._apply_noise)
        self.noise_stats = _choice(
            [("BN: each batch's μ, σ²", "batch"),
             ("BN: training set's μ, σ²", "train_set")],
            "train_set: the same mini-batches and loss, but BN normalises them with the μ and "
            "σ² of all training points at the current weights (no batch noise). Training "
            "restarts", self._apply_noise)
        lay.addWidget(self.noise_batch)
        lay.addWidget(self.noise_stats)
        self._run_buttons(lay, "minibatch_noise")
        self.noise_table = _label()
        lay.addWidget(self.noise_table)

    def _apply_noise(self) -> None:
        self._restart_variant(batch=int(self.noise_batch.currentData()),
                              bn_stats=str(self.noise_stats.currentData()))

    def _reset_variant(self) -> None:
        """On entering lesson 12, 13 or 14: its choosers show its settings, no rows yet, and
        the run pauses at the lesson's first stop."""
        cfg = self.model.config
        for box, value in ((self.est_decay, cfg.bn_decay), (self.place_where, cfg.bn_after_g),
                           (self.noise_batch, cfg.batch), (self.noise_stats, cfg.bn_stats)):
            i = box.findData(value)
            if i >= 0:
                box.setCurrentIndex(i)
        self.place_bias.blockSignals(True)
        self.place_bias.setChecked(cfg.bn_keep_bias)
        self.place_bias.blockSignals(False)
        self._variant_rows: dict[tuple, tuple] = {}
        self._variant_last = 0.0
        self._est_points: list[tuple[int, float, float]] = []
        self._variant_run = None
        for label in (self.est_live, self.est_table, self.place_live, self.place_table,
                      self.noise_table):
            label.setText("")
        for curve in self.est_curves.values():
            curve.setData([], [])
        if self.current is not None and self.current.id in STOPS:
            self.model.pause_at(STOPS[self.current.id][0])

    def _leave_variant(self, nxt: Lesson | None) -> None:
        """Neither the lesson's pause nor its BN switches follow the learner out (a next
        lesson with settings of its own replaces the switches anyway)."""
        if self.current is None or self.current.id not in STOPS:
            return
        self.model.pause_at(None)
        cfg = self.model.config
        if (nxt is None or not nxt.config) and (cfg.bn_after_g or cfg.bn_keep_bias
                                                or cfg.bn_stats != "batch"):
            self.model.set_config(cfg.replace(bn_after_g=False, bn_keep_bias=False,
                                              bn_stats="batch"))

    def update_variant(self, snap) -> None:
        """A snapshot while lesson 12, 13 or 14 is shown: live numbers (at most every
        LIVE_EVERY s) and a row for the table at each of the lesson's stops."""
        les = self.current
        if les is None or les.id not in STOPS or "bn" not in snap.runs or not snap.live:
            return
        if snap.run_id != self._variant_run:        # a new run: a new live curve
            self._variant_run = snap.run_id
            self._est_points = []
        at_stop = snap.step in STOPS[les.id]
        now = time.monotonic()
        if not at_stop and now - self._variant_last < LIVE_EVERY:
            return
        self._variant_last = now
        {"test_estimates": self._show_estimates, "bn_placement": self._show_placement,
         "minibatch_noise": self._show_noise}[les.id](snap, at_stop)

    def _show_estimates(self, snap, at_stop: bool) -> None:
        split = self.model.split
        c = compare_estimates(snap.runs["bn"].net, split.X_train, split.X_val, split.y_val)
        beta = snap.config.bn_decay
        self.est_live.setText(
            f"Step {snap.step}, BN running β = {beta:g}. Validation accuracy of the BN net "
            f"with its <b>running averages</b>: <b>{c['ewma_acc']:.3f}</b> (loss "
            f"{c['ewma_loss']:.3f}); with <b>one pass over the training set</b>: "
            f"<b>{c['full_acc']:.3f}</b> (loss {c['full_loss']:.3f}).")
        if not self._est_points or snap.step > self._est_points[-1][0]:
            self._est_points.append((snap.step, c["ewma_acc"], c["full_acc"]))
            pts = np.array(self._est_points)
            self.est_curves["ewma"].setData(pts[:, 0], pts[:, 1])
            self.est_curves["full"].setData(pts[:, 0], pts[:, 2])
        if at_stop:
            self._variant_rows[beta, snap.step] = (
                f"{beta:g}", snap.step, f"{c['ewma_acc']:.3f}", f"{c['full_acc']:.3f}")
            self.est_table.setText("Validation accuracy, kept at each stop:" + _table(
                ("BN β", "step", "running avg.", "one pass"),
                [self._variant_rows[k] for k in sorted(self._variant_rows)]))

    def _show_placement(self, snap, at_stop: bool) -> None:
        cfg, split = snap.config, self.model.split
        net = snap.runs["bn"].net
        text = "BN after g" if cfg.bn_after_g else "BN before g"
        if cfg.bn_keep_bias and not cfg.bn_after_g:
            k = L.kept_bias_report(net, split.X_train, split.y_train, cfg.batch, snap.step)
            self.place_live.setText(
                f"Step {snap.step}, b kept. On a mini-batch: largest |db| = "
                f"{k['db']:.1e}, largest |dW| = {k['dw']:.1e}; largest |b| = {k['b']:.1e}.")
            text += ", b kept"
        else:
            self.place_live.setText(f"Step {snap.step}, {text}.")
        if at_stop:
            val = {n: scores(r.net, split.X_val, split.y_val)[0] for n, r in snap.runs.items()}
            self._variant_rows[text, snap.step] = (
                text, snap.step, f"{val['bn']:.3f}",
                f"{val['no_bn']:.3f}" if "no_bn" in val else "–")
            self.place_table.setText("Validation loss, kept at each stop:" + _table(
                ("BN net", "step", "with BN", "no BN"),
                [self._variant_rows[k] for k in sorted(self._variant_rows)]))

    def _show_noise(self, snap, at_stop: bool) -> None:
        if not at_stop:
            return
        cfg, split, net = snap.config, self.model.split, snap.runs["bn"].net
        tl, _ = scores(net, split.X_train, split.y_train)
        vl, _ = scores(net, split.X_val, split.y_val)
        stats = "batch" if cfg.bn_stats == "batch" else "train set"
        self._variant_rows[cfg.batch, stats] = (cfg.batch, stats, f"{tl:.4f}", f"{vl:.3f}",
                                                f"{vl - tl:.3f}")
        # Five short columns: the table fits a 1366x768 dock without sideways scrolling.
        self.noise_table.setText(f"The BN net at step {snap.step} (all training and "
                                 "validation points):" + _table(
                                     ("batch", "μ, σ² of", "train loss", "val. loss", "gap"),
                                     [self._variant_rows[k]
                                      for k in sorted(self._variant_rows)]))
