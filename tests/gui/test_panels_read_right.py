"""Axes, markers, themes and layout that a student can read (issue 12, "Everywhere")."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox, QTabBar, QWidget

from bn_studio.core.training.defaults import DEFAULT_CONFIG
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.curves import CurvesPanel
from bn_studio.gui.panels.decision_regions import DecisionRegionsPanel
from bn_studio.gui.panels.bn_at_test_time import TestTimeBNPanel
from bn_studio.gui.plotting import envelope, range_with_min_span
from bn_studio.gui.theme import CLASS_COLORS, apply_theme

MAX_TICK_CHARS = 5        # "1.08", "-0.05", "0.125": not "1.08261024965"


def tick_labels(plot, axis="left") -> list[str]:
    """The tick labels ``axis`` draws for the plot's current view range."""
    ax = plot.getAxis(axis)
    image = QImage(max(ax.width(), 10), max(ax.height(), 10), QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = ax.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in specs[2]] if specs else []


def at_step_0(model, qtbot, config):
    model.set_config(config)
    model.flush()
    qtbot.wait(50)
    assert model.snapshot.step == 0
    return model.snapshot


def test_a_thinned_noisy_curve_keeps_its_band_its_spikes_and_its_last_point():
    rng = np.random.default_rng(0)
    x = np.arange(4096.0)
    y = np.exp(-x / 1500) + 0.1 * rng.standard_normal(4096)
    y[1234], y[2345] = 5.0, -3.0                        # one spike up, one down
    y[100:140] = np.nan                                 # a stretch not a number
    tx, ty = envelope(x, y, 600)
    assert len(tx) <= 600 + 2 and np.all(np.diff(tx) > 0) and tx[-1] == x[-1]
    assert np.nanmax(ty) == 5.0 and np.nanmin(ty) == -3.0
    for lo in range(0, 4096 - 512, 512):                # the band, stretch by stretch
        inside = (tx >= lo) & (tx < lo + 512)
        part = y[lo:lo + 512]
        if np.isfinite(part).all():
            assert np.nanmax(ty[inside]) == part.max() and np.nanmin(ty[inside]) == part.min()
    short = envelope(x[:500], y[:500], 600)                # fewer rows than asked: all of them
    assert np.array_equal(short[0], x[:500]) and np.array_equal(short[1], y[:500], equal_nan=True)


def test_a_near_constant_series_gets_a_minimum_span():
    lo, hi = range_with_min_span(1.0826102, 1.0826102 + 1e-10, 0.1)
    assert hi - lo == pytest.approx(0.1) and lo < 1.0826102 < hi
    lo, hi = range_with_min_span(0.0, 2.0, 0.1)
    assert (lo, hi) == pytest.approx((-0.3, 2.3))             # wide data: only padded


def test_loss_ticks_at_step_0_are_short(model, make_panel, qtbot):
    panel = make_panel(CurvesPanel, None, (900, 400))
    at_step_0(model, qtbot, DEFAULT_CONFIG)
    for plot in (panel.loss_plot, panel.acc_plot):
        for axis in ("left", "bottom"):
            labels = tick_labels(plot, axis)
            assert labels and all(len(s) <= MAX_TICK_CHARS for s in labels), axis + " ".join(labels)
    assert all(float(s) == int(float(s)) for s in tick_labels(panel.loss_plot, "bottom"))


def test_test_time_bn_mean_ticks_at_step_0_are_short(model, make_panel, qtbot):
    panel = make_panel(TestTimeBNPanel, None, (640, 860))
    at_step_0(model, qtbot, TrainConfig(hidden=(8, 6), batch=16, eval_every=5))
    for plot in (panel.p_mean, panel.p_var, panel.p_mean_t, panel.p_var_t):
        labels = tick_labels(plot)
        assert labels and all(len(s) <= MAX_TICK_CHARS for s in labels), " ".join(labels)


def test_step_range_starts_over_after_a_reset(model, make_panel, qtbot):
    panel = make_panel(TestTimeBNPanel, TrainConfig(hidden=(8,), batch=16, eval_every=5),
                       (640, 860))
    model.step(400)
    model.flush()
    qtbot.wait(50)
    assert panel.p_mean_t.vb.viewRange()[0][1] >= 400
    at_step_0(model, qtbot, TrainConfig(hidden=(8,), batch=16, eval_every=5, seed=1))
    assert panel.p_mean_t.vb.viewRange()[0][1] < 100              # not the last run's 0…500


def test_validation_diamonds_are_filled_with_their_class_colour(model, make_panel, qtbot):
    panel = make_panel(DecisionRegionsPanel, None, (900, 520))
    qtbot.wait(50)
    split = model.split
    X = split.X_val
    # the validation point farthest from every other validation point: nothing covers it
    d = np.hypot(*(X[:, None, :] - X[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    k = int(np.argmax(d.min(axis=1)))
    plot = panel.plot_items["bn"]
    scene = plot.vb.mapViewToScene(QPointF(*X[k]))
    pos = panel.view.mapFromScene(scene)
    image = panel.view.grab().toImage()
    ratio = image.devicePixelRatio()
    pixel = QColor(image.pixel(int(pos.x() * ratio), int(pos.y() * ratio)))
    want = QColor(CLASS_COLORS[int(split.y_val[k]) % len(CLASS_COLORS)])
    assert max(abs(pixel.red() - want.red()), abs(pixel.green() - want.green()),
               abs(pixel.blue() - want.blue())) < 40, (pixel.name(), want.name())
    assert panel.val_scatter["bn"].opts["pen"].color() != pixel
    assert "<img" in panel.legend.text() and "validation" in panel.legend.text()


def mean_rgb(widget) -> np.ndarray:
    img = widget.grab().toImage()
    return np.array([[QColor(img.pixel(x, y)).getRgb()[:3] for x in range(img.width())]
                     for y in range(img.height())], dtype=float).reshape(-1, 3).mean(axis=0)


def test_dark_theme_disabled_buttons_look_disabled_and_spin_arrows_show(qtbot):
    apply_theme("dark")
    box = QWidget()
    lay = QHBoxLayout(box)
    on, off = QPushButton("Cancel"), QPushButton("Cancel")
    off.setEnabled(False)
    spin = QSpinBox()
    for w in (on, off, spin):
        w.setFixedSize(90, 30)
        lay.addWidget(w)
    qtbot.addWidget(box)
    box.show()
    qtbot.wait(20)
    assert np.abs(mean_rgb(on) - mean_rgb(off)).max() > 8
    arrows = spin.grab().toImage()
    bright = [QColor(arrows.pixel(x, y)).lightness()
              for x in range(arrows.width() - 16, arrows.width()) for y in range(arrows.height())]
    assert max(bright) > 170                                 # light arrows on a dark button


def test_reset_layout_with_drawing_on_keeps_the_network_panel_usable(make_window, qtbot):
    win = make_window()
    win.resize(1366, 768)
    qtbot.wait(50)
    win.panels["datasets"].draw_toggle.setChecked(True)
    qtbot.wait(50)
    win.reset_layout()
    qtbot.wait(50)
    ds, net = win.docks["datasets"].height(), win.docks["network"].height()
    assert net >= 0.4 * (ds + net), (ds, net)
    bars = [b for b in win.findChildren(QTabBar) if b.isVisible()]
    assert bars and not any(b.geometry().intersects(win.docks["network"].geometry())
                            for b in bars)                  # no old tab bar over its title


def test_the_worked_example_shows_the_unshifted_exponentials(model, make_panel):
    from bn_studio.gui.panels.softmax_inspector import EXPLANATION, SoftmaxInspectorPanel
    panel = make_panel(SoftmaxInspectorPanel, None, (640, 900))
    assert panel.worked.isHidden()
    panel.worked_button.click()
    text = panel.worked.text()
    assert not panel.worked.isHidden()
    for number in ("148.4", "7.389", "0.3679", "20.09", "176.3", "0.842", "0.114", "1.000"):
        assert number in text, number
    assert "e^(z − max z)" in EXPLANATION and "W·h" in EXPLANATION    # a means one thing
    panel.worked_button.click()
    assert panel.worked.isHidden()
