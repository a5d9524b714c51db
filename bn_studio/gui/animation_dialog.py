"""File → Export → Run as animation: where to, how big, how fast, which layer's histograms."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from .animation import (DEFAULT_FPS, DEFAULT_SIZE, FORMATS, MAX_GIF_FRAMES, MAX_MP4_FRAMES,
                        SIZES, AnimationSettings, ffmpeg_path)
from .settings import settings as qsettings

SETTINGS_KEY = "export/animation"
MAX_FPS = 30


class AnimationDialog(QDialog):
    """Asks for the file and the frame settings; ``path()`` and ``settings()`` after OK."""

    def __init__(self, parent, stored: int, first_step: int, last_step: int,
                 layers: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the run as an animation")
        self.stored = stored
        self.has_ffmpeg = ffmpeg_path() is not None
        self.file_edit = QLineEdit(str(Path.home() / "bn-studio-run.gif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)
        file_box = QWidget()
        file_box.setLayout(file_row)
        file_row.setContentsMargins(0, 0, 0, 0)
        self.size_box = QComboBox()
        for label, size in SIZES.items():
            self.size_box.addItem(label, size)
        self.fps_box = QSpinBox()
        self.fps_box.setRange(1, MAX_FPS)
        self.fps_box.setValue(DEFAULT_FPS)
        self.fps_box.setSuffix(" frames/s")
        self.layer_box = QComboBox()
        for i in range(layers):
            self.layer_box.addItem(f"hidden layer {i + 1}", i)
        self.layer_box.setEnabled(layers > 0)
        if layers == 0:
            self.layer_box.addItem("none (no hidden layer)", 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.source = (f"The animation shows the run's stored steps (the replay's {stored} "
                       f"frames, step {first_step:,} to {last_step:,}): the decision regions "
                       "of both nets over one hidden layer's histograms.")
        form = QFormLayout()
        form.addRow("File:", file_box)
        form.addRow("Frame size:", self.size_box)
        form.addRow("Speed:", self.fps_box)
        form.addRow("Histograms of:", self.layer_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        intro = QLabel(self.source)
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.summary)
        lay.addWidget(buttons)
        self._restore(layers)
        for signal in (self.file_edit.textChanged, self.fps_box.valueChanged):
            signal.connect(lambda _=None: self._summarise())
        self._summarise()

    def _browse(self) -> None:
        filters = "Animated GIF (*.gif)" + (";;MP4 video (*.mp4)" if self.has_ffmpeg else "")
        name, _ = QFileDialog.getSaveFileName(self, "Export animation", self.file_edit.text(),
                                              filters)
        if name:
            self.file_edit.setText(name)

    def path(self) -> Path:
        return Path(self.file_edit.text()).expanduser()

    def settings(self) -> AnimationSettings:
        return AnimationSettings(tuple(self.size_box.currentData()), self.fps_box.value(),
                                 int(self.layer_box.currentData() or 0))

    def problem(self) -> str | None:
        """Why the choices cannot be exported (one line), or None."""
        path = self.path()
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            return f"{path.name or 'the file'}: choose a .gif or .mp4 file name"
        if fmt == "MP4" and not self.has_ffmpeg:
            return "MP4 needs ffmpeg, which is not installed: choose a .gif file name"
        if not path.parent.is_dir():
            return f"{path.parent}: no such folder"
        return None

    def frames(self) -> int:
        fmt = FORMATS.get(self.path().suffix.lower(), "GIF")
        return min(self.stored + 1, MAX_GIF_FRAMES if fmt == "GIF" else MAX_MP4_FRAMES)

    def _summarise(self) -> None:
        problem = self.problem()
        if problem:
            self.summary.setText(problem)
            return
        n = self.frames()
        more = ("" if n >= self.stored + 1 else
                f" (a GIF keeps at most {MAX_GIF_FRAMES}: every other stored step or so)")
        mp4 = "" if self.has_ffmpeg else " MP4 needs ffmpeg, which is not installed."
        self.summary.setText(f"{n} frames{more}, {n / self.fps_box.value():.1f} s, then the "
                             f"last state for 2 s.{mp4}")

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.summary.setText(problem)
            return
        self._save()
        super().accept()

    def _save(self) -> None:
        s = self.settings()
        qsettings().setValue(SETTINGS_KEY, json.dumps(
            {"size": list(s.size), "fps": s.fps,
             "last_layer": s.layer == self.layer_box.count() - 1, "layer": s.layer,
             "folder": str(self.path().parent)}))

    def _restore(self, layers: int) -> None:
        """The last choices (a damaged value is ignored: the defaults stay)."""
        self.size_box.setCurrentIndex(list(SIZES).index(DEFAULT_SIZE))
        self.layer_box.setCurrentIndex(max(0, layers - 1))      # the deepest layer by default
        try:
            saved = json.loads(str(qsettings().value(SETTINGS_KEY, "") or "{}"))
            if not isinstance(saved, dict):
                return
            size = tuple(int(v) for v in saved.get("size", ()))
            i = self.size_box.findData(size)
            if i >= 0:
                self.size_box.setCurrentIndex(i)
            fps = int(saved.get("fps", DEFAULT_FPS))
            if 1 <= fps <= MAX_FPS:
                self.fps_box.setValue(fps)
            layer = layers - 1 if saved.get("last_layer") else int(saved.get("layer", -1))
            if 0 <= layer < layers:
                self.layer_box.setCurrentIndex(layer)
            folder = Path(str(saved.get("folder", "")))
            if str(folder) and folder.is_dir():
                self.file_edit.setText(str(folder / self.path().name))
        except (TypeError, ValueError, OverflowError):
            return
