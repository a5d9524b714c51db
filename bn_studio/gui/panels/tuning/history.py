"""Every tuning search kept: a table of them (name, date, net, seed, trials, best), to reopen
one's results or resume one that did not finish."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMenu,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from bn_studio.core import limits

from .results_view import format_number

COLUMNS = ("search", "started", "net", "seed", "trials", "best val loss")


class HistoryView(QWidget):
    """The searches of ``model.history()``; 'Open' (or a double click) shows one's results,
    'Resume' continues one that did not finish."""

    openRequested = Signal(object)          # the history entry (a dict)
    resumeRequested = Signal(str)           # its store's path

    def __init__(self, searches, parent=None) -> None:
        super().__init__(parent)
        self.searches = searches
        self.entries: list[dict] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Show this search's results in the Results and Every "
                                    "trial tabs")
        self.open_button.clicked.connect(self.open_selected)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Run the trials this search did not finish")
        self.resume_button.clicked.connect(self.resume_selected)
        self.note = QLabel("Every search is kept (the newest 50 in the app's data folder), "
                           "whatever the searches after it did.")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.note)
        searches.historyChanged.connect(self.refresh)
        self._update_buttons()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Re-read the history (this session's searches and the stored ones) when shown."""
        if not (force or self.isVisible()):
            return
        self.entries = self.searches.history()
        self.table.setRowCount(len(self.entries))
        for i, e in enumerate(self.entries):
            state = " (running)" if e["running"] else " (shown)" if e["shown"] else ""
            cells = (e["label"] + state, _when(e["started"]), e["net"],
                     "" if e["seed"] is None else str(e["seed"]),
                     f"{e['done']} of {e['trials']}",
                     "" if e["best"] is None else format_number(float(e["best"])))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)            # plain text: names come from files
                if j >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self._update_buttons()

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows and rows[0].row() < len(self.entries) \
            else None

    def select(self, row: int) -> None:
        self.table.selectRow(row)

    def _update_buttons(self) -> None:
        e = self.selected()
        self.open_button.setEnabled(e is not None and not e["shown"] and not e["running"])
        self.resume_button.setEnabled(e is not None and e["path"] is not None and
                                      not e["running"] and e["done"] < e["trials"])

    def open_selected(self) -> None:
        e = self.selected()
        if e is not None and not e["running"]:
            self.openRequested.emit(e)

    def resume_selected(self) -> None:
        e = self.selected()
        if e is not None and e["path"]:
            self.resumeRequested.emit(e["path"])


def _when(epoch: float) -> str:
    """A date the way a file manager shows it: today's as the time only."""
    if not epoch:
        return ""
    t = time.localtime(epoch)
    today = time.localtime()
    return time.strftime("%H:%M" if t[:3] == today[:3] else "%Y-%m-%d %H:%M", t)


class ResumeMenu(QMenu):
    """The stored searches that did not finish, listed each time the menu opens; one
    unusable file never breaks it (stored_searches leaves it out)."""

    resumeRequested = Signal(str)           # the store's path
    failed = Signal(str)                    # one line

    def __init__(self, searches, parent=None) -> None:
        super().__init__(parent)
        self.searches = searches
        self.aboutToShow.connect(self.fill)

    def fill(self) -> None:
        self.clear()
        try:
            stored = self.searches.stored_searches()
        except Exception as e:                   # a folder that cannot be listed, say
            self.failed.emit(limits.one_line(f"Could not list the stored searches: {e}"))
            stored = []
        unfinished = [s for s in stored if s["done"] < s["trials"]]
        for s in unfinished[:12]:
            space = ", ".join(str(p.get("name", "?")) for p in s["spec"].get("space", [])
                              if isinstance(p, dict))
            action = self.addAction(limits.shown(f"{s['name']}: {s['done']} of {s['trials']} "
                                                 f"trials ({space})").strip("'\""))
            action.setData(s["path"])
            action.triggered.connect(self._resume)
        if not unfinished:
            self.addAction("No unfinished search").setEnabled(False)

    def _resume(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.resumeRequested.emit(action.data())
