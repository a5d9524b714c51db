"""A pyqtgraph plot (or a layout of plots) as SVG that opens alike in browsers and librsvg.

pyqtgraph's SVGExporter fails on the path syntax Qt 6.7+ writes, and Qt's own QSvgGenerator
draws a scatter plot as one cropped copy of its whole symbol atlas per point (striped blobs,
16 MB for 3,559 points) and curves with ``vector-effect: non-scaling-stroke`` under a
data-to-pixel matrix, which librsvg ignores (strokes 150× too wide: solid slabs). So this
module walks the scene itself and writes every item in pixel coordinates:

- curves, bands, bars and lines as paths (no transform, so no stroke scaling);
- a scatter's points as ONE path per marker style (a relative template repeated);
- images as embedded PNGs placed by a matrix (decision regions: the raster layer);
- axes and labels as text;
- anything else as a small embedded raster of that item alone (never a broken vector).

Walking reads the scene, so it runs on the GUI thread; ``SvgDrawing.text()`` (the string
formatting and PNG encoding) touches no Qt item and may run on any thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QFont, QFontMetricsF, QImage, QPainter,
                           QPainterPath, QPicture, QTransform)
from PySide6.QtWidgets import (QGraphicsItem, QGraphicsPathItem, QGraphicsRectItem,
                               QGraphicsTextItem, QStyleOptionGraphicsItem)

from .svg_text import (font_attrs, marker_template, matrix, num, paint_attrs, path_d,
                       png_base64)

RASTER_SCALE = 2           # an item drawn as a raster gets 2 pixels per scene pixel

# Items that draw nothing of their own (their children do); anything not listed here and
# not handled below is embedded as a raster of itself.
CONTAINERS = (pg.PlotItem, pg.ViewBox, pg.GraphicsLayout, pg.PlotDataItem, pg.LabelItem,
              pg.GraphicsWidget, pg.ItemGroup)


@dataclass
class _Image:
    """An image to embed, encoded when the text is made (off the GUI thread)."""

    image: QImage
    transform: QTransform
    opacity: float
    smooth: bool


@dataclass
class SvgDrawing:
    """What the walk read from the scene: SVG fragments and images still to encode."""

    width: float
    height: float
    title: str = ""
    parts: list = field(default_factory=list)     # str or _Image, in drawing order
    defs: list[str] = field(default_factory=list)
    rasterised: list[str] = field(default_factory=list)   # items embedded as rasters

    def text(self) -> str:
        body = []
        for part in self.parts:
            if isinstance(part, _Image):
                img = part.image
                rendering = "" if part.smooth else (' image-rendering="optimizeSpeed"'
                                                    ' style="image-rendering:pixelated"')
                opacity = f' opacity="{num(part.opacity)}"' if part.opacity < 1 else ""
                body.append(f'<image width="{img.width()}" height="{img.height()}" '
                            f'preserveAspectRatio="none" transform="{matrix(part.transform)}"'
                            f'{rendering}{opacity} xlink:href="data:image/png;base64,'
                            f'{png_base64(img)}"/>')
            else:
                body.append(part)
        w, h = num(self.width), num(self.height)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<svg xmlns="http://www.w3.org/2000/svg" '
                f'xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
                f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
                f"<title>{escape(self.title)}</title>\n"
                + ("<defs>\n" + "\n".join(self.defs) + "\n</defs>\n" if self.defs else "")
                + "\n".join(body) + "\n</svg>\n")


class _Walker:
    def __init__(self, root: QGraphicsItem, title: str) -> None:
        rect = root.sceneBoundingRect()
        self.origin = QTransform.fromTranslate(-rect.left(), -rect.top())
        self.drawing = SvgDrawing(rect.width(), rect.height(), title)
        self._clips = 0
        self._markers = 0
        views = root.scene().views() if root.scene() is not None else []
        if views:
            brush = views[0].backgroundBrush()
            if brush.style() != Qt.BrushStyle.NoBrush:
                self.add(f'<rect width="100%" height="100%" {paint_attrs(None, brush)}/>')

    def add(self, text: str) -> None:
        self.drawing.parts.append(text)

    def to_px(self, item: QGraphicsItem) -> QTransform:
        """Item coordinates → SVG pixels (honours ItemIgnoresTransformations)."""
        return item.deviceTransform(QTransform()) * self.origin

    def walk(self, item: QGraphicsItem) -> None:
        if not item.isVisible() or item.effectiveOpacity() <= 0:
            return
        self.draw(item)
        children = sorted(item.childItems(), key=lambda c: c.zValue())
        clip = (bool(item.flags() & QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
                and children)
        if clip:
            self._clips += 1
            cid = f"clip{self._clips}"
            shape = self.to_px(item).map(item.shape())
            self.drawing.defs.append(f'<clipPath id="{cid}"><path d="{path_d(shape)}"/>'
                                     "</clipPath>")
            self.add(f'<g clip-path="url(#{cid})">')
        for child in children:
            self.walk(child)
        if clip:
            self.add("</g>")

    def draw(self, item: QGraphicsItem) -> None:
        opacity = item.effectiveOpacity()
        for kind, method in DRAWERS:
            if isinstance(item, kind):
                method(self, item, opacity)
                return
        if isinstance(item, CONTAINERS) or type(item).paint is QGraphicsItem.paint:
            return
        self.raster(item, opacity)

    def path(self, path: QPainterPath, pen, brush, opacity: float, item) -> None:
        if path.isEmpty():
            return
        d = path_d(self.to_px(item).map(path))
        if d:
            self.add(f'<path d="{d}" {paint_attrs(pen, brush, opacity)}/>')

    def curve(self, item: pg.PlotCurveItem, opacity: float) -> None:
        if item.xData is None or len(item.xData) == 0:
            return
        brush = item.opts["brush"]
        if item.opts["fillLevel"] is not None and brush is not None:
            self.path(item._getFillPath(), None, pg.mkBrush(brush), opacity, item)
        for kind in ("shadowPen", "pen"):
            pen = item.opts[kind]
            if pen is not None:
                self.path(item.getPath(), pg.mkPen(pen), None, opacity, item)

    def shape_item(self, item, opacity: float) -> None:
        path = QPainterPath()
        if isinstance(item, QGraphicsRectItem):
            path.addRect(item.rect())
        else:
            path = item.path()
        self.path(path, item.pen(), item.brush(), opacity, item)

    def infinite_line(self, item: pg.InfiniteLine, opacity: float) -> None:
        item.boundingRect()                     # computes the ends for the current view
        left, right = item._endPoints
        path = QPainterPath(QPointF(left, 0))
        path.lineTo(QPointF(right, 0))
        self.path(path, item.currentPen, None, opacity, item)

    def bars(self, item: pg.BarGraphItem, opacity: float) -> None:
        x0, y0, x1, y1 = item._getNormalizedCoords()
        if x0 is None or np.size(x0) == 0:
            return
        n = max(np.size(x0), np.size(y0))
        x0, y0, x1, y1 = (np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
                          for v in (x0, y0, x1, y1))
        pens, brushes = item.opts.get("pens"), item.opts.get("brushes")
        groups: dict[tuple, list[int]] = {}
        styles = {}
        for i in range(n):
            pen = pg.mkPen(pens[i] if pens is not None else item.opts.get("pen"))
            brush = pg.mkBrush(brushes[i] if brushes is not None else item.opts.get("brush"))
            key = (paint_attrs(pen, brush, opacity),)
            styles[key] = (pen, brush)
            groups.setdefault(key, []).append(i)
        t = self.to_px(item)
        for key, idx in groups.items():
            d = []
            for i in idx:
                if not all(np.isfinite([x0[i], y0[i], x1[i], y1[i]])):
                    continue
                poly = t.map(pg.QtGui.QPolygonF(QRectF(QPointF(x0[i], y0[i]),
                                                      QPointF(x1[i], y1[i]))))
                d.append("M" + "L".join(f"{num(p.x())} {num(p.y())}"
                                        for p in list(poly)[:4]) + "Z")
            if d:
                self.add(f'<path d="{"".join(d)}" {key[0]}/>')

    def scatter(self, item: pg.ScatterPlotItem, opacity: float) -> None:
        data = item.data
        if data is None or len(data) == 0:
            return
        opts = item.opts
        t = self.to_px(item)
        x = data["x"].astype(np.float64)
        y = data["y"].astype(np.float64)
        px = t.m11() * x + t.m21() * y + t.dx()
        py = t.m12() * x + t.m22() * y + t.dy()
        keep = data["visible"] & np.isfinite(px) & np.isfinite(py)
        scale = 1.0 if opts["pxMode"] else math.hypot(t.m11(), t.m12())
        # Group by the identity of each point's symbol, size, pen and brush objects (a
        # panel shares one brush per class), then describe each group's look once.
        idx = np.flatnonzero(keep)
        columns = [data[name][idx] for name in ("symbol", "size", "pen", "brush")]
        groups: dict[tuple, list[int]] = {}
        for i, key in zip(idx.tolist(), zip(*[[id(v) if v is not None else None for v in c]
                                              if c.dtype == object else c.tolist()
                                              for c in columns])):
            groups.setdefault(key, []).append(i)
        merged: dict[tuple, list[int]] = {}
        looks: dict[tuple, tuple] = {}
        for members in groups.values():
            i = members[0]
            symbol = data["symbol"][i]
            symbol = opts["symbol"] if symbol is None else symbol
            size = float(data["size"][i])
            size = float(opts["size"] if size < 0 else size) * scale
            pen = data["pen"][i] if data["pen"][i] is not None else opts["pen"]
            brush = data["brush"][i] if data["brush"][i] is not None else opts["brush"]
            pen, brush = pg.mkPen(pen), pg.mkBrush(brush)
            look = (symbol if isinstance(symbol, str) else id(symbol), round(size, 2),
                    paint_attrs(pen, None, opacity), paint_attrs(None, brush, opacity))
            looks[look] = (symbol, size)
            merged.setdefault(look, []).extend(members)
        for look, members in merged.items():
            symbol, size = looks[look]
            template = marker_template(symbol, size)
            if not template:
                continue
            # A tenth of a pixel places a marker exactly enough and keeps the file small.
            d = "".join(f"M{px[i]:.1f} {py[i]:.1f}{template}" for i in sorted(members))
            # Outlines under the fills: on screen each point covers the one drawn before,
            # outline and all; one path stroked last would put every ring on top of every
            # neighbour's fill (piled-up points look white).
            # The points' path is written once (in defs) and drawn twice by reference.
            self._markers += 1
            mid = f"markers{self._markers}"
            self.drawing.defs.append(f'<path id="{mid}" d="{d}"/>')
            if 'stroke="none"' not in look[2]:
                self.add(f'<use xlink:href="#{mid}" {look[2]}/>')
            if 'fill="none"' not in look[3]:
                self.add(f'<use xlink:href="#{mid}" {look[3]}/>')

    def image(self, item: pg.ImageItem, opacity: float) -> None:
        if item.image is None:
            return
        if item.qimage is None:
            item.render()
        if item.qimage is None:
            return
        self.drawing.parts.append(_Image(item.qimage.copy(), self.to_px(item), opacity,
                                         smooth=False))

    def text_item(self, item: QGraphicsTextItem, opacity: float) -> None:
        doc = item.document()
        layout = doc.documentLayout()
        t = self.to_px(item)
        default = item.defaultTextColor()
        block = doc.begin()
        while block.isValid():
            origin = layout.blockBoundingRect(block).topLeft()
            text = block.text()
            lines = block.layout()
            for j in range(lines.lineCount()):
                line = lines.lineAt(j)
                start, end = line.textStart(), line.textStart() + line.textLength()
                spans: list[str] = []
                it = block.begin()
                while not it.atEnd():
                    frag = it.fragment()
                    it += 1
                    a = max(start, frag.position() - block.position())
                    b = min(end, frag.position() - block.position() + frag.length())
                    piece = text[a:b].replace("\u2028", "")
                    if not piece.strip() and not spans:
                        continue
                    fmt = frag.charFormat()
                    colour = (fmt.foreground().color()
                              if fmt.foreground().style() != Qt.BrushStyle.NoBrush else default)
                    spans.append(f"<tspan {font_attrs(fmt.font())} "
                                 f"{paint_attrs(None, pg.mkBrush(colour), opacity)}>"
                                 f"{escape(piece)}</tspan>")
                if spans:
                    x = origin.x() + line.x()
                    y = origin.y() + line.y() + line.ascent()
                    self.add(f'<text xml:space="preserve" x="{num(x)}" y="{num(y)}" '
                             f'transform="{matrix(t)}">{"".join(spans)}</text>')
            block = block.next()

    def text_frame(self, item: pg.TextItem, opacity: float) -> None:
        """pg.TextItem's optional border and fill (its text is a child text item)."""
        if item.border.style() == Qt.PenStyle.NoPen and item.fill.style() == Qt.BrushStyle.NoBrush:
            return
        path = QPainterPath()
        path.addPolygon(item.textItem.mapToParent(item.textItem.boundingRect()))
        self.path(path, item.border, item.fill, opacity, item)

    def axis(self, item: pg.AxisItem, opacity: float) -> None:
        picture = QPicture()
        painter = QPainter(picture)
        font = item.style["tickFont"] or QFont(painter.font())
        painter.setFont(font)
        try:
            specs = item.generateDrawSpecs(painter)
        finally:
            painter.end()
        if specs is None:
            return
        axis_spec, tick_specs, text_specs = specs
        t = self.to_px(item)
        for pen, p1, p2 in [axis_spec, *tick_specs]:
            a, b = t.map(QPointF(p1)), t.map(QPointF(p2))
            self.add(f'<path d="M{num(a.x())} {num(a.y())}L{num(b.x())} {num(b.y())}" '
                     f'{paint_attrs(pen, None, opacity)}/>')
        colour = item.textPen().color()
        metrics = QFontMetricsF(font)
        attrs = f"{font_attrs(font)} {paint_attrs(None, pg.mkBrush(colour), opacity)}"
        for rect, flags, text in text_specs:
            flags = int(flags)
            rect = QRectF(rect)
            if flags & int(Qt.AlignmentFlag.AlignLeft):
                x, anchor = rect.left(), "start"
            elif flags & int(Qt.AlignmentFlag.AlignRight):
                x, anchor = rect.right(), "end"
            else:
                x, anchor = rect.center().x(), "middle"
            if flags & int(Qt.AlignmentFlag.AlignTop):
                y = rect.top() + metrics.ascent()
            elif flags & int(Qt.AlignmentFlag.AlignBottom):
                y = rect.bottom() - metrics.descent()
            else:
                y = rect.center().y() + (metrics.ascent() - metrics.descent()) / 2
            p = t.map(QPointF(x, y))
            self.add(f'<text x="{num(p.x())}" y="{num(p.y())}" text-anchor="{anchor}" '
                     f"{attrs}>{escape(text)}</text>")

    def legend_frame(self, item: pg.LegendItem, opacity: float) -> None:
        path = QPainterPath()
        path.addRect(item.boundingRect())
        self.path(path, pg.mkPen(item.opts["pen"]), pg.mkBrush(item.opts["brush"]), opacity,
                  item)

    def legend_sample(self, item: ItemSample, opacity: float) -> None:
        opts = item.item.opts
        if not isinstance(item.item, pg.ScatterPlotItem):
            path = QPainterPath(QPointF(0, 11))
            path.lineTo(QPointF(20, 11))
            self.path(path, pg.mkPen(opts["pen"]), None, opacity, item)
        symbol = opts.get("symbol")
        if symbol is not None:
            if isinstance(item.item, pg.PlotDataItem):
                opts = item.item.scatter.opts
            c = self.to_px(item).map(QPointF(10, 10))
            template = marker_template(symbol, float(opts["size"]))
            self.add(f'<path d="M{num(c.x())} {num(c.y())}{template}" '
                     f'{paint_attrs(pg.mkPen(opts["pen"]), pg.mkBrush(opts["brush"]), opacity)}/>')

    def raster(self, item: QGraphicsItem, opacity: float) -> None:
        """An item this module does not know: drawn by itself into an embedded image."""
        rect = item.boundingRect()
        if rect.isEmpty():
            return
        area = self.to_px(item).mapRect(rect)
        w = max(1, math.ceil(area.width() * RASTER_SCALE))
        h = max(1, math.ceil(area.height() * RASTER_SCALE))
        if w * h > 64_000_000:
            return
        img = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.scale(RASTER_SCALE, RASTER_SCALE)
        p.translate(-area.left(), -area.top())
        p.setTransform(self.to_px(item), True)
        try:
            item.paint(p, QStyleOptionGraphicsItem(), None)
        finally:
            p.end()
        place = QTransform.fromScale(1 / RASTER_SCALE, 1 / RASTER_SCALE) \
            * QTransform.fromTranslate(area.left(), area.top())
        self.drawing.parts.append(_Image(img, place, opacity, smooth=True))
        self.drawing.rasterised.append(type(item).__name__)


# (item type, how to draw it); the first that matches an item draws it.
DRAWERS: tuple[tuple[Any, Callable[[_Walker, Any, float], None]], ...] = (
    (pg.AxisItem, _Walker.axis),
    (pg.ScatterPlotItem, _Walker.scatter),
    (pg.PlotCurveItem, _Walker.curve),
    (pg.ImageItem, _Walker.image),
    (pg.InfiniteLine, _Walker.infinite_line),
    (pg.BarGraphItem, _Walker.bars),
    (ItemSample, _Walker.legend_sample),
    (pg.LegendItem, _Walker.legend_frame),
    (pg.TextItem, _Walker.text_frame),
    (QGraphicsTextItem, _Walker.text_item),
    ((QGraphicsRectItem, QGraphicsPathItem), _Walker.shape_item),
)


def read_svg(root: QGraphicsItem, title: str = "") -> SvgDrawing:
    """Read ``root`` (a PlotItem, a GraphicsLayout of several, any item in a scene) and what
    it contains; call on the GUI thread. ``.text()`` on the result makes the SVG."""
    scene = root.scene()
    if hasattr(scene, "prepareForPaint"):
        scene.prepareForPaint()       # view boxes apply a new range only just before a paint
    walker = _Walker(root, title)
    walker.walk(root)
    return walker.drawing
