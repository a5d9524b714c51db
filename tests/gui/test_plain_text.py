"""Text from files is shown as plain text, never as rich text (gui/plain_text.py).

Every route by which a file's text reaches the screen gets ``<img src=FIFO>``: a FIFO that a
separate process keeps opening for writing and marks when something opens it for reading. If
Qt read the text as HTML and laid it out, it would load that "image" (with /dev/zero instead
it reads until the app runs out of memory); the tests assert it never does, and that the
window shows the text literally."""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from bn_studio.core.lessons import numbers as L
from bn_studio.core.limits import MAX_MESSAGE_CHARS
from bn_studio.gui import plain_text
from bn_studio.gui.plain_text import escape
from bn_studio.workspace import WorkspaceError


class ImageTrap:
    """A FIFO named like an image (a short path: shown() echoes 40 characters of a value), and
    a shell loop that opens it for writing and leaves a mark each time a reader opens it.
    A separate process: a thread of this one could not run while Qt blocks in open()."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="h", dir="/tmp"))
        self.path = self.dir / "i"
        os.mkfifo(self.path)
        self.mark = self.dir / "opened"
        self.proc = subprocess.Popen(
            ["sh", "-c", f': ; while :; do : > "{self.path}"; : > "{self.mark}"; sleep 0.05; '
                         "done"])
        self.tag = f"<img src={self.path}>"

    def opened(self) -> bool:
        time.sleep(0.2)                 # a reader that just opened it gets its mark
        return self.mark.exists()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def trap():
    t = ImageTrap()
    yield t
    t.close()


@pytest.fixture
def win(_module_window):
    """The module's one window (conftest; each test brings its own trap): building one
    per test would take most of the module's time."""
    yield _module_window
    for box in _module_window.findChildren(QMessageBox):
        box.close()
    _module_window.show_start_page()


def settle(win, qtbot, steps=0):
    if steps:
        win.model.step(steps)
        win.model.flush()
    for name in win.panels:             # every panel laid out, as a user browsing them would
        win.raise_panel(name)
    qtbot.wait(50)


def assert_plain(win, trap):
    """Nothing read the trap as an image and every text holding it shows it literally."""
    assert plain_text.shown_as_markup(win, trap.tag) == []
    win.grab()                          # drawn, too
    assert not trap.opened()


def message_boxes(win):
    return [b for b in win.findChildren(QMessageBox) if b.isVisible()]


def pack(trap, **fields) -> str:
    doc = {"format": "bn-studio-lesson", "version": 1, "id": "hostile", "title": "T",
           "question": "Q", "answer": "A"}
    doc.update(fields)
    return json.dumps(doc)


def points_workspace(trap, rows=60, **dataset) -> dict:
    rng = np.random.default_rng(0)
    d = {"kind": "points", "name": "n" + trap.tag, "X": rng.normal(size=(rows, 2)).tolist(),
         "y": [i % 3 for i in range(rows)],
         "class_names": [f"{c}{trap.tag}" for c in "abc"], **dataset}
    return {"format": "bn-studio-workspace", "version": 1, "config": {"hidden": [8]},
            "dataset": d}


def open_workspace(win, tmp_path, doc):
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(doc))
    win.open_workspace_from(path, wait=True)


def test_a_lesson_packs_texts_are_plain_in_the_panel_the_hint_and_its_tooltip(win, qtbot,
                                                                            trap, tmp_path):
    path = tmp_path / "pack.json"
    path.write_text(pack(trap, title="T" + trap.tag, intro="I" + trap.tag,
                         steps=["S" + trap.tag], question="Q" + trap.tag,
                         answer="A" + trap.tag, experiment="softmax"))
    les = win.open_lesson_from(path)
    assert les is not None and les.title == "T" + trap.tag
    win.panels["lessons"].reveal_answer()
    settle(win, qtbot)
    assert trap.tag in win.hint.text()
    assert_plain(win, trap)


@pytest.mark.parametrize("field", ["unknown_key", "experiment", "panel", "controls"])
def test_a_lesson_packs_refused_values_are_echoed_as_plain_text(win, qtbot, trap, tmp_path,
                                                                  field):
    extra = {"unknown_key": {trap.tag: 1}, "experiment": {"experiment": trap.tag},
             "panel": {"panel": trap.tag}, "controls": {"controls": {"hidden": [trap.tag]}}}
    path = tmp_path / "pack.json"
    path.write_text(pack(trap, **extra[field]))
    assert win.open_lesson_from(path) is None
    qtbot.waitUntil(lambda: bool(message_boxes(win)), timeout=2000)
    assert trap.tag in message_boxes(win)[0].text()
    assert_plain(win, trap)


@pytest.mark.parametrize("case", ["dataset_kind", "dataset_name", "search_scale",
                                  "result_status", "csv_reference_name"])
def test_a_workspaces_refused_values_are_echoed_as_plain_text(win, qtbot, trap, tmp_path,
                                                                case):
    doc = {"format": "bn-studio-workspace", "version": 2, "dataset": {"name": "moons"}}
    space = [{"name": "lr", "scale": "log", "low": 0.001, "high": 1}]
    if case == "dataset_kind":
        doc["dataset"] = {"kind": trap.tag}
    elif case == "dataset_name":
        doc["dataset"] = {"kind": "generated", "name": trap.tag}
    elif case == "search_scale":
        doc["search"] = {"space": [{**space[0], "scale": trap.tag}]}
    elif case == "result_status":
        doc["search"] = {"searched_space": space,
                         "results": [{"trial": 0, "status": trap.tag, "params": {"lr": 0.1}}]}
    else:                       # a data file that is missing: the message names the file
        doc["dataset"] = {"kind": "csv", "name": trap.tag, "path": "/nowhere/x.csv",
                          "bytes": 10, "sha256": "0" * 64, "points": 20,
                          "class_names": ["a", "b"], "data_sha256": "0" * 64}
    path = tmp_path / "ws.json"
    path.write_text(json.dumps(doc))
    try:
        win.open_workspace_from(path, wait=True)
    except WorkspaceError as e:     # what File → Open does with it: one line in a box
        win._show_error(str(e))
    qtbot.waitUntil(lambda: bool(message_boxes(win)), timeout=2000)
    assert trap.tag[:20] in message_boxes(win)[0].text()
    assert_plain(win, trap)


def test_a_workspaces_dataset_name_and_class_names_are_plain_in_every_panel(win, qtbot,
                                                                          trap, tmp_path):
    open_workspace(win, tmp_path, points_workspace(trap))
    assert win.model.dataset.class_names[0] == "a" + trap.tag
    settle(win, qtbot, steps=5)
    win.model.pointSelected.emit((0.1, 0.2))          # softmax inspector, test-time BN
    win.panels["test_time_bn"].predict_button.click()
    for lesson in ("test_time", "softmax"):           # the lessons that name classes
        lesson_id = next(x.id for x in L.LESSONS if x.experiment == lesson)
        win.start_lesson(lesson_id)
        open_workspace(win, tmp_path, points_workspace(trap))
        settle(win, qtbot, steps=3)
        win.model.pointSelected.emit((0.1, 0.2))
    qtbot.wait(100)
    assert_plain(win, trap)


def test_csv_class_labels_and_the_files_name_are_plain(win, qtbot, trap, monkeypatch):
    monkeypatch.chdir(trap.dir)     # a file name holds no "/": its image is found from here
    name = "<img src=i>.csv"
    rows = "".join(f"{i % 7},{i % 5 * 1.5},{'pq'[i % 2]}{trap.tag}\n" for i in range(60))
    (trap.dir / name).write_text(rows)
    assert win.panels["datasets"].import_csv(trap.dir / name)
    assert win.model.dataset.name == name
    settle(win, qtbot, steps=5)
    win.model.pointSelected.emit((0.1, 0.2))
    win.panels["test_time_bn"].predict_button.click()
    qtbot.wait(100)
    assert_plain(win, trap)
    assert plain_text.shown_as_markup(win, name) == []


def test_csv_column_names_and_values_in_the_import_dialog_are_plain(win, qtbot, trap,
                                                                   tmp_path):
    p = tmp_path / "cols.csv"
    p.write_text(f"a{trap.tag},b{trap.tag},c{trap.tag}\n"
                 + "".join(f"{i % 7},{i % 5},{'pq'[i % 2]}{trap.tag}\n"
                           for i in range(40)))
    dialog = win.panels["datasets"].choose_columns(p)
    assert dialog.table.item(0, 0).text() == "a" + trap.tag
    assert plain_text.shown_as_markup(dialog, trap.tag) == []
    dialog.grab()
    assert not trap.opened()
    dialog.reject()


def test_search_results_parameter_keys_and_errors_are_plain(win, qtbot, trap, tmp_path):
    space = [{"name": "lr", "scale": "log", "low": 0.001, "high": 1}]
    results = [{"trial": i, "seed": i, "status": "ok" if i else "failed",
                "params": {"lr": 0.01 * (i + 1), "k" + trap.tag: 1},
                "val_loss": 0.5 + i, "val_accuracy": 0.5,
                "error": None if i else "e" + trap.tag,
                "curve": {"step": [0, 10], "val_loss": [1.0, 0.5]}} for i in range(3)]
    named = [{**space[0], "name": "n" + trap.tag}]      # a parameter name is free text
    doc = {"format": "bn-studio-workspace", "version": 1, "dataset": {"name": "moons"},
           "search": {"space": named, "searched_space": space, "trials": 3, "steps": 50,
                      "results": results}}
    open_workspace(win, tmp_path, doc)
    settle(win, qtbot)
    assert "k" + escape(trap.tag) in win.panels["tuning"].view.best_label.text()
    assert_plain(win, trap)


def test_every_label_in_the_window_chooses_plain_or_rich_text(win, qtbot, tmp_path):
    """AutoText would read a label's text as HTML whenever it looks like HTML."""
    for lesson in L.LESSONS:
        win.start_lesson(lesson.id)
        win.model.pointSelected.emit((0.1, 0.2))
    settle(win, qtbot, steps=2)
    undeclared = [f"{type(w.parent()).__name__}: {w.text()[:40]!r}"
                  for w in win.findChildren(QLabel) if w.textFormat() == Qt.AutoText
                  and not isinstance(w.window(), QMessageBox)]
    assert undeclared == []


MARKUP = ("<span", "<br>", "<b>", "</", "&nbsp;", "&lt;", "&gt;", "&amp;", "<sub>", "<i>")


def markup_shown(win) -> list[str]:
    """Texts of the app's own that show their markup as characters (escaped by mistake)."""
    from PySide6.QtWidgets import QGraphicsView
    shown = []
    for w in win.findChildren(QLabel):
        text = plain_text._displayed(w.text(), w.textFormat())
        shown += [f"label: {text[:60]}" for tag in MARKUP if tag in text]
    for view in win.findChildren(QGraphicsView):
        for item in view.scene().items():
            if hasattr(item, "toPlainText"):
                text = item.toPlainText()
                shown += [f"plot text: {text[:60]}" for tag in MARKUP if tag in text]
    return shown


def test_the_apps_own_markup_still_renders(win, qtbot):
    """Titles and labels the app writes as markup (coloured subtitles, line breaks) render as
    such: nothing that is the app's own is escaped."""
    from bn_studio.core.training.trainer import TrainConfig
    for config in (TrainConfig(hidden=()), TrainConfig(hidden=(8,), lr=1e6, optimizer="sgd")):
        win.model.set_config(config)
        settle(win, qtbot, steps=30)            # no hidden layer; both nets diverged
        win.model.pointSelected.emit((0.1, 0.2))
        qtbot.wait(50)
        assert markup_shown(win) == []


def test_plot_titles_legends_and_axis_labels_are_plain_unless_marked_rich(qtbot, trap):
    plain_text.install_plot_text()
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    p = w.getPlotItem()
    p.setTitle("t" + trap.tag)
    p.setLabel("bottom", "x" + trap.tag, units="u" + trap.tag)
    p.addLegend()
    p.plot([0, 1], [0, 1], name="c" + trap.tag)
    texts = [i.toPlainText() for i in w.scene().items() if hasattr(i, "toPlainText")]
    assert sum(trap.tag in t for t in texts) >= 3
    assert plain_text.shown_as_markup(w, trap.tag) == []
    w.grab()
    assert not trap.opened()
    p.setTitle(plain_text.Rich("<b>bold</b>"))       # the app's own markup still renders
    assert p.titleLabel.item.toPlainText() == "bold"
    p.titleLabel.setText(p.titleLabel.text, color="#123456")    # set again (a theme): once
    assert p.titleLabel.item.toPlainText() == "bold"
    p.setTitle("<b>x</b>")
    p.titleLabel.setText(p.titleLabel.text, color="#123456")
    assert p.titleLabel.item.toPlainText() == "<b>x</b>"


def test_a_message_box_shows_plain_short_text(qtbot, trap):
    box = plain_text.message_box(None, QMessageBox.Warning, "t", "x" * 2**20 + trap.tag)
    qtbot.addWidget(box)
    assert box.textFormat() == Qt.PlainText
    assert len(box.text().replace("\u200b", "")) <= MAX_MESSAGE_CHARS
    assert box.sizeHint().width() < 2000
    box2 = plain_text.message_box(None, QMessageBox.Warning, "t", "a" + trap.tag + "\n" * 999)
    qtbot.addWidget(box2)
    assert box2.text() == "a" + trap.tag
    box2.grab()
    assert not trap.opened()


def test_a_title_set_again_unchanged_is_not_laid_out_again_but_a_theme_change_is(qapp):
    """Panels retitle their plots on every frame; each setHtml costs milliseconds."""
    from bn_studio.gui.theme import apply_pyqtgraph_theme
    plain_text.install_plot_text()
    apply_pyqtgraph_theme("light")
    label = pg.LabelItem()
    calls = []
    set_html = label.item.setHtml
    label.item.setHtml = lambda html: (calls.append(html), set_html(html))
    label.setText("<b>x</b> of unit 3", size="9pt")
    label.setText("<b>x</b> of unit 3", size="9pt")
    label.setText("<b>x</b> of unit 3")
    assert len(calls) == 1 and "&lt;b&gt;" in calls[0]
    label.setText(plain_text.Rich("<b>x</b> of unit 3"))       # markup now: drawn anew
    label.setText("<b>x</b> of unit 4")
    label.setText("<b>x</b> of unit 4", color="#d62728")
    assert len(calls) == 4
    try:
        apply_pyqtgraph_theme("dark")                  # the foreground a plain title takes
        label.setText("<b>x</b> of unit 4", color=None)
        label.setText("<b>x</b> of unit 4")
        assert len(calls) == 5
    finally:
        apply_pyqtgraph_theme("light")


def test_an_axis_name_is_not_laid_out_again_on_every_range_change(qapp):
    plain_text.install_plot_text()
    plot = pg.PlotItem()
    axis = plot.getAxis("left")
    plot.setLabel("left", "<i>validation loss</i>")
    calls = []
    set_html = axis.label.setHtml
    axis.label.setHtml = lambda html: (calls.append(html), set_html(html))
    for k in range(1, 6):
        plot.setYRange(0, 10.0 ** k)             # crosses SI-prefix ranges too
    assert calls == []
    axis.setTextPen("#ff0000")                   # a new colour (a theme change) redraws
    assert len(calls) == 1 and "ff0000" in calls[0] and "&lt;i&gt;" in calls[0]
    plot.setLabel("left", "accuracy")
    assert len(calls) == 2 and "accuracy" in axis.label.toPlainText()


def test_an_axis_draws_new_ticks_after_a_range_change_under_the_same_name(qtbot):
    # The unchanged-name shortcut also skipped pyqtgraph's only repaint of an axis with an
    # SI prefix after its range changed: the loss curves' step axis kept the labels of its
    # first range (0–20 while the data ran to step 500).
    plain_text.install_plot_text()
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.setLabel("bottom", "step")
    w.setXRange(0, 20, padding=0)
    w.resize(400, 300)
    w.show()
    axis = w.getPlotItem().getAxis("bottom")
    w.grab()                                        # paints: the ticks' picture is made
    w.setXRange(0, 500, padding=0)
    assert axis.picture is None                      # the ticks are drawn again
