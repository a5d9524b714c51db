"""Every hidden unit's output over the input plane, one small picture per unit, for the net
with BN beside the net without (TensorFlow Playground's neuron thumbnails). Hover to enlarge.

The worker computes the pictures (core/unit_maps.py) only while this panel is shown."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainterPath, QPixmap
from PySide6.QtWidgets import QGraphicsPathItem, QGridLayout, QLabel, QToolTip, QVBoxLayout

from bn_studio.core.measure.unit_maps import MAX_UNITS_SHOWN, unit_levels

from ..plotting import plane_html
from ..theme import DIVERGED_COLOR, RUN_COLORS, RUN_LABELS
from .base import Panel

RUNS = ("bn", "no_bn")
COLUMNS = 4                  # pictures per row for each net
GAP_PX = 3
THUMB_PX = (28, 60)          # a picture's side: fits the dock's width, within these bounds
ENLARGED_PX = 200            # the hover view
FIGURE_THUMB_PX = 90         # a picture's side in the exported figure ...
FIGURE_GAP_PX = 8            # ... and the space between two
# A diverging scale that is neither a class colour nor a twin's: purple low, white middle,
# green high (ColorBrewer PRGn ends).
LOW_RGB = np.array([118.0, 42.0, 131.0])
MID_RGB = np.array([247.0, 247.0, 247.0])
HIGH_RGB = np.array([27.0, 120.0, 55.0])
NAN_RGB = np.array([150.0, 150.0, 150.0])
SCALES = {"tanh": "purple −1 · white 0 · green +1",
          "sigmoid": "purple 0 · white 0.5 · green 1",
          "relu": "white 0 · green = the layer's largest output"}
EXPLANATION = ("Each picture is one hidden unit's output a = g(z) over the input plane "
               "(the same square as the decision regions), at test time: batch norm with the "
               "running statistics. Hover over a picture to enlarge it.")


def unit_rgb(m: np.ndarray, levels: tuple[float, float, float]) -> np.ndarray:
    """(R, R) outputs → (R, R, 3) uint8 on the purple–white–green scale; NaN grey."""
    lo, mid, hi = levels
    m = np.asarray(m, dtype=np.float64)
    finite = np.isfinite(m)
    v = np.where(finite, m, mid)
    up = np.clip((v - mid) / (hi - mid), 0, 1) if hi > mid else np.zeros_like(v)
    down = np.clip((mid - v) / (mid - lo), 0, 1) if mid > lo else np.zeros_like(v)
    rgb = (MID_RGB + up[..., None] * (HIGH_RGB - MID_RGB)
           + down[..., None] * (LOW_RGB - MID_RGB))
    rgb[~finite] = NAN_RGB
    return np.clip(rgb, 0, 255).astype(np.uint8)


def to_qimage(rgb: np.ndarray) -> QImage:
    """(R, R, 3) uint8, row 0 = the lowest x₂ → a QImage with the highest x₂ on top."""
    rgb = np.ascontiguousarray(rgb[::-1])
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def png_html(image: QImage, size: int) -> str:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.scaled(size, size, Qt.AspectRatioMode.IgnoreAspectRatio,
                 Qt.TransformationMode.SmoothTransformation).save(buf, "PNG")  # type: ignore[call-overload]  # stubs: bytes; Qt: str
    return (f'<img src="data:image/png;base64,{bytes(data.toBase64().data()).decode()}" '
            f'width="{size}" height="{size}">')


def _bilinear_weights(r: int, size: int) -> np.ndarray:
    """(size, r) weights of a bilinear resample from r to size samples (pixel centres)."""
    pos = np.clip((np.arange(size) + 0.5) * r / size - 0.5, 0, r - 1)
    i0 = np.floor(pos).astype(np.intp)
    i1 = np.minimum(i0 + 1, r - 1)
    w = (pos - i0).astype(np.float32)
    m = np.zeros((size, r), np.float32)
    rows = np.arange(size)
    np.add.at(m, (rows, i0), 1 - w)
    np.add.at(m, (rows, i1), w)
    return m


def resized(rgb: np.ndarray, size: int) -> np.ndarray:
    """(U, R, R, 3) pictures → (U, size, size, 3), bilinear (as a smooth QImage.scaled).
    Two matrix products per colour plane (rows, then columns): gathering by index took ~18 ms
    a layer, and products over pixel rows one at a time ~5 ms."""
    m = _bilinear_weights(rgb.shape[1], size)
    planes = rgb.astype(np.float32).transpose(0, 3, 1, 2)     # (U, 3, R, R)
    out = (m @ planes @ m.T).transpose(0, 2, 3, 1)            # (U, size, size, 3)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def mosaic_rgba(rgb: np.ndarray, thumb: int, frame: str) -> np.ndarray:
    """The pictures in rows of COLUMNS, each ``thumb`` pixels with a one-pixel frame of the
    colour ``frame`` (whose unit, after the title scrolls away), transparent gaps; the
    highest x₂ on top."""
    n = len(rgb)
    cols, rows = min(COLUMNS, max(n, 1)), max(1, -(-n // COLUMNS))
    step = thumb + GAP_PX
    out = np.zeros((rows * step - GAP_PX, cols * step - GAP_PX, 4), np.uint8)
    if n == 0:
        return out
    tiles = resized(rgb[:, ::-1], thumb)
    edge = QColor(frame)
    tiles[:, [0, -1], :] = tiles[:, :, [0, -1]] = (edge.red(), edge.green(), edge.blue())
    for i, tile in enumerate(tiles):
        y, x = (i // COLUMNS) * step, (i % COLUMNS) * step
        out[y:y + thumb, x:x + thumb, :3] = tile
        out[y:y + thumb, x:x + thumb, 3] = 255
    return out


class UnitMosaic(QLabel):
    """One net's pictures of one layer, in rows of COLUMNS; a tooltip enlarges the hovered one."""

    def __init__(self, run: str, layer: int, parent=None) -> None:
        super().__init__(parent)
        self.run, self.layer = run, layer
        self.setTextFormat(Qt.TextFormat.PlainText)        # a picture, never text
        self.setMouseTracking(True)
        self.rgb = np.zeros((0, 1, 1, 3), np.uint8)      # (units, R, R, 3), row 0 = lowest x₂
        self.ranges: list[tuple[float, float]] = []
        self.thumb = THUMB_PX[0]

    @property
    def images(self) -> list[QImage]:
        """Each unit's picture at full resolution (the tooltip enlarges one)."""
        return [to_qimage(rgb) for rgb in self.rgb]

    def set_maps(self, maps: np.ndarray, levels, thumb: int) -> None:
        """Draw all pictures at once as arrays (one image, one pixmap): drawn one by one
        with a painter they took ~40 ms per refresh, a stall twice a second."""
        maps = np.asarray(maps, dtype=np.float64)
        self.thumb = thumb
        self.rgb = unit_rgb(maps, levels)
        finite = np.isfinite(maps)
        with np.errstate(all="ignore"):
            lo = np.where(finite, maps, np.inf).min(axis=(1, 2))
            hi = np.where(finite, maps, -np.inf).max(axis=(1, 2))
        self.ranges = [(float(a), float(b)) if np.isfinite(a) else (np.nan, np.nan)
                       for a, b in zip(lo, hi)]
        mosaic = mosaic_rgba(self.rgb, thumb, RUN_COLORS[self.run])
        h, w = mosaic.shape[:2]
        image = QImage(mosaic.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        pm = QPixmap.fromImage(image)
        self.setPixmap(pm)
        self.setFixedSize(pm.size())

    def unit_at(self, pos: QPoint) -> int | None:
        step = self.thumb + GAP_PX
        c, r = pos.x() // step, pos.y() // step
        if c >= COLUMNS or pos.x() % step >= self.thumb or pos.y() % step >= self.thumb:
            return None
        i = r * COLUMNS + c
        return i if 0 <= i < len(self.images) else None

    def tooltip_html(self, i: int) -> str:
        lo, hi = self.ranges[i]
        span = (f"outputs from {lo:.3g} to {hi:.3g}" if np.isfinite(lo)
                else f"<span style='color:{DIVERGED_COLOR}'>outputs not numbers</span>")
        return (f"<b style='color:{RUN_COLORS[self.run]}'>Net {RUN_LABELS[self.run]}</b>, "
                f"layer {self.layer + 1}, unit {i + 1}<br>{png_html(self.images[i], ENLARGED_PX)}"
                f"<br>{span}")

    def mouseMoveEvent(self, event) -> None:
        i = self.unit_at(event.position().toPoint())
        if i is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.tooltip_html(i), self)
        super().mouseMoveEvent(event)


def _add_mosaic(vb, maps, levels, run: str) -> None:
    """One net's pictures of one layer in rows of COLUMNS, each framed in the net's colour,
    in one view box (a picture is 1 × 1 in its coordinates, row 0 on top)."""
    step = 1.0 + FIGURE_GAP_PX / FIGURE_THUMB_PX
    frames = QPainterPath()
    for k, m in enumerate(maps):
        x, y = (k % COLUMNS) * step, -(k // COLUMNS) * step
        img = pg.ImageItem(unit_rgb(m, levels), axisOrder="row-major", levels=(0, 255))
        img.setRect(QRectF(x, y, 1.0, 1.0))
        vb.addItem(img)
        frames.addRect(QRectF(x, y, 1.0, 1.0))
    outline = QGraphicsPathItem(frames)
    outline.setPen(pg.mkPen(RUN_COLORS[run], width=1))
    vb.addItem(outline)
    rows = -(-len(maps) // COLUMNS)
    vb.setRange(QRectF(0.0, 1.0 - rows * step, COLUMNS * step, rows * step), padding=0.01)


class UnitMapsPanel(Panel):
    title = "Hidden units"
    name = "unit_maps"
    area = "right"
    # The right-hand tab group is full at 1366 px: this one opens from View → Hidden units.
    start_hidden = True
    # File → Export before the panel was ever open: what to do, not just "nothing yet".
    empty_export = ("the pictures are computed only while the Hidden units panel is open. "
                    "It is open now: train a step (S) and export again.")
    help_text = ("Each small picture is one hidden unit: its output a = g(z) at every point of "
                 "the input plane, like the neurons of TensorFlow Playground. The first layer's "
                 "units can only draw straight edges; deeper units combine them into curves. "
                 "Left of each layer the net with batch norm, right the net without (at test "
                 "time: BN uses the running mean and variance). A picture of one flat colour "
                 "is a unit that says the same everywhere: saturated (tanh, sigmoid) or dead "
                 f"(ReLU). At most {MAX_UNITS_SHOWN} units per layer are drawn.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.header = QLabel(EXPLANATION)
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.scale = QLabel()
        self.scale.setWordWrap(True)
        self.scale.setTextFormat(Qt.TextFormat.RichText)
        self.status = QLabel("Waiting for the first pictures…")
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(4)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.header)
        lay.addWidget(self.scale)
        lay.addWidget(self.status)
        lay.addLayout(self.grid)
        lay.addStretch(1)
        self.mosaics: dict[tuple[str, int], UnitMosaic] = {}
        self.notes: list[QLabel] = []
        self._shape: dict[str, tuple[int, ...]] | None = None
        self._drawn = None
        self._thumb = THUMB_PX[0]
        model.snapshotReady.connect(self._on_snapshot)
        model.datasetChanged.connect(self._on_dataset)
        if getattr(model, "split", None) is not None:
            self._on_dataset(model.split)

    def _on_dataset(self, split) -> None:
        self.header.setText(f"{EXPLANATION} {plane_html(split)}")

    # The worker computes pictures only while they are seen.
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._ask_worker(True)
        self._on_snapshot(self.model.snapshot)

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._ask_worker(False)

    def _ask_worker(self, on: bool) -> None:
        self.model.show_unit_maps(on)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        thumb = self._thumb_for(self.width())
        if thumb != self._thumb:
            self._thumb = thumb
            self._drawn = None
            self._on_snapshot(self.model.snapshot)

    @staticmethod
    def _thumb_for(width: int) -> int:
        per_net = (width - 12 - 12) // 2
        return int(np.clip(per_net // COLUMNS - GAP_PX, *THUMB_PX))

    def _on_snapshot(self, snap) -> None:
        um = getattr(snap, "unit_maps", None)
        if um is None or um is self._drawn or not self.isVisible():
            return
        self._drawn = um
        self.draw(um, later=bool(getattr(snap, "playing", False) and getattr(snap, "live", True)))

    def _rebuild(self, widths: dict) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.mosaics, self.notes = {}, []
        for col, run in enumerate(RUNS):
            title = QLabel(f"<b style='color:{RUN_COLORS[run]}'>Net {RUN_LABELS[run]}</b>")
            title.setTextFormat(Qt.TextFormat.RichText)
            self.grid.addWidget(title, 0, col)
        depth = max((len(w) for w in widths.values()), default=0)
        for i in range(depth):
            note = QLabel()
            note.setTextFormat(Qt.TextFormat.RichText)
            self.grid.addWidget(note, 1 + 2 * i, 0, 1, 2)
            self.notes.append(note)
            for col, run in enumerate(RUNS):
                mosaic = UnitMosaic(run, i)
                self.grid.addWidget(mosaic, 2 + 2 * i, col,
                                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.mosaics[(run, i)] = mosaic
        self._shape = {k: tuple(v) for k, v in widths.items()}

    def draw(self, um, later: bool = False) -> None:
        """Draw ``um`` (core.unit_maps.UnitMaps): one mosaic per net and hidden layer, each
        in its own turn of the frame budget if ``later`` (while training: all ten of five
        layers at once blocked the window for ~100 ms twice a second)."""
        if self._shape != {k: tuple(v) for k, v in um.widths.items()}:
            self._rebuild(um.widths)
        self.scale.setText(f"Colour: {SCALES.get(um.activation, '')} "
                           f"(activation {um.activation}). Step {um.step}.")
        if not self.mosaics:
            self.status.setText("No hidden layer: softmax regression has no hidden units.")
            return
        self.status.setText("")
        for i, note in enumerate(self.notes):
            widths = [w[i] for w in um.widths.values() if i < len(w)]
            width = max(widths) if widths else 0
            more = width - min(width, MAX_UNITS_SHOWN)
            note.setText(f"<b>Layer {i + 1}</b> · {width} units"
                         + (f" (the first {MAX_UNITS_SHOWN} shown, +{more} more)"
                            if more else ""))
        for (run, i), mosaic in self.mosaics.items():
            maps = um.maps.get(run)
            if maps is None or i >= len(maps):
                self.cancel_later(f"{run} {i}")
                mosaic.clear()
            elif later:
                self.draw_later(f"{run} {i}", lambda m=mosaic, a=maps[i]: self._set(m, a, um))
            else:
                self.cancel_later(f"{run} {i}")
                self._set(mosaic, maps[i], um)

    def _set(self, mosaic: UnitMosaic, maps, um) -> None:
        if mosaic in self.mosaics.values():         # not one of rows rebuilt since
            mosaic.set_maps(maps, unit_levels(um.activation, maps), self._thumb)

    plot_labels = {"all_units": "All hidden units"}

    def plots(self) -> dict:
        return {"all_units": self.figure}

    def figure(self):
        """The pictures last drawn as one figure for File → Export (built when asked: the
        panel itself is made of labels, not a plot): a title, then per layer both nets'
        pictures, each in a frame of its net's colour. None before the first pictures."""
        um = self._drawn
        if um is None:
            return None
        if getattr(self, "_figure_view", None) is None:
            self._figure_view = pg.GraphicsLayoutWidget()
            self._figure_view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
            self.destroyed.connect(self._figure_view.deleteLater)
        view = self._figure_view
        view.clear()
        view.setBackground(pg.getConfigOption("background"))
        fig = view.ci
        fig.addLabel(f"Hidden units at step {um.step} · colour: "
                     f"{SCALES.get(um.activation, '')} (activation {um.activation})",
                     row=0, col=0, colspan=2, size="11pt")
        for col, run in enumerate(RUNS):
            fig.addLabel(f"Net {RUN_LABELS[run]}", row=1, col=col, color=RUN_COLORS[run],
                         size="11pt", bold=True)
        depth = max((len(m) for m in um.maps.values()), default=0)
        height = 60
        for i in range(depth):
            widths = [w[i] for w in um.widths.values() if i < len(w)]
            fig.addLabel(f"Layer {i + 1} · {max(widths, default=0)} units", row=2 + 2 * i,
                         col=0, colspan=2, size="10pt")
            shown = max((len(m[i]) for m in um.maps.values() if i < len(m)), default=0)
            px = -(-shown // COLUMNS) * (FIGURE_THUMB_PX + FIGURE_GAP_PX)
            height += px + 30
            for col, run in enumerate(RUNS):
                maps = um.maps.get(run)
                if maps is not None and i < len(maps):
                    vb = pg.ViewBox(lockAspect=True, enableMouse=False, enableMenu=False)
                    fig.addItem(vb, row=3 + 2 * i, col=col)
                    vb.setFixedHeight(px)
                    _add_mosaic(vb, maps[i], unit_levels(um.activation, maps[i]), run)
        view.resize(2 * COLUMNS * (FIGURE_THUMB_PX + FIGURE_GAP_PX) + 60, height)
        view.show()
        fig.layout.activate()
        return fig
