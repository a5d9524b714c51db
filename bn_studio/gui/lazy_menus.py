"""ViewBox context menus built on first use, not with every plot.

pyqtgraph builds a full "ViewBox options" menu (two axis forms, a dozen widgets and signal
connections) for every ViewBox it creates; the window has about sixty, and most are never
right-clicked. Building them cost about a seventh of the window's start. ``install()`` makes
pyqtgraph create an empty menu that fills itself the first time anyone asks for its actions
or shows it, so a right-click shows the same menu as before.
"""

from __future__ import annotations

import importlib
import weakref

from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu
from PySide6 import QtWidgets


class LazyViewBoxMenu(ViewBoxMenu):
    """A ViewBoxMenu whose contents are built on the first ``actions()`` or ``popup()``
    (pyqtgraph reads ``actions()`` before adding the parents' menus, so the order is kept)."""

    def __init__(self, view) -> None:
        QtWidgets.QMenu.__init__(self)
        self._view_ref = weakref.ref(view)     # as pyqtgraph's menu: never keeps its view alive
        view.destroyed.connect(self.deleteLater)        # a parentless menu: see install()
        self._view_list: list | None = None
        self._built = False

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        view = self._view_ref()
        if view is None:
            return
        # The QMenu exists already (it is what the ViewBox holds): run pyqtgraph's __init__
        # for what it adds, with its first line, QMenu.__init__, made a no-op meanwhile.
        init_qmenu = QtWidgets.QMenu.__init__
        QtWidgets.QMenu.__init__ = lambda *args, **kwargs: None  # type: ignore[method-assign]
        try:
            ViewBoxMenu.__init__(self, view)
        finally:
            QtWidgets.QMenu.__init__ = init_qmenu  # type: ignore[method-assign]
        if self._view_list is not None:
            ViewBoxMenu.setViewList(self, self._view_list)

    def actions(self):
        self._build()
        return QtWidgets.QMenu.actions(self)

    def popup(self, *args):
        self._build()
        ViewBoxMenu.popup(self, *args)

    def setViewList(self, views) -> None:
        if self._built:
            ViewBoxMenu.setViewList(self, views)
        else:
            self._view_list = list(views)

    def viewStateChanged(self) -> None:
        if self._built:
            ViewBoxMenu.viewStateChanged(self)


def _menus_go_with_their_plot(init):
    def __init__(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        self.destroyed.connect(self.ctrlMenu.deleteLater)
    __init__.menus_go_with_their_plot = True  # type: ignore[attr-defined]
    return __init__


def install() -> None:
    """Every ViewBox made from now on gets a lazily built menu, and the parentless menus of
    every PlotItem and ViewBox are deleted with it (idempotent). PySide counts them as owned
    by C++, which never deletes them: each window left 515 behind (66 plots' "Plot Options"
    with 6 submenus, 53 view menus), and every plot row rebuilt for a new network leaked its
    own; Qt re-polishes every one of them at each theme switch."""
    # The module, not the class of the same name that its package exports.
    viewbox_module = importlib.import_module("pyqtgraph.graphicsItems.ViewBox.ViewBox")
    viewbox_module.ViewBoxMenu = LazyViewBoxMenu  # type: ignore[attr-defined]
    from pyqtgraph import PlotItem
    if not getattr(PlotItem.__init__, "menus_go_with_their_plot", False):
        PlotItem.__init__ = _menus_go_with_their_plot(PlotItem.__init__)
