"""Designed for 1366×768 first (a first launch there is 1229×691): no dock scrolls sideways
or cuts its controls, dock tabs read in full, lessons get room to read."""

import pytest
from PySide6.QtWidgets import QTabBar

from bn_studio.core.lessons.numbers import LESSONS

FIRST_LAUNCH_1366 = (1229, 691)
SHARED_WINDOW_SIZE = FIRST_LAUNCH_1366      # the module's window (tests/gui/conftest.py)


@pytest.fixture
def small(fresh_shared_window, qtbot):
    """The module's window as a first launch at 1366×768 shows it (reset to it each test),
    in the app's light theme: its padding widens buttons, and in an unthemed window lesson
    16's page fitted while the app's scrolled 3 px sideways."""
    win = fresh_shared_window()
    assert win.size().toTuple() == FIRST_LAUNCH_1366
    qtbot.wait(50)
    return win


def _fits(panel, qtbot) -> tuple[int, int]:
    """(the narrowest the panel's content can be, the width its dock shows)."""
    qtbot.wait(20)
    scroll = panel.parentWidget().parentWidget()        # viewport → the dock's scroll area
    return panel.minimumSizeHint().width(), scroll.viewport().width()


def test_every_lesson_reads_without_scrolling_sideways(small, qtbot):
    lessons = small.panels["lessons"]
    for les in LESSONS:
        small.start_lesson(les.id)
        qtbot.wait(20)
        body = lessons.scroll_area.widget()
        assert body.minimumSizeHint().width() <= lessons.scroll_area.viewport().width(), les.id
        assert lessons.scroll_area.horizontalScrollBar().maximum() == 0, les.id


def test_a_lesson_gets_two_thirds_of_the_left_column(small, qtbot):
    small.start_lesson(LESSONS[2].id)
    qtbot.wait(50)
    lessons, network = small.docks["lessons"], small.docks["network"]
    assert lessons.height() >= 0.6 * (lessons.height() + network.height())


def test_the_lesson_pops_out_into_its_own_window_on_the_screen_and_back(small, qtbot):
    panel, dock = small.panels["lessons"], small.docks["lessons"]
    panel.pop_button.click()
    qtbot.wait(50)
    assert dock.isFloating() and panel.pop_button.text() == "Dock"
    screen = small.screen().availableGeometry()
    assert screen.contains(dock.frameGeometry()) or screen.contains(dock.geometry())
    assert dock.width() >= 440 and dock.height() >= 0.8 * screen.height()
    panel.pop_button.click()
    qtbot.wait(50)
    assert not dock.isFloating() and panel.pop_button.text() == "Pop out"
    dock.setFloating(True)                      # by the dock's own title bar
    assert panel.pop_button.isChecked() and panel.pop_button.text() == "Dock"
    dock.setFloating(False)


def test_drawing_your_own_points_keeps_the_dataset_dock_uncut(small, qtbot):
    panel = small.panels["datasets"]
    small.raise_panel("datasets")
    panel.draw_toggle.setChecked(True)
    need, have = _fits(panel, qtbot)
    assert need <= have
    buttons = [panel.draw.class_buttons.button(c) for c in range(8)]
    assert all(b.geometry().right() <= panel.width() for b in buttons)


def test_the_right_tabs_show_their_whole_titles(small, qtbot):
    small.docks["unit_maps"].show()                 # five tabs: the most there can be
    small.raise_panel("histograms")
    qtbot.wait(50)
    bars = [b for b in small.findChildren(QTabBar) if b.isVisible() and b.count() >= 4]
    assert bars
    for bar in bars:
        for i in range(bar.count()):
            need = bar.fontMetrics().horizontalAdvance(bar.tabText(i))
            assert bar.tabRect(i).width() >= need, bar.tabText(i)


def test_the_region_plots_y_axes_have_room_for_their_label(small):
    plots = small.panels["decision_regions"].plot_items
    widths = {name: p.getAxis("left").width() for name, p in plots.items()}
    assert widths["bn"] == widths["no_bn"] >= 45


def test_every_tuning_tab_shows_without_scrolling_the_tab_bar(small, qtbot):
    """Six tabs in the Tuning dock at 1366×768: none hides behind the bar's scroll arrows."""
    small.raise_panel("tuning")
    qtbot.wait(50)
    bar = small.panels["tuning"].tabs.tabBar()
    assert bar.tabRect(bar.count() - 1).right() <= bar.width(), [
        (bar.tabText(i), bar.tabRect(i).right()) for i in range(bar.count())]
