"""The mouse wheel never changes a control the pointer merely passes over."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (QApplication, QComboBox, QScrollArea, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from bn_studio.gui import wheel_guard


def _wheel(widget, notches: int = -1) -> None:
    pos = QPointF(widget.rect().center())
    ev = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0),
                     QPoint(0, 120 * notches), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase,
                     False)
    QApplication.sendEvent(widget, ev)


def _controls(qtbot):
    page = QWidget()
    lay = QVBoxLayout(page)
    combo = QComboBox()
    combo.addItems(["batch size 2", "batch size 8", "batch size 128"])
    combo.setCurrentIndex(1)
    spin, slider = QSpinBox(), QSlider(Qt.Horizontal)
    spin.setValue(5)
    slider.setValue(50)
    for w in (combo, spin, slider):
        lay.addWidget(w)
    lay.addSpacing(2000)
    scroll = QScrollArea()
    scroll.setWidget(page)
    scroll.resize(300, 200)
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    return scroll, combo, spin, slider


def test_wheel_over_unfocused_controls_changes_nothing(qtbot):
    wheel_guard.install(QApplication.instance())
    scroll, combo, spin, slider = _controls(qtbot)
    for w in (combo, spin, slider):
        assert not w.hasFocus()
        _wheel(w)
    assert (combo.currentIndex(), spin.value(), slider.value()) == (1, 5, 50)
    assert all(w.focusPolicy() == Qt.StrongFocus for w in (combo, spin, slider))


def test_wheel_over_a_focused_control_still_changes_it(qtbot):
    wheel_guard.install(QApplication.instance())
    scroll, combo, spin, slider = _controls(qtbot)
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    _wheel(spin, notches=1)
    assert spin.value() == 6


def test_guard_in_the_real_window_keeps_lesson_combo(make_window, qtbot):
    wheel_guard.install(QApplication.instance())
    win = make_window()
    win.start_lesson("test_time")
    box = win.panels["lessons"].tt_batch
    before = box.currentIndex()
    _wheel(box)
    assert box.currentIndex() == before and win.model.config.batch == 8
