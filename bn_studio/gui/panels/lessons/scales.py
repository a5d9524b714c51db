"""Lesson 2's page (the scale of a search): how uniform and log sampling spread α over its
decades, and β's samples near 1 (a mixin of the lessons panel; the numbers from the core)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg

from bn_studio.core.lessons import numbers as L

from ...plotting import add_legend
from .widgets import _label, _plot, _pow10

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from ..base import Panel as _Host
else:
    _Host = object


class ScalesPages(_Host):
    """Lesson 2 of the lessons panel."""

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
