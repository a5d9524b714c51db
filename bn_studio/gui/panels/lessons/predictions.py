"""Lesson pages about predictions: batch norm at test time (lesson 5) and softmax (lesson 6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton
from superqt import QFlowLayout

from bn_studio.core.lessons import numbers as L
from bn_studio.core.lessons.pack import Lesson
from bn_studio.core.data.datasets import DatasetSpec

from ...plain_text import escape
from .widgets import _label

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from PySide6.QtWidgets import QScrollArea

    from ..base import Panel as _Host
else:
    _Host = object


class PredictionPages(_Host):
    """Lessons 5 and 6 of the lessons panel (a mixin: it uses the panel's model)."""

    # Set up by LessonsPanel and BnPages, the other parts of the panel.
    current: Lesson | None
    scroll_area: QScrollArea
    _bn_rng: np.random.Generator

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
        for label in (self.tt_label, self.tt_point):
            lay.addWidget(label)

    def _reset_test_time(self) -> None:
        cfg = self.model.config
        for box, value in ((self.tt_batch, cfg.batch), (self.tt_beta, cfg.bn_decay)):
            i = box.findData(value)
            if i >= 0:
                box.setCurrentIndex(i)
        self._tt_measured = False
        self.tt_rows: dict[tuple, dict] = {}        # (batch, EWMA β) → the last measurement
        self.tt_label.setText("Train, then press 'Measure'.")

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
        if "no_bn" in snap.runs:
            plain = snap.runs["no_bn"].net.logits(split.X_val)
            res["no_bn"] = float(np.mean(np.argmax(plain, axis=1) == split.y_val))
        res["step"] = snap.step
        res["beta"] = self.model.config.bn_decay
        self._tt_measured = True
        self.tt_rows[(res["batch"], res["beta"])] = res
        self.tt_label.setText(self.test_time_table())
        self.scroll_area.ensureWidgetVisible(self.tt_label)
        return res

    def test_time_table(self, note: str = "") -> str:
        """Every measurement of this visit, one row per batch size and EWMA β (a new
        measurement of the same pair replaces its row): batch 2 and 128 side by side."""
        head = ("<tr><th>batch</th><th>EWMA β</th><th>step</th><th>train mode</th>"
                "<th>eval mode</th><th>no BN</th></tr>")
        rows = []
        for (batch, beta), r in sorted(self.tt_rows.items()):
            plain = f"{r['no_bn']:.3f}" if "no_bn" in r else "–"
            rows.append(f"<tr><td>{batch}</td><td>{beta:g}</td><td>{r['step']}</td>"
                        f"<td><b>{r['train_mode']:.3f}</b></td><td><b>{r['eval_mode']:.3f}</b>"
                        f"</td><td>{plain}</td></tr>")
        return ("Validation accuracy: the net with BN normalising with each mini-batch's own "
                "statistics (train mode) or with the running averages (eval mode), and the net "
                "without BN:<table cellspacing='0' cellpadding='3' border='1'>" + head
                + "".join(rows) + "</table>" + note)

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
            return f"class {escape(names[c] if c < len(names) else c)} (a = {p[c]:.3f})"
        self.tt_point.setText(
            f"Point ({xy[0]:.2f}, {xy[1]:.2f}) in training mode, batch statistics:<br>"
            f"inside batch A: {fmt(v['batch_a'])}; inside batch B: {fmt(v['batch_b'])}<br>"
            f"(max |Δa| = {np.abs(v['batch_a'] - v['batch_b']).max():.3f}: it depends on the "
            f"other {batch - 1} examples). Eval mode, running statistics: {fmt(v['eval'])}.")
        return v

    def _build_softmax(self, lay) -> None:
        # Short labels: two per row must fit the narrow dock without a horizontal scroll bar.
        buttons = (("No hidden layer", lambda: self._softmax_config(hidden=())),
                   ("2 hidden layers", lambda: self._softmax_config(hidden=(32, 32))),
                   ("Two classes", lambda: self._softmax_classes(2)),
                   ("Four classes", lambda: self._softmax_classes(4)))
        flow = QFlowLayout()            # two per row where they fit, else fewer
        for text, slot in buttons:
            b = QPushButton(text)
            b.clicked.connect(slot)
            flow.addWidget(b)
        lay.addLayout(flow)
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
        les = self.current
        data = dict(les.dataset) if les is not None and les.dataset else \
            {"name": "blobs", "n": 600, "noise": 0.6}
        self.model.set_spec(DatasetSpec(**{**data, "classes": c}))
        self._sm_point: np.ndarray | None = None    # a point of the new data until one is clicked
        self.model.play()

    def show_softmax_point(self, xy):
        """Lesson 6: a clicked point's z; with two classes, softmax's a₁ next to σ(z₁ − z₀)."""
        self._sm_point = np.asarray(xy, dtype=np.float64).reshape(2)
        return self.update_softmax_point(self.model.snapshot)

    def update_softmax_point(self, snap):
        """At every snapshot: the clicked point (or the first validation point) through the
        BN net; with C = 2, a₁ beside σ(z₁ − z₀), so the two numbers are always in view."""
        if snap is None or "bn" not in snap.runs:
            return None
        point = getattr(self, "_sm_point", None)
        clicked = point is not None
        if point is None:
            point = np.asarray(self.model.split.X_val[0], dtype=np.float64)
        try:
            z = snap.runs["bn"].net.logits(point.reshape(1, 2)).astype(np.float64)[0]
        except ValueError:                  # a snapshot from before a dataset switch
            return None
        where = (f"point ({point[0]:.2f}, {point[1]:.2f})" if clicked else
                 f"validation point ({point[0]:.2f}, {point[1]:.2f}) — click another")
        if z.size == 2:
            v = L.logistic_equivalence(z)
            v["z"] = z
            self.sm_label.setText(
                f"Step {snap.step}, C = 2, {where}: z = ({z[0]:.2f}, {z[1]:.2f})<br>softmax "
                f"a₁ = <b>{v['a1']:.4f}</b>; logistic σ(z₁ − z₀) = σ({z[1] - z[0]:.2f}) = "
                f"<b>{v['sigmoid']:.4f}</b> — the same number.")
            return v
        self.sm_label.setText(f"C = {z.size}: click a point to see its z, e^z and a in the "
                              "Softmax inspector. Press 'Two classes' to compare with "
                              "logistic regression.")
        return None
