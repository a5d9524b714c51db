"""Qt's drawing vocabulary as SVG text: numbers, colours, pens and brushes, fonts, painter
paths (absolute, or relative for a marker repeated along one path), transforms and images.
Pure string making: plot_svg.py walks the scene and calls these for each item.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainterPath, QPen, QTransform

DECIMALS = 2               # coordinates: 1/100 px is far below what any screen shows


def num(v: float) -> str:
    """A short number: 12.5, 3, -0.25 (no trailing zeros, no -0)."""
    s = f"{v:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def color(c: QColor, opacity: float = 1.0) -> tuple[str, float]:
    return c.name(QColor.NameFormat.HexRgb), c.alphaF() * opacity


def paint_attrs(pen: QPen | None, brush, opacity: float = 1.0) -> str:
    """SVG fill and stroke attributes for a Qt pen and brush (pens are cosmetic: pixels)."""
    parts = []
    if brush is None or brush.style() == Qt.BrushStyle.NoBrush:
        parts.append('fill="none"')
    else:
        col, a = color(brush.color(), opacity)
        parts.append(f'fill="{col}"')
        if a < 1:
            parts.append(f'fill-opacity="{num(a)}"')
    if pen is None or pen.style() == Qt.PenStyle.NoPen:
        parts.append('stroke="none"')
    else:
        col, a = color(pen.color(), opacity)
        width = pen.widthF() or 1.0           # width 0: a cosmetic one-pixel line
        parts.append(f'stroke="{col}" stroke-width="{num(width)}"')
        if a < 1:
            parts.append(f'stroke-opacity="{num(a)}"')
        dash = {Qt.PenStyle.DashLine: (4, 2), Qt.PenStyle.DotLine: (1, 2),
                Qt.PenStyle.DashDotLine: (4, 2, 1, 2),
                Qt.PenStyle.DashDotDotLine: (4, 2, 1, 2, 1, 2)}.get(pen.style())
        if dash:
            parts.append('stroke-dasharray="' + ",".join(num(d * width) for d in dash) + '"')
        cap = {Qt.PenCapStyle.FlatCap: "butt",
               Qt.PenCapStyle.RoundCap: "round"}.get(pen.capStyle(), "square")
        join = {Qt.PenJoinStyle.MiterJoin: "miter",
                Qt.PenJoinStyle.RoundJoin: "round"}.get(pen.joinStyle(), "bevel")
        parts.append(f'stroke-linecap="{cap}" stroke-linejoin="{join}"')
    return " ".join(parts)


def path_d(path: QPainterPath) -> str:
    """A QPainterPath (already in pixel coordinates) as SVG path data."""
    out = []
    n = path.elementCount()
    i = 0
    while i < n:
        e = path.elementAt(i)
        if e.type == QPainterPath.ElementType.MoveToElement:
            out.append(f"M{num(e.x)} {num(e.y)}")
        elif e.type == QPainterPath.ElementType.LineToElement:
            out.append(f"L{num(e.x)} {num(e.y)}")
        elif e.type == QPainterPath.ElementType.CurveToElement and i + 2 < n:
            c2, end = path.elementAt(i + 1), path.elementAt(i + 2)
            out.append(f"C{num(e.x)} {num(e.y)} {num(c2.x)} {num(c2.y)} "
                       f"{num(end.x)} {num(end.y)}")
            i += 2
        i += 1
    return "".join(out)


def png_base64(image: QImage) -> str:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")  # type: ignore[call-overload]  # stubs: bytes; Qt: str
    return bytes(data.toBase64().data()).decode("ascii")


def matrix(t: QTransform) -> str:
    return "matrix(" + ",".join(num(v) if abs(v) >= 1e-3 else f"{v:.6g}" for v in
                                (t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy())) + ")"


def font_attrs(font: QFont) -> str:
    size: float = font.pixelSize()
    if size <= 0:
        dpi = QGuiApplication.primaryScreen().logicalDotsPerInchY() if \
            QGuiApplication.primaryScreen() else 96.0
        size = font.pointSizeF() * dpi / 72.0
    family = escape(font.family(), {'"': "&quot;"})
    weight = ' font-weight="bold"' if font.bold() else ""
    style = ' font-style="italic"' if font.italic() else ""
    return (f'font-family="{family}, DejaVu Sans, Arial, sans-serif" '
            f'font-size="{num(size)}"{weight}{style}')


_TEMPLATES: dict[tuple, str] = {}


def marker_template(symbol, size: float) -> str:
    """Path data of one marker relative to its centre (after an absolute M to the centre)."""
    key = (symbol if isinstance(symbol, str) else id(symbol), round(size, 2))
    if key in _TEMPLATES:
        return _TEMPLATES[key]
    r = size / 2
    if symbol == "o":
        d = (f"m{num(-r)} 0a{num(r)} {num(r)} 0 1 0 {num(2 * r)} 0"
             f"a{num(r)} {num(r)} 0 1 0 {num(-2 * r)} 0z")
    else:
        path = Symbols.get(symbol) if isinstance(symbol, str) else symbol
        d = "" if path is None else relative_d(QTransform.fromScale(size, size).map(path))
    _TEMPLATES[key] = d
    return d


def relative_d(path: QPainterPath) -> str:
    """Path data with every command relative, starting from the origin (the marker centre)."""
    out: list[str] = []
    cur = start = (0.0, 0.0)
    n, i = path.elementCount(), 0
    while i < n:
        e = path.elementAt(i)
        dx, dy = e.x - cur[0], e.y - cur[1]
        if e.type == QPainterPath.ElementType.MoveToElement:
            if out:
                out.append("z")
                cur = start
                dx, dy = e.x - cur[0], e.y - cur[1]
            out.append(f"m{num(dx)} {num(dy)}")
            start = (e.x, e.y)
        elif e.type == QPainterPath.ElementType.LineToElement:
            out.append(f"l{num(dx)} {num(dy)}")
        elif e.type == QPainterPath.ElementType.CurveToElement and i + 2 < n:
            c2, end = path.elementAt(i + 1), path.elementAt(i + 2)
            out.append(f"c{num(dx)} {num(dy)} {num(c2.x - cur[0])} {num(c2.y - cur[1])} "
                       f"{num(end.x - cur[0])} {num(end.y - cur[1])}")
            e = end
            i += 2
        cur = (e.x, e.y)
        i += 1
    if out:
        out.append("z")
    return "".join(out)
