"""The histograms panel draws the trainer's fixed-bin histograms and percentile bands per layer."""

import numpy as np
import pyqtgraph as pg
import pytest

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.nn.layers import Sigmoid
from bn_studio.core.measure.stats import pushforward_density
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.histogram_data import layer_histograms
from bn_studio.gui.panels.histograms import HEADROOM, SHRINK_BELOW, HistogramsPanel
from bn_studio.gui.theme import apply_theme
from studio_helpers import advance

CONFIG = TrainConfig(hidden=(8, 6, 5), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(HistogramsPanel, CONFIG, (640, 860))


def test_every_layer_draws_the_snapshot_histograms_and_bands(model, panel, qtbot):
    snap = advance(model, 30, qtbot)
    assert snap.step == 30
    assert len(panel.rows) == 3
    assert set(panel.plots()) == {"all_layers"} | {f"layer{i}_{k}" for i in (1, 2, 3)
                                                   for k in ("no_bn", "bn", "bands")}
    for i, row in enumerate(panel.rows):
        plain, bn = snap.runs["no_bn"].layers[i], snap.runs["bn"].layers[i]
        x, counts = row["plain"].getData()
        np.testing.assert_allclose(counts, plain.z_hist)
        np.testing.assert_allclose(x, snap.z_edges[i])
        x, counts = row["bn"].getData()
        np.testing.assert_allclose(counts, bn.out_hist)
        np.testing.assert_allclose(x, snap.out_edges[i])
        for name, layer in (("no_bn", plain), ("bn", bn)):
            steps, median = row[f"band_{name}"][1].getData()
            # at 0 (the untrained nets), 5, 10, ..., 30
            assert steps.size == layer.bands.shape[0] == 7
            np.testing.assert_allclose(median, layer.bands[:, 2])
        p_plain, p_bn, _ = row["plots"]
        np.testing.assert_allclose(p_plain.viewRange()[0], snap.z_edges[i][[0, -1]])
        np.testing.assert_allclose(p_bn.viewRange()[0], snap.out_edges[i][[0, -1]])


def test_x_ranges_stay_fixed_and_the_y_range_covers_the_tallest_bar(model, panel, qtbot):
    advance(model, 5, qtbot)
    before = [[p.viewRange() for p in row["plots"][:2]] for row in panel.rows]
    snap = advance(model, 40, qtbot)
    for _ in range(30):                 # the display timer redraws: the range settles
        panel.on_snapshot(snap)
    for row, old, i in zip(panel.rows, before, range(3)):
        for p, (x_old, _), counts in zip(row["plots"][:2], old,
                                         (snap.runs["no_bn"].layers[i].z_hist,
                                          snap.runs["bn"].layers[i].out_hist)):
            x_new, y_new = p.viewRange()
            np.testing.assert_allclose(x_new, x_old)
            assert counts.max() <= y_new[1] <= counts.max() * HEADROOM / SHRINK_BELOW


def test_the_first_frame_after_a_reset_shows_the_real_step_0_distribution(model, panel, qtbot):
    model.reset()
    model.flush()
    qtbot.wait(50)
    snap = model.snapshot
    assert snap.step == 0
    for i, row in enumerate(panel.rows):
        edges, counts = row["plain"].getData()
        layer = snap.runs["no_bn"].layers[i]
        np.testing.assert_allclose(counts, layer.z_hist)
        # a spread-out distribution holding all of the batch, not a placeholder spike at 0
        assert np.count_nonzero(counts) >= 10
        in_chart = np.sum(counts * np.diff(edges))
        np.testing.assert_allclose(in_chart + sum(layer.z_off) / layer.n_values, 1.0)
        assert row["plots"][0].viewRange()[1][1] >= counts.max()


def test_the_y_range_follows_a_distribution_that_spreads_out():
    """Up at once; down smoothly once the tallest bar is below SHRINK_BELOW of the range."""
    top = 10.0
    assert HistogramsPanel._follow(top, 12.0) == 12.0
    assert HistogramsPanel._follow(top, 0.9 * top) == top          # small dips: no jitter
    y = top
    for frame in range(30):
        y = HistogramsPanel._follow(y, 1.0)
        if frame == 0:
            assert 1.0 < y < top                                   # smooth, not a jump
    assert y < 1.0 / SHRINK_BELOW                                  # tallest bar uses > 70 %


def test_off_chart_shares_are_written_at_the_ends(model, panel, qtbot):
    snap = advance(model, 5, qtbot)
    layer = snap.runs["no_bn"].layers[0]
    left, right = panel.rows[0]["off"][0]
    below, above = layer.z_off
    for label, count in ((left, below), (right, above)):
        assert (label.textItem.toPlainText() != "") == (count > 0)
    layer.z_off = (layer.n_values // 4, 0)          # a quarter of the values left the chart
    panel.on_snapshot(snap)
    assert left.textItem.toPlainText() == "←25%"
    assert right.textItem.toPlainText() == ""


def test_a_different_number_of_layers_shows_as_many_rows_reusing_the_built_ones(model, panel,
                                                                               qtbot):
    advance(model, 5, qtbot)
    built = [row["plots"] for row in panel.rows]
    model.set_config(CONFIG.replace(hidden=(4,)))
    assert len(panel.rows) == 1
    advance(model, 5, qtbot)
    assert len(panel.rows) == 1 and set(panel.plots()) == {"all_layers", "layer1_no_bn",
                                                           "layer1_bn", "layer1_bands"}
    # The rows past the depth are hidden and take no room: layer 1 fills the view.
    hidden = [p for plots in built[1:] for p in plots]
    assert not any(p.isVisible() for p in hidden)
    qtbot.waitUntil(lambda: built[0][0].geometry().height() > 0.8 * panel.view.height())
    # A theme switch reaches the hidden rows too (the axes follow the foreground).
    apply_theme("dark", root=panel)
    fg = pg.mkColor(pg.getConfigOption("foreground"))
    assert all(p.getAxis("bottom").pen().color() == fg for p in hidden)
    model.set_config(CONFIG.replace(hidden=(4, 4, 4, 4, 4)))
    snap = advance(model, 5, qtbot)
    assert len(panel.rows) == 5
    assert [row["plots"] for row in panel.rows[:3]] == built       # the same plots, shown
    assert all(p.isVisible() for row in panel.rows for p in row["plots"])
    for i in (0, 2, 4):                     # kept, re-shown and new rows draw the new run
        np.testing.assert_allclose(panel.rows[i]["bn"].getData()[1],
                                   snap.runs["bn"].layers[i].out_hist)
        edges = layer_histograms(snap, i, None)[0][0]
        assert panel.rows[i]["plots"][0].viewRange()[0] == pytest.approx(
            [edges[0], edges[-1]])


def test_an_old_runs_snapshot_after_a_config_change_does_not_rebuild_the_rows(model, panel,
                                                                                 qtbot):
    old = advance(model, 5, qtbot)
    model.set_config(CONFIG.replace(hidden=(4, 4)))
    panel.on_snapshot(old)                  # still in flight when the config changed
    assert len(panel.rows) == 2
    snap = advance(model, 5, qtbot)
    assert len(snap.runs["bn"].layers) == 2 and len(panel.rows) == 2


def test_activation_view_shows_sigmoid_saturation_on_its_own_range(model, panel, qtbot):
    model.set_config(CONFIG.replace(activation="sigmoid"))
    snap = advance(model, 10, qtbot)
    panel.show_act.setChecked(True)
    p_plain, p_bn, p_band = panel.rows[0]["plots"]
    assert "g(Z)" in p_plain.titleLabel.text and "g(Z̃)" in p_bn.titleLabel.text
    assert "g(Z)" in p_band.titleLabel.text
    np.testing.assert_allclose(p_plain.viewRange()[0], [0.0, 1.0])
    x, counts = panel.rows[0]["plain"].getData()
    sigmoid = Sigmoid()
    want = pushforward_density(snap.z_edges[0], snap.runs["no_bn"].layers[0].z_hist,
                               lambda v: sigmoid.forward(v, train=False), x)
    np.testing.assert_allclose(counts, want)
    np.testing.assert_allclose(np.sum(counts * np.diff(x)), 1.0)
    _, median = panel.rows[0]["band_bn"][1].getData()       # percentiles of A = g(percentiles)
    bands = snap.runs["bn"].layers[0].bands
    np.testing.assert_allclose(median, 1 / (1 + np.exp(-bands[:, 2])), rtol=1e-6)
    panel.show_act.setChecked(False)
    assert "g(" not in p_plain.titleLabel.text
    np.testing.assert_allclose(panel.rows[0]["plain"].getData()[1],
                               snap.runs["no_bn"].layers[0].z_hist)


def test_relu_activation_view_uses_the_trainers_activation_histogram(model, panel, qtbot):
    model.set_config(CONFIG.replace(activation="relu"))
    panel.show_act.setChecked(True)
    snap = advance(model, 10, qtbot)
    for i, row in enumerate(panel.rows):
        np.testing.assert_allclose(row["bn"].getData()[1], snap.runs["bn"].layers[i].a_hist)
        np.testing.assert_allclose(row["plain"].getData()[1],
                                   snap.runs["no_bn"].layers[i].a_hist)


def test_layer_stats_table_holds_the_latest_percentiles(model, panel, qtbot):
    snap = advance(model, 20, qtbot)
    header, rows = panel.layer_stats_table()
    assert header == ["layer", "net", "step", "p15", "p50", "p85"]
    assert len(rows) == 6
    for layer, net, step, *p in rows:
        assert step == 20
        np.testing.assert_allclose(p, snap.runs[net].layers[layer - 1].bands[-1, 1:])


def test_no_hidden_layer_shows_a_note_and_no_rows(model, panel, qtbot):
    model.set_config(CONFIG.replace(hidden=()))
    advance(model, 5, qtbot)
    panel.show_act.setChecked(True)
    assert panel.rows == [] and panel.plots() == {}
    assert "no hidden layer" in panel.note.text()
    assert panel.layer_stats_table()[1] == []


def test_diverged_nets_draw_without_raising_and_say_so(model, panel, qtbot):
    model.set_config(CONFIG.replace(hidden=(8, 8), activation="relu", optimizer="sgd",
                                    lr=1e6))
    snap = advance(model, 20, qtbot)
    panel.show_act.setChecked(True)
    assert snap.runs["no_bn"].diverged_at is not None
    assert "diverged at step" in panel.note.text()
    for row in panel.rows:
        assert np.all(np.isfinite(row["plain"].getData()[1]))


def test_switching_datasets_while_training_fixes_the_new_bins(model, panel, qtbot):
    model.play()
    qtbot.wait(300)
    model.set_spec(DatasetSpec("moons", n=300))
    qtbot.wait(300)
    model.pause()
    snap = advance(model, 1, qtbot)
    for i, row in enumerate(panel.rows):
        np.testing.assert_allclose(row["plots"][0].viewRange()[0], snap.z_edges[i][[0, -1]])
        np.testing.assert_allclose(row["plain"].getData()[1], snap.runs["no_bn"].layers[i].z_hist)


def test_while_playing_the_bands_are_throttled_but_the_last_state_is_drawn(model, panel, qtbot,
                                                                          monkeypatch):
    import dataclasses
    first = advance(model, 10, qtbot)
    later = advance(model, 20, qtbot)
    drawn = []
    draw = panel._draw_bands
    monkeypatch.setattr(panel, "_draw_bands",
                        lambda row, step, *a: (drawn.append(step), draw(row, step, *a)))
    panel.on_snapshot(dataclasses.replace(first, playing=True))
    panel.on_snapshot(dataclasses.replace(later, playing=True))     # before the first's turn
    assert drawn == []                  # the bands wait for their turn in the frame budget
    qtbot.waitUntil(lambda: len(drawn) > 0, timeout=2000)
    assert set(drawn) == {later.step}   # only the newest state, replacing the one that waited
    assert panel.rows[0]["band_bn"][1].getData()[0][-1] == later.step


def test_a_narrow_step_axis_keeps_its_labels_apart(qapp):
    from bn_studio.gui.plotting import SparseAxis
    axis = SparseAxis("bottom", px=48)
    spacing = axis.tickSpacing(0, 800, 100)[0][0]
    assert 800 / spacing <= 2                    # 100 px: at most two labels, not four
    import pyqtgraph as pg                       # a wide axis keeps pyqtgraph's own ticks
    own = pg.AxisItem("bottom").tickSpacing(0, 800, 800)
    assert axis.tickSpacing(0, 800, 800)[0][0] == own[0][0]
