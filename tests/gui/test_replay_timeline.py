"""Replaying the run: scrubbing the timeline to a stored step shows that step's snapshot in
every panel together (offscreen), and Live, Play or a new step return to the newest state."""

import numpy as np
import pytest

from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.decision_regions import region_image

CONFIG = TrainConfig(hidden=(8, 6), batch=16, eval_every=5)


def _trained(win):
    """``win`` trained to step 40 in four steps of 10, and the live snapshot of each step."""
    win.model.flush()
    kept = {0: win.model.snapshot}
    for _ in range(4):
        win.model.step(10)
        win.model.flush()
        kept[win.model.snapshot.step] = win.model.snapshot
    assert list(win.model.replay.ring.steps()) == [0, 10, 20, 30, 40]
    return win, kept


@pytest.fixture
def run(fresh_shared_window):
    return _trained(fresh_shared_window(CONFIG))


@pytest.mark.real_worker
def test_scrubbing_to_step_k_shows_snapshot_k_in_every_panel(make_window, qtbot):
    """On a window of its own: it trains in a real worker process (the module's window
    trains on a thread)."""
    win, kept = _trained(make_window(CONFIG))
    win.timeline.slider.setValue(2)
    snap, want = win.model.snapshot, kept[20]
    assert snap.step == 20 and not snap.live
    assert win.timeline.live_button.isEnabled()
    assert "replay" in win.step_label.text()
    panels = win.panels
    # decision regions: the regions of step 20's nets
    classes = win.model.split.classes
    for name in ("bn", "no_bn"):
        img = panels["decision_regions"].images[name].image
        expected = region_image(want.grid.probs[name], classes)
        assert np.abs(img.astype(int) - expected.astype(int)).max() <= 1
        assert not np.array_equal(img, region_image(kept[40].grid.probs[name], classes))
    # histograms: step 20's histograms; the bands keep the whole run, with a cursor at 20
    row = panels["histograms"].rows[0]
    np.testing.assert_allclose(row["plain"].getData()[1], want.runs["no_bn"].layers[0].z_hist)
    np.testing.assert_allclose(row["bn"].getData()[1], want.runs["bn"].layers[0].out_hist)
    assert row["cursor"].isVisible() and row["cursor"].value() == 20
    assert row["band_bn"][1].getData()[0][-1] == 40
    # test-time BN: step 20's batch and running statistics
    tt = panels["test_time_bn"]
    layer = want.runs["bn"].layers[0]
    np.testing.assert_allclose(tt.batch_mean.getData()[1], layer.batch_mean)
    np.testing.assert_allclose(tt.run_var.getData()[1], layer.running_var)
    assert all(c.isVisible() and c.value() == 20 for c in tt.step_cursors)
    # curves: the whole run, a cursor at 20
    curves = panels["curves"]
    assert curves.val_items["bn"].getData()[0][-1] == 40
    assert all(c.isVisible() and c.value() == 20 for c in curves.cursors)


def test_live_and_a_new_step_end_the_replay(run, qtbot):
    win, kept = run
    win.model.replay.show(1)
    win.model.flush()                       # the same state republished: still replaying
    assert win.model.snapshot.step == 10 and not win.model.snapshot.live
    win.timeline.live_button.click()
    assert win.model.snapshot is not None and win.model.snapshot.step == 40
    assert win.model.snapshot.live and not win.panels["curves"].cursors[0].isVisible()
    win.model.replay.show(0)
    assert win.model.snapshot.step == 0
    win.model.step(1)
    win.model.flush()
    assert win.model.snapshot.step == 41 and win.model.snapshot.live
    assert win.model.replay.index is None


def test_the_timeline_does_not_scrub_while_playing(run, qtbot):
    win, _ = run
    win.model.play()
    assert not win.timeline.slider.isEnabled()
    assert win.model.replay.show(1) is False
    win.model.pause()


def test_histograms_overlay_and_offset_earlier_steps_over_a_step_0_outline(run, qtbot):
    win, kept = run
    hp = win.panels["histograms"]
    row = hp.rows[0]
    first = row["first"][0]
    assert first.isVisible()
    np.testing.assert_allclose(first.getData()[1], kept[0].runs["no_bn"].layers[0].z_hist)
    hp.mode_box.setCurrentIndex(hp.mode_box.findData("overlay"))
    shown = [item for item in row["trail"][0] if item.isVisible()]
    assert len(shown) == 4                          # steps 0, 10, 20, 30 behind step 40
    np.testing.assert_allclose(shown[2].getData()[1], kept[20].runs["no_bn"].layers[0].z_hist)
    hp.mode_box.setCurrentIndex(hp.mode_box.findData("offset"))
    shown = [item for item in row["trail"][0] if item.isVisible()]
    lifts = [float(item.getData()[1].min()) for item in shown]
    assert lifts == sorted(lifts, reverse=True) and lifts[-1] > 0      # older higher up
    top = row["plots"][0].viewRange()[1][1]
    assert top > max(float(item.getData()[1].max()) for item in shown) * 0.99
    assert not first.isVisible()                   # in offset mode step 0 is the top ridge


def test_a_replay_recomputes_the_unit_pictures_when_they_are_shown(run, qtbot):
    win, kept = run
    win.model.show_unit_maps(True)
    win.model.flush()
    assert win.model.snapshot.unit_maps is not None
    win.model.replay.show(1)
    um = win.model.snapshot.unit_maps
    assert um.step == 10
    frame_net = win.model.snapshot.runs["bn"].net
    from bn_studio.core.measure.unit_maps import twin_unit_maps
    want = twin_unit_maps({"bn": frame_net}, um.extent, 10, CONFIG.activation)
    np.testing.assert_allclose(um.maps["bn"][0], want.maps["bn"][0])
