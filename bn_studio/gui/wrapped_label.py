"""A word-wrapped label whose layout knows how tall it is at the width it has."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel


class WrappedLabel(QLabel):
    """QLabel's word-wrapped minimum height is a guess for some other width: in a narrow
    dock (1366×768) the layout gave the tuning page's labels too little room and laid them
    over the plots. This one asks for the height its text takes at its own width, so the
    panel scrolls instead."""

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self.width() > 0 and self.text():
            hint.setHeight(max(hint.height(), self.heightForWidth(self.width())))
        return hint

    def setText(self, text: str) -> None:
        super().setText(text)
        self.updateGeometry()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()
