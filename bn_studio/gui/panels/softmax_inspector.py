"""For the clicked point: the logits z, t = e^(z − max z) and a = t / Σt of both nets, as bars;
and the course's worked example z = [5, 2, −1, 3] with the unshifted t = e^z."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from bn_studio.core.nn.losses import softmax_parts
from bn_studio.core.nn.softmax_parts import nearest_label

from ..plain_text import Rich, escape as _escape
from ..plotting import cache_axes, plane_html, point_html, steady_title
from ..theme import CLASS_COLORS, DIVERGED_COLOR, RUN_COLORS, RUN_LABELS
from .base import Panel
from .class_maps import ClassMapsTab
from .softmax_tabs import (CompactAxis, LossGradientTab, PageTabs,
                           PlotView, ShiftTemperatureTab, fmt)

REFRESH_INTERVAL_MS = 100         # while training, recompute at most 10 times per second
MAX_BAR_LABELS = 5                # more classes than this: the numbers are in the table only
LEFT_AXIS_WIDTH_PX = 58           # room for "-2.5e+13"
MIN_BARS_HEIGHT_PX = 420          # three rows of bars, ~140 px each (this tab may scroll)
PROB_RANGE = (-0.04, 1.35)        # t and a lie in [0, 1]: a fixed axis, room for the labels
# h is the last hidden layer's output (the course's a^[L−1]); a is kept for the probabilities.
EXPLANATION = ("z = W·h + b → t = e^(z − max z) → a = t / Σt: a is the probability of each "
               "class, the highest wins. Subtracting max z only keeps e^z from overflowing; "
               "it cancels in t / Σt, so a is the same as with t = e^z.")
WORKED_Z = (5.0, 2.0, -1.0, 3.0)     # the course's worked example
PROMPT = ("Click anywhere on a decision-region plot to see how each net turns its scores z "
          "for that point into class probabilities a.")
# Short titles: two columns of plots must fit a 1366×768 dock (the header explains each).
ROWS = (("z", "logits z = W·h + b"), ("t", "t = e^(z − max z)"), ("a", "a = t / Σt"))
TABS = ("z → t → a", "Shift, T", "Loss, gradient", "Class maps")


def decision_grid(snap):
    """The decision regions' grid of class probabilities carried by a snapshot (a
    core.grid.DecisionGrid, or None)."""
    return snap.grid if snap is not None else None


class SoftmaxInspectorPanel(Panel):
    title = "Softmax inspector"
    tab_title = "Softmax"
    name = "softmax_inspector"
    area = "right"
    help_text = ("For the point you clicked, the output layer computes one number z per class "
                 "(z = W·h + b, the logits; h is the last hidden layer's output). Softmax "
                 "exponentiates them, t = e^(z − max z) (e^z shifted so it never overflows; "
                 "the shift cancels in the division), and divides "
                 "by their sum, a = t / Σt: the probabilities of the classes, which add up to "
                 "1. The largest a wins. Both nets use their test-time mode: batch norm with "
                 "the running mean and variance. The other tabs add a constant c to every z "
                 "(a does not change) or divide z by a temperature T, show the loss −log a_y "
                 "and its gradient a − y for a true class y, and each class's probability "
                 "over the whole input plane.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.prompt = QLabel(PROMPT)
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.TextFormat.RichText)
        self.prompt.setStyleSheet("font-size: 15px")
        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("font-size: 14px; font-style: italic")
        self.explanation.setToolTip(self.help_text)
        self.view = PlotView()
        self.view.setMinimumHeight(MIN_BARS_HEIGHT_PX)
        self.view.setToolTip("Bars: one per class, in the class's colour. Top: the logits z "
                             "(can be negative); middle: t = e^(z − max z) (the largest is 1); "
                             "bottom: the probabilities a (they add up to 1).")
        self.bars: dict[tuple[str, str], pg.BarGraphItem] = {}
        self.texts: dict[tuple[str, str], list[pg.TextItem]] = {}
        self.plot_items: dict[str, pg.PlotItem] = {}
        for col, run in enumerate(("bn", "no_bn")):
            for row, (key, label) in enumerate(ROWS):
                p = self.view.addPlot(row=row, col=col,
                                      axisItems={"left": CompactAxis("left")})
                steady_title(p)
                title = Rich(f"Net {RUN_LABELS[run]}<br>{label}") if row == 0 else label
                p.setTitle(title, color=RUN_COLORS[run], size="10pt")
                p.setMouseEnabled(x=False, y=False)
                p.setMenuEnabled(False)
                p.hideButtons()
                p.disableAutoRange()
                cache_axes(p)
                p.getAxis("left").setWidth(LEFT_AXIS_WIDTH_PX)     # bars line up row to row
                p.getAxis("bottom").setTicks([[]])
                bar = pg.BarGraphItem(x=[], height=[], width=0.7)
                p.addItem(bar)
                if key == "z":
                    p.addLine(y=0, pen=pg.mkPen("#888", width=1))
                else:
                    p.setYRange(*PROB_RANGE, padding=0)
                    p.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
                self.bars[(run, key)] = bar
                self.texts[(run, key)] = []
                self.plot_items[f"{run}_{key}"] = p
        self.table = QLabel()
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setStyleSheet("font-size: 14px")
        self.table.setToolTip("The same numbers as the bars: z to 2 decimals, t and a to 3")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setStyleSheet("font-size: 14px")
        self.worked_button = QPushButton("Worked example z = [5, 2, −1, 3]")
        self.worked_button.setCheckable(True)
        self.worked_button.setToolTip("The course's example: e^z unshifted (148.4 …) beside "
                                      "e^(z − max z), and the same a from both")
        self.worked_button.toggled.connect(self.show_worked_example)
        self.worked = QLabel()
        self.worked.setTextFormat(Qt.TextFormat.RichText)
        self.worked.setWordWrap(True)
        self.worked.setStyleSheet("font-size: 14px")
        self.worked.hide()
        worked_row = QHBoxLayout()
        worked_row.addWidget(self.worked_button)
        worked_row.addStretch(1)
        bars = QWidget()
        bars_lay = QVBoxLayout(bars)
        bars_lay.setContentsMargins(2, 2, 2, 2)
        bars_lay.addWidget(self.explanation)
        bars_lay.addWidget(self.view, 1)
        bars_lay.addWidget(self.table)
        bars_lay.addWidget(self.caption)
        bars_lay.addLayout(worked_row)
        bars_lay.addWidget(self.worked)
        bars_lay.addStretch(0)
        # Four tabs, not one long column: each fits the ~420 px dock of a 1366×768 screen.
        self.shift_tab = ShiftTemperatureTab()
        self.loss_tab = LossGradientTab()
        self.maps_tab = ClassMapsTab()
        self.tabs = PageTabs()
        for widget, label in zip((bars, self.shift_tab, self.loss_tab, self.maps_tab), TABS):
            self.tabs.addTab(widget, label)
        self.tabs.setTabToolTip(1, "Add c to every z, or divide by a temperature T")
        self.tabs.setTabToolTip(2, "The loss −log a_y and its gradient a − y for a true class")
        self.tabs.setTabToolTip(3, "Each class's probability over the whole input plane")
        self.tabs.currentChanged.connect(lambda _i: self._draw_maps())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.prompt)
        lay.addWidget(self.tabs, 1)
        self._values: dict = {}
        self._class_names: list[str] = []
        self._label_font = QFont(self.font())
        self._label_font.setPointSize(10)
        # The click whose nearest data point set the true class.
        self._y_point: np.ndarray | None = None
        # While training, frames arrive ~60 times a second: refresh at most 10 times; a
        # click refreshes at once (flush) and holds off the frames just behind it.
        self._throttled_refresh = qthrottled(self.refresh, timeout=REFRESH_INTERVAL_MS,
                                             leading=True, parent=self)
        model.pointSelected.connect(lambda _xy: self._refresh_now())
        model.pointCleared.connect(self._forget_point)
        model.snapshotReady.connect(self._on_snapshot)
        model.datasetChanged.connect(self._on_dataset)
        if getattr(model, "split", None) is not None:
            self._on_dataset(model.split)
        if getattr(model, "selected_point", None) is not None:
            self.refresh()

    def _on_dataset(self, split) -> None:
        self._class_names = [str(n) for n in split.class_names]
        self.loss_tab.set_classes(self._class_names)
        self.maps_tab.set_classes(self._class_names)
        self.maps_tab.set_features(plane_html(split))
        self._y_point = None
        self._clear()

    def _forget_point(self) -> None:
        """The point was clicked on other data: the prompt again, no bars, no cross."""
        self._y_point = None
        self._clear()
        self._draw_maps()

    def _on_snapshot(self, snap) -> None:
        if self.model.selected_point is None:
            self._draw_maps()
            return
        self._throttled_refresh()

    def _refresh_now(self) -> None:
        self._throttled_refresh()
        self._throttled_refresh.flush()

    def _clear(self) -> None:
        """Nothing selected (or a new dataset): show the prompt, no stale bars."""
        self._values = {}
        for bar in self.bars.values():
            bar.setOpts(x=[], height=[])
        for items in self.texts.values():
            for t in items:
                t.setText("")
        self.view.setVisible(False)
        self.table.setText("")
        self.caption.setText("")
        self.prompt.setText(PROMPT)
        self.shift_tab.set_logits({}, self._class_names)
        self.loss_tab.set_logits({})

    def current_values(self) -> dict:
        """{"bn": {"z", "t", "a", "predicted"}, "no_bn": ...} for the selected point; a net whose
        outputs are not finite numbers maps to None. Empty before any click."""
        return self._values

    def refresh(self) -> None:
        """Recompute z, t, a for the selected point with the newest frozen nets and redraw."""
        snap, xy = self.model.snapshot, self.model.selected_point
        if snap is None or xy is None:
            return
        x = np.asarray(xy, dtype=np.float64).reshape(1, 2)
        values: dict[str, dict | None] = {}
        lines: list[str] = []
        for run_name in ("bn", "no_bn"):
            run = snap.runs.get(run_name)
            if run is None:
                continue
            label = f"<b style='color:{RUN_COLORS[run_name]}'>Net {RUN_LABELS[run_name]}</b>"
            try:
                with np.errstate(all="ignore"):
                    z = np.asarray(run.net.logits(x, train=False), dtype=np.float64)
            except Exception as e:            # a net that cannot evaluate must not break the GUI
                z = np.full((1, max(len(self._class_names), 1)), np.nan)
                lines.append(f"{label}: cannot evaluate ({e})")
            if not np.all(np.isfinite(z)):
                values[run_name] = None
                self._draw(run_name, None)
                lines.append(f"{label}: <span style='color:{DIVERGED_COLOR}'>diverged"
                             + (f" at step {run.diverged_at}" if run.diverged_at is not None
                                else "")
                             + "; its outputs are not numbers</span>")
                continue
            with np.errstate(all="ignore"):
                t, a = softmax_parts(z)
            k = int(np.argmax(a[0]))
            values[run_name] = {"z": z[0], "t": t[0], "a": a[0], "predicted": k}
            self._draw(run_name, values[run_name])
            note = (f" <span style='color:{DIVERGED_COLOR}'>(diverged at step "
                    f"{run.diverged_at}: these are its last weights)</span>"
                    if run.diverged_at is not None else "")
            lines.append(f"{label} predicts class <b style='color:{CLASS_COLORS[k % 8]}'>"
                         f"{_escape(self._name(k))}</b> with a = {fmt(a[0, k], 3)}{note}")
        self._values = values
        self.view.setVisible(True)
        split = getattr(self.model, "split", None)
        where = (f"Step {snap.step}: point <b>{point_html(split, x[0])}</b>" if split is not None
                 else f"Step {snap.step}: point x = ({x[0, 0]:.2f}, {x[0, 1]:.2f}) standardised")
        self.prompt.setText(where)
        self.table.setText(self._table_html(values))
        self.caption.setText("<br>".join(lines))
        z_by_run = {k: (v["z"] if v is not None else None) for k, v in values.items()}
        self.shift_tab.set_logits(z_by_run, self._class_names)
        self._set_true_class(x[0])
        self.loss_tab.set_logits(z_by_run)
        self._draw_maps()

    def _set_true_class(self, xy) -> None:
        """A new click: the true class y of the loss tab is the nearest data point's class."""
        split = getattr(self.model, "split", None)
        if split is None or (self._y_point is not None and np.array_equal(self._y_point, xy)):
            return
        self._y_point = np.array(xy)
        X = np.concatenate([split.X_train, split.X_val])
        y = np.concatenate([split.y_train, split.y_val])
        try:
            _i, label, dist = nearest_label(X, y, xy)
        except ValueError:
            return
        self.loss_tab.set_true_class(label, f"(the nearest data point's class, {dist:.2f} "
                                            "away; pick another)")

    def _draw_maps(self) -> None:
        """The per-class maps, only while their tab is shown (they change with every grid)."""
        if self.tabs.currentWidget() is self.maps_tab:
            self.maps_tab.set_grid(decision_grid(self.model.snapshot), self.model.selected_point)

    def _name(self, k: int) -> str:
        return self._class_names[k] if k < len(self._class_names) else str(k)

    def _draw(self, run: str, vals: dict | None) -> None:
        for key, _ in ROWS:
            bar, p = self.bars[(run, key)], self.plot_items[f"{run}_{key}"]
            texts = self.texts[(run, key)]
            if vals is None:
                bar.setOpts(x=[], height=[])
                for t in texts:
                    t.setText("")
                continue
            v = vals[key]
            c = v.size
            xs = np.arange(c, dtype=np.float64)
            bar.setOpts(x=xs, height=v, width=0.7,
                        brushes=[pg.mkBrush(CLASS_COLORS[i % 8]) for i in range(c)])
            show_labels = c <= MAX_BAR_LABELS
            while len(texts) < c:
                t = pg.TextItem(anchor=(0.5, 1.0))
                t.setFont(self._label_font)
                p.addItem(t)
                texts.append(t)
            colour = pg.getConfigOption("foreground")
            digits = 2 if key == "z" else 3
            for i, t in enumerate(texts):
                if show_labels and i < c:
                    t.setColor(colour)
                    t.setText(fmt(v[i], digits))
                    t.setPos(i, max(float(v[i]), 0.0))
                else:
                    t.setText("")
            p.setXRange(-0.6, c - 0.4, padding=0)
            if key == "z":
                lo, hi = min(0.0, float(v.min())), max(0.0, float(v.max()))
                span = (hi - lo) or 1.0
                p.setYRange(lo - 0.08 * span, hi + (0.3 if show_labels else 0.08) * span,
                            padding=0)
            p.getAxis("bottom").setTicks([[(i, self._name(i)) for i in range(c)]])

    def _table_html(self, values: dict) -> str:
        """Rows = classes, columns z, t, a for each net; each net's winner in bold."""
        c = max([v["a"].size for v in values.values() if v is not None] or [0])
        if c == 0:
            return ""
        head = "<tr><th align='left'>class</th>"
        for run in ("bn", "no_bn"):
            head += (f"<th colspan='3' style='color:{RUN_COLORS[run]}; padding-left:14px'>"
                     f"{RUN_LABELS[run]}</th>")
        head += "</tr><tr><th></th>" + "<th align='right' style='padding-left:14px'>z</th>" \
            "<th align='right'>t</th><th align='right'>a</th>" * 2 + "</tr>"
        rows = []
        for i in range(c):
            cells = (f"<td><span style='color:{CLASS_COLORS[i % 8]}'>■</span> "
                     f"{_escape(self._name(i))}</td>")
            for run in ("bn", "no_bn"):
                v = values.get(run)
                if v is None or i >= v["a"].size:
                    cells += "<td></td><td></td><td></td>"
                    continue
                b0, b1 = ("<b>", "</b>") if i == v["predicted"] else ("", "")
                cells += (f"<td align='right' style='padding-left:14px'>{b0}"
                          f"{fmt(v['z'][i], 2)}{b1}</td>"
                          f"<td align='right' style='padding-left:8px'>{b0}"
                          f"{fmt(v['t'][i], 3)}{b1}</td>"
                          f"<td align='right' style='padding-left:8px'>{b0}"
                          f"{fmt(v['a'][i], 3)}{b1}</td>")
            rows.append(f"<tr>{cells}</tr>")
        return f"<table cellspacing='0' cellpadding='1'>{head}{''.join(rows)}</table>"

    def show_worked_example(self, on: bool = True) -> None:
        """The course's z = [5, 2, −1, 3]: t = e^z unshifted (148.4, 7.389, …), the shifted
        e^(z − 5) the plots use, and a, which is the same from both."""
        if self.worked_button.isChecked() != on:
            self.worked_button.setChecked(on)        # calls back here through toggled
            return
        self.worked.setVisible(on)
        if not on:
            return
        z = np.array(WORKED_Z)
        t_raw = np.exp(z)
        t, a = softmax_parts(z)
        cell = "align='right' style='padding-left:14px'"
        rows = "".join(
            f"<tr><td align='right'>{fmt(z[i], 0).replace('-', '−')}</td>"
            f"<td {cell}>{t_raw[i]:#.4g}</td><td {cell}>{t[0, i]:#.4g}</td>"
            f"<td {cell}>{a[0, i]:.3f}</td></tr>"
            for i in range(z.size))
        head = (f"<tr><th align='right'>z</th><th {cell}>t = e^z</th>"
                f"<th {cell}>e^(z − {fmt(z.max(), 0)})</th><th {cell}>a</th></tr>")
        self.worked.setText(
            "<b>Worked example</b> (as in the course): Σ e^z = "
            f"{t_raw.sum():.4g}, a = e^z / Σ e^z. The plots show e^(z − max z) instead: every "
            "t is divided by the same e^(max z), so a does not change."
            f"<table cellspacing='0' cellpadding='1'>{head}{rows}</table>")

    def plots(self) -> dict:
        return dict(self.plot_items)

