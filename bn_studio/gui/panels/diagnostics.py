"""Diagnostics of both twins: per hidden layer the gradients dL/dZ and dL/dW (BN beside no BN)
and the share of saturated or dead units; the update-to-data ratio of every layer over time;
BN's γ and β per unit over time; the loss at step 0 against ln C.

The worker adds the numbers (core/diagnostics.py) to its snapshots only while this panel is
shown; its histories are recorded all along, so they start at step 0 whenever it opens."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QScrollArea,
                               QTabWidget, QVBoxLayout, QWidget)

from bn_studio.core.measure.diagnostics import GUIDE_LOG10_RATIO, SATURATED_DERIVATIVE

from ..plotting import (SteppedRange, cache_axes, decimate, no_si_prefix,
                        set_cursors)
from ..theme import RUN_COLORS, RUN_LABELS
from .base import Panel
from .gradient_rows import clear_row, draw_row, fill, layer_rows, saturation_line

RUNS = ("bn", "no_bn")
LIVE_HZ = 10                # redraws a second while training (numbers a reader can follow)
CURSOR_COLOR = "#808080"    # the replayed step, as on the curves
GUIDE_COLOR = "#8c6d00"     # the −3 guide: the curves' colour for marks that are neither twin
MAX_UNIT_LINES = 64         # γ/β lines drawn per layer (a 512-unit layer would be a blur)
RATIO_SPAN = (-6.0, 0.5)    # the ratio plots' starting y range (log10), widened by the data
RATIO_HELP = (
    "<b>How to read it:</b> about −3 (dashed) is healthy: each step changes a layer's W by "
    "about 1/1000 of its size. Far below (−5): the layer hardly learns (vanishing gradients, "
    "α too small). Near −1 or above: α too large.")
RATIO_TIP = (
    "Each line is one layer's weight update per step relative to the weights' own size, "
    "log10(std(ΔW) / std(W)), from the update the optimizer actually applied (momentum, Adam, "
    "decay and mid-run changes of α included). A change of α moves every line at once.")
AFFINE_HELP = ("One line per unit of the BN net. Starting at γ = 1, β = 0 (zero mean, unit "
               "variance into g), each unit learns its own scale and shift.")
AFFINE_TIP = ("γ (scale) and β (shift) are learned like the weights, so BN takes nothing away "
              "from what a layer can represent: γ = √(σ² + ε) and β = μ would even undo the "
              "normalisation. Tick 'Freeze' to see a net whose units cannot choose.")


def _time_plot(view, row: int, col: int, guide: float, title: str | None = None):
    """A plot over steps in ``view`` with a dashed guide at y = ``guide`` and a hidden cursor
    for the replayed step; returns (plot, cursor)."""
    p = view.addPlot(row=row, col=col, title=title)
    cache_axes(p)
    p.showGrid(x=True, y=True, alpha=0.15)
    p.setMouseEnabled(x=False, y=False)
    p.hideButtons()
    no_si_prefix(p.getAxis("left"))
    no_si_prefix(p.getAxis("bottom"))
    p.addItem(pg.InfiniteLine(pos=guide, angle=0, movable=False,
                              pen=pg.mkPen(GUIDE_COLOR, width=1.5, style=Qt.PenStyle.DashLine)),
              ignoreBounds=True)
    cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURSOR_COLOR, width=2))
    cursor.setVisible(False)
    p.addItem(cursor, ignoreBounds=True)
    return p, cursor


def _layer_color(i: int, n: int, run: str):
    """The twin's colour, darkest for layer 1 and lighter for deeper layers."""
    c = pg.mkColor(RUN_COLORS[run])
    t = i / max(1, n - 1)
    return pg.mkColor(*(int(v + (235 - v) * 0.6 * t) for v in c.getRgb()[:3]))


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


class DiagnosticsPanel(Panel):
    grad_rows: list[dict]          # one per hidden layer shown (gradient_rows.layer_rows)
    title = "Diagnostics"
    name = "diagnostics"
    area = "right"
    # The right-hand tab group is full at 1366 px: this one opens from View → Diagnostics.
    start_hidden = True
    help_text = (
        "What practitioners read to judge a network's health, for both nets. <b>Gradients</b>: "
        "per hidden layer, the distribution of dL/dZ (Z = the dense layer's output) and of "
        "dL/dW on the last mini-batch, the net with BN (blue) over the net without (red) on "
        "the same bins, with their standard deviations. Tiny gradients in the first layers "
        "are vanishing gradients: the layer cannot learn. 'Saturated' counts sigmoid/tanh "
        f"values with |g'(z)| < {SATURATED_DERIVATIVE:g}, 'dead' ReLUs that are 0 for the "
        "whole batch: both pass (almost) no gradient. <b>Update ratio</b>: log10 of the size "
        "of each step's weight update over the size of the weights, per layer; about −3 is "
        "healthy. <b>γ and β</b>: the BN net's learned scale and shift of every unit. The "
        "line on top compares the loss at step 0 with ln C, the loss of a uniform guess over "
        "C classes: far above it, the net starts confidently wrong.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.first_loss = QLabel("Waiting for the first numbers…")
        self.first_loss.setWordWrap(True)
        self.first_loss.setTextFormat(Qt.TextFormat.RichText)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._gradients_tab(), "Gradients")
        self.tabs.addTab(self._ratio_tab(), "Update ratio")
        self.tabs.addTab(self._affine_tab(), "γ and β")
        self.tabs.currentChanged.connect(lambda _: self._redraw())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.first_loss)
        lay.addWidget(self.tabs, 1)
        self._last = None
        self._ratio_key: tuple[Any, ...] | None = None
        self._affine_key: tuple[Any, ...] | None = None
        model.snapshotReady.connect(self.on_snapshot)
        model.configChanged.connect(self._on_config)
        self._on_config(model.config)

    def _on_config(self, config) -> None:
        """Empty rows for the network's hidden layers at once (and the freeze switch), so
        the panel and its exports have their axes before the first numbers arrive."""
        self._show_frozen(config)
        if len(config.hidden) != len(self.grad_rows):
            self.grad_rows = self._grad_layer_rows.fit(len(config.hidden))

    def set_frozen(self, on: bool) -> None:
        """Freeze (or learn) the BN net's γ and β: a new run (the switch is not live)."""
        if bool(on) != self.model.config.freeze_bn_affine:
            self.model.set_config(self.model.config.replace(freeze_bn_affine=bool(on)))

    def _show_frozen(self, config) -> None:
        self.freeze_box.blockSignals(True)
        self.freeze_box.setChecked(bool(config.freeze_bn_affine))
        self.freeze_box.blockSignals(False)

    def _gradients_tab(self) -> QWidget:
        self.grad_note = QLabel()
        self.grad_note.setWordWrap(True)
        key = " · ".join(f"<b style='color:{RUN_COLORS[r]}'>━ {RUN_LABELS[r]}</b>" for r in RUNS)
        self.grad_key = QLabel(f"{key} · σ: standard deviation")
        self.grad_key.setTextFormat(Qt.TextFormat.RichText)    # the app's own colours
        self.grad_key.setToolTip("dL/dZ and dL/dW of the last mini-batch on bins shared by "
                                 "both nets; each net's tallest bar is drawn full height, so "
                                 "a narrow spike and a wide hill both show their shape")
        self.grad_key.setWordWrap(True)
        self.saturation = QLabel()
        self.saturation.setWordWrap(True)
        self.saturation.setTextFormat(Qt.TextFormat.RichText)
        self.grad_view = pg.GraphicsLayoutWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grad_view)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.addWidget(self.grad_key)
        lay.addWidget(self.saturation)
        lay.addWidget(self.grad_note)
        lay.addWidget(scroll, 1)
        self.grad_rows = []
        self._grad_layer_rows = layer_rows(self.grad_view)
        return w

    def _ratio_tab(self) -> QWidget:
        self.ratio_view = pg.GraphicsLayoutWidget()
        self.ratio_plots, self.ratio_cursors = {}, []
        self.ratio_items: dict[str, list] = {}
        self.ratio_ranges = {}
        for col, run in enumerate(RUNS):
            p, cursor = _time_plot(self.ratio_view, 0, col, GUIDE_LOG10_RATIO,
                                   title=f"Net {RUN_LABELS[run]}")
            p.setLabel("bottom", "step")
            if col == 0:
                p.setLabel("left", "log10 update / weights")
            self.ratio_cursors.append(cursor)
            self.ratio_plots[run] = p
            self.ratio_items[run] = []
            self.ratio_ranges[run] = SteppedRange(p, min_span=1.0)
        self.ratio_view.ci.layout.setColumnStretchFactor(0, 1)
        self.ratio_view.ci.layout.setColumnStretchFactor(1, 1)
        self.ratio_view.setMinimumHeight(140)
        self.ratio_key = QLabel()
        self.ratio_key.setWordWrap(True)
        self.ratio_key.setTextFormat(Qt.TextFormat.RichText)
        help_ = QLabel(RATIO_HELP)
        help_.setWordWrap(True)
        help_.setTextFormat(Qt.TextFormat.RichText)
        help_.setToolTip(RATIO_TIP)
        self.ratio_view.setToolTip(RATIO_TIP)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.addWidget(self.ratio_view, 1)
        lay.addWidget(self.ratio_key)
        lay.addWidget(help_)
        return w

    def _affine_tab(self) -> QWidget:
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which hidden layer's γ and β to draw")
        self.layer_box.currentIndexChanged.connect(lambda _: self._redraw(force=True))
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer:"))
        top.addWidget(self.layer_box)
        self.affine_note = QLabel()
        top.addWidget(self.affine_note, 1)
        self.freeze_box = QCheckBox("Freeze γ = 1, β = 0")
        self.freeze_box.setToolTip("The net with BN keeps γ = 1 and β = 0 (they get no "
                                   "updates): every unit's input to g has mean 0 and variance "
                                   "1 on each batch. Restarts training.")
        self.freeze_box.toggled.connect(self.set_frozen)
        self.affine_view = pg.GraphicsLayoutWidget()
        self.affine_plots, self.affine_cursors = {}, []
        self.affine_items: dict[str, list] = {}
        self.affine_ranges = {}
        for row, what in enumerate(("gamma", "beta")):
            p, cursor = _time_plot(self.affine_view, row, 0, 1.0 if what == "gamma" else 0.0)
            p.setLabel("left", "γ" if what == "gamma" else "β")
            self.affine_cursors.append(cursor)
            self.affine_plots[what] = p
            self.affine_items[what] = []
            self.affine_ranges[what] = SteppedRange(p, min_span=0.2)
        self.affine_plots["beta"].setXLink(self.affine_plots["gamma"])
        self.affine_plots["beta"].setLabel("bottom", "step")
        help_ = QLabel(AFFINE_HELP)
        help_.setWordWrap(True)
        help_.setToolTip(AFFINE_TIP)
        self.affine_view.setToolTip(AFFINE_TIP)
        self.affine_view.setMinimumHeight(180)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.freeze_box)
        lay.addWidget(self.affine_view, 1)
        lay.addWidget(help_)
        return w

    # The worker sends the numbers only while they are seen.
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._ask_worker(True)
        self._redraw(force=True)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._ask_worker(False)

    def _ask_worker(self, on: bool) -> None:
        worker = getattr(self.model, "worker", None)
        if worker is not None and hasattr(worker, "show_diagnostics"):
            worker.show_diagnostics(on)

    def on_snapshot(self, snap) -> None:
        """While training, at most LIVE_HZ redraws a second, the newest state drawn last (a
        redraw of every layer's histograms took ~90 ms with five layers, on every frame); a
        paused or replayed state at once."""
        self._last = snap
        if not self.isVisible():
            return
        if getattr(snap, "playing", False) and getattr(snap, "live", True):
            self.draw_later("redraw", lambda: self._redraw() if self.isVisible() else None,
                            LIVE_HZ)
            return
        self.cancel_later("redraw")
        self._redraw()

    def _redraw(self, force: bool = False) -> None:
        snap = self._last if self._last is not None else self.model.snapshot
        if snap is None:
            return
        diag, histories = self._parts(snap)
        if histories is None:
            return
        self._draw_first_loss(histories)
        tab = self.tabs.currentIndex()
        if tab == 0:
            self._draw_gradients(snap, diag)
        elif tab == 1:
            self._draw_ratios(snap, histories, force)
        else:
            self._draw_affine(snap, histories, force)

    def _parts(self, snap):
        """(this step's diagnostics or None, diagnostics whose histories cover the run).

        A replayed step keeps the gradients recorded at that step; its histories come from
        the newest state (the worker's), as for every time plot."""
        diag = getattr(snap, "diagnostics", None)
        if getattr(snap, "live", True):
            return diag, diag
        latest = self.model.worker.peek()
        newest = getattr(latest, "diagnostics", None)
        if newest is not None and latest.run_id == snap.run_id:
            return diag, newest
        return diag, diag

    def _draw_first_loss(self, diag) -> None:
        parts, classes = [], 2
        for run in RUNS:
            d = diag.get(run)
            if d is None:
                continue
            classes = d.classes
            loss = f"{d.first_loss:.3f}" if math.isfinite(d.first_loss) else "—"
            parts.append(f"<b style='color:{RUN_COLORS[run]}'>{RUN_LABELS[run]} {loss}</b>")
        ln_c = math.log(classes)
        losses = [d.first_loss for d in diag.values() if math.isfinite(d.first_loss)]
        verdict = ""
        if losses:
            worst = max(losses)
            verdict = (": far above, confidently wrong from the start" if worst > ln_c + 0.5
                       else ": close, an honest start")
        _set_text(self.first_loss, f"Loss at step 0: {', '.join(parts)}; a uniform guess: "
                                   f"ln {classes} = {ln_c:.3f}{verdict}.")

    def _draw_gradients(self, snap, diag) -> None:
        if diag is None:
            self.grad_note.setText(
                f"Step {snap.step} was stored while this panel was closed: its gradients were "
                "not recorded. Scrub to a step recorded with the panel open, or press Live.")
            for i, row in enumerate(self.grad_rows):
                self.cancel_later(f"gradients {i}")
                clear_row(row)
            return
        depth = max((len(d.layers) for d in diag.values()), default=0)
        if depth != len(self.grad_rows):
            self.grad_rows = self._grad_layer_rows.fit(depth)
        recorded = next(iter(diag.values())).step
        note = "" if depth else ("This network has no hidden layer: softmax regression has no "
                                 "hidden gradients to show.")
        if depth and not getattr(snap, "live", True) and recorded != snap.step:
            note = (f"Gradients of step {recorded}, the last recorded before step {snap.step} "
                    "(they are sent at most 40 times a second).")
        _set_text(self.grad_note, note)
        _set_text(self.saturation, saturation_line(diag, snap.config.activation))
        # While training each layer's row is drawn in its own turn of the frame budget (all
        # five rows at once blocked the window for ~35 ms); a paused or replayed step at once.
        later = bool(getattr(snap, "playing", False) and getattr(snap, "live", True))
        for i, row in enumerate(self.grad_rows):
            layers = {run: d.layers[i] for run, d in diag.items() if i < len(d.layers)}
            if later:
                self.draw_later(f"gradients {i}", lambda r=row, ls=layers: self._draw_row(r, ls))
            else:
                self.cancel_later(f"gradients {i}")
                draw_row(row, layers)

    def _draw_row(self, row: dict, layers: dict) -> None:
        if any(row is r for r in self.grad_rows):      # not a row hidden since
            draw_row(row, layers)

    def _draw_ratios(self, snap, diag, force: bool) -> None:
        live = getattr(snap, "live", True)
        set_cursors(self.ratio_cursors, None if live else snap.step)
        key = (snap.run_id, tuple(d.update_ratio.shape for d in diag.values()))
        if key == self._ratio_key and not force:
            return
        self._ratio_key = key
        names = []
        for run in RUNS:
            d = diag.get(run)
            if d is None:
                continue
            rows = d.update_ratio
            n = rows.shape[1] - 1
            items = self.ratio_items[run]
            plot = self.ratio_plots[run]
            while len(items) < n:
                items.append(plot.plot())
            while len(items) > n:
                plot.removeItem(items.pop())
            for j, item in enumerate(items):
                item.setPen(pg.mkPen(_layer_color(j, n, run), width=1.5))
                if rows.shape[0]:
                    x, y = decimate(rows[:, 0], rows[:, 1 + j])
                    item.setData(x, y, connect="finite")
                else:
                    item.setData([], [])
            names = [f"layer {j + 1}" for j in range(n - 1)] + ["output"]
            vals = rows[:, 1:]
            vals = vals[np.isfinite(vals)]
            rng = self.ratio_ranges[run]
            if rows.shape[0] and snap.step < (rng.x[1] if rng.x else 0) / 2:
                rng.reset()                         # a new, shorter run
            rng.update(np.array([max(1.0, snap.step)]),
                       np.concatenate((vals, RATIO_SPAN)) if vals.size else np.array(RATIO_SPAN))
        if names:
            swatches = "  ".join(
                f"<span style='color:{_layer_color(j, len(names), 'bn').name()}'>━</span>"
                f"<span style='color:{_layer_color(j, len(names), 'no_bn').name()}'>━</span> "
                f"{name}" for j, name in enumerate(names))
            _set_text(self.ratio_key, f"{swatches} (dark: first layer, light: deeper)")

    def _draw_affine(self, snap, diag, force: bool) -> None:
        live = getattr(snap, "live", True)
        set_cursors(self.affine_cursors, None if live else snap.step)
        bn = diag.get("bn")
        layers = [] if bn is None else [ld for ld in bn.layers if ld.gamma_history is not None]
        if self.layer_box.count() != len(layers):
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems([f"{i + 1}" for i in range(len(layers))])
            self.layer_box.blockSignals(False)
            force = True
        i = self.layer_box.currentIndex()
        if not layers or i < 0:
            self.affine_note.setText("No BN layer: γ and β belong to the net with BN.")
            for items in self.affine_items.values():
                for item in items:
                    item.setData([], [])
            return
        ld = layers[i]
        key = (snap.run_id, i, ld.gamma_history.shape)
        if key == self._affine_key and not force:
            return
        self._affine_key = key
        for what, rows in (("gamma", ld.gamma_history), ("beta", ld.beta_history)):
            units = min(rows.shape[1] - 1, MAX_UNIT_LINES)
            items, plot = self.affine_items[what], self.affine_plots[what]
            while len(items) < units:
                items.append(plot.plot(pen=pg.mkPen(fill(RUN_COLORS["bn"], 120), width=1)))
            while len(items) > units:
                plot.removeItem(items.pop())
            for u, item in enumerate(items):
                x, y = decimate(rows[:, 0], rows[:, 1 + u])
                item.setData(x, y)
            vals = rows[:, 1:1 + units]
            vals = vals[np.isfinite(vals)]
            rng = self.affine_ranges[what]
            if snap.step < (rng.x[1] if rng.x else 0) / 2:
                rng.reset()
            rng.update(np.array([max(1.0, snap.step)]), vals)
        g = ld.gamma_history[-1, 1:]
        b = ld.beta_history[-1, 1:]
        shown = "" if g.size <= MAX_UNIT_LINES else f" (first {MAX_UNIT_LINES} drawn)"
        frozen = " · frozen" if snap.config.freeze_bn_affine else ""
        self.affine_note.setText(f"{g.size} units{shown} · now γ {np.min(g):.2f} … "
                                 f"{np.max(g):.2f}, β {np.min(b):.2f} … {np.max(b):.2f}{frozen}")

    def plots(self) -> dict:
        return {"gradients": self.grad_view.ci,
                "update ratio with BN": self.ratio_plots["bn"],
                "update ratio without BN": self.ratio_plots["no_bn"],
                "gamma": self.affine_plots["gamma"], "beta": self.affine_plots["beta"]}

    def diagnostics_table(self) -> tuple[list[str], list]:
        """Header and rows of every recorded update ratio (CSV export): one row per net,
        step and layer."""
        snap = self.model.worker.peek() or self.model.snapshot
        diag = getattr(snap, "diagnostics", None) or {}
        header = ["net", "step", "layer", "log10_update_ratio"]
        rows = []
        for run, d in diag.items():
            n = d.update_ratio.shape[1] - 1
            names = [str(j + 1) for j in range(n - 1)] + ["output"]
            for r in d.update_ratio:
                rows += [[run, r[0], names[j], r[1 + j]] for j in range(n)]
        return header, rows
