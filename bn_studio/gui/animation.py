"""The run as an animated GIF or MP4: decision regions and a hidden layer's histograms through
the stored steps (the replay's frames), for slides and course pages.

Three parts, so the window never freezes:
- ``FrameRenderer`` (GUI thread): off-screen copies of the decision-regions and histograms
  panels, fed one restored snapshot at a time (core.replay.restore), drawn into one picture
  with a caption; the user's own panels are untouched.
- ``AnimationFeeder`` (GUI thread, a timer): restores and draws one frame per tick, so
  events are handled between frames, and hands the pictures over through a bounded queue.
- ``encode_frames`` (worker thread, run by export_runner.ExportRunner with progress and
  Cancel): GIF through Pillow (colour quantising and LZW in C), MP4 through ffmpeg when it is
  on PATH; it writes to a temporary name, renamed only when the file is complete.
"""

from __future__ import annotations

import dataclasses
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from bn_studio.core.measure.replay import restore
from bn_studio.core.measure.snapshot import copy_parts

from .exports import ExportError, finish, partial_path
from .panels.decision_regions import DecisionRegionsPanel
from .panels.histograms import HistogramsPanel
from .theme import RUN_LABELS

SIZES = {"960 × 540 (slides)": (960, 540), "1280 × 720 (HD)": (1280, 720),
         "640 × 360 (web page)": (640, 360)}
DEFAULT_SIZE = "960 × 540 (slides)"
DEFAULT_FPS = 10
HOLD_LAST_S = 2.0            # the final state stays on screen before the loop starts again
MAX_GIF_FRAMES = 150         # a GIF keeps every frame in memory until it is written
MAX_MP4_FRAMES = 600
CAPTION_PX = 30
REGIONS_SHARE = 0.6          # of the height below the caption; the histograms get the rest
QUEUE_FRAMES = 4             # pictures waiting for the encoder (bounded memory)
FORMATS = {".gif": "GIF", ".mp4": "MP4"}


class AnimationError(ExportError):
    """Why an animation cannot be made; one line for the user."""


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


@dataclass(frozen=True)
class AnimationSettings:
    size: tuple[int, int] = SIZES[DEFAULT_SIZE]
    fps: int = DEFAULT_FPS
    layer: int = 0                      # the hidden layer whose histograms are shown

    def checked(self) -> AnimationSettings:
        w, h = (int(v) for v in self.size)
        if not (160 <= w <= 3840 and 90 <= h <= 2160):
            raise AnimationError(f"frame size {w}×{h} is outside 160×90 … 3840×2160")
        if not 1 <= int(self.fps) <= 60:
            raise AnimationError(f"{self.fps} frames per second is outside 1 … 60")
        # Even sides for MP4's 4:2:0 colour, rows of whole 4-byte words for the copies.
        return AnimationSettings((w // 4 * 4, h // 2 * 2), int(self.fps), max(0, int(self.layer)))


def pick_frames(frames: list, latest, most: int) -> list:
    """The stored frames and the newest state (if it is later), at most ``most`` of them,
    evenly spread over the list, first and last kept."""
    steps = [f.step for f in frames]
    chosen = list(frames)
    if latest is not None and (not steps or latest.step > steps[-1]):
        chosen.append(latest)
    if len(chosen) > most:
        idx = np.unique(np.linspace(0, len(chosen) - 1, most).round().astype(int))
        chosen = [chosen[i] for i in idx]
    return chosen


def one_layer(snap, layer: int):
    """``snap`` with only hidden layer ``layer`` (the histograms panel then draws one row,
    not every layer for a picture that shows one)."""
    view = copy_parts(snap)
    for run in view.runs.values():
        run.layers = run.layers[layer:layer + 1]
    view.z_edges, view.out_edges = view.z_edges[layer:layer + 1], view.out_edges[layer:layer + 1]
    view.config = snap.config.replace(hidden=snap.config.hidden[layer:layer + 1])
    return view


class _FirstFrame:
    """A stand-in for the replay ring that holds only the run's step-0 frame (the histograms
    draw its outline, to show how far the distributions have moved)."""

    def __init__(self, first) -> None:
        self._frames = [first] if first is not None else []

    def frames(self) -> list:
        return list(self._frames)

    def spread(self, upto_step: int, n: int) -> list:
        return []


class _FrameModel(QObject):
    """What the off-screen panels read: the model's signals (as in StudioModel) and fields,
    fed by the renderer."""

    datasetChanged = Signal(object)
    configChanged = Signal(object)
    snapshotReady = Signal(object)
    pointSelected = Signal(object)
    pointCleared = Signal()
    playingChanged = Signal(bool)
    speedChanged = Signal(object)
    message = Signal(str)
    errorOccurred = Signal(str)

    def __init__(self, model, config, first=None) -> None:
        super().__init__()
        self.config, self.split, self.dataset = config, model.split, model.dataset
        self.replay = SimpleNamespace(ring=_FirstFrame(first))
        self.snapshot = None
        self.selected_point = None

    def select_point(self, xy) -> None:
        """Clicks do not reach an off-screen panel; nothing to select."""


class FrameRenderer:
    """Draws frames: the decision regions of both nets over one hidden layer's histograms,
    under a caption (dataset, step, validation losses)."""

    def __init__(self, model, config, settings: AnimationSettings, first=None) -> None:
        """``config``: of the frames to draw, cut to the one hidden layer shown (one_layer);
        ``first``: the run's step-0 frame, cut alike, or None."""
        self.settings = settings
        self.width, self.height = settings.size
        self.fake = _FrameModel(model, config, first)
        self.title = getattr(model.dataset, "name", "")
        self.regions = DecisionRegionsPanel(self.fake)
        self.hist = HistogramsPanel(self.fake) if config.hidden else None
        below = self.height - CAPTION_PX
        self.regions_h = below if self.hist is None else int(below * REGIONS_SHARE)
        self.hist_h = below - self.regions_h
        for w in (self.regions, self.hist):
            if w is not None:
                w.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.regions.resize(self.width, self.regions_h)
        self.regions.show()
        if self.hist is not None:
            self.hist.view.setFixedHeight(self.hist_h)
            self.hist.resize(self.width, self.hist_h + 80)
            self.hist.show()
        self.background = QColor(pg.mkColor(pg.getConfigOption("background")))
        self.foreground = QColor(pg.mkColor(pg.getConfigOption("foreground")))

    def render(self, view) -> QImage:
        """One frame of the stored state ``view`` (a restored snapshot)."""
        self.fake.snapshot = view
        self.fake.snapshotReady.emit(view)
        if self.hist is not None and self.hist.rows:
            self._name_row()
        image = QImage(self.width, self.height, QImage.Format.Format_RGB32)
        image.fill(self.background)
        p = QPainter(image)
        try:
            p.setRenderHints(QPainter.RenderHint.Antialiasing
                             | QPainter.RenderHint.TextAntialiasing)
            self._caption(p, view)
            self.regions.render(p, QPoint(0, CAPTION_PX))
            if self.hist is not None and self.hist.rows:
                row = self.hist.rows[0]["plots"]
                source = row[0].sceneBoundingRect().united(row[-1].sceneBoundingRect())
                source.setLeft(0.0)                 # the "layer k" label left of the row
                target = QRectF(0, CAPTION_PX + self.regions_h, self.width, self.hist_h)
                self.hist.view.scene().render(p, target, source, Qt.AspectRatioMode.KeepAspectRatio)
        finally:
            p.end()
        return image

    def _name_row(self) -> None:
        """The histograms' row label: the layer's number in the whole net, not "layer 1"."""
        assert self.hist is not None                # render() asks only with histograms
        label = self.hist.view.ci.getItem(0, 0)
        text = f"<b>layer {self.settings.layer + 1}</b>"
        if isinstance(label, pg.LabelItem) and label.text != text:
            label.setText(text, size="10pt")

    def _caption(self, p: QPainter, view) -> None:
        font = QFont(p.font())
        font.setPixelSize(int(CAPTION_PX * 0.55))
        p.setFont(font)
        parts = [f"BN Studio · {self.title} · step {view.step:,}"]
        for name in ("bn", "no_bn"):
            run = view.runs.get(name)
            loss = _val_loss_at(run, view.step) if run is not None else None
            if loss is not None:
                parts.append(f"val loss {RUN_LABELS[name]} {loss:.3f}")
        p.setPen(self.foreground)
        p.drawText(QRectF(8, 0, self.width - 16, CAPTION_PX),
                   Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   "   ·   ".join(parts))

    def close(self) -> None:
        # Closed, not deleteLater'd: Python owns these panels and frees them with the
        # renderer; a deferred C++ deletion on top crashed (SIGSEGV) when an export was
        # cancelled (test_cancel_leaves_no_file, 1 run in 4).
        for w in (self.regions, self.hist):
            if w is not None:
                w.close()


def _val_loss_at(run, step: int) -> float | None:
    """The newest validation loss evaluated at or before ``step`` (eval_curve: step, train
    loss, train accuracy, val loss, val accuracy)."""
    curve = getattr(run, "eval_curve", None)
    if curve is None or curve.shape[0] == 0:
        return None
    i = int(np.searchsorted(curve[:, 0], step, side="right")) - 1
    if i < 0 or not np.isfinite(curve[i, 3]):
        return None
    return float(curve[i, 3])


def rgb_bytes(image: QImage) -> bytes:
    """The picture as packed RGB rows (width a multiple of 4: no padding)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return bytes(rgb.constBits())[: rgb.width() * rgb.height() * 3]


class AnimationFeeder(QObject):
    """Draws the chosen frames on the GUI thread, one per timer tick, and queues them (RGB
    bytes, or the error that stopped the drawing) for the encoder. Restoring a stored frame
    (its nets' decision regions: the costly part) happens ahead on a helper thread, so a
    tick only draws."""

    def __init__(self, model, frames: list, latest, settings: AnimationSettings,
                 most: int) -> None:
        super().__init__()
        # The newest state is drawn as it is: no unit pictures (not shown), and not
        # "playing" (the panels would throttle their redraw).
        self.latest = dataclasses.replace(latest, unit_maps=None, playing=False)
        self.frames = pick_frames(frames, self.latest, most)
        config = self.frames[-1].config
        self.layer = min(settings.layer, len(config.hidden) - 1) if config.hidden else None
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._views: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stopped = threading.Event()
        self._restorer = threading.Thread(target=self._restore_all, daemon=True,
                                          name="bn-studio-animation-frames")
        first = frames[0] if frames and frames[0].step == 0 else None
        settings = dataclasses.replace(settings, layer=self.layer or 0)
        self.renderer: FrameRenderer | None = FrameRenderer(model, self._cut(config), settings,
                                      self._cut(first) if first is not None else None)
        self.drawn = 0
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._restorer.start()
        self.timer.start()

    def _restore_all(self) -> None:
        """Helper thread: restored snapshots (or the exception that stopped it), in order."""
        for frame in self.frames:
            try:
                view = self._cut(frame if frame is self.latest else
                                 restore(frame, self.latest))
            except Exception as e:
                view = e
            while not self._stopped.is_set():
                try:
                    self._views.put(view, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if self._stopped.is_set() or isinstance(view, Exception):
                return

    def _cut(self, snap_or_config):
        """One hidden layer of a snapshot or a config (see one_layer)."""
        if self.layer is None:
            return snap_or_config
        if hasattr(snap_or_config, "runs"):
            return one_layer(snap_or_config, self.layer)
        return snap_or_config.replace(hidden=snap_or_config.hidden[self.layer:self.layer + 1])

    def _tick(self) -> None:
        if self.drawn >= len(self.frames):
            self.stop()
            return
        if self.queue.full():
            return                          # the encoder is behind: wait for it
        try:
            view = self._views.get_nowait()
        except queue.Empty:
            return                          # the next frame is still being restored
        try:
            if isinstance(view, Exception):
                raise view
            assert self.renderer is not None, "the animation was stopped"
            data = rgb_bytes(self.renderer.render(view))
        except Exception as e:              # the encoder stops with this one line
            step = self.frames[self.drawn].step
            self.stop()
            self.queue.put(AnimationError(f"the frame of step {step} could not be drawn "
                                          f"({e.__class__.__name__}: {e})".splitlines()[0]))
            return
        self.queue.put(data)
        self.drawn += 1

    def stop(self) -> None:
        self._stopped.set()
        self.timer.stop()
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None


def encode_frames(frames: queue.Queue, total: int, path: Path, settings: AnimationSettings):
    """Worker-thread job: take ``total`` frames from the queue and write the animation to
    ``path`` (GIF or MP4 by its suffix), yielding the share done; returns the path. The
    queue's producer is expected to put exactly ``total`` frames, or an exception."""
    part = partial_path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise AnimationError(f"{path.name}: choose a .gif or .mp4 file name")
    writer = (_GifWriter if fmt == "GIF" else _Mp4Writer)(part, settings)
    done = False
    try:
        for k in range(total):
            while True:
                try:
                    data = frames.get(timeout=0.1)
                    break
                except queue.Empty:
                    yield 0.95 * k / total      # Cancel is honoured here, too
            if isinstance(data, Exception):
                raise AnimationError(f"{path.name}: {data}")
            writer.add(data, last=k == total - 1)
            yield 0.95 * (k + 1) / total
        writer.close()
        done = True
        yield 1.0
        return finish(part, path)
    finally:
        if not done:
            writer.abort()
        part.unlink(missing_ok=True)


class _GifWriter:
    """Pillow: each frame quantised to its own 256 colours (no dithering: the region colours
    stay flat), written at the end with the frame delays."""

    def __init__(self, part: Path, settings: AnimationSettings) -> None:
        from PIL import Image               # imported here: only this export needs it
        self.Image = Image
        self.part, self.settings = part, settings
        self.images: list = []                      # PIL images
        self.delays: list[int] = []

    def add(self, data: bytes, last: bool) -> None:
        w, h = self.settings.size
        rgb = self.Image.frombuffer("RGB", (w, h), data, "raw", "RGB", 0, 1)
        self.images.append(rgb.quantize(colors=256, method=self.Image.Quantize.FASTOCTREE,
                                         dither=self.Image.Dither.NONE))
        delay = 1000.0 / self.settings.fps + (1000.0 * HOLD_LAST_S if last else 0.0)
        self.delays.append(int(round(delay / 10.0)) * 10)   # GIF counts hundredths

    def close(self) -> None:
        first, rest = self.images[0], self.images[1:]
        first.save(self.part, format="GIF", save_all=True, append_images=rest,
                   duration=self.delays, loop=0, disposal=1, optimize=False)

    def abort(self) -> None:
        self.images = []


class _Mp4Writer:
    """ffmpeg reads raw RGB frames from a pipe and writes H.264 (yuv420p: plays in every
    browser and presentation program); the last frame is repeated for HOLD_LAST_S."""

    def __init__(self, part: Path, settings: AnimationSettings) -> None:
        exe = ffmpeg_path()
        if exe is None:
            raise AnimationError("MP4 needs ffmpeg, which is not installed; choose GIF, or "
                                 "install ffmpeg")
        w, h = settings.size
        self.settings = settings
        self.proc = subprocess.Popen(
            [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
             "-s", f"{w}x{h}", "-r", str(settings.fps), "-i", "-", "-c:v", "libx264",
             "-pix_fmt", "yuv420p", "-crf", "20", "-movflags", "+faststart", "-f", "mp4",
             str(part)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def add(self, data: bytes, last: bool) -> None:
        repeat = 1 + (int(round(HOLD_LAST_S * self.settings.fps)) if last else 0)
        try:
            stdin = self.proc.stdin
            assert stdin is not None                # opened with stdin=PIPE
            for _ in range(repeat):
                stdin.write(data)
        except (BrokenPipeError, OSError):
            raise AnimationError(f"ffmpeg stopped: {self._stderr()}") from None

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:         # opened with stdin=PIPE
                self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.wait(timeout=300) != 0:
            raise AnimationError(f"ffmpeg failed: {self._stderr()}")

    def _stderr(self) -> str:
        err = self.proc.stderr.read().decode("utf-8", "replace").strip() if self.proc.stderr \
            else ""
        return (err.splitlines() or ["no message"])[-1][:200]

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
