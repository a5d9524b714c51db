"""Dock tab bars never cut a panel's name: with every right-hand panel open at 1366×768 the
bar scrolls instead (in a real window it showed "Histog…", "Diagno…", "Tu…")."""

from PySide6.QtWidgets import QTabBar

from bn_studio.gui.docks import SCREEN_SHARE


def test_every_dock_tab_shows_its_whole_name_in_a_small_window(fresh_shared_window, qtbot):
    win = fresh_shared_window()             # light, as the app starts
    # The offscreen font is narrower than a desktop's: a narrower window makes the same
    # squeeze as 1366×768 on screen (the right dock at its least width).
    win.fit_to_screen((1000, int(768 * SCREEN_SHARE)))
    for name, panel in win.panels.items():
        if panel.area == "right":
            win.raise_panel(name)           # the hidden ones (hidden units, diagnostics) too
    qtbot.wait(50)
    bars = [b for b in win.findChildren(QTabBar) if b.parent() is win and b.isVisible()]
    assert bars
    shown = 0
    for bar in bars:
        for i in range(bar.count()):        # a squeezed tab is narrower than it asks: cut
            assert bar.tabRect(i).width() >= bar.tabSizeHint(i).width(), bar.tabText(i)
            shown += 1
    assert shown >= 6


def test_a_tab_bar_left_naming_a_floating_dock_is_hidden(fresh_shared_window, qtbot):
    """In a real window, raising every panel and then popping the lesson out left two
    "Dataset | Lessons" bars over the dataset gallery (offscreen Qt does not leave them, so
    such a bar is made here as Qt left it)."""
    win = fresh_shared_window()
    win.resize(1700, 1000)
    stale, kept = QTabBar(win), QTabBar(win)
    try:
        _pop_out_and_back(win, qtbot, stale, kept)
    finally:
        stale.deleteLater()                 # the module's window goes on
        kept.deleteLater()


def _pop_out_and_back(win, qtbot, stale, kept) -> None:
    from bn_studio.gui.docks import hide_stale_tab_bars
    for bar, names in ((stale, ("Dataset", "Lessons")), (kept, ("Histograms", "Tuning"))):
        for name in names:
            bar.addTab(name)
        bar.show()
    win.pop_out_lessons(True)
    qtbot.wait(100)                     # the pop-out's topLevelChanged runs the check
    assert win.docks["lessons"].isFloating()
    assert not stale.isVisible() and kept.isVisible()
    stale.show()
    win.pop_out_lessons(False)
    qtbot.wait(100)
    hide_stale_tab_bars(win)
    assert stale.isVisible()            # docked again: a bar may name the lessons
