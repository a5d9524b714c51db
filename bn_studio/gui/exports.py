"""Exports: any plot to PNG or SVG (plot_svg writes the SVG), tables to CSV, the window to PNG."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters  # registers the exporters
from PySide6.QtGui import QImage

from .plot_svg import read_svg

PNG_WIDTH_PX = 1200          # exported plots are sharper than on screen
INTEGER_COLUMNS = {"step", "steps", "trial", "seed", "epoch", "unit", "layer"}


class ExportError(OSError):
    """The file could not be written; the message is one line for the user."""


def export_plot(target, path) -> Path:
    """Write a plot to ``path``; the suffix picks PNG or SVG. ``target``: a PlotItem, a
    GraphicsLayout of several plots, any item in a scene, or a function returning one."""
    return prepare_plot(target, path)()


def prepare_plot(target, path) -> Callable[[], Path]:
    """Read the plot now, on the GUI thread (scene items are not thread-safe); the returned
    job encodes and writes the file and may run on any thread."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportError(f"{path.name}: choose a .png or .svg file name")
    item = target() if callable(target) else target
    if item is None or item.scene() is None:
        raise ExportError(f"{path.name}: there is nothing to export yet")
    if suffix == ".svg":
        drawing = read_svg(item, path.stem)
        return lambda: _write_bytes(path, drawing.text().encode("utf-8"))
    image = render_png(item)
    return lambda: _save_image(image, path)


def render_png(item, width_px: int = PNG_WIDTH_PX) -> QImage:
    """``item`` as the screen shows it, at least ``width_px`` wide: pyqtgraph's exporter, which
    scales pixel-sized markers and pens with the picture (a plain scene render keeps them at
    screen size)."""
    exporter = pg.exporters.ImageExporter(item)
    exporter.parameters()["width"] = max(width_px, int(item.sceneBoundingRect().width()))
    return exporter.export(toBytes=True)


def partial_path(path: Path) -> Path:
    """Where a file is written until it is complete (then ``finish`` renames it), so a failed
    or cancelled export never leaves half a file, nor spoils an earlier one."""
    return path.with_name(f".{path.name}.part")


def finish(part: Path, path: Path) -> Path:
    """Move the complete temporary file ``part`` into place as ``path``."""
    try:
        if not part.exists() or part.stat().st_size == 0:
            raise ExportError(f"{path.name}: nothing was written")
        os.replace(part, path)
    except OSError as e:
        raise ExportError(f"{path.name}: cannot write ({e.strerror or e})") from None
    finally:
        part.unlink(missing_ok=True)
    return path


def _save_image(image: QImage, path: Path) -> Path:
    part = partial_path(path)
    if not image.save(str(part), "PNG"):  # type: ignore[call-overload]  # stubs: bytes; Qt: str
        part.unlink(missing_ok=True)
        raise ExportError(f"{path.name}: cannot write the image")
    return finish(part, path)


def _write_bytes(path: Path, data: bytes) -> Path:
    part = partial_path(path)
    try:
        part.write_bytes(data)
    except OSError as e:
        part.unlink(missing_ok=True)
        raise ExportError(f"{path.name}: cannot write ({e.strerror or e})") from None
    return finish(part, path)


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
