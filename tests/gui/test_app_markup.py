"""The app's own markup (bold, colour, line breaks) is drawn, never shown as literal tags:
escaping text from files (plain_text.py) must not escape what the panels wrote themselves."""

import re

from PySide6.QtWidgets import QGraphicsView, QLabel

from bn_studio.core.training.trainer import TrainConfig
from studio_helpers import advance

TAG = re.compile(r"<\s*/?\s*(b|i|span|br|sub|sup|font|p)\b[^>]*>", re.IGNORECASE)


def literal_tags(root) -> list[str]:
    """Labels and plot texts under ``root`` whose shown text holds an HTML tag."""
    from bn_studio.gui.plain_text import _displayed
    found = []
    for label in root.findChildren(QLabel):
        shown = _displayed(label.text(), label.textFormat())
        if TAG.search(shown):
            found.append(f"label {label.objectName()!r}: {shown[:80]}")
    for view in root.findChildren(QGraphicsView):
        if view.scene() is None:
            continue
        for item in view.scene().items():
            if hasattr(item, "toPlainText") and TAG.search(item.toPlainText()):
                found.append(f"plot text: {item.toPlainText()[:80]}")
    return found


def test_no_panel_shows_its_markup_as_tags(make_window, qtbot):
    win = make_window(TrainConfig(hidden=(8, 6), activation="tanh", optimizer="momentum",
                                  lr=0.2, batch=16, eval_every=5))
    win.resize(1366, 768)
    for name in win.panels:
        win.raise_panel(name)
    advance(win.model, 12, qtbot)
    for name in win.panels:                 # each panel drawn while it is the shown tab
        win.raise_panel(name)
        qtbot.wait(20)
    assert literal_tags(win) == []
