"""What every panel shares: a title, a dock area, a help text and the model it reads."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from ..plain_text import install_plot_text

install_plot_text()     # titles, legends, axis labels: plain text unless Rich (plain_text.py)


class Panel(QWidget):
    """A dock's content. Subclasses connect to the model's signals in ``__init__``."""

    title = "Panel"
    tab_title = ""            # a shorter dock title, if the title would not fit a dock tab
    name = "panel"            # stable id: QSettings keys, `screenshot --panel NAME`
    area = "right"            # center | left | right | bottom
    help_text = ""            # "what am I looking at", in the course's words
    empty_export = ""         # why a plot export found nothing to draw, and what to do
    live_hz = 0.0             # live redraws a second while training (0: as the budget allows)
    live_first = False        # drawn ahead of the other panels at every tick (what moves)

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName(self.name)
        if self.help_text:
            self.setWhatsThis(self.help_text)

    def connect_snapshots(self, slot) -> None:
        """Draw the model's snapshots with ``slot`` while this panel is on screen. A hidden
        panel (a tab behind another, a closed dock) costs no frame time: it keeps only the
        newest snapshot and draws that when it is shown again. While training, the drawing
        waits for its turn in the frame budget (frames.py), at most ``live_hz`` a second;
        a paused or replayed state is drawn at once."""
        self._snapshot_slot = slot
        self._unseen = None
        self.model.snapshotReady.connect(self._on_snapshot_if_shown)

    def _on_snapshot_if_shown(self, snap) -> None:
        # Only the newest state is ever drawn: a waiting older one is dropped either way.
        if not self.isVisible():
            self.cancel_later("snapshot")
            self._unseen = snap
            return
        self._unseen = None
        if getattr(snap, "playing", False) and getattr(snap, "live", True):
            self.draw_later("snapshot", lambda: self._snapshot_slot(snap), self.live_hz,
                            self.live_first)
        else:
            self.cancel_later("snapshot")
            self._snapshot_slot(snap)

    def draw_later(self, part: str, draw, per_second: float = 0.0, first: bool = False) -> None:
        """Run ``draw`` at a coming display tick, within the frame budget (at once if the
        model has none); a waiting ``draw`` of the same ``part`` is replaced."""
        frames = getattr(self.model, "frames", None)
        if frames is None:
            draw()
            return
        frames.request((self.name, id(self), part),
                       lambda: draw() if isValid(self) else None, per_second, first)

    def cancel_later(self, part: str) -> None:
        frames = getattr(self.model, "frames", None)
        if frames is not None:
            frames.cancel((self.name, id(self), part))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.catch_up()

    def catch_up(self) -> None:
        """Draw the newest snapshot this panel skipped while hidden (an export reads it)."""
        snap = getattr(self, "_unseen", None)
        if snap is not None:
            self._unseen = None
            self.cancel_later("snapshot")
            self._snapshot_slot(snap)

    plot_labels: dict = {}    # plots() key → its name in File → Export (default: the key)

    def plots(self) -> dict:
        """Named pyqtgraph items this panel can export (PlotItem or GraphicsLayout, or a
        function that builds one when the export is asked for)."""
        return {}
