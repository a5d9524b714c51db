"""The diagnostics panel's gradient histograms: per hidden layer, dL/dZ and dL/dW of the last
mini-batch, the net with BN over the net without on shared bins, with their spreads."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from bn_studio.core.measure.diagnostics import SATURATED_DERIVATIVE

from ..plain_text import Rich
from ..plotting import SparseAxis, cache_axes, LayerRows, no_si_prefix, quiet_title, set_title
from ..theme import RUN_COLORS, RUN_LABELS

RUNS = ("bn", "no_bn")
ROW_HEIGHT_PX = 130         # one hidden layer's pair of gradient histograms
PARTS = (("dz", "dz_edges", "dz_share", "dz_std", "dL/dZ"),
         ("dw", "dw_edges", "dw_share", "dw_std", "dL/dW"))


def fill(color: str, alpha: int):
    c = pg.mkColor(color)
    c.setAlpha(alpha)
    return c


def fmt(x: float) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.2g}"


def saturation_line(diag: dict, activation: str) -> str:
    """One line: each net's saturated (or dead) share per hidden layer, in per cent."""
    what = ("Dead ReLU units (0 on the whole batch)" if activation == "relu"
            else f"Saturated (|g'| &lt; {SATURATED_DERIVATIVE:g})")
    parts = []
    for run in RUNS:
        d = diag.get(run)
        if d is None or not d.layers:
            continue
        # &nbsp; inside a net's list: a narrow dock wraps between the nets, never before "%".
        shares = "&nbsp;".join("—" if not math.isfinite(ld.saturated)
                               else f"{100 * ld.saturated:.0f}" for ld in d.layers)
        parts.append(f"<span style='color:{RUN_COLORS[run]}'>{RUN_LABELS[run]}&nbsp;{shares}"
                     "&nbsp;%</span>")
    return f"{what}, layer 1 to {max((len(d.layers) for d in diag.values()), default=0)}: " \
        + " · ".join(parts) if parts else ""


def layer_rows(view: pg.GraphicsLayoutWidget) -> LayerRows:
    """The rows of dL/dZ and dL/dW histograms in ``view``, one per hidden layer."""
    return LayerRows(view, ROW_HEIGHT_PX, lambda i: _make_row(view, i))


def _make_row(view: pg.GraphicsLayoutWidget, i: int) -> dict:
    row: dict = {"items": [view.addLabel(Rich(f"<b>layer {i + 1}</b>"), row=i, col=0,
                                         angle=-90, size="9pt")]}
    for col, what in enumerate(("dz", "dw"), start=1):
        p = view.addPlot(row=i, col=col, axisItems={"bottom": SparseAxis("bottom", px=56)})
        cache_axes(p)
        quiet_title(p)                      # its σ change with every redraw
        p.setMouseEnabled(x=False, y=False)
        p.hideButtons()
        p.getAxis("left").setStyle(showValues=False)
        p.getAxis("left").setWidth(6)
        p.setYRange(0, 1.1, padding=0)
        no_si_prefix(p.getAxis("bottom"))
        items = {}
        for run in ("bn", "no_bn"):         # no BN drawn last: its spike on top
            items[run] = p.plot(stepMode="center", fillLevel=0,
                                pen=pg.mkPen(RUN_COLORS[run], width=1.5),
                                brush=fill(RUN_COLORS[run], 70))
        row[what] = (p, items)
        row["items"].append(p)
    return row


def clear_row(row: dict) -> None:
    for what in ("dz", "dw"):
        for item in row[what][1].values():
            item.setData([], [])


def draw_row(row: dict, layers: dict) -> None:
    """One hidden layer's histograms from ``layers`` (run → that layer's diagnostics)."""
    for key, edges_of, share_of, std_of, title in PARTS:
        plot, items = row[key]
        for run, item in items.items():
            ld = layers.get(run)
            if ld is None:
                item.setData([], [])
                continue
            # Each net's own tallest bin is 1: a spike of one net would otherwise flatten
            # the other's shape to nothing.
            share = getattr(ld, share_of)
            top = float(np.max(share)) if share.size else 0.0
            item.setData(getattr(ld, edges_of), share / top if top > 0 else share)
        ref = next(iter(layers.values()), None)
        if ref is not None:
            edges = getattr(ref, edges_of)
            if row.get(key + "_x") != (edges[0], edges[-1]):
                row[key + "_x"] = (edges[0], edges[-1])
                plot.setXRange(float(edges[0]), float(edges[-1]), padding=0)
        stds = " ".join(f"<span style='color:{RUN_COLORS[r]}'>σ "
                        f"{fmt(getattr(layers[r], std_of))}</span>"
                        for r in RUNS if r in layers)
        text = f"{title} {stds}"
        if row.get(key + "_title") != text:     # new text re-lays out an HTML title
            row[key + "_title"] = text
            set_title(plot, Rich(text), size="9pt")   # the app's own colours
