"""A "what am I looking at" note laid over a panel; a click anywhere on it closes it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget


class HelpOverlay(QLabel):
    def __init__(self, parent: QWidget, title: str, text: str) -> None:
        super().__init__(parent)
        self.setObjectName("help_overlay")
        self.setText(f"<h3>{title}</h3><p>{text}</p><p><i>Click to close.</i></p>")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(24)
        self.setStyleSheet("QLabel#help_overlay { background: rgba(255, 255, 240, 235); "
                           "color: #202020; font-size: 15px; border: 2px solid #1f77b4; }")
        self.setGeometry(parent.rect())
        parent.installEventFilter(self)

    @classmethod
    def show_over(cls, panel: QWidget, title: str, text: str) -> HelpOverlay:
        for old in panel.findChildren(HelpOverlay):
            old.close()
        overlay = cls(panel, title, text)
        overlay.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        overlay.show()
        overlay.raise_()
        return overlay

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parent().rect())
        return False

    def mousePressEvent(self, event) -> None:
        self.close()
