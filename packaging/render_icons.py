"""Render the application icon's SVG to the PNG sizes desktops ask for (16 ... 256 px).

Below 32 px the SVG's ``<g id="detail">`` group (thin lines that turn into noise) is left out.
Usage: python packaging/render_icons.py   (runs offscreen; rewrites resources/icons/bn-studio-*.png)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256)
SMALL = 32  # sizes below this drop the detail group
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
DETAIL = re.compile(r'<g id="detail">.*?</g>', re.S)


def render(svg: str, size: int) -> QImage:
    if size < SMALL:
        svg = DETAIL.sub("", svg)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise SystemExit("invalid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (QPainter needs one)
    svg = (ICONS / "bn-studio.svg").read_text(encoding="utf-8")
    for size in SIZES:
        out = ICONS / f"bn-studio-{size}.png"
        if not render(svg, size).save(str(out)):
            raise SystemExit(f"could not write {out}")
        print(out)


if __name__ == "__main__":
    main()
