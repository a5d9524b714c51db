"""Mouse-wheel guard: scrolling a panel must never change a combo box, spin box or slider that
the pointer happens to pass over. Such a control takes wheel events only once it has focus
(click or Tab into it); otherwise the event goes to the scroll area around it, so the panel
scrolls instead of silently changing a setting (and, e.g., resetting training).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QSlider, QWidget

GUARDED = (QComboBox, QAbstractSpinBox, QSlider)


class WheelGuard(QObject):
    """App-wide event filter: unfocused guarded controls ignore the wheel."""

    def eventFilter(self, obj, event) -> bool:
        # Every event of the app passes here: the cheap type test first (event.type() builds
        # a Python enum, which cost a quarter of the window's start when asked of every event).
        if not isinstance(obj, GUARDED):
            return False
        kind = event.type()
        if kind == QEvent.Type.Wheel and not obj.hasFocus():
            event.ignore()                               # propagates to the parent (scrolls)
            return True
        if kind == QEvent.Type.Polish:
            # Clicking or tabbing gives focus, the wheel does not: so the wheel never
            # focuses a control on its way past.
            obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return False


_guard: WheelGuard | None = None


def install(app: QApplication) -> WheelGuard:
    """Install the guard on ``app`` once (later calls return the same filter)."""
    global _guard
    if _guard is None:
        _guard = WheelGuard(app)
        app.installEventFilter(_guard)
        for w in app.allWidgets():                       # widgets polished before install
            if isinstance(w, GUARDED):
                w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return _guard


def is_guarded(widget: QWidget) -> bool:
    return isinstance(widget, GUARDED)
