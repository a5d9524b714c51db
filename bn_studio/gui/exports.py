"""Exports: any plot to PNG or SVG with pyqtgraph's own exporters, tables to CSV, the window to PNG."""

from __future__ import annotations

import csv
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)

PNG_WIDTH_PX = 1200          # exported plots are sharper than on screen
INTEGER_COLUMNS = {"step", "steps", "trial", "seed", "epoch", "unit", "layer"}


class ExportError(OSError):
    """The file could not be written; the message is one line for the user."""


def export_plot(item, path) -> Path:
    """Write a PlotItem (or GraphicsLayout) to ``path``; the suffix picks PNG or SVG."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        try:
            pg.exporters.SVGExporter(item).export(str(path))
        except (ValueError, IndexError):
            # pyqtgraph's SVG exporter cannot parse the path syntax newer Qt writes
            # (pyqtgraph issue #3485); Qt's own SVG generator draws the same scene.
            _svg_with_qt(item, path)
        except OSError as e:
            raise ExportError(f"{path.name}: cannot write ({e.strerror or e})") from None
        return _check(path)
    if suffix == ".png":
        exporter = pg.exporters.ImageExporter(item)
        width = max(PNG_WIDTH_PX, int(item.boundingRect().width()))
        exporter.parameters()["width"] = width
    else:
        raise ExportError(f"{path.name}: choose a .png or .svg file name")
    try:
        exporter.export(str(path))
    except OSError as e:
        raise ExportError(f"{path.name}: cannot write ({e.strerror or e})") from None
    return _check(path)


def _check(path: Path) -> Path:
    if not path.exists() or path.stat().st_size == 0:
        raise ExportError(f"{path.name}: nothing was written")
    return path


def _svg_with_qt(item, path: Path) -> None:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    rect = item.sceneBoundingRect()
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(rect.size().toSize())
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle(path.stem)
    painter = QPainter(gen)
    try:
        item.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    finally:
        painter.end()


def export_table(path, header: list[str], rows) -> Path:
    """Rows under ``header`` as CSV; counting columns (step, trial, …) as whole numbers, not
    the 0.0 of the float arrays they come from."""
    path = Path(path)
    whole = [name.lower() in INTEGER_COLUMNS for name in header]
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows([_whole(v) if j < len(whole) and whole[j] else v
                         for j, v in enumerate(row)] for row in rows)
    except OSError as e:
        raise ExportError(f"{path.name}: cannot write ({e.strerror or e})") from None
    return path


def _whole(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return int(f) if f.is_integer() else v


def export_widget(widget, path) -> Path:
    """The whole window (or one panel) as it looks on screen, as PNG."""
    path = Path(path)
    if not widget.grab().save(str(path)):
        raise ExportError(f"{path.name}: cannot write the image")
    return path
