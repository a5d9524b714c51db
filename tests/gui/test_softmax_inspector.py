"""The softmax inspector shows z, t = e^(z − max z) and a = t / Σt of both nets at the point."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.nn.losses import softmax
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.decision_regions import DecisionRegionsPanel
from bn_studio.gui.panels.softmax_inspector import (EXPLANATION, MAX_BAR_LABELS,
                                                    SoftmaxInspectorPanel)
from bn_studio.gui.panels.softmax_tabs import fmt
from studio_helpers import advance

SMALL = TrainConfig(hidden=(8, 8), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def inspector(make_panel):
    return make_panel(SoftmaxInspectorPanel, SMALL, (640, 900))


def core_softmax(model, name, x):
    logits = model.snapshot.runs[name].net.logits(np.asarray(x, dtype=float)[None], train=False)
    return np.asarray(logits, dtype=np.float64)[0], softmax(np.asarray(logits, np.float64))[0]


def test_before_any_click_it_prompts_and_shows_no_numbers(model, inspector, qtbot):
    advance(model, 10, qtbot)
    assert inspector.current_values() == {}
    assert "Click anywhere on a decision-region plot" in inspector.prompt.text()
    assert not inspector.view.isVisible()
    assert inspector.table.text() == "" and inspector.caption.text() == ""
    assert inspector.explanation.text() == EXPLANATION


def test_values_are_the_core_softmax_of_each_nets_logits(model, inspector, qtbot):
    advance(model, 20, qtbot)
    x = np.array([0.3, -0.7])
    model.select_point(x)
    values = inspector.current_values()
    assert set(values) == {"bn", "no_bn"}
    for name in ("bn", "no_bn"):
        z, a = core_softmax(model, name, x)
        np.testing.assert_allclose(values[name]["z"], z, rtol=1e-6)
        np.testing.assert_allclose(values[name]["a"], a, rtol=1e-6)
        np.testing.assert_allclose(values[name]["a"].sum(), 1.0)
        np.testing.assert_allclose(values[name]["t"], np.exp(z - z.max()), rtol=1e-6)
        assert values[name]["t"].max() == 1.0
        assert values[name]["predicted"] == int(np.argmax(a))
    assert inspector.view.isVisible()
    assert "(standardised: 0.30, -0.70)" in inspector.prompt.text()
    bn = values["bn"]
    for key, digits in (("z", 2), ("t", 3), ("a", 3)):
        assert fmt(bn[key][0], digits) in inspector.table.text()
    names = model.split.class_names
    assert "predicts class <b style='color:" in inspector.caption.text()
    assert names[values["bn"]["predicted"]] in inspector.caption.text()
    # the bars hold the same numbers
    for key in ("z", "t", "a"):
        np.testing.assert_allclose(inspector.bars[("bn", key)].opts["height"], bn[key])
        labels = [t.textItem.toPlainText() for t in inspector.texts[("bn", key)]]
        assert labels == [fmt(v, 2 if key == "z" else 3) for v in bn[key]]


def test_a_click_on_the_regions_agrees_with_the_colour_under_it(model, inspector, qtbot):
    regions = DecisionRegionsPanel(model)
    qtbot.addWidget(regions)
    regions.resize(900, 500)
    regions.show()
    advance(model, 40, qtbot)
    grid = model.snapshot.grid
    x0, x1, y0, y1 = grid.extent
    r, c = 37, 52
    rows, cols = grid.probs["bn"].shape[:2]
    xy = (np.linspace(x0, x1, cols)[c], np.linspace(y0, y1, rows)[r])
    vb = regions.plot_items["bn"].vb

    class Click:
        def button(self):
            return Qt.LeftButton

        def scenePos(self):
            return vb.mapViewToScene(QPointF(*xy))

        def accept(self):
            pass

    regions._on_click(Click())
    values = inspector.current_values()
    for name in ("bn", "no_bn"):
        np.testing.assert_allclose(values[name]["a"], grid.probs[name][r, c], atol=1e-4)
        assert values[name]["predicted"] == int(np.argmax(grid.probs[name][r, c]))


@pytest.mark.parametrize("classes", [2, 8])
def test_two_and_eight_classes(model, inspector, qtbot, classes):
    assert model.set_spec(DatasetSpec("blobs", n=240, classes=classes))
    advance(model, 10, qtbot)
    model.select_point([0.1, 0.2])
    for name in ("bn", "no_bn"):
        v = inspector.current_values()[name]
        assert v["a"].shape == (classes,)
        np.testing.assert_allclose(v["a"].sum(), 1.0)
        assert len(inspector.bars[(name, "a")].opts["height"]) == classes
    assert inspector.table.text().count("<tr>") == classes + 2      # two header rows
    labels = [t.textItem.toPlainText() for t in inspector.texts[("bn", "a")]]
    if classes > MAX_BAR_LABELS:                  # too narrow to print: the table has them
        assert not any(labels)
    else:
        assert all(labels)


def test_switching_dataset_drops_the_old_point_and_bars_then_follows_the_new_nets(
        model, inspector, qtbot):
    advance(model, 5, qtbot)
    model.select_point([0.0, 0.5])
    assert inspector.current_values()["bn"]["a"].size == 3          # spirals: 3 classes
    model.set_spec(DatasetSpec("moons"))
    assert inspector.current_values() == {}
    advance(model, 5, qtbot)
    assert model.selected_point is None                 # clicked on the spirals: forgotten
    assert inspector.current_values() == {}
    model.select_point([0.0, 0.5])
    qtbot.waitUntil(lambda: inspector.current_values().get("bn") is not None, timeout=2000)
    assert inspector.current_values()["bn"]["a"].size == 2


def test_new_snapshots_refresh_at_most_ten_times_a_second(model, inspector, qtbot):
    advance(model, 5, qtbot)
    model.select_point([0.0, 0.0])
    first = inspector.current_values()
    for _ in range(20):                           # a burst of frames right after the click
        model.snapshotReady.emit(model.snapshot)
    assert inspector.current_values() is first
    qtbot.waitUntil(lambda: inspector.current_values() is not first, timeout=1000)


def test_a_diverged_run_is_reported_without_raising(model, inspector, qtbot):
    model.set_config(TrainConfig(lr=1e4, optimizer="sgd"))
    advance(model, 30, qtbot)
    model.select_point([0.0, 0.0])
    runs = model.snapshot.runs
    diverged = [n for n, r in runs.items() if r.diverged_at is not None]
    assert diverged
    assert "diverged" in inspector.caption.text()
    for name in diverged:                         # both outcomes are pinned, neither skipped
        v = inspector.current_values()[name]
        with np.errstate(all="ignore"):
            z, a = core_softmax(model, name, [0.0, 0.0])
        if np.all(np.isfinite(z)):                # finite last weights: still a distribution
            np.testing.assert_allclose(v["a"], a, rtol=1e-6)
        else:
            assert v is None and len(inspector.bars[(name, "a")].opts["height"]) == 0


def test_a_net_whose_outputs_are_not_numbers_shows_no_bars(model, inspector, qtbot):
    advance(model, 5, qtbot)
    net = model.snapshot.runs["no_bn"].net
    net.output.params["W"] = np.full_like(net.output.params["W"], np.nan)
    model.select_point([0.0, 0.0])
    assert inspector.current_values()["no_bn"] is None
    assert len(inspector.bars[("no_bn", "a")].opts["height"]) == 0
    assert "not numbers" in inspector.caption.text()
    assert inspector.current_values()["bn"] is not None


def test_no_hidden_layer(model, inspector, qtbot):
    model.set_config(SMALL.replace(hidden=()))
    advance(model, 5, qtbot)
    model.select_point([1.0, -1.0])
    z, a = core_softmax(model, "bn", [1.0, -1.0])
    np.testing.assert_allclose(inspector.current_values()["bn"]["a"], a, rtol=1e-6)


def test_number_format_survives_huge_and_non_finite_values():
    assert fmt(1.234567, 2) == "1.23" and fmt(0.0004, 3) == "0.000"
    assert fmt(1.9e13, 2) == "1.9e+13"
    assert fmt(float("nan"), 3) == "not a number" and fmt(float("inf"), 2) == "+∞"


# The 2.0 tabs: shift and temperature, loss and gradient, per-class maps
def test_the_shift_slider_changes_t_but_not_a(model, inspector, qtbot):
    from bn_studio.core.nn.softmax_parts import shifted_softmax
    advance(model, 20, qtbot)
    model.select_point([0.3, -0.4])
    tab = inspector.shift_tab
    z = inspector.current_values()["bn"]["z"]
    base = tab.result
    np.testing.assert_allclose(base.a, inspector.current_values()["bn"]["a"], rtol=1e-12)
    tab.shift.setValue(30.0)
    moved = tab.result
    np.testing.assert_allclose(moved.a_naive, base.a_naive, rtol=1e-12)
    np.testing.assert_allclose(moved.t, np.exp(z + 30.0), rtol=1e-12)
    np.testing.assert_allclose(tab.bars["t"].opts["height"], moved.t)
    np.testing.assert_allclose(tab.bars["a"].opts["height"], base.a, rtol=1e-12)
    assert "a does not change" in tab.caption.text()
    tab.max_button.click()
    assert tab.shift.value() == pytest.approx(-z.max(), abs=0.01)
    assert tab.result.t.max() == pytest.approx(1.0, abs=0.02)
    tab.run.setCurrentIndex(1)                     # the other net's logits
    np.testing.assert_allclose(tab.result.a, shifted_softmax(
        inspector.current_values()["no_bn"]["z"], tab.shift.value()).a, rtol=1e-12)


def test_the_temperature_slider_flattens_or_sharpens_a(model, inspector, qtbot):
    advance(model, 20, qtbot)
    model.select_point([0.3, -0.4])
    tab = inspector.shift_tab
    a1 = tab.result.a
    tab.set_temperature(20.0)
    assert tab.temperature == pytest.approx(20.0, rel=0.02)
    hot = tab.result.a
    assert hot.max() < a1.max() and np.ptp(hot) < np.ptp(a1)
    tab.set_temperature(0.05)
    cold = tab.result.a
    assert cold.max() > a1.max() and int(np.argmax(cold)) == int(np.argmax(a1))
    np.testing.assert_allclose(tab.bars["a"].opts["height"], cold)
    assert "T = 0.05" in tab.temp_label.text()


def test_a_huge_shift_reports_overflow_instead_of_drawing_nonsense(qtbot):
    from bn_studio.gui.panels.softmax_tabs import ShiftTemperatureTab
    tab = ShiftTemperatureTab()
    qtbot.addWidget(tab)
    tab.set_logits({"bn": np.array([700.0, 1.0]), "no_bn": None}, ["a", "b"])
    tab.shift.setValue(40.0)
    assert tab.result.overflow and "overflows" in tab.caption.text()
    heights = tab.bars["t"].opts["height"]
    assert np.all(np.isfinite(heights)) and heights[0] > heights[1] > 0     # ∞ drawn on top
    assert "overflows" in tab.plots["t"].titleLabel.text
    tab.run.setCurrentIndex(1)
    assert tab.result is None and "not numbers" in tab.caption.text()


def test_loss_tab_takes_the_nearest_points_class_and_shows_a_minus_y(model, inspector, qtbot):
    from bn_studio.core.nn.softmax_parts import loss_gradient, point_loss
    advance(model, 20, qtbot)
    i = 3
    x, y = model.split.X_val[i], int(model.split.y_val[i])
    model.select_point(x)
    tab = inspector.loss_tab
    assert tab.true_class.currentIndex() == y and "0.00 away" in tab.nearest.text()
    for name in ("bn", "no_bn"):
        z = inspector.current_values()[name]["z"]
        assert tab.values[name]["loss"] == pytest.approx(point_loss(z, y), rel=1e-12)
        np.testing.assert_allclose(tab.bars[("grad", name)].opts["height"], loss_gradient(z, y))
        assert f"{tab.values[name]['loss']:.3f}" in tab.loss.text()
    other = (y + 1) % len(model.split.class_names)
    tab.true_class.setCurrentIndex(other)          # the user's choice holds for new frames
    advance(model, 5, qtbot)
    qtbot.wait(150)
    assert tab.true_class.currentIndex() == other
    z = inspector.current_values()["bn"]["z"]
    np.testing.assert_allclose(tab.bars[("grad", "bn")].opts["height"],
                               loss_gradient(z, other))


def test_class_maps_are_the_decision_grids_probabilities(model, inspector, qtbot):
    advance(model, 20, qtbot)
    model.select_point([0.0, 0.0])
    inspector.tabs.setCurrentIndex(3)
    grid = model.snapshot.grid
    classes = grid.probs["bn"].shape[-1]
    assert len(inspector.maps_tab.images) == 2 * classes
    for name in ("bn", "no_bn"):
        for k in range(classes):
            np.testing.assert_allclose(inspector.maps_tab.images[(name, k)].image,
                                       grid.probs[name][..., k], rtol=1e-6)
    assert model.set_spec(DatasetSpec("blobs", n=240, classes=6))
    advance(model, 5, qtbot)
    qtbot.wait(150)
    assert len(inspector.maps_tab.images) == 12


def test_every_tab_but_the_first_fits_the_dock_at_1366x768(make_window, qtbot):
    from PySide6.QtWidgets import QScrollArea
    win = make_window()
    win.fit_to_screen((1366, 768))
    win.raise_panel("softmax_inspector")
    advance(win.model, 10, qtbot)
    win.model.select_point([0.1, 0.1])
    panel = win.panels["softmax_inspector"]
    scroll = win.docks["softmax_inspector"].findChild(QScrollArea)
    for i in (1, 2, 3):
        panel.tabs.setCurrentIndex(i)
        qtbot.wait(50)
        assert scroll.verticalScrollBar().maximum() == 0, panel.tabs.bar.tabText(i)
