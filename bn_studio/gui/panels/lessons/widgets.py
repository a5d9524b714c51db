"""Small widgets the lesson pages share: wrapped rich-text labels, fixed-height plots, pages
that take only the current page's room, and short decade labels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...plotting import cache_axes

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _label(text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.TextFormat.RichText)
    return lab


def _pow10(v: float) -> str:
    """1e-4 → '10⁻⁴', 1 → '1': short decade labels that fit side by side."""
    k = int(round(np.log10(v)))
    return "1" if k == 0 else "10" + str(k).translate(SUPERSCRIPT)


class _Pages(QWidget):
    """Like QStackedWidget, but only the current page takes room (hidden pages do not count
    in the layout): a short lesson gets no gaps sized for the tallest one, and wrapped text
    gets its height for the actual width."""

    def __init__(self) -> None:
        super().__init__()
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._current: QWidget | None = None

    def addWidget(self, w: QWidget) -> None:
        self._lay.addWidget(w)
        w.setVisible(self._current is None)
        if self._current is None:
            self._current = w

    def setCurrentWidget(self, w: QWidget) -> None:
        for i in range(self._lay.count()):
            item = self._lay.itemAt(i)
            page = item.widget() if item is not None else None
            if page is not None:
                page.setVisible(page is w)
        self._current = w

    def currentWidget(self) -> QWidget | None:
        return self._current


def _plot(height: int = 170) -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setFixedHeight(height)
    w.setMouseEnabled(x=False, y=False)
    w.hideButtons()
    cache_axes(w.getPlotItem())
    return w
