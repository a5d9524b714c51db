"""Import CSV, step 2: the file's columns (name, type, sample values), the class column guessed
from the data, and the user's pick of two features and the label. The choice is the command
line's ``--columns`` (csv_columns.columns_arg), read by the same reader.

Everything shown comes from the file, so it is plain text (table items, combo items, labels
set to Qt.TextFormat.PlainText): a column named "<b>x</b>" reads as itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from bn_studio.core.data import csv_columns
from bn_studio.core import limits
from bn_studio.core.data.csv_columns import CsvPreview

from ..plain_text import tooltip

TABLE_HEADERS = ("column", "type", "values (first rows)", "different", "separates classes")
SHOWN_CLASSES = 6           # class names listed in the summary line
DIALOG_SIZE = (720, 520)    # fits a 1366×768 screen with the window behind it
ERROR_COLOR = "#c0392b"
NAME_COLUMN_PX = 200        # the widest a column of names or values starts


def _plain_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _rows_text(preview: CsvPreview) -> str:
    if preview.complete:
        return f"{preview.estimated_rows:,} rows"
    return f"about {preview.estimated_rows:,} rows (a sample of {len(preview.rows):,} shown)"


class CsvColumnsDialog(QDialog):
    """Pick (x₁, x₂, label) among a previewed file's columns; ``choice()`` when accepted."""

    def __init__(self, preview: CsvPreview, initial: tuple[int, int, int] | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle(f"Import {preview.file_name}: choose the columns")
        header = "with a header row" if preview.header is not None else "no header row"
        self.summary = _plain_label(f"{preview.file_name}: {_rows_text(preview)}, "
                                    f"{len(preview.columns):,} columns, {header}. Pick the two "
                                    "numeric columns to plot and train on, and the column "
                                    "that holds the class.")
        self.table = self._build_table()
        numeric = preview.numeric
        self.x1_box, self.x2_box = QComboBox(), QComboBox()
        self.label_box = QComboBox()
        for box, columns in ((self.x1_box, numeric), (self.x2_box, numeric),
                             (self.label_box, range(len(preview.columns)))):
            box.setMaxVisibleItems(15)
            for j in columns:
                box.addItem(preview.columns[j].name, j)
        self.x1_box.setToolTip("The feature on the horizontal axis of every plot")
        self.x2_box.setToolTip("The feature on the vertical axis of every plot")
        self.label_box.setToolTip("The column that says which class a row belongs to "
                                  f"(2 to {limits.MAX_CLASSES} different values)")
        self.best_button = QPushButton("Use the two that separate the classes best")
        self.best_button.setToolTip("The two numeric columns whose values differ most between "
                                    "the classes, each on its own (the share of its variance "
                                    "between the class means, in the rows shown)")
        self.best_button.clicked.connect(self.use_best_pair)
        form = QFormLayout()
        form.addRow("Horizontal axis (x₁)", self.x1_box)
        form.addRow("Vertical axis (x₂)", self.x2_box)
        form.addRow("Class label", self.label_box)
        self.status = _plain_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addLayout(form, 1)
        row.addWidget(self.best_button, 0, Qt.AlignmentFlag.AlignBottom)
        lay.addLayout(row)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.resize(*DIALOG_SIZE)
        self._separations: dict[int, dict] = {}
        x1, x2, label = initial if initial is not None else preview.guess
        self.set_choice(x1, x2, label)
        for box in (self.x1_box, self.x2_box, self.label_box):
            box.currentIndexChanged.connect(self._changed)

    def _build_table(self) -> QTableWidget:
        columns = self.preview.columns
        table = QTableWidget(len(columns), len(TABLE_HEADERS))
        table.setHorizontalHeaderLabels(TABLE_HEADERS)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setWordWrap(False)
        for c in columns:
            sample = ", ".join(c.samples) + (" …" if c.distinct > len(c.samples) else "")
            missing = f" ({c.missing:,} missing)" if c.missing else ""
            for k, text in enumerate((c.name, c.kind + missing, sample, f"{c.distinct:,}")):
                item = QTableWidgetItem(text)
                item.setToolTip(tooltip(text))         # the file's text: shown as such
                table.setItem(c.index, k, item)
        h = table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnsToContents()
        for k in (0, 2):                        # long names and values: elided, whole in tips
            table.setColumnWidth(k, min(table.columnWidth(k), NAME_COLUMN_PX))
        table.setToolTip("The file's columns as the first rows (and, in a long file, rows "
                         "from further down) show them. “separates classes”: the share of the "
                         "column's variance that lies between the class means (1: each class "
                         "has its own values; 0: the same in every class)")
        return table

    def set_choice(self, x1: int, x2: int, label: int) -> None:
        for box, j in ((self.x1_box, x1), (self.x2_box, x2), (self.label_box, label)):
            i = box.findData(j)
            if i >= 0:
                box.blockSignals(True)
                box.setCurrentIndex(i)
                box.blockSignals(False)
        self._changed()

    def separations(self, label: int) -> dict:
        """csv_columns.separations for ``label``, computed once per label."""
        if label not in self._separations:
            self._separations[label] = csv_columns.separations(self.preview, label)
        return self._separations[label]

    def choice(self) -> tuple[int, int, int]:
        return self.x1_box.currentData(), self.x2_box.currentData(), self.label_box.currentData()

    def columns_arg(self) -> str:
        """The choice as the command line's ``--columns`` text."""
        return csv_columns.columns_arg(self.preview, *self.choice())

    def use_best_pair(self) -> None:
        label = self.label_box.currentData()
        pair = csv_columns.best_pair(self.preview, label, self.separations(label))
        if pair is not None:
            self.set_choice(*pair, self.label_box.currentData())

    def problem(self) -> str | None:
        return csv_columns.choice_problem(self.preview, *self.choice())

    def _changed(self, *_a) -> None:
        x1, x2, label = self.choice()
        self._show_separation(label, (x1, x2))
        problem = self.problem()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        self.best_button.setEnabled(
            csv_columns.best_pair(self.preview, label, self.separations(label)) is not None)
        if problem is not None:
            self.status.setStyleSheet(f"color: {ERROR_COLOR};")
            self.status.setText(problem)
            return
        self.status.setStyleSheet("")
        self.status.setText(self._classes_line(label))

    def _classes_line(self, label: int) -> str:
        """The classes the label column gives, as far as the rows shown tell."""
        counts = csv_columns.classes_in(self.preview, label)
        name = self.preview.columns[label].name
        listed = ", ".join(f"{k} ({n:,})" for k, n in list(counts.items())[:SHOWN_CLASSES])
        more = ", …" if len(counts) > SHOWN_CLASSES else ""
        where = "" if self.preview.complete else " in the rows shown"
        text = f"{name}: {len(counts)} classes{where}: {listed}{more}."
        if len(counts) < 2:
            text = (f"{name}: only one value in the rows shown ({listed}); reading the whole "
                    "file will tell whether there are more classes.")
        return text

    def _show_separation(self, label: int, chosen: tuple[int, int]) -> None:
        scores = self.separations(label)
        for c in self.preview.columns:
            if c.index == label:
                text, tip = "the label", "The class column"
            else:
                s = scores.get(c.index)
                text = "—" if s is None else f"{s:.2f}"
                tip = ("Not a number, or the label gives fewer than 2 classes" if s is None
                       else f"{100 * s:.0f} % of {c.name}'s variance lies between the class "
                            "means")
            item = QTableWidgetItem(text)
            item.setToolTip(tooltip(tip))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(c.index, 4, item)
            cells = [self.table.item(c.index, k) for k in range(len(TABLE_HEADERS))]
            font = cells[0].font() if cells[0] is not None else self.table.font()
            font.setBold(c.index in chosen or c.index == label)
            for cell in cells:
                if cell is not None:            # every cell of the row was set above
                    cell.setFont(font)
        for k in (0, 1):                        # bold names need more room than plain ones
            self.table.resizeColumnToContents(k)
            self.table.setColumnWidth(k, min(self.table.columnWidth(k), NAME_COLUMN_PX))
