"""The window's transport bar: Play, Step and Reset, the speed asked and the rate the training
process measures, and the hint for what to try next."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSizePolicy, QToolBar

from .hint import widest_hints
from .resources import toolbar_icon

HINT_MIN_WIDTH_PX = 320

# Speeds offered in the toolbar: training steps per second (None = as fast as possible).
SPEEDS = [("Max speed", None), ("300 steps/s", 300.0), ("100 steps/s", 100.0),
          ("60 steps/s", 60.0), ("30 steps/s", 30.0), ("10 steps/s", 10.0),
          ("2 steps/s", 2.0)]


HINT_LINES = (2, 3)      # the toolbar hint keeps room for this many lines (fewest, most)


class HintLabel(QLabel):
    """The toolbar's hint: as tall as the longest hint needs at the width it is given (two
    or three lines), so that it is never cut and a new hint never moves the panels below.
    A narrower window than that shows the first lines; the tooltip holds the whole hint."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._fit(HINT_MIN_WIDTH_PX)

    def lines_needed(self, width: int) -> int:
        fm = self.fontMetrics()
        wrap = Qt.TextFlag.TextWordWrap
        tallest = max(fm.boundingRect(0, 0, max(1, width), 10**6, wrap, text).height()
                      for text in widest_hints())
        return min(HINT_LINES[1], max(HINT_LINES[0], -(-tallest // fm.lineSpacing())))

    def _fit(self, width: int) -> None:
        lines = self.lines_needed(width - 2 * self.margin())
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 6)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit(event.size().width())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        # The theme's italic changes the hint's width.
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit(self.width())


RATE_TOOLTIP = ("Training steps per second measured in the training process over the last "
                "second (the speed box asks for a rate; a busy computer may give less)")


def build_toolbar(win) -> None:
    """Play, Step, Reset, the speed asked and the rate measured, and the hint: the window's
    transport bar, set on ``win`` (win.act_play, win.speed, win.rate_label, win.hint, …)."""
    tb = QToolBar("Transport", win)
    tb.setObjectName("transport")
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    win.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    win.act_play = QAction("Play", win, checkable=True)
    win.act_play.setShortcut(QKeySequence(Qt.Key.Key_Space))
    win.act_play.setToolTip("Train both nets continuously (Space)")
    win.act_play.triggered.connect(lambda on: win.model.play() if on else win.model.pause())
    win.act_step = QAction("Step", win)
    win.act_step.setShortcuts([QKeySequence(Qt.Key.Key_S), QKeySequence(Qt.Key.Key_Right)])
    win.act_step.setToolTip("One mini-batch step for both nets (S or →)")
    win.act_step.triggered.connect(lambda: win.model.step(1))
    win.act_reset = QAction("Reset", win)
    win.act_reset.setShortcut(QKeySequence(Qt.Key.Key_R))
    win.act_reset.setToolTip("New initial weights from the seed; step 0 (R)")
    win.act_reset.triggered.connect(win.model.reset)
    for a, icon in ((win.act_play, "play"), (win.act_step, "step"), (win.act_reset, "reset")):
        a.setIcon(toolbar_icon(icon))
        tb.addAction(a)
    tb.addSeparator()
    win.speed = QComboBox(win)
    win.speed.setToolTip("How many training steps per second; slow it down to watch "
                         "single updates")
    for label, value in SPEEDS:
        win.speed.addItem(label, value)
    win.speed.currentIndexChanged.connect(lambda i: win.model.set_speed(win.speed.itemData(i)))
    tb.addWidget(QLabel(" Speed: "))
    tb.addWidget(win.speed)
    # The rate the training process measures, beside the rate asked for.
    win.rate_label = QLabel()
    win.rate_label.setObjectName("rate")
    win.rate_label.setMinimumWidth(
        win.rate_label.fontMetrics().horizontalAdvance(" only 9,999 of 300 steps/s "))
    win.rate_label.setToolTip(RATE_TOOLTIP)
    tb.addWidget(win.rate_label)
    tb.addSeparator()
    win.hint = HintLabel()
    win.hint.setObjectName("hint")
    win.hint.setMinimumWidth(HINT_MIN_WIDTH_PX)
    win.hint.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    tb.addWidget(win.hint)
    win.toolbar = tb
