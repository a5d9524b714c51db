"""The decision-regions panel draws each net's softmax regions under the data and picks points."""

import warnings

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.plain_text import Rich
from bn_studio.gui.panels.decision_regions import (MAX_STRETCH, UNKNOWN_RGB, DecisionRegionsPanel,
                                                   grid_rect, region_image)
from studio_helpers import advance

SMALL = TrainConfig(hidden=(8, 8), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(DecisionRegionsPanel, SMALL, (900, 500))


class FakeClick:
    """What the scene's sigMouseClicked hands over: a button and a scene position."""

    def __init__(self, scene_pos, button=Qt.LeftButton):
        self._pos, self._button = scene_pos, button
        self.accepted = False

    def button(self):
        return self._button

    def scenePos(self):
        return self._pos

    def accept(self):
        self.accepted = True


def scene_pos_of(panel, name, x, y):
    return panel.plot_items[name].vb.mapViewToScene(QPointF(x, y))


def test_region_images_hold_the_grid_after_k_steps(model, panel, qtbot):
    advance(model, 20, qtbot)
    grid = model.snapshot.grid
    assert grid.step == 20
    for name in ("bn", "no_bn"):
        probs = grid.probs[name]
        img = panel.images[name].image
        assert img.shape == probs.shape[:2] + (3,)
        np.testing.assert_array_equal(img, region_image(probs, model.split.classes))
        assert panel.images[name].mapRectToParent(panel.images[name].boundingRect()) == \
            grid_rect(grid.extent, probs.shape)


def test_scatter_holds_the_training_and_validation_points(model, panel, qtbot):
    split = model.split
    for name in ("bn", "no_bn"):
        x, y = panel.train_scatter[name].getData()
        np.testing.assert_allclose(np.column_stack([x, y]), split.X_train)
        x, y = panel.val_scatter[name].getData()
        np.testing.assert_allclose(np.column_stack([x, y]), split.X_val)


@pytest.mark.parametrize("size", [(900, 500), (500, 900), (700, 700)])
def test_views_are_linked_fit_the_data_and_barely_stretch_it(model, panel, qtbot, size):
    panel.resize(*size)
    advance(model, 5, qtbot)
    bn, no_bn = panel.plot_items["bn"].vb, panel.plot_items["no_bn"].vb
    assert no_bn.linkedView(no_bn.XAxis) is bn and no_bn.linkedView(no_bn.YAxis) is bn
    assert not any(bn.state["autoRange"])
    r = panel.images["bn"].mapRectToParent(panel.images["bn"].boundingRect())
    x0, x1, y0, y1 = r.left(), r.right(), r.top(), r.bottom()
    (vx0, vx1), (vy0, vy1) = bn.viewRange()
    assert vx0 <= x0 + 1e-9 and vx1 >= x1 - 1e-9 and vy0 <= y0 + 1e-9 and vy1 >= y1 - 1e-9
    # one axis is filled by the data exactly: no blank band on both sides
    assert np.isclose(vx1 - vx0, x1 - x0) or np.isclose(vy1 - vy0, y1 - y0)
    stretch = (bn.width() / (vx1 - vx0)) / (bn.height() / (vy1 - vy0))
    assert 1 / MAX_STRETCH - 1e-6 <= stretch <= MAX_STRETCH + 1e-6


def test_left_click_selects_that_point_and_marks_both_plots(model, panel, qtbot):
    advance(model, 5, qtbot)
    seen = []
    model.pointSelected.connect(lambda xy: seen.append(np.array(xy)))
    click = FakeClick(scene_pos_of(panel, "no_bn", 0.5, -0.25))
    panel._on_click(click)
    assert click.accepted
    np.testing.assert_allclose(model.selected_point, [0.5, -0.25], atol=1e-6)
    assert len(seen) == 1
    for name in ("bn", "no_bn"):
        for marker in panel.markers[name]:
            x, y = marker.getData()
            np.testing.assert_allclose([x[0], y[0]], [0.5, -0.25], atol=1e-6)


def test_right_clicks_and_clicks_outside_the_plots_are_ignored(model, panel, qtbot):
    advance(model, 5, qtbot)
    panel._on_click(FakeClick(scene_pos_of(panel, "bn", 0.1, 0.1), Qt.RightButton))
    assert model.selected_point is None
    title_pos = panel.plot_items["bn"].titleLabel.sceneBoundingRect().center()
    panel._on_click(FakeClick(title_pos))
    assert model.selected_point is None


def test_colour_under_a_point_is_the_colour_of_its_nearest_grid_node(model, panel, qtbot):
    """The grid's nodes are pixel centres: a point takes the colour of the node nearest to it,
    and that node's probabilities are the net's own at that point."""
    advance(model, 30, qtbot)
    grid = model.snapshot.grid
    x0, x1, y0, y1 = grid.extent
    probs = grid.probs["bn"]
    rows, cols = probs.shape[:2]
    xs, ys = np.linspace(x0, x1, cols), np.linspace(y0, y1, rows)
    dx, dy = xs[1] - xs[0], ys[1] - ys[0]
    expected = region_image(probs, model.split.classes)
    net = model.snapshot.runs["bn"].net
    for r, c in [(0, 0), (rows - 1, cols - 1), (3, cols - 4), (rows // 2, cols // 3), (5, 7)]:
        for ox, oy in [(-0.4, -0.4), (0.4, 0.4), (-0.4, 0.4), (0.4, -0.4)]:
            xy = (xs[c] + ox * dx, ys[r] + oy * dy)
            np.testing.assert_array_equal(panel.region_rgb_at("bn", xy), expected[r, c])
        p = net.predict_proba(np.array([[xs[c], ys[r]]]))[0]
        np.testing.assert_allclose(p, probs[r, c], atol=1e-4)


@pytest.mark.parametrize("classes", [2, 8])
def test_two_and_eight_classes_draw_with_a_legend(model, panel, qtbot, classes):
    assert model.set_spec(DatasetSpec("blobs", n=240, classes=classes))
    advance(model, 10, qtbot)
    img = panel.images["bn"].image
    assert img.ndim == 3 and img.shape[2] == 3
    assert model.snapshot.grid.probs["bn"].shape[-1] == classes
    legend = panel.legend.text()
    assert all(name in legend for name in model.split.class_names)
    assert legend.count("■") == classes


def test_switching_dataset_mid_training_redraws_for_the_new_classes(model, panel, qtbot):
    advance(model, 10, qtbot)
    assert model.set_spec(DatasetSpec("blobs", n=240, classes=5))
    advance(model, 5, qtbot)
    assert panel.images["no_bn"].image is not None
    x, _ = panel.train_scatter["bn"].getData()
    assert x.size == model.split.X_train.shape[0]
    assert model.snapshot.grid.probs["no_bn"].shape[-1] == 5


def test_a_diverged_run_is_drawn_grey_and_titled(model, panel, qtbot):
    model.set_config(TrainConfig(lr=1e4, optimizer="sgd"))
    advance(model, 30, qtbot)
    runs = model.snapshot.runs
    diverged = [n for n, r in runs.items() if r.diverged_at is not None]
    assert diverged
    for name in diverged:
        title = panel.plot_items[name].titleLabel.text
        assert f"diverged at step {runs[name].diverged_at}" in title
        img = panel.images[name].image.astype(int)
        assert np.all(img[..., 0] == img[..., 1]) and np.all(img[..., 1] == img[..., 2])


def test_no_hidden_layer_draws_and_says_why_the_twins_agree(model, panel, qtbot):
    model.set_config(SMALL.replace(hidden=()))
    advance(model, 10, qtbot)
    assert panel.images["bn"].image is not None
    assert "no hidden layer" in panel.plot_items["bn"].titleLabel.text


def test_region_image_greys_out_nan_and_accepts_one_class():
    probs = np.full((4, 5, 3), 1 / 3)
    probs[0, 0] = [1.0, 0.0, 0.0]
    probs[1, 1] = np.nan
    probs[2, 2] = [np.inf, 0.0, 0.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = region_image(probs)
        one = region_image(np.ones((3, 3, 1)))
    assert img.shape == (4, 5, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img[1, 1], UNKNOWN_RGB)
    np.testing.assert_array_equal(img[2, 2], UNKNOWN_RGB)
    assert img[3, 3].min() > 200                      # a coin toss is pale
    assert img[0, 0].min() < 100                      # certainty is the full class colour
    assert one.shape == (3, 3, 3)


def test_a_panel_built_after_the_data_exists_starts_from_the_model(model, qtbot):
    model.set_config(SMALL)
    advance(model, 5, qtbot)
    model.select_point([0.2, 0.1])
    late = DecisionRegionsPanel(model)
    qtbot.addWidget(late)
    assert late.images["bn"].image is not None
    x, _ = late.train_scatter["bn"].getData()
    assert x.size == model.split.X_train.shape[0]
    mx, my = late.markers["no_bn"][1].getData()
    np.testing.assert_allclose([mx[0], my[0]], [0.2, 0.1])


def _plot_boxes(panel, qtbot):
    qtbot.wait(20)
    return {n: p.sceneBoundingRect() for n, p in panel.plot_items.items()}


def test_subtitles_never_change_the_plots_widths(model, make_panel, qtbot):
    """Lesson 6's "no hidden layer" subtitle widened the plots' columns past the panel (the
    no-BN plot cut off at the right), and the layout kept that width once the subtitle went."""
    narrow = make_panel(DecisionRegionsPanel, SMALL, (560, 420))     # the 1366×768 centre
    before = _plot_boxes(narrow, qtbot)
    for config in (SMALL.replace(hidden=()), SMALL):
        model.set_config(config)
        qtbot.wait(20)
        after = _plot_boxes(narrow, qtbot)
        for name in before:
            assert after[name].width() == pytest.approx(before[name].width(), abs=1)
            assert after[name].right() <= narrow.view.width() + 1
    diverged = Rich("Net without BN<br>diverged at step 123456" * 3)   # any length of title
    narrow.plot_items["no_bn"].setTitle(diverged)
    after = _plot_boxes(narrow, qtbot)
    assert after["no_bn"].width() == pytest.approx(before["no_bn"].width(), abs=1)


def test_the_axes_name_the_features_of_imported_data_as_plain_text(model, panel, qtbot):
    from bn_studio.core.data.datasets import Dataset
    rng = np.random.default_rng(0)
    ds = Dataset(rng.normal(size=(60, 2)), np.repeat([0, 1], 30), ["a", "b"], "t.csv",
                 feature_names=("petal <b>length</b>", "petal width"))
    assert model.set_dataset(ds)
    bottom = panel.plot_items["no_bn"].getAxis("bottom")
    left = panel.plot_items["bn"].getAxis("left")
    assert bottom.label.toPlainText().strip() == "petal <b>length</b> (standardised)"
    assert left.label.toPlainText().strip() == "petal width (standardised)"


def test_unstandardised_axes_say_so_and_name_the_x2_scale(model, panel):
    model.set_config(model.config.replace(standardize=False, x2_scale=100.0))
    bottom = panel.plot_items["no_bn"].getAxis("bottom")
    left = panel.plot_items["bn"].getAxis("left")
    assert bottom.label.toPlainText().strip() == "x₁"
    assert left.label.toPlainText().strip() == "x₂ × 100"
    model.set_config(model.config.replace(standardize=True))
    assert left.label.toPlainText().strip() == "x₂ (standardised)"


def test_unstandardised_data_fill_the_plot_whatever_the_scales(model, panel, qtbot):
    """x₂ × 100 kept to MAX_STRETCH was a thin vertical strip (x₁ widened to ±40)."""
    model.set_config(model.config.replace(standardize=False, x2_scale=100.0))
    qtbot.waitUntil(lambda: panel.plot_items["bn"].getViewBox().width() > 10, timeout=3000)
    panel._fit_range()
    (x0, x1), (y0, y1) = panel.plot_items["bn"].getViewBox().viewRange()
    X = model.split.X_train
    assert x1 - x0 < 3 * np.ptp(X[:, 0]) and y1 - y0 > np.ptp(X[:, 1])
    model.set_config(model.config.replace(standardize=True))
    panel._fit_range()
    (x0, x1), (y0, y1) = panel.plot_items["bn"].getViewBox().viewRange()
    assert y1 - y0 < 10


def test_a_long_feature_name_is_elided_to_the_plots_width(model, make_panel, qtbot):
    from bn_studio.core.data.datasets import Dataset
    narrow = make_panel(DecisionRegionsPanel, SMALL, (560, 420))
    rng = np.random.default_rng(0)
    long_name = "petal length measured from the base to the tip in centimetres"
    ds = Dataset(rng.normal(size=(60, 2)), np.repeat([0, 1], 30), ["a", "b"], "t.csv",
                 feature_names=(long_name, "petal width"))
    assert model.set_dataset(ds)
    qtbot.wait(20)
    for p in narrow.plot_items.values():
        axis = p.getAxis("bottom")
        assert "…" in axis.labelText and axis.labelText.startswith("petal length")
        assert axis.label.boundingRect().width() <= p.vb.width()


def test_a_shift_note_fits_each_plots_own_width(model, make_panel, qtbot):
    # At 1366×768 the no-BN plot is the narrower one: "(standardised, +1.5 shift)" measured
    # against the BN plot ran past its edge. Each plot's label fits its own view box.
    narrow = make_panel(DecisionRegionsPanel, SMALL, (420, 360))
    model.shift_inputs((1.5, 1.0))
    qtbot.wait(20)
    for p in narrow.plot_items.values():
        axis = p.getAxis("bottom")
        assert axis.labelText.endswith("+1.5 shift)")
        assert axis.label.boundingRect().width() <= p.vb.width()


def test_the_legend_puts_the_markers_on_a_line_of_their_own_only_when_needed(model, make_panel,
                                                                           qtbot):
    # Qt breaks a line after an inline image even before &nbsp;: iris at 1366×768 showed
    # "◇" at a line's end and "validation" below it. A marker now never leaves its word.
    from bn_studio.core.data.datasets import Dataset
    rng = np.random.default_rng(0)
    names = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    assert model.set_dataset(Dataset(rng.normal(size=(60, 2)), np.repeat([0, 1, 2], 20),
                                     names, "iris.csv"))
    narrow = make_panel(DecisionRegionsPanel, SMALL, (520, 420))
    qtbot.wait(20)
    text = narrow.legend.text()
    assert "Iris-virginica<br>" in text.replace("</span>", "") and "validation" in text
    wide = make_panel(DecisionRegionsPanel, SMALL, (1400, 600))
    qtbot.wait(20)
    assert "<br>" not in wide.legend.text() and "validation" in wide.legend.text()
