"""The diagnostics panel: the worker sends the numbers while it is shown, the panel draws the
core's numbers (gradients, update ratios, γ/β, first loss), in replay too, and exports them."""

import math

import numpy as np
import pytest

from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.diagnostics import DiagnosticsPanel, saturation_line
from studio_helpers import advance

CONFIG = TrainConfig(hidden=(8, 6), activation="tanh", optimizer="momentum", lr=0.2,
                     batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(DiagnosticsPanel, CONFIG, (480, 760))


def test_worker_sends_diagnostics_only_while_the_panel_is_shown(model, panel, qtbot):
    snap = advance(model, 6, qtbot)
    assert snap.diagnostics is not None
    assert snap.diagnostics["bn"].update_ratio[-1, 0] == 6
    panel.hide()
    hidden = advance(model, 4, qtbot)
    assert hidden.step == 10 and hidden.diagnostics["bn"].step == 6    # the last ones, carried
    panel.show()
    snap = advance(model, 1, qtbot)
    qtbot.waitUntil(lambda: model.snapshot.diagnostics["bn"].step == 11, timeout=3000)
    ratio = model.snapshot.diagnostics["no_bn"].update_ratio
    # recorded while hidden: every step from 1 to 11 arrives when it opens again
    assert list(ratio[:, 0]) == list(range(1, 12))


def test_panel_draws_the_snapshots_numbers(model, panel, qtbot):
    snap = advance(model, 10, qtbot)
    diag = snap.diagnostics
    assert len(panel.grad_rows) == 2
    plot, items = panel.grad_rows[1]["dw"]
    x, y = items["no_bn"].getData()
    share = diag["no_bn"].layers[1].dw_share
    np.testing.assert_allclose(x, diag["no_bn"].layers[1].dw_edges)
    np.testing.assert_allclose(y, share / share.max())
    std = diag["bn"].layers[1].dw_std
    assert f"σ {std:.2g}" in plot.titleLabel.text
    loss = diag["bn"].first_loss
    classes = model.split.classes
    assert diag["bn"].classes == classes
    assert f"{loss:.3f}" in panel.first_loss.text()
    assert f"ln {classes} = {math.log(classes):.3f}" in panel.first_loss.text()
    panel.tabs.setCurrentIndex(1)
    qtbot.wait(20)
    items = panel.ratio_items["bn"]
    assert len(items) == 3                      # two hidden layers and the output layer
    x, y = items[0].getData()
    np.testing.assert_allclose(y, diag["bn"].update_ratio[:, 1])
    panel.tabs.setCurrentIndex(2)
    qtbot.wait(20)
    assert panel.layer_box.count() == 2
    x, y = panel.affine_items["gamma"][3].getData()
    np.testing.assert_allclose(y, diag["bn"].layers[0].gamma_history[:, 4])
    assert list(x) == [0, 5, 10]


def test_a_mid_run_alpha_change_moves_the_ratio(model, panel, qtbot):
    advance(model, 5, qtbot)
    model.set_config(CONFIG.replace(lr=2.0), live=True)
    snap = advance(model, 5, qtbot)
    ratio = snap.diagnostics["no_bn"].update_ratio
    before, after = ratio[ratio[:, 0] <= 5, 1:], ratio[ratio[:, 0] > 6, 1:]
    assert np.nanmean(after) > np.nanmean(before) + 0.5


def test_replay_shows_the_gradients_of_the_replayed_step(fresh_shared_window, qtbot):
    win = fresh_shared_window(CONFIG)
    win.raise_panel("diagnostics")
    panel = win.panels["diagnostics"]
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    kept = {}
    for _ in range(3):
        snap = advance(win.model, 10, qtbot)
        kept[snap.step] = snap
    win.model.replay.show(1)
    shown = win.model.snapshot
    assert shown.step == 10 and not shown.live
    want = kept[10].diagnostics["bn"].layers[0]
    _, items = panel.grad_rows[0]["dz"]
    y = items["bn"].getData()[1]
    np.testing.assert_allclose(y, want.dz_share / want.dz_share.max())
    panel.tabs.setCurrentIndex(1)
    qtbot.wait(20)
    assert panel.ratio_cursors[0].isVisible() and panel.ratio_cursors[0].value() == 10
    assert panel.ratio_items["bn"][0].getData()[0][-1] == 30     # the whole run, marked


def test_saturation_line_names_dead_relus_and_saturated_units(model, panel, qtbot):
    diag = advance(model, 3, qtbot).diagnostics
    line = saturation_line(diag, "tanh")
    assert "Saturated" in line and "&lt; 0.05" in line and line.count("%") == 2
    # A net's shares never wrap apart from its "%" (in a narrow dark dock "%" sat alone).
    assert line.count("&nbsp;%") == 2 and " %" not in line
    assert "Dead ReLU" in saturation_line(diag, "relu")


def test_exports_write_every_plot_and_the_ratio_table(fresh_shared_window, qtbot, tmp_path):
    win = fresh_shared_window(CONFIG)
    win.raise_panel("diagnostics")
    panel = win.panels["diagnostics"]
    advance(win.model, 12, qtbot)
    from bn_studio.gui import exports
    for key, item in panel.plots().items():
        out = exports.export_plot(item, tmp_path / f"{key}.png")
        assert out.stat().st_size > 1000
    out = win.export_table("diagnostics", tmp_path / "ratios.csv")
    lines = out.read_text().splitlines()
    assert lines[0] == "net,step,layer,log10_update_ratio"
    assert len(lines) == 1 + 2 * 12 * 3 and lines[1].startswith("bn,1,1,")


def test_the_dock_starts_hidden_and_is_in_the_view_and_help_menus(fresh_shared_window):
    win = fresh_shared_window()             # its docks as a new window's (reset_window)
    assert win.docks["diagnostics"].isHidden()
    menus = {a.text(): a.menu() for a in win.menuBar().actions()}
    assert any(a.text() == "Diagnostics" for a in menus["&View"].actions())
    assert any(a.text() == "What am I looking at: Diagnostics"
               for a in menus["&Help"].actions())


def test_freeze_box_restarts_with_gamma_and_beta_fixed(model, panel, qtbot):
    advance(model, 5, qtbot)
    panel.tabs.setCurrentIndex(2)
    panel.freeze_box.setChecked(True)
    assert model.config.freeze_bn_affine
    snap = advance(model, 10, qtbot)
    assert snap.step == 10                      # a new run
    gamma = snap.diagnostics["bn"].layers[0].gamma_history
    np.testing.assert_array_equal(gamma[:, 1:], 1.0)
    qtbot.waitUntil(lambda: "frozen" in panel.affine_note.text(), timeout=3000)
    model.set_config(CONFIG)                    # a lesson or workspace without it: unticked
    assert not panel.freeze_box.isChecked()


def test_while_training_the_panel_redraws_at_most_live_hz(model, panel, qtbot, monkeypatch):
    """Every frame redrew every layer's histograms (~90 ms with five layers); a paused
    state still draws at once."""
    import dataclasses

    from bn_studio.gui.panels import diagnostics
    snap = advance(model, 6, qtbot)
    qtbot.wait(200)
    drawn = []
    monkeypatch.setattr(panel, "_redraw", lambda force=False: drawn.append(force))
    live = dataclasses.replace(snap, playing=True, live=True)
    for _ in range(20):                          # 20 frames within one throttle period
        panel.on_snapshot(live)
    assert drawn == []                           # it waits for its turn in the frame budget
    qtbot.waitUntil(lambda: len(drawn) == 1, timeout=2000)
    qtbot.wait(int(2000 / diagnostics.LIVE_HZ))
    assert len(drawn) == 1                       # 20 frames, one redraw (of the newest)
    drawn.clear()
    panel.on_snapshot(dataclasses.replace(snap, playing=False))
    assert drawn == [False]
