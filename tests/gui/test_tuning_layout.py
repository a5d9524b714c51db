"""The tuning panel's Results and Every-trial pages at the size of a 1366×768 screen: no
widget is laid over another (in a real window the best trial's line covered the scatter's
axis name and the plots covered the "loss vs" row), and the table's numbers are whole."""

from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QWidget

from bn_studio.core.search import Param, SearchSpace
from bn_studio.gui.docks import SCREEN_SHARE
from test_tuning_panel import fake_result


def _overlaps(page: QWidget) -> list[tuple[str, str]]:
    import pyqtgraph as pg
    kinds = (QLabel, QComboBox, QTableWidget, pg.GraphicsView)
    shown = [w for w in page.findChildren(QWidget)
             if isinstance(w, kinds) and w.isVisible() and w.parentWidget() is page]
    found = []
    for i, a in enumerate(shown):
        for b in shown[i + 1:]:
            if a.geometry().intersects(b.geometry()):
                found.append((type(a).__name__ + ":" + a.objectName(),
                              type(b).__name__ + ":" + b.objectName()))
    return found


def test_results_page_at_1366x768_lays_nothing_over_anything(make_window, qtbot):
    win = make_window()
    win.set_theme("light")
    win.fit_to_screen((int(1366 * SCREEN_SHARE), int(768 * SCREEN_SHARE)))
    win.raise_panel("tuning")
    t = win.panels["tuning"]
    space = SearchSpace([Param("lr", "log", 1e-4, 1.0), Param("momentum", "one_minus_log",
                                                              0.9, 0.999),
                         Param("hidden", "int", 50, 100)])
    results = []
    for k, (loss, lr) in enumerate([(0.2488, 0.4326), (0.2985, 0.04123), (0.3581, 0.00123)]):
        r = fake_result(k, loss, lr)
        r["params"] = {"lr": lr, "momentum": 0.9558, "hidden": 60}
        results.append(r)
    t.apply_workspace({"space": space.to_list(), "searched_space": space.to_list(),
                       "results": results})
    for page in (t.view, t.every):
        t.tabs.setCurrentWidget(page)
        qtbot.wait(50)
        assert _overlaps(page) == [], page
    t.tabs.setCurrentWidget(t.view)
    qtbot.wait(50)
    table = t.view.table
    for j in range(table.columnCount()):
        header = table.horizontalHeaderItem(j).text()
        wanted = table.horizontalHeader().sectionSizeFromContents(j).width()
        assert table.columnWidth(j) >= wanted, header
        for i in range(table.rowCount()):
            text = table.item(i, j).text()
            assert table.columnWidth(j) > table.fontMetrics().horizontalAdvance(text), text
