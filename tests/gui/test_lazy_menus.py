"""Plot menus built on first use (gui/lazy_menus.py): the same right-click menu as pyqtgraph's."""

import pyqtgraph as pg
from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu

from bn_studio.gui.lazy_menus import LazyViewBoxMenu


class _Click:
    acceptedItem = None


def _menu_texts(plot):
    vb = plot.getPlotItem().vb
    menu = vb.getMenu(None)
    plot.scene().addParentContextMenus(vb, menu, _Click())      # as a right-click does
    return menu, [a.text() for a in menu.actions()]


def test_a_plots_menu_is_built_on_first_use_and_matches_pyqtgraphs(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    menu = plot.getPlotItem().vb.menu
    assert isinstance(menu, LazyViewBoxMenu) and not menu._built
    eager = ViewBoxMenu(pg.ViewBox())
    _, texts = _menu_texts(plot)
    assert menu._built
    assert texts[:4] == [a.text() for a in eager.actions()] == \
        ["View All", "X axis", "Y axis", "Mouse Mode"]
    assert texts[4:] == ["", "Plot Options", "Export..."]


def test_the_lazy_menu_shows_the_range_and_drives_the_view(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.show()
    vb = plot.getPlotItem().vb
    vb.setRange(xRange=(0, 10), padding=0)
    menu, _ = _menu_texts(plot)
    menu.popup(plot.mapToGlobal(plot.rect().center()))
    assert float(menu.ctrl[0].minText.text()) == 0 and float(menu.ctrl[0].maxText.text()) == 10
    menu.ctrl[0].mouseCheck.setChecked(False)
    assert vb.state["mouseEnabled"] == [False, True]
    menu.close()


def test_a_named_view_is_listed_in_a_menu_built_later(qtbot):
    first, second = pg.PlotWidget(), pg.PlotWidget()
    qtbot.addWidget(first)
    qtbot.addWidget(second)
    second.getPlotItem().vb.register("lazy-menu-test")
    try:
        menu, _ = _menu_texts(first)
        combo = menu.ctrl[0].linkCombo
        assert "lazy-menu-test" in [combo.itemText(i) for i in range(combo.count())]
    finally:
        second.getPlotItem().vb.unregister()


def test_a_plots_parentless_menus_go_with_it(qtbot):
    """Each PlotItem has a parentless "Plot Options" menu (with 6 submenus) and its ViewBox a
    parentless menu. PySide counts them as owned by C++, which never deleted them: each
    studio window left 515 menus in the app when it went, and every later theme switch
    re-polished them all (a theme test took 1.6 s alone and 7 s after twenty others)."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    plot = pg.PlotItem()
    menus = (plot.ctrlMenu, plot.vb.menu)
    shiboken6.delete(plot)                          # as Qt deletes the plots of a window
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not any(shiboken6.isValid(m) for m in menus)
