"""The hidden-unit pictures: computed by the worker while the panel is shown, drawn per layer."""

import numpy as np
import pytest

from bn_studio.core.training.trainer import TrainConfig
from bn_studio.core.measure.unit_maps import MAX_UNITS_SHOWN, RESOLUTION, unit_maps
from bn_studio.gui.panels.unit_maps import (HIGH_RGB, LOW_RGB, MID_RGB, NAN_RGB, UnitMapsPanel,
                                            unit_rgb)
from studio_helpers import advance

WIDE = TrainConfig(hidden=(20, 3), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(UnitMapsPanel, WIDE, (480, 900))


@pytest.mark.real_worker
def test_worker_sends_the_core_pictures_of_the_snapshots_nets(model, panel, qtbot):
    snap = advance(model, 12, qtbot)
    um = snap.unit_maps
    assert um is not None and um.step == snap.step == 12 and um.activation == "tanh"
    assert um.widths == {"bn": [20, 3], "no_bn": [20, 3]}
    for name in ("bn", "no_bn"):
        expected = unit_maps(snap.runs[name].net, um.extent)
        assert [m.shape for m in um.maps[name]] == [(16, RESOLUTION, RESOLUTION),
                                                    (3, RESOLUTION, RESOLUTION)]
        for got, want in zip(um.maps[name], expected):
            np.testing.assert_allclose(got, want, rtol=1e-6)
    assert not np.allclose(um.maps["bn"][0], um.maps["no_bn"][0])


def test_panel_draws_each_layer_of_both_nets_and_says_how_many_are_hidden(model, panel, qtbot):
    advance(model, 5, qtbot)
    qtbot.waitUntil(lambda: len(panel.mosaics) == 4, timeout=3000)
    assert len(panel.mosaics[("bn", 0)].images) == MAX_UNITS_SHOWN == 16
    assert len(panel.mosaics[("no_bn", 1)].images) == 3
    assert "+4 more" in panel.notes[0].text() and "more" not in panel.notes[1].text()
    assert "purple −1" in panel.scale.text()
    html = panel.mosaics[("no_bn", 1)].tooltip_html(2)
    assert "layer 2, unit 3" in html and "<img src=\"data:image/png" in html
    mosaic = panel.mosaics[("bn", 0)]
    step = mosaic.thumb + 3
    from PySide6.QtCore import QPoint
    assert mosaic.unit_at(QPoint(step + 2, 2 * step + 2)) == 9          # row 2, column 1
    assert mosaic.unit_at(QPoint(step - 1, 2)) is None                  # in a gap


def test_pictures_are_computed_only_while_the_panel_is_shown(model, panel, qtbot):
    advance(model, 3, qtbot)
    qtbot.waitUntil(lambda: model.snapshot.unit_maps is not None, timeout=3000)
    panel.hide()
    snap = advance(model, 4, qtbot)
    assert snap.unit_maps.step == 3            # the last pictures are carried, not recomputed
    panel.show()
    qtbot.waitUntil(lambda: model.snapshot.unit_maps.step == 7, timeout=3000)


def test_no_hidden_layer_says_so(model, make_panel, qtbot):
    panel = make_panel(UnitMapsPanel, WIDE.replace(hidden=()), (480, 600))
    advance(model, 3, qtbot)
    qtbot.waitUntil(lambda: "no hidden units" in panel.status.text(), timeout=3000)
    assert panel.mosaics == {}


def test_colour_scale_ends_and_nan():
    rgb = unit_rgb(np.array([[-1.0, 0.0, 1.0, np.nan, 5.0]]), (-1.0, 0.0, 1.0))[0]
    np.testing.assert_array_equal(rgb[:4], np.array([LOW_RGB, MID_RGB, HIGH_RGB, NAN_RGB],
                                                    dtype=np.uint8))
    np.testing.assert_array_equal(rgb[4], rgb[2])                       # clipped at the top
    relu = unit_rgb(np.array([[0.0, 2.0]]), (0.0, 0.0, 2.0))[0]           # no lower half
    np.testing.assert_array_equal(relu, np.array([MID_RGB, HIGH_RGB], dtype=np.uint8))


def test_the_dock_starts_hidden_and_opens_from_the_view_menu(make_window, qtbot):
    win = make_window()
    dock, panel = win.docks["unit_maps"], win.panels["unit_maps"]
    assert dock.isHidden() and not panel.isVisible()
    view = next(a.menu() for a in win.menuBar().actions() if a.text() == "&View")
    action = next(a for a in view.actions() if a.text() == "Hidden units")
    assert not action.isChecked()
    action.trigger()
    dock.raise_()
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    advance(win.model, 3, qtbot)
    qtbot.waitUntil(lambda: len(panel.mosaics) == 2 * len(win.model.config.hidden),
                    timeout=3000)


def test_resized_is_bilinear_between_pixel_centres():
    """Known answers: 2 pixels 0 and 200 over 4 samples sit at 0, 50, 150, 200 (centres at
    ¼ and ¾ of a pixel from the ends, clamped); the same size is the picture itself."""
    from bn_studio.gui.panels.unit_maps import resized
    row = np.array([0, 200], np.uint8)
    rgb = np.repeat(np.repeat(row[None, None, :, None], 2, axis=1), 3, axis=3)   # (1,2,2,3)
    out = resized(rgb, 4)
    assert out.shape == (1, 4, 4, 3)
    assert out[0, 0, :, 0].tolist() == [0, 50, 150, 200]
    assert (out[0, :, :, 0] == out[0, :1, :, 0]).all()          # constant down each column
    pictures = np.random.default_rng(1).integers(0, 256, (3, 24, 24, 3)).astype(np.uint8)
    assert (resized(pictures, 24) == pictures).all()
