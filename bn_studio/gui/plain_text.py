"""Text from files is shown as plain text, never as rich text.

Qt renders anything that looks like HTML in a label, a tooltip, a message box or a pyqtgraph
title, legend or axis label: a lesson title, a CSV class label or a workspace's dataset name
of ``<img src="/dev/zero">`` would make Qt read that file until the app runs out of memory
(``<img src=FIFO>`` hangs the window; any local file is read). So, in BN Studio:

- every QLabel is plain text unless its code sets ``Qt.TextFormat.RichText`` (``plain_labels``
  turns the window's undeclared labels plain once it is built);
- a rich label escapes every value it puts into its markup (``escape``);
- tooltips and message boxes that may hold such text go through ``tooltip`` and
  ``message_box``;
- pyqtgraph's titles, legends and axis labels escape their text (``install_plot_text``)
  unless the app wrote it as markup (``Rich``).
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from bn_studio.core.limits import MAX_MESSAGE_CHARS, one_line

MESSAGE_LINES = 6               # a message box shows at most this many lines
_LONG_WORD = re.compile(r"\S{60}(?=\S)")   # a run a line may break after (a long name)


class Rich(str):
    """Markup the app wrote (its values escaped): shown as rich text where text is escaped."""


def escape(text) -> str:
    """``text`` for a rich-text label or tooltip: shown literally, line breaks kept."""
    return html.escape(str(text), quote=False).replace("\n", "<br>")


def plain_labels(root: QWidget) -> None:
    """Every QLabel under ``root`` that did not choose a text format shows plain text."""
    for label in root.findChildren(QLabel):
        if label.textFormat() == Qt.TextFormat.AutoText:
            label.setTextFormat(Qt.TextFormat.PlainText)


def tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt guesses rich text for tooltips too)."""
    return f"<qt>{escape(text)}</qt>" if text else ""


def short(text) -> str:
    """At most MESSAGE_LINES lines of at most limits.MAX_MESSAGE_CHARS characters each."""
    head = str(text)[:MESSAGE_LINES * (MAX_MESSAGE_CHARS + 2)]
    lines = (one_line(line) for line in head.splitlines()[:MESSAGE_LINES])
    # A zero-width space after every 60 characters without a space: a long file name or
    # class name wraps instead of widening the box past the screen.
    return "\n".join(_LONG_WORD.sub(lambda m: m.group() + "\u200b", line)
                     for line in lines).rstrip()


def message_box(parent, icon, title: str, text: str, rich: bool = False) -> QMessageBox:
    """A non-blocking message box (``open``, never ``exec``) that shows ``text`` as plain text,
    each line cut to limits.MAX_MESSAGE_CHARS, unless ``rich`` (the app's own markup)."""
    box = QMessageBox(icon, title, "", QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    box.setText(text if rich else short(text))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


_installed = False


def install_plot_text() -> None:
    """pyqtgraph's LabelItem (plot titles, legend entries) and axis labels escape their text
    unless it is ``Rich``. Idempotent; panels call it when their module loads."""
    global _installed
    if _installed:
        return
    import pyqtgraph as pg
    set_text, label_string = pg.LabelItem.setText, pg.AxisItem.labelString

    def plain_set_text(self, text, **args):
        # The same text in the same look again (panels retitle on every frame) is skipped:
        # each setHtml lays the title out anew, ~2.7 ms, 9 of them a frame with every panel
        # open. A theme change alters the look, so it still redraws.
        key = look(text, {**self.opts, **args})
        if getattr(self, "_shown", None) == key:
            return
        set_text(self, text if isinstance(text, Rich) else escape(text), **args)
        self.text = text            # the caller's text: setting it again escapes it once
        self._shown = look(text, self.opts)

    def look(text, opts) -> tuple:
        # the theme's foreground colours a title without a colour of its own
        return (type(text), str(text), repr(sorted(opts.items())),
                str(pg.getConfigOption("foreground")))

    def plain_label_string(self):
        text, units = self.labelText, self.labelUnits
        self.labelText = text if isinstance(text, Rich) else escape(text)
        self.labelUnits = units if isinstance(units, Rich) else escape(units)
        try:
            return label_string(self)
        finally:
            self.labelText, self.labelUnits = text, units

    update_label = pg.AxisItem._updateLabel

    def update_label_if_changed(self):
        # Every range change of a plot re-sets its axis names (pyqtgraph's SI prefix), each
        # a setHtml and a new layout: most of a frame's text work, for the same names.
        # pyqtgraph repaints an axis's ticks after a range change only through here: with the
        # same name, the ticks are still drawn again (else they showed the first range).
        html = self.labelString()
        if getattr(self, "_label_html", None) == html:
            self.picture = None
            self.update()
            return
        update_label(self)
        self._label_html = html

    pg.LabelItem.setText = plain_set_text
    pg.AxisItem.labelString = plain_label_string
    pg.AxisItem._updateLabel = update_label_if_changed
    _installed = True


def shown_as_markup(root: QWidget, needle: str) -> list[str]:
    """Where under ``root`` a text holding ``needle`` is not shown literally (Qt or pyqtgraph
    reads it as markup): labels, tooltips (of widgets and of list and table items) and
    pyqtgraph's text items. Laying each out, as drawing would, is part of the check."""
    from PySide6.QtWidgets import QAbstractItemView, QGraphicsTextItem, QGraphicsView
    found = []

    def check(where: str, text: str, fmt=Qt.TextFormat.AutoText) -> None:
        if needle in text and needle not in _displayed(text, fmt):
            found.append(f"{where}: {one_line(text, 80)}")

    for w in [root, *root.findChildren(QWidget)]:
        where = f"{type(w).__name__} {w.objectName()}".strip()
        if isinstance(w, QLabel):
            check(where, w.text(), w.textFormat())
            w.sizeHint()
        check(f"tooltip of {where}", w.toolTip())
        if isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            for r in range(m.rowCount()):
                c = 0
                while (index := m.index(r, c)).isValid():
                    tip = m.data(index, Qt.ItemDataRole.ToolTipRole)
                    if isinstance(tip, str):
                        check(f"item tooltip of {where}", tip)
                    c += 1
        if isinstance(w, QGraphicsView) and w.scene() is not None:
            for item in w.scene().items():
                if isinstance(item, QGraphicsTextItem) and needle in item.toHtml():
                    item.boundingRect()
                    if needle not in item.toPlainText():
                        found.append(f"plot text in {where}: {one_line(item.toPlainText(), 80)}")
    return found


def _displayed(text: str, fmt) -> str:
    """The characters Qt shows for ``text`` in a label of format ``fmt`` (parsing HTML here
    loads no image: only laying it out would)."""
    from PySide6.QtGui import QTextDocument
    # Qt.mightBeRichText is QtGui's (PySide6 adds it to Qt); the stubs list it nowhere.
    if fmt == Qt.TextFormat.PlainText or (fmt == Qt.TextFormat.AutoText
                                          and not Qt.mightBeRichText(text)):  # type: ignore[attr-defined]
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()
