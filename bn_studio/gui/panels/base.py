"""What every panel shares: a title, a dock area, a help text and the model it reads."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

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

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.setObjectName(self.name)
        if self.help_text:
            self.setWhatsThis(self.help_text)

    def connect_snapshots(self, slot) -> None:
        """Draw the model's snapshots with ``slot`` while this panel is on screen. A hidden
        panel (a tab behind another, a closed dock) costs no frame time: it keeps only the
        newest snapshot and draws that when it is shown again."""
        self._snapshot_slot = slot
        self._unseen = None
        self.model.snapshotReady.connect(self._on_snapshot_if_shown)

    def _on_snapshot_if_shown(self, snap) -> None:
        if self.isVisible():
            self._snapshot_slot(snap)
        else:
            self._unseen = snap

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.catch_up()

    def catch_up(self) -> None:
        """Draw the newest snapshot this panel skipped while hidden (an export reads it)."""
        snap = getattr(self, "_unseen", None)
        if snap is not None:
            self._unseen = None
            self._snapshot_slot(snap)

    plot_labels: dict = {}    # plots() key → its name in File → Export (default: the key)

    def plots(self) -> dict:
        """Named pyqtgraph items this panel can export (PlotItem or GraphicsLayout, or a
        function that builds one when the export is asked for)."""
        return {}
