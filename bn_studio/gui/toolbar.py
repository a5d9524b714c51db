"""The window's transport bar: Play, Step and Reset, the speed asked and the rate the training
process measures, and the hint for what to try next."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QSizePolicy, QToolBar

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


class Transport(NamedTuple):
    """What the transport bar holds (build_toolbar)."""
    toolbar: QToolBar
    play: QAction
    step: QAction
    reset: QAction
    speed: QComboBox
    rate_label: QLabel
    hint: HintLabel


def build_toolbar(win: QMainWindow, model) -> Transport:
    """Play, Step, Reset, the speed asked and the rate measured, and the hint: the window's
    transport bar, added to ``win``; the controls drive ``model``."""
    tb = QToolBar("Transport", win)
    tb.setObjectName("transport")
    tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    win.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
    play = QAction("Play", win, checkable=True)
    play.setShortcut(QKeySequence(Qt.Key.Key_Space))
    play.setToolTip("Train both nets continuously (Space)")
    play.triggered.connect(lambda on: model.play() if on else model.pause())
    step = QAction("Step", win)
    step.setShortcuts([QKeySequence(Qt.Key.Key_S), QKeySequence(Qt.Key.Key_Right)])
    step.setToolTip("One mini-batch step for both nets (S or →)")
    step.triggered.connect(lambda: model.step(1))
    reset = QAction("Reset", win)
    reset.setShortcut(QKeySequence(Qt.Key.Key_R))
    reset.setToolTip("New initial weights from the seed; step 0 (R)")
    reset.triggered.connect(model.reset)
    for a, icon in ((play, "play"), (step, "step"), (reset, "reset")):
        a.setIcon(toolbar_icon(icon))
        tb.addAction(a)
    tb.addSeparator()
    speed = QComboBox(win)
    speed.setToolTip("How many training steps per second; slow it down to watch "
                     "single updates")
    for label, value in SPEEDS:
        speed.addItem(label, value)
    speed.currentIndexChanged.connect(lambda i: model.set_speed(speed.itemData(i)))
    tb.addWidget(QLabel(" Speed: "))
    tb.addWidget(speed)
    # The rate the training process measures, beside the rate asked for.
    rate_label = QLabel()
    rate_label.setObjectName("rate")
    rate_label.setMinimumWidth(
        rate_label.fontMetrics().horizontalAdvance(" only 9,999 of 300 steps/s "))
    rate_label.setToolTip(RATE_TOOLTIP)
    tb.addWidget(rate_label)
    tb.addSeparator()
    hint = HintLabel()
    hint.setObjectName("hint")
    hint.setMinimumWidth(HINT_MIN_WIDTH_PX)
    hint.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    tb.addWidget(hint)
    return Transport(tb, play, step, reset, speed, rate_label, hint)
