"""Small drawing helpers that keep streaming plots cheap to repaint.

Redrawing an axis (its ticks and text) costs more than redrawing a curve, so axes are cached
as pixmaps and ranges move in coarse steps instead of every frame (pyqtgraph's advice: no
autorange while streaming).
"""

from __future__ import annotations

import html
import math
import sys
from typing import TypeVar

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

MAX_POINTS = 1500          # curves are decimated to this many points before drawing


def cache_pixmap(*items: QGraphicsItem) -> None:
    """Render each item once into a pixmap, redrawn only when the item or its view range
    changes: for what stays put while something under or over it is redrawn."""
    for item in items:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def cache_axes(plot: pg.PlotItem) -> None:
    """Render each axis once into a pixmap; it is redrawn only when its range changes."""
    cache_pixmap(*(plot.getAxis(name) for name in ("left", "bottom", "right", "top")))


class FreesPlotsFirst:
    """For a top-level widget: when Python frees it, its plots go first, while every item
    is whole. Left to Qt, a plot's items went parents first, and a layout signal then
    reached an item already deleted: a crash. (At exit nothing is left to spare.)"""

    def __del__(self, _finalizing=sys.is_finalizing) -> None:
        if not _finalizing():
            try:
                delete_plots(self)
            except RuntimeError:                # Qt deleted the widget already
                pass

    def event(self, event) -> bool:
        # deleteLater (pytest-qt's, a closed dock's): Qt deletes the widget in this event,
        # plots included, in the same order as above: they go first here too.
        if event.type() == QEvent.Type.DeferredDelete:
            delete_plots(self)
        return super().event(event)  # type: ignore[misc]


def delete_plots(widget) -> None:
    """Delete every plot item in ``widget``, each after its children."""
    for view in widget.findChildren(pg.GraphicsView):
        scene = view.scene()
        if scene is not None:
            for item in scene.items():
                if item.parentItem() is None:
                    _delete_children_first(item)


def _delete_children_first(item: QGraphicsItem) -> None:
    for child in item.childItems():
        _delete_children_first(child)
    shiboken6.delete(item)


class LayerRows:
    """One row of plots per hidden layer in ``view``, each at least ``row_px`` tall:
    ``fit(n)`` shows rows 0..n-1. ``make_row(i)`` adds row ``i`` and lists the layout items
    it added in its ``"items"``. Rows past the depth are hidden, not deleted: a hidden row
    takes no room, a PlotItem costs about 11 ms to build, and lessons change the depth back
    and forth. Hidden rows stay in the scene, so a theme switch recolours them too."""

    def __init__(self, view: pg.GraphicsLayoutWidget, row_px: int, make_row) -> None:
        self._view, self._row_px, self._make_row = view, row_px, make_row
        self._built: list[dict] = []

    def fit(self, n: int) -> list[dict]:
        """The first ``n`` rows, shown (built if new); the rest hidden."""
        while len(self._built) < n:
            self._built.append(self._make_row(len(self._built)))
        for i, row in enumerate(self._built):
            for item in row["items"]:
                item.setVisible(i < n)
        self._view.setMinimumHeight(self._row_px * max(1, n))
        return self._built[:n]


TitleT = TypeVar("TitleT", bound=pg.LabelItem)


def _no_width_hint(height: float) -> dict:
    """A LabelItem's size hints (its ``_sizeHint``) asking for ``height`` and no width."""
    return {Qt.SizeHint.MinimumSize: (0, height), Qt.SizeHint.PreferredSize: (0, height),
            Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}


class SteadyTitle(pg.LabelItem):
    """A plot title that never changes the plot's width: pyqtgraph's LabelItem asks for the
    width of its text, so a long subtitle widened its column of a GraphicsLayout (pushing the
    plot beside it out of view) and the layout kept the width after the subtitle went. This
    one asks for no width and wraps to the width it gets; its height is at least ``reserved``
    (the tallest title the panel sets), so a subtitle coming and going moves nothing either."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.reserved = 0.0
        super().__init__("", parent=plot, size="11pt")      # the plot: parentItem()
        option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        self.item.document().setDefaultTextOption(option)

    def updateMin(self) -> None:
        width = self.width()
        if width > 1 and abs(self.item.textWidth() - width) > 0.5:
            self.item.setTextWidth(width)
        height = max(self.itemRect().height(), self.reserved)
        self.setMinimumWidth(0)
        self._sizeHint = _no_width_hint(height)
        plot = self.parentItem()
        # PlotItem.setTitle fixes the row at 30 px. While its plot is destroyed the parent
        # is a bare QGraphicsItem (no layout): nothing to fix then.
        if self.isVisible() and isinstance(plot, pg.PlotItem):
            self.setMaximumHeight(height)
            self.setMinimumHeight(height)
            plot.layout.setRowFixedHeight(0, height)
        self.updateGeometry()

    def reserve(self, tallest: str, **opts) -> None:
        """Keep room for ``tallest`` (the title with its longest subtitle, unwrapped)."""
        width = self.item.textWidth()
        self.item.setTextWidth(-1)
        self.setText(tallest, **opts)
        self.reserved = self.itemRect().height()
        self.item.setTextWidth(width)


class QuietTitle(pg.LabelItem):
    """A plot title whose text changes on every frame (a subtitle of live numbers). It asks
    for a new layout only when its size changes: pyqtgraph's LabelItem asks on every text,
    and PlotItem.setTitle fixes the title row's height again, each a layout pass of the view.
    Set its text with ``set_title``. It asks for no width (a number one digit longer would
    otherwise widen its plot): it is centred over the plot and wider text overhangs it."""

    def updateMin(self) -> None:
        height = self.itemRect().height()
        self.setMinimumWidth(0)
        self.setMinimumHeight(height)
        self._sizeHint = _no_width_hint(height)
        self.updateGeometry()

    def updateGeometry(self) -> None:
        sizes = (self.minimumSize(), self.maximumSize(), self.preferredSize(),
                 tuple(getattr(self, "_sizeHint", {}).values()))
        if sizes != getattr(self, "_sizes", None):
            self._sizes = sizes
            super().updateGeometry()


def _put_title(plot: pg.PlotItem, title: TitleT) -> TitleT:
    """Put ``title`` (a LabelItem of ``plot``) where ``plot``'s title is, in its place."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    plot.layout.addItem(title, 0, 1)
    plot.titleLabel = title
    return title


def quiet_title(plot: pg.PlotItem) -> QuietTitle:
    """Give ``plot`` a QuietTitle in place of its title."""
    title = _put_title(plot, QuietTitle("", parent=plot, size="11pt"))
    plot.setTitle(None)
    return title


def set_title(plot: pg.PlotItem, text: str, **opts) -> None:
    """Show ``text`` as ``plot``'s title: on a shown QuietTitle, with no new layout."""
    label = plot.titleLabel
    if isinstance(label, QuietTitle) and label.isVisible():
        label.setText(text, **opts)
    else:
        plot.setTitle(text, **opts)


def steady_title(plot: pg.PlotItem, tallest: str | None = None, **opts) -> SteadyTitle:
    """Give ``plot`` a SteadyTitle (room kept for ``tallest``, set with ``opts``)."""
    title = _put_title(plot, SteadyTitle(plot))
    if tallest is not None:
        plot.setTitle(" ")
        title.reserve(tallest, **opts)
    plot.setTitle(None)
    return title


AXIS_NAME_CHARS = 30      # a feature name on an axis, elided beyond this


def short_name(name: str, most: int = AXIS_NAME_CHARS) -> str:
    """A feature name (from a file: any text) cut to ``most`` characters, as plain text."""
    return name if len(name) <= most else name[:most - 1] + "…"


def axis_name(name: str, standardised: bool = True, fit_px: float | None = None,
              metrics=None) -> str:
    """An axis label for a feature: its name (from a file: the axis shows it as plain text,
    plain_text.install_plot_text) elided, and the note that the values are standardised. With
    ``fit_px`` and ``metrics`` (QFontMetricsF of the label), elided to fit that many pixels."""
    suffix = " (standardised)" if standardised else ""
    name = short_name(name)
    if fit_px is not None and metrics is not None:
        if suffix and metrics.horizontalAdvance(name + suffix) > fit_px:
            suffix = " (std.)" if standardised else ""
        room = max(0.0, fit_px - metrics.horizontalAdvance(suffix))
        name = metrics.elidedText(name, Qt.TextElideMode.ElideRight, room) or name[:1] + "…"
    return name + suffix


def input_names(split) -> tuple[str, str]:
    """The nets' two inputs by name: the features, "x₂ × 100" where an unstandardised split
    scales one (TrainConfig.x2_scale)."""
    a, b = (str(n) for n in split.feature_names[:2])
    if split.standardized:
        return a, b
    sa, sb = (float(s) for s in 1.0 / np.asarray(split.std, dtype=np.float64)[:2])
    return (a if sa == 1.0 else f"{a} × {sa:g}", b if sb == 1.0 else f"{b} × {sb:g}")


def point_html(split, xy) -> str:
    """A point of the input plane in the features' names: "petal_length = 3.30, petal_width =
    1.00 (standardised: −0.26, −0.26)" (names escaped: they come from a file)."""
    x = np.asarray(xy, dtype=np.float64).reshape(2)
    names = [html.escape(short_name(n)) for n in split.feature_names]
    with np.errstate(all="ignore"):
        raw = split.unstandardize(x.reshape(1, 2))[0]
    how = "standardised" if split.standardized else "the nets' inputs"
    if not np.all(np.isfinite(raw)):
        return f"{names[0]} = {x[0]:.2f}, {names[1]} = {x[1]:.2f} ({how})"
    return (f"{names[0]} = {raw[0]:.2f}, {names[1]} = {raw[1]:.2f} "
            f"({how}: {x[0]:.2f}, {x[1]:.2f})")


def plane_html(split) -> str:
    """Which feature runs along which side of a picture of the input plane."""
    names = [html.escape(short_name(n)) for n in split.feature_names]
    return f"Across: {names[0]}; up: {names[1]} (the decision regions' square)."


def add_legend(plot: pg.PlotItem, **kwargs) -> pg.LegendItem:
    """``plot.addLegend`` on a translucent plate of the background colour (see theme)."""
    from .theme import legend_brush
    kwargs.setdefault("brush", legend_brush())
    return plot.addLegend(**kwargs)


def nice_ceiling(x: float) -> float:
    """The next of 1, 2, 5 × 10^k at or above x (x > 0)."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    k = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * k >= x:
            return m * k
    return 10 * k


MIN_X_SPAN_STEPS = 10       # a step axis spans at least this, so its ticks are whole steps


def range_with_min_span(lo: float, hi: float, min_span: float,
                        pad: float = 0.15) -> tuple[float, float]:
    """lo..hi padded by ``pad`` of its span, and at least ``min_span`` wide around its centre.

    A near-constant series (a loss of 1.0826 in both nets at step 0, a mean of ±1e-10) would
    otherwise get a range of 1e-9 and tick labels such as "1.08261024965"."""
    span = hi - lo
    lo, hi = lo - pad * span, hi + pad * span
    if hi - lo < min_span:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - 0.5 * min_span, mid + 0.5 * min_span
    return lo, hi


def no_si_prefix(axis: pg.AxisItem) -> None:
    """Tick labels in the data's own units: pyqtgraph 0.14 ignores enableAutoSIPrefix(False)
    for an axis without units and labels 0.5 as "500" (a silent milli); an empty list of
    ranges where the prefix applies turns it off for good."""
    axis.enableAutoSIPrefix(False)
    axis.setSIPrefixEnableRanges(())
    axis.updateAutoSIPrefix()


def set_range_with_min_span(plot: pg.PlotItem, lo: float, hi: float, min_span: float,
                            axis: str = "y", pad: float = 0.15) -> tuple[float, float]:
    """Show lo..hi on ``axis`` ("x" or "y") padded and at least ``min_span`` wide; no SI
    prefix, so 0.001-sized values are not relabelled as "(x0.001)" thousands."""
    lo, hi = range_with_min_span(lo, hi, min_span, pad)
    no_si_prefix(plot.getAxis("left" if axis == "y" else "bottom"))
    (plot.setYRange if axis == "y" else plot.setXRange)(lo, hi, padding=0)
    return lo, hi


class SteppedRange:
    """Keeps a plot's view range; widens it in coarse steps only when the data leave it.
    ``min_span`` is the smallest y span shown (in data units, log10 units on a log axis)."""

    def __init__(self, plot: pg.PlotItem, x0: float = 0.0, grow_x: bool = True,
                 grow_y: bool = True, min_span: float = 0.1) -> None:
        self.plot = plot
        self.grow_x, self.grow_y = grow_x, grow_y
        self.x0 = x0
        self.min_span = min_span
        self.reset()
        plot.disableAutoRange()

    def reset(self) -> None:
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None           # the range shown (padded)
        # The data's range over every frame so far (not padded).
        self._data_y: tuple[float, float] | None = None

    def update(self, x: np.ndarray | None, y: np.ndarray | None) -> None:
        if self.grow_x and x is not None and len(x):
            hi = float(np.nanmax(x))
            if self.x is None or hi > self.x[1]:
                self.x = (self.x0, nice_ceiling(max(hi, MIN_X_SPAN_STEPS) * 1.05))
                self.plot.setXRange(*self.x, padding=0)
        if self.grow_y and y is not None and len(y):
            finite = np.asarray(y, dtype=np.float64)
            finite = finite[np.isfinite(finite)]
            if finite.size == 0:
                return
            lo, hi = float(finite.min()), float(finite.max())
            if self.y is None or lo < self.y[0] or hi > self.y[1]:
                # Padded once around all the data seen: the range does not depend on how
                # many frames widened it (a screenshot at step N looks the same every time).
                if self._data_y is not None:
                    lo, hi = min(self._data_y[0], lo), max(self._data_y[1], hi)
                self._data_y = (lo, hi)
                self.y = set_range_with_min_span(self.plot, lo, hi, self.min_span)


def decimate(*columns: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, ...]:
    """Every k-th row (always keeping the last) so a long history costs a bounded redraw."""
    n = len(columns[0])
    if n <= max_points:
        return columns
    # Rows more than points: steps of at least 1, so the rows are distinct and rising, and
    # the last one is n - 1 (np.unique's hashing took most of a curve's redraw).
    idx = np.linspace(0, n - 1, max(2, max_points)).astype(np.int64)
    return tuple(c[idx] for c in columns)


def points_across(plot: pg.PlotItem, per_pixel: int = 2) -> int:
    """How many points a curve across ``plot`` needs: ``per_pixel`` for each pixel of its
    width (at least 200 before it is laid out, at most MAX_POINTS)."""
    width = int(plot.getViewBox().width())
    return min(MAX_POINTS, max(200, per_pixel * width))


def envelope(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """A noisy curve (the loss of each mini-batch) thinned to at most ``max_points`` rows by
    keeping each run of rows' lowest and highest y, in order, and the last row: it keeps its
    band and its spikes, which every k-th row (decimate) thins out. NaN counts as neither."""
    n = len(x)
    if n <= max_points:
        return x, y
    k = -(-n // max(1, max_points // 2))        # rows per run: two points each
    m = n // k * k
    runs = np.asarray(y[:m], dtype=np.float64).reshape(-1, k)
    nan = np.isnan(runs)
    starts = np.arange(0, m, k)
    lo = starts + np.argmin(np.where(nan, np.inf, runs), axis=1)
    hi = starts + np.argmax(np.where(nan, -np.inf, runs), axis=1)
    pairs = np.column_stack([np.minimum(lo, hi), np.maximum(lo, hi)]).ravel()   # in order
    idx = np.concatenate([pairs, np.arange(m, n), [n - 1]])
    idx = idx[np.append(True, np.diff(idx) > 0)]     # rising already: drop the repeats
    return x[idx], y[idx]


class Band:
    """A filled band between two curves as one path item (cheaper than FillBetweenItem)."""

    def __init__(self, plot: pg.PlotItem, brush) -> None:
        self.item = QGraphicsPathItem()
        self.item.setBrush(pg.mkBrush(brush))
        self.item.setPen(pg.mkPen(None))
        plot.addItem(self.item)

    def set_data(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        if len(x) < 2:
            self.item.setPath(pg.QtGui.QPainterPath())
            return
        xs = np.concatenate([x, x[::-1]])
        ys = np.concatenate([hi, lo[::-1]])
        self.item.setPath(pg.arrayToQPath(xs, ys, connect="all"))


class SparseAxis(pg.AxisItem):
    """An axis with at most one tick label per ``px`` pixels: pyqtgraph always draws at least
    about three major ticks, which run together ("200400600800") in a plot 100 px wide."""

    def __init__(self, orientation: str, px: float = 48.0, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.px = px

    def tickSpacing(self, minVal, maxVal, size):
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels:
            return levels
        spacing = levels[0][0]
        most = max(1, int(size // self.px))
        while abs(maxVal - minVal) / spacing > most:
            spacing *= 2
        return [(spacing, 0.0)]


def set_cursors(lines, step) -> None:
    """Vertical cursors at ``step`` (the step a replay shows), hidden for None; touched only
    when that changes (they are set on every frame)."""
    for line in lines:
        if line.isVisible() != (step is not None):
            line.setVisible(step is not None)
        if step is not None and line.value() != step:
            line.setValue(step)


SCATTER_POINTS = 5000      # most points drawn per split: a stratified sample beyond it


def scatter_sample(split, k: int = SCATTER_POINTS):
    """((X_train, y_train), (X_val, y_val), note) to draw: the training split as is up to
    ``k`` points, beyond that a fixed stratified sample (every class kept) so frames stay
    fast; the validation split in the same proportion (its share of the points stays what it
    is). The note ("" or " · showing 5,000 of 750,000 …") says so. Same split, same sample."""
    from bn_studio.core.training.streams import stratified_sample
    rng = np.random.default_rng(0)
    n_train, n_val = len(split.y_train), len(split.y_val)
    k_val = k if n_train <= k else max(1, min(k, round(k * n_val / n_train)))
    parts, shown = [], []
    for X, y, what, most in ((split.X_train, split.y_train, "training", k),
                             (split.X_val, split.y_val, "validation", k_val)):
        idx = stratified_sample(np.asarray(y), most, rng)
        parts.append((X, y) if idx is None else (X[idx], y[idx]))
        if idx is not None:
            shown.append(f"{idx.size:,} of {len(y):,} {what}")
    note = f" · showing {' and '.join(shown)} points" if shown else ""
    return parts[0], parts[1], note
