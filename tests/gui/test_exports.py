"""Plot exports open alike everywhere: small SVG with one path per marker style, no per-point
images, no scaled strokes; rendered back by librsvg they look like the screen."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui import exports
from bn_studio.gui.export_runner import ExportRunner
from bn_studio.gui.panels.curves import CurvesPanel
from bn_studio.gui.panels.decision_regions import DecisionRegionsPanel
from bn_studio.gui.panels.unit_maps import UnitMapsPanel
from bn_studio.gui.plot_svg import read_svg
from bn_studio.gui.svg_text import marker_template
from studio_helpers import advance

SVG = "{http://www.w3.org/2000/svg}"
SMALL = TrainConfig(hidden=(8, 8), activation="tanh", batch=16, eval_every=5)
POINTS = 3000
BYTES_PER_POINT = 80          # a marker is "M123.4 56.7" + a ~45-character template, and a
                              # validation point has two (its diamond and the diamond's edge)
FIXED_BYTES = 150_000         # axes, titles and the two embedded region images


def elements(path, tag):
    return ET.parse(path).getroot().iter(SVG + tag)


def wait_for_grid(model, qtbot):
    qtbot.waitUntil(lambda: model.snapshot is not None and model.snapshot.grid is not None
                    and bool(model.snapshot.grid.probs), timeout=10_000)
    qtbot.wait(50)


@pytest.fixture
def regions(make_panel, model, qtbot):
    model.set_spec(DatasetSpec("spirals", n=POINTS, noise=0.2))
    panel = make_panel(DecisionRegionsPanel, SMALL, (1000, 520))
    advance(model, 20, qtbot)
    wait_for_grid(model, qtbot)
    return panel


def test_region_svg_is_small_with_points_as_one_path_per_style(regions, tmp_path):
    out = exports.export_plot(regions.plots()["both"], tmp_path / "both.svg")
    assert out.stat().st_size < FIXED_BYTES + 2 * BYTES_PER_POINT * POINTS     # two plots
    images = list(elements(out, "image"))
    assert len(images) == 2                               # the two region layers, no more
    paths = list(elements(out, "path"))
    # Per plot: 3 classes × (dots, diamonds) + diamond edges + axes and ticks; never a
    # path (or an image, or a pattern) per point.
    marker_paths = [p for p in paths if p.get("d", "").count("M") > 50]
    assert 2 * 3 <= len(marker_paths) <= 2 * 8
    assert sum(p.get("d").count("M") for p in marker_paths) >= POINTS
    text = out.read_text()
    assert "<pattern" not in text and "vector-effect" not in text


def test_svg_paths_are_in_pixels_so_no_renderer_scales_a_stroke(make_panel, model, qtbot,
                                                               tmp_path):
    """The loss curves were drawn under a data-to-pixel matrix with non-scaling strokes,
    which librsvg ignores: slabs 150 × wider than the line."""
    panel = make_panel(CurvesPanel, SMALL, (900, 300))
    advance(model, 60, qtbot)
    out = exports.export_plot(panel.plots()["loss"], tmp_path / "loss.svg")
    paths = list(elements(out, "path"))
    assert paths and all(p.get("transform") is None for p in paths)
    widths = [float(p.get("stroke-width")) for p in paths if p.get("stroke-width")]
    assert widths and max(widths) <= 3.0
    root = ET.parse(out).getroot()
    w, h = float(root.get("width")), float(root.get("height"))
    for p in paths:                     # every curve point lies inside the picture
        nums = np.array([float(v) for v in p.get("d").replace("M", " ").replace("L", " ")
                        .split() if v.replace(".", "", 1).replace("-", "", 1).isdigit()])
        assert nums.size == 0 or (nums.min() >= -1 and nums.max() <= max(w, h) + 1)


def _rsvg(svg, png, width):
    subprocess.run(["rsvg-convert", "-w", str(width), "-o", str(png), str(svg)], check=True,
                   timeout=120)
    img = QImage(str(png)).convertToFormat(QImage.Format_RGB888)
    return np.frombuffer(img.constBits(), np.uint8).reshape(
        img.height(), img.bytesPerLine())[:, :3 * img.width()].reshape(
        img.height(), img.width(), 3).astype(np.int16)


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg is not installed")
def test_librsvg_draws_the_svg_as_the_screen_shows_it(regions, tmp_path):
    item = regions.plots()["bn"]
    svg = exports.export_plot(item, tmp_path / "bn.svg")
    width = int(item.sceneBoundingRect().width())
    drawn = _rsvg(svg, tmp_path / "bn_rsvg.png", width)
    screen = exports.render_png(item, width)
    screen = screen.convertToFormat(QImage.Format_RGB888)
    ref = np.frombuffer(screen.constBits(), np.uint8).reshape(
        screen.height(), screen.bytesPerLine())[:, :3 * screen.width()].reshape(
        screen.height(), screen.width(), 3).astype(np.int16)
    h, w = min(ref.shape[0], drawn.shape[0]), min(ref.shape[1], drawn.shape[1])
    diff = np.abs(ref[:h, :w] - drawn[:h, :w]).mean()
    # Text is hinted differently and librsvg smooths the region pixels; striped or
    # missing points, or a slab, would differ by far more.
    assert diff < 12.0


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="librsvg is not installed")
def test_librsvg_draws_the_loss_curves_as_thin_lines(make_panel, model, qtbot, tmp_path):
    panel = make_panel(CurvesPanel, SMALL, (900, 300))
    advance(model, 60, qtbot)
    svg = exports.export_plot(panel.plots()["loss"], tmp_path / "loss.svg")
    img = _rsvg(svg, tmp_path / "loss.png", 600)
    red = (img[..., 0] > 180) & (img[..., 1] < 90) & (img[..., 2] < 90)
    assert 0 < red.mean() < 0.05          # the slab covered ~40 % of the picture


def test_marker_templates_close_each_marker():
    assert marker_template("o", 10).startswith("m-5 0a5 5")
    d = marker_template("d", 10)
    assert d.startswith("m") and d.endswith("z") and "M" not in d
    assert marker_template("no such symbol", 10) == ""


def test_unknown_items_are_embedded_as_a_raster_not_dropped(qtbot):
    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(400, 300)
    w.show()
    region = pg.LinearRegionItem((0.2, 0.6))
    w.addItem(region)
    qtbot.wait(20)
    drawing = read_svg(w.getPlotItem())
    assert "LinearRegionItem" in drawing.rasterised
    assert drawing.text().count("<image") >= 1


def test_hidden_units_figure_exports_every_picture(make_panel, model, qtbot, tmp_path):
    panel = make_panel(UnitMapsPanel, SMALL, (500, 700))
    advance(model, 10, qtbot)
    qtbot.waitUntil(lambda: panel._drawn is not None, timeout=10_000)
    assert exports.export_plot(panel.plots()["all_units"], tmp_path / "u.png").stat().st_size
    out = exports.export_plot(panel.plots()["all_units"], tmp_path / "u.svg")
    shown = sum(len(layer) for maps in panel._drawn.maps.values() for layer in maps)
    assert len(list(elements(out, "image"))) == shown == 2 * (8 + 8)
    texts = "".join(t.text or "" for e in elements(out, "text") for t in e.iter())
    assert "Layer 2" in texts and "Net with BN" in texts


def test_export_before_anything_is_drawn_says_so(make_panel, tmp_path):
    panel = make_panel(UnitMapsPanel, SMALL, (500, 700))
    panel._drawn = None
    with pytest.raises(exports.ExportError, match="nothing to export"):
        exports.export_plot(panel.plots()["all_units"], tmp_path / "u.svg")
    with pytest.raises(exports.ExportError, match="png or .svg"):
        exports.prepare_plot(pg.PlotItem(), tmp_path / "u.gif")


def test_exporting_hidden_units_before_the_panel_was_open_says_what_to_do(make_window,
                                                                          tmp_path):
    """File → Export → Hidden units with the panel never opened (it starts closed) said only
    "there is nothing to export yet": the window now opens the panel and says why."""
    win = make_window()
    assert not win.docks["unit_maps"].isVisible()
    messages = []
    win._show_error = messages.append
    win.export_plot("unit_maps", "all_units", tmp_path / "u.svg")
    assert win.docks["unit_maps"].isVisible()
    assert len(messages) == 1 and "Hidden units panel is open" in messages[0]
    assert "It is open now" in messages[0] and not (tmp_path / "u.svg").exists()


def test_runner_writes_off_the_gui_thread_and_leaves_no_partial_file(regions, qtbot,
                                                                     tmp_path):
    runner = ExportRunner(regions)
    path = tmp_path / "both.svg"
    with qtbot.waitSignal(runner.finished, timeout=20_000) as done:
        runner.start(exports.prepare_plot(regions.plots()["both"], path), path, "Writing")
    assert done.args == [path] and path.stat().st_size > 1000
    assert not runner.busy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.svg"]
    bad = tmp_path / "no such folder" / "x.svg"
    with qtbot.waitSignal(runner.failed, timeout=20_000) as failed:
        runner.start(exports.prepare_plot(regions.plots()["both"], bad), bad, "Writing")
    assert failed.args[0].startswith("x.svg: cannot write") and "\n" not in failed.args[0]
