"""A "what am I looking at" note laid over a panel (a click anywhere on it closes it), and
the About text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QWidget


class HelpOverlay(QLabel):
    """Laid over the part of a panel that is on screen: a panel taller than its dock (the
    tuning panel) scrolls, and an overlay over all of it put its text below the fold. Its
    colours come from the theme's style sheet (QLabel#help_overlay)."""

    def __init__(self, parent: QWidget, title: str, text: str) -> None:
        super().__init__(parent)
        self.setObjectName("help_overlay")
        self.setText(f"<h3>{title}</h3><p>{text}</p><p><i>Click to close.</i></p>")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(24)
        self.setAutoFillBackground(True)
        self.setGeometry(parent.rect())
        parent.installEventFilter(self)

    @staticmethod
    def visible_part(panel: QWidget) -> QWidget:
        """The scroll area a panel sits in (its visible part), or the panel itself."""
        w = panel.parentWidget()
        while w is not None:
            if isinstance(w, QScrollArea):
                return w
            if w.isWindow():
                break
            w = w.parentWidget()
        return panel

    @classmethod
    def show_over(cls, panel: QWidget, title: str, text: str) -> HelpOverlay:
        host = cls.visible_part(panel)
        for old in host.findChildren(HelpOverlay):
            old.close()
        overlay = cls(host, title, text)
        overlay.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        overlay.show()
        overlay.raise_()
        return overlay

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        parent = self.parentWidget()
        if parent is not None and obj is parent and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
        return False

    def mousePressEvent(self, event) -> None:
        self.close()


def about_html() -> str:
    """Help → About: what the app is, and the versions a bug report needs."""
    import platform

    import numpy as np
    import PySide6
    import pyqtgraph as pg

    from bn_studio import __version__
    return (f"<h3>BN Studio {__version__}</h3>"
            "<p>Watch batch normalization, softmax regression and hyperparameter search "
            "while a real network trains.</p>"
            f"<p>Python {platform.python_version()} · NumPy {np.__version__} · "
            f"PySide6 {PySide6.__version__} · pyqtgraph {pg.__version__}</p>")
