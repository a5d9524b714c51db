"""Each panel that draws training snapshots shows the newest one, and each net's values on that
net's plot: after two advances the drawn numbers are those of the second snapshot (a panel one
frame late fails) and the BN and no-BN values differ (a panel that swaps the twins fails)."""

import numpy as np

from bn_studio.core.nn.losses import softmax
from bn_studio.core.measure.stats import BAND_PERCENTILES
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.curves import CurvesPanel
from bn_studio.gui.panels.decision_regions import DecisionRegionsPanel, region_image
from bn_studio.gui.panels.histograms import HistogramsPanel
from bn_studio.gui.panels.softmax_inspector import SoftmaxInspectorPanel
from bn_studio.gui.panels.bn_at_test_time import TestTimeBNPanel
from studio_helpers import advance

CONFIG = TrainConfig(hidden=(8, 6), batch=16, eval_every=5)
TWINS = ("bn", "no_bn")


def two_advances(model, qtbot):
    first = advance(model, 5, qtbot)
    second = advance(model, 5, qtbot)
    assert (first.step, second.step) == (5, 10)
    return second


def test_curves_draw_the_newest_curves_of_each_net(make_panel, model, qtbot):
    panel = make_panel(CurvesPanel, CONFIG)
    snap = two_advances(model, qtbot)
    for name in TWINS:
        run = snap.runs[name]
        x, y = panel.val_items[name].getData()
        np.testing.assert_array_equal(x, [0, 5, 10])
        np.testing.assert_allclose(y, run.eval_curve[:, 3])
        np.testing.assert_allclose(panel.acc_items[name].getData()[1], run.eval_curve[:, 4])
        x, y = panel.train_items[name].getData()
        np.testing.assert_array_equal(x, np.arange(1, 11))
        np.testing.assert_allclose(y, run.train_curve[:, 1])
    assert not np.allclose(snap.runs["bn"].train_curve[:, 1], snap.runs["no_bn"].train_curve[:, 1])


def test_histograms_draw_the_newest_histograms_and_bands_of_each_net(make_panel, model, qtbot):
    panel = make_panel(HistogramsPanel, CONFIG)
    snap = two_advances(model, qtbot)
    assert len(panel.rows) == 2
    for i, row in enumerate(panel.rows):
        bn, plain = snap.runs["bn"].layers[i], snap.runs["no_bn"].layers[i]
        np.testing.assert_allclose(row["bn"].getData()[1], bn.out_hist)
        np.testing.assert_allclose(row["plain"].getData()[1], plain.z_hist)
        for name, layer in (("bn", bn), ("no_bn", plain)):
            x, p50 = row[f"band_{name}"][1].getData()
            np.testing.assert_array_equal(x, [0, 5, 10])    # step 0: the untrained nets
            np.testing.assert_allclose(p50, layer.bands[:, 2])
        assert not np.allclose(bn.bands[:, 2], plain.bands[:, 2])


def expected_region(snap, name):
    """The region image computed here from the snapshot's own frozen net."""
    grid = snap.grid
    assert grid.step == snap.step
    x0, x1, y0, y1 = grid.extent
    res = grid.probs[name].shape[0]
    gx, gy = np.meshgrid(np.linspace(x0, x1, res), np.linspace(y0, y1, res))
    with np.errstate(all="ignore"):
        p = snap.runs[name].net.predict_proba(np.column_stack([gx.ravel(), gy.ravel()]))
    return region_image(p.reshape(res, res, -1).astype(np.float32), p.shape[1],
                        snap.runs[name].diverged_at is not None)


def test_decision_regions_draw_each_nets_newest_predictions(make_panel, model, qtbot):
    panel = make_panel(DecisionRegionsPanel, CONFIG, (900, 500))
    snap = two_advances(model, qtbot)
    drawn = {name: np.asarray(panel.images[name].image)[..., :3].astype(int) for name in TWINS}
    for name in TWINS:
        want = expected_region(snap, name).astype(int)
        assert drawn[name].shape == want.shape
        assert np.abs(drawn[name] - want).max() <= 1
    assert np.abs(drawn["bn"] - drawn["no_bn"]).max() > 10


def test_test_time_bn_draws_the_newest_statistics(make_panel, model, qtbot):
    panel = make_panel(TestTimeBNPanel, CONFIG, (640, 860))
    snap = two_advances(model, qtbot)
    layer = snap.runs["bn"].layers[0]
    np.testing.assert_allclose(panel.batch_mean.getData()[1], layer.batch_mean)
    np.testing.assert_allclose(panel.run_var.getData()[1], layer.running_var)
    steps, rm = panel.run_mean_t.getData()
    np.testing.assert_array_equal(steps, [5, 10])
    np.testing.assert_allclose(rm, layer.running_history[:, 1 + 2 * 8])


def test_softmax_inspector_shows_the_newest_nets(make_panel, model, qtbot):
    panel = make_panel(SoftmaxInspectorPanel, CONFIG, (640, 900))
    advance(model, 5, qtbot)
    x = np.array([0.4, -0.2])
    model.select_point(x)
    snap = advance(model, 5, qtbot)

    def core(name):
        z = np.asarray(snap.runs[name].net.logits(x[None], train=False), dtype=np.float64)
        return softmax(z)[0]

    qtbot.waitUntil(lambda: np.allclose(panel.current_values()["bn"]["a"], core("bn"),
                                        rtol=1e-6), timeout=2000)
    for name in TWINS:
        np.testing.assert_allclose(panel.current_values()[name]["a"], core(name), rtol=1e-6)
        heights = panel.bars[(name, "a")].opts["height"]
        np.testing.assert_allclose(heights, core(name), rtol=1e-6)
    assert not np.allclose(core("bn"), core("no_bn"), rtol=1e-3)


def test_histogram_panel_names_the_percentiles_the_core_draws():
    assert BAND_PERCENTILES == (15.0, 50.0, 85.0)
    for q in BAND_PERCENTILES:
        assert f"{q:g}th" in HistogramsPanel.help_text
